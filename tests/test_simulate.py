"""The simulated organisation: its data recover its configured hazards, and its truth is right.

Recovery is checked within 3 Monte-Carlo standard errors on one moderately large
organisation (fixed seed); the truth's cumulative-incidence machinery is checked
against a brute-force Monte Carlo of the hazard chain, with real month lengths and
uniform event days.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from compare import assert_same_file

from pathaudit.io import schema
from pathaudit.simulate import (
    SAMPLE_SEED,
    cached_organisations,
    simulate,
    write_sample,
)
from pathaudit.simulate.config import (
    NEVER,
    PROMOTION,
    SimConfig,
    broken,
    default,
    healthy,
    monthly_hazards,
    small,
)
from pathaudit.simulate.truth import (
    promotion_cif_target,
    smooth_cif,
    stall_thresholds,
    switch_back_cif_target,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
YEAR = 365.25


@pytest.fixture(scope="module")
def big():
    """About 15,000 people ever employed over 8 years (default parameters otherwise)."""
    return simulate(default().replace(initial_headcount=6000, target_headcount=6400), seed=11)


@pytest.fixture(scope="module")
def tiny():
    return simulate(small(), seed=7)


def _current(sim) -> pd.DataFrame:
    """Last record of each person employed on as-of, with hire date and gender."""
    h, p = sim.tables["history"], sim.tables["people"]
    now = p.loc[p["termination_date"].isna(), ["employee_id", "episode", "hire_date", "gender"]]
    last = h.groupby("employee_id", sort=False).tail(1)
    cur = last.merge(now, on=["employee_id", "episode"], validate="one_to_one")
    cur["tenure_years"] = (sim.extract_date - cur["hire_date"]).dt.days / YEAR
    return cur


# ----------------------------------------------------------------------- tables and bytes


def test_tables_have_exactly_the_canonical_columns(tiny):
    t = tiny.tables
    derived = [c.name for c in schema.HISTORY_DERIVED]
    assert list(t["history"].columns) == schema.column_names("history") + derived
    assert list(t["people"].columns) == schema.column_names("people") + ["episode", "row"]
    assert list(t["ladder"].columns) == schema.column_names("ladder")
    for name in ("bands", "ratings", "adoption"):
        assert list(t[name].columns) == schema.column_names(name) + ["row"]
    assert list(t["snapshot"].columns) == schema.column_names("snapshot")
    h = t["history"]
    assert set(h["track"]) == {"IC", "M"}
    assert not h.duplicated(["employee_id", "effective_date"]).any()
    assert (h["row"].to_numpy() == np.arange(1, len(h) + 1)).all()
    assert h["effective_date"].max() <= tiny.extract_date
    assert str(h["grade"].dtype) == "Int64" and h["pay"].gt(0).all()
    p = t["people"]
    assert set(p["termination_type"].dropna()) <= set(schema.TERMINATION_TYPES)
    assert (p["termination_date"].isna() | (p["termination_date"] >= p["hire_date"])).all()
    # every record lies within an employment episode of its person
    m = h.merge(p, on=["employee_id", "episode"], validate="many_to_one")
    end = m["termination_date"].fillna(tiny.extract_date + pd.Timedelta(days=1))
    assert ((m["effective_date"] >= m["hire_date"]) & (m["effective_date"] < end)).all()
    snap = t["snapshot"]
    assert len(snap) == p["employee_id"].nunique()
    assert set(snap["left"]) == {"true", "false"}


def test_a_few_people_are_rehired(big):
    p = big.tables["people"]
    rehired = p.groupby("employee_id")["episode"].max()
    assert 0.005 < (rehired > 0).mean() < 0.05
    assert (p["episode"] <= 2).all()
    h = big.tables["history"]
    assert (h.loc[h["reason"] == "Rehire", "episode"] > 0).all()


def test_data_is_an_auditdata_with_the_export_dates(tiny):
    d = tiny.data
    assert d.extract_date == d.as_of == pd.Timestamp("2023-12-31")
    assert d.history_start == pd.Timestamp("2018-01-01")
    assert len(d.history) == len(tiny.tables["history"])
    assert d.adoption is not None and len(d.adoption) == 3


def test_same_seed_same_bytes_and_cells(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    simulate(small(), seed=3).write(a)
    simulate(small(), seed=3).write(b)
    csvs = sorted(p.name for p in a.glob("*.csv"))
    assert {"history.csv", "people.csv", "snapshot.csv", "ladder.csv"} <= set(csvs)
    parquet = sorted(p.name for p in a.glob("*.parquet"))
    assert len(parquet) == 6
    for name in [*csvs, *parquet, "export.xlsx", "map.toml", "map_snapshot.toml",
                 "map_xlsx.toml", "map_parquet.toml", "truth.json"]:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for name in ("history", "people", "ratings"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(a / f"{name}.parquet"), pd.read_parquet(b / f"{name}.parquet")
        )
    xa = pd.read_excel(a / "export.xlsx", sheet_name=None, engine="calamine")
    xb = pd.read_excel(b / "export.xlsx", sheet_name=None, engine="calamine")
    assert xa.keys() == xb.keys()
    for sheet in xa:
        pd.testing.assert_frame_equal(xa[sheet], xb[sheet])
    other = tmp_path / "c"
    simulate(small(), seed=4).write(other, formats=("csv",))
    assert (other / "history.csv").read_bytes() != (a / "history.csv").read_bytes()


def test_exports_use_non_canonical_names_and_labels(tmp_path):
    simulate(small(), seed=3).write(tmp_path, formats=("csv", "snapshot"))
    hist = pd.read_csv(tmp_path / "history.csv", dtype=str)
    assert "Worker ID" in hist.columns and "employee_id" not in hist.columns
    assert set(hist["Career Track"]) == {"Individual Contributor", "People Manager"}
    people = pd.read_csv(tmp_path / "people.csv", dtype=str)
    assert set(people["Termination Reason"].dropna()) <= {
        "Resignation", "Dismissal", "Redundancy", "Retirement"}
    assert people["Hire Date"].str.match(r"\d\d/\d\d/\d{4}$").all()
    text = (tmp_path / "map_snapshot.toml").read_text()
    assert 'kind = "snapshot"' in text


def test_invalid_config_is_refused():
    with pytest.raises(ValueError, match="one entry per unit"):
        SimConfig(adoption_months=(None,))
    with pytest.raises(ValueError, match="first day of a month"):
        SimConfig(start="2018-01-15")


# ----------------------------------------------------------------------- recovery of the hazards


def test_events_match_the_sum_of_hazards(big):
    r = big.risk
    for name in ("promotion", "switch_to_M", "switch_to_IC", "exit_voluntary",
                 "exit_involuntary", "exit_other"):
        expected = r[f"expected_{name}"].sum()
        observed = r[f"events_{name}"].sum()
        assert abs(observed - expected) <= 3 * np.sqrt(expected), name


def test_realised_exit_rates_match_the_truth(big):
    ex = big.true_spells
    py = big.truth["attrition"]["person_years"]
    for kind in ("voluntary", "involuntary"):
        for track in ("IC", "M"):
            n = int(((ex["end_reason"] == f"exit_{kind}") & (ex["track"] == track)).sum())
            rate = big.truth["attrition"]["rate_per_100py"][kind][track]
            expected = rate * py[track] / 100
            assert abs(n - expected) <= 3 * np.sqrt(expected), (kind, track)


def test_person_years_match_the_employed_days(big):
    sp = big.true_spells
    days = (sp["stop"] - sp["start"]).dt.days.groupby(sp["track"]).sum()
    py = big.truth["attrition"]["person_years"]
    for track in ("IC", "M"):
        assert py[track] == pytest.approx(days[track] / YEAR, rel=1e-9)


def _poisson_fit(frame: pd.DataFrame, event: str, columns: list[str]):
    X = sm.add_constant(frame[columns].astype(float))
    return sm.GLM(frame[f"events_{event}"], X, family=sm.families.Poisson(),
                  offset=np.log(frame["person_months"])).fit()


def test_voluntary_exit_hazard_ratios_and_adoption_effect(big):
    c = big.config
    r = big.risk.assign(
        ic=lambda d: (d["track"] == "IC").astype(float),
        ic_stalled=lambda d: ((d["track"] == "IC") & d["stalled"]).astype(float),
    )
    fit = _poisson_fit(r, "exit_voluntary", ["ic", "ic_stalled", "post_switch", "adopted"])
    targets = {
        "ic": c.voluntary_hr_ic,
        "ic_stalled": c.stall_exit_hr,
        "post_switch": c.voluntary_hr_ic * c.post_switch_exit_hr,
        "adopted": c.adoption_hr,
    }
    for name, hr in targets.items():
        z = (fit.params[name] - np.log(hr)) / fit.bse[name]
        assert abs(z) <= 3, (name, np.exp(fit.params[name]), hr)


def test_switch_hazard_ratios(big):
    c = big.config
    r = big.risk.loc[(big.risk["track"] == "IC") & big.risk["grade"].between(4, 7)]
    r = r.loc[r["person_months"] > 0]
    grade = pd.get_dummies(r["grade"], prefix="g", drop_first=True, dtype=float)
    frame = pd.concat([r, grade], axis=1)
    fit = _poisson_fit(frame, "switch_to_M", ["stalled", "female", *grade.columns])
    for name, hr in (("stalled", c.stall_switch_hr), ("female", c.switch_hr_female)):
        assert abs((fit.params[name] - np.log(hr)) / fit.bse[name]) <= 3, name


def test_promotion_hazard_ratio_is_the_configured_one(big):
    c = big.config
    sp = big.true_spells.loc[big.true_spells["below_top"]]
    last = np.where(sp["end_reason"] == "censored", c.n_months - 1 - sp["start_month"],
                    sp["end_month"] - sp["start_month"])
    at_risk = np.maximum(last - c.promotion_min_months, 0)
    promoted = (sp["end_reason"] == "promotion") & (last > c.promotion_min_months)
    agg = pd.DataFrame({"grade": sp["grade"], "ic": (sp["track"] == "IC").astype(float),
                        "person_months": at_risk, "events_promotion": promoted.astype(float)})
    agg = agg.groupby(["grade", "ic"], as_index=False).sum()
    agg = agg.loc[agg["grade"].isin(agg.loc[agg["ic"] == 0, "grade"])
                  & agg["grade"].isin(agg.loc[agg["ic"] == 1, "grade"])]
    grade = pd.get_dummies(agg["grade"], prefix="g", drop_first=True, dtype=float)
    fit = _poisson_fit(pd.concat([agg, grade], axis=1), "promotion", ["ic", *grade.columns])
    z = (fit.params["ic"] - np.log(c.promotion_hr_ic)) / fit.bse["ic"]
    assert abs(z) <= 3
    # and the rate of the M track at grade 5 is the configured monthly hazard
    m5 = agg.loc[(agg["grade"] == 5) & (agg["ic"] == 0)].iloc[0]
    h = c.promotion_hazard[5]
    assert abs(m5["events_promotion"] - h * m5["person_months"]) <= 3 * np.sqrt(
        h * m5["person_months"])


# ----------------------------------------------------------------------- pay


def _pay_design(cur: pd.DataFrame, interactions: bool = False) -> pd.DataFrame:
    grade = cur["grade"].astype(int)
    is_ic = (cur["track"] == "IC").astype(float)
    parts = [pd.get_dummies(grade, prefix="grade", drop_first=True, dtype=float)]
    if interactions:
        both = [g for g in sorted(grade.unique()) if cur.loc[grade == g, "track"].nunique() == 2]
        parts.append(pd.DataFrame({f"ic_{g}": is_ic * (grade == g) for g in both}))
    else:
        parts.append(is_ic.rename("is_ic"))
    parts.append(cur["tenure_years"].rename("tenure"))
    for col in ("job_family", "location", "gender"):
        parts.append(pd.get_dummies(cur[col].astype(str), prefix=col, drop_first=True,
                                    dtype=float))
    return sm.add_constant(pd.concat(parts, axis=1))


def test_adjusted_pay_gap_truth_is_the_regression_target(big):
    cur = _current(big)
    assert len(cur) == big.truth["pay"]["n"]
    fit = sm.OLS(np.log(cur["pay"].to_numpy()), _pay_design(cur)).fit()
    truth = big.truth["pay"]
    assert abs(fit.params["is_ic"] - np.log1p(truth["adjusted_gap"])) <= 3 * fit.bse["is_ic"]
    fit_g = sm.OLS(np.log(cur["pay"].to_numpy()), _pay_design(cur, interactions=True)).fit()
    for g, gap in truth["adjusted_gap_by_grade"].items():
        name = f"ic_{g}"
        assert abs(fit_g.params[name] - np.log1p(gap)) <= 3 * fit_g.bse[name], g


def test_pay_penalty_is_recovered_when_nothing_else_differs_by_track():
    config = small(
        initial_headcount=1500, target_headcount=1600, adoption_months=(None,) * 4,
        switch_raise=0.0, gender_gap_ic=0.03, gender_gap_m=0.03,
    )
    sim = simulate(config, seed=5)
    assert sim.truth["pay"]["adjusted_gap"] == pytest.approx(-config.ic_pay_penalty, abs=0.003)
    cur = _current(sim)
    fit = sm.OLS(np.log(cur["pay"].to_numpy()), _pay_design(cur)).fit()
    assert abs(fit.params["is_ic"] - np.log1p(-config.ic_pay_penalty)) <= 3 * fit.bse["is_ic"]


def test_switch_premium_truth_matches_realised_pay_changes(big):
    h = big.tables["history"]
    prev_pay = h.groupby(["employee_id", "episode"])["pay"].shift()
    prev_track = h.groupby(["employee_id", "episode"])["track"].shift()
    prev_grade = h.groupby(["employee_id", "episode"])["grade"].shift()
    change = h["pay"] / prev_pay - 1
    switch = (h["track"] == "M") & (prev_track == "IC")
    promo = (h["track"] == "IC") & (prev_track == "IC") & (h["grade"] > prev_grade) & (
        prev_grade >= big.config.m_grades[0])
    a, b = change[switch].to_numpy(), change[promo].to_numpy()
    premium = np.median(a) - np.median(b)
    se = 1.2533 * np.hypot(a.std() / np.sqrt(a.size), b.std() / np.sqrt(b.size))
    assert abs(premium - big.truth["management"]["switch_premium"]) <= 3 * se
    assert big.truth["management"]["median_pay_change_ic_promotion"] == pytest.approx(
        big.config.band_mid_step, abs=0.005)


def test_gender_gap_truth_matches_mean_pay(big):
    cur = _current(big)
    eu = big.truth["pay"]["eu_gender_gap"]["IC"]
    for g in ("3", "4"):
        sel = cur.loc[(cur["track"] == "IC") & (cur["grade"] == int(g))]
        men = sel.loc[sel["gender"] == "Male", "pay"]
        women = sel.loc[sel["gender"] == "Female", "pay"]
        gap = (men.mean() - women.mean()) / men.mean()
        se = np.hypot(men.std() / np.sqrt(len(men)), women.std() / np.sqrt(len(women)))
        assert abs(gap - eu[g]) <= 3 * se / men.mean(), g


# ----------------------------------------------------------------------- cumulative incidence


def _direct_monte_carlo(config: SimConfig, stall: np.ndarray, *, track: int, grade: int,
                        female: bool, n: int, seed: int) -> np.ndarray:
    """Durations (years) to promotion of ``n`` spells simulated straight from the hazards.

    Returns the duration for promoted spells and ``inf`` for any other end. Spells start on
    a uniform day of a uniformly chosen calendar month; events fall on uniform days of
    later months of their real length.
    """
    rng = np.random.default_rng(seed)
    months = np.arange(np.datetime64("2000-01"), np.datetime64("2030-01"))
    starts = months.astype("datetime64[D]").astype(np.int64)
    length = np.diff(np.append(starts, np.datetime64("2030-01-01").astype(np.int64)))
    m0 = rng.integers(0, 240, n)
    day0 = starts[m0] + rng.integers(0, length[m0])
    K = 61
    H = monthly_hazards(config, track=track, grade=grade, months_in_level=np.arange(1, K + 1),
                        since_switch=NEVER, female=female, adopted=False, stall_months=stall)
    cum = np.cumsum(H, axis=1)
    out = np.full(n, np.inf)
    alive = np.ones(n, dtype=bool)
    for k in range(1, K + 1):
        idx = np.flatnonzero(alive)
        u = rng.random(idx.size)
        ev = (u[:, None] >= cum[k - 1]).sum(axis=1)
        hit = idx[ev < 6]
        alive[hit] = False
        prom = idx[ev == PROMOTION]
        m = m0[prom] + k
        out[prom] = (starts[m] + rng.integers(0, length[m]) - day0[prom]) / YEAR
    return out


@pytest.mark.parametrize("track,grade,female", [(0, 2, False), (0, 5, True), (1, 6, False)])
def test_cif_recursion_matches_a_direct_monte_carlo(track, grade, female):
    config = default()
    stall = stall_thresholds(config)
    n = 200_000
    dur = _direct_monte_carlo(config, stall, track=track, grade=grade, female=female, n=n,
                              seed=grade)
    spells = pd.DataFrame({"track": [track], "grade": [grade], "start_month": [0],
                           "unit": [0], "female": [female], "switch_month": [-NEVER]})
    target = promotion_cif_target(config.replace(adoption_months=(None,) * 8, years=8),
                                  stall, spells)
    for y in (1, 2, 3, 5):
        empirical = (dur <= y).mean()
        se = np.sqrt(target[str(y)] * (1 - target[str(y)]) / n)
        assert abs(empirical - target[str(y)]) <= 3 * se + 5e-4, y


def test_smoothing_is_the_uniform_day_convolution():
    f = np.zeros(12)
    f[2] = 1.0  # every event in month 3
    assert smooth_cif(f, [2.0, 3.0, 4.0]) == pytest.approx([0.0, 0.5, 1.0])
    assert smooth_cif(f, [2.5])[0] == pytest.approx(0.125)


def test_cif_truth_matches_the_simulated_spells(big):
    c = big.config
    sp = big.true_spells
    sp = sp.loc[sp["below_top"] & (sp["start_month"] <= c.n_months - 1 - 36)]
    stall = np.asarray(big.truth["config"]["stall_months_used"])
    dur = (sp["stop"] - sp["start"]).dt.days / YEAR
    promoted = sp["end_reason"] == "promotion"
    for track in ("IC", "M"):
        part = sp["track"] == track
        target = promotion_cif_target(c, stall, sp.loc[part], years=(1, 2, 3))
        for y in (1, 2, 3):
            emp = (promoted & part & (dur <= y)).sum() / part.sum()
            se = np.sqrt(target[str(y)] * (1 - target[str(y)]) / part.sum())
            assert abs(emp - target[str(y)]) <= 3 * se, (track, y)


def test_switch_back_truth_matches_the_simulated_switches(big):
    sp = big.true_spells
    key = sp["employee_id"] + "/" + sp["episode"].astype(str)
    is_switch = sp["end_reason"] == "switch_to_M"
    switches = pd.DataFrame({
        "key": key, "t": sp["stop"], "month": sp["end_month"], "org_unit": sp["org_unit"],
        "female": sp["female"], "grade": sp["grade"],
    }).loc[is_switch]
    ends = pd.DataFrame({"key": key, "t_end": sp["stop"], "how": sp["end_reason"]}).loc[
        sp["end_reason"].isin(["switch_to_IC", "exit_voluntary", "exit_involuntary",
                               "exit_other", "censored"])]
    got = pd.merge_asof(switches.sort_values("t"), ends.sort_values("t_end"), left_on="t",
                        right_on="t_end", by="key", direction="forward",
                        allow_exact_matches=False)
    got = got.loc[got["month"] <= big.config.n_months - 1 - 25]  # followed 24 months or more
    back = (got["how"] == "switch_to_IC") & ((got["t_end"] - got["t"]).dt.days <= 2 * YEAR)
    stall = np.asarray(big.truth["config"]["stall_months_used"])
    target = switch_back_cif_target(big.config, stall, got)
    se = np.sqrt(target * (1 - target) / len(got))
    assert abs(back.mean() - target) <= 3 * se
    all_switches = switch_back_cif_target(big.config, stall, switches)
    assert all_switches == pytest.approx(big.truth["management"]["switch_back_cif_24m"])


def test_stall_threshold_is_the_domain_definition():
    config = default()
    tau = stall_thresholds(config)
    lo, top = config.ic_grades
    for g in range(lo, top):
        k = np.arange(1, config.n_months + 1)
        F = 0.0
        for female, w in ((True, config.female_share_ic), (False, 1 - config.female_share_ic)):
            H = monthly_hazards(config, track=0, grade=g, months_in_level=k, since_switch=NEVER,
                                female=female, adopted=False, stall_months=tau)
            S = np.concatenate([[1.0], np.cumprod(1 - H.sum(axis=1))[:-1]])
            f = S * H[:, PROMOTION]
            F = F + w * smooth_cif(f, [tau[g], tau[g] - 0.5, float(config.n_months)])
        level = 0.5 if F[2] >= 0.5 else 0.75 * F[2]
        # a fixed point up to the 0.05-month search grid
        assert F[0] >= level - 1e-4 and F[1] < level, g
    assert (tau[top:] == tau[top - 1]).all()


# ----------------------------------------------------------------------- presets and truth keys


def test_truth_has_the_documented_keys(tiny):
    t = tiny.truth
    for key in ("config", "seed", "realised", "pay", "promotion", "attrition", "management",
                "study"):
        assert key in t
    assert set(t["pay"]) >= {"adjusted_gap", "adjusted_gap_by_grade", "penalty", "eu_gender_gap"}
    assert set(t["promotion"]) >= {"hr_ic_vs_m", "cif", "cif_3y_diff"}
    assert set(t["promotion"]["cif"]["IC"]["2"]) == {"1", "2", "3", "5"}
    assert set(t["attrition"]["rate_per_100py"]) >= {"voluntary", "involuntary"}
    assert set(t["management"]) >= {
        "switch_premium", "stall_switch_hr", "switch_back_cif_24m", "post_switch_exit_hr",
        "nominal_manager_share", "top_ic_grade", "top_m_grade"}
    assert t["study"]["adoption_hr"] == tiny.config.adoption_hr
    docs = (ROOT / "docs" / "simulation.md").read_text()
    for key in ("adjusted_gap_by_grade", "eu_gender_gap", "cif_3y_diff", "rate_ratio_voluntary",
                "switch_back_cif_24m", "nominal_manager_share", "adoption_hr", "stall_switch_hr"):
        assert f"`{key}`" in docs
    json.dumps(t)  # plain JSON types only


def test_healthy_has_no_track_differences_and_broken_has_them():
    h = simulate(healthy(initial_headcount=400, target_headcount=420), seed=2).truth
    # nothing in pay depends on track; the target is not exactly 0 only because the design
    # takes tenure as linear while pay rises in annual steps
    assert h["pay"]["adjusted_gap"] == pytest.approx(0.0, abs=0.002)
    # equal hazards; not exactly 1 only because nobody leaves in their month of hire, and
    # the tracks' shares of person-time in a hire month differ a little
    assert h["attrition"]["rate_ratio_voluntary"] == pytest.approx(1.0, abs=0.01)
    assert h["study"]["att_voluntary_per_100py"] == pytest.approx(0.0, abs=1e-12)
    assert h["management"]["top_ic_grade"] == h["management"]["top_m_grade"]
    b = simulate(broken(initial_headcount=400, target_headcount=420), seed=2).truth
    assert b["management"]["top_ic_grade"] < b["management"]["top_m_grade"]
    assert b["pay"]["adjusted_gap"] < -0.05
    assert b["attrition"]["rate_ratio_voluntary"] > 1.2
    assert b["management"]["switch_premium"] > 0.05


def test_team_takeover_and_switcher_preference_state_their_process_probability():
    """The truth of the nominal-manager share and the preference mismatch is the probability
    the simulator draws from; the realised shares agree within 3 binomial standard errors."""
    from pathaudit.management import nominal_managers, preference_mismatch

    cfg = default().replace(initial_headcount=3000, target_headcount=3200,
                            team_takeover_reports=3, nominal_manager_share=0.2,
                            prefer_m_switcher=0.9)
    sim = simulate(cfg, seed=5)
    t = sim.truth["management"]
    assert t["nominal_manager_share"] == 0.2
    # hired managers answer M with 0.75, switchers with 0.9: the truth lies between
    assert 0.1 < t["preference_mismatch_share"] < 0.25
    for est, key in ((nominal_managers(sim.data), "nominal_manager_share"),
                     (preference_mismatch(sim.data), "preference_mismatch_share")):
        row = est.table.loc[est.table["measure"] == "share"].iloc[0]
        assert row["estimate"] == pytest.approx(t[f"{key}_realised"], abs=0.002)
        se = np.sqrt(t[key] * (1 - t[key]) / row["n"])
        assert abs(row["estimate"] - t[key]) <= 3 * se, (key, row["estimate"], t[key])
    # a take-over moves people on dates of their own: never two records on one date
    assert not sim.tables["history"].duplicated(["employee_id", "effective_date"]).any()
    # the healthy preset: no nominal manager by design, 15% state an IC preference
    h = simulate(healthy(initial_headcount=400, target_headcount=420), seed=2).truth
    assert h["management"]["nominal_manager_share"] == 0.0
    assert h["management"]["nominal_manager_share_realised"] < 0.03
    assert h["management"]["preference_mismatch_share"] == pytest.approx(0.15)


def test_parameters_added_after_the_sample_are_written_only_when_set():
    # the sample's configuration keeps its key and its truth.json
    sample_key = json.loads((SAMPLE / "truth.json").read_text())["config_key"]
    assert default().key() == sample_key
    assert "team_takeover_reports" not in default().to_dict()
    assert "prefer_m_switcher" not in small().to_dict()
    h = healthy().to_dict()
    assert h["team_takeover_reports"] == 3 and h["prefer_m_switcher"] == 0.85
    with pytest.raises(ValueError, match="prefer_m_switcher"):
        small(prefer_m_switcher=1.5)
    with pytest.raises(ValueError, match="team_takeover_reports"):
        small(team_takeover_reports=-1)


def test_small_is_about_300_people(tiny):
    assert 250 <= tiny.truth["realised"]["people_ever"] <= 380
    assert tiny.config.years == 6


def test_delayed_entry_keeps_the_job_in_force_dated_at_its_start():
    sim = simulate(small(history_start_months=24), seed=9)
    hs = sim.history_start
    assert hs == pd.Timestamp("2020-01-01")
    h, p = sim.tables["history"], sim.tables["people"]
    assert (p["termination_date"].isna() | (p["termination_date"] >= hs)).all()
    early = h.loc[h["effective_date"] < hs]
    assert not early.duplicated(["employee_id", "episode"]).any()
    assert len(early) > 0
    assert (sim.tables["ratings"]["rating_date"] >= hs).all()
    assert sim.truth["promotion"]["cif"]["IC"]


def test_cached_organisations_are_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("PATHAUDIT_CACHE", str(tmp_path))
    first = cached_organisations(3, seed0=500)
    files = sorted((tmp_path / "sim").rglob("seed-*.pkl"))
    assert [f.name for f in files] == ["seed-500.pkl", "seed-501.pkl", "seed-502.pkl"]
    stamp = [f.stat().st_mtime_ns for f in files]
    again = cached_organisations(3, seed0=500)
    assert [f.stat().st_mtime_ns for f in files] == stamp
    assert [s.seed for s in again] == [500, 501, 502]
    for a, b in zip(first, again, strict=True):
        assert a.truth == b.truth
        pd.testing.assert_frame_equal(a.tables["history"], b.tables["history"])
    assert again[0].data.people.shape == first[0].tables["people"].shape


# ----------------------------------------------------------------------- the shipped sample


def test_sample_is_what_the_documented_command_writes(tmp_path):
    sim = write_sample(tmp_path, seed=SAMPLE_SEED)
    for name in ("history.csv", "people.csv", "ladder.csv", "bands.csv", "ratings.csv",
                 "adoption.csv", "snapshot.csv", "export.xlsx", "map.toml", "map_snapshot.toml",
                 "map_xlsx.toml", "truth.json", "README.md"):
        # floats to 1e-9 relative (the last digits vary with BLAS and library versions);
        # text, IDs, dates and the maps exactly
        assert_same_file(SAMPLE / name, tmp_path / name)
    assert "python -m pathaudit.simulate --out data/sample --seed 2024" in (
        SAMPLE / "README.md").read_text()
    assert 1800 <= sim.truth["realised"]["people_ever"] <= 2300
    assert sum(p.stat().st_size for p in SAMPLE.iterdir()) < 5_000_000


@pytest.mark.parametrize("map_name", ["map.toml", "map_xlsx.toml"])
def test_sample_loads_cleanly_through_the_loader(map_name):
    from pathaudit.io import load

    data = load(SAMPLE, SAMPLE / map_name)
    assert data.quality.fatal == []
    assert data.quality.to_frame().query("action in ['excluded', 'repaired']").empty
    sim = simulate(default(), seed=SAMPLE_SEED)
    for name in ("history", "people", "ladder", "bands", "ratings", "adoption"):
        pd.testing.assert_frame_equal(getattr(data, name), sim.tables[name], obj=name)


def test_sample_snapshot_loads_through_the_loader():
    from pathaudit.io import load

    data = load(SAMPLE, SAMPLE / "map_snapshot.toml")
    assert data.is_snapshot
    truth = json.loads((SAMPLE / "truth.json").read_text())
    assert len(data.snapshot) == truth["realised"]["people_ever"]
    assert set(data.snapshot["left"]) == {"true", "false"}
    assert data.quality.fatal == []


def test_parquet_export_loads_to_the_same_tables(tmp_path):
    from pathaudit.io import load

    sim = simulate(small(), seed=3)
    sim.write(tmp_path, formats=("parquet",))
    data = load(tmp_path, tmp_path / "map_parquet.toml")
    assert data.quality.fatal == []
    for name in ("history", "people", "ladder", "bands", "ratings", "adoption"):
        pd.testing.assert_frame_equal(getattr(data, name), sim.tables[name], obj=name)
