"""The column map: parsing, defaults, and the exact texts of its errors."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pathaudit.errors import MapError
from pathaudit.io.mapping import (
    BAD_VALUE,
    EXPORT_KEYS,
    MAP_NOT_FOUND,
    MISSING_SETTING,
    UNKNOWN_KEY,
    ColumnMap,
    check_date_format,
    parse_map,
)

BASE = {"export": {"extract_date": "2024-12-31", "history_start": "2020-01-01"}}


def with_(**sections: dict) -> dict:
    out = {k: dict(v) for k, v in BASE.items()}
    for name, value in sections.items():
        out[name] = {**out.get(name, {}), **value}
    return out


def test_minimal_map_gets_defaults() -> None:
    cmap = parse_map(BASE)
    assert isinstance(cmap, ColumnMap)
    assert cmap.kind == "history"
    assert cmap.extract_date == pd.Timestamp("2024-12-31")
    assert cmap.history_start == pd.Timestamp("2020-01-01")
    assert cmap.salary_basis == "fte"
    assert cmap.fte_unit == "fraction"
    assert cmap.config["export"]["fiscal_year_start_month"] == 1
    assert cmap.privacy == {
        "min_cell_size": 5,
        "pseudonymise": False,
        "salt_env": "PATHAUDIT_SALT",
        "allow_columns": [],
    }
    assert cmap.fx is None
    assert cmap.grade_column is None
    assert cmap.sheet("history") == "history"


def test_toml_file_with_native_dates_and_every_section(tmp_path) -> None:
    path = tmp_path / "map.toml"
    path.write_text(
        """
[export]
kind = "history"
extract_date = 2025-12-31
history_start = 2018-01-01
salary_basis = "actual"
fiscal_year_start_month = 4
date_format = "%d/%m/%Y"
fte_unit = "percent"

[files]
workbook = "export.xlsx"

[sheets]
history = "Job History"

[columns.history]
employee_id = "Worker ID"

[values.track]
"Individual Contributor" = "IC"

[values.left]
"Gone" = true

[dates]
"people.hire_date" = "%m/%d/%Y"

[grade]
column = "Global Grade"

[filters]
exclude_levels = ["INT1"]
max_grade = 10
min_fte = 0.0

[privacy]
min_cell_size = 10
pseudonymise = true
salt_env = "MY_SALT"
allow_columns = ["Cost Centre Name"]

[fx]
reporting_currency = "EUR"
USD = 0.92
"""
    )
    cmap = parse_map(path)
    assert cmap.base_dir == tmp_path
    assert cmap.config["export"]["extract_date"] == "2025-12-31"
    assert cmap.config["export"]["fiscal_year_start_month"] == 4
    assert cmap.workbook == "export.xlsx"
    assert cmap.sheet("history") == "Job History"
    assert cmap.sheet("people") == "people"
    assert cmap.columns("history") == {"employee_id": "Worker ID"}
    assert cmap.values("track") == {"Individual Contributor": "IC"}
    assert cmap.values("left") == {"Gone": "true"}
    assert cmap.date_format("people", "hire_date") == "%m/%d/%Y"  # per column wins
    assert cmap.date_format("history", "effective_date") == "%d/%m/%Y"
    assert cmap.grade_column == "Global Grade"
    assert cmap.filters == {"exclude_levels": ["INT1"], "max_grade": 10, "min_fte": 0.0}
    assert cmap.fx == {"USD": 0.92, "EUR": 1.0}
    assert cmap.reporting_currency == "EUR"
    assert cmap.privacy["allow_columns"] == ["Cost Centre Name"]


def test_unknown_key_suggests_the_close_match() -> None:
    with pytest.raises(MapError) as err:
        parse_map(with_(export={"salary_bases": "fte"}))
    assert str(err.value) == (
        "Unknown key 'salary_bases' in [export] of the column map. Did you mean "
        "'salary_basis'? Allowed keys: " + ", ".join(EXPORT_KEYS) + "."
    )


def test_unknown_canonical_column_suggests_the_close_match() -> None:
    with pytest.raises(MapError) as err:
        parse_map(with_(columns={"people": {"hire_dat": "Hire Date"}}))
    message = str(err.value)
    assert message.startswith(
        "Unknown key 'hire_dat' in [columns.people] of the column map. "
        "Did you mean 'hire_date'? Allowed keys: employee_id, hire_date,"
    )


def test_unknown_section_and_no_close_match() -> None:
    with pytest.raises(MapError) as err:
        parse_map(with_(column={"x": 1}))
    assert "Did you mean 'columns'?" in str(err.value)
    with pytest.raises(MapError) as err:
        parse_map(with_(export={"zzzz": 1}))
    assert str(err.value) == UNKNOWN_KEY.format(
        key="zzzz", section="[export]", suggestion="", allowed=", ".join(EXPORT_KEYS)
    )


def test_missing_extract_date_is_left_to_the_loader() -> None:
    # the loader takes the latest date in the export (tests/test_exports.py)
    cmap = parse_map({"export": {"history_start": "2020-01-01"}})
    assert cmap.config["export"]["extract_date"] is None


def test_history_start_required_for_history_not_for_snapshot() -> None:
    with pytest.raises(MapError) as err:
        parse_map({"export": {"extract_date": "2024-12-31"}})
    assert str(err.value) == MISSING_SETTING.format(
        section="[export]",
        key="history_start",
        what="the first date from which the job history is complete",
        example='history_start = "2018-01-01"',
    )
    snap = parse_map({"export": {"kind": "snapshot", "extract_date": "2024-12-31"}})
    assert snap.history_start == snap.extract_date


def test_bad_values_are_named_with_what_is_expected() -> None:
    with pytest.raises(MapError) as err:
        parse_map(with_(export={"kind": "snap"}))
    assert str(err.value) == BAD_VALUE.format(
        setting="[export] kind", expected="'history' or 'snapshot'", found="snap"
    )
    assert str(err.value) == "[export] kind must be 'history' or 'snapshot'; found 'snap'."


def test_value_targets_are_checked() -> None:
    with pytest.raises(MapError) as err:
        parse_map(with_(values={"track": {"People Manager": "Manager"}}))
    assert str(err.value) == (
        "[values.track] \"People Manager\" must be one of 'IC', 'M'; found 'Manager'."
    )
    with pytest.raises(MapError, match="one of 'voluntary', 'involuntary', 'other'"):
        parse_map(with_(values={"termination_type": {"Quit": "resigned"}}))
    # level and other text columns map to any text
    assert parse_map(with_(values={"level": {"Staff+": "IC6"}})).values("level") == {
        "Staff+": "IC6"
    }


def test_date_formats_are_checked() -> None:
    assert check_date_format("%d/%m/%Y")
    assert check_date_format("%m-%d-%y")
    assert not check_date_format("%d/%m")  # no year
    assert not check_date_format("dd/mm/yyyy")
    with pytest.raises(MapError, match=r"\[export\] date_format must be a date format"):
        parse_map(with_(export={"date_format": "dd/mm/yyyy"}))
    with pytest.raises(MapError, match="Did you mean 'people.hire_date'"):
        parse_map(with_(dates={"people.hire": "%d/%m/%Y"}))


def test_dates_in_the_map_are_checked() -> None:
    with pytest.raises(MapError, match=r"\[export\] extract_date must be an ISO date"):
        parse_map(with_(export={"extract_date": "31/12/2024"}))
    with pytest.raises(MapError, match="history_start .2025-01-01. is after extract_date"):
        parse_map(with_(export={"history_start": "2025-01-01"}))
    native = parse_map(with_(export={"extract_date": dt.date(2024, 6, 30)}))
    assert native.config["export"]["extract_date"] == "2024-06-30"


def test_fx_needs_reporting_currency_and_positive_rates() -> None:
    with pytest.raises(MapError) as err:
        parse_map(with_(fx={"USD": -1.0}))
    message = str(err.value)
    assert message.startswith("The column map has 2 problems:\n")
    assert "[fx] reporting_currency" in message
    assert "[fx] USD must be a positive rate" in message


def test_filters_and_privacy_types() -> None:
    with pytest.raises(MapError, match=r"\[filters\] exclude_levels must be a list"):
        parse_map(with_(filters={"exclude_levels": "INT1"}))
    with pytest.raises(MapError, match=r"\[filters\] max_grade must be a whole number"):
        parse_map(with_(filters={"max_grade": 9.5}))
    with pytest.raises(MapError, match="min_grade .5. is above max_grade .3."):
        parse_map(with_(filters={"min_grade": 5, "max_grade": 3}))
    with pytest.raises(MapError, match=r"\[privacy\] pseudonymise must be true or false"):
        parse_map(with_(privacy={"pseudonymise": "yes"}))
    with pytest.raises(MapError, match=r"\[privacy\] min_cell_size must be a whole number"):
        parse_map(with_(privacy={"min_cell_size": 0}))


def test_every_problem_is_listed_at_once() -> None:
    raw = {
        "export": {"kind": "both", "extract_dat": "2024-12-31"},
        "columns": {"peeple": {}},
        "filters": {"max_grad": 3},
    }
    with pytest.raises(MapError) as err:
        parse_map(raw)
    lines = str(err.value).splitlines()
    assert lines[0] == "The column map has 5 problems:"
    assert len(lines) == 6
    assert any("Did you mean 'extract_date'?" in line for line in lines)
    assert any("Did you mean 'people'?" in line for line in lines)
    assert any("Did you mean 'max_grade'?" in line for line in lines)


def test_snapshot_kind_and_history_file_conflict() -> None:
    with pytest.raises(MapError, match="names a history file but .export. kind is 'snapshot'"):
        parse_map(
            {
                "export": {"kind": "snapshot", "extract_date": "2024-12-31"},
                "files": {"history": "history.csv"},
            }
        )


def test_map_file_errors(tmp_path) -> None:
    with pytest.raises(MapError) as err:
        parse_map(tmp_path / "nope.toml")
    assert str(err.value) == MAP_NOT_FOUND.format(path=str(tmp_path / "nope.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text("[export\nkind = 1")
    with pytest.raises(MapError, match="bad.toml' is not valid TOML"):
        parse_map(bad)


def test_parse_map_returns_a_column_map_unchanged() -> None:
    cmap = parse_map(BASE)
    assert parse_map(cmap) is cmap
