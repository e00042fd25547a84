"""Exports as their source systems write them load through a column map alone.

Each folder of tests/exports/ holds one export shape (a full HRIS history; separate job
and pay histories; a snapshot with dates; a snapshot with tenure and a left flag; a
payroll with titles only) and its map.toml. Each test loads it with the map and nothing
else, and checks the figures against a plain pandas computation on the raw files.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

import pathaudit
from pathaudit.errors import InputError, MapError, StatisticalWarning
from pathaudit.io.manifest import run_manifest
from pathaudit.io.mapping import parse_map

EXPORTS = Path(__file__).parent / "exports"
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}


def load(shape: str, replace: tuple[str, ...] = (), **changes: dict) -> pathaudit.AuditData:
    """Load tests/exports/<shape> through its map, its tables updated by ``changes``.

    ``changes``: section -> {key: value}; a value that is a table updates the map's table
    of that name (in the sections named in ``replace``: takes its place).
    """
    folder = EXPORTS / shape
    if not changes:
        return pathaudit.load(folder, folder / "map.toml")
    import tomllib

    raw = tomllib.loads((folder / "map.toml").read_text())
    for section, entries in changes.items():
        sec = raw.setdefault(section, {})
        for key, value in entries.items():
            if (
                isinstance(value, dict)
                and isinstance(sec.get(key), dict)
                and section not in replace
            ):
                sec[key].update(value)
            else:
                sec[key] = value
    return pathaudit.load(folder, raw)


def person_years(start: pd.Series, stop: pd.Series) -> pd.Series:
    return (stop - start).dt.days / 365.25


# ------------------------------------------------------------------ full HRIS history


def test_hris_history_titles_give_track_level_and_grade():
    data = load("hris_history")
    raw = pd.read_csv(EXPORTS / "hris_history" / "job_history.csv", dtype=str)
    title = raw["Business Title"]
    track = np.where(title.str.contains(r"\b(?:manager|director|head of)\b", case=False), "M", "IC")
    level = title.str.extract(r"\b([IVX]+)$")[0].map(ROMAN)
    grade = level + (track == "M")
    h = data.history.sort_values("row")
    assert list(h["track"]) == list(track)
    assert list(h["level"]) == [str(v) for v in level]
    assert list(h["grade"]) == list(grade)
    pay = raw["Annual Base Pay"].str.replace(r"[$,]", "", regex=True).astype(float)
    assert np.allclose(h["pay"], pay)


def test_hris_history_exit_rates_match_pandas():
    data = load("hris_history")
    jobs = pd.read_csv(EXPORTS / "hris_history" / "job_history.csv", dtype=str)
    workers = pd.read_csv(EXPORTS / "hris_history" / "workers.csv", dtype=str)
    jobs["date"] = pd.to_datetime(jobs["Effective Date"], format="%m/%d/%Y")
    jobs["track"] = np.where(
        jobs["Business Title"].str.contains("manager|director|head of", case=False), "M", "IC"
    )
    workers["term"] = pd.to_datetime(workers["Termination Date"], format="%m/%d/%Y")
    as_of = pd.Timestamp("2024-12-31")
    jobs = jobs.sort_values(["Employee ID", "date"]).merge(
        workers[["Employee ID", "term", "Termination Reason"]], on="Employee ID"
    )
    nxt = jobs.groupby("Employee ID")["date"].shift(-1)
    end = jobs["term"].fillna(as_of) + pd.Timedelta(days=1)
    jobs["stop"] = nxt.fillna(end)
    py = person_years(jobs["date"], jobs["stop"]).groupby(jobs["track"]).sum()
    last = jobs.groupby("Employee ID").tail(1)
    vol = last["Termination Reason"].fillna("").str.contains("Resignation") & last["term"].notna()
    events = vol.groupby(last["track"]).sum()
    rates = pathaudit.attrition(data, parts=["rates"]).rates.table
    got = rates[rates["kind"] == "voluntary"].set_index("track")
    for track in ("IC", "M"):
        assert got.loc[track, "events"] == events[track]
        assert got.loc[track, "person_years"] == pytest.approx(py[track], rel=1e-12)
        assert got.loc[track, "estimate"] == pytest.approx(100 * events[track] / py[track])


def test_hris_history_termination_rules_in_order_with_a_default():
    data = load("hris_history")
    workers = pd.read_csv(EXPORTS / "hris_history" / "workers.csv", dtype=str)
    reason = workers["Termination Reason"].dropna()
    expected = np.select(
        [reason.str.contains("resignation", case=False), reason.str.match("(?i)involuntary")],
        ["voluntary", "involuntary"],
        "other",
    )
    p = data.people.sort_values("row")
    got = p.loc[p["termination_type"].notna(), "termination_type"]
    assert list(got) == list(expected)
    counts = [i for i in data.quality.issues if i.rule == "value_rules" and i.table == "people"]
    assert counts and "'contains:resignation' " in counts[0].message


# ------------------------------------------------------------------ snapshot, tenure, Yes/No


def _tenure_raw() -> pd.DataFrame:
    raw = pd.read_csv(EXPORTS / "snapshot_tenure" / "hr_attrition.csv")
    raw["track"] = np.where(raw["JobRole"].str.contains("manager|director", case=False), "M", "IC")
    return raw


def test_tenure_snapshot_leaver_share_by_track_and_grade_matches_pandas():
    data = load("snapshot_tenure", privacy={"min_cell_size": 1})
    raw = _tenure_raw()
    res = pathaudit.attrition(data)
    share = res.leaver_share.table.set_index(["track", "grade"])
    exp = raw.groupby(["track", "JobLevel"])["Attrition"].agg(
        leavers=lambda s: int((s == "Yes").sum()), n="size"
    )
    assert len(share) == len(exp)
    for (track, grade), row in exp.iterrows():
        got = share.loc[(track, grade)]
        lo, hi = proportion_confint(row["leavers"], row["n"], method="wilson")
        assert got["leavers"] == row["leavers"] and got["n"] == row["n"]
        assert got["estimate"] == pytest.approx(row["leavers"] / row["n"])
        assert got["ci_lower"] == pytest.approx(lo) and got["ci_upper"] == pytest.approx(hi)
    assert "not a rate per person-year" in res.leaver_share.meta["definition"]


def test_tenure_snapshot_gives_no_rates_and_says_why():
    res = pathaudit.attrition(load("snapshot_tenure"))
    assert res.rates is None and res.retention is None and res.turnover is None
    why = res.not_computed()
    assert why["rates"].startswith("21 people are marked as left without an exit date")
    assert "map the termination date" in why["retention"]
    head = res.headline().set_index("key")
    assert head.loc["voluntary_exit_rate_ratio", "status"] == "not computed"


def test_tenure_gives_hire_dates_of_people_still_employed_at_the_midpoint():
    data = load("snapshot_tenure")
    raw = _tenure_raw()
    stay = raw[raw["Attrition"] == "No"]
    days = ((stay["YearsAtCompany"] + 0.5) * 365.25).round()
    expected = pd.Timestamp("2024-12-31") - pd.to_timedelta(days, unit="D")
    got = data.people.set_index("employee_id")["hire_date"]
    assert (got.loc[stay["EmployeeNumber"].astype(str)].to_numpy() == expected.to_numpy()).all()
    assert len(data.people) == len(stay)  # no hire date is made up for a leaver
    assert data.leavers is not None and len(data.leavers) == int((raw["Attrition"] == "Yes").sum())
    pay = data.history.set_index("employee_id")["pay"]
    assert np.allclose(pay.loc[stay["EmployeeNumber"].astype(str)], stay["MonthlyIncome"] * 12)


# ------------------------------------------------------------------ snapshot with dates


def test_dated_snapshot_takes_the_extract_date_from_the_latest_date_with_a_note():
    data = load("snapshot_dates")
    raw = pd.read_csv(EXPORTS / "snapshot_dates" / "employees.csv", dtype=str)
    dates = raw[["Hire Date", "Termination Date", "Last Promotion"]].apply(pd.to_datetime)
    assert data.extract_date == dates.max().max()
    note = [i for i in data.quality.issues if i.rule == "extract_date_inferred"]
    assert note and "lower bound" in note[0].message and note[0].file == "employees.csv"
    manifest = run_manifest(data)
    assert any("lower bound" in n for n in manifest["notes"])


def test_dated_snapshot_monthly_pay_and_exits_match_pandas():
    data = load("snapshot_dates")
    raw = pd.read_csv(EXPORTS / "snapshot_dates" / "employees.csv", dtype=str)
    raw["track"] = np.where(
        raw["Job Title"].str.contains("lead|manager|director", case=False), "M", "IC"
    )
    pay = data.history.set_index("employee_id")["pay"]
    assert np.allclose(pay.loc[raw["Employee #"]], raw["Monthly Salary"].astype(float) * 12)
    gone = raw[raw["Employment Status"] == "Terminated"]
    types = data.people.set_index("employee_id").loc[gone["Employee #"], "termination_type"]
    expected = (
        gone["Termination Reason"]
        .map({"Resignation": "voluntary", "Dismissal": "involuntary"})
        .fillna("other")
    )
    assert list(types) == list(expected)


# ------------------------------------------------------------------ payroll, titles only


def _payroll_raw() -> pd.DataFrame:
    raw = pd.read_csv(EXPORTS / "payroll_titles" / "payroll_2024.csv")
    t = raw["Job Title"]
    raw["track"] = np.where(t.str.contains("manager|director|head of", case=False), "M", "IC")
    num = t.str.extract(r"(?i)\b([IVX]+|\d+)$")[0].str.upper()
    raw["grade"] = num.map(lambda v: ROMAN.get(v, None) or int(v))
    raw["fte"] = raw["Scheduled Hours"] * 52 / 2080
    hourly = raw["Pay Type"] == "Hourly"
    raw["pay"] = np.where(hourly, raw["Pay Rate"] * 2080, raw["Pay Rate"] / raw["fte"])
    return raw


def test_payroll_rows_are_people_and_titles_give_track_and_grade():
    data = load("payroll_titles")
    raw = _payroll_raw()
    h = data.history.sort_values("row")
    assert list(h["employee_id"]) == [str(i) for i in range(1, len(raw) + 1)]
    assert list(h["track"]) == list(raw["track"])
    assert list(h["grade"]) == list(raw["grade"])
    assert np.allclose(h["fte"], raw["fte"])
    assert np.allclose(h["pay"], raw["pay"])
    manifest = run_manifest(data)
    assert any("not stable across exports" in n for n in manifest["notes"])


def test_payroll_median_pay_by_track_and_grade_matches_pandas():
    data = load("payroll_titles")
    raw = _payroll_raw()
    res = pathaudit.pay_parity(data, parts=["by_grade"])
    t = res.by_grade.table
    med = raw.groupby(["grade", "track"])["pay"].median()
    compared = 0
    for grade in sorted(raw["grade"].unique()):
        row = t[t["grade"] == grade].iloc[0]
        assert row["n_ic"] == (raw["track"][raw["grade"] == grade] == "IC").sum()
        for track in ("IC", "M"):
            value = row[f"median_{track.lower()}"]
            if pd.notna(value):  # a median may be withheld for privacy (small groups)
                assert value == pytest.approx(med[(grade, track)], rel=1e-12)
                compared += 1
    assert compared >= 4


# ------------------------------------------------------------------ the issue's table, row by row


def test_row_ids_are_refused_for_a_history():
    with pytest.raises(MapError, match="only a snapshot"):
        parse_map(
            {
                "export": {"extract_date": "2024-12-31", "history_start": "2020-01-01"},
                "columns": {"history": {"employee_id": "@row"}},
            }
        )


TRACK_RULES = {"re:lead|manager|director": "M", "*": "IC"}


def test_an_active_status_maps_to_none_and_the_message_suggests_it():
    raw = pd.read_csv(EXPORTS / "snapshot_dates" / "employees.csv", dtype=str)
    with pytest.raises(InputError) as err:
        load(
            "snapshot_dates",
            replace=("values",),
            columns={"snapshot": {"termination_type": "Employment Status"}},
            values={"termination_type": {"Terminated": "other"}, "track": TRACK_RULES},
        )
    assert '[values.termination_type] "Active" = "none"' in str(err.value)
    data = load(
        "snapshot_dates",
        replace=("values",),
        columns={"snapshot": {"termination_type": "Employment Status"}},
        values={
            "termination_type": {"Terminated": "other", "Active": "none"},
            "track": TRACK_RULES,
        },
    )
    active = int((raw["Employment Status"] == "Active").sum())
    noted = [i for i in data.quality.issues if i.rule == "status_not_terminated"]
    assert noted[0].n_rows == active
    assert not any(i.rule == "termination_type_without_date" for i in data.quality.issues)
    assert int(data.people["termination_type"].notna().sum()) == len(raw) - active


def test_every_unmapped_label_is_reported_none_on_the_next_run():
    with pytest.raises(InputError) as err:
        load("payroll_titles", replace=("values",), values={"track": {"Accountant I": "IC"}})
    # every title but one is unmapped: more than the ten listed one by one, all named
    text = str(err.value)
    raw = pd.read_csv(EXPORTS / "payroll_titles" / "payroll_2024.csv", dtype=str)
    titles = {t for t in raw["Job Title"] if t.casefold() != "accountant i"}
    assert len(titles) > 10
    for title in titles:
        assert f"'{title}'" in text
    assert f"{len(titles) - 10} more labels" in text


def test_filters_ignore_case_like_values():
    data = load("payroll_titles", filters={"exclude_org_units": ["FINANCE"]})
    raw = _payroll_raw()
    assert len(data.history) == int((raw["Department"] != "Finance").sum())


def test_blank_currency_cells_suggest_the_export_currency_not_a_rate(tmp_path):
    folder = EXPORTS / "hris_history"
    for f in folder.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    jobs = pd.read_csv(folder / "job_history.csv", dtype=str)
    jobs.loc[3, "Currency"] = ""
    jobs.loc[5, "Currency"] = "CAD"
    jobs.to_csv(tmp_path / "job_history.csv", index=False)
    with pytest.raises(InputError) as err:
        pathaudit.load(tmp_path, _with_fx(tmp_path))
    text = str(err.value)
    assert "[history/missing_currency]" in text and '[export] currency = "USD"' in text
    assert "missing_fx_rate" not in text


def _with_fx(folder: Path) -> Path:
    text = (EXPORTS / "hris_history" / "map.toml").read_text()
    path = folder / "map.toml"
    path.write_text(text + '\n[fx]\nreporting_currency = "USD"\nCAD = 0.73\n')
    return path


def test_snapshot_without_history_start_gets_no_rates_and_the_line_to_add():
    data = load("snapshot_dates")
    import tomllib

    raw = tomllib.loads((EXPORTS / "snapshot_dates" / "map.toml").read_text())
    del raw["export"]["history_start"]
    bare = pathaudit.load(EXPORTS / "snapshot_dates", raw)
    res = pathaudit.attrition(bare)
    assert res.rates is None
    assert 'history_start = "YYYY-MM-DD"' in res.not_computed()["rates"]
    manifest = run_manifest(bare)
    assert any("history_start" in n for n in manifest["notes"])
    with pytest.warns(StatisticalWarning, match="Snapshot-only export"):
        with_start = pathaudit.attrition(data, parts=["rates"])
    assert with_start.rates is not None


def test_map_rejects_a_bad_pattern_and_an_unknown_pay_period():
    with pytest.raises(MapError) as err:
        parse_map(
            {
                "export": {
                    "extract_date": "2024-12-31",
                    "kind": "snapshot",
                    "pay_period": "fortnight",
                },
                "values": {"track": {"re:(manager": "M"}},
            }
        )
    text = str(err.value)
    assert "not a valid regular expression" in text
    assert "[export] pay_period must be 'year', 'month', 'week' or 'hour'" in text


def test_derive_without_a_match_is_an_error_naming_values_and_rows():
    with pytest.raises(InputError) as err:
        load(
            "payroll_titles",
            derive={
                "level": {"from": "Job Title", "pattern": r"\b([IVX]+)$", "numerals": "arabic"}
            },
        )
    assert re.search(r"\[derive\.level\] pattern .* does not match", str(err.value))
    assert 'default = "..."' in str(err.value)


# ------------------------------------------------------------------ separate job and pay files


def test_job_and_pay_files_merge_by_person_and_date_as_pandas_does():
    data = load("job_and_pay")
    folder = EXPORTS / "job_and_pay"
    jobs = pd.read_csv(folder / "job_info.csv", dtype=str)
    pay = pd.read_csv(folder / "compensation.csv", dtype={"user_id": str})
    expected = []
    for pid in sorted(set(jobs["user_id"])):
        j = jobs[jobs["user_id"] == pid]
        p = pay[pay["user_id"] == pid]
        dates = sorted(
            set(j["start_date"]) | set(p["start_date"][p["start_date"] >= j["start_date"].min()])
        )
        for d in dates:  # the job and the pay in force on each date of either file
            job = j[j["start_date"] <= d].iloc[-1]
            amount = p.loc[p["start_date"] <= d, "amount"]
            expected.append((pid, d, job["job_code"], amount.iloc[-1] if len(amount) else np.nan))
    h = data.history
    got = list(
        zip(
            h["employee_id"],
            h["effective_date"].dt.strftime("%Y-%m-%d"),
            h["level"],
            h["pay"],
            strict=True,
        )
    )
    assert len(got) == len(expected)
    for g, e in zip(sorted(got), sorted(expected), strict=True):
        assert g[:3] == e[:3] and g[3] == pytest.approx(e[3])
    merged = [i for i in data.quality.issues if i.rule == "pay_merged"]
    assert merged[0].n_rows == len(pay) + len(jobs) - len(h)
    assert data.quality.rows_in["history"] == len(jobs) + len(pay)


def test_job_and_pay_voluntary_exits_match_pandas():
    data = load("job_and_pay")
    people = pd.read_csv(EXPORTS / "job_and_pay" / "employment.csv", dtype=str)
    jobs = pd.read_csv(EXPORTS / "job_and_pay" / "job_info.csv", dtype=str)
    last = jobs.groupby("user_id").tail(1).set_index("user_id")["job_code"].str[:3]
    vol = people[people["event_reason"] == "TERM_RESIGN"]["user_id"]
    rates = pathaudit.attrition(data, parts=["rates"]).rates.table
    got = rates[rates["kind"] == "voluntary"].set_index("track")["events"]
    for track, code in (("IC", "ENG"), ("M", "MGR")):
        assert got.get(track, 0) == int((last.loc[vol] == code).sum())


# ------------------------------------------------------------------ map explain


def test_explain_map_lists_each_value_what_it_becomes_and_the_rule():
    table = pathaudit.explain_map(
        EXPORTS / "payroll_titles", EXPORTS / "payroll_titles" / "map.toml"
    )
    raw = _payroll_raw()
    track = table[(table["column"] == "track") & (table["table"] == "snapshot")]
    assert set(track["value"]) == set(raw["Job Title"])
    assert track["rows"].sum() == len(raw)
    by_value = track.set_index("value")
    for title, expected in zip(raw["Job Title"], raw["track"], strict=True):
        assert by_value.loc[title, "becomes"] == expected
        rule = by_value.loc[title, "rule"]
        assert rule == ('"re:manager|director|head of"' if expected == "M" else 'default "*"')
    level = table[table["column"] == "level"].set_index("value")
    assert level.loc["Civil Engineer III", "becomes"] == "3"
    assert level.loc["Civil Engineer III", "rule"].startswith("[derive.level] then")
    period = table[table["column"] == "pay_period"].set_index("value")
    assert period.loc["Hourly", "becomes"] == "hour"


def test_cli_map_explain_prints_the_table(capsys):
    from pathaudit.cli import main

    code = main(["map", "explain", str(EXPORTS / "snapshot_tenure")])
    printed = capsys.readouterr().out
    assert code == 0
    assert "Research Director" in printed and '"re:manager|director"' in printed
    assert "understood as true" in printed


def test_validate_shows_rows_per_rule():
    report = pathaudit.validate(
        EXPORTS / "snapshot_tenure", EXPORTS / "snapshot_tenure" / "map.toml"
    )
    raw = _tenure_raw()
    line = [i for i in report.issues if i.rule == "value_rules"][0]
    n_m = int((raw["track"] == "M").sum())
    assert f"'re:manager|director' {n_m}, '*' {len(raw) - n_m}" in line.message


def test_validate_runs_the_spells_rules_and_names_the_file(tmp_path):
    folder = EXPORTS / "hris_history"
    for f in folder.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    workers = pd.read_csv(folder / "workers.csv", dtype=str)
    workers.loc[0, "Hire Date"] = "01/02/2016"  # hired before the first job record
    workers.to_csv(tmp_path / "workers.csv", index=False)
    report = pathaudit.validate(tmp_path, folder / "map.toml")
    found = [i for i in report.issues if i.rule == "history_starts_after_hire"]
    assert found and found[0].file.startswith("job_history.csv")
    assert "ID W1000" in found[0].message and found[0].column == "effective_date"
    assert found[0].rows  # the rows of the records concerned
    assert "rows ()" not in str(report)


def test_management_profiles_the_organisation_when_the_export_names_no_unit():
    data = load("snapshot_tenure")
    res = pathaudit.forced_management(data, over_time=False)
    assert res.profile is not None
    assert set(res.profile.table.columns) >= {"indicator"}


def test_grade_from_a_rule_in_the_map_gives_a_ladder_labelled_realised():
    import tomllib

    from pathaudit.management._pay import ladder_inferred

    raw = tomllib.loads((EXPORTS / "payroll_titles" / "map.toml").read_text())
    del raw["files"]["ladder"]
    raw["derive"]["grade"] = {
        "from": "Job Title",
        "pattern": r"\b([IVX]+|\d+)$",
        "numerals": "arabic",
    }
    raw["values"]["grade"] = {"re:^[4-9]$": "3"}  # a rule on the derived value: caps at 3
    data = pathaudit.load(EXPORTS / "payroll_titles", raw)
    expected = _payroll_raw()["grade"]
    assert list(data.history.sort_values("row")["grade"]) == list(expected)
    assert ladder_inferred(data)
    with pytest.raises(MapError, match="grade twice"):
        parse_map({**raw, "grade": {"column": "Department"}})


def test_one_observation_window_in_summary_manifest_and_attrition():
    data = load("snapshot_dates")
    start = data.summary()["history_start"]
    assert start == "2015-03-01" == run_manifest(data)["history_start"]
    with pytest.warns(StatisticalWarning):
        res = pathaudit.attrition(data, parts=["rates"])
    caveat = [n.text for n in res.notes if n.kind == "caveat"][0]
    assert caveat.endswith(f"the observed window starts on history_start, {start}.")


def test_a_default_track_rule_leaves_canonical_labels_alone():
    from pathaudit.io._columns import map_values

    values = pd.Series(["M", "IC", "Engineering Manager", "Analyst"], dtype="string")
    rules = {"re:manager": "M", "*": "IC"}
    assert list(map_values(values, rules, ("IC", "M"))) == ["M", "IC", "M", "IC"]
    assert list(map_values(values, rules)) == ["IC", "IC", "M", "IC"]  # without keep: all ruled
