"""Loading: one small hand-built export per kind of bad input, each with its exact message
or its counted repair; formats agree; rows are never lost."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import MAP_TOML, write_export
from builders import export_history as history
from builders import export_ladder as ladder
from builders import export_people as people
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathaudit import load as load_function
from pathaudit.errors import InputError, MapError, PrivacyError
from pathaudit.io import load, validate
from pathaudit.io._messages import (
    FATAL_HEADER,
    LEVEL_NOT_IN_LADDER,
    MISSING_COLUMN,
    OVERLAPPING_EPISODES,
)
from pathaudit.io.privacy import pseudonymise
from pathaudit.io.schema import HISTORY, HISTORY_DERIVED, PEOPLE, PEOPLE_DERIVED
from pathaudit.quality import DataQualityReport


def issues(report: DataQualityReport, rule: str) -> list:
    return [i for i in report.issues if i.rule == rule]


def one(report: DataQualityReport, rule: str):
    found = issues(report, rule)
    assert len(found) == 1, f"expected one {rule!r} issue, found {found}"
    return found[0]


def fatal_messages(err: pytest.ExceptionInfo) -> list[str]:
    return [i.message for i in err.value.report.fatal]


def assert_rows_balance(data) -> None:
    """For every table read from a file: rows read = rows used + rows excluded."""
    q = data.quality
    used = {"history": len(data.history), "people": len(data.people), "ladder": len(data.ladder)}
    if data.is_snapshot:
        used = {"snapshot": len(data.snapshot), "ladder": len(data.ladder)}
    for table, n in used.items():
        if table in q.rows_in:
            assert q.rows_in[table] == n + q.excluded(table), (table, q.rows_in, str(q))


def load_export(tmp_path: Path, **kwargs):
    path = write_export(tmp_path, **kwargs)
    return load(tmp_path, path)


def fails(tmp_path: Path, **kwargs) -> pytest.ExceptionInfo:
    path = write_export(tmp_path, **kwargs)
    with pytest.raises(InputError) as err:
        load(tmp_path, path)
    return err


# --------------------------------------------------------------------------- the good export


def test_good_export_loads_into_canonical_tables(tmp_path) -> None:
    data = load_export(tmp_path)
    assert list(data.history.columns) == [c.name for c in HISTORY + HISTORY_DERIVED]
    assert list(data.people.columns) == [c.name for c in PEOPLE + PEOPLE_DERIVED]
    assert str(data.history["employee_id"].dtype) == "str"
    assert str(data.history["effective_date"].dtype) == "datetime64[ns]"
    assert str(data.history["grade"].dtype) == "Int64"
    assert data.history["pay"].dtype == "float64"
    assert not data.is_snapshot
    assert data.as_of == pd.Timestamp("2024-12-31")
    assert data.quality.issues == []
    assert data.quality.rows_in == {"history": 9, "people": 6, "ladder": 6}
    assert_rows_balance(data)
    # history sorted by person, date, row
    h = data.history
    assert h.equals(h.sort_values(["employee_id", "effective_date", "row"]).reset_index(drop=True))


def test_ids_stay_strings_with_leading_zeros(tmp_path) -> None:
    data = load_export(tmp_path)
    assert "007" in set(data.history["employee_id"])
    assert "007" in set(data.people["employee_id"])
    assert set(data.history["manager_id"].dropna()) == {"010", "011"}


def test_rehire_is_a_new_episode(tmp_path) -> None:
    data = load_export(tmp_path)
    p = data.people.loc[data.people["employee_id"] == "007"]
    assert p["episode"].tolist() == [0, 1]
    h = data.history.loc[data.history["employee_id"] == "007"]
    assert h["episode"].tolist() == [0, 0, 1]


def test_grades_from_ladder_and_fte_pay(tmp_path) -> None:
    data = load_export(tmp_path)
    h = data.history.set_index(["employee_id", "effective_date"])
    assert h.loc[("011", pd.Timestamp("2023-01-01")), "grade"] == 4
    assert h.loc[("010", pd.Timestamp("2022-01-01")), "grade"] == 5
    # salary_basis = "fte": pay is the exported rate even at fte 0.8
    assert h.loc[("011", pd.Timestamp("2023-01-01")), "pay"] == 80000.0
    assert h.loc[("011", pd.Timestamp("2023-01-01")), "fte"] == 0.8


def test_salary_basis_actual_divides_by_fte(tmp_path) -> None:
    data = load_export(
        tmp_path,
        map_text=MAP_TOML.format(ext="csv").replace(
            'history_start = "2020-01-01"', 'history_start = "2020-01-01"\nsalary_basis = "actual"'
        ),
    )
    h = data.history.set_index(["employee_id", "effective_date"])
    assert h.loc[("011", pd.Timestamp("2023-01-01")), "pay"] == pytest.approx(100000.0)
    assert h.loc[("011", pd.Timestamp("2023-01-01")), "base_salary"] == 80000.0


def test_termination_type_mapped(tmp_path) -> None:
    data = load_export(tmp_path)
    p = data.people.set_index(["employee_id", "episode"])
    assert p.loc[("012", 0), "termination_type"] == "voluntary"
    assert pd.isna(p.loc[("010", 0), "termination_type"])


@pytest.mark.parametrize("ext", ["xlsx", "parquet"])
def test_csv_xlsx_parquet_give_identical_tables(tmp_path, ext) -> None:
    from_csv = load_export(tmp_path / "csv")
    other = load_export(tmp_path / ext, ext=ext)
    for name in ("history", "people", "ladder"):
        pd.testing.assert_frame_equal(getattr(from_csv, name), getattr(other, name))
    assert set(other.inputs) == {f"history.{ext}", f"people.{ext}", f"ladder.{ext}"}


def test_one_workbook_with_a_sheet_per_table(tmp_path) -> None:
    from_csv = load_export(tmp_path / "csv")
    book = tmp_path / "book" / "export.xlsx"
    book.parent.mkdir()
    with pd.ExcelWriter(book) as xl:
        for name, frame in (("Job History", history()), ("People", people()), ("ladder", ladder())):
            frame.to_excel(xl, sheet_name=name, index=False)
    text = MAP_TOML.format(ext="csv").replace(
        'history = "history.csv"\npeople = "people.csv"\nladder = "ladder.csv"\n',
        'workbook = "export.xlsx"\n\n[sheets]\nhistory = "Job History"\npeople = "people"\n',
    )
    assert "workbook" in text
    map_path = tmp_path / "book" / "map.toml"
    map_path.write_text(text)
    data = load(book.parent, map_path)
    for name in ("history", "people", "ladder"):
        pd.testing.assert_frame_equal(getattr(from_csv, name), getattr(data, name))
    assert list(data.inputs) == ["export.xlsx"]
    # the workbook itself can be passed as the data
    again = load(book, map_path)
    pd.testing.assert_frame_equal(again.history, data.history)


def test_tables_found_by_name_without_files_section(tmp_path) -> None:
    text = MAP_TOML.format(ext="csv")
    text = text.split("[files]")[0] + "[columns.history]" + text.split("[columns.history]")[1]
    write_export(tmp_path, map_text=text)
    data = load(tmp_path, tmp_path / "map.toml")
    assert len(data.history) == 9
    # no data folder: paths are relative to the map's folder
    assert len(load(None, tmp_path / "map.toml").history) == 9


def test_the_map_may_be_a_dict(tmp_path) -> None:
    import tomllib

    write_export(tmp_path)
    raw = tomllib.loads(MAP_TOML.format(ext="csv"))
    assert len(load(tmp_path, raw).people) == 6


def test_validate_returns_the_report(tmp_path) -> None:
    path = write_export(tmp_path)
    report = validate(tmp_path, path)
    assert isinstance(report, DataQualityReport)
    assert report.rows_in["history"] == 9
    assert load_function is load


# --------------------------------------------------------------------------- columns


def test_missing_required_column_message(tmp_path) -> None:
    """The exact text of DOMAIN/STYLE: what was looked for, where, what is there, the fix."""
    p = people().rename(columns={"Hire Date": "Joined"})
    text = MAP_TOML.format(ext="csv").replace('hire_date = "Hire Date"\n', "")
    err = fails(tmp_path, people_df=p, map_text=text)
    assert str(err.value) == (
        "The export cannot be used as it is: 1 problem to fix (every check was run).\n"
        "  1. [people/missing_column] Column 'hire_date' not found in people.csv. Columns found: "
        "['Worker ID', 'Joined', 'Termination Date', 'Exit Type', 'Gender']. Map one of them in "
        "the column map: [columns.people] hire_date = '...'"
    )


def test_missing_mapped_column_suggests_the_closest_header(tmp_path) -> None:
    p = people().rename(columns={"Hire Date": "Start Date"})
    text = MAP_TOML.format(ext="csv").replace('hire_date = "Hire Date"\n', "")
    err = fails(tmp_path, people_df=p, map_text=text)
    assert fatal_messages(err) == [
        MISSING_COLUMN.format(
            column="hire_date",
            file="people.csv",
            found=["Worker ID", "Start Date", "Termination Date", "Exit Type", "Gender"],
            table="people",
            canonical="hire_date",
            suggestion="Start Date",
        )
    ]


def test_headers_match_ignoring_case_and_spaces_and_say_so(tmp_path) -> None:
    h = history().rename(columns={"Worker ID": "  worker   id ", "Job Level": "JOB LEVEL"})
    data = load_export(tmp_path, history_df=h)
    note = one(data.quality, "column_matched")
    assert note.action == "note"
    assert note.message == (
        "columns matched ignoring case, spaces and underscores: employee_id = '  worker   id ', "
        "level = 'JOB LEVEL'"
    )
    assert len(data.history) == 9


def test_unmapped_canonical_names_match_by_default(tmp_path) -> None:
    lad = ladder().rename(columns={"grade": "Grade", "level": "LEVEL"})
    data = load_export(tmp_path, ladder_df=lad)
    assert data.ladder["grade"].tolist() == [2, 3, 4, 5, 4, 5]


# --------------------------------------------------------------------------- values


def test_trailing_spaces_are_stripped_and_counted(tmp_path) -> None:
    h = history()
    h.loc[1, "Job Level"] = "IC3  "
    h.loc[4, "Career Track"] = " People Manager"
    data = load_export(tmp_path, history_df=h)
    rep = issues(data.quality, "trailing_spaces")
    assert [(i.column, i.n_rows, i.action, i.rows) for i in rep] == [
        ("Career Track", 1, "repaired", (5,)),
        ("Job Level", 1, "repaired", (2,)),
    ]
    assert data.quality.repaired("history") == 2
    assert data.history.loc[1, "level"] == "IC3"
    assert data.history.loc[4, "track"] == "M"


def test_unknown_track_label_is_fatal_with_the_fix(tmp_path) -> None:
    h = history()
    h.loc[[2, 4], "Career Track"] = "Tech Lead"
    err = fails(tmp_path, history_df=h)
    assert fatal_messages(err) == [
        "Track label 'Tech Lead' in column 'Career Track' of history.csv (2 rows: 3, 5) is not "
        'one of IC, M. Map it in the column map: [values.track] "Tech Lead" = "IC".'
    ]
    assert err.value.report.fatal[0].rule == "unknown_track"


def test_track_labels_in_another_case_are_repaired(tmp_path) -> None:
    lad = ladder()
    lad.loc[lad["track"] == "IC", "track"] = "ic"
    data = load_export(tmp_path, ladder_df=lad)
    rep = one(data.quality, "label_case")
    assert (rep.table, rep.n_rows, rep.action) == ("ladder", 4, "repaired")
    assert set(data.ladder["track"]) == {"IC", "M"}


def test_value_map_matches_ignoring_case_and_spaces(tmp_path) -> None:
    h = history()
    h.loc[0, "Career Track"] = "individual   contributor"
    data = load_export(tmp_path, history_df=h)
    assert data.history.loc[0, "track"] == "IC"


def test_unknown_termination_type_is_fatal(tmp_path) -> None:
    p = people()
    p.loc[4, "Exit Type"] = "Retired"
    err = fails(tmp_path, people_df=p)
    assert err.value.report.fatal[0].rule == "unknown_termination_type"
    assert fatal_messages(err)[0].startswith(
        "Termination type 'Retired' in column 'Exit Type' of people.csv (1 rows: 5) is not one "
        'of voluntary, involuntary, other or "none" (not terminated: a status such as Active).'
    )


def test_level_missing_from_ladder_lists_rows_and_the_fix(tmp_path) -> None:
    h = history()
    h.loc[[1, 5], "Job Level"] = "Staff+"
    err = fails(tmp_path, history_df=h)
    assert fatal_messages(err) == [
        "Level 'Staff+' (track IC) is not in the ladder (rows 2, 6 of history.csv). Add it to "
        "the ladder with its grade, or map it to an existing level."
    ]
    assert fatal_messages(err)[0] == LEVEL_NOT_IN_LADDER.format(
        level="Staff+", track="IC", rows="2, 6", file="history.csv"
    )


def test_level_mapped_to_an_existing_level(tmp_path) -> None:
    h = history()
    h.loc[[1, 5], "Job Level"] = "Staff+"
    data = load_export(
        tmp_path,
        history_df=h,
        map_extra='[values.level]\n"Staff+" = "IC4"\n',
    )
    assert data.history.loc[data.history["row"] == 2, "grade"].item() == 4


# --------------------------------------------------------------------------- numbers and pay


def test_negative_and_zero_pay_are_repaired_to_missing(tmp_path) -> None:
    h = history()
    h.loc[1, "Annual Base"] = "-70000"
    h.loc[3, "Annual Base"] = "0"
    data = load_export(tmp_path, history_df=h)
    rep = one(data.quality, "nonpositive_pay")
    assert (rep.n_rows, rep.action, rep.rows) == (2, "repaired", (2, 4))
    h2 = data.history.set_index("row")
    assert np.isnan(h2.loc[2, "pay"]) and np.isnan(h2.loc[4, "pay"])
    assert h2.loc[2, "base_salary"] == -70000  # the exported value stays visible
    assert len(data.history) == 9  # kept for careers


def test_missing_pay_is_a_counted_note(tmp_path) -> None:
    h = history()
    h.loc[[0, 8], "Annual Base"] = ""
    data = load_export(tmp_path, history_df=h)
    rep = one(data.quality, "missing_pay")
    assert (rep.n_rows, rep.action, rep.rows) == (2, "note", (1, 9))


def test_thousands_separators_are_read_and_counted(tmp_path) -> None:
    h = history()
    h.loc[0, "Annual Base"] = "60,000.00"
    h.loc[1, "Annual Base"] = "$70,000"
    data = load_export(tmp_path, history_df=h)
    rep = one(data.quality, "number_format")
    assert (rep.n_rows, rep.action) == (2, "repaired")
    assert data.history.loc[:1, "pay"].tolist() == [60000.0, 70000.0]


def test_text_in_a_number_column_is_fatal(tmp_path) -> None:
    h = history()
    h.loc[2, "Annual Base"] = "ninety k"
    err = fails(tmp_path, history_df=h)
    assert fatal_messages(err) == [
        "Column 'Annual Base' of history.csv has 1 values that are not numbers (e.g. 'ninety k' "
        "in row 3); rows 3. Write numbers with a decimal point and no thousands separators, "
        "e.g. 85000.50."
    ]


def test_mixed_currencies_without_fx_are_fatal(tmp_path) -> None:
    h = history()
    h.loc[[3, 4], "Currency"] = "USD"
    err = fails(tmp_path, history_df=h)
    assert fatal_messages(err) == [
        "history.csv has pay in 2 currencies (EUR: 7 rows, USD: 2 rows). Pay is never pooled "
        "across currencies without exchange rates. Add them to the column map: [fx] "
        'reporting_currency = "EUR" and one line per other currency, e.g. USD = 1.0 (the value '
        "of 1 USD in EUR)."
    ]


def test_fx_converts_pay_to_the_reporting_currency(tmp_path) -> None:
    h = history()
    h.loc[[3, 4], "Currency"] = "USD"
    data = load_export(
        tmp_path, history_df=h, map_extra='[fx]\nreporting_currency = "EUR"\nUSD = 0.5\n'
    )
    h2 = data.history.set_index("row")
    assert h2.loc[4, "pay"] == 95000 * 0.5
    assert h2.loc[4, "base_salary"] == 95000
    assert h2.loc[4, "currency"] == "USD"
    assert h2.loc[1, "pay"] == 60000


def test_missing_fx_rate_is_fatal(tmp_path) -> None:
    h = history()
    h.loc[[3, 4], "Currency"] = "USD"
    h.loc[5, "Currency"] = "GBP"
    err = fails(tmp_path, history_df=h, map_extra='[fx]\nreporting_currency = "EUR"\nUSD = 0.9\n')
    assert fatal_messages(err) == [
        "[fx] has no rate for GBP (used in 1 rows of history.csv: rows 6). Add one line per "
        "currency under [fx], e.g. GBP = 1.0 (the value of 1 GBP in EUR)."
    ]


def test_missing_currency_filled_when_only_one_is_used(tmp_path) -> None:
    h = history()
    h.loc[2, "Currency"] = ""
    data = load_export(tmp_path, history_df=h)
    rep = one(data.quality, "missing_currency")
    assert (rep.n_rows, rep.action) == (1, "repaired")
    assert data.history.loc[data.history["row"] == 3, "currency"].item() == "EUR"


def test_fte_out_of_range_is_fatal_and_percent_is_declared(tmp_path) -> None:
    h = history()
    h["FTE"] = ["100", "100", "100", "100", "100", "80", "80", "100", "100"]
    err = fails(tmp_path / "a", history_df=h)
    assert err.value.report.fatal[0].rule == "fte_out_of_range"
    assert fatal_messages(err)[0].startswith(
        "Column 'fte' of history.csv has 9 FTE values outside 0 to 1.5 (e.g. 100 in row 1); "
        "rows 1, 2, 3, 4, 5, 6, 7, 8, 9. FTE is the share of full time"
    )
    text = MAP_TOML.format(ext="csv").replace("[files]", 'fte_unit = "percent"\n\n[files]', 1)
    text = text.replace(
        'history_start = "2020-01-01"\n\nfte_unit', 'history_start = "2020-01-01"\nfte_unit'
    )
    data = load_export(tmp_path / "b", history_df=h, map_text=text)
    assert data.history["fte"].tolist() == [1.0, 1.0, 1.0, 1.0, 1.0, 0.8, 0.8, 1.0, 1.0]


def test_missing_fte_is_full_time_and_counted(tmp_path) -> None:
    h = history()
    h.loc[0, "FTE"] = ""
    data = load_export(tmp_path, history_df=h)
    rep = one(data.quality, "missing_fte")
    assert (rep.n_rows, rep.action, rep.rows) == (1, "repaired", (1,))
    assert data.history.loc[0, "fte"] == 1.0


# --------------------------------------------------------------------------- dates


def test_three_date_formats_in_one_column_each_unambiguous(tmp_path) -> None:
    h = history()
    h.loc[0, "Effective Date"] = "2019-03-01"
    h.loc[1, "Effective Date"] = "1 Jul 2020"
    h.loc[3, "Effective Date"] = "15/01/2020"
    h.loc[4, "Effective Date"] = "Jan 1, 2022"
    data = load_export(tmp_path, history_df=h)
    rep = one(data.quality, "mixed_date_formats")
    assert rep.action == "note"
    assert rep.n_rows == 3
    assert "ISO (YYYY-MM-DD): 6 rows" in rep.message
    assert "text month (31 Mar 2024): 2 rows" in rep.message
    assert "day-first (DD/MM/YYYY): 1 rows" in rep.message
    pd.testing.assert_series_equal(
        data.history["effective_date"], load_export(tmp_path / "iso").history["effective_date"]
    )


def test_excel_serial_dates_are_converted_and_counted(tmp_path) -> None:
    h = history()
    h.loc[0, "Effective Date"] = "43525"  # 2019-03-01
    h.loc[8, "Effective Date"] = "45170"  # 2023-09-01
    data = load_export(tmp_path, history_df=h)
    rep = one(data.quality, "excel_serial_date")
    assert (rep.n_rows, rep.action, rep.rows) == (2, "repaired", (1, 9))
    pd.testing.assert_series_equal(
        data.history["effective_date"], load_export(tmp_path / "iso").history["effective_date"]
    )


def test_ambiguous_dates_are_refused(tmp_path) -> None:
    p = people()
    p["Hire Date"] = [
        "01/03/2019",
        "01/06/2022",
        "15/01/2020",
        "01/02/2021",
        "04/05/2020",
        "01/09/2023",
    ]
    err = fails(tmp_path, people_df=p)
    (msg,) = fatal_messages(err)
    assert msg == (
        "Column 'Hire Date' of people.csv has 5 dates that read both day-first and month-first "
        "(e.g. '01/03/2019' in row 1: 1 March 2019 or 3 January 2019); rows 1, 2, 4, 5, 6. The "
        "loader does not guess. Other values in this column can only be read day-first (e.g. "
        "'15/01/2020' in row 3). Declare the format in the column map: [export] date_format = "
        '"%d/%m/%Y" (day-first) or "%m/%d/%Y" (month-first), or for this column only: [dates] '
        '"people.hire_date" = "%d/%m/%Y".'
    )
    assert err.value.report.fatal[0].rule == "ambiguous_date"


def test_ambiguous_dates_load_with_a_declared_format(tmp_path) -> None:
    p = people()
    p["Hire Date"] = [
        "01/03/2019",
        "01/06/2022",
        "15/01/2020",
        "01/02/2021",
        "04/05/2020",
        "01/09/2023",
    ]
    iso = load_export(tmp_path / "iso")
    per_column = load_export(
        tmp_path / "a", people_df=p, map_extra='[dates]\n"people.hire_date" = "%d/%m/%Y"\n'
    )
    pd.testing.assert_frame_equal(per_column.people, iso.people)
    text = MAP_TOML.format(ext="csv").replace(
        'history_start = "2020-01-01"', 'history_start = "2020-01-01"\ndate_format = "%d/%m/%Y"'
    )
    global_fmt = load_export(tmp_path / "b", people_df=p, map_text=text)
    pd.testing.assert_frame_equal(global_fmt.people, iso.people)


def test_month_first_values_against_a_day_first_format_are_fatal(tmp_path) -> None:
    p = people()
    p.loc[2, "Hire Date"] = "01/15/2020"
    err = fails(tmp_path, people_df=p, map_extra='[dates]\n"people.hire_date" = "%d/%m/%Y"\n')
    assert err.value.report.fatal[0].rule == "date_format_mismatch"
    assert "'01/15/2020' in row 3" in fatal_messages(err)[0]


def test_unreadable_dates_are_fatal(tmp_path) -> None:
    p = people()
    p.loc[1, "Hire Date"] = "sometime in 2022"
    err = fails(tmp_path, people_df=p)
    assert fatal_messages(err)[0].startswith(
        "Column 'Hire Date' of people.csv has 1 values that are not dates (e.g. 'sometime in "
        "2022' in row 2); rows 2."
    )


# --------------------------------------------------------------------------- rows


def test_duplicate_rows_are_excluded_and_counted(tmp_path) -> None:
    h = pd.concat([history(), history().iloc[[2, 5]]], ignore_index=True)
    data = load_export(tmp_path, history_df=h)
    rep = one(data.quality, "duplicate_rows")
    assert (rep.table, rep.n_rows, rep.action, rep.rows) == ("history", 2, "excluded", (10, 11))
    assert len(data.history) == 9
    assert_rows_balance(data)


def test_same_date_rows_collapse_to_the_last_in_file_order(tmp_path) -> None:
    h = history()
    extra = h.iloc[[5]].assign(**{"Annual Base": "75000"})
    h = pd.concat([h, extra], ignore_index=True)
    data = load_export(tmp_path, history_df=h)
    rep = one(data.quality, "same_date_collapsed")
    assert (rep.n_rows, rep.action, rep.rows) == (1, "excluded", (6,))
    got = data.history.loc[
        (data.history["employee_id"] == "011") & (data.history["effective_date"] == "2021-02-01")
    ]
    assert got["pay"].tolist() == [75000.0]
    assert got["row"].tolist() == [10]
    assert_rows_balance(data)


def test_termination_before_hire_is_excluded_with_its_records(tmp_path) -> None:
    p = people()
    p.loc[4, "Termination Date"] = "2019-01-01"  # 012 hired 2020-05-04
    data = load_export(tmp_path, people_df=p)
    rep = one(data.quality, "termination_before_hire")
    assert (rep.table, rep.n_rows, rep.action, rep.rows) == ("people", 1, "excluded", (5,))
    assert "012" not in set(data.people["employee_id"])
    rec = one(data.quality, "episode_excluded")
    assert (rec.table, rec.n_rows) == ("history", 1)
    assert_rows_balance(data)


def test_overlapping_episodes_are_fatal(tmp_path) -> None:
    p = people()
    p.loc[0, "Termination Date"] = ""  # 007's first episode never ends, then a rehire
    p.loc[0, "Exit Type"] = ""
    err = fails(tmp_path, people_df=p)
    assert fatal_messages(err) == [
        OVERLAPPING_EPISODES.format(n=1, file="people.csv", ids="ID 007", rows="2")
    ]
    assert fatal_messages(err)[0].startswith(
        "1 employment episodes in people.csv overlap an earlier episode of the same person (ID "
        "007; rows 2; columns hire_date and termination_date)"
    )


def test_records_outside_every_episode_are_excluded(tmp_path) -> None:
    h = history()
    gap = h.iloc[[1]].assign(**{"Effective Date": "2022-03-01"})  # 007 between episodes
    early = h.iloc[[3]].assign(**{"Effective Date": "2019-12-01"})  # 010 before hire
    h = pd.concat([h, gap, early], ignore_index=True)
    data = load_export(tmp_path, history_df=h)
    rep = one(data.quality, "outside_episode")
    assert (rep.n_rows, rep.action, rep.rows) == (2, "excluded", (10, 11))
    assert_rows_balance(data)


def test_records_of_unknown_people_are_excluded(tmp_path) -> None:
    h = pd.concat(
        [history(), history().iloc[[0]].assign(**{"Worker ID": "999"})], ignore_index=True
    )
    data = load_export(tmp_path, history_df=h)
    rep = one(data.quality, "person_not_in_people")
    assert (rep.n_rows, rep.rows) == (1, (10,))
    assert_rows_balance(data)


def test_records_after_as_of_are_ignored_and_counted(tmp_path) -> None:
    path = write_export(tmp_path)
    data = load(tmp_path, path, as_of="2022-12-31")
    rep = one(data.quality, "after_as_of")
    assert (rep.n_rows, rep.action, rep.rows) == (2, "excluded", (7, 9))
    hired_late = one(data.quality, "hired_after_as_of")
    assert (hired_late.table, hired_late.n_rows) == ("people", 1)
    late_exit = one(data.quality, "termination_after_as_of")
    assert (late_exit.table, late_exit.n_rows, late_exit.action) == ("people", 1, "repaired")
    assert data.as_of == pd.Timestamp("2022-12-31")
    assert data.history["effective_date"].max() <= pd.Timestamp("2022-12-31")
    assert_rows_balance(data)


def test_as_of_after_the_extract_date_is_refused(tmp_path) -> None:
    path = write_export(tmp_path)
    with pytest.raises(InputError, match="as_of 2025-06-30 is after the extract date 2024-12-31"):
        load(tmp_path, path, as_of="2025-06-30")
    with pytest.raises(InputError, match="as_of 'last June' is not a date"):
        load(tmp_path, path, as_of="last June")
    with pytest.raises(InputError, match="as_of 'nan' is not a date"):
        load(tmp_path, path, as_of="nan")


def test_termination_types_without_dates_and_dates_without_types(tmp_path) -> None:
    p = people()
    p.loc[2, "Exit Type"] = "Dismissal"  # no date
    p.loc[0, "Exit Type"] = ""  # date, no type
    data = load_export(tmp_path, people_df=p)
    assert one(data.quality, "termination_type_without_date").n_rows == 1
    assert one(data.quality, "missing_termination_type").n_rows == 1
    ppl = data.people.set_index(["employee_id", "episode"])
    assert ppl.loc[("007", 0), "termination_type"] == "other"
    assert pd.isna(ppl.loc[("010", 0), "termination_type"])


def test_rows_without_required_values_are_excluded(tmp_path) -> None:
    h = history()
    h.loc[2, "Job Level"] = ""
    h.loc[6, "Worker ID"] = ""
    data = load_export(tmp_path, history_df=h)
    reps = issues(data.quality, "missing_value")
    assert sorted((i.column, i.n_rows) for i in reps) == [("employee_id", 1), ("level", 1)]
    assert_rows_balance(data)
    # 007's second episode lost its only record: the episode goes too, counted
    assert one(data.quality, "no_history").rows == (2,)


def test_blank_rows_are_excluded(tmp_path) -> None:
    h = pd.concat([history(), pd.DataFrame([[""] * 10], columns=history().columns)])
    data = load_export(tmp_path, history_df=h.reset_index(drop=True))
    assert one(data.quality, "blank_rows").rows == (10,)
    assert_rows_balance(data)


def test_unknown_managers_are_noted(tmp_path) -> None:
    h = history()
    h.loc[0, "Manager ID"] = "X99"
    data = load_export(tmp_path, history_df=h)
    rep = one(data.quality, "unknown_manager")
    assert (rep.n_rows, rep.action) == (1, "note")


# --------------------------------------------------------------------------- files


def test_empty_file_is_fatal(tmp_path) -> None:
    write_export(tmp_path)
    (tmp_path / "people.csv").write_text("Worker ID,Hire Date\n")
    with pytest.raises(InputError) as err:
        load(tmp_path, tmp_path / "map.toml")
    assert fatal_messages(err) == [
        "people.csv has no data rows. Export the people table again with its header row and at "
        "least one row."
    ]
    (tmp_path / "people.csv").write_text("")
    with pytest.raises(InputError, match="people.csv has no data rows"):
        load(tmp_path, tmp_path / "map.toml")


def test_missing_file_is_fatal(tmp_path) -> None:
    write_export(tmp_path)
    (tmp_path / "ladder.csv").unlink()
    with pytest.raises(InputError) as err:
        load(tmp_path, tmp_path / "map.toml")
    assert fatal_messages(err)[0].startswith("No ladder table: file 'ladder.csv' not found in")


def test_unsupported_format(tmp_path) -> None:
    write_export(tmp_path, map_extra="")
    text = (
        (tmp_path / "map.toml")
        .read_text()
        .replace('ladder = "ladder.csv"', 'ladder = "ladder.xls"')
    )
    (tmp_path / "map.toml").write_text(text)
    (tmp_path / "ladder.xls").write_bytes(b"old excel")
    with pytest.raises(InputError, match="files ending in '.xls' cannot be read"):
        load(tmp_path, tmp_path / "map.toml")


def test_semicolon_csv_with_bom_and_windows_encoding(tmp_path) -> None:
    write_export(tmp_path)
    p = people()
    p.loc[0, "Gender"] = "Féminin"
    (tmp_path / "people.csv").write_bytes(p.to_csv(index=False, sep=";").encode("cp1252"))
    data = load(tmp_path, tmp_path / "map.toml")
    assert data.people.loc[0, "gender"] == "Féminin"
    assert one(data.quality, "encoding").action == "note"


def test_na_is_a_value_not_a_missing_cell(tmp_path) -> None:
    h = history()
    h["Location"] = "NA"
    text = MAP_TOML.format(ext="csv").replace(
        'manager_id = "Manager ID"', 'manager_id = "Manager ID"\nlocation = "Location"'
    )
    data = load_export(tmp_path, history_df=h, map_text=text)
    assert set(data.history["location"]) == {"NA"}


# --------------------------------------------------------------------------- all at once


def test_every_fatal_problem_is_reported_together(tmp_path) -> None:
    h = history()
    h.loc[0, "Career Track"] = "Tech Lead"
    h.loc[1, "Annual Base"] = "lots"
    p = people().rename(columns={"Gender": "Sex"})
    text = MAP_TOML.format(ext="csv")
    err = fails(
        tmp_path,
        history_df=h,
        people_df=p,
        map_text=text.replace('gender = "Gender"', 'gender = "Gender Identity"'),
    )
    rules = [(i.table, i.rule) for i in err.value.report.fatal]
    assert rules == [
        ("history", "unknown_track"),
        ("history", "bad_number"),
        ("people", "missing_column"),
    ]
    first = str(err.value).splitlines()[0]
    assert first == FATAL_HEADER.format(n=3, problems="problems")


def test_phase_two_problems_are_collected_too(tmp_path) -> None:
    h = history()
    h.loc[1, "Job Level"] = "IC9"
    h.loc[[3, 4], "Currency"] = "USD"
    p = people()
    p.loc[0, ["Termination Date", "Exit Type"]] = ""
    err = fails(tmp_path, history_df=h, people_df=p)
    rules = sorted(i.rule for i in err.value.report.fatal)
    assert rules == ["level_not_in_ladder", "mixed_currencies", "overlapping_episodes"]


# --------------------------------------------------------------------------- filters


def test_filters_exclude_whole_episodes_and_count_them(tmp_path) -> None:
    data = load_export(
        tmp_path, map_extra='[filters]\nexclude_job_families = ["Sales"]\nmax_grade = 4\n'
    )
    fam = [i for i in data.quality.issues if i.rule == "filter_exclude_job_families"]
    assert [(i.table, i.n_rows) for i in fam] == [("history", 2), ("people", 1)]
    grade = [i for i in data.quality.issues if i.rule == "filter_max_grade"]
    assert [(i.table, i.n_rows) for i in grade] == [("history", 2), ("people", 1)]
    assert set(data.people["employee_id"]) == {"007", "012", "013"}
    assert_rows_balance(data)


def test_exclude_levels_needs_no_ladder_row(tmp_path) -> None:
    h = history()
    h.loc[8, "Job Level"] = "INT1"  # 013 is an intern: not in the ladder, filtered out first
    data = load_export(tmp_path, history_df=h, map_extra='[filters]\nexclude_levels = ["INT1"]\n')
    assert "013" not in set(data.people["employee_id"])
    assert_rows_balance(data)


# --------------------------------------------------------------------------- ladder variants


def test_ladder_rows_per_unit_and_date(tmp_path) -> None:
    lad = pd.concat(
        [
            ladder().assign(org_unit="", valid_from=""),
            pd.DataFrame(
                {
                    "track": ["IC"],
                    "level": ["IC4"],
                    "grade": ["5"],
                    "title": ["Staff (dual ladder)"],
                    "org_unit": ["U2"],
                    "valid_from": ["2023-01-01"],
                }
            ),
        ],
        ignore_index=True,
    )
    data = load_export(tmp_path, ladder_df=lad)
    h = data.history.set_index("row")
    assert h.loc[7, "grade"] == 5  # IC4 in U2 from 2023-01-01
    assert data.ladder["valid_from"].notna().sum() == 1


def test_global_grade_column_instead_of_a_ladder(tmp_path) -> None:
    h = history()
    h["Global Grade"] = ["2", "3", "4", "4", "5", "3", "4", "2", "3"]
    text = MAP_TOML.format(ext="csv").replace('ladder = "ladder.csv"\n', "")
    data = load_export(
        tmp_path, history_df=h, map_text=text, map_extra='[grade]\ncolumn = "Global Grade"\n'
    )
    assert data.history["grade"].tolist() == [2, 3, 4, 4, 5, 3, 4, 2, 3]
    lad = data.ladder.set_index(["track", "level"])["grade"]
    assert lad[("IC", "IC4")] == 4 and lad[("M", "M2")] == 5
    assert "ladder" not in data.quality.rows_in


def test_non_integer_grades_are_fatal(tmp_path) -> None:
    lad = ladder()
    lad.loc[1, "grade"] = "3.5"
    err = fails(tmp_path, ladder_df=lad)
    assert err.value.report.fatal[0].rule == "bad_grade"


def test_ladder_conflict_is_fatal(tmp_path) -> None:
    lad = pd.concat([ladder(), ladder().iloc[[2]].assign(grade="6")], ignore_index=True)
    err = fails(tmp_path, ladder_df=lad)
    assert fatal_messages(err) == [
        "The ladder gives level 'IC4' (track IC) grade 4 and grade 6 for the same unit and date "
        "(rows 3, 7 of ladder.csv). Keep one row per level, unit and valid_from."
    ]


# --------------------------------------------------------------------------- snapshot


SNAPSHOT_MAP = """\
[export]
kind = "snapshot"
extract_date = "2024-12-31"

[files]
snapshot = "snapshot.csv"
ladder = "ladder.csv"

[columns.snapshot]
employee_id = "ID"
hire_date = "Hired"
track = "Track"
level = "Level"
base_salary = "Salary"
last_promotion_date = "Last Promotion"
years_since_promotion = "Years In Level"
left = "Status"
termination_date = "Left On"

[values.left]
"Active" = "false"
"Leaver" = "true"
"""


def snapshot_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ID": ["001", "002", "003", "004", "005"],
            "Hired": ["2018-01-01", "2019-05-01", "2020-02-01", "2021-03-01", "2022-01-01"],
            "Track": ["IC", "M", "IC", "M", "IC"],
            "Level": ["IC3", "M1", "IC4", "M2", "IC2"],
            "Salary": ["70000", "90000", "82000", "120000", "55000"],
            "Last Promotion": ["2021-01-01", "", "", "2023-01-01", ""],
            "Years In Level": ["", "2", "", "", ""],
            "Status": ["Active", "Active", "Leaver", "Active", "Leaver"],
            "Left On": ["", "", "2024-06-30", "", ""],
        }
    )


def test_snapshot_export_loads_into_the_same_audit_data(tmp_path) -> None:
    snapshot_frame().to_csv(tmp_path / "snapshot.csv", index=False)
    ladder().to_csv(tmp_path / "ladder.csv", index=False)
    (tmp_path / "map.toml").write_text(SNAPSHOT_MAP)
    data = load(tmp_path, tmp_path / "map.toml")
    assert data.is_snapshot
    assert len(data.snapshot) == 4  # 005 left without a date
    assert one(data.quality, "left_without_date").rows == (5,)
    h = data.history.set_index("employee_id")
    assert h.loc["001", "effective_date"] == pd.Timestamp("2021-01-01")
    assert h.loc["002", "effective_date"] == pd.Timestamp("2024-12-31") - pd.Timedelta(days=730)
    assert h.loc["003", "effective_date"] == pd.Timestamp("2020-02-01")  # the hire date
    assert h["grade"].tolist() == [3, 4, 4, 5]
    assert (data.history["episode"] == 0).all()
    assert data.people.set_index("employee_id").loc["003", "termination_type"] == "other"
    assert data.snapshot["left"].tolist() == ["false", "false", "true", "false"]
    assert data.history_start == data.extract_date
    assert_rows_balance(data)


def test_snapshot_population_filter_is_counted_against_the_snapshot(tmp_path) -> None:
    snapshot_frame().to_csv(tmp_path / "snapshot.csv", index=False)
    ladder().to_csv(tmp_path / "ladder.csv", index=False)
    (tmp_path / "map.toml").write_text(SNAPSHOT_MAP + "\n[filters]\nmax_grade = 4\n")
    data = load(tmp_path, tmp_path / "map.toml")
    assert (data.history["grade"] <= 4).all()
    issue = one(data.quality, "filter_max_grade")
    assert issue.table == "snapshot" and issue.n_rows == 1
    assert_rows_balance(data)


def test_snapshot_with_one_person_twice_is_fatal(tmp_path) -> None:
    snap = snapshot_frame()
    snap.loc[1, "ID"] = "001"
    snap.to_csv(tmp_path / "snapshot.csv", index=False)
    ladder().to_csv(tmp_path / "ladder.csv", index=False)
    (tmp_path / "map.toml").write_text(SNAPSHOT_MAP)
    with pytest.raises(InputError, match="1 people appear in more than one row of the snapshot"):
        load(tmp_path, tmp_path / "map.toml")


# --------------------------------------------------------------------------- privacy via load


def test_identifier_columns_are_refused(tmp_path) -> None:
    p = people().assign(**{"Full Name": "Ada Lovelace", "Work Email": "ada@example.org"})
    write_export(tmp_path, people_df=p)
    with pytest.raises(PrivacyError) as err:
        load(tmp_path, tmp_path / "map.toml")
    assert str(err.value).startswith(
        "people.csv holds direct identifiers: 'Full Name' (looks like a name), 'Work Email' "
        "(looks like an e-mail address)."
    )
    allowed = write_export(
        tmp_path / "ok",
        people_df=p,
        map_extra='[privacy]\nallow_columns = ["Full Name", "Work Email"]\n',
    )
    assert len(load(tmp_path / "ok", allowed).people) == 6


def test_pseudonymised_ids_agree_across_tables(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TEST_SALT", "s" * 32)
    path = write_export(
        tmp_path, map_extra='[privacy]\npseudonymise = true\nsalt_env = "TEST_SALT"\n'
    )
    data = load(tmp_path, path)
    plain = load_export(tmp_path / "plain")
    ids = set(data.history["employee_id"])
    assert ids == set(data.people["employee_id"])
    assert not ids & set(plain.history["employee_id"])
    assert all(i.startswith("p") and len(i) == 17 for i in ids)
    # a manager's pseudonym is their employee pseudonym
    mgr = data.history.set_index("row")["manager_id"]
    emp = data.history.set_index("row")["employee_id"]
    assert mgr.loc[1] == emp.loc[4]  # 007's manager is 010
    again = load(tmp_path, path)
    pd.testing.assert_frame_equal(again.history, data.history)
    monkeypatch.delenv("TEST_SALT")
    with pytest.raises(
        PrivacyError, match="needs a secret salt in the environment variable TEST_SALT"
    ):
        load(tmp_path, path)


# --------------------------------------------------------------------------- data folder


def test_a_data_file_that_is_not_a_workbook_is_refused(tmp_path) -> None:
    path = write_export(tmp_path)
    with pytest.raises(MapError, match="history.csv is a file; pass the folder"):
        load(tmp_path / "history.csv", path)


# --------------------------------------------------------------------------- properties


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    h_order=st.permutations(list(range(9))),
    p_order=st.permutations(list(range(6))),
)
def test_row_order_does_not_change_the_canonical_tables(tmp_path_factory, h_order, p_order) -> None:
    folder = tmp_path_factory.mktemp("perm")
    base = load_export(folder / "base")
    shuffled = load_export(
        folder / "shuffled",
        history_df=history().iloc[h_order].reset_index(drop=True),
        people_df=people().iloc[p_order].reset_index(drop=True),
    )
    for name, keys in (
        ("history", ["employee_id", "effective_date"]),
        ("people", ["employee_id", "hire_date"]),
    ):
        a = getattr(base, name).drop(columns="row").sort_values(keys).reset_index(drop=True)
        b = getattr(shuffled, name).drop(columns="row").sort_values(keys).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    dup=st.lists(st.integers(0, 8), max_size=4),
    drop_level=st.lists(st.integers(0, 8), max_size=2, unique=True),
    late=st.lists(st.integers(0, 8), max_size=2, unique=True),
)
def test_rows_are_never_lost(tmp_path_factory, dup, drop_level, late) -> None:
    h = history()
    h.loc[drop_level, "Job Level"] = ""
    h.loc[late, "Effective Date"] = "2026-01-01"
    h = pd.concat([h, h.iloc[dup]], ignore_index=True)
    data = load_export(tmp_path_factory.mktemp("rows"), history_df=h)
    assert_rows_balance(data)
    assert data.quality.rows_in["history"] == len(h)


# --------------------------------------------------------------------------- implausible dates


@pytest.mark.parametrize("ext", ["csv", "xlsx", "parquet"])
@pytest.mark.parametrize("placeholder", ["9999-12-31", "9999-01-01", "4712-12-31", "2999-12-31"])
def test_far_future_end_dates_are_placeholders_read_as_empty(tmp_path, ext, placeholder) -> None:
    """9999-12-31 ("no end date") crashed every reader; it now reads as empty, counted."""
    p = people()
    p.loc[1, "Termination Date"] = placeholder  # 007's second episode is open
    data = load_export(tmp_path / ext, ext=ext, people_df=p)
    rep = one(data.quality, "date_placeholder")
    assert (rep.table, rep.action, rep.n_rows, rep.rows, rep.column) == (
        "people",
        "repaired",
        1,
        (2,),
        "Termination Date",
    )
    assert rep.message == (
        "dates on or after 2200-01-01 (such as 9999-12-31) are placeholders for 'no date' and "
        "were read as empty; ID 007"
    )
    pd.testing.assert_frame_equal(data.people, load_export(tmp_path / "clean").people)
    assert_rows_balance(data)


def test_a_placeholder_in_a_required_date_leaves_the_row_out_counted(tmp_path) -> None:
    h = history()
    h.loc[4, "Effective Date"] = "31/12/9999"
    data = load_export(tmp_path, history_df=h)
    assert one(data.quality, "date_placeholder").rows == (5,)
    missing = one(data.quality, "missing_value")
    assert (missing.column, missing.rows, missing.action) == ("effective_date", (5,), "excluded")
    assert len(data.history) == 8
    assert_rows_balance(data)


def test_dates_before_1900_are_fatal_naming_file_row_id_and_column(tmp_path) -> None:
    p = people()
    p.loc[2, "Hire Date"] = "1850-06-01"
    p.loc[3, "Hire Date"] = "0001-01-01"  # outside what pandas can hold: crashed before
    err = fails(tmp_path, people_df=p)
    assert fatal_messages(err) == [
        "Column 'Hire Date' of people.csv has 2 dates before 1900 (e.g. '1850-06-01' in row 3, "
        "ID 010); rows 3, 4. Such dates are not plausible in an HR export (and dates before "
        "1677 cannot be represented). Correct these values; if the export writes a placeholder "
        "such as 0001-01-01 or 1800-01-01 for 'no date', leave these cells empty instead."
    ]
    issue = err.value.report.fatal[0]
    assert (issue.rule, issue.column, issue.rows) == ("implausible_date", "Hire Date", (3, 4))


def test_dates_before_1900_in_parquet_are_fatal_too(tmp_path) -> None:
    p = people()
    p.loc[2, "Hire Date"] = "1600-06-01"
    err = fails(tmp_path, ext="parquet", people_df=p)
    issue = one(err.value.report, "implausible_date")
    assert (issue.action, issue.rows, issue.file) == ("fatal", (3,), "people.parquet")
    assert "ID 010" in issue.message


def test_yyyymmdd_numbers_reach_placeholders(tmp_path) -> None:
    path = write_export(tmp_path, ext="parquet")
    p = people()
    p["Hire Date"] = p["Hire Date"].str.replace("-", "").astype("int64")
    p["Termination Date"] = [20211231, 99991231, np.nan, np.nan, 20230430, np.nan]
    p.to_parquet(tmp_path / "people.parquet", index=False)  # numbers, not date cells
    data = load(tmp_path, path)
    assert one(data.quality, "date_placeholder").rows == (2,)
    clean = load_export(tmp_path / "clean")
    pd.testing.assert_series_equal(data.people["hire_date"], clean.people["hire_date"])


def test_hire_after_the_extract_date_is_excluded_with_its_id(tmp_path) -> None:
    p = people()
    p.loc[5, "Hire Date"] = "2025-03-01"  # 013; the extract date is 2024-12-31
    data = load_export(tmp_path, people_df=p)
    rep = one(data.quality, "hired_after_extract")
    assert (rep.table, rep.action, rep.rows, rep.column) == (
        "people",
        "excluded",
        (6,),
        "hire_date",
    )
    assert rep.message == (
        "episodes hired after the extract date 2024-12-31 are left out: the export was pulled "
        "before that day (a future starter, or a wrong date); correct the date if it is wrong; "
        "ID 013"
    )
    assert not issues(data.quality, "hired_after_as_of")
    assert one(data.quality, "episode_excluded").rows == (9,)
    assert_rows_balance(data)


def test_hire_dates_in_1900_are_a_counted_finding(tmp_path) -> None:
    p = people()
    p.loc[2, "Hire Date"] = "1900-01-01"  # 010: a placeholder for an unknown date
    data = load_export(tmp_path, people_df=p)
    rep = one(data.quality, "implausible_hire_date")
    assert (rep.action, rep.n_rows, rep.rows) == ("note", 1, (3,))
    assert rep.message == (
        "hire dates before 1964-12-31 (60 years before the extract date) are implausible "
        "(1900-01-01 is a common placeholder for an unknown date): kept; tenure from these dates "
        "is unreliable, so correct them or leave them empty; ID 010"
    )
    assert "010" in set(data.people["employee_id"])
    assert_rows_balance(data)


# --------------------------------------------------------------------------- IDs in messages


def test_messages_about_people_name_their_ids(tmp_path) -> None:
    p = people()
    p.loc[4, "Termination Date"] = "2019-01-01"  # 012 hired 2020-05-04
    h = history()
    h.loc[1, "Annual Base"] = "-70000"  # 007
    h.loc[3, "Annual Base"] = "0"  # 010
    h.loc[6, "Effective Date"] = "2020-01-01"  # 011 hired 2021-02-01: before the hire
    h = pd.concat([h, h.iloc[[0]].assign(**{"Worker ID": "999"})], ignore_index=True)
    data = load_export(tmp_path, people_df=p, history_df=h)
    q = data.quality
    assert one(q, "termination_before_hire").message == (
        "episodes whose termination date is before their hire date are left out; correct the "
        "dates in the export to include them; ID 012"
    )
    assert one(q, "nonpositive_pay").message == (
        "zero or negative base pay is not a pay rate: pay set to missing for these records "
        "(kept for careers); IDs 007, 010"
    )
    assert one(q, "person_not_in_people").message.endswith("to include them; ID 999")
    outside = one(q, "outside_episode")
    assert (outside.rows, outside.column) == ((7,), "effective_date")
    assert outside.message.endswith("by a people rule) are left out; ID 011")
    assert_rows_balance(data)


def test_an_episode_without_history_names_the_person(tmp_path) -> None:
    h = history().drop(index=2).reset_index(drop=True)  # 007's second episode has no record
    data = load_export(tmp_path, history_df=h)
    rep = one(data.quality, "no_history")
    assert (rep.rows, rep.column) == ((2,), "employee_id")
    assert rep.message == (
        "employment episodes without any job record (after the rules above) are left out; ID 007"
    )
    assert_rows_balance(data)


def test_the_ids_named_are_bounded(tmp_path) -> None:
    extra = pd.concat(
        [history().iloc[[0]].assign(**{"Worker ID": f"9{i:02d}"}) for i in range(1, 9)],
        ignore_index=True,
    )
    data = load_export(tmp_path, history_df=pd.concat([history(), extra], ignore_index=True))
    rep = one(data.quality, "person_not_in_people")
    assert rep.n_rows == 8
    assert rep.message.endswith("; IDs 901, 902, 903, 904, 905 and 3 more")


def test_pseudonymised_loads_name_people_by_pseudonym(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TEST_SALT", "s" * 32)
    p = people()
    p.loc[4, "Termination Date"] = "2019-01-01"
    path = write_export(
        tmp_path,
        people_df=p,
        map_extra='[privacy]\npseudonymise = true\nsalt_env = "TEST_SALT"\n',
    )
    data = load(tmp_path, path)
    message = one(data.quality, "termination_before_hire").message
    assert "012" not in message
    pseudonym = pseudonymise(pd.Series(["012"]), "s" * 32).iloc[0]
    assert message.endswith(f"; ID {pseudonym}")


def test_the_encoding_note_names_columns_and_rows(tmp_path) -> None:
    write_export(tmp_path)
    p = people()
    p.loc[[0, 3], "Gender"] = ["Féminin", "Mâle"]
    (tmp_path / "people.csv").write_bytes(p.to_csv(index=False).encode("cp1252"))
    data = load(tmp_path, tmp_path / "map.toml")
    rep = one(data.quality, "encoding")
    assert (rep.column, rep.rows, rep.n_rows) == ("Gender", (1, 4), 2)
    assert rep.message == (
        "the file is not UTF-8; it was read as Windows-1252 (Western European): column "
        "'Gender' has 2 cells with characters outside ASCII (rows 1, 4); check that these read "
        "as meant"
    )
    assert data.people.loc[3, "gender"] == "Mâle"


# --------------------------------------------------------------------------- number formats


def _pay(values: list[str]) -> pd.DataFrame:
    return history().assign(**{"Annual Base": values})


DOT_THOUSANDS = ["60.000", "70.000", "90.000", "95.000", "110.000", "72.000", "80.000"]


def test_dot_thousands_are_read_as_thousands_when_the_column_shows_it(tmp_path) -> None:
    h = _pay([*DOT_THOUSANDS, "58.000", "1.071.000,50"])  # the last shows the decimal comma
    data = load_export(tmp_path, history_df=h)
    pay = data.history.set_index("row")["pay"]
    assert pay.loc[1] == 60000.0 and pay.loc[9] == 1071000.5
    rep = one(data.quality, "decimal_comma")
    assert (rep.action, rep.n_rows, rep.column) == ("repaired", 9, "Annual Base")
    assert rep.message == (
        "numbers written with a decimal comma and '.' as thousands separator (1.234,5) were "
        "read as such"
    )


def test_a_decimal_point_elsewhere_in_the_column_reads_150_000_as_150(tmp_path) -> None:
    h = _pay(["60000.50", "150.000", "90000", "95000", "110000", "72000", "80000", "58000", "1"])
    data = load_export(tmp_path, history_df=h)
    assert data.history.set_index("row").loc[2, "pay"] == 150.0
    assert not issues(data.quality, "decimal_comma")


def test_numbers_that_read_two_ways_are_refused(tmp_path) -> None:
    """'150.000' used to be read as 150 in a dot-thousands export, silently."""
    h = _pay([*DOT_THOUSANDS, "58.000", "71000"])
    err = fails(tmp_path, history_df=h)
    assert fatal_messages(err) == [
        "Column 'Annual Base' of history.csv has 8 numbers that read two ways (e.g. '60.000' in "
        "row 1: 60 if '.' is the decimal separator, 60000 if ',' is); rows 1, 2, 3, 4, 5, 6, 7, "
        "8. No other value in this column shows which separator is the decimal one, and the "
        "loader does not guess. Declare it in the column map: [export] decimal_separator = "
        '"." (1,234.5) or "," (1.234,5), or for this column only: [numbers] '
        '"history.base_salary" = ",".'
    ]
    assert err.value.report.fatal[0].rule == "ambiguous_number"


def test_a_declared_decimal_separator_settles_it(tmp_path) -> None:
    h = _pay([*DOT_THOUSANDS, "58.000", "71000"])
    per_column = load_export(
        tmp_path / "a", history_df=h, map_extra='[numbers]\n"history.base_salary" = ","\n'
    )
    assert per_column.history["pay"].tolist()[:2] == [60000.0, 70000.0]
    assert one(per_column.quality, "decimal_comma").n_rows == 8
    text = MAP_TOML.format(ext="csv").replace(
        'history_start = "2020-01-01"', 'history_start = "2020-01-01"\ndecimal_separator = "."'
    )
    as_point = load_export(tmp_path / "b", history_df=_pay(["85,500"] * 9), map_text=text)
    assert as_point.history["pay"].tolist() == [85500.0] * 9
    assert one(as_point.quality, "number_format").n_rows == 9
    # a value that only fits the other separator than the declared one is not a number
    err = fails(
        tmp_path / "c",
        history_df=_pay([*DOT_THOUSANDS, "58.000", "71000,5"]),
        map_extra='[numbers]\n"history.base_salary" = "."\n',
    )
    assert err.value.report.fatal[0].rule == "bad_number"
    assert "'71000,5' in row 9" in fatal_messages(err)[0]


def test_decimal_separator_keys_are_checked(tmp_path) -> None:
    with pytest.raises(MapError, match=r"\[numbers\] \"history.base_salary\" must be '.'"):
        load_export(tmp_path / "a", map_extra='[numbers]\n"history.base_salary" = ";"\n')
    with pytest.raises(MapError, match="history.base_salery"):
        load_export(tmp_path / "b", map_extra='[numbers]\n"history.base_salery" = ","\n')


def test_comma_thousands_with_decimals_still_read_as_before(tmp_path) -> None:
    h = _pay(["60,000.00", "$70,000", "90000", "95000", "110000", "72000", "80000", "58000", "1"])
    data = load_export(tmp_path, history_df=h)
    assert data.history.loc[:1, "pay"].tolist() == [60000.0, 70000.0]
    assert one(data.quality, "number_format").n_rows == 2


# --------------------------------------------------------------------------- repeated headers


def test_a_repeated_header_the_map_uses_is_fatal(tmp_path) -> None:
    write_export(tmp_path)
    p = people()
    p.insert(2, "Hire Date ", p["Hire Date"])
    p.columns = [c.strip() for c in p.columns]  # two columns named 'Hire Date'
    p.to_csv(tmp_path / "people.csv", index=False)
    with pytest.raises(InputError) as err:
        load(tmp_path, tmp_path / "map.toml")
    assert fatal_messages(err) == [
        "people.csv has 2 columns named 'Hire Date' (the header repeats it), and the column map "
        "uses it for hire_date: the loader cannot tell which one is meant. Rename or remove the "
        "extra column in the export."
    ]
    assert err.value.report.fatal[0].rule == "duplicate_column"


@pytest.mark.parametrize("ext", ["csv", "xlsx", "parquet"])
def test_a_repeated_header_the_map_does_not_use_is_noted(tmp_path, ext) -> None:
    p = people().assign(Note="a", Other="b")
    p.columns = [*p.columns[:-2], "Note", "Note"]
    data = load_export(tmp_path, ext=ext, people_df=p)
    rep = one(data.quality, "duplicate_column")
    assert (rep.action, rep.column, rep.file) == ("note", "Note", f"people.{ext}")
    assert rep.message == (
        "the header names 2 columns 'Note'; the column map does not use them, so they are ignored"
    )
    assert_rows_balance(data)


# --------------------------------------------------------------------------- managers and pay


def test_manager_cycles_are_a_counted_finding(tmp_path) -> None:
    h = history()
    h.loc[4, "Manager ID"] = "011"  # 010 (from 2022) reports to 011, who reports to 010
    h.loc[8, "Manager ID"] = "013"  # 013 is their own manager
    data = load_export(tmp_path, history_df=h)
    rep = one(data.quality, "manager_cycle")
    assert (rep.table, rep.action, rep.n_rows, rep.rows, rep.column) == (
        "history",
        "note",
        3,
        (5, 7, 9),
        "manager_id",
    )
    assert rep.message == (
        "reporting lines on as-of 2024-12-31 that run in a circle (A manages B, who manages A, "
        "or a person is their own manager): kept; direct reports and reporting lines through "
        "these people are unreliable; correct manager_id in the export; IDs 010, 011, 013"
    )
    assert len(data.history) == 9
    # a cycle that ended before as-of is not one on as-of
    earlier = load(tmp_path, tmp_path / "map.toml", as_of="2021-12-31")
    assert not issues(earlier.quality, "manager_cycle")


def test_only_the_people_on_a_cycle_are_named() -> None:
    from pathaudit.io._people import _cycles

    # 0 -> 1 -> 2 -> 1 (cycle 1, 2); 3 -> 0 (a chain into it); 4 -> 4; 5 -> none
    assert _cycles(np.array([1, 2, 1, 0, 4, -1])).tolist() == [
        False,
        True,
        True,
        False,
        True,
        False,
    ]


def test_implausible_pay_is_noted_and_kept(tmp_path) -> None:
    h = history()
    h.loc[7, "Annual Base"] = "58"  # 012: a lost "000"
    data = load_export(tmp_path, history_df=h)
    rep = one(data.quality, "implausible_pay")
    assert (rep.action, rep.n_rows, rep.rows, rep.column) == ("note", 1, (8,), "base_salary")
    assert rep.message == (
        "FTE pay far from the rest of its grade (log pay more than 5 robust standard deviations "
        "from the grade median) or below a tenth of the median pay of the export: kept; check "
        "these values (an hourly or monthly figure in an annual column, a missing or extra "
        "digit); ID 012"
    )
    assert data.history.set_index("row").loc[8, "pay"] == 58.0
    assert len(data.history) == 9
    assert_rows_balance(data)


def test_the_pay_rule_is_robust_and_per_grade() -> None:
    from pathaudit.io._pay import implausible_pay

    rng = np.random.default_rng(1)
    g3 = list(np.exp(rng.normal(np.log(70000), 0.15, 30)))
    g9 = list(np.exp(rng.normal(np.log(300000), 0.15, 30)))
    pay = pd.Series([*g3, 700000.0, *g9, 70000.0, 1.0, np.nan, -5.0])
    grade = pd.Series([3] * 31 + [9] * 31 + [3, 3, 3])
    flag = implausible_pay(pay, grade)
    # 700000 in grade 3 is far (x10); so is 70000 in grade 9 (/4); $1 a year is below the floor
    assert np.flatnonzero(flag).tolist() == [30, 61, 62]
    # the same values in a grade with fewer than 10 records: only the floor applies
    small = implausible_pay(pd.Series([70000.0, 72000.0, 700000.0, 1.0]), pd.Series([3] * 4))
    assert small.tolist() == [False, False, False, True]
    # scaling all pay leaves the findings unchanged
    assert (implausible_pay(pay * 1.37, grade) == flag).all()


def test_cycles_agree_with_walking_every_reporting_line() -> None:
    from pathaudit.io._people import _cycles

    def walked(nxt: np.ndarray) -> list[bool]:  # follow each line until it repeats or stops
        out = []
        for start in range(len(nxt)):
            seen, v = set(), int(nxt[start])
            while v >= 0 and v not in seen and v != start:
                seen.add(v)
                v = int(nxt[v])
            out.append(v == start)
        return out

    rng = np.random.default_rng(7)
    for n in (0, 1, 2, 5, 17, 60):
        for _ in range(40):
            nxt = np.where(rng.random(n) < 0.3, -1, rng.integers(0, max(n, 1), size=n))
            assert _cycles(nxt).tolist() == walked(nxt)
    chain = np.arange(-1, 99_999)  # 0 <- 1 <- 2 ...: a long line without a cycle
    assert not _cycles(chain).any()
    ring = np.roll(np.arange(100_000), -1)  # one cycle through everyone
    assert _cycles(ring).all()


def test_fast_isin_and_sort_agree_with_pandas() -> None:
    from pathaudit.io._output import stable_order
    from pathaudit.io._parse import is_in

    rng = np.random.default_rng(3)
    labels = ["a", "b", "é", "Z", "a b", None, "10", "9"]
    for _ in range(50):
        ids = pd.Series(rng.choice(labels, 40), dtype=str)
        among = pd.Series(rng.choice(labels, 5), dtype=str)
        assert is_in(ids, among).tolist() == ids.isin(among).tolist()
        assert is_in(ids, among.astype(object)).tolist() == ids.isin(among).tolist()
        day = pd.Series(pd.to_datetime(rng.choice(["2020-01-01", "2021-05-05", None], 40)))
        row = pd.Series(rng.integers(1, 4, 40)).astype("Int64").mask(rng.random(40) < 0.2)
        frame = pd.DataFrame({"id": ids, "day": day, "row": row}, index=rng.permutation(40))
        for keys in (["id", "day", "row"], ["day"], ["row", "id"]):
            pd.testing.assert_frame_equal(frame.take(stable_order(frame, keys)),
                                          frame.sort_values(keys, kind="stable"))


def test_episode_search_is_the_as_of_join() -> None:
    from pathaudit.io._history import _episode_of

    def as_of_join(h, p):
        left = h[["_pid", "effective_date"]].sort_values("effective_date", kind="stable")
        right = p[["_pid", "hire_date", "termination_date", "_ep"]].sort_values(
            "hire_date", kind="stable")
        m = pd.merge_asof(left.reset_index(names="_idx"), right, left_on="effective_date",
                          right_on="hire_date", by="_pid", direction="backward")
        idx = m["_idx"].to_numpy()
        return (pd.Series(m["_ep"].to_numpy(), index=idx).reindex(h.index),
                pd.Series(m["termination_date"].to_numpy(), index=idx).reindex(h.index))

    rng = np.random.default_rng(11)
    start = pd.Timestamp("2020-01-01")
    for t in range(200):  # same-day hires, records before any hire, unknown people
        n_p, n_h = int(rng.integers(1, 30)), int(rng.integers(1, 80))
        p = pd.DataFrame({"_pid": rng.integers(0, 8, n_p),
                          "hire_date": start + pd.to_timedelta(rng.integers(0, 60, n_p), "D")})
        p["termination_date"] = (p["hire_date"] + pd.to_timedelta(
            rng.integers(0, 90, n_p), "D")).where(rng.random(n_p) < 0.6)
        p["_ep"] = np.arange(n_p, dtype="int64")
        p = p.sample(frac=1, random_state=t)
        h = pd.DataFrame({"_pid": rng.integers(0, 9, n_h), "effective_date": start
                          + pd.to_timedelta(rng.integers(-30, 120, n_h), "D")},
                         index=rng.permutation(n_h) + 3)
        (ep, end), (want_ep, want_end) = _episode_of(h, p), as_of_join(h, p)
        pd.testing.assert_series_equal(ep.astype("float64"), want_ep.astype("float64"))
        pd.testing.assert_series_equal(end, want_end)


def test_implausible_pay_groups_grades_as_their_text_did() -> None:
    # the grade codes group as the grade's text did: a record without a grade is in no
    # grade (only the export-wide floor applies to it)
    from pathaudit.io._pay import implausible_pay

    def by_text(pay, grade):
        ok = (pay > 0).fillna(False).to_numpy(dtype=bool)
        flag = np.zeros(len(pay), bool)
        lp = pd.Series(np.log(pay.to_numpy(dtype="float64")[ok]))
        g = pd.Series(grade.to_numpy(dtype=object)[ok]).astype(str).to_numpy()
        med = lp.groupby(g, sort=False).transform("median")
        dev = (lp - med).abs()
        spread = np.maximum(1.4826 * dev.groupby(g, sort=False).transform("median"), 0.1)
        enough = lp.groupby(g, sort=False).transform("size") >= 10
        low = lp < np.log(0.1) + float(lp.median())
        flag[ok] = ((enough & (dev > 5.0 * spread)) | low).to_numpy(dtype=bool)
        return flag

    rng = np.random.default_rng(8)
    for _ in range(100):
        n = int(rng.integers(20, 300))
        pay = pd.Series(np.exp(rng.normal(11, 0.5, n)) * np.where(rng.random(n) < 0.05, 30, 1))
        pay[rng.random(n) < 0.05] = np.nan
        for dtype in ("Int64", "float64"):
            grade = pd.Series(rng.integers(1, 6, n)).astype(dtype)
            grade[rng.random(n) < 0.1] = None
            assert np.array_equal(implausible_pay(pay, grade), by_text(pay, grade))
