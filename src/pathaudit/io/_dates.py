"""Phase 1 of loading, dates: one export column read as dates, with what was found.

Ambiguous dates (that read both day-first and month-first), values that do not match
a declared format, values that are not dates and dates before 1900 are fatal; Excel
serial numbers are converted and far-future placeholders for "no date"
(``9999-12-31``) are read as empty (both counted as repaired); a column that writes
its dates in several unambiguous ways is noted.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pathaudit.io._context import LoadContext
from pathaudit.io._messages import (
    AMBIGUOUS_DATES,
    AMBIGUOUS_HINT,
    BAD_DATES,
    DATE_FORMAT_MISMATCH,
    IMPLAUSIBLE_DATE,
)
from pathaudit.io._parse import (
    FAMILY_LABELS,
    PLACEHOLDER_FROM,
    parse_dates,
    suggest_date_format,
)


def _fmt_date(ts: Any) -> str:
    return "?" if pd.isna(ts) else pd.Timestamp(ts).strftime("%-d %B %Y")


def _ambiguous_fields(s: pd.Series, ambiguous: Any, family: pd.Series) -> dict[str, Any]:
    """The two readings of the first ambiguous value, and a hint from the unambiguous ones."""
    example = str(s.iloc[np.flatnonzero(ambiguous)[0]]).strip()
    fmt_dm, fmt_md = suggest_date_format(example)
    dm = pd.to_datetime(pd.Series([example]), format=fmt_dm, errors="coerce")
    md = pd.to_datetime(pd.Series([example]), format=fmt_md, errors="coerce")
    hint = ""
    for key, order in (("dm", "day-first"), ("md", "month-first")):
        only = np.flatnonzero((family == key).to_numpy())
        if len(only):
            hint += AMBIGUOUS_HINT.format(
                order=order, example=str(s.iloc[only[0]]).strip(), row=only[0] + 1
            )
    return {
        "dm": _fmt_date(dm.iloc[0]),
        "md": _fmt_date(md.iloc[0]),
        "hint": hint,
        "fmt_dm": fmt_dm,
        "fmt_md": fmt_md,
    }


def _note_mixed_formats(
    ld: LoadContext, table: str, family: pd.Series, common: dict[str, Any],
    counts: pd.Series | None = None,
) -> None:
    if counts is None:
        counts = family.dropna().value_counts()
    if not len(counts):
        return
    if "same" in counts.index and ("dm" in counts.index or "md" in counts.index):
        target = "dm" if "dm" in counts.index else "md"
        counts[target] += counts.pop("same")
    counts = counts.sort_values(ascending=False, kind="stable")
    if len(counts) > 1:
        minority = int(counts.iloc[1:].sum())
        listing = ", ".join(f"{FAMILY_LABELS[k]}: {v} rows" for k, v in counts.items())
        ld.q.add(
            table,
            "mixed_date_formats",
            "note",
            minority,
            f"dates written in {len(counts)} ways ({listing}); each value was "
            "unambiguous and was read as written",
            **common,
        )


def read_dates(
    ld: LoadContext,
    table: str,
    label: str,
    canonical: str,
    export: str,
    s: pd.Series,
    ids: pd.Series | None = None,
) -> pd.Series:
    """Parse column ``export`` (canonical ``canonical``) of ``table`` as dates.

    Parameters
    ----------
    ld
        The load, whose report receives the findings.
    table, label
        Canonical table name and the file label shown in messages.
    canonical, export
        Canonical and export column names.
    s
        The raw values.
    ids
        The table's person IDs (cleaned text), row by row, to name people in messages;
        ``None`` for tables without IDs.

    Returns
    -------
    pandas.Series
        ``datetime64[ns]`` values, ``NaT`` where missing or unreadable.
    """
    fmt = ld.cmap.date_format(table, canonical)
    parsed = parse_dates(s, fmt)
    common: dict[str, Any] = {"file": label, "column": export}
    if parsed.ambiguous.any():
        ld.fatal_values(
            table,
            label,
            export,
            s,
            parsed.ambiguous,
            "ambiguous_date",
            AMBIGUOUS_DATES,
            table=table,
            canonical=canonical,
            **_ambiguous_fields(s, parsed.ambiguous, parsed.family),
        )
    if parsed.mismatch.any():
        ld.fatal_values(
            table,
            label,
            export,
            s,
            parsed.mismatch,
            "date_format_mismatch",
            DATE_FORMAT_MISMATCH,
            fmt=fmt,
        )
    if parsed.bad.any():
        ld.fatal_values(
            table,
            label,
            export,
            s,
            parsed.bad,
            "bad_date",
            BAD_DATES,
            table=table,
            canonical=canonical,
        )
    if parsed.too_early.any():
        first = int(np.flatnonzero(parsed.too_early)[0])
        who = "" if ids is None else ld.ids(ids.iloc[[first]])
        ld.fatal_values(
            table,
            label,
            export,
            s,
            parsed.too_early,
            "implausible_date",
            IMPLAUSIBLE_DATE,
            id=f", {who}" if who else "",
        )
    if parsed.placeholder.any():
        rows = np.flatnonzero(parsed.placeholder) + 1
        who = "" if ids is None else ld.ids(ids[parsed.placeholder])
        ld.q.add(
            table,
            "date_placeholder",
            "repaired",
            len(rows),
            f"dates on or after {PLACEHOLDER_FROM.date()} (such as 9999-12-31) are "
            "placeholders for 'no date' and were read as empty" + (f"; {who}" if who else ""),
            rows=rows,
            **common,
        )
    if parsed.serial.any():
        rows = np.flatnonzero(parsed.serial) + 1
        ld.q.add(
            table,
            "excel_serial_date",
            "repaired",
            len(rows),
            "Excel serial numbers converted to dates (1900 date system)",
            rows=rows,
            **common,
        )
    _note_mixed_formats(ld, table, parsed.family, common, parsed.family_counts)
    return parsed.values
