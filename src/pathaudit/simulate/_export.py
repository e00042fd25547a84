"""Write a simulated organisation in the formats users have, with column maps.

The exports deliberately do *not* use canonical names or values: columns are called
"Worker ID", "Career Track", "Department"...; tracks are "Individual Contributor" /
"People Manager"; terminations "Resignation", "Dismissal", "Redundancy",
"Retirement"; FTE is a percentage; people's dates are day/month/year text. Each
export comes with a column map (``docs/column-map.md``) that maps it back:

``map.toml``
    CSV files, one per table.
``map_xlsx.toml``
    ``export.xlsx``, one sheet per table (dates as Excel date cells).
``map_parquet.toml``
    Parquet files, one per table.
``map_snapshot.toml``
    ``snapshot.csv``: one row per person (current or last job, hire date, date in
    level since, whether and when they left), with the ladder, bands, ratings and
    adoption files.
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

COLUMNS: dict[str, dict[str, str]] = {
    "history": {
        "employee_id": "Worker ID",
        "effective_date": "Effective Date",
        "track": "Career Track",
        "level": "Job Level",
        "base_salary": "Annual Base Salary",
        "variable_pay": "Target Bonus",
        "equity": "Annualised Equity",
        "fte": "FTE %",
        "currency": "Currency",
        "org_unit": "Department",
        "job_family": "Job Family",
        "location": "Work Location",
        "manager_id": "Manager Worker ID",
        "reason": "Action Reason",
    },
    "people": {
        "employee_id": "Worker ID",
        "hire_date": "Hire Date",
        "termination_date": "Termination Date",
        "termination_type": "Termination Reason",
        "gender": "Gender",
        "age_band": "Age Band",
        "career_preference": "Preferred Career Path",
    },
    "ladder": {
        "track": "Career Track",
        "level": "Job Level",
        "grade": "Grade",
        "title": "Title",
        "org_unit": "Department",
        "valid_from": "Valid From",
    },
    "bands": {
        "track": "Career Track",
        "level": "Job Level",
        "band_min": "Band Minimum",
        "band_mid": "Band Midpoint",
        "band_max": "Band Maximum",
        "currency": "Currency",
        "effective_date": "Effective Date",
    },
    "ratings": {
        "employee_id": "Worker ID",
        "rating_date": "Review Date",
        "rating": "Performance Rating",
    },
    "adoption": {"org_unit": "Department", "adoption_date": "Dual Ladder Effective"},
    "snapshot": {
        "employee_id": "Worker ID",
        "hire_date": "Hire Date",
        "track": "Career Track",
        "level": "Job Level",
        "base_salary": "Annual Base Salary",
        "variable_pay": "Target Bonus",
        "equity": "Annualised Equity",
        "fte": "FTE %",
        "currency": "Currency",
        "org_unit": "Department",
        "job_family": "Job Family",
        "location": "Work Location",
        "manager_id": "Manager Worker ID",
        "last_promotion_date": "In Level Since",
        "left": "Status",
        "termination_date": "Termination Date",
        "termination_type": "Termination Reason",
        "gender": "Gender",
        "age_band": "Age Band",
        "career_preference": "Preferred Career Path",
    },
}
"""Export column name of each canonical column, per table."""

VALUES: dict[str, dict[str, str]] = {
    "track": {"Individual Contributor": "IC", "People Manager": "M"},
    "termination_type": {
        "Resignation": "voluntary",
        "Dismissal": "involuntary",
        "Redundancy": "involuntary",
        "Retirement": "other",
    },
    "career_preference": {"Technical expert": "IC", "People leader": "M"},
    "left": {"Active": "false", "Terminated": "true"},
}
"""Export value -> canonical value (what the maps declare)."""

SHEETS: dict[str, str] = {
    "history": "Job History",
    "people": "Employees",
    "ladder": "Ladder",
    "bands": "Pay Bands",
    "ratings": "Ratings",
    "adoption": "Adoption",
}
"""Workbook sheet of each table."""

PEOPLE_DATE_FORMAT = "%d/%m/%Y"
"""Text format of the people table's dates in CSV exports (declared in the map)."""

TABLE_ORDER = ("history", "people", "ladder", "bands", "ratings", "adoption")
_PAY = ("base_salary", "variable_pay", "equity", "band_min", "band_mid", "band_max")


def _reverse(mapping: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for export, canonical in mapping.items():
        out.setdefault(canonical, export)
    return out


def export_frame(table: str, df: pd.DataFrame, *, text_dates: bool, seed: int) -> pd.DataFrame:
    """One canonical table in export form: export names and labels, FTE in percent.

    Parameters
    ----------
    table
        Canonical table name.
    df
        The canonical table.
    text_dates
        Write dates as text (CSV) rather than date values (Excel, Parquet).
    seed
        Seeds the choice between equivalent labels ("Dismissal" / "Redundancy").

    Returns
    -------
    pandas.DataFrame
        Columns renamed to :data:`COLUMNS`, values relabelled with :data:`VALUES`.
    """
    cols = COLUMNS[table]
    out = pd.DataFrame(index=df.index)
    for canonical, name in cols.items():
        s = df[canonical]
        if canonical in ("track", "career_preference", "left"):
            s = s.map(_reverse(VALUES[canonical]))
        elif canonical == "termination_type":
            rng = np.random.default_rng(seed)
            invol = np.where(rng.random(len(s)) < 0.5, "Dismissal", "Redundancy")
            labels = {"voluntary": "Resignation", "other": "Retirement"}
            s = pd.Series(
                np.where(s == "involuntary", invol, s.map(labels).to_numpy(dtype=object)),
                index=s.index,
            ).where(s.notna(), None)
        elif canonical == "fte":
            s = (s * 100).round().astype("Int64")
        elif canonical in _PAY or canonical in ("grade", "rating"):
            s = s.round().astype("Int64")
        elif pd.api.types.is_datetime64_any_dtype(s):
            if text_dates:
                fmt = PEOPLE_DATE_FORMAT if table in ("people", "snapshot") else "%Y-%m-%d"
                s = s.dt.strftime(fmt)
            else:
                s = s.dt.normalize()
        out[name] = s
    return out


# -- TOML ----------------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").isalnum() else json.dumps(key)


def toml_text(sections: dict[str, dict[str, Any]], header: str = "") -> str:
    """Render nested sections of scalars as TOML text (enough for a column map)."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for name, body in sections.items():
        if lines:
            lines.append("")
        lines.append(f"[{name}]")
        for key, value in body.items():
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def column_map(
    kind: str,
    *,
    extract_date: str,
    history_start: str,
    files: dict[str, str],
    sheets: dict[str, str] | None = None,
    text_dates: bool = True,
    min_cell_size: int = 5,
) -> dict[str, dict[str, Any]]:
    """The column map of one export as nested sections (see ``docs/column-map.md``).

    Parameters
    ----------
    kind
        ``"history"`` or ``"snapshot"``.
    extract_date, history_start
        ISO dates.
    files
        ``[files]`` entries (table -> file, or ``workbook``).
    sheets
        ``[sheets]`` entries for a workbook.
    text_dates
        Whether the people dates are text in ``PEOPLE_DATE_FORMAT`` (then ``[dates]`` says so).
    min_cell_size
        ``[privacy] min_cell_size``.

    Returns
    -------
    dict
        Section name -> key -> value.
    """
    # a snapshot holds every leaver since history_start too: without it, no rates
    export: dict[str, Any] = {
        "kind": kind,
        "extract_date": extract_date,
        "history_start": history_start,
    }
    export.update({"salary_basis": "fte", "fte_unit": "percent", "fiscal_year_start_month": 1})
    out: dict[str, dict[str, Any]] = {"export": export, "files": dict(files)}
    if sheets:
        out["sheets"] = dict(sheets)
    if "workbook" in files:
        tables = list(sheets or {})
    else:
        tables = [t for t in files if t != "workbook"]
    for table in tables:
        out[f"columns.{table}"] = dict(COLUMNS[table])
    used = {c for t in tables for c in COLUMNS[t]}
    for column, mapping in VALUES.items():
        if column in used:
            out[f"values.{column}"] = dict(mapping)
    if text_dates:
        dated = [t for t in ("people", "snapshot") if t in tables]
        date_cols = ("hire_date", "termination_date", "last_promotion_date")
        out["dates"] = {
            f"{t}.{c}": PEOPLE_DATE_FORMAT for t in dated for c in date_cols if c in COLUMNS[t]
        }
    out["privacy"] = {"min_cell_size": min_cell_size}
    return out


# -- writing -------------------------------------------------------------------------------------


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating | float):
        f = float(obj)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _freeze_zip(path: Path, date: str) -> None:
    """Make a workbook byte-reproducible: fixed entry times and document dates."""
    stamp = f"{date}T00:00:00Z"
    with zipfile.ZipFile(path) as z:
        entries = [(info, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>"
                              + stamp.encode(), data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            z.writestr(fixed, data)


def write_truth(truth: dict[str, Any], path: Path) -> None:
    """Write the truth dictionary as JSON (NaN and infinities become null)."""
    path.write_text(json.dumps(_json_safe(truth), indent=2) + "\n", encoding="utf-8")


def write_export(
    tables: dict[str, pd.DataFrame],
    directory: str | Path,
    *,
    formats: Iterable[str],
    extract_date: str,
    history_start: str,
    seed: int,
    header: str = "",
) -> list[Path]:
    """Write canonical tables as exports with their column maps.

    Parameters
    ----------
    tables
        Canonical tables (``history``, ``people``, ``ladder``, ``bands``, ``ratings``,
        ``adoption``, ``snapshot``).
    directory
        Output folder (created if needed).
    formats
        Any of ``"csv"``, ``"xlsx"``, ``"parquet"``, ``"snapshot"``.
    extract_date, history_start
        ISO dates for the maps.
    seed
        Seeds the choice between equivalent export labels.
    header
        Comment written at the top of every map.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    formats = tuple(formats)
    unknown = set(formats) - {"csv", "xlsx", "parquet", "snapshot"}
    if unknown:
        raise ValueError(f"Unknown export formats {sorted(unknown)}; use csv, xlsx, parquet, "
                         "snapshot.")
    written: list[Path] = []

    def write_map(name: str, sections: dict[str, dict[str, Any]]) -> None:
        path = out / name
        path.write_text(toml_text(sections, header), encoding="utf-8")
        written.append(path)

    def write_csv(table: str, frame: pd.DataFrame) -> None:
        path = out / f"{table}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        written.append(path)

    text = {t: export_frame(t, tables[t], text_dates=True, seed=seed) for t in TABLE_ORDER}
    if "csv" in formats:
        for t in TABLE_ORDER:
            write_csv(t, text[t])
        write_map("map.toml", column_map(
            "history", files={t: f"{t}.csv" for t in TABLE_ORDER},
            extract_date=extract_date, history_start=history_start))
    native: dict[str, pd.DataFrame] = {}
    if "xlsx" in formats or "parquet" in formats:
        native = {t: export_frame(t, tables[t], text_dates=False, seed=seed)
                  for t in TABLE_ORDER}
    if "xlsx" in formats:
        path = out / "export.xlsx"
        with pd.ExcelWriter(path, engine="openpyxl", date_format="YYYY-MM-DD",
                            datetime_format="YYYY-MM-DD") as xl:
            for t in TABLE_ORDER:
                native[t].to_excel(xl, sheet_name=SHEETS[t], index=False)
            xl.book.properties.creator = "pathaudit"
        _freeze_zip(path, extract_date)
        written.append(path)
        write_map("map_xlsx.toml", column_map(
            "history", files={"workbook": "export.xlsx"}, sheets=SHEETS, text_dates=False,
            extract_date=extract_date, history_start=history_start))
    if "parquet" in formats:
        for t in TABLE_ORDER:
            path = out / f"{t}.parquet"
            native[t].to_parquet(path, index=False)
            written.append(path)
        write_map("map_parquet.toml", column_map(
            "history", files={t: f"{t}.parquet" for t in TABLE_ORDER}, text_dates=False,
            extract_date=extract_date, history_start=history_start))
    if "snapshot" in formats:
        write_csv("snapshot", export_frame("snapshot", tables["snapshot"], text_dates=True,
                                           seed=seed))
        shared = ("ladder", "bands", "ratings", "adoption")
        if "csv" not in formats:
            for t in shared:
                write_csv(t, text[t])
        write_map("map_snapshot.toml", column_map(
            "snapshot", files={"snapshot": "snapshot.csv", **{t: f"{t}.csv" for t in shared}},
            extract_date=extract_date, history_start=history_start))
    return written
