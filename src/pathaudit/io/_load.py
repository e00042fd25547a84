"""Exports + column map -> :class:`~pathaudit.data.AuditData`, with the data-quality report.

:func:`load` reads an export (CSV, Excel or Parquet; one file per table or one
workbook with a sheet per table; effective-dated history or a snapshot), renames
its columns through the column map, parses values, checks every rule of
``docs/data-quality.md`` and returns the canonical tables. Problems that make the
export unusable are collected (every check runs) and raised together as one
:class:`~pathaudit.errors.InputError`; everything repaired or excluded is counted
in the data-quality report, so that for every table the rows read equal the rows
used plus the rows excluded.

Loading runs in two phases. Phase 1 reads every table and parses every column
(missing columns, unparseable or ambiguous dates, unknown labels, ...). When
phase 1 finds fatal problems they are raised before phase 2, which checks rows
against each other (duplicates, episodes, ladder grades, pay and currencies).

The steps live in modules of their own: where the tables are and reading them
(:mod:`~pathaudit.io._sources`), phase 1 (:mod:`~pathaudit.io._columns`,
:mod:`~pathaudit.io._dates`), phase 2 per table (:mod:`~pathaudit.io._people`,
:mod:`~pathaudit.io._history`, :mod:`~pathaudit.io._snapshot`,
:mod:`~pathaudit.io._grading`, :mod:`~pathaudit.io._filters`,
:mod:`~pathaudit.io._pay`, :mod:`~pathaudit.io._optional`) and the canonical
output (:mod:`~pathaudit.io._output`). Every message text is in
:mod:`~pathaudit.io._messages` and re-exported here; every finding is counted
through :class:`~pathaudit.io._context.LoadContext`.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.derived.ladder import codes_in, ladder_from_grades
from pathaudit.errors import MapError, PrivacyError
from pathaudit.io._columns import canonical_table
from pathaudit.io._context import LoadContext
from pathaudit.io._filters import filter_and_grade
from pathaudit.io._grading import check_ladder
from pathaudit.io._history import check_history
from pathaudit.io._merge import merge_pay
from pathaudit.io._messages import EMPTY_FILE
from pathaudit.io._optional import optional_tables
from pathaudit.io._output import audit_data, pseudonymised
from pathaudit.io._pay import fte_and_pay
from pathaudit.io._people import check_people, note_manager_cycles, note_unknown_managers
from pathaudit.io._snapshot import check_snapshot, graded_leavers
from pathaudit.io._sources import Reader, Source, table_names
from pathaudit.io.mapping import ColumnMap, parse_map
from pathaudit.io.privacy import find_identifiers, identifiers_message, salt_from_env
from pathaudit.io.schema import TABLES
from pathaudit.quality import DataQualityReport

__all__ = ["load", "validate"]


# --- the steps -----------------------------------------------------------------------------------


def _read_tables(
    ld: LoadContext, reader: Reader
) -> tuple[dict[str, Source], dict[str, pd.DataFrame]]:
    """Every table found and read, with rows; empty required tables are fatal."""
    sources = reader.sources()
    required, _ = table_names(ld.cmap)
    frames: dict[str, pd.DataFrame] = {}
    for table, src in sources.items():
        ld.labels[table] = src.label
        frame = reader.read(src)
        if frame is None:
            continue
        ld.q.rows_in[table] = len(frame)
        if len(frame) == 0:
            if table in required:
                ld.fatal(table, "empty_file", 0, EMPTY_FILE.format(file=src.label, table=table))
            else:
                ld.q.add(
                    table,
                    "empty_file",
                    "note",
                    1,
                    f"{src.label} has no data rows; the optional {table} table is treated as "
                    "absent",
                    file=src.label,
                )
            continue
        frames[table] = frame
    return sources, frames


def _check_privacy(
    ld: LoadContext, sources: dict[str, Source], frames: dict[str, pd.DataFrame]
) -> None:
    allow = ld.cmap.privacy["allow_columns"]
    messages = []
    for table, frame in frames.items():
        found = find_identifiers(frame, allow=allow)
        if found:
            messages.append(identifiers_message(sources[table].label, found))
    if messages:
        raise PrivacyError("\n".join(messages))


def _run(ld: LoadContext, reader: Reader) -> AuditData:
    sources, frames = _read_tables(ld, reader)
    _check_privacy(ld, sources, frames)
    salt = None
    if ld.cmap.privacy["pseudonymise"]:
        salt = salt_from_env(ld.cmap.privacy["salt_env"])
    ld.salt = salt
    tables: dict[str, pd.DataFrame] = {}
    for table, frame in frames.items():
        out = canonical_table(ld, sources[table], frame)
        if out is not None:
            tables[table] = out
    ld.raise_fatal()
    if ld.kind == "history":
        data = _assemble_history(ld, tables)
    else:
        data = _assemble_snapshot(ld, tables)
    ld.raise_fatal()
    if salt is not None:
        data = pseudonymised(data, salt)
    return data


def _pay_and_ladder(
    ld: LoadContext,
    jobs: pd.DataFrame,
    table: str,
    present: list[str],
    people: pd.DataFrame,
    ladder: pd.DataFrame | None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Pay and managers of the job records; the ladder from their grades where no ladder file."""
    jobs = fte_and_pay(ld, jobs, table, present)
    note_unknown_managers(ld, jobs, people["employee_id"], table)
    note_manager_cycles(ld, jobs, people, table)
    if ld.grade_column:
        ladder = ladder_from_grades(jobs)
    return jobs, ladder


def _assemble_history(ld: LoadContext, tables: dict[str, pd.DataFrame]) -> AuditData:
    present_h = tables["history"].attrs.get("present", [])
    lad = None if ld.grade_column else check_ladder(ld, tables["ladder"])
    p_raw, h_raw = tables["people"], tables["history"]
    if "pay_history" in tables:  # job and pay changes in two files: one history
        pay = tables["pay_history"]
        ld.q.rows_in["history"] += ld.q.rows_in.pop("pay_history")
        h_raw = merge_pay(ld, h_raw, pay, pay.attrs.get("present", []))
        present_h = sorted(set(present_h) | set(pay.attrs.get("present", [])))
    ids = pd.unique(pd.concat([p_raw["employee_id"].dropna(), h_raw["employee_id"].dropna()]))
    p_raw = p_raw.assign(_pid=codes_in(p_raw["employee_id"], ids))
    h_raw = h_raw.assign(_pid=codes_in(h_raw["employee_id"], ids))
    p = check_people(ld, p_raw)
    p = p.assign(_ep=np.arange(len(p), dtype="int64"))
    h = check_history(ld, h_raw, p, p_raw["_pid"].to_numpy())
    h, filtered = filter_and_grade(ld, h, p, lad, "history", "records")
    if filtered is None:  # a people table in, a people table out
        raise TypeError("filter_and_grade returned no people table for a history export")
    p = ld.exclude(
        filtered,
        ~filtered["_ep"].isin(h["_ep"]),
        "people",
        "no_history",
        "employment episodes without any job record (after the rules above) are left out",
        column="employee_id",
        ids=True,
    )
    h, lad = _pay_and_ladder(ld, h, "history", present_h, p, lad)
    episode_of = p.set_index("_ep")["episode"]
    h = h.assign(episode=h["_ep"].map(episode_of).astype("int64"))
    others = optional_tables(ld, tables, p["employee_id"])
    ld.raise_fatal()
    return audit_data(ld, h, p, lad, others)


def _assemble_snapshot(ld: LoadContext, tables: dict[str, pd.DataFrame]) -> AuditData:
    present = tables["snapshot"].attrs.get("present", [])
    lad = None if ld.grade_column else check_ladder(ld, tables["ladder"])
    s = check_snapshot(ld, tables["snapshot"], present)
    s, _ = filter_and_grade(ld, s, None, lad, "snapshot", "people")
    s, lad = _pay_and_ladder(ld, s, "snapshot", present, s, lad)
    s = s.assign(episode=0, reason="snapshot")
    others = optional_tables(ld, tables, s["employee_id"])
    ld.raise_fatal()
    data = audit_data(ld, s, s, lad, others, snapshot=s)
    leavers = graded_leavers(ld, lad)
    if leavers is not None:
        keep = ["track", "level", "grade", "org_unit", "job_family", "location", "gender"]
        data.leavers = leavers[keep].reset_index(drop=True)
    return data


EXTRACT_INFERRED = (
    "the map gives no extract_date: it is taken as {date}, the latest date in the export, "
    "a lower bound of the day the data was pulled (people who left or changed job after "
    'that day look unchanged); set [export] extract_date = "YYYY-MM-DD" when known'
)


EVENT_TABLES: tuple[str, ...] = ("history", "people", "snapshot", "pay_history", "ratings")
"""The tables whose latest date stands for the extract date when the map gives none."""


def _with_extract_date(cmap: ColumnMap, data: str | Path | None) -> ColumnMap:
    """The map with ``extract_date`` set to the latest date in the export (phase 1 only).

    The event tables (:data:`EVENT_TABLES`) are read and parsed once with a provisional
    far-future extract date; the latest date of any of their date columns becomes the
    extract date (and the history
    start of a snapshot that gives none). Phase-1 problems are raised here as they would be
    by the load itself.
    """
    config = copy.deepcopy(cmap.config)
    export = config["export"]
    export["extract_date"] = "2199-12-31"
    if export.get("history_start") is None:
        export["history_start"] = "2199-12-31"
    probe = LoadContext(ColumnMap(config=config, base_dir=cmap.base_dir), None)
    reader = Reader(probe, data)
    try:
        _, frames = _read_tables(probe, reader)
        sources = reader.sources()
        latest = pd.NaT
        for table, frame in frames.items():
            if table not in EVENT_TABLES:  # a ladder's or a band's date may lie ahead
                continue
            out = canonical_table(probe, sources[table], frame)
            if out is None:
                continue
            dates = [out[c.name] for c in TABLES[table] if c.kind == "date"]
            for col in dates:
                top = col.max()
                if pd.notna(top) and (pd.isna(latest) or top > latest):
                    latest = top
        probe.raise_fatal()
    finally:
        reader.close()
    if pd.isna(latest):
        raise MapError(
            "The column map has no [export] extract_date and the export holds no date to take "
            'it from. Add the date the data was pulled: extract_date = "2025-12-31".'
        )
    export = dict(cmap.config["export"])
    export["extract_date"] = pd.Timestamp(latest).date().isoformat()
    export["extract_date_inferred"] = True
    if export.get("history_start") is None:
        export["history_start"] = export["extract_date"]
    return ColumnMap(config={**cmap.config, "export": export}, base_dir=cmap.base_dir)


# --- public --------------------------------------------------------------------------------------


def load(
    data: str | Path | None,
    map: str | Path | dict[str, Any] | ColumnMap,  # noqa: A002 - the documented name
    *,
    as_of: object | None = None,
) -> AuditData:
    """Load an HR export through its column map into canonical tables.

    Parameters
    ----------
    data
        Folder holding the export files (paths in ``[files]`` are relative to it), or
        one ``.xlsx`` workbook with a sheet per table, or (snapshot exports) the one
        snapshot file. ``None``: the map's own folder.
    map
        Column map: path of the TOML file, its parsed dict, or a
        :class:`~pathaudit.io.mapping.ColumnMap` (see ``docs/column-map.md``).
    as_of
        Analysis date; default the map's ``extract_date`` (never today). Records
        dated after it are ignored and counted.

    Returns
    -------
    AuditData
        ``history`` (``schema.HISTORY`` + ``episode``, ``grade``, ``pay``, ``row``),
        ``people`` (``schema.PEOPLE`` + ``episode``, ``row``), ``ladder``, optional
        ``bands``, ``ratings``, ``adoption`` (``None`` when absent), ``quality`` (the
        data-quality report), ``config`` (the checked map), ``inputs`` (file ->
        SHA-256). Snapshot exports give ``is_snapshot=True``, ``snapshot`` and one
        history row per person.

    Raises
    ------
    MapError
        The map is malformed (unknown keys, missing settings, bad values).
    PrivacyError
        An input holds direct identifiers (names, e-mails, phones, national IDs).
    InputError
        Listing every fatal problem found (missing columns, ambiguous dates, unknown
        labels, levels missing from the ladder, mixed currencies, ...). The
        exception's ``report`` attribute holds the full data-quality report.

    Notes
    -----
    Rules, with their codes and actions, are listed in ``docs/data-quality.md``. For
    every table, rows read = rows used + rows excluded (``quality.rows_in``,
    ``quality.excluded(table)``). ``pay`` = ``base_salary`` (or ``base_salary /
    fte`` with ``salary_basis = "actual"``) times the ``[fx]`` rate of the record's
    currency; ``base_salary``, ``variable_pay`` and ``equity`` stay as exported.
    """
    cmap = parse_map(map)
    if cmap.config["export"].get("extract_date") is None:
        cmap = _with_extract_date(cmap, data)
    ld = LoadContext(cmap, as_of)
    reader = Reader(ld, data)
    try:
        out = _run(ld, reader)
    finally:
        reader.close()
    out.quality.files.update(ld.labels)
    if cmap.config["export"].get("extract_date_inferred"):
        out.quality.add(
            ld.kind,
            "extract_date_inferred",
            "note",
            len(out.history),
            EXTRACT_INFERRED.format(date=ld.extract.date()),
            file=ld.labels.get(ld.kind, ""),
        )
    return out


def validate(
    data: str | Path | None,
    map: str | Path | dict[str, Any] | ColumnMap,  # noqa: A002 - the documented name
    *,
    as_of: object | None = None,
) -> DataQualityReport:
    """Load an export and return its data-quality report.

    Parameters
    ----------
    data, map, as_of
        As for :func:`load`.

    Returns
    -------
    DataQualityReport
        Rows read per table and every repair, exclusion and note, by rule: the loader's
        and those of deriving spells and exposure (a spell before ``history_start``, a
        change on the termination date, a history starting after the hire date ...),
        which an audit runs too.

    Raises
    ------
    MapError, PrivacyError, InputError
        As :func:`load` (an export with fatal problems does not validate).

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> report = pathaudit.validate(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> print(report)  # doctest: +SKIP
    """
    loaded = load(data, map, as_of=as_of)
    _ = loaded.exposure  # the spells stage's rules run (and are counted) as in an audit
    return loaded.quality
