"""One-track exports and the one rule for "not estimable" (headline.MINIMUMS).

Two hand-built exports, run end to end through ``pathaudit audit``:

- the sample restricted to the people who were only ever ICs (the same map): every analysis
  runs, every IC vs M figure is blank with the reason "only one track (IC) in the data", and
  every figure within the track is there;
- ten people written by hand (five ICs, five managers, two units): no headline figure has an
  interval the data cannot support; each is a finite, sensible estimate or not estimable with
  its reason, whatever the minimum cell size.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pathaudit.cli import main
from pathaudit.headline import MINIMUMS, headline_row, information_shortfall, one_track_reason
from pathaudit.sample import sample_dir

SAMPLE = sample_dir()
ONE_TRACK = one_track_reason("IC")
ANALYSES = ["pay_parity", "time_to_promotion", "forced_management", "attrition",
            "eu_pay_transparency", "uk_gender_pay_gap"]

WITHIN_TRACK_KEYS = {
    # figures about one track (or about the ladder as designed): they stay on one-track data
    "voluntary_exits_per_100py_ic",
    "promotion_probability_ic",
    "flagged_indicators",
    # gender pay gaps (women vs men, overall and within each track): not IC vs M comparisons
    "eu_mean_gap_hourly", "eu_mean_gap_annual", "eu_median_gap_hourly", "eu_median_gap_annual",
    "eu_categories_at_threshold", "eu_joint_pay_assessment", "eu_gap_within_track_grade",
    "uk_mean_hourly_gap", "uk_median_hourly_gap", "uk_mean_bonus_gap", "uk_median_bonus_gap",
    "uk_bonus_share_women", "uk_bonus_share_men", "uk_upper_quartile_share_women",
}
"""Headline keys that are not IC vs M comparisons."""

COMPARISON_LABELS = ("IC vs M", "IC − M", "IC / M", "IC vs manager")
"""Text that marks a row of a table as an IC vs M comparison."""

DESIGNED_ONLY = {"pay_parity__ceilings__band_mids.csv"}
"""Tables about the ladder and bands as designed (no people, no estimate from the data)."""


def _one_track_export(folder: Path) -> Path:
    """The sample with only the people who were on the IC track in every history row."""
    history = pd.read_csv(SAMPLE / "history.csv", dtype=str, keep_default_na=False)
    people = pd.read_csv(SAMPLE / "people.csv", dtype=str, keep_default_na=False)
    ever_m = set(history.loc[history["Career Track"] != "Individual Contributor", "Worker ID"])
    history = history[~history["Worker ID"].isin(ever_m)]
    people = people[people["Worker ID"].isin(set(history["Worker ID"]))]
    folder.mkdir(parents=True, exist_ok=True)
    history.to_csv(folder / "history.csv", index=False)
    people.to_csv(folder / "people.csv", index=False)
    for name in ("ladder.csv", "bands.csv", "ratings.csv", "adoption.csv", "map.toml"):
        shutil.copy(SAMPLE / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def one_track(tmp_path_factory):
    data = _one_track_export(tmp_path_factory.mktemp("one_track_data"))
    out = tmp_path_factory.mktemp("one_track_audit")
    code = main(["audit", str(data), "--map", str(data / "map.toml"), "--out", str(out)])
    assert code == 0
    return out


def _summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def test_the_export_holds_one_track():
    history = pd.read_csv(SAMPLE / "history.csv", dtype=str)
    ic_only = history.groupby("Worker ID")["Career Track"].agg(
        lambda t: set(t) == {"Individual Contributor"})
    assert 100 < ic_only.sum() < len(ic_only)  # a real subset, not the whole sample


def test_every_analysis_runs_on_one_track(one_track):
    summary = _summary(one_track)
    assert list(summary["analyses"]) == ANALYSES
    for name, part in summary["analyses"].items():
        assert part["status"] == "computed", (name, part.get("reason"))
        assert part["headline"], name


@pytest.mark.parametrize("name", ANALYSES)
def test_every_ic_vs_m_headline_figure_is_blank_with_the_one_track_reason(one_track, name):
    part = _summary(one_track)["analyses"][name]
    stored = json.loads((one_track / f"{name}.json").read_text())
    assert [h["key"] for h in stored["headline"]] == [h["key"] for h in part["headline"]]
    wrong = []
    for h in part["headline"] + stored["headline"]:
        if h["key"] in WITHIN_TRACK_KEYS:
            continue
        blank = all(h[c] is None or math.isnan(h[c]) for c in ("estimate", "ci_lower",
                                                               "ci_upper"))
        if not (blank and h["status"] in ("not estimable", "not computed")
                and ONE_TRACK in h["reason"]):
            wrong.append((h["key"], h["estimate"], h["status"], h["reason"]))
    assert not wrong, wrong


def _is_comparison(frame: pd.DataFrame) -> pd.Series:
    """Rows of a table that compare IC with M."""
    def counterpart(col: str) -> str:
        return "_".join("m" if part == "ic" else part for part in col.split("_"))

    pairs = [c for c in frame.columns
             if "ic" in c.split("_") and counterpart(c) in frame.columns]
    if pairs:  # n_ic / n_m, events_ic / events_m, top_ic_grade / top_m_grade, ...
        return pd.Series(True, index=frame.index)
    text = frame.select_dtypes(exclude="number").astype(str)
    mask = pd.Series(False, index=frame.index)
    for label in COMPARISON_LABELS:
        mask |= text.apply(lambda col, lab=label: col.str.contains(lab, regex=False)).any(axis=1)
    return mask


def test_no_csv_holds_an_ic_vs_m_estimate(one_track):
    found = []
    for path in sorted(one_track.rglob("*.csv")):
        if path.name in DESIGNED_ONLY or path.name == "data_quality.csv":
            continue
        try:
            frame = pd.read_csv(path)
        except pd.errors.EmptyDataError:  # a table with no columns holds no figure
            continue
        if frame.empty:
            continue
        rows = frame.loc[_is_comparison(frame)]
        values = [c for c in ("estimate", "ci_lower", "ci_upper") if c in rows]
        shown = rows[values].notna().any(axis=1) if values else pd.Series(False, rows.index)
        if shown.any():
            found.append((path.name, rows.loc[shown].head(3).to_dict("records")))
        if "reason" in rows:
            blank = (rows["estimate"].isna() if "estimate" in rows
                     else pd.Series(True, index=rows.index))
            assert rows.loc[blank, "reason"].str.startswith("not estimable").all(), path.name
    assert not found, found


def test_the_cox_track_term_is_blank_with_its_reason(one_track):
    cox = pd.read_csv(one_track / "tables" / "attrition__cox.csv", keep_default_na=False)
    track = cox.loc[cox["term"] == "track: IC vs M"].iloc[0]
    assert track["estimate"] == "" and track["ci_lower"] == "" and track["ci_upper"] == ""
    assert track["reason"] == f"not estimable: {ONE_TRACK}"
    others = cox.loc[cox["term"] != "track: IC vs M"]
    assert len(others) and (others["reason"] == "").all()
    assert pd.to_numeric(others["estimate"]).gt(0).all()


def test_the_parts_that_compare_tracks_say_why_in_the_notes(one_track):
    summary = _summary(one_track)["analyses"]
    expected = {
        "pay_parity": {"by_grade", "adjusted", "sensitivity", "decomposition", "remediation"},
        "attrition": {"rate_ratio", "rate_ratio_by", "post_switch"},
    }
    for name, parts in expected.items():
        noted = {n["part"] for n in summary[name]["notes"]
                 if n["kind"] == "not computed" and n["text"] == ONE_TRACK}
        assert noted == parts, name
        for part in parts:
            assert not (one_track / "tables" / f"{name}__{part}.csv").exists(), (name, part)


def test_every_within_track_figure_is_there(one_track):
    for name in ("attrition__rates", "attrition__rates_by", "attrition__over_time",
                 "attrition__turnover", "attrition__retention", "attrition__regretted",
                 "attrition__cox", "pay_parity__distribution", "eu_pay_transparency__pay_gaps",
                 "pay_parity__ceilings", "time_to_promotion__incidence"):
        frame = pd.read_csv(one_track / "tables" / f"{name}.csv")
        assert len(frame), name
        if "track" in frame and name != "pay_parity__ceilings":
            assert set(frame["track"].dropna().astype(str)) <= {"IC", "all"}, name
    # the M ladder as designed is still in the ladder file: its top is shown, no pay at it
    ceilings = pd.read_csv(one_track / "tables" / "pay_parity__ceilings.csv").set_index("track")
    assert ceilings.loc["M", ["estimate", "top_grade_realised"]].isna().all()
    # and no finding compares the IC ceiling with a track nobody is on
    parity_notes = _summary(one_track)["analyses"]["pay_parity"]["notes"]
    assert not [n for n in parity_notes if n["kind"] == "finding" and "ceiling" in n["text"]]
    assert [n for n in parity_notes if n["part"] == "ceilings" and ONE_TRACK in n["text"]]
    assert ceilings.loc["IC", "estimate"] > 0
    rates = pd.read_parquet(one_track / "data" / "attrition__rates.parquet")  # full precision
    ic = rates.loc[(rates["track"] == "IC") & (rates["kind"] == "voluntary")].iloc[0]
    assert ic["ci_lower"] < ic["estimate"] < ic["ci_upper"] and ic["events"] > 100
    retention = pd.read_csv(one_track / "tables" / "attrition__retention.csv")
    assert retention["estimate"].between(0, 1).all() and retention["estimate"].notna().any()
    eu = pd.read_csv(one_track / "tables" / "eu_pay_transparency__pay_gaps.csv")
    assert eu.loc[eu["scope"] == "IC", "estimate"].notna().any()
    assert eu.loc[eu["scope"] == "M", "estimate"].isna().all()
    head = {h["key"]: h for h in _summary(one_track)["analyses"]["attrition"]["headline"]}
    assert head["voluntary_exits_per_100py_ic"]["status"] == "descriptive"
    assert head["voluntary_exits_per_100py_ic"]["estimate"] == pytest.approx(ic["estimate"])
    management = _summary(one_track)["analyses"]["forced_management"]
    assert management["status"] == "computed"


# ------------------------------------------------------------------ the table of minimums


def test_the_minimums_are_one_table():
    assert set(MINIMUMS) == {"events_per_arm", "people_per_track", "residual_df", "clusters"}
    assert all(m.value >= 1 and m.rationale for m in MINIMUMS.values())
    from pathaudit.attrition._result import MIN_EVENTS

    assert MIN_EVENTS == MINIMUMS["events_per_arm"].value


def test_a_figure_below_a_minimum_is_not_estimable_with_the_shortfall():
    m = MINIMUMS["events_per_arm"].value
    assert information_shortfall({"events_per_arm": {"IC": m, "M": m}}) == ""
    why = information_shortfall({"events_per_arm": {"IC": m - 1, "M": 40}})
    assert why == (f"too little information: {m - 1} events on the IC side "
                   f"(minimum {m} events on each side)")
    row = headline_row("x", "X", "pay", estimate=0.01, ci_lower=-1.0, ci_upper=2.27e26,
                       information={"residual_df": 2, "clusters": 8})
    assert row["status"] == "not estimable" and row["reason"].startswith("too little")
    assert np.isnan([row["estimate"], row["ci_lower"], row["ci_upper"]]).all()
    # exactly at the minimum: judged as usual
    ok = headline_row("x", "X", "pay", estimate=0.01, ci_lower=0.0, ci_upper=0.02,
                      information={"residual_df": MINIMUMS["residual_df"].value})
    assert ok["status"] == "descriptive" and ok["estimate"] == 0.01
    # a missing count is not judged; an unknown minimum is an error
    assert information_shortfall({"clusters": float("nan")}) == ""
    with pytest.raises(ValueError, match="minimums are"):
        information_shortfall({"people": 3})


# ------------------------------------------------------------------ ten people

IC, M = "Individual Contributor", "People Manager"
TEN = [
    # id, hire, termination, reason, gender, job records (date, track, level, pay, unit)
    ("E01", "2019-02-01", "", "", "Female",
     [("2019-02-01", IC, "IC4", 60000, "Data"), ("2021-04-01", IC, "IC5", 70000, "Data")]),
    ("E02", "2019-05-01", "2023-06-30", "Resignation", "Male",
     [("2019-05-01", IC, "IC4", 61000, "Search")]),
    ("E03", "2020-01-15", "", "", "Female", [("2020-01-15", IC, "IC5", 71000, "Search")]),
    ("E04", "2020-06-01", "", "", "Male",
     [("2020-06-01", IC, "IC4", 59000, "Data"), ("2022-07-01", M, "M1", 66000, "Data")]),
    ("E05", "2021-03-01", "", "", "Female", [("2021-03-01", IC, "IC5", 72000, "Data")]),
    ("E06", "2019-01-10", "", "", "Male",
     [("2019-01-10", M, "M1", 65000, "Data"), ("2022-01-01", M, "M2", 76000, "Data")]),
    ("E07", "2019-09-01", "2024-03-31", "Resignation", "Female",
     [("2019-09-01", M, "M1", 64000, "Search")]),
    ("E08", "2020-03-01", "", "", "Male", [("2020-03-01", M, "M2", 77000, "Search")]),
    ("E09", "2020-11-01", "2022-12-31", "Dismissal", "Female",
     [("2020-11-01", M, "M1", 63000, "Data")]),
    ("E10", "2021-08-01", "", "", "Male", [("2021-08-01", M, "M2", 78000, "Search")]),
]
"""Ten people by hand: two grades, two units, one IC -> M switch, three leavers."""


def _ten_person_export(folder: Path, k: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    history = [("Worker ID,Effective Date,Career Track,Job Level,Annual Base Salary,"
                "Target Bonus,Annualised Equity,FTE %,Currency,Department,Job Family,"
                "Work Location,Manager Worker ID,Action Reason")]
    people = ["Worker ID,Hire Date,Termination Date,Termination Reason,Gender,Age Band,"
              "Preferred Career Path"]
    for pid, hire, term, why, gender, jobs in TEN:
        def dmy(d: str) -> str:
            return f"{d[8:]}/{d[5:7]}/{d[:4]}" if d else ""

        people.append(f"{pid},{dmy(hire)},{dmy(term)},{why},{gender},30-39,Technical expert")
        for date, track, level, pay, unit in jobs:
            history.append(f"{pid},{date},{track},{level},{pay},0,0,100,EUR,{unit},"
                           "Engineering,Berlin,,Hire")
    (folder / "history.csv").write_text("\n".join(history) + "\n")
    (folder / "people.csv").write_text("\n".join(people) + "\n")
    for name in ("ladder.csv", "bands.csv"):
        shutil.copy(SAMPLE / name, folder / name)
    lines = (SAMPLE / "map.toml").read_text().splitlines()
    lines = [ln for ln in lines if not ln.startswith(("ratings =", "adoption ="))]
    lines = [f"min_cell_size = {k}" if ln.startswith("min_cell_size") else ln for ln in lines]
    (folder / "map.toml").write_text("\n".join(lines) + "\n")
    return folder


RATIO_SPAN = 100.0
"""A ratio whose interval spans more than this factor says nothing a leader can use."""

DIFFERENCE_SPAN = 1.0
"""A gap or difference (proportion, log points) whose interval is wider than this, likewise."""


def _sensible(h: dict) -> str:
    """Why a judged headline figure is not a finite, sensible estimate ("" when it is)."""
    est, lo, hi = (h[c] for c in ("estimate", "ci_lower", "ci_upper"))
    if est is None or not math.isfinite(est):
        return "no finite estimate"
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return "" if h["status"] in ("descriptive", "flagged", "clear") else "no interval"
    if not lo <= est <= hi:
        return "estimate outside its interval"
    unit = h["unit"]
    if "ratio" in unit and (lo <= 0 or hi / lo > RATIO_SPAN):
        return f"ratio interval {lo:.3g} to {hi:.3g}"
    if unit in ("proportional gap", "log points", "difference in probability", "share",
                "probability") and hi - lo > DIFFERENCE_SPAN:
        return f"interval {lo:.3g} to {hi:.3g}"
    return ""


@pytest.mark.parametrize("k", [1, 5])
def test_ten_people_no_headline_figure_has_an_absurd_interval(tmp_path, k):
    data = _ten_person_export(tmp_path / "data", k)
    out = tmp_path / "out"
    assert main(["audit", str(data), "--map", str(data / "map.toml"), "--out", str(out)]) == 0
    summary = _summary(out)
    assert list(summary["analyses"]) == ANALYSES
    bad = []
    for name, part in summary["analyses"].items():
        assert part["status"] == "computed", name
        for h in part["headline"]:
            if h["status"] in ("not estimable", "not computed"):
                if not h["reason"]:
                    bad.append((name, h["key"], "no reason"))
                continue
            why = _sensible(h)
            if why:
                bad.append((name, h["key"], h["status"], why))
    assert not bad, bad


def test_ten_people_the_pay_gap_is_not_estimable_below_the_minimums(tmp_path):
    import pathaudit
    from pathaudit.audit import run_audit

    folder = _ten_person_export(tmp_path / "data", 1)
    out = tmp_path / "out"
    summary = run_audit(pathaudit.load(folder, folder / "map.toml"), out,
                        analyses=["pay_parity"])
    head = {h["key"]: h for h in summary["analyses"]["pay_parity"]["headline"]}
    for key in ("adjusted_gap_base", "unexplained_log_gap", "remediation_cost_min_cost"):
        assert head[key]["status"] == "not estimable", key
        assert "too little information" in head[key]["reason"], key
        assert head[key]["estimate"] is None or math.isnan(head[key]["estimate"]), key
    # three ICs and four managers employed at the end: below the people-per-track minimum
    assert "3 people on the IC side" in head["adjusted_gap_base"]["reason"]
    # the table keeps the fit, with its residual degrees of freedom, for the record
    adjusted = pd.read_csv(out / "tables" / "pay_parity__adjusted.csv")
    overall = adjusted.loc[(adjusted["component"] == "base") & (adjusted["scope"] == "overall")]
    assert overall["df_resid"].iloc[0] < MINIMUMS["residual_df"].value
    # the sensitivity to the grade equivalence rests on the same few people: each shift
    # keeps its counts and says why, with no estimate or interval (it read -1 to 2e26)
    sens = pd.read_csv(out / "tables" / "pay_parity__sensitivity.csv")
    assert len(sens) == 3
    assert sens["reason"].str.startswith("too little information").all()
    assert sens[["estimate", "ci_lower", "ci_upper", "p_value"]].isna().all().all()
    assert (sens["n"] == sens["n_ic"] + sens["n_m"]).all()
    # and no finding claims a gap the data cannot support
    notes = [n["text"] for n in summary["analyses"]["pay_parity"]["notes"]
             if n["kind"] == "finding"]
    assert not any("Adjusted IC vs M gap" in t for t in notes)
