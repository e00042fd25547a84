"""A past quarter end's spells and exposure, cut from the whole extract's instead of derived again.

The trend recomputes figures as of up to 7 past quarter ends. Each is the dataset cut at
the quarter end (:meth:`~pathaudit.data.AuditData.with_as_of`: records dated later are
ignored). Deriving its spells and exposure from the history again repeats, per quarter,
the work already done for the whole extract. Both tables are split at fiscal-quarter
boundaries, so the cut at a quarter end ``E`` follows from the whole extract's by rows:

- **spells** that start after ``E`` are left out; a spell that ends after ``E + 1 day``,
  or on it by a change of track or level (a record dated after ``E``), is censored at
  ``E + 1 day``: ``stop = E + 1 day``, ``end_reason = "censored"``, no ``next_*``,
  ``end_pay`` the pay in force on ``E``, ``duration`` from the new stop. An exit on
  ``E + 1 day`` (a termination dated ``E``) stays an exit: the termination is known by
  ``E``. An episode whose first record is dated after ``E`` has no record by ``E``, so its
  spell (extended back to the hire date in the whole extract) is left out;
- **exposure** rows that start after ``E`` are left out; a cut spell's last row (the one
  ending on ``E + 1 day``) gets the event ``"censored"``;
- ``spell_id`` is numbered again from 0 and categorical columns keep only the categories
  still present, as a derivation of the cut dataset would give.

``tests/test_report.py`` compares both tables with a derivation from the cut history, at
every trend quarter end of the sample and of a simulation. The derivation's data-quality
notes of the cut dataset are not recorded: the trend shows only each quarter's primary
figure, and page 1 (with the appendix's data quality) is derived as usual.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.derived.calendar import fiscal_quarter_start, fiscal_quarters
from pathaudit.io.schema import DAYS_PER_YEAR


def at_quarter_end(data: AuditData, end: pd.Timestamp) -> AuditData:
    """``data`` as of the quarter end ``end``, its spells and exposure cut from ``data``'s.

    Parameters
    ----------
    data
        The whole extract (history export), as loaded.
    end
        Last day of a fiscal quarter, on or after ``history_start`` and on or before
        ``data.as_of``.

    Returns
    -------
    AuditData
        ``data.with_as_of(end)`` whose ``spells`` and ``exposure`` are those of ``data``
        cut at ``end`` (see the module docstring). Where the cut does not follow from rows
        (a snapshot export, a date that is not a fiscal quarter end, before the history
        start or after ``as_of``) they are derived from the cut history as usual.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")
    >>> at = at_quarter_end(data, pd.Timestamp("2025-06-30"))
    >>> str(at.as_of.date()), bool((at.spells["start"] <= "2025-06-30").all())
    ('2025-06-30', True)
    """
    day = pd.Timestamp(end).normalize()
    at = data.with_as_of(day)
    if not _cuts_by_rows(data, day):
        return at
    spells, exposure = cut_spells_exposure(data, day)
    # seeded into the cut dataset's one cache, under the keys its properties read
    at.derived("spells", lambda: spells)
    at.derived("exposure", lambda: exposure)
    return at


def _cuts_by_rows(data: AuditData, day: pd.Timestamp) -> bool:
    """Whether the cut at ``day`` follows from the whole extract's tables by rows."""
    if data.is_snapshot or not data.history_start <= day <= data.as_of:
        return False
    nxt = day + pd.Timedelta(days=1)
    label = str(fiscal_quarters([nxt], data.fiscal_year_start_month)["quarter"].iloc[0])
    return bool(fiscal_quarter_start(label, data.fiscal_year_start_month) == nxt)


def cut_spells_exposure(data: AuditData, end: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Spells and exposure of ``data`` cut at the fiscal quarter end ``end``.

    Parameters
    ----------
    data
        The whole extract.
    end
        A fiscal quarter end between ``history_start`` and ``as_of`` (checked by
        :func:`at_quarter_end`).

    Returns
    -------
    (spells, exposure)
        As :func:`~pathaudit.derived.derive_spells` and
        :func:`~pathaudit.derived.derive_exposure` give them for ``data.with_as_of(end)``.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")
    >>> sp, ex = cut_spells_exposure(data, pd.Timestamp("2025-06-30"))
    >>> bool((ex["stop"] <= "2025-07-01").all()), int(sp["spell_id"].iloc[-1]) == len(sp) - 1
    (True, True)
    """
    sp, ex = data.spells, data.exposure
    e1 = np.datetime64((pd.Timestamp(end) + pd.Timedelta(days=1)).date(), "D")
    start = sp["start"].to_numpy(dtype="datetime64[D]")
    stop = sp["stop"].to_numpy(dtype="datetime64[D]")
    reason = sp["end_reason"].astype("str").to_numpy(dtype=object)
    keep = start < e1
    exit_on_cut = (stop == e1) & np.char.startswith(reason.astype(str), "exit_")
    cut = keep & (stop >= e1) & ~exit_on_cut
    keep &= ~(cut & _first_record_after(data, sp, cut, e1))
    cut &= keep

    ex_spell = ex["spell_id"].to_numpy(dtype=np.int64)
    ex_keep = keep[ex_spell] & (ex["start"].to_numpy(dtype="datetime64[D]") < e1)
    ex_last = ex_keep & cut[ex_spell] & (ex["stop"].to_numpy(dtype="datetime64[D]") == e1)

    # the pay in force on the quarter end: that of the cut spell's exposure row ending there
    end_pay = sp["end_pay"].to_numpy(dtype=float, copy=True)
    if "pay" in ex.columns:
        end_pay[ex_spell[ex_last]] = pd.to_numeric(ex["pay"]).to_numpy(dtype=float)[ex_last]

    spells = _rows(sp, keep)
    now = cut[keep]
    spells["stop"] = spells["stop"].mask(now, pd.Timestamp(e1))
    spells["duration"] = np.where(
        now, (e1 - start[keep]).astype(np.int64) / DAYS_PER_YEAR,
        spells["duration"].to_numpy(dtype=float),
    )
    spells["end_reason"] = _put(spells["end_reason"], now, "censored")
    for col in ("next_track", "next_level", "next_grade", "next_pay"):
        if col in spells.columns:
            spells[col] = _put(spells[col], now, None)
    spells["end_pay"] = end_pay[keep]
    spells["spell_id"] = pd.array(np.arange(len(spells)), dtype=sp["spell_id"].dtype)

    exposure = _rows(ex, ex_keep)
    exposure["event"] = _put(exposure["event"], ex_last[ex_keep], "censored")
    new_id = np.cumsum(keep) - 1
    exposure["spell_id"] = pd.array(new_id[ex_spell[ex_keep]], dtype=ex["spell_id"].dtype)
    return spells, exposure


def _first_record_after(
    data: AuditData, sp: pd.DataFrame, cut: np.ndarray, e1: np.datetime64
) -> np.ndarray:
    """Per spell: extended back to its hire date, with its first record after the cut.

    Such an episode has no record by the quarter end; only cut spells are looked up.
    """
    out = np.zeros(len(sp), dtype=bool)
    if "start_imputed" not in sp.columns:
        return out
    ask = cut & sp["start_imputed"].fillna(False).to_numpy(dtype=bool)
    if not ask.any():
        return out
    who = pd.DataFrame({
        "employee_id": sp["employee_id"].astype("str").to_numpy(dtype=object)[ask],
        "hire": sp["hire_date"].to_numpy(dtype="datetime64[ns]")[ask],
        "at": np.flatnonzero(ask),
    })
    hist = data.history
    ids = hist["employee_id"].astype("str")
    mine = ids.isin(set(who["employee_id"])).to_numpy()
    recs = pd.DataFrame({"employee_id": ids.to_numpy(dtype=object)[mine],
                         "day": hist["effective_date"].to_numpy(dtype="datetime64[ns]")[mine]})
    both = who.merge(recs, on="employee_id", how="left")
    # a record on or after the hire date and by the quarter end belongs to this episode
    # (an earlier episode of the person ended before this hire; a later one starts after
    # this episode's first record)
    by_end = both["day"].to_numpy() >= both["hire"].to_numpy()
    by_end &= both["day"].to_numpy() < e1.astype("datetime64[ns]")
    seen = pd.Series(by_end).groupby(both["at"].to_numpy()).any()
    out[seen.index.to_numpy()[~seen.to_numpy()]] = True
    return out


def _put(column: pd.Series, where: np.ndarray, value: str | None) -> pd.Series:
    """``column`` with ``value`` (None: missing) where ``where``.

    A categorical keeps only the categories present, sorted, as the derivation builds them.
    """
    if not where.any():
        return column
    if value is None:
        out = column.mask(where)
    else:
        if isinstance(column.dtype, pd.CategoricalDtype) and value not in column.cat.categories:
            cats = column.cat.categories
            column = column.cat.set_categories(pd.Index(sorted([*cats, value]), dtype=cats.dtype))
        out = column.mask(where, value)
    return _used_categories(out) if isinstance(out.dtype, pd.CategoricalDtype) else out


def _used_categories(column: pd.Series) -> pd.Series:
    """A categorical column without the categories no row holds (order kept).

    By counting codes, not by the sort ``remove_unused_categories`` runs.
    """
    codes = column.cat.codes.to_numpy()
    cats = column.cat.categories
    used = np.bincount(codes[codes >= 0], minlength=len(cats)) > 0
    if used.all():
        return column
    remap = np.full(len(cats) + 1, -1, dtype=codes.dtype)  # the last entry: missing stays -1
    remap[np.flatnonzero(used)] = np.arange(int(used.sum()), dtype=codes.dtype)
    new = remap[np.where(codes >= 0, codes, len(cats))]
    return pd.Series(pd.Categorical.from_codes(new, categories=cats[used]), index=column.index,
                     name=column.name)


def _rows(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """The rows kept, renumbered from 0, each categorical column without unused categories."""
    out = frame.loc[keep].reset_index(drop=True)
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = _used_categories(out[col])
    return out
