"""Reading export files and parsing their values: text, numbers and dates.

Everything here is vectorised: text and date columns are parsed once per
*distinct* value (``pandas.factorize``) and mapped back, so a million-row
history with a few thousand distinct dates costs a few thousand parses.
These functions only parse and count; :mod:`pathaudit.io._load` turns what they
find into data-quality rules and messages.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

CSV_SUFFIXES: tuple[str, ...] = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES: tuple[str, ...] = (".xlsx", ".xlsm")
PARQUET_SUFFIXES: tuple[str, ...] = (".parquet", ".pq")
SUPPORTED_SUFFIXES: tuple[str, ...] = CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
"""Day 0 of Excel's 1900 date system (serial 1 = 1900-01-01, allowing for the 1900 leap bug)."""

SERIAL_RANGE: tuple[int, int] = (10_000, 80_000)
"""Excel serial numbers accepted as dates: 1927-05-18 to 2119-01-10."""

PARSE_UNIT = "datetime64[us]"
"""Unit dates are parsed in: microseconds reach from year 1 to 9999, so no written date
can overflow while it is read. The loaded tables hold nanoseconds (1677-09-22 to
2262-04-11); :data:`EARLIEST_DATE` and :data:`PLACEHOLDER_FROM` keep every date kept
inside that range."""

EARLIEST_DATE = pd.Timestamp("1900-01-01")
"""Dates before this are not plausible in an HR export (fatal: ``implausible_date``)."""

PLACEHOLDER_FROM = pd.Timestamp("2200-01-01")
"""Dates on or after this are placeholders for "no date" (``9999-12-31``, ``9999-01-01``,
Oracle's ``4712-12-31``, ``2999-12-31``, ``3000-01-01``): read as empty, counted
(``date_placeholder``)."""

ISO_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")
DAY_FIRST_FORMATS: tuple[str, ...] = ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")
MONTH_FIRST_FORMATS: tuple[str, ...] = ("%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y")
TEXT_MONTH_FORMATS: tuple[str, ...] = (
    "%d %b %Y",
    "%d-%b-%Y",
    "%d %B %Y",
    "%d-%B-%Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%d-%b-%y",
)

FAMILY_LABELS: dict[str, str] = {
    "iso": "ISO (YYYY-MM-DD)",
    "dm": "day-first (DD/MM/YYYY)",
    "md": "month-first (MM/DD/YYYY)",
    "same": "DD/MM or MM/DD (same date either way)",
    "text": "text month (31 Mar 2024)",
    "serial": "Excel serial number",
    "declared": "the declared date_format",
    "native": "date cells",
}
"""How each way of writing a date is named in messages."""

_TIME_SUFFIX = (
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)$"
)
_NA_TEXT = ""
_ISO_SHAPE = r"\d{4}-\d{2}-\d{2}"


def is_in(values: pd.Series, among: pd.Series) -> np.ndarray:
    """``values.isin(among)`` as a boolean array, fast for text columns.

    pandas' ``isin`` on Arrow-backed text boxes every value of ``among`` as a Python
    object (seconds for a hundred thousand IDs); for two text columns the test runs in
    Arrow (``pyarrow.compute.is_in``) on the distinct values, with the same answer (a
    missing value matches a missing value in ``among``).

    Examples
    --------
    >>> ids = pd.Series(["a", None, "c"], dtype="string")
    >>> is_in(ids, pd.Series(["c", "b"], dtype="string")).tolist()
    [False, False, True]
    """
    arrow_text = [
        isinstance(x.dtype, pd.StringDtype) and x.dtype.storage == "pyarrow"
        for x in (values, among)
    ]
    if not all(arrow_text):
        return values.isin(among).to_numpy(dtype=bool)
    import pyarrow as pa
    import pyarrow.compute as pc

    column = pa.array(values.array)
    value_set = pa.array(among.drop_duplicates().array).cast(column.type)
    return np.asarray(pc.is_in(column, value_set=value_set), dtype=bool)


# --- files ---------------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sniff_delimiter(path: Path, encoding: str) -> str:
    with Path(path).open(encoding=encoding, errors="replace", newline="") as fh:
        head = fh.readline()
    counts = {d: head.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


@dataclass
class ReadResult:
    """One table as read from its file.

    Attributes
    ----------
    frame
        The export's columns, unparsed (CSV: all text; Excel/Parquet: as stored).
    notes
        Facts about the reading worth reporting (e.g. the text encoding fallback).
    headers
        The header as written (a repeated name appears repeatedly; ``frame`` has it
        renamed, ``'Hire Date.1'``); empty when not known.
    recoded
        When the file was read as Windows-1252: per column of ``frame``, the 0-based
        rows whose text has characters outside ASCII (the cells the encoding decided).
    """

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    recoded: dict[str, np.ndarray] = field(default_factory=dict)


def repeated_headers(headers: list[str]) -> dict[str, int]:
    """Header names written more than once, with how often (empty names are not counted)."""
    counts = pd.Series([h for h in headers if h.strip()], dtype=object).value_counts(sort=False)
    return {str(k): int(v) for k, v in counts.items() if v > 1}


def _non_ascii_rows(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for col in frame.columns:
        hit = frame[col].str.contains(r"[^\x00-\x7f]", regex=True)
        rows = np.flatnonzero(hit.to_numpy(dtype=bool, na_value=False))
        if len(rows) or any(ord(ch) > 127 for ch in str(col)):
            out[str(col)] = rows
    return out


def read_csv(path: Path) -> ReadResult:
    """Read a delimited text file with every column as text.

    Parameters
    ----------
    path
        The file; the delimiter (``,``, ``;``, tab or ``|``) is taken from the header
        line; the encoding is UTF-8 (with or without BOM), else Windows-1252.

    Returns
    -------
    ReadResult
        Every column as ``str`` (nothing is read as a number, so ``"007"`` stays
        ``"007"``); empty cells are missing.
    """
    notes: list[str] = []
    encoding = "utf-8-sig"
    try:
        with Path(path).open(encoding=encoding) as fh:
            for _ in iter(lambda: fh.read(1 << 20), ""):
                pass
    except UnicodeDecodeError:
        encoding = "cp1252"
        notes.append("the file is not UTF-8; it was read as Windows-1252 (Western European)")
    if Path(path).stat().st_size == 0:
        return ReadResult(pd.DataFrame(), notes)
    sep = _sniff_delimiter(path, encoding)
    with Path(path).open(encoding=encoding, errors="replace", newline="") as fh:
        headers = next(csv.reader(fh, delimiter=sep), [])
    kwargs = {
        "sep": sep,
        "dtype": str,
        "keep_default_na": False,  # "NA" is a location (North America), not a missing value
        "na_values": [""],
        "encoding": encoding,
    }
    try:
        frame = pd.read_csv(path, engine="pyarrow", **kwargs)
    except Exception:  # noqa: BLE001 - pyarrow is strict (ragged rows); the C parser explains
        frame = pd.read_csv(path, engine="c", quoting=csv.QUOTE_MINIMAL, **kwargs)
    recoded = _non_ascii_rows(frame) if encoding == "cp1252" else {}
    return ReadResult(frame, notes, headers, recoded)


def read_parquet(path: Path) -> ReadResult:
    """Read a Parquet file as stored (a repeated column name renamed ``'name.1'``...)."""
    headers = [str(c) for c in pq.read_schema(path).names]
    if not repeated_headers(headers):
        return ReadResult(pd.read_parquet(path), headers=headers)
    seen: dict[str, int] = {}
    names = []
    for h in headers:
        k = seen.get(h, 0)
        seen[h] = k + 1
        names.append(h if k == 0 else f"{h}.{k}")
    table = pq.ParquetFile(path).read().rename_columns(names)
    return ReadResult(table.to_pandas(), headers=headers)


# --- text ----------------------------------------------------------------------------------------


def _format_numbers(values: np.ndarray) -> np.ndarray:
    """Numbers as text: integral values without a decimal part (7.0 -> "7")."""
    f = np.asarray(values, dtype="float64")
    out = np.empty(len(f), dtype=object)
    integral = np.isfinite(f) & (f == np.floor(f)) & (np.abs(f) < 1e15)
    out[integral] = f[integral].astype("int64").astype(str)
    rest = ~integral & np.isfinite(f)
    out[rest] = [repr(float(x)) for x in f[rest]]
    out[~np.isfinite(f)] = None
    return out


def _uniques_as_text(uniques: np.ndarray) -> np.ndarray:
    """Text for an array of distinct cell values of any type (Excel object columns)."""
    u = pd.Series(uniques, dtype=object)
    out = u.copy()
    is_num = u.map(lambda v: isinstance(v, int | float | np.integer | np.floating))
    is_num &= ~u.map(lambda v: isinstance(v, bool))
    if is_num.any():
        out.loc[is_num] = _format_numbers(u.loc[is_num].to_numpy(dtype="float64"))
    is_date = u.map(
        lambda v: isinstance(v, pd.Timestamp | np.datetime64) or hasattr(v, "isoformat")
    )
    is_date &= ~is_num
    if is_date.any():
        out.loc[is_date] = pd.to_datetime(u.loc[is_date]).dt.strftime("%Y-%m-%d").to_numpy()
    rest = ~is_num & ~is_date
    out.loc[rest] = u.loc[rest].astype(str)
    return out.to_numpy(dtype=object)


@dataclass
class TextParse:
    """A text column after cleaning.

    Attributes
    ----------
    values
        ``str`` Series; empty cells are missing.
    stripped
        Per row: whether leading or trailing whitespace was removed.
    """

    values: pd.Series
    stripped: np.ndarray


def clean_text(s: pd.Series) -> TextParse:
    """Text of a column: numbers written without ``.0``, whitespace stripped, empty = missing.

    Parameters
    ----------
    s
        Column as read (any dtype).

    Returns
    -------
    TextParse
        Cleaned values and which rows had surrounding whitespace.
    """
    n = len(s)
    if pd.api.types.is_bool_dtype(s):
        vals = s.astype(object).where(s.notna()).map({True: "true", False: "false"})
        return TextParse(pd.Series(vals, index=s.index, dtype=str), np.zeros(n, bool))
    if pd.api.types.is_numeric_dtype(s):
        out = pd.Series(
            _format_numbers(s.to_numpy(dtype="float64", na_value=np.nan)), index=s.index
        )
        return TextParse(out.astype(str).where(out.notna()).astype(str), np.zeros(n, bool))
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s.dt.strftime("%Y-%m-%d")
        return TextParse(out.astype(str), np.zeros(n, bool))
    codes, uniques = pd.factorize(s)
    uniques = np.asarray(uniques, dtype=object)
    if s.dtype == object:
        uniques = _uniques_as_text(uniques)
    u = pd.Series(uniques, dtype=str)
    clean = u.str.strip()
    changed = (clean != u).to_numpy(dtype=bool, na_value=False)
    empty = (clean == _NA_TEXT).to_numpy(dtype=bool, na_value=False)
    stripped = np.zeros(n, bool)
    if s.dtype != object and not changed.any() and not empty.any():
        return TextParse(s if s.dtype == str else s.astype(str), stripped)  # already clean
    clean_arr = pd.array(clean.where(~empty).to_numpy(dtype=object, na_value=np.nan), dtype=str)
    vals = clean_arr.take(codes, allow_fill=True)
    ok = codes >= 0
    stripped[ok] = (changed & ~empty)[codes[ok]]
    return TextParse(pd.Series(vals, index=s.index), stripped)


# --- numbers -------------------------------------------------------------------------------------


@dataclass
class NumberParse:
    """A numeric column after parsing.

    Attributes
    ----------
    values
        ``float64`` Series; missing where empty, unreadable or ambiguous.
    bad
        Per row: non-empty text that is not a number (or that only fits the other
        decimal separator than the declared one).
    reformatted
        Per row: a number written with thousands separators or a currency sign,
        read after removing them.
    ambiguous
        Per row: a number that reads two ways (``150.000``: 150 with a decimal point,
        150000 with a thousands point) in a column whose other values do not show
        which separator is the decimal one.
    decimal_comma
        Per row: a number written with a decimal comma (``85000,50``, ``1.250.000``,
        ``150.000`` in a decimal-comma column), read as such.
    """

    values: pd.Series
    bad: np.ndarray
    reformatted: np.ndarray
    ambiguous: np.ndarray
    decimal_comma: np.ndarray


_CURRENCY = r"[$€£¥]?\s?[-+]?"
AMBIGUOUS_NUMBER = re.compile(_CURRENCY + r"[1-9]\d{0,2}[.,]\d{3}")
"""One separator followed by exactly three digits (``150.000``, ``85,500``): a decimal
separator or a thousands separator."""
POINT_DECIMAL = re.compile(
    _CURRENCY + r"(?:\d{1,3}(?:,\d{3})+\.\d+|\d{1,3}(?:,\d{3}){2,}|\d*\.\d+)"
)
"""Written with a decimal point (``85000.5``, ``1,250.50``, ``1,250,000``) unless ambiguous."""
COMMA_DECIMAL = re.compile(
    _CURRENCY + r"(?:\d{1,3}(?:\.\d{3})+,\d+|\d{1,3}(?:\.\d{3}){2,}|\d*,\d+)"
)
"""Written with a decimal comma (``85000,5``, ``1.250,50``, ``1.250.000``) unless ambiguous."""
CURRENCY_ONLY = re.compile(r"[$€£¥]\s?[-+]?\d+")
"""A whole number behind a currency sign (``$90000``)."""


def _as_number(text: pd.Series, decimal: str) -> pd.Series:
    """Text numbers read with ``decimal`` as the decimal separator (signs and groups removed)."""
    thousands = "," if decimal == "." else "."
    clean = text.str.replace(r"[$€£¥\s]", "", regex=True).str.replace(thousands, "", regex=False)
    if decimal == ",":
        clean = clean.str.replace(",", ".", regex=False)
    return pd.to_numeric(clean, errors="coerce").astype("float64")


def _number_kinds(u: pd.Series) -> pd.DataFrame:
    """How each distinct text value writes its number: ambiguous, point or comma decimal."""
    amb = u.str.fullmatch(AMBIGUOUS_NUMBER.pattern).to_numpy(dtype=bool, na_value=False)
    point = u.str.fullmatch(POINT_DECIMAL.pattern).to_numpy(dtype=bool, na_value=False) & ~amb
    comma = u.str.fullmatch(COMMA_DECIMAL.pattern).to_numpy(dtype=bool, na_value=False) & ~amb
    return pd.DataFrame({"ambiguous": amb, "point": point, "comma": comma}, index=u.index)


def parse_numbers(s: pd.Series, decimal: str | None = None) -> NumberParse:
    """Numbers of a column (text or numeric), detecting its decimal separator.

    Parameters
    ----------
    s
        Column as read.
    decimal
        Declared decimal separator (``"."`` or ``","``; ``[numbers]`` or ``[export]
        decimal_separator``); ``None``: taken from the column's values.

    Returns
    -------
    NumberParse
        Values, unreadable rows, rows read after removing thousands separators
        (``85,000.50``) or a leading currency sign (``$``, ``€``, ``£``, ``¥``), rows
        read with a decimal comma, and ambiguous rows.

    Notes
    -----
    A value with one separator followed by exactly three digits (``150.000``,
    ``85,500``) reads two ways. The column decides: when its other values are written
    only with a decimal point (``0.8``, ``1,250.50``, ``1,250,000``) the point is
    decimal, when only with a decimal comma (``0,8``, ``1.250,50``, ``1.250.000``) the
    comma is; otherwise (no such value, or both kinds) ambiguous values are flagged,
    never guessed. Numeric cells (Excel, Parquet) are read as they are. Each distinct
    value is parsed once.
    """
    n = len(s)
    none = np.zeros(n, bool)
    if pd.api.types.is_bool_dtype(s):
        return NumberParse(s.astype("float64"), none, none.copy(), none.copy(), none.copy())
    if pd.api.types.is_numeric_dtype(s):
        vals = pd.Series(s.to_numpy(dtype="float64", na_value=np.nan), index=s.index)
        return NumberParse(vals, none, none.copy(), none.copy(), none.copy())
    codes, uniques = pd.factorize(s)
    u_raw = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    is_num = np.zeros(len(u_raw), bool)
    if s.dtype == object:  # Excel: numeric cells among text cells
        is_num = u_raw.map(
            lambda v: (
                isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
            )
        ).to_numpy(dtype=bool)
    u = pd.Series(u_raw.where(~is_num).astype(str).str.strip().to_numpy(), dtype=str)
    u = u.where(~is_num & (u != ""))
    vals = pd.to_numeric(u, errors="coerce").astype("float64")
    if is_num.any():
        vals[is_num] = u_raw[is_num].astype("float64").to_numpy()
    has_sep = u.str.contains(r"[.,]", regex=True).to_numpy(dtype=bool, na_value=False)
    # a plain decimal ("85000.50") reads as a float and is too long to be ambiguous:
    # only the other values with a separator need the patterns
    plain = (
        has_sep
        & vals.notna().to_numpy()
        & (u.str.len() > 7).to_numpy(dtype=bool, na_value=False)
        & ~u.str.contains(",", regex=False).to_numpy(dtype=bool, na_value=False)
    )
    todo = has_sep & ~plain
    kinds = _number_kinds(u[todo])
    point = plain.copy()
    comma = np.zeros(len(u), bool)
    amb = np.zeros(len(u), bool)
    point[todo] = kinds["point"].to_numpy()
    comma[todo] = kinds["comma"].to_numpy()
    amb[todo] = kinds["ambiguous"].to_numpy()
    if decimal is None and point.any() != comma.any():
        decimal = "." if point.any() else ","
    u_amb = np.zeros(len(u), bool)
    u_comma = np.zeros(len(u), bool)
    u_reformat = np.zeros(len(u), bool)
    read_point = point | (amb & (decimal == "."))
    read_comma = comma | (amb & (decimal == ","))
    if decimal == ".":
        read_comma &= ~comma
        vals[comma] = np.nan  # the other separator than the declared one: bad
    elif decimal == ",":
        read_point &= ~point
        vals[point] = np.nan
    else:
        u_amb = amb
        vals[amb] = np.nan
    fix = read_point & vals.isna().to_numpy()  # "85,000.50", "$1.5": not read as they are
    if fix.any():
        vals[fix] = _as_number(u[fix], ".").to_numpy()
        u_reformat |= fix
    if read_comma.any():
        vals[read_comma] = _as_number(u[read_comma], ",").to_numpy()
        u_comma |= read_comma
    # the pattern (Python's regex: it reads \s) only where a currency sign leads
    cur = np.zeros(len(u), bool)
    signed = u.str.startswith(("$", "€", "£", "¥")).to_numpy(dtype=bool, na_value=False)
    if signed.any():
        cur[signed] = u[signed].str.fullmatch(CURRENCY_ONLY.pattern).to_numpy(
            dtype=bool, na_value=False)
    if cur.any():
        vals[cur] = _as_number(u[cur], ".").to_numpy()
        u_reformat |= cur
    u_bad = vals.isna().to_numpy() & u.notna().to_numpy() & ~u_amb

    ok = codes >= 0

    def per_row(a: np.ndarray) -> np.ndarray:
        out = np.zeros(n, bool)
        out[ok] = a[codes[ok]]
        return out

    values = np.full(n, np.nan)
    values[ok] = vals.to_numpy()[codes[ok]]
    return NumberParse(
        pd.Series(values, index=s.index, dtype="float64"),
        per_row(u_bad),
        per_row(u_reformat & ~u_bad),
        per_row(u_amb),
        per_row(u_comma & ~u_bad),
    )


# --- dates ---------------------------------------------------------------------------------------


@dataclass
class DateParse:
    """A date column after parsing.

    Attributes
    ----------
    values
        ``datetime64[ns]`` Series at midnight; missing where empty, unreadable,
        ambiguous, a placeholder or implausibly early.
    ambiguous
        Per row: a value that reads as two different dates, day-first and month-first.
    bad
        Per row: non-empty text that is not a date in any accepted way.
    mismatch
        Per row: a value that is a date only in the other day/month order than the
        declared format.
    serial
        Per row: an Excel serial number converted to a date.
    family
        Per row: how the value was written (key of :data:`FAMILY_LABELS`), missing
        for empty cells.
    placeholder
        Per row: a far-future placeholder for "no date" (on or after
        :data:`PLACEHOLDER_FROM`, e.g. ``9999-12-31``), read as empty.
    too_early
        Per row: a date before :data:`EARLIEST_DATE` (``0001-01-01``, ``1850-06-01``).
    family_counts
        Rows per way of writing, as ``family.value_counts()`` gives them (most rows
        first, ties in order of first appearance); counted once per distinct value.
        None: count ``family``.
    """

    values: pd.Series
    ambiguous: np.ndarray
    bad: np.ndarray
    mismatch: np.ndarray
    serial: np.ndarray
    family: pd.Series
    placeholder: np.ndarray
    too_early: np.ndarray
    family_counts: pd.Series | None = None


def _try_formats(u: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    out = pd.Series(pd.NaT, index=u.index, dtype=PARSE_UNIT)
    for fmt in formats:
        todo = out.isna() & u.notna()
        if not todo.any():
            break
        got = pd.to_datetime(u[todo], format=fmt, errors="coerce").astype(PARSE_UNIT)
        out.loc[todo] = got
    return out


def _serials(numbers: pd.Series) -> pd.Series:
    lo, hi = SERIAL_RANGE
    ok = numbers.between(lo, hi)
    days = np.floor(numbers.where(ok))
    return (EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).astype(PARSE_UNIT)


def _parse_unique_text(u: pd.Series, fmt: str | None) -> pd.DataFrame:
    """Parse distinct date strings; returns date, family, ambiguous, mismatch per value."""
    core = u.str.replace(_TIME_SUFFIX, "", regex=True).str.strip()
    # a value read in the declared format needs no other reading; nor does one written
    # YYYY-MM-DD and read as such (every other format starts with a day, a month or a
    # month name of at most two digits before a separator: none can read it)
    declared = _try_formats(core, (fmt,)) if fmt is not None else None
    rest = core if declared is None else core.where(declared.isna())
    iso = _try_formats(rest, ISO_FORMATS)
    iso_shaped = rest.str.fullmatch(_ISO_SHAPE).to_numpy(dtype=bool, na_value=False)
    rest = rest.where(~(iso.notna().to_numpy() & iso_shaped))
    dm = _try_formats(rest, DAY_FIRST_FORMATS)
    md = _try_formats(rest, MONTH_FIRST_FORMATS)
    text = _try_formats(rest, TEXT_MONTH_FORMATS)
    is_serial = rest.str.fullmatch(r"\d{5}(?:\.\d+)?").to_numpy(dtype=bool, na_value=False)
    serial = pd.Series(pd.NaT, index=u.index, dtype=PARSE_UNIT)
    if is_serial.any():
        serial.loc[is_serial] = _serials(pd.to_numeric(core[is_serial], errors="coerce"))
    family = pd.Series(np.nan, index=u.index, dtype=object)
    mismatch = np.zeros(len(u), bool)
    ambiguous = np.zeros(len(u), bool)
    if declared is not None:
        date = declared.fillna(iso).fillna(text).fillna(serial)
        family[declared.notna()] = "declared"
        mismatch = (date.isna() & (dm.notna() | md.notna())).to_numpy()
    else:
        ambiguous = (dm.notna() & md.notna() & (dm != md)).to_numpy()
        same = (dm.notna() & md.notna() & (dm == md)).to_numpy()
        date = iso.fillna(dm).fillna(md).fillna(text).fillna(serial)
        date[ambiguous] = pd.NaT
        family[(dm.notna() & md.isna()).to_numpy()] = "dm"
        family[(md.notna() & dm.isna()).to_numpy()] = "md"
        family[same] = "same"
        family[ambiguous] = "ambiguous"
    family[iso.notna().to_numpy() & family.isna().to_numpy()] = "iso"
    family[text.notna().to_numpy() & family.isna().to_numpy()] = "text"
    family[serial.notna().to_numpy() & family.isna().to_numpy()] = "serial"
    return pd.DataFrame(
        {"date": date, "family": family, "ambiguous": ambiguous, "mismatch": mismatch},
        index=u.index,
    )


def _bounded(
    values: pd.Series,
    ambiguous: np.ndarray,
    bad: np.ndarray,
    mismatch: np.ndarray,
    serial: np.ndarray,
    family: pd.Series,
) -> DateParse:
    """Dates read in :data:`PARSE_UNIT` kept to the plausible range, as nanoseconds.

    Placeholders (on or after :data:`PLACEHOLDER_FROM`) and dates before
    :data:`EARLIEST_DATE` become missing and are flagged; every date left fits
    ``datetime64[ns]``.
    """
    v = values.astype(PARSE_UNIT)
    placeholder = (v >= PLACEHOLDER_FROM).to_numpy(dtype=bool, na_value=False)
    too_early = (v < EARLIEST_DATE).to_numpy(dtype=bool, na_value=False)
    v = v.where(~(placeholder | too_early)).astype("datetime64[ns]")
    return DateParse(v, ambiguous, bad, mismatch, serial, family, placeholder, too_early)


def parse_dates(s: pd.Series, fmt: str | None = None) -> DateParse:
    """Dates of a column, refusing values that could be day-first or month-first.

    Parameters
    ----------
    s
        Column as read: text, date cells, or numbers (Excel serials).
    fmt
        Declared ``strftime`` format (``[dates]`` or ``[export] date_format``). With it,
        values in the declared format are read with it; ISO dates, text months and
        Excel serials are still accepted; values only readable in the other
        day/month order are flagged as ``mismatch``.

    Returns
    -------
    DateParse
        Dates and the per-row flags (see :class:`DateParse`).

    Notes
    -----
    Without a declared format a value is read in every accepted way (ISO, day-first,
    month-first, text month, Excel serial); it is ambiguous when day-first and
    month-first both succeed and give different dates (no field above 12, day !=
    month). Formats may be mixed within a column as long as each value is
    unambiguous. Each distinct value is parsed once, with one vectorised
    ``pandas.to_datetime`` call per candidate format. A time of day is ignored.
    Values are read in microseconds (:data:`PARSE_UNIT`), so a date outside the
    nanosecond range (``9999-12-31``, ``0001-01-01``) is flagged, never an overflow.
    Numbers of eight digits (``20240331``, ``99991231``) are read as ``YYYYMMDD``.
    """
    n = len(s)
    false = np.zeros(n, bool)
    if pd.api.types.is_datetime64_any_dtype(s):
        vals = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        vals = vals.dt.normalize().astype(PARSE_UNIT)
        fam = pd.Series("native", index=s.index, dtype=object).where(vals.notna(), None)
        return _bounded(vals, false, false.copy(), false.copy(), false.copy(), fam)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        num = pd.Series(s.to_numpy(dtype="float64", na_value=np.nan), index=s.index)
        is_ymd = num.between(10000101, 99991231) & (num == np.floor(num))
        vals = _serials(num)
        if is_ymd.any():
            ymd = pd.to_datetime(
                num[is_ymd].astype("int64").astype(str), format="%Y%m%d", errors="coerce"
            )
            vals.loc[is_ymd] = ymd.astype(PARSE_UNIT)
        serial = (vals.notna() & ~is_ymd).to_numpy()
        bad = (vals.isna() & num.notna()).to_numpy()
        kinds = np.full(n, None, dtype=object)
        kinds[(is_ymd & vals.notna()).to_numpy()] = "iso"
        kinds[serial] = "serial"
        fam = pd.Series(kinds, index=s.index, dtype=object)
        return _bounded(vals, false, bad, false.copy(), serial, fam)
    codes, uniques = pd.factorize(s)
    uniques = np.asarray(uniques, dtype=object)
    ok = codes >= 0
    u_obj = pd.Series(uniques, dtype=object)
    u_date = pd.Series(pd.NaT, index=u_obj.index, dtype=PARSE_UNIT)
    u_family = pd.Series(np.nan, index=u_obj.index, dtype=object)
    u_amb = np.zeros(len(u_obj), bool)
    u_mis = np.zeros(len(u_obj), bool)
    u_blank = np.zeros(len(u_obj), bool)
    if s.dtype == object:  # Excel: date cells, numbers and text mixed in one column
        is_dt = u_obj.map(lambda v: isinstance(v, pd.Timestamp) or hasattr(v, "isoformat"))
        is_num = u_obj.map(
            lambda v: (
                isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
            )
        )
        if is_dt.any():
            u_date.loc[is_dt] = pd.to_datetime(u_obj[is_dt]).dt.normalize().astype(PARSE_UNIT)
            u_family.loc[is_dt] = "native"
        if is_num.any():
            u_date.loc[is_num] = _serials(u_obj[is_num].astype("float64"))
            u_family.loc[is_num & u_date.notna()] = "serial"
        is_text = ~(is_dt | is_num)
    else:
        is_text = pd.Series(True, index=u_obj.index)
    if is_text.any():
        text = u_obj[is_text].astype(str).str.strip()
        blank = (text == "").to_numpy()
        u_blank[np.flatnonzero(is_text.to_numpy())[blank]] = True
        parsed = _parse_unique_text(text.where(text != ""), fmt)
        idx = parsed.index
        u_date.loc[idx] = parsed["date"]
        u_family.loc[idx] = parsed["family"].where(parsed["family"].notna(), u_family.loc[idx])
        u_amb[idx.to_numpy()] = parsed["ambiguous"].to_numpy()
        u_mis[idx.to_numpy()] = parsed["mismatch"].to_numpy()
    u_bad = u_date.isna().to_numpy() & ~u_amb & ~u_mis & ~u_blank

    def per_row(a: np.ndarray) -> np.ndarray:
        out = np.zeros(n, bool)
        out[ok] = a[codes[ok]]
        return out

    # normalised and the family cleared of "ambiguous" once per distinct value
    u_day = u_date.dt.normalize().to_numpy(dtype=PARSE_UNIT)
    u_fam = u_family.where(u_family != "ambiguous").to_numpy(dtype=object)
    dates = np.full(n, np.datetime64("NaT", "us"), dtype=PARSE_UNIT)
    dates[ok] = u_day[codes[ok]]
    fam = np.full(n, None, dtype=object)
    fam[ok] = u_fam[codes[ok]]
    parsed = _bounded(
        pd.Series(dates, index=s.index),
        per_row(u_amb),
        per_row(u_bad),
        per_row(u_mis),
        per_row((u_family == "serial").to_numpy()),
        pd.Series(fam, index=s.index, dtype=object),
    )
    parsed.family_counts = _family_counts(u_fam, np.bincount(codes[ok], minlength=len(u_fam)))
    return parsed


def _family_counts(u_fam: np.ndarray, rows: np.ndarray) -> pd.Series:
    """``family.value_counts()`` from each distinct value's family and number of rows.

    The distinct values are in order of first appearance (``pandas.factorize``), so the
    first distinct value of each family is where that family first appears.
    """
    labels = pd.Series(u_fam, dtype=object)
    seen = labels.notna().to_numpy() & (rows > 0)
    counts = pd.Series(rows[seen], index=labels[seen].to_numpy()).groupby(level=0, sort=False)
    out = counts.sum().astype("int64")
    return out.sort_values(ascending=False, kind="stable").rename("count")


def suggest_date_format(example: str) -> tuple[str, str]:
    """Day-first and month-first formats matching the separators of ``example``.

    Parameters
    ----------
    example
        An ambiguous date as written, e.g. ``"03.04.2021"``.

    Returns
    -------
    tuple of str
        ``(day_first, month_first)``, e.g. ``("%d.%m.%Y", "%m.%d.%Y")``.
    """
    sep = "/"
    for cand in ("/", ".", "-"):
        if cand in example:
            sep = cand
            break
    core = pd.Series([example]).str.replace(_TIME_SUFFIX, "", regex=True).str.strip().iloc[0]
    year = "%y" if len(core.split(sep)[-1]) == 2 else "%Y"
    return f"%d{sep}%m{sep}{year}", f"%m{sep}%d{sep}{year}"
