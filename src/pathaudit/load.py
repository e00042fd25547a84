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
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.errors import InputError, MapError, PrivacyError
from pathaudit.ladder import assign_grades, codes_in, ladder_from_grades
from pathaudit.mapping import ColumnMap, parse_map
from pathaudit.parse import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    FAMILY_LABELS,
    PARQUET_SUFFIXES,
    clean_text,
    file_sha256,
    parse_dates,
    parse_numbers,
    read_csv,
    read_parquet,
    suggest_date_format,
)
from pathaudit.privacy import find_identifiers, identifiers_message, pseudonymise, salt_from_env
from pathaudit.quality import DataQualityReport
from pathaudit.schema import (
    HISTORY,
    HISTORY_DERIVED,
    PEOPLE,
    PEOPLE_DERIVED,
    TABLES,
    Column,
)

__all__ = ["load", "validate"]

# --- error texts (tests compare these exactly) -------------------------------------------------

FATAL_HEADER = "The export cannot be used as it is: {n} {problems} to fix (every check was run)."
"""First line of the :class:`InputError` listing every fatal problem."""

MISSING_COLUMN = (
    "Column '{column}' not found in {file}. Columns found: {found}. "
    "Map one of them in the column map: [columns.{table}] {canonical} = '{suggestion}'"
)
MISSING_FILE = (
    "No {table} table: {detail}. Name its file in the column map: [files] {table} = "
    '"{table}.csv" (CSV, .xlsx or .parquet).'
)
MISSING_SHEET = (
    "Sheet '{sheet}' not found in {file}. Sheets found: {found}. "
    "Name the {table} sheet in the column map: [sheets] {table} = '...'"
)
EMPTY_FILE = (
    "{file} has no data rows. Export the {table} table again with its header row and at least "
    "one row."
)
UNSUPPORTED_FORMAT = (
    "{file}: files ending in '{suffix}' cannot be read. Save the table as CSV (.csv), "
    "Excel (.xlsx) or Parquet (.parquet)."
)
UNREADABLE_FILE = "{file} could not be read: {error}. Check that it is a valid {kind} file."
AMBIGUOUS_DATES = (
    "Column '{column}' of {file} has {n} dates that read both day-first and month-first "
    "(e.g. '{example}' in row {row}: {dm} or {md}); rows {rows}. The loader does not "
    "guess.{hint} Declare the format in the column map: [export] date_format = "
    '"{fmt_dm}" (day-first) or "{fmt_md}" (month-first), or for this column only: '
    '[dates] "{table}.{canonical}" = "{fmt_dm}".'
)
AMBIGUOUS_HINT = (
    " Other values in this column can only be read {order} (e.g. '{example}' in row {row})."
)
BAD_DATES = (
    "Column '{column}' of {file} has {n} values that are not dates (e.g. '{example}' in row "
    "{row}); rows {rows}. Accepted: ISO dates (2024-03-31), day-first or month-first dates "
    "with a declared date_format, text months (31 Mar 2024) and Excel serial numbers. "
    'Correct these values, or declare their format: [dates] "{table}.{canonical}" = "...".'
)
DATE_FORMAT_MISMATCH = (
    "Column '{column}' of {file} has {n} values that do not match the declared date format "
    "'{fmt}' but read in the other day/month order (e.g. '{example}' in row {row}); rows "
    "{rows}. Check the declared format, or correct these values."
)
BAD_NUMBERS = (
    "Column '{column}' of {file} has {n} values that are not numbers (e.g. '{example}' in row "
    "{row}); rows {rows}. Write numbers with a decimal point and no thousands separators, "
    "e.g. 85000.50."
)
BAD_GRADES = (
    "Column '{column}' of {file} has {n} grades that are not whole numbers (e.g. '{example}' "
    "in row {row}); rows {rows}. A grade is an integer rank comparable across tracks."
)
UNKNOWN_LABEL = (
    "{what} '{value}' in column '{column}' of {file} ({n} rows: {rows}) is not one of "
    '{allowed}. Map it in the column map: [values.{canonical}] "{value}" = "{example}".'
)
LEVEL_NOT_IN_LADDER = (
    "Level '{level}' (track {track}) is not in the ladder (rows {rows} of {file}). "
    "Add it to the ladder with its grade, or map it to an existing level."
)
LEVEL_NOT_COVERED = (
    "Level '{level}' (track {track}) has no ladder row for {n} records (rows {rows} of {file}): "
    "its ladder rows apply only {scope}. Add it to the ladder with its grade for these "
    "records, or map it to an existing level."
)
LADDER_CONFLICT = (
    "The ladder gives level '{level}' (track {track}) {grades} for the same unit and date "
    "(rows {rows} of {file}). Keep one row per level, unit and valid_from."
)
LADDER_MISSING_VALUE = (
    "{n} ladder rows of {file} have no {column} (rows {rows}). Every ladder row needs a "
    "track, a level and a grade."
)
FTE_OUT_OF_RANGE = (
    "Column '{column}' of {file} has {n} FTE values outside 0 to 1.5 (e.g. {example} in row "
    "{row}); rows {rows}. FTE is the share of full time (1.0 = full time). If the export gives "
    'FTE in percent (100 = full time), set [export] fte_unit = "percent"; otherwise correct '
    "these values."
)
MIXED_CURRENCIES = (
    "{file} has pay in {k} currencies ({counts}). Pay is never pooled across currencies without "
    'exchange rates. Add them to the column map: [fx] reporting_currency = "{first}" and one '
    "line per other currency, e.g. {other} = 1.0 (the value of 1 {other} in {first})."
)
MISSING_FX_RATE = (
    "[fx] has no rate for {currencies} (used in {n} rows of {file}: rows {rows}). Add one line "
    "per currency under [fx], e.g. {example} = 1.0 (the value of 1 {example} in {reporting})."
)
OVERLAPPING_EPISODES = (
    "{n} employment episodes in {file} overlap an earlier episode of the same person (rows "
    "{rows}): the person is hired again before the earlier episode ends, or has two open "
    "episodes. Give the earlier episode its termination date (before the rehire), or remove "
    "the duplicate row."
)
DUPLICATE_PERSON = (
    "{n} people appear in more than one row of the snapshot {file} (rows {rows}). A snapshot "
    "has one row per person; remove the extra rows or load the export as a history."
)
BAND_ORDER = (
    "{n} pay bands of {file} do not satisfy band_min <= band_mid <= band_max (rows {rows}). "
    "Correct the band values."
)
ADOPTION_CONFLICT = (
    "{n} org units of {file} have more than one adoption date (rows {rows}). Keep the date "
    "each unit's dual ladder took effect."
)
AS_OF_AFTER_EXTRACT = (
    "as_of {as_of} is after the extract date {extract} of this export: the data cannot describe "
    "days after it was pulled. Use an as_of on or before {extract}."
)
AS_OF_BEFORE_START = (
    "as_of {as_of} is before history_start {start}: nothing would be observed. Use an as_of on "
    "or after {start}."
)
BAD_AS_OF = 'as_of {as_of!r} is not a date. Give it as YYYY-MM-DD, e.g. as_of = "2025-06-30".'

DATA_NOT_FOLDER = (
    "{path} is a file; pass the folder holding the export files, or one .xlsx workbook with a "
    "sheet per table."
)
GRADE_AND_LADDER = (
    "The column map names both a grade column ([grade] column) and a ladder file ([files] "
    "ladder). Use one: the ladder file, or the export's own global grade."
)

_MAX_VALUES_SHOWN = 10


# --- small helpers -------------------------------------------------------------------------------


def _rows_text(rows: Any, limit: int = 10) -> str:
    rows = [int(r) for r in np.asarray(rows).ravel()]
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def _norm(name: object) -> str:
    return " ".join(re.sub(r"[_\s]+", " ", str(name)).split()).casefold()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass
class _Source:
    table: str
    label: str  # name shown in messages: "people.csv" or "export.xlsx, sheet 'People'"
    path: Path
    sheet: str | None = None


# --- the loader ----------------------------------------------------------------------------------


class _Loader:
    """One load: sources, phase 1 (columns), phase 2 (rows), assembly."""

    def __init__(self, data: str | Path | None, cmap: ColumnMap, as_of: object | None) -> None:
        self.cmap = cmap
        self.q = DataQualityReport()
        self.inputs: dict[str, str] = {}
        self.kind = cmap.kind
        self.extract = cmap.extract_date
        self.start = cmap.history_start
        try:
            self.as_of = self.extract if as_of is None else pd.Timestamp(as_of).normalize()
        except (ValueError, TypeError) as err:
            raise InputError(BAD_AS_OF.format(as_of=as_of)) from err
        if pd.isna(self.as_of):
            raise InputError(BAD_AS_OF.format(as_of=as_of))
        if self.as_of > self.extract:
            raise InputError(
                AS_OF_AFTER_EXTRACT.format(as_of=self.as_of.date(), extract=self.extract.date())
            )
        if self.kind == "history" and self.as_of < self.start:
            raise InputError(
                AS_OF_BEFORE_START.format(as_of=self.as_of.date(), start=self.start.date())
            )
        self.data_path = None if data is None else Path(data)
        self.labels: dict[str, str] = {}
        self._books: dict[Path, pd.ExcelFile] = {}

    # ----------------------------------------------------------------- sources
    def _base_and_workbook(self) -> tuple[Path, Path | None, dict[str, str]]:
        files = self.cmap.files
        workbook = self.cmap.workbook
        if self.data_path is None:
            base = self.cmap.base_dir or Path.cwd()
            book = base / workbook if workbook else None
            return base, book, files
        if self.data_path.is_file():
            base = self.data_path.parent
            if self.data_path.suffix.lower() in EXCEL_SUFFIXES:
                return base, self.data_path, files
            if self.kind == "snapshot" and "snapshot" not in files:
                return base, None, {**files, "snapshot": self.data_path.name}
            raise MapError(DATA_NOT_FOLDER.format(path=self.data_path.name))
        base = self.data_path
        return base, (base / workbook if workbook else None), files

    def _tables(self) -> tuple[list[str], list[str]]:
        grade_col = self.cmap.grade_column is not None
        if self.kind == "history":
            required = ["history", "people"]
        else:
            required = ["snapshot"]
        if not grade_col:
            required.append("ladder")
        optional = [t for t in ("ladder", "bands", "ratings", "adoption") if t not in required]
        if grade_col:
            optional.remove("ladder")
        return required, optional

    def _book(self, path: Path) -> pd.ExcelFile:
        if path not in self._books:
            self._books[path] = pd.ExcelFile(path, engine="openpyxl")
        return self._books[path]

    def sources(self) -> dict[str, _Source]:
        base, book, files = self._base_and_workbook()
        if self.cmap.grade_column is not None and "ladder" in files:
            raise MapError(GRADE_AND_LADDER)
        required, optional = self._tables()
        found: dict[str, _Source] = {}
        sheets: list[str] | None = None
        if book is not None:
            if not book.is_file():
                self.q.add(
                    "export",
                    "missing_file",
                    "fatal",
                    0,
                    f"Workbook '{book.name}' not found in '{base.name or base}'. "
                    'Name it in the column map: [files] workbook = "export.xlsx".',
                    file=book.name,
                )
                book = None
            else:
                try:
                    sheets = [str(s) for s in self._book(book).sheet_names]
                except Exception as err:  # noqa: BLE001 - any reader error is reported
                    self.q.add(
                        "export",
                        "unreadable_file",
                        "fatal",
                        0,
                        UNREADABLE_FILE.format(
                            file=book.name, error=str(err).rstrip("."), kind="Excel"
                        ),
                        file=book.name,
                    )
                    book = None
        explicit_sheets = self.cmap.config.get("sheets", {})
        for table in required + optional:
            if table in files:
                path = base / files[table]
                if not path.is_file():
                    self.q.add(
                        table,
                        "missing_file",
                        "fatal",
                        0,
                        MISSING_FILE.format(
                            table=table,
                            detail=f"file '{files[table]}' not found in '{base.name or base}'",
                        ),
                        file=files[table],
                    )
                    continue
                found[table] = _Source(table, Path(files[table]).as_posix(), path)
                continue
            if book is not None and sheets is not None:
                want = self.cmap.sheet(table)
                match = [s for s in sheets if s == want] or [
                    s for s in sheets if _norm(s) == _norm(want)
                ]
                if match:
                    found[table] = _Source(
                        table, f"{book.name}, sheet '{match[0]}'", book, match[0]
                    )
                    continue
                if table in explicit_sheets:
                    self.q.add(
                        table,
                        "missing_sheet",
                        "fatal",
                        0,
                        MISSING_SHEET.format(sheet=want, file=book.name, found=sheets, table=table),
                        file=book.name,
                    )
                    continue
            for suffix in (".csv", ".parquet", ".xlsx"):
                path = base / f"{table}{suffix}"
                if path.is_file():
                    found[table] = _Source(table, path.name, path)
                    break
            else:
                if table in required:
                    where = f"sheet '{self.cmap.sheet(table)}' not in {book.name}" if book else ""
                    detail = where or (
                        f"not named in [files] and no {table}.csv, {table}.parquet or "
                        f"{table}.xlsx in '{base.name or base}'"
                    )
                    self.q.add(
                        table,
                        "missing_file",
                        "fatal",
                        0,
                        MISSING_FILE.format(table=table, detail=detail),
                    )
        return found

    # ----------------------------------------------------------------- reading
    def read(self, src: _Source) -> pd.DataFrame | None:
        suffix = src.path.suffix.lower()
        rel = src.path.name if src.sheet is not None else src.label
        if rel not in self.inputs:
            self.inputs[rel] = file_sha256(src.path)
        try:
            if src.sheet is not None or suffix in EXCEL_SUFFIXES:
                book = self._book(src.path)
                sheet = src.sheet if src.sheet is not None else book.sheet_names[0]
                frame = pd.read_excel(book, sheet_name=sheet, dtype=object)
            elif suffix in CSV_SUFFIXES:
                res = read_csv(src.path)
                frame = res.frame
                for note in res.notes:
                    self.q.add(
                        src.table, "encoding", "note", max(len(frame), 1), note, file=src.label
                    )
            elif suffix in PARQUET_SUFFIXES:
                frame = read_parquet(src.path).frame
            else:
                self.q.add(
                    src.table,
                    "unsupported_format",
                    "fatal",
                    0,
                    UNSUPPORTED_FORMAT.format(file=src.label, suffix=suffix),
                    file=src.label,
                )
                return None
        except Exception as err:  # noqa: BLE001 - any reader error is reported as fatal
            kind = (
                "CSV"
                if suffix in CSV_SUFFIXES
                else "Parquet"
                if suffix in PARQUET_SUFFIXES
                else "Excel"
            )
            self.q.add(
                src.table,
                "unreadable_file",
                "fatal",
                0,
                UNREADABLE_FILE.format(file=src.label, error=str(err).rstrip("."), kind=kind),
                file=src.label,
            )
            return None
        frame = frame.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        return frame

    # ----------------------------------------------------------------- phase 1
    def _resolve(self, table: str, src: _Source, frame: pd.DataFrame) -> dict[str, str] | None:
        """Canonical column -> export column actually present; fatal for missing ones."""
        mapping = self.cmap.columns(table)
        headers = list(frame.columns)
        by_norm: dict[str, str] = {}
        for h in headers:
            by_norm.setdefault(_norm(h), h)
        resolved: dict[str, str] = {}
        forgiving: list[str] = []
        ok = True
        wanted = [(c.name, c.required) for c in TABLES[table]]
        if table in ("history", "snapshot") and self.cmap.grade_column is not None:
            wanted.append(("grade", True))
        for canonical, required in wanted:
            if canonical == "grade" and table in ("history", "snapshot"):
                export_name = str(self.cmap.grade_column)
                explicit = True
            else:
                explicit = canonical in mapping
                export_name = mapping.get(canonical, canonical)
            if export_name in headers:
                resolved[canonical] = export_name
                continue
            hit = by_norm.get(_norm(export_name))
            if hit is not None:
                resolved[canonical] = hit
                forgiving.append(f"{canonical} = '{hit}'")
                continue
            if explicit or required:
                ok = False
                norm_headers = {_norm(h): h for h in headers}
                close = difflib.get_close_matches(
                    _norm(export_name), list(norm_headers), n=1, cutoff=0.6
                )
                self.q.add(
                    table,
                    "missing_column",
                    "fatal",
                    0,
                    MISSING_COLUMN.format(
                        column=export_name,
                        file=src.label,
                        found=headers,
                        table=table,
                        canonical=canonical,
                        suggestion=norm_headers[close[0]] if close else "...",
                    ),
                    file=src.label,
                    column=export_name,
                )
        if forgiving:
            self.q.add(
                table,
                "column_matched",
                "note",
                len(frame),
                "columns matched ignoring case, spaces and underscores: " + ", ".join(forgiving),
                file=src.label,
            )
        return resolved if ok else None

    def _text(
        self, table: str, src: _Source, canonical: str, export: str, s: pd.Series
    ) -> pd.Series:
        parsed = clean_text(s)
        n = int(parsed.stripped.sum())
        if n:
            self.q.add(
                table,
                "trailing_spaces",
                "repaired",
                n,
                "leading or trailing spaces removed",
                file=src.label,
                column=export,
                rows=np.flatnonzero(parsed.stripped)[:10] + 1,
            )
        values = parsed.values
        mapping = self.cmap.values(canonical)
        if mapping:
            values = _map_values(values, mapping)
        return values

    def _category(
        self,
        table: str,
        src: _Source,
        col: Column,
        export: str,
        s: pd.Series,
    ) -> pd.Series:
        values = self._text(table, src, col.name, export, s)
        if col.name == "career_preference" and not self.cmap.values("career_preference"):
            track_map = self.cmap.values("track")
            if track_map:
                values = _map_values(values, track_map)
        allowed = col.values
        fold = {a.casefold(): a for a in allowed}
        codes, uniques = pd.factorize(values)
        u = pd.Series(uniques, dtype=str)
        exact = u.isin(allowed).to_numpy()
        folded = u.str.casefold().map(fold)
        case_fixed = ~exact & folded.notna().to_numpy()
        unknown = ~exact & ~case_fixed
        if case_fixed.any():
            u = u.where(~case_fixed, folded)
            n = int(np.isin(codes, np.flatnonzero(case_fixed)).sum())
            self.q.add(
                table,
                "label_case",
                "repaired",
                n,
                f"labels written in another case were read as {', '.join(allowed)}",
                file=src.label,
                column=export,
            )
        what = {"track": "Track label", "termination_type": "Termination type"}.get(
            col.name, "Value"
        )
        for k, ui in enumerate(np.flatnonzero(unknown)):
            rows = np.flatnonzero(codes == ui) + 1
            if k >= _MAX_VALUES_SHOWN:
                break
            self.q.add(
                table,
                f"unknown_{col.name}",
                "fatal",
                len(rows),
                UNKNOWN_LABEL.format(
                    what=what,
                    value=uniques[ui],
                    column=export,
                    file=src.label,
                    n=len(rows),
                    rows=_rows_text(rows),
                    allowed=", ".join(allowed),
                    canonical=col.name,
                    example=_closest(str(uniques[ui]), allowed),
                ),
                file=src.label,
                column=export,
                rows=rows,
            )
        out = np.full(len(values), np.nan, dtype=object)
        ok = codes >= 0
        out[ok] = u.to_numpy(dtype=object)[codes[ok]]
        return pd.Series(out, index=values.index, dtype=str)

    def _left(self, table: str, src: _Source, export: str, s: pd.Series) -> pd.Series:
        values = self._text(table, src, "left", export, s)
        truthy = {"true", "yes", "y", "1", "left", "terminated", "inactive", "leaver"}
        falsy = {"false", "no", "n", "0", "active", "employed", "current", "stayer"}
        folded = values.str.casefold()
        out = pd.Series(np.nan, index=values.index, dtype=str)
        out.loc[folded.isin(truthy).to_numpy()] = "true"
        out.loc[folded.isin(falsy).to_numpy()] = "false"
        unknown = values.notna() & out.isna()
        for k, value in enumerate(pd.unique(values[unknown])):
            if k >= _MAX_VALUES_SHOWN:
                break
            rows = np.flatnonzero((values == value).to_numpy(dtype=bool, na_value=False)) + 1
            self.q.add(
                table,
                "unknown_left",
                "fatal",
                len(rows),
                UNKNOWN_LABEL.format(
                    what="Value",
                    value=value,
                    column=export,
                    file=src.label,
                    n=len(rows),
                    rows=_rows_text(rows),
                    allowed="true, false",
                    canonical="left",
                    example="true",
                ),
                file=src.label,
                column=export,
                rows=rows,
            )
        return out

    def _number(
        self, table: str, src: _Source, export: str, s: pd.Series, *, integer: bool = False
    ) -> pd.Series:
        parsed = parse_numbers(s)
        if parsed.reformatted.any():
            n = int(parsed.reformatted.sum())
            self.q.add(
                table,
                "number_format",
                "repaired",
                n,
                "numbers written with thousands separators or a currency sign were read "
                "without them",
                file=src.label,
                column=export,
                rows=np.flatnonzero(parsed.reformatted) + 1,
            )
        bad = parsed.bad
        values = parsed.values
        template = BAD_NUMBERS
        rule = "bad_number"
        if integer:
            frac = values.notna() & (values != np.floor(values))
            bad = bad | frac.to_numpy()
            template, rule = BAD_GRADES, "bad_grade"
        if bad.any():
            rows = np.flatnonzero(bad) + 1
            self.q.add(
                table,
                rule,
                "fatal",
                len(rows),
                template.format(
                    column=export,
                    file=src.label,
                    n=len(rows),
                    example=s.iloc[rows[0] - 1],
                    row=rows[0],
                    rows=_rows_text(rows),
                ),
                file=src.label,
                column=export,
                rows=rows,
            )
        return values

    def _date(
        self, table: str, src: _Source, canonical: str, export: str, s: pd.Series
    ) -> pd.Series:
        fmt = self.cmap.date_format(table, canonical)
        parsed = parse_dates(s, fmt)
        common = {"file": src.label, "column": export}
        if parsed.ambiguous.any():
            rows = np.flatnonzero(parsed.ambiguous) + 1
            example = str(s.iloc[rows[0] - 1]).strip()
            fmt_dm, fmt_md = suggest_date_format(example)
            dm = pd.to_datetime(pd.Series([example]), format=fmt_dm, errors="coerce")
            md = pd.to_datetime(pd.Series([example]), format=fmt_md, errors="coerce")
            hint = ""
            fam = parsed.family
            for key, order in (("dm", "day-first"), ("md", "month-first")):
                only = np.flatnonzero((fam == key).to_numpy())
                if len(only):
                    hint += AMBIGUOUS_HINT.format(
                        order=order, example=str(s.iloc[only[0]]).strip(), row=only[0] + 1
                    )
            self.q.add(
                table,
                "ambiguous_date",
                "fatal",
                len(rows),
                AMBIGUOUS_DATES.format(
                    column=export,
                    file=src.label,
                    n=len(rows),
                    example=example,
                    row=rows[0],
                    dm=_fmt_date(dm.iloc[0]),
                    md=_fmt_date(md.iloc[0]),
                    rows=_rows_text(rows),
                    hint=hint,
                    fmt_dm=fmt_dm,
                    fmt_md=fmt_md,
                    table=table,
                    canonical=canonical,
                ),
                rows=rows,
                **common,
            )
        if parsed.mismatch.any():
            rows = np.flatnonzero(parsed.mismatch) + 1
            self.q.add(
                table,
                "date_format_mismatch",
                "fatal",
                len(rows),
                DATE_FORMAT_MISMATCH.format(
                    column=export,
                    file=src.label,
                    n=len(rows),
                    fmt=fmt,
                    example=str(s.iloc[rows[0] - 1]).strip(),
                    row=rows[0],
                    rows=_rows_text(rows),
                ),
                rows=rows,
                **common,
            )
        if parsed.bad.any():
            rows = np.flatnonzero(parsed.bad) + 1
            self.q.add(
                table,
                "bad_date",
                "fatal",
                len(rows),
                BAD_DATES.format(
                    column=export,
                    file=src.label,
                    n=len(rows),
                    example=str(s.iloc[rows[0] - 1]).strip(),
                    row=rows[0],
                    rows=_rows_text(rows),
                    table=table,
                    canonical=canonical,
                ),
                rows=rows,
                **common,
            )
        if parsed.serial.any():
            rows = np.flatnonzero(parsed.serial) + 1
            self.q.add(
                table,
                "excel_serial_date",
                "repaired",
                len(rows),
                "Excel serial numbers converted to dates (1900 date system)",
                rows=rows,
                **common,
            )
        fam = parsed.family.dropna()
        if len(fam):
            counts = fam.value_counts()
            if "same" in counts.index and ("dm" in counts.index or "md" in counts.index):
                target = "dm" if "dm" in counts.index else "md"
                counts[target] += counts.pop("same")
            counts = counts.sort_values(ascending=False, kind="stable")
            if len(counts) > 1:
                minority = int(counts.iloc[1:].sum())
                listing = ", ".join(f"{FAMILY_LABELS[k]}: {v} rows" for k, v in counts.items())
                self.q.add(
                    table,
                    "mixed_date_formats",
                    "note",
                    minority,
                    f"dates written in {len(counts)} ways ({listing}); each value was "
                    "unambiguous and was read as written",
                    **common,
                )
        return parsed.values

    def canonical(self, src: _Source, frame: pd.DataFrame) -> pd.DataFrame | None:
        """Phase 1 for one table: columns renamed and parsed, ``row`` added."""
        table = src.table
        resolved = self._resolve(table, src, frame)
        if resolved is None:
            return None
        cols: dict[str, Any] = {}
        for col in TABLES[table]:
            export = resolved.get(col.name)
            if export is None:
                cols[col.name] = _empty(col.kind, len(frame))
                continue
            s = frame[export]
            if col.name == "left":
                cols[col.name] = self._left(table, src, export, s)
            elif col.kind == "str":
                cols[col.name] = self._text(table, src, col.name, export, s)
            elif col.kind == "category":
                cols[col.name] = self._category(table, src, col, export, s)
            elif col.kind == "float":
                cols[col.name] = self._number(table, src, export, s)
            elif col.kind == "int":
                cols[col.name] = self._number(table, src, export, s, integer=True)
            elif col.kind == "date":
                cols[col.name] = self._date(table, src, col.name, export, s)
        if "grade" in resolved and table in ("history", "snapshot"):
            cols["grade"] = self._number(
                table, src, resolved["grade"], frame[resolved["grade"]], integer=True
            )
        out = pd.DataFrame(cols, index=frame.index)
        out["row"] = np.arange(1, len(out) + 1, dtype="int64")
        out.attrs["present"] = sorted(resolved)
        return out

    # ----------------------------------------------------------------- phase 2 helpers
    def exclude(
        self,
        df: pd.DataFrame,
        mask: Any,
        table: str,
        rule: str,
        message: str,
        *,
        column: str = "",
    ) -> pd.DataFrame:
        mask = np.asarray(mask, dtype=bool)
        n = int(mask.sum())
        if n:
            self.q.add(
                table,
                rule,
                "excluded",
                n,
                message,
                file=self.labels.get(table, ""),
                column=column,
                rows=df["row"].to_numpy()[mask],
            )
        return df.loc[~mask] if n else df

    def fatal(
        self, table: str, rule: str, n: int, message: str, rows: Any = (), column: str = ""
    ) -> None:
        self.q.add(
            table,
            rule,
            "fatal",
            n,
            message,
            file=self.labels.get(table, ""),
            column=column,
            rows=rows,
        )

    def drop_missing(self, df: pd.DataFrame, table: str, columns: list[str]) -> pd.DataFrame:
        for c in columns:
            df = self.exclude(
                df,
                df[c].isna(),
                table,
                "missing_value",
                f"rows without {c} cannot be used and are left out",
                column=c,
            )
        return df

    def drop_blank(self, df: pd.DataFrame, table: str) -> pd.DataFrame:
        return self.exclude(
            df,
            df[_data_cols(df)].isna().all(axis=1),
            table,
            "blank_rows",
            "empty rows are left out",
        )

    def drop_duplicates(
        self, df: pd.DataFrame, table: str, key: list[str] | None = None
    ) -> pd.DataFrame:
        """Exact duplicate rows (all canonical columns) are excluded, the first kept.

        ``key``: columns that every duplicate pair shares (e.g. person and date), checked
        first so that the full comparison runs only on the few candidate rows.
        """
        cols = _data_cols(df)
        if key is None:
            dup = df.duplicated(subset=cols, keep="first").to_numpy()
        else:
            cand = df.duplicated(subset=key, keep=False).to_numpy()
            dup = np.zeros(len(df), bool)
            if cand.any():
                dup[cand] = df.loc[cand].duplicated(subset=cols, keep="first").to_numpy()
        return self.exclude(
            df,
            dup,
            table,
            "duplicate_rows",
            "rows identical to an earlier row are left out (the first is kept)",
        )

    # ----------------------------------------------------------------- people
    def people(self, p: pd.DataFrame) -> pd.DataFrame:
        t = "people"
        p = self.drop_blank(p, t)
        p = self.drop_missing(p, t, ["employee_id", "hire_date"])
        p = self.drop_duplicates(p, t)
        p = self.exclude(
            p,
            p["hire_date"] > self.as_of,
            t,
            "hired_after_as_of",
            f"episodes hired after as-of {self.as_of.date()} are left out",
        )
        p = self.exclude(
            p,
            (p["termination_date"] < p["hire_date"]).fillna(False),
            t,
            "termination_before_hire",
            "episodes whose termination date is before their hire date are left out; "
            "correct the dates in the export to include them",
            column="termination_date",
        )
        p = self.terminations(p, t)
        p = p.sort_values(["employee_id", "hire_date", "row"], kind="stable")
        same = p["employee_id"].eq(p["employee_id"].shift())
        prev_end = p["termination_date"].shift()
        overlap = same & (prev_end.isna() | (prev_end >= p["hire_date"]))
        if overlap.any():
            rows = p.loc[overlap, "row"].to_numpy()
            self.fatal(
                t,
                "overlapping_episodes",
                len(rows),
                OVERLAPPING_EPISODES.format(
                    n=len(rows), file=self.labels[t], rows=_rows_text(rows)
                ),
                rows=rows,
            )
        p = p.assign(episode=p.groupby("employee_id", sort=False).cumcount().astype("int64"))
        return p

    def terminations(self, p: pd.DataFrame, t: str) -> pd.DataFrame:
        late = (p["termination_date"] > self.as_of).fillna(False).to_numpy()
        if late.any():
            self.q.add(
                t,
                "termination_after_as_of",
                "repaired",
                int(late.sum()),
                f"terminations dated after as-of {self.as_of.date()} are not yet known on "
                "as-of: these people count as employed (termination date and type cleared)",
                file=self.labels[t],
                column="termination_date",
                rows=p["row"].to_numpy()[late],
            )
            p = p.copy()
            p.loc[late, ["termination_date", "termination_type"]] = [pd.NaT, np.nan]
        type_only = (p["termination_date"].isna() & p["termination_type"].notna()).to_numpy()
        if type_only.any():
            self.q.add(
                t,
                "termination_type_without_date",
                "repaired",
                int(type_only.sum()),
                "a termination type without a termination date was cleared (the person counts "
                "as employed); add the termination date to count the exit",
                file=self.labels[t],
                column="termination_type",
                rows=p["row"].to_numpy()[type_only],
            )
            p = p.copy()
            p.loc[type_only, "termination_type"] = np.nan
        no_type = (p["termination_date"].notna() & p["termination_type"].isna()).to_numpy()
        if no_type.any():
            self.q.add(
                t,
                "missing_termination_type",
                "repaired",
                int(no_type.sum()),
                "terminations without a type count as 'other' (neither voluntary nor "
                "involuntary); map the export's types in [values.termination_type]",
                file=self.labels[t],
                column="termination_type",
                rows=p["row"].to_numpy()[no_type],
            )
            p = p.copy()
            p.loc[no_type, "termination_type"] = "other"
        return p

    # ----------------------------------------------------------------- history
    def history(self, h: pd.DataFrame, p: pd.DataFrame, raw_pids: np.ndarray) -> pd.DataFrame:
        t = "history"
        h = self.drop_blank(h, t)
        h = self.drop_missing(h, t, ["employee_id", "effective_date", "track", "level"])
        h = self.drop_duplicates(h, t, key=["_pid", "effective_date"])
        h = self.exclude(
            h,
            h["effective_date"] > self.as_of,
            t,
            "after_as_of",
            f"records dated after as-of {self.as_of.date()} are ignored",
            column="effective_date",
        )
        h = self.exclude(
            h,
            h.duplicated(["_pid", "effective_date"], keep="last"),
            t,
            "same_date_collapsed",
            "several records of one person on one date collapse to the last one in file order",
        )
        pid = h["_pid"].to_numpy()
        size = int(max(pid.max(initial=0), raw_pids.max(initial=0))) + 2  # slot -1: missing
        kept = np.zeros(size, bool)
        kept[p["_pid"].to_numpy()] = True
        raw = np.zeros(size, bool)
        raw[raw_pids[raw_pids >= 0]] = True
        h = self.exclude(
            h,
            ~kept[pid] & raw[pid],
            t,
            "episode_excluded",
            "records of people whose every people row was left out (see the people rules)",
        )
        h = self.exclude(
            h,
            ~kept[h["_pid"].to_numpy()],
            t,
            "person_not_in_people",
            "records of IDs that are not in the people table are left out; add these people "
            "(hire date at least) to include them",
            column="employee_id",
        )
        # the episode of each record: the latest hire on or before its date
        left = h[["_pid", "effective_date"]].sort_values("effective_date", kind="stable")
        right = p[["_pid", "hire_date", "termination_date", "_ep"]].sort_values(
            "hire_date", kind="stable"
        )
        m = pd.merge_asof(
            left.reset_index(names="_idx"),
            right,
            left_on="effective_date",
            right_on="hire_date",
            by="_pid",
            direction="backward",
        )
        ep = pd.Series(m["_ep"].to_numpy(), index=m["_idx"].to_numpy()).reindex(h.index)
        end = pd.Series(m["termination_date"].to_numpy(), index=m["_idx"].to_numpy()).reindex(
            h.index
        )
        outside = ep.isna() | (h["effective_date"] > end).fillna(False)
        h = h.assign(_ep=ep)
        h = self.exclude(
            h,
            outside,
            t,
            "outside_episode",
            "records dated outside every employment episode of the person (before the hire "
            "date, after the termination date, between episodes, or in an episode left out "
            "by a people rule) are left out",
            column="effective_date",
        )
        return h.assign(_ep=h["_ep"].astype("int64"))

    def apply_filters(
        self, h: pd.DataFrame, p: pd.DataFrame, keys: tuple[str, ...]
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Episode-level population filters: an episode with any matching record is left out."""
        f = self.cmap.filters
        column_of = {
            "exclude_levels": "level",
            "exclude_job_families": "job_family",
            "exclude_org_units": "org_unit",
            "exclude_locations": "location",
        }
        for key in keys:
            if key not in f:
                continue
            if key in column_of:
                match = h[column_of[key]].isin(f[key])
                what = f"{column_of[key]} in {f[key]}"
            elif key == "max_grade":
                match = (h["grade"] > f[key]).fillna(False)
                what = f"grade above {f[key]}"
            elif key == "min_grade":
                match = (h["grade"] < f[key]).fillna(False)
                what = f"grade below {f[key]}"
            else:  # min_fte
                match = (h["fte"] < f[key]).fillna(False)
                what = f"FTE below {f[key]}"
            eps = np.unique(h.loc[match.to_numpy(dtype=bool), "_ep"].to_numpy())
            if not len(eps):
                continue
            msg = (
                f"population filter [filters] {key}: every record of an employment episode "
                f"with any record having {what} is left out"
            )
            h = self.exclude(h, h["_ep"].isin(eps), "history", f"filter_{key}", msg)
            if p is not None:
                p = self.exclude(p, p["_ep"].isin(eps), "people", f"filter_{key}", msg)
        return h, p

    def grades(
        self, h: pd.DataFrame, ladder: pd.DataFrame, table: str, date_col: str
    ) -> pd.DataFrame:
        g = assign_grades(h, ladder, date_column=date_col)
        missing = g.isna().to_numpy()
        if missing.any():
            lad_pairs = set(
                zip(ladder["track"].astype(str), ladder["level"].astype(str), strict=True)
            )
            sub = h.loc[missing, ["track", "level", "row"]]
            for (track, level), rows in sub.groupby(["track", "level"], sort=True)["row"]:
                rows = rows.to_numpy()
                if (track, level) in lad_pairs:
                    lrows = ladder.loc[(ladder["track"] == track) & (ladder["level"] == level)]
                    scope = _ladder_scope(lrows)
                    msg = LEVEL_NOT_COVERED.format(
                        level=level,
                        track=track,
                        n=len(rows),
                        rows=_rows_text(rows),
                        file=self.labels[table],
                        scope=scope,
                    )
                else:
                    msg = LEVEL_NOT_IN_LADDER.format(
                        level=level, track=track, rows=_rows_text(rows), file=self.labels[table]
                    )
                self.fatal(table, "level_not_in_ladder", len(rows), msg, rows=rows, column="level")
        return h.assign(grade=g)

    def fte_and_pay(self, h: pd.DataFrame, table: str, present: list[str]) -> pd.DataFrame:
        label = self.labels[table]
        fte = h["fte"].astype("float64")
        if self.cmap.fte_unit == "percent":
            fte = fte / 100.0
        if "fte" not in present:
            self.q.add(
                table,
                "no_fte_column",
                "note",
                len(h),
                "the export has no FTE column: everyone is taken as full time (fte = 1)",
                file=label,
            )
        out_of_range = ((fte < 0) | (fte > 1.5)).fillna(False).to_numpy()
        if out_of_range.any():
            rows = h["row"].to_numpy()[out_of_range]
            example = h["fte"].to_numpy()[out_of_range][0]
            self.fatal(
                table,
                "fte_out_of_range",
                len(rows),
                FTE_OUT_OF_RANGE.format(
                    column="fte",
                    file=label,
                    n=len(rows),
                    example=f"{example:g}",
                    row=rows[0],
                    rows=_rows_text(rows),
                ),
                rows=rows,
                column="fte",
            )
        missing_fte = fte.isna().to_numpy()
        if missing_fte.any() and "fte" in present:
            self.q.add(
                table,
                "missing_fte",
                "repaired",
                int(missing_fte.sum()),
                "missing FTE read as 1 (full time)",
                file=label,
                column="fte",
                rows=h["row"].to_numpy()[missing_fte],
            )
        fte = fte.fillna(1.0)
        h = h.assign(fte=fte)
        base = h["base_salary"].astype("float64")
        pay = base.copy()
        if "base_salary" not in present:
            self.q.add(
                table,
                "no_pay_column",
                "note",
                len(h),
                "the export has no base pay column: pay analyses cannot run",
                file=label,
            )
        else:
            missing = base.isna().to_numpy()
            if missing.any():
                self.q.add(
                    table,
                    "missing_pay",
                    "note",
                    int(missing.sum()),
                    "records without base pay are kept for careers; pay analyses leave them out",
                    file=label,
                    column="base_salary",
                    rows=h["row"].to_numpy()[missing],
                )
            nonpos = (base <= 0).fillna(False).to_numpy()
            if nonpos.any():
                self.q.add(
                    table,
                    "nonpositive_pay",
                    "repaired",
                    int(nonpos.sum()),
                    "zero or negative base pay is not a pay rate: pay set to missing for these "
                    "records (kept for careers)",
                    file=label,
                    column="base_salary",
                    rows=h["row"].to_numpy()[nonpos],
                )
                pay = pay.where(~nonpos)
        if self.cmap.salary_basis == "actual":
            zero = (fte == 0).to_numpy() & pay.notna().to_numpy()
            if zero.any():
                self.q.add(
                    table,
                    "zero_fte_pay",
                    "note",
                    int(zero.sum()),
                    "with salary_basis = 'actual', FTE pay of records with fte = 0 is undefined "
                    "(pay set to missing)",
                    file=label,
                    column="fte",
                    rows=h["row"].to_numpy()[zero],
                )
            pay = (pay / fte.where(fte > 0)).where(~pd.Series(zero, index=pay.index))
        h = self.currencies(h, table, present)
        fx = self.cmap.fx
        if fx is not None and "currency" in h:
            rate = h["currency"].map(fx).astype("float64")
            pay = pay * rate
        return h.assign(pay=pay.astype("float64"))

    def currencies(self, h: pd.DataFrame, table: str, present: list[str]) -> pd.DataFrame:
        label = self.labels[table]
        fx = self.cmap.fx
        cur = h["currency"]
        default = self.cmap.config["export"].get("currency")
        if "currency" not in present:
            if default is not None:
                return h.assign(currency=pd.Series(default, index=h.index, dtype=str))
            return h
        found = cur.dropna().value_counts()
        missing = cur.isna().to_numpy()
        fill = default if default is not None else (found.index[0] if len(found) == 1 else None)
        if missing.any() and fill is not None:
            self.q.add(
                table,
                "missing_currency",
                "repaired",
                int(missing.sum()),
                f"records without a currency were given {fill} "
                + ("([export] currency)" if default is not None else "(the only currency found)"),
                file=label,
                column="currency",
                rows=h["row"].to_numpy()[missing],
            )
            h = h.assign(currency=cur.fillna(fill))
            found = h["currency"].value_counts()
        if fx is None:
            if len(found) > 1 or (missing.any() and fill is None):
                counts = ", ".join(f"{c}: {n} rows" for c, n in found.items())
                if missing.any() and fill is None:
                    counts += f", missing: {int(missing.sum())} rows"
                first = str(found.index[0])
                other = str(found.index[1]) if len(found) > 1 else "USD"
                self.fatal(
                    table,
                    "mixed_currencies",
                    int(len(h)),
                    MIXED_CURRENCIES.format(
                        file=label, k=len(found), counts=counts, first=first, other=other
                    ),
                    column="currency",
                )
            return h
        no_rate = ~h["currency"].isin(list(fx)) & h["currency"].notna()
        if missing.any() and fill is None:
            no_rate = no_rate | h["currency"].isna()
        if no_rate.any():
            rows = h.loc[no_rate, "row"].to_numpy()
            curs = sorted(h.loc[no_rate, "currency"].dropna().unique())
            self.fatal(
                table,
                "missing_fx_rate",
                len(rows),
                MISSING_FX_RATE.format(
                    currencies=", ".join(curs) if curs else "records without a currency",
                    n=len(rows),
                    file=label,
                    rows=_rows_text(rows),
                    example=curs[0] if curs else "USD",
                    reporting=self.cmap.reporting_currency,
                ),
                rows=rows,
                column="currency",
            )
        return h

    # ----------------------------------------------------------------- ladder and others
    def ladder(self, lad: pd.DataFrame) -> pd.DataFrame:
        t = "ladder"
        lad = self.drop_blank(lad, t)
        for c in ("track", "level", "grade"):
            miss = lad[c].isna().to_numpy()
            if miss.any():
                rows = lad["row"].to_numpy()[miss]
                self.fatal(
                    t,
                    "missing_value",
                    len(rows),
                    LADDER_MISSING_VALUE.format(
                        n=len(rows), file=self.labels[t], column=c, rows=_rows_text(rows)
                    ),
                    rows=rows,
                    column=c,
                )
        lad = lad.loc[lad[["track", "level", "grade"]].notna().all(axis=1)]
        lad = self.drop_duplicates(lad, t)
        key = ["track", "level", "org_unit", "valid_from"]
        n_grades = lad.groupby(key, dropna=False)["grade"].transform("nunique")
        conflict = (n_grades > 1).to_numpy()
        if conflict.any():
            for (track, level), sub in lad.loc[conflict].groupby(["track", "level"]):
                rows = sub["row"].to_numpy()
                grades = " and ".join(
                    f"grade {int(g)}" for g in sorted(sub["grade"].dropna().unique())
                )
                self.fatal(
                    t,
                    "ladder_conflict",
                    len(rows),
                    LADDER_CONFLICT.format(
                        level=level,
                        track=track,
                        grades=grades,
                        rows=_rows_text(rows),
                        file=self.labels[t],
                    ),
                    rows=rows,
                    column="grade",
                )
        return lad.assign(grade=lad["grade"].astype("Int64"))

    def ratings(self, r: pd.DataFrame, people_ids: pd.Series) -> pd.DataFrame:
        t = "ratings"
        r = self.drop_blank(r, t)
        r = self.drop_missing(r, t, ["employee_id", "rating_date", "rating"])
        r = self.drop_duplicates(r, t)
        r = self.exclude(
            r,
            r["rating_date"] > self.as_of,
            t,
            "after_as_of",
            f"ratings dated after as-of {self.as_of.date()} are ignored",
            column="rating_date",
        )
        return self.exclude(
            r,
            ~r["employee_id"].isin(people_ids),
            t,
            "person_not_in_people",
            "ratings of people not in the analysed population are left out",
            column="employee_id",
        )

    def bands(self, b: pd.DataFrame) -> pd.DataFrame:
        t = "bands"
        b = self.drop_blank(b, t)
        b = self.drop_missing(b, t, ["track", "level", "band_min", "band_mid", "band_max"])
        b = self.drop_duplicates(b, t)
        bad = ~((b["band_min"] <= b["band_mid"]) & (b["band_mid"] <= b["band_max"]))
        if bad.any():
            rows = b.loc[bad, "row"].to_numpy()
            self.fatal(
                t,
                "band_order",
                len(rows),
                BAND_ORDER.format(n=len(rows), file=self.labels[t], rows=_rows_text(rows)),
                rows=rows,
            )
        return b

    def adoption(self, a: pd.DataFrame) -> pd.DataFrame:
        t = "adoption"
        a = self.drop_blank(a, t)
        a = self.drop_missing(a, t, ["org_unit", "adoption_date"])
        a = self.drop_duplicates(a, t)
        dup = a["org_unit"].duplicated(keep=False)
        if dup.any():
            rows = a.loc[dup, "row"].to_numpy()
            self.fatal(
                t,
                "adoption_conflict",
                int(a.loc[dup, "org_unit"].nunique()),
                ADOPTION_CONFLICT.format(
                    n=int(a.loc[dup, "org_unit"].nunique()),
                    file=self.labels[t],
                    rows=_rows_text(rows),
                ),
                rows=rows,
            )
        return a

    def unknown_managers(self, h: pd.DataFrame, ids: pd.Series, table: str) -> None:
        mgr = h["manager_id"]
        unknown = mgr.notna().to_numpy() & (codes_in(mgr, pd.unique(ids.dropna())) < 0)
        if unknown.any():
            self.q.add(
                table,
                "unknown_manager",
                "note",
                int(unknown.sum()),
                "manager IDs that are not employees in this export (kept; such managers are "
                "outside the population)",
                file=self.labels[table],
                column="manager_id",
                rows=h["row"].to_numpy()[unknown],
            )

    # ----------------------------------------------------------------- snapshot
    def snapshot(self, s: pd.DataFrame) -> pd.DataFrame:
        t = "snapshot"
        s = self.drop_blank(s, t)
        s = self.drop_missing(s, t, ["employee_id", "hire_date", "track", "level"])
        s = self.drop_duplicates(s, t)
        dup = s["employee_id"].duplicated(keep=False)
        if dup.any():
            rows = s.loc[dup, "row"].to_numpy()
            self.fatal(
                t,
                "duplicate_person",
                int(s.loc[dup, "employee_id"].nunique()),
                DUPLICATE_PERSON.format(
                    n=int(s.loc[dup, "employee_id"].nunique()),
                    file=self.labels[t],
                    rows=_rows_text(rows),
                ),
                rows=rows,
            )
        s = self.exclude(
            s,
            s["hire_date"] > self.as_of,
            t,
            "hired_after_as_of",
            f"people hired after as-of {self.as_of.date()} are left out",
        )
        s = self.exclude(
            s,
            (s["termination_date"] < s["hire_date"]).fillna(False),
            t,
            "termination_before_hire",
            "people whose termination date is before their hire date are left out; correct "
            "the dates in the export to include them",
            column="termination_date",
        )
        left_flag = s["left"] == "true"
        s = self.exclude(
            s,
            (left_flag & s["termination_date"].isna()).to_numpy(dtype=bool, na_value=False),
            t,
            "left_without_date",
            "people marked as left without a termination date are left out (their exit "
            "cannot be placed in time)",
            column="left",
        )
        conflict = ((s["left"] == "false") & s["termination_date"].notna()).to_numpy(
            dtype=bool, na_value=False
        )
        if conflict.any():
            self.q.add(
                t,
                "left_flag_conflict",
                "repaired",
                int(conflict.sum()),
                "people marked as not left but with a termination date: the date wins",
                file=self.labels[t],
                column="left",
                rows=s["row"].to_numpy()[conflict],
            )
        s = self.terminations(s, t)
        s = s.assign(left=np.where(s["termination_date"].notna(), "true", "false"))
        s = s.assign(left=s["left"].astype(str))
        # the date of the current state: last promotion, else derived, else hire
        state = s["last_promotion_date"].copy()
        from_years = state.isna() & s["years_since_promotion"].notna()
        if from_years.any():
            days = (s.loc[from_years, "years_since_promotion"] * 365.25).round()
            state.loc[from_years] = self.as_of - pd.to_timedelta(days, unit="D")
            self.q.add(
                t,
                "state_date_from_years",
                "note",
                int(from_years.sum()),
                "date of the current job computed as as-of minus years_since_promotion",
                file=self.labels[t],
                column="years_since_promotion",
            )
        at_hire = state.isna()
        if at_hire.any():
            self.q.add(
                t,
                "state_date_is_hire",
                "note",
                int(at_hire.sum()),
                "no last promotion date: the current job is dated at the hire date",
                file=self.labels[t],
                column="last_promotion_date",
            )
        state = state.fillna(s["hire_date"])
        early = (state < s["hire_date"]).to_numpy()
        if early.any():
            self.q.add(
                t,
                "promotion_before_hire",
                "repaired",
                int(early.sum()),
                "last promotion dated before the hire date (an earlier employment): the "
                "current job is dated at the hire date",
                file=self.labels[t],
                column="last_promotion_date",
                rows=s["row"].to_numpy()[early],
            )
            state = state.where(~early, s["hire_date"])
        s = s.assign(effective_date=state.astype("datetime64[ns]"))
        s = self.exclude(
            s,
            s["effective_date"] > self.as_of,
            t,
            "after_as_of",
            f"people whose current job is dated after as-of {self.as_of.date()} are left out",
            column="last_promotion_date",
        )
        return s.assign(_ep=np.arange(len(s), dtype="int64"))

    # ----------------------------------------------------------------- run
    def run(self) -> AuditData:
        sources = self.sources()
        frames: dict[str, pd.DataFrame] = {}
        for table, src in sources.items():
            self.labels[table] = src.label
            frame = self.read(src)
            if frame is None:
                continue
            self.q.rows_in[table] = len(frame)
            required, _ = self._tables()
            if len(frame) == 0:
                if table in required:
                    self.fatal(
                        table, "empty_file", 0, EMPTY_FILE.format(file=src.label, table=table)
                    )
                else:
                    self.q.add(
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
        self.privacy(sources, frames)
        salt = None
        if self.cmap.privacy["pseudonymise"]:
            salt = salt_from_env(self.cmap.privacy["salt_env"])
        tables: dict[str, pd.DataFrame] = {}
        for table, frame in frames.items():
            out = self.canonical(sources[table], frame)
            if out is not None:
                tables[table] = out
        self.raise_fatal()
        if self.kind == "history":
            data = self.assemble_history(tables)
        else:
            data = self.assemble_snapshot(tables)
        self.raise_fatal()
        if salt is not None:
            data = _pseudonymise(data, salt)
        return data

    def privacy(self, sources: dict[str, _Source], frames: dict[str, pd.DataFrame]) -> None:
        allow = self.cmap.privacy["allow_columns"]
        messages = []
        for table, frame in frames.items():
            found = find_identifiers(frame, allow=allow)
            if found:
                messages.append(identifiers_message(sources[table].label, found))
        if messages:
            raise PrivacyError("\n".join(messages))

    def raise_fatal(self) -> None:
        fatal = self.q.fatal
        if not fatal:
            return
        lines = [
            FATAL_HEADER.format(n=len(fatal), problems="problem" if len(fatal) == 1 else "problems")
        ]
        lines += [f"  {i}. [{f.table}/{f.rule}] {f.message}" for i, f in enumerate(fatal, 1)]
        err = InputError("\n".join(lines))
        err.report = self.q  # type: ignore[attr-defined]
        raise err

    def common_tables(
        self, tables: dict[str, pd.DataFrame], people_ids: pd.Series
    ) -> dict[str, pd.DataFrame | None]:
        out: dict[str, pd.DataFrame | None] = {"ratings": None, "bands": None, "adoption": None}
        if "ratings" in tables:
            out["ratings"] = self.ratings(tables["ratings"], people_ids)
        if "bands" in tables:
            out["bands"] = self.bands(tables["bands"])
        if "adoption" in tables:
            out["adoption"] = self.adoption(tables["adoption"])
        return out

    def assemble_history(self, tables: dict[str, pd.DataFrame]) -> AuditData:
        grade_col = self.cmap.grade_column is not None
        present_h = tables["history"].attrs.get("present", [])
        lad = None if grade_col else self.ladder(tables["ladder"])
        p_raw, h_raw = tables["people"], tables["history"]
        ids = pd.unique(pd.concat([p_raw["employee_id"].dropna(), h_raw["employee_id"].dropna()]))
        p_raw = p_raw.assign(_pid=codes_in(p_raw["employee_id"], ids))
        h_raw = h_raw.assign(_pid=codes_in(h_raw["employee_id"], ids))
        p = self.people(p_raw)
        p = p.assign(_ep=np.arange(len(p), dtype="int64"))
        h = self.history(h_raw, p, p_raw["_pid"].to_numpy())
        h, p = self.apply_filters(
            h,
            p,
            ("exclude_levels", "exclude_job_families", "exclude_org_units", "exclude_locations"),
        )
        if grade_col:
            h = h.assign(grade=h["grade"].astype("Int64"))
            missing = h["grade"].isna()
            h = self.exclude(
                h,
                missing,
                "history",
                "missing_value",
                "records without a grade cannot be placed on the ladder and are left out",
                column=str(self.cmap.grade_column),
            )
        else:
            h = self.grades(h, lad, "history", "effective_date")
        h, p = self.apply_filters(h, p, ("min_grade", "max_grade", "min_fte"))
        p = self.exclude(
            p,
            ~p["_ep"].isin(h["_ep"]),
            "people",
            "no_history",
            "employment episodes without any job record (after the rules above) are left out",
        )
        h = self.fte_and_pay(h, "history", present_h)
        self.unknown_managers(h, p["employee_id"], "history")
        if grade_col:
            lad = ladder_from_grades(h)
        episode_of = p.set_index("_ep")["episode"]
        h = h.assign(episode=h["_ep"].map(episode_of).astype("int64"))
        others = self.common_tables(tables, p["employee_id"])
        self.raise_fatal()
        history = _finalise(h, HISTORY + HISTORY_DERIVED, ["employee_id", "effective_date", "row"])
        people = _finalise(p, PEOPLE + PEOPLE_DERIVED, ["employee_id", "hire_date", "row"])
        return AuditData(
            history=history,
            people=people,
            ladder=_finalise_table(lad, "ladder", ["track", "grade", "level"]),
            extract_date=self.extract,
            history_start=self.start,
            as_of=self.as_of,
            bands=_finalise_table(others["bands"], "bands", ["track", "level", "row"]),
            ratings=_finalise_table(others["ratings"], "ratings", ["employee_id", "rating_date"]),
            adoption=_finalise_table(others["adoption"], "adoption", ["org_unit"]),
            is_snapshot=False,
            quality=self.q,
            config=_json_config(self.cmap.config),
            inputs=dict(sorted(self.inputs.items())),
        )

    def assemble_snapshot(self, tables: dict[str, pd.DataFrame]) -> AuditData:
        grade_col = self.cmap.grade_column is not None
        present = tables["snapshot"].attrs.get("present", [])
        lad = None if grade_col else self.ladder(tables["ladder"])
        s = self.snapshot(tables["snapshot"])
        s, _ = self.apply_filters(
            s,
            None,
            ("exclude_levels", "exclude_job_families", "exclude_org_units", "exclude_locations"),
        )
        if grade_col:
            s = s.assign(grade=s["grade"].astype("Int64"))
            s = self.exclude(
                s,
                s["grade"].isna(),
                "snapshot",
                "missing_value",
                "people without a grade cannot be placed on the ladder and are left out",
                column=str(self.cmap.grade_column),
            )
        else:
            s = self.grades(s, lad, "snapshot", "effective_date")
        s, _ = self.apply_filters(s, None, ("min_grade", "max_grade", "min_fte"))
        s = self.fte_and_pay(s, "snapshot", present)
        self.unknown_managers(s, s["employee_id"], "snapshot")
        if grade_col:
            lad = ladder_from_grades(s)
        s = s.assign(episode=0, reason="snapshot")
        others = self.common_tables(tables, s["employee_id"])
        self.raise_fatal()
        history = _finalise(s, HISTORY + HISTORY_DERIVED, ["employee_id", "effective_date", "row"])
        people = _finalise(s, PEOPLE + PEOPLE_DERIVED, ["employee_id", "hire_date", "row"])
        snap_cols = TABLES["snapshot"] + (
            Column("grade", "int"),
            Column("pay", "float"),
            Column("row", "int"),
        )
        snapshot = _finalise(s, snap_cols, ["employee_id", "row"])
        return AuditData(
            history=history,
            people=people,
            ladder=_finalise_table(lad, "ladder", ["track", "grade", "level"]),
            extract_date=self.extract,
            history_start=self.start,
            as_of=self.as_of,
            bands=_finalise_table(others["bands"], "bands", ["track", "level", "row"]),
            ratings=_finalise_table(others["ratings"], "ratings", ["employee_id", "rating_date"]),
            adoption=_finalise_table(others["adoption"], "adoption", ["org_unit"]),
            is_snapshot=True,
            snapshot=snapshot,
            quality=self.q,
            config=_json_config(self.cmap.config),
            inputs=dict(sorted(self.inputs.items())),
        )

    def close(self) -> None:
        for book in self._books.values():
            book.close()


# --- module helpers ------------------------------------------------------------------------------


def _map_values(values: pd.Series, mapping: dict[str, Any]) -> pd.Series:
    """Apply an export-value -> canonical-value map (exact, then ignoring case and spaces)."""
    folded_map = {_norm(k): v for k, v in mapping.items()}
    codes, uniques = pd.factorize(values)
    u = pd.Series(uniques, dtype=str)
    new_u = u.map(mapping).fillna(u.map(_norm).map(folded_map)).fillna(u)
    out = np.full(len(values), np.nan, dtype=object)
    ok = codes >= 0
    out[ok] = new_u.to_numpy(dtype=object)[codes[ok]]
    return pd.Series(out, index=values.index, dtype=str)


def _closest(value: str, allowed: tuple[str, ...]) -> str:
    match = difflib.get_close_matches(value, list(allowed), n=1, cutoff=0.6)
    return match[0] if match else allowed[0]


def _fmt_date(ts: Any) -> str:
    return "?" if pd.isna(ts) else pd.Timestamp(ts).strftime("%-d %B %Y")


def _ladder_scope(rows: pd.DataFrame) -> str:
    parts = []
    units = rows["org_unit"].dropna().unique() if "org_unit" in rows else []
    if len(units) and rows["org_unit"].notna().all():
        parts.append("in units " + ", ".join(sorted(map(str, units))))
    starts = rows["valid_from"].dropna() if "valid_from" in rows else pd.Series([], dtype=object)
    if len(starts) and rows["valid_from"].notna().all():
        parts.append(f"from {pd.Timestamp(starts.min()).date()}")
    return " and ".join(parts) or "to other units or dates"


def _data_cols(df: pd.DataFrame) -> list[str]:
    """Canonical data columns (not ``row`` nor internal ``_`` columns)."""
    return [c for c in df.columns if c != "row" and not str(c).startswith("_")]


def _empty(kind: str, n: int) -> pd.Series:
    if kind == "date":
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    if kind in ("float",):
        return pd.Series(np.nan, index=range(n), dtype="float64")
    if kind == "int":
        return pd.Series(pd.NA, index=range(n), dtype="Int64")
    return pd.Series(np.nan, index=range(n), dtype=str)


_DTYPES = {
    "str": str,
    "category": str,
    "date": "datetime64[ns]",
    "float": "float64",
    "int": "Int64",
}


def _finalise(df: pd.DataFrame, cols: tuple[Column, ...], sort: list[str]) -> pd.DataFrame:
    """Canonical columns in canonical order and dtypes, sorted, fresh index."""
    out = pd.DataFrame(index=df.index)
    for c in cols:
        if c.name in df:
            s = df[c.name]
        else:
            s = _empty(c.kind, len(df)).set_axis(df.index)
        out[c.name] = s.astype(_DTYPES[c.kind])
    return out.sort_values(sort, kind="stable").reset_index(drop=True)


def _finalise_table(df: pd.DataFrame | None, table: str, sort: list[str]) -> pd.DataFrame | None:
    if df is None:
        return None
    cols = TABLES[table]
    if table != "ladder" and "row" in df:
        cols = cols + (Column("row", "int"),)
    return _finalise(df, cols, [c for c in sort if c in df])


def _json_config(config: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(config)


def _pseudonymise(data: AuditData, salt: str) -> AuditData:
    def swap(df: pd.DataFrame | None, cols: tuple[str, ...]) -> pd.DataFrame | None:
        if df is None:
            return None
        df = df.copy()
        for c in cols:
            if c in df:
                df[c] = pseudonymise(df[c], salt)
        return df

    ids = ("employee_id", "manager_id")
    hist = data.history.copy()
    people = data.people.copy()
    for c in ids:
        hist[c] = pseudonymise(hist[c], salt)
        if c in people:
            people[c] = pseudonymise(people[c], salt)
    return dataclasses.replace(
        data,
        history=hist.sort_values(["employee_id", "effective_date", "row"]).reset_index(drop=True),
        people=people.sort_values(["employee_id", "hire_date", "row"]).reset_index(drop=True),
        ratings=swap(data.ratings, ids),
        snapshot=swap(data.snapshot, ids),
    )


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
        :class:`~pathaudit.mapping.ColumnMap` (see ``docs/column-map.md``).
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
    loader = _Loader(data, cmap, as_of)
    try:
        return loader.run()
    finally:
        loader.close()


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
        Rows read per table and every repair, exclusion and note, by rule.

    Raises
    ------
    MapError, PrivacyError, InputError
        As :func:`load` (an export with fatal problems does not validate).
    """
    return load(data, map, as_of=as_of).quality
