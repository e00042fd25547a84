"""Texts of the loader's messages, and the small helpers that fill them.

Every fatal problem the loader finds is worded here once: what must hold, what was
found, how to fix it. Tests compare these texts exactly; :mod:`pathaudit.io._load`
re-exports them.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

FATAL_HEADER = "The export cannot be used as it is: {n} {problems} to fix (every check was run)."
"""First line of the :class:`InputError` listing every fatal problem."""

MISSING_COLUMN = (
    "Column '{column}' not found in {file}. Columns found: {found}. "
    "Map one of them in the column map: [columns.{table}] {canonical} = '{suggestion}'"
)
MISSING_FILE = (
    "No {table} table: {detail}.{listing} Name its file in the column map: [files] {table} = "
    '"{suggestion}" (CSV, .xlsx or .parquet).'
)
FILES_THERE = " Files there: {files}."
"""Appended to a missing-file message: the export files the folder does hold."""
NO_FILES_THERE = " The folder holds no CSV, Excel or Parquet file."
CLOSEST_FILE = " Did you mean '{name}'?"
DATA_FOLDER_MISSING = (
    "The data folder '{path}' does not exist.{listing}{closest} Pass the folder that holds "
    "the export files (or one .xlsx workbook)."
)
FOLDER_LISTING = " '{parent}' holds: {names}."
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
BLANK_CURRENCY = (
    "{n} records of {file} have an empty currency cell (rows {rows}) and the export uses "
    "several currencies, so which one they mean is unknown. Say which currency an empty cell "
    'means: [export] currency = "{example}" (or fill the cells in the export).'
)
MISSING_FX_RATE = (
    "[fx] has no rate for {currencies} (used in {n} rows of {file}: rows {rows}). Add one line "
    "per currency under [fx], e.g. {example} = 1.0 (the value of 1 {example} in {reporting})."
)
OVERLAPPING_EPISODES = (
    "{n} employment episodes in {file} overlap an earlier episode of the same person ({ids}; "
    "rows {rows}; columns hire_date and termination_date): the person is hired again before "
    "the earlier episode ends, or has two open episodes. Give the earlier episode its "
    "termination date (before the rehire), or remove the duplicate row."
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
IMPLAUSIBLE_DATE = (
    "Column '{column}' of {file} has {n} dates before 1900 (e.g. '{example}' in row {row}{id}); "
    "rows {rows}. Such dates are not plausible in an HR export (and dates before 1677 cannot "
    "be represented). Correct these values; if the export writes a placeholder such as "
    "0001-01-01 or 1800-01-01 for 'no date', leave these cells empty instead."
)
AMBIGUOUS_NUMBER = (
    "Column '{column}' of {file} has {n} numbers that read two ways (e.g. '{example}' in row "
    "{row}: {as_point} if '.' is the decimal separator, {as_comma} if ',' is); rows {rows}. No "
    "other value in this column shows which separator is the decimal one, and the loader does "
    'not guess. Declare it in the column map: [export] decimal_separator = "." (1,234.5) or '
    '"," (1.234,5), or for this column only: [numbers] "{table}.{canonical}" = ",".'
)
DUPLICATE_COLUMN = (
    "{file} has {k} columns named '{column}' (the header repeats it), and the column map uses "
    "it for {canonical}: the loader cannot tell which one is meant. Rename or remove the extra "
    "column in the export."
)
AS_OF_AFTER_EXTRACT = (
    "as_of {as_of} is after the extract date {extract} of this export: the data cannot describe "
    "days after it was pulled. Use an as_of on or before {extract}."
)
AS_OF_BEFORE_START = (
    "as_of {as_of} is before history_start {start}: nothing would be observed. Use an as_of on "
    "or after {start}."
)
BAD_AS_OF = (
    "as_of {as_of!r} is not a date in ISO form. Give it as YYYY-MM-DD (e.g. 2025-06-30): a "
    "date such as 01/06/2025 reads as 1 June or as 6 January, and pathaudit does not guess."
)

DATA_NOT_FOLDER = (
    "{path} is a file; pass the folder holding the export files, or one .xlsx workbook with a "
    "sheet per table."
)
GRADE_AND_LADDER = (
    "The column map names both a grade column ([grade] column) and a ladder file ([files] "
    "ladder). Use one: the ladder file, or the export's own global grade."
)

MAX_VALUES_SHOWN = 10
"""Unknown labels reported per column (one problem each); the rest are not listed."""


def rows_text(rows: Any, limit: int = 10) -> str:
    """Row numbers as text: the first ``limit``, then how many more."""
    rows = [int(r) for r in np.asarray(rows).ravel()]
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


MAX_IDS_SHOWN = 5
"""Person IDs named in one message; the rest are counted ("and 3 more")."""


def ids_text(ids: Any, limit: int = MAX_IDS_SHOWN) -> str:
    """Distinct IDs in order of first appearance as text: ``"ID 012"``, ``"IDs 1, 2 and 3 more"``.

    Parameters
    ----------
    ids
        IDs (missing ones are skipped).
    limit
        How many are named; the rest are counted.

    Returns
    -------
    str
        ``""`` when there is no ID.
    """
    values = pd.Series(np.asarray(ids, dtype=object).ravel(), dtype=object).dropna()
    seen = [str(i) for i in pd.unique(values)]
    if not seen:
        return ""
    shown = ", ".join(seen[:limit])
    more = f" and {len(seen) - limit} more" if len(seen) > limit else ""
    return f"{'ID' if len(seen) == 1 else 'IDs'} {shown}{more}"


MAX_FILES_LISTED = 12
"""Files named when a message lists a folder; the rest are counted."""


def names_text(names: list[str], limit: int = MAX_FILES_LISTED) -> str:
    """File names as text: the first ``limit``, then how many more."""
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def closest_name(wanted: str, names: list[str], hint: str = "") -> str | None:
    """The name in ``names`` closest to ``wanted`` (difflib), or one holding ``hint``.

    Parameters
    ----------
    wanted
        The name that was not found (``history.csv``).
    names
        The names that exist.
    hint
        A word a match may contain instead (the table name: ``job_history_2025.csv``
        for the history table).

    Returns
    -------
    str or None
        The closest name, or None when nothing resembles ``wanted``.

    Examples
    --------
    >>> closest_name("history.csv", ["people.csv", "job_history_2025.csv"], hint="history")
    'job_history_2025.csv'
    """
    import difflib

    def stem(name: str) -> str:
        return norm_name(name.rsplit(".", 1)[0] if "." in name else name)

    folded = {stem(n): n for n in names}
    match = difflib.get_close_matches(stem(wanted), list(folded), n=1, cutoff=0.6)
    if match:
        return folded[match[0]]
    if hint:
        holding = [n for n in names if norm_name(hint) in norm_name(n)]
        if len(holding) == 1:
            return holding[0]
    return None


def norm_name(name: object) -> str:
    """A name folded for matching: case, spaces and underscores ignored."""
    return " ".join(re.sub(r"[_\s]+", " ", str(name)).split()).casefold()
