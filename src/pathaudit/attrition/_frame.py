"""The working frame of attrition: exposure with integer days, person codes and exit flags.

Every attrition figure is computed on this one frame (:func:`work_frame`): the exposure
table (:mod:`pathaudit.derived.spells`) sorted by person, episode and time, dates as integer days,
strings as categoricals, one boolean column per exit kind.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.derived._order import in_order
from pathaudit.derived.population import distinct_people, exposure_person_codes
from pathaudit.io.schema import DAYS_PER_YEAR, TRACKS

KINDS: dict[str, tuple[str, ...]] = {
    "voluntary": ("exit_voluntary",),
    "involuntary": ("exit_involuntary",),
    "all": ("exit_voluntary", "exit_involuntary", "exit_other"),
}
"""Exit kinds reported, and the end reasons each counts (``all`` includes ``other``)."""

CATEGORICAL = ("level", "org_unit", "job_family", "location", "gender")
"""String attributes held as categoricals in the working frame (fast grouping)."""


BITMAP_CELLS = 64_000_000
"""Largest groups x people for which :func:`count_people` counts with a flag per pair."""


def epoch_days(s: pd.Series) -> np.ndarray:
    """Dates as integer days since 1970-01-01."""
    return s.to_numpy(dtype="datetime64[D]").astype(np.int64)


def work_frame(data: AuditData, by: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Exposure with integer days, person codes and exit flags, sorted by person and time.

    Strings become categoricals (track with categories ``IC, M``). Returns the frame and
    the employee ID of each person code ``pid``.
    """
    ex = data.exposure
    cols = ["episode", "person_years", "year", "grade", "pay", "tenure", "time_in_spell"]
    # the exposure table's own columns, not copied (copy on write: never edited in place)
    w = ex[cols]
    w["year"] = w["year"].astype("int64")
    w["quarter"] = ex["quarter"].astype("category")
    w["track"] = pd.Categorical(ex["track"], categories=list(TRACKS))
    w["is_ic"] = (w["track"] == "IC").to_numpy()
    for c in dict.fromkeys((*by, *CATEGORICAL)):
        if c in ex.columns and c not in w.columns:
            w[c] = ex[c].astype("category")
    w["start_d"] = epoch_days(ex["start"])
    w["stop_d"] = epoch_days(ex["stop"])
    pid, ids = exposure_person_codes(data)  # the one person code of the exposure table
    w["pid"] = pid.copy()
    # the event's text is read once per distinct value (missing: no exit)
    ev_code, ev_uniq = pd.factorize(ex["event"])
    ev_text = pd.Series(ev_uniq).astype(str).to_numpy()
    for kind, reasons in KINDS.items():
        w[f"ev_{kind}"] = np.append(np.isin(ev_text, reasons), False)[ev_code]
    w = w.reset_index(drop=True)
    start_d, episode = w["start_d"].to_numpy(), w["episode"].to_numpy(dtype=np.int64)
    if not in_order(pid, episode, start_d):  # the derivation's order, unless edited
        w = w.iloc[np.lexsort((start_d, episode, pid))].reset_index(drop=True)
    return w, np.asarray(ids, dtype=object)


def group_codes(w: pd.DataFrame, keys: Sequence[str]) -> tuple[np.ndarray, int]:
    """Each row's group of ``keys`` as ``0 .. G - 1``, and ``G``.

    The codes of ``w.groupby(keys, observed=True, dropna=False, sort=True).ngroup()``
    (groups in sort order, a missing value last), from each column's sorted codes
    combined into one integer instead of pandas' group bookkeeping.
    """
    combined = np.zeros(len(w), dtype=np.int64)
    span = 1
    for c in keys:
        codes, n_levels = sorted_codes(w[c])
        combined = combined * (n_levels + 1) + codes
        span *= n_levels + 1
    if span <= max(4 * len(w), 1 << 16):
        # few possible combinations: the ones present, in order, by a flag per combination
        present = np.bincount(combined, minlength=span) > 0
        rank = np.cumsum(present) - 1
        return rank[combined], int(present.sum())
    inv, uniq = pd.factorize(combined, sort=True)
    return np.asarray(inv, dtype=np.int64), len(uniq)


def sorted_codes(col: pd.Series) -> tuple[np.ndarray, int]:
    """Codes of ``col`` in the sort order groupby uses, a missing value last; their count.

    Codes need not all occur (unused categories keep theirs); a missing value gets
    ``n_levels``.
    """
    if isinstance(col.dtype, pd.CategoricalDtype):  # groupby sorts by category order
        n_levels = len(col.cat.categories)
        codes = col.cat.codes.to_numpy().astype(np.int64)
        return np.where(codes < 0, n_levels, codes), n_levels
    if pd.api.types.is_integer_dtype(col) and len(col) and col.notna().any():
        x = col.to_numpy(dtype=float, na_value=np.nan)
        ok = ~np.isnan(x)
        lo, hi = int(x[ok].min()), int(x[ok].max())
        if hi - lo <= 4 * len(col):
            n_levels = hi - lo + 1
            codes = np.full(len(x), n_levels, dtype=np.int64)
            codes[ok] = x[ok].astype(np.int64) - lo
            return codes, n_levels
    codes, uniques = pd.factorize(col, sort=True)  # missing: -1
    return np.where(codes < 0, len(uniques), codes).astype(np.int64), len(uniques)


def count_people(w: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Distinct people per group of ``keys`` (same index as ``groupby(keys).size()``)."""
    codes, size = group_codes(w, keys)
    counts = _people(codes, size, w["pid"].to_numpy())
    index = w.groupby(keys, observed=True, dropna=False, sort=True).size().index
    return pd.Series(counts, index=index)


def group_totals(w: pd.DataFrame, keys: list[str], sums: dict[str, str]) -> pd.DataFrame:
    """Per group of ``keys``: the key values, sums of columns and distinct people ``n``.

    The table of ``w.groupby(keys, observed=True, dropna=False, sort=True).agg(**{name:
    (column, "sum")})`` with ``n`` (distinct ``pid``), reset to columns, computed from
    the group codes of :func:`group_codes` (one pass for the codes, a count per sum) instead
    of pandas' group bookkeeping. Sums of booleans are integer counts; other sums are
    pandas' own (compensated) sums by group code, equal to the group-by's to the last bit.
    """
    codes, size = group_codes(w, keys)
    # the first row of each group holds its key values (groups numbered in sort order)
    first = np.full(size, len(w), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(w)))
    out = w[keys].iloc[first].reset_index(drop=True)
    by_code = pd.Categorical.from_codes(codes, categories=pd.RangeIndex(size))
    for name, col in sums.items():
        x = w[col].to_numpy()
        if x.dtype == bool:  # counts: exact
            out[name] = np.bincount(codes, weights=x, minlength=size).astype(np.int64)
        else:  # pandas' compensated sum by group on the codes: the group-by's own figures
            total = pd.Series(x).groupby(by_code, observed=False).sum()
            out[name] = total.to_numpy(dtype=float)
    out["n"] = _people(codes, size, w["pid"].to_numpy())
    return out


def _people(codes: np.ndarray, size: int, pid: np.ndarray) -> np.ndarray:
    """Distinct ``pid`` per group code ``0 .. size - 1`` (``int64``)."""
    n_pid = int(pid.max()) + 1 if len(pid) else 0
    if size * n_pid <= BITMAP_CELLS:
        # one flag per (group, person): a scatter and a count instead of a hash table
        seen = np.zeros(size * n_pid, dtype=bool)
        seen[codes * n_pid + pid] = True
        counts = np.count_nonzero(seen.reshape(size, n_pid), axis=1)
    else:
        counts = distinct_people(codes, pid, size)
    return np.asarray(counts, dtype=np.int64)


def snapshot_as_history(data: AuditData) -> tuple[AuditData, str]:
    """A snapshot whose one record per person is extended back to the hire date.

    The person's state on the extract date is attributed to all their observed
    employment. The observed window starts at ``history_start`` when the map sets one
    before the extract date; otherwise (a snapshot's default is the extract date, when
    nothing before is observed) at the earliest termination date in the export, on the
    assumption that the export holds every leaver since then.

    Returns
    -------
    (AuditData, str)
        The history-like copy and a sentence saying which window was used.
    """
    from pathaudit.quality import DataQualityReport

    start = data.history_start
    if start >= data.extract_date:
        term = data.people["termination_date"].dropna()
        term = term[term <= data.as_of]
        if len(term):
            start = pd.Timestamp(term.min()).normalize()
        how = (
            f"the observed window starts on {start.date()}, the earliest termination date in "
            "the export, assuming it holds every leaver since then (set [export] history_start "
            "to the date from which it does)"
        )
    else:
        how = f"the observed window starts on history_start, {start.date()}"
    copy = dataclasses.replace(
        data,
        is_snapshot=False,
        history_start=start,
        quality=DataQualityReport(rows_in=dict(data.quality.rows_in)),
    )
    return copy, how


def continues_previous(w: pd.DataFrame) -> np.ndarray:
    """Per row of the working frame: True when it continues the row before.

    That is, the same person and employment episode, starting the day the row before
    stops (no gap).
    """
    pid = w["pid"].to_numpy()
    ep = w["episode"].to_numpy(dtype=np.int64)
    s0 = w["start_d"].to_numpy()
    s1 = w["stop_d"].to_numpy()
    cont = np.zeros(len(w), dtype=bool)
    cont[1:] = (pid[1:] == pid[:-1]) & (ep[1:] == ep[:-1]) & (s0[1:] == s1[:-1])
    return cont


def years_to_days(years: pd.Series) -> np.ndarray:
    """Durations in years (of 365.25 days) as whole days, rounded to the nearest day."""
    return np.rint(years.to_numpy(dtype=float) * DAYS_PER_YEAR).astype(np.int64)
