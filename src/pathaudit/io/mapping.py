"""The column map: a small TOML file that says how one export maps to the canonical tables.

The map names the export's files (or workbook sheets), which export column is
which canonical column, how export values map to canonical values, the export's
dates (``extract_date``, ``history_start``), date formats, population filters,
privacy settings and exchange rates. Every key is documented in
``docs/column-map.md``; :func:`parse_map` checks them all and raises one
:class:`~pathaudit.errors.MapError` listing every problem.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pathaudit.errors import MapError
from pathaudit.io._rules import derive_problems, rule_problem
from pathaudit.io.schema import TABLES, TERMINATION_TYPES, TRACKS

# --- error texts (tests compare these exactly) -------------------------------------------------

UNKNOWN_KEY = (
    "Unknown key '{key}' in {section} of the column map.{suggestion} Allowed keys: {allowed}."
)
"""Unknown key; format with key, section (e.g. ``[export]``), suggestion, allowed."""

DID_YOU_MEAN = " Did you mean '{match}'?"
"""Suggestion appended to :data:`UNKNOWN_KEY` when a close match exists."""

MISSING_SETTING = "The column map needs {section} {key} ({what}), e.g. {example}."
"""Missing required setting; format with section, key, what, example."""

BAD_VALUE = "{setting} must be {expected}; found {found!r}."
"""Bad value; format with setting (e.g. ``[export] kind``), expected, found."""

MAP_PROBLEMS = "The column map has {n} problems:\n{problems}"
"""Header when several map problems are found at once."""

MAP_NOT_FOUND = (
    "Column map {path!r} not found. Pass the path of the TOML file (see docs/column-map.md)."
)

MAP_FOLDER_MISSING = " The folder {folder!r} does not exist."
MAP_FILES_THERE = " TOML files there: {files}."
MAP_CLOSEST = " Did you mean {name!r}?"


def _map_hint(path: Path) -> str:
    """What is beside a map that was not found: the TOML files there and the closest one."""
    from pathaudit.io._messages import closest_name, names_text

    folder = path.parent
    if not folder.is_dir():
        return MAP_FOLDER_MISSING.format(folder=str(folder))
    names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() == ".toml")
    if not names:
        return ""
    closest = closest_name(path.name, names)
    hint = MAP_FILES_THERE.format(files=names_text(names))
    return hint + (MAP_CLOSEST.format(name=str(folder / closest)) if closest else "")


MAP_NOT_TOML = (
    "Column map {path!r} is not valid TOML: {error}. See docs/column-map.md for the format."
)

# --- the keys -----------------------------------------------------------------------------------

KINDS: tuple[str, ...] = ("history", "snapshot")
SALARY_BASES: tuple[str, ...] = ("fte", "actual")
FTE_UNITS: tuple[str, ...] = ("fraction", "percent")

EXPORT_KEYS: tuple[str, ...] = (
    "kind",
    "extract_date",
    "history_start",
    "salary_basis",
    "fiscal_year_start_month",
    "date_format",
    "currency",
    "fte_unit",
    "decimal_separator",
    "pay_period",
    "hours_per_year",
)
PAY_PERIODS: tuple[str, ...] = ("year", "month", "week", "hour")
"""Pay periods of ``[export] pay_period`` (and of a per-row ``pay_period`` column)."""
DEFAULT_HOURS_PER_YEAR = 2080.0
"""Hours of a full-time year: 40 hours x 52 weeks, a US convention."""
ROW_ID = "@row"
"""``employee_id = "@row"``: the 1-based row number as the person ID (snapshots only)."""
FILE_TABLES: tuple[str, ...] = (
    "history",
    "people",
    "ladder",
    "bands",
    "ratings",
    "adoption",
    "snapshot",
    "pay_history",
)
FILES_KEYS: tuple[str, ...] = (*FILE_TABLES, "workbook")
GRADE_KEYS: tuple[str, ...] = ("column",)
FILTER_KEYS: tuple[str, ...] = (
    "exclude_levels",
    "exclude_job_families",
    "exclude_org_units",
    "exclude_locations",
    "min_grade",
    "max_grade",
    "min_fte",
)
PRIVACY_KEYS: tuple[str, ...] = ("min_cell_size", "pseudonymise", "salt_env", "allow_columns")
SECTIONS: tuple[str, ...] = (
    "export",
    "files",
    "sheets",
    "columns",
    "values",
    "dates",
    "numbers",
    "grade",
    "filters",
    "privacy",
    "fx",
    "report",
    "thresholds",
    "derive",
)
REPORT_KEYS: tuple[str, ...] = ("organisation", "locale")
"""Keys of ``[report]``: the organisation named in the report header, the number locale."""
LOCALES: tuple[str, ...] = ("en", "de", "fr", "ch")
"""Number locales of the report: thousands and decimal separators (1,234.5 / 1.234,5 /
1 234,5 / 1'234.5)."""
THRESHOLD_KEYS: tuple[str, ...] = (
    "pay_margin",
    "promotion_margin",
    "attrition_margin",
    "management",
)
"""Keys of ``[thresholds]``: the equivalence margin of each primary figure, and
``[thresholds.management]`` overrides (``"indicator.measure" = value``)."""

VALUE_TARGETS: dict[str, tuple[str, ...] | None] = {
    "track": TRACKS,
    "career_preference": TRACKS,
    "termination_type": (*TERMINATION_TYPES, "none"),
    "left": ("true", "false"),
    "pay_period": PAY_PERIODS,
    "reduced_pay_leave": ("true", "false"),
}
"""Value-map sections whose targets are restricted (others map to any text)."""

DEFAULT_SALT_ENV = "PATHAUDIT_SALT"


def _text_columns() -> tuple[str, ...]:
    names: list[str] = []
    for cols in TABLES.values():
        for c in cols:
            if c.kind in ("str", "category") and c.name not in names:
                names.append(c.name)
    return tuple(names)


VALUE_COLUMNS: tuple[str, ...] = _text_columns()
"""Canonical columns that may have a ``[values.<column>]`` section."""

DERIVE_COLUMNS: tuple[str, ...] = (*VALUE_COLUMNS, "grade")
"""Canonical columns that may be derived from another export column (``[derive.<column>]``)."""


def _date_keys() -> tuple[str, ...]:
    return tuple(
        f"{table}.{c.name}" for table, cols in TABLES.items() for c in cols if c.kind == "date"
    )


DATE_KEYS: tuple[str, ...] = _date_keys()
"""Keys allowed in ``[dates]``: ``"table.column"`` of every canonical date column."""

DECIMAL_SEPARATORS: tuple[str, ...] = (".", ",")
NUMBER_KEYS: tuple[str, ...] = tuple(
    f"{table}.{c.name}"
    for table, cols in TABLES.items()
    for c in cols
    if c.kind in ("float", "int")
)
"""Keys allowed in ``[numbers]``: ``"table.column"`` of every canonical number column."""


# --- the parsed map -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMap:
    """A checked column map.

    Attributes
    ----------
    config
        The map as a JSON-friendly dict (dates as ISO strings), with defaults filled in:
        ``export.kind``, ``export.salary_basis``, ``export.fiscal_year_start_month``,
        ``export.fte_unit``, ``privacy.min_cell_size``, ``privacy.pseudonymise``,
        ``privacy.salt_env`` and ``privacy.allow_columns``.
    base_dir
        Folder of the map file (``None`` when the map was given as a dict); file paths
        are relative to the data folder, or to this folder when no data folder is given.
    """

    config: dict[str, Any]
    base_dir: Path | None = None
    _unused: dict[str, Any] = field(default_factory=dict, repr=False)

    # export -------------------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """``"history"`` or ``"snapshot"``."""
        return str(self.config["export"]["kind"])

    @property
    def extract_date(self) -> pd.Timestamp:
        """Date the data was pulled."""
        return pd.Timestamp(self.config["export"]["extract_date"])

    @property
    def history_start(self) -> pd.Timestamp:
        """First date from which the history is complete (snapshot default: extract date)."""
        return pd.Timestamp(self.config["export"]["history_start"])

    @property
    def salary_basis(self) -> str:
        """``"fte"`` (pay is the full-time rate) or ``"actual"`` (FTE pay = pay / fte)."""
        return str(self.config["export"]["salary_basis"])

    @property
    def fte_unit(self) -> str:
        """``"fraction"`` (1.0 = full time) or ``"percent"`` (100 = full time)."""
        return str(self.config["export"]["fte_unit"])

    # tables -------------------------------------------------------------------------------------
    def columns(self, table: str) -> dict[str, str]:
        """Canonical column -> export column name for ``table`` (only the mapped ones)."""
        return dict(self.config.get("columns", {}).get(table, {}))

    def values(self, column: str) -> dict[str, Any]:
        """Export value -> canonical value for a canonical column (empty when not mapped)."""
        return dict(self.config.get("values", {}).get(column, {}))

    def derive(self, column: str) -> dict[str, Any] | None:
        """The ``[derive.<column>]`` section of a canonical column, if the map has one."""
        spec = self.config.get("derive", {}).get(column)
        return None if spec is None else dict(spec)

    @property
    def pay_period(self) -> str:
        """Period of the pay figures: ``"year"`` (default), ``"month"``, ``"week"``, ``"hour"``."""
        return str(self.config["export"].get("pay_period", "year"))

    @property
    def hours_per_year(self) -> float:
        """Hours of a full-time year (default 2080 = 40 x 52, a US convention)."""
        return float(self.config["export"].get("hours_per_year", DEFAULT_HOURS_PER_YEAR))

    @property
    def row_ids(self) -> bool:
        """Whether people are numbered by row (``employee_id = "@row"``, snapshots only)."""
        return self.columns("snapshot").get("employee_id") == ROW_ID

    def date_format(self, table: str, column: str) -> str | None:
        """Return the declared format of a date column (``[dates]``, else ``date_format``)."""
        per_column = self.config.get("dates", {}).get(f"{table}.{column}")
        return per_column or self.config["export"].get("date_format")

    def decimal_separator(self, table: str, column: str) -> str | None:
        """Return the declared decimal separator of a number column, if any.

        ``[numbers] "table.column"``, else ``[export] decimal_separator``; ``None``: the
        loader reads it from the column's values.
        """
        per_column = self.config.get("numbers", {}).get(f"{table}.{column}")
        return per_column or self.config["export"].get("decimal_separator")

    @property
    def files(self) -> dict[str, str]:
        """Table -> file path as written in the map (``workbook`` excluded)."""
        return {k: v for k, v in self.config.get("files", {}).items() if k != "workbook"}

    @property
    def workbook(self) -> str | None:
        """The one workbook holding a sheet per table, if the map names one."""
        return self.config.get("files", {}).get("workbook")

    def sheet(self, table: str) -> str:
        """Sheet name of ``table`` in the workbook (default: the table name)."""
        return str(self.config.get("sheets", {}).get(table, table))

    @property
    def grade_column(self) -> str | None:
        """Export column holding a global grade (instead of a ladder table), if any.

        ``[grade] column``, else the ``from`` column of ``[derive.grade]`` (a grade made
        from another column by a rule).
        """
        column = self.config.get("grade", {}).get("column")
        if column is None and "grade" in self.config.get("derive", {}):
            column = self.config["derive"]["grade"]["from"]
        return column

    @property
    def filters(self) -> dict[str, Any]:
        """Population filters."""
        return dict(self.config.get("filters", {}))

    @property
    def privacy(self) -> dict[str, Any]:
        """Privacy settings (defaults filled in)."""
        return dict(self.config["privacy"])

    @property
    def fx(self) -> dict[str, float] | None:
        """Currency -> rate to the reporting currency (reporting currency itself = 1), or None."""
        fx = self.config.get("fx")
        if not fx:
            return None
        rates = {k: float(v) for k, v in fx.items() if k != "reporting_currency"}
        rates[str(fx["reporting_currency"])] = 1.0
        return rates

    @property
    def reporting_currency(self) -> str | None:
        """The reporting currency: ``[fx] reporting_currency``, else ``[export] currency``."""
        fx = self.config.get("fx")
        if fx:
            return str(fx["reporting_currency"])
        cur = self.config["export"].get("currency")
        return None if cur is None else str(cur)


# --- parsing ------------------------------------------------------------------------------------


def _unknown(key: str, section: str, allowed: tuple[str, ...] | list[str]) -> str:
    match = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    suggestion = DID_YOU_MEAN.format(match=match[0]) if match else ""
    return UNKNOWN_KEY.format(
        key=key,
        section=section,
        suggestion=suggestion,
        allowed=", ".join(allowed),
    )


def _bad(section: str, key: str, expected: str, found: Any) -> str:
    setting = f"{section} {key}".strip()
    return BAD_VALUE.format(setting=setting, expected=expected, found=found)


def _is_table(value: Any, section: str, expected: str, problems: list[str]) -> bool:
    """Whether ``value`` is a TOML table; if not, say what ``section`` expects."""
    if isinstance(value, dict):
        return True
    problems.append(_bad(section=section, key="", expected=expected, found=value))
    return False


def _check_keys(
    problems: list[str], table: dict[str, Any], section: str, allowed: tuple[str, ...]
) -> None:
    for key in table:
        if key not in allowed:
            problems.append(_unknown(key, section, allowed))


def _as_date(value: Any, section: str, key: str, problems: list[str]) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    problems.append(
        _bad(section=section, key=key, expected='an ISO date such as "2025-12-31"', found=value)
    )
    return None


def check_date_format(fmt: Any) -> bool:
    """Whether ``fmt`` is a usable strftime date format (day, month and year fields).

    Parameters
    ----------
    fmt
        Candidate format, e.g. ``"%d/%m/%Y"``.

    Returns
    -------
    bool
        True when formatting a date with ``fmt`` and parsing it back gives the same date.
    """
    if not isinstance(fmt, str) or "%" not in fmt:
        return False
    probe = dt.datetime(2001, 11, 23)
    try:
        return dt.datetime.strptime(probe.strftime(fmt), fmt) == probe
    except ValueError:
        return False


_FMT_EXPECTED = 'a date format with day, month and year, such as "%d/%m/%Y"'


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str | int) for x in v)


def _check_export(raw: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    sec = "[export]"
    export = dict(raw.get("export", {}))
    _check_keys(problems, export, sec, EXPORT_KEYS)
    out: dict[str, Any] = {}
    kind = export.get("kind", "history")
    if kind not in KINDS:
        problems.append(
            _bad(section=sec, key="kind", expected="'history' or 'snapshot'", found=kind)
        )
        kind = "history"
    out["kind"] = kind
    if "extract_date" not in export:
        extract = None  # the loader takes the latest date in the export (noted)
    else:
        extract = _as_date(export["extract_date"], sec, "extract_date", problems)
    out["extract_date"] = extract
    if "history_start" in export:
        start = _as_date(export["history_start"], sec, "history_start", problems)
    elif kind == "snapshot":
        start = extract
    else:
        problems.append(
            MISSING_SETTING.format(
                section=sec,
                key="history_start",
                what="the first date from which the job history is complete",
                example='history_start = "2018-01-01"',
            )
        )
        start = None
    out["history_start"] = start
    if "history_start" not in export:
        out["history_start_given"] = False  # a snapshot's rates then are not computed
    if start and extract and start > extract:
        problems.append(
            f"[export] history_start ({start}) is after extract_date ({extract}); "
            "history_start must be on or before the date the data was pulled."
        )
    basis = export.get("salary_basis", "fte")
    if basis not in SALARY_BASES:
        problems.append(
            _bad(section=sec, key="salary_basis", expected="'fte' or 'actual'", found=basis)
        )
    out["salary_basis"] = basis
    month = export.get("fiscal_year_start_month", 1)
    if not (isinstance(month, int) and not isinstance(month, bool) and 1 <= month <= 12):
        problems.append(
            _bad(
                section=sec,
                key="fiscal_year_start_month",
                expected="a whole number from 1 to 12",
                found=month,
            )
        )
    out["fiscal_year_start_month"] = month
    unit = export.get("fte_unit", "fraction")
    if unit not in FTE_UNITS:
        problems.append(
            _bad(section=sec, key="fte_unit", expected="'fraction' or 'percent'", found=unit)
        )
    out["fte_unit"] = unit
    if "date_format" in export:
        if not check_date_format(export["date_format"]):
            problems.append(
                _bad(
                    section=sec,
                    key="date_format",
                    expected=_FMT_EXPECTED,
                    found=export["date_format"],
                )
            )
        out["date_format"] = export["date_format"]
    if "decimal_separator" in export:
        if export["decimal_separator"] not in DECIMAL_SEPARATORS:
            problems.append(
                _bad(
                    section=sec,
                    key="decimal_separator",
                    expected=_DECIMAL_EXPECTED,
                    found=export["decimal_separator"],
                )
            )
        else:
            out["decimal_separator"] = export["decimal_separator"]
    if "pay_period" in export:
        if export["pay_period"] not in PAY_PERIODS:
            problems.append(
                _bad(
                    section=sec,
                    key="pay_period",
                    expected="'year', 'month', 'week' or 'hour'",
                    found=export["pay_period"],
                )
            )
        else:
            out["pay_period"] = export["pay_period"]
    hours = export.get("hours_per_year", DEFAULT_HOURS_PER_YEAR)
    if "hours_per_year" not in export:
        pass  # the default (ColumnMap.hours_per_year); not written into the config
    elif not (_is_number(hours) and 0 < hours <= 8784):
        problems.append(
            _bad(
                section=sec,
                key="hours_per_year",
                expected="a number of hours from 1 to 8784",
                found=hours,
            )
        )
    else:
        out["hours_per_year"] = float(hours)
    if "currency" in export:
        if not isinstance(export["currency"], str) or not export["currency"].strip():
            problems.append(
                _bad(
                    section=sec,
                    key="currency",
                    expected="a currency code",
                    found=export["currency"],
                )
            )
        else:
            out["currency"] = export["currency"].strip()
    return out


def _check_files(raw: dict[str, Any], kind: str, problems: list[str]) -> dict[str, Any]:
    files = dict(raw.get("files", {}))
    _check_keys(problems, files, "[files]", FILES_KEYS)
    for key, value in files.items():
        if not isinstance(value, str) or not value.strip():
            problems.append(_bad(section="[files]", key=key, expected="a file path", found=value))
    sheets = dict(raw.get("sheets", {}))
    _check_keys(problems, sheets, "[sheets]", FILE_TABLES)
    for key, value in sheets.items():
        if not isinstance(value, str):
            problems.append(_bad(section="[sheets]", key=key, expected="a sheet name", found=value))
    if kind == "history" and "snapshot" in files:
        problems.append(
            "[files] names a snapshot file but [export] kind is 'history'. "
            'Set kind = "snapshot" for a one-row-per-person export.'
        )
    if kind == "snapshot" and "pay_history" in files:
        problems.append(
            "[files] names a pay_history file but [export] kind is 'snapshot'. A file of pay "
            'changes is merged into a job history: set kind = "history".'
        )
    if kind == "snapshot" and "history" in files:
        problems.append(
            "[files] names a history file but [export] kind is 'snapshot'. "
            'Set kind = "history" for an effective-dated job history.'
        )
    return files


def _check_columns(raw: dict[str, Any], problems: list[str]) -> dict[str, dict[str, str]]:
    cols = raw.get("columns", {})
    out: dict[str, dict[str, str]] = {}
    if not _is_table(cols, "[columns]", "tables such as [columns.history]", problems):
        return out
    for table, mapping in cols.items():
        if table not in TABLES:
            problems.append(_unknown(table, "[columns]", tuple(TABLES)))
            continue
        sec = f"[columns.{table}]"
        if not _is_table(mapping, sec, 'lines such as employee_id = "Worker ID"', problems):
            continue
        names = tuple(c.name for c in TABLES[table])
        _check_keys(problems, mapping, sec, names)
        for key, value in mapping.items():
            if not isinstance(value, str) or not value.strip():
                problems.append(
                    _bad(section=sec, key=key, expected="the export's column name", found=value)
                )
        if mapping.get("employee_id") == ROW_ID and table != "snapshot":
            problems.append(
                f'{sec} employee_id = "{ROW_ID}" numbers people by row, which only a snapshot '
                "(one row per person) allows: in a history the same person has several rows. "
                "Map the export's person ID column instead."
            )
        out[table] = {k: v for k, v in mapping.items() if k in names and isinstance(v, str)}
    return out


def _check_values(raw: dict[str, Any], problems: list[str]) -> dict[str, dict[str, Any]]:
    values = raw.get("values", {})
    out: dict[str, dict[str, Any]] = {}
    for column, mapping in values.items():
        if column not in (*VALUE_COLUMNS, "grade"):
            problems.append(_unknown(column, "[values]", VALUE_COLUMNS))
            continue
        sec = f"[values.{column}]"
        if not _is_table(mapping, sec, 'lines such as "Export label" = "IC"', problems):
            continue
        allowed = VALUE_TARGETS.get(column)
        clean: dict[str, Any] = {}
        for key, target in mapping.items():
            bad_rule = rule_problem(str(key))
            if bad_rule is not None:
                problems.append(f"{sec} {bad_rule}.")
                continue
            if column == "left" and isinstance(target, bool):
                target = "true" if target else "false"
            if not isinstance(target, str | int) or isinstance(target, bool):
                problems.append(_bad(section=sec, key=f'"{key}"', expected="a text", found=target))
                continue
            target = str(target)
            if allowed is not None and target not in allowed:
                problems.append(
                    _bad(
                        section=sec,
                        key=f'"{key}"',
                        expected="one of " + ", ".join(f"'{a}'" for a in allowed),
                        found=target,
                    )
                )
                continue
            clean[str(key)] = target
        out[column] = clean
    return out


def _check_derive(raw: dict[str, Any], problems: list[str]) -> dict[str, dict[str, Any]]:
    derive = raw.get("derive", {})
    out: dict[str, dict[str, Any]] = {}
    for column, spec in derive.items():
        if column not in DERIVE_COLUMNS:
            problems.append(_unknown(column, "[derive]", DERIVE_COLUMNS))
            continue
        found = derive_problems(column, spec)
        problems.extend(found)
        if not found:
            out[column] = dict(spec)
    return out


def _check_dates(raw: dict[str, Any], problems: list[str]) -> dict[str, str]:
    dates = dict(raw.get("dates", {}))
    _check_keys(problems, dates, "[dates]", DATE_KEYS)
    for key, fmt in dates.items():
        if key in DATE_KEYS and not check_date_format(fmt):
            problems.append(
                _bad(section="[dates]", key=f'"{key}"', expected=_FMT_EXPECTED, found=fmt)
            )
    return {k: v for k, v in dates.items() if k in DATE_KEYS}


_DECIMAL_EXPECTED = "'.' (1,234.5) or ',' (1.234,5)"


def _check_numbers(raw: dict[str, Any], problems: list[str]) -> dict[str, str]:
    numbers = dict(raw.get("numbers", {}))
    _check_keys(problems, numbers, "[numbers]", NUMBER_KEYS)
    for key, sep in numbers.items():
        if key in NUMBER_KEYS and sep not in DECIMAL_SEPARATORS:
            problems.append(
                _bad(section="[numbers]", key=f'"{key}"', expected=_DECIMAL_EXPECTED, found=sep)
            )
    return {k: v for k, v in numbers.items() if k in NUMBER_KEYS and v in DECIMAL_SEPARATORS}


def _check_grade(raw: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    grade = dict(raw.get("grade", {}))
    _check_keys(problems, grade, "[grade]", GRADE_KEYS)
    if grade and not (isinstance(grade.get("column"), str) and grade["column"].strip()):
        problems.append(
            _bad(
                section="[grade]",
                key="column",
                expected="the export's grade column name",
                found=grade.get("column"),
            )
        )
    return grade


def _check_filters(raw: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    sec = "[filters]"
    filters = dict(raw.get("filters", {}))
    _check_keys(problems, filters, sec, FILTER_KEYS)
    out: dict[str, Any] = {}
    for key, value in filters.items():
        if key.startswith("exclude_"):
            if not _str_list(value):
                problems.append(
                    _bad(
                        section=sec,
                        key=key,
                        expected='a list of values, e.g. ["INT1"]',
                        found=value,
                    )
                )
                continue
            out[key] = [str(v) for v in value]
        elif key in ("min_grade", "max_grade"):
            if not (isinstance(value, int) and not isinstance(value, bool)):
                problems.append(_bad(section=sec, key=key, expected="a whole number", found=value))
                continue
            out[key] = value
        elif key == "min_fte":
            if not (_is_number(value) and value >= 0):
                problems.append(_bad(section=sec, key=key, expected="a number >= 0", found=value))
                continue
            out[key] = float(value)
    if "min_grade" in out and "max_grade" in out and out["min_grade"] > out["max_grade"]:
        problems.append(
            f"[filters] min_grade ({out['min_grade']}) is above max_grade ({out['max_grade']}); "
            "no one would be left."
        )
    return out


def _check_privacy(raw: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    sec = "[privacy]"
    priv = dict(raw.get("privacy", {}))
    _check_keys(problems, priv, sec, PRIVACY_KEYS)
    out: dict[str, Any] = {
        "min_cell_size": 5,
        "pseudonymise": False,
        "salt_env": DEFAULT_SALT_ENV,
        "allow_columns": [],
    }
    k = priv.get("min_cell_size", 5)
    if not (isinstance(k, int) and not isinstance(k, bool) and k >= 1):
        problems.append(
            _bad(section=sec, key="min_cell_size", expected="a whole number >= 1", found=k)
        )
    else:
        out["min_cell_size"] = k
    pseud = priv.get("pseudonymise", False)
    if not isinstance(pseud, bool):
        problems.append(
            _bad(section=sec, key="pseudonymise", expected="true or false", found=pseud)
        )
    else:
        out["pseudonymise"] = pseud
    env = priv.get("salt_env", DEFAULT_SALT_ENV)
    if not (isinstance(env, str) and env.strip()):
        problems.append(
            _bad(section=sec, key="salt_env", expected="an environment variable name", found=env)
        )
    else:
        out["salt_env"] = env
    allow = priv.get("allow_columns", [])
    if not _str_list(allow):
        problems.append(
            _bad(section=sec, key="allow_columns", expected="a list of column names", found=allow)
        )
    else:
        out["allow_columns"] = [str(a) for a in allow]
    return out


def _check_fx(raw: dict[str, Any], problems: list[str]) -> dict[str, Any] | None:
    if "fx" not in raw:
        return None
    sec = "[fx]"
    fx = dict(raw["fx"])
    out: dict[str, Any] = {}
    rep = fx.get("reporting_currency")
    if not (isinstance(rep, str) and rep.strip()):
        problems.append(
            MISSING_SETTING.format(
                section=sec,
                key="reporting_currency",
                what="the currency every pay figure is converted to",
                example='reporting_currency = "EUR"',
            )
        )
    else:
        out["reporting_currency"] = rep.strip()
    for key, value in fx.items():
        if key == "reporting_currency":
            continue
        if not (_is_number(value) and value > 0):
            problems.append(
                _bad(
                    section=sec,
                    key=key,
                    expected="a positive rate (1 unit of this currency in the reporting currency)",
                    found=value,
                )
            )
            continue
        out[str(key)] = float(value)
    return out


def _check_report(raw: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    sec = "[report]"
    rep = dict(raw.get("report", {}))
    _check_keys(problems, rep, sec, REPORT_KEYS)
    out: dict[str, Any] = {}
    org = rep.get("organisation")
    if org is not None:
        if isinstance(org, str) and org.strip():
            out["organisation"] = org.strip()
        else:
            problems.append(
                _bad(section=sec, key="organisation", expected="a name in quotes", found=org)
            )
    if "locale" in rep:
        loc = rep["locale"]
        if loc in LOCALES:
            out["locale"] = loc
        else:
            problems.append(
                _bad(
                    section=sec,
                    key="locale",
                    expected="one of " + ", ".join(f"'{x}'" for x in LOCALES),
                    found=loc,
                )
            )
    return out


def _check_thresholds(raw: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    sec = "[thresholds]"
    th = dict(raw.get("thresholds", {}))
    _check_keys(problems, th, sec, THRESHOLD_KEYS)
    out: dict[str, Any] = {}
    for key in ("pay_margin", "promotion_margin"):
        if key in th:
            v = th[key]
            if _is_number(v) and 0 < v <= 1:
                out[key] = float(v)
            else:
                problems.append(
                    _bad(
                        section=sec,
                        key=key,
                        expected="a number above 0 and at most 1 (0.05 = 5%)",
                        found=v,
                    )
                )
    if "attrition_margin" in th:
        v = th["attrition_margin"]
        if (
            isinstance(v, list)
            and len(v) == 2
            and all(_is_number(x) for x in v)
            and 0 < v[0] < 1 < v[1]
        ):
            out["attrition_margin"] = [float(v[0]), float(v[1])]
        else:
            problems.append(
                _bad(
                    section=sec,
                    key="attrition_margin",
                    expected="two ratios [low, high] with 0 < low < 1 < high, e.g. [0.8, 1.25]",
                    found=v,
                )
            )
    if "management" in th:
        mg = th["management"]
        if _is_table(
            mg, "[thresholds.management]", 'a table of "indicator.measure" = value', problems
        ):
            checked: dict[str, Any] = {}
            for key, v in mg.items():
                pair = isinstance(v, list) and len(v) == 2 and all(_is_number(x) for x in v)
                if _is_number(v) or pair:
                    checked[str(key)] = [float(x) for x in v] if pair else float(v)
                else:
                    problems.append(
                        _bad(
                            section="[thresholds.management]",
                            key=str(key),
                            expected="a number, or [low, high]",
                            found=v,
                        )
                    )
            out["management"] = checked
    return out


def parse_map(source: str | Path | dict[str, Any] | ColumnMap) -> ColumnMap:
    """Read and check a column map.

    Parameters
    ----------
    source
        Path of a TOML file, the parsed TOML as a dict, or an already checked
        :class:`ColumnMap` (returned unchanged).

    Returns
    -------
    ColumnMap
        The checked map with defaults filled in.

    Raises
    ------
    MapError
        Listing every problem: unknown keys (with the closest allowed key), missing
        required settings (``[export] extract_date``; ``history_start`` for history
        exports), values of the wrong type or outside their allowed set.
    """
    if isinstance(source, ColumnMap):
        return source
    base_dir: Path | None = None
    if isinstance(source, dict):
        raw = source
    else:
        path = Path(source)
        if not path.is_file():
            raise MapError(MAP_NOT_FOUND.format(path=str(path)) + _map_hint(path))
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise MapError(MAP_NOT_TOML.format(path=path.name, error=err)) from err
        base_dir = path.parent
    problems: list[str] = []
    for section, value in raw.items():
        if section not in SECTIONS:
            problems.append(_unknown(section, "the top level", SECTIONS))
        else:
            _is_table(value, f"[{section}]", "a table of settings", problems)
    if problems:
        _raise(problems)
    export = _check_export(raw, problems)
    config: dict[str, Any] = {"export": export}
    config["files"] = _check_files(raw, export["kind"], problems)
    if "sheets" in raw:
        config["sheets"] = {k: v for k, v in raw["sheets"].items() if k in FILE_TABLES}
    config["columns"] = _check_columns(raw, problems)
    config["values"] = _check_values(raw, problems)
    derive = _check_derive(raw, problems)
    if derive:
        config["derive"] = derive
    given = raw.get("grade", {}).get("column") if isinstance(raw.get("grade"), dict) else None
    if "grade" in derive and given is not None and given != derive["grade"]["from"]:
        problems.append(
            "The column map gives the grade twice: [grade] column and [derive.grade]. Keep one."
        )
    config["dates"] = _check_dates(raw, problems)
    numbers = _check_numbers(raw, problems)
    if numbers:
        config["numbers"] = numbers
    grade = _check_grade(raw, problems)
    if "grade" in derive and not grade:  # a grade by a rule: the ladder is read from the data
        grade = {"column": derive["grade"]["from"]}
    if grade:
        config["grade"] = grade
    config["filters"] = _check_filters(raw, problems)
    config["privacy"] = _check_privacy(raw, problems)
    fx = _check_fx(raw, problems)
    if fx is not None:
        config["fx"] = fx
    # only when the map has them, so a map without them reads back as before
    for section, check in (("report", _check_report), ("thresholds", _check_thresholds)):
        if section in raw:
            config[section] = check(raw, problems)
    if problems:
        _raise(problems)
    return ColumnMap(config=config, base_dir=base_dir)


def _raise(problems: list[str]) -> None:
    if len(problems) == 1:
        raise MapError(problems[0])
    raise MapError(
        MAP_PROBLEMS.format(n=len(problems), problems="\n".join(f"  - {p}" for p in problems))
    )
