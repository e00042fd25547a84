"""Who is at risk of promotion: spells below the top of their own track.

The top is the designed top of the track in the spell's unit on the date
(:func:`pathaudit.derived.ladder.promotable_from`, from
:func:`pathaudit.derived.ladder.designed_tops`).

The population of the time-to-promotion analysis (DOMAIN.md, analysis 2) is
every spell -- the continuous time one person spends in one (track, level)
within one employment episode -- whose grade lies below the top of its own
track. Each selected spell carries its clock (``time``, years since its
start), its delayed entry (``entry``, for spells begun before
``history_start``) and the cause that ended it (:data:`CAUSES`). The person
counters here are shared by every promotion module: ``n`` in a result is
always distinct people.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.derived.ladder import promotable_from
from pathaudit.derived.population import distinct_people
from pathaudit.io.schema import EXIT_REASONS

CAUSES: dict[str, int] = {"promotion": 1, "exit": 2, "switch": 3, "other_change": 4}
"""Cause codes of a spell's end (0 = censored at as-of)."""


def person_codes(ids: pd.Series) -> np.ndarray:
    """Integer codes 0..P-1 of the distinct people in ``ids`` (for :func:`n_people`).

    In order of first appearance; a missing ID is one person of its own.
    """
    return pd.factorize(ids, use_na_sentinel=False)[0]


def promotable_from_rows(ladder: pd.DataFrame | None, frame: pd.DataFrame) -> pd.Series:
    """:func:`~pathaudit.derived.ladder.promotable_from` of every row of ``frame``.

    Computed once per distinct (track, grade[, org_unit]) (the only columns it reads; a
    row's answer depends on its own values and on which combinations occur) and given
    back to every row; same index as ``frame``.
    """
    cols = [c for c in ("track", "grade", "org_unit") if c in frame.columns]
    key = np.zeros(len(frame), dtype=np.int64)
    for c in cols:
        codes, uniques = pd.factorize(frame[c], use_na_sentinel=False)
        key *= len(uniques) + 1
        key += codes
    inv, _ = pd.factorize(key)
    del key
    # the codes are numbered in order of first appearance: a row holds a new code exactly
    # where its code is above every code before it (the first row of each combination)
    new = np.ones(len(inv), dtype=bool)
    if len(inv) > 1:
        new[1:] = inv[1:] > np.maximum.accumulate(inv)[:-1]
    first = np.flatnonzero(new)
    small = promotable_from(ladder, frame.iloc[first][cols].reset_index(drop=True))
    return pd.Series(small.to_numpy()[inv], index=frame.index, name=small.name)


def n_people(codes: np.ndarray, sel: np.ndarray | None = None) -> int:
    """Distinct people among ``codes[sel]`` (codes are 0..P-1 from :func:`person_codes`)."""
    picked = np.asarray(codes if sel is None else codes[sel], dtype=np.int64)
    # one group: the counter of distinct people of every figure
    return int(distinct_people(np.zeros(len(picked), dtype=np.int64), picked, 1)[0])


def _cause_codes(end_reason: pd.Series) -> np.ndarray:
    """Map ``end_reason`` to the cause codes of :data:`CAUSES` (0 = censored)."""
    r = end_reason.astype("str")  # compared as text without a Python string per row

    def where(mask: pd.Series) -> np.ndarray:
        return mask.to_numpy(dtype=bool, na_value=False)

    out = np.full(len(r), CAUSES["other_change"], dtype=np.int64)
    out[where(r == "censored")] = 0
    out[where(r == "promotion")] = CAUSES["promotion"]
    out[where(r.isin(list(EXIT_REASONS)))] = CAUSES["exit"]
    out[where(r.isin(["switch_to_M", "switch_to_IC"]))] = CAUSES["switch"]
    return out


def promotion_spells(
    data_or_spells: AuditData | pd.DataFrame,
    ladder: pd.DataFrame | None = None,
    history_start: object | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Select the spells at risk of promotion, with their time, entry and cause.

    Parameters
    ----------
    data_or_spells
        An :class:`~pathaudit.data.AuditData` (uses ``spells``, ``ladder``,
        ``history_start``) or a spells frame (``schema.SPELLS`` columns).
    ladder
        Canonical ladder, when a spells frame is given (default: the top grade
        of each track is its highest grade seen in the spells).
    history_start
        First date of complete history, when a spells frame is given (used to
        leave out spells whose start is not observed).

    Returns
    -------
    (spells, excluded) : tuple
        ``spells``: the input rows below the top of their own track at their
        start, with ``time`` (= ``duration``, years since the spell's start),
        ``entry`` (years, delayed entry), ``cause`` (see :data:`CAUSES`) and
        ``is_ic``. ``excluded``: reason -> number of spells left out:
        ``at_top_of_track`` (at the top of the track in its unit on its first
        day, so it cannot be promoted within the track),
        ``missing_grade`` and ``start_not_observed`` (the spell's start was set to
        a hire date before ``history_start``, so its time in level is unknown).

    Notes
    -----
    Population: spells whose grade is below the top of their own track on their
    first day, with the ladder of their unit on that date. A spell at the top
    when it began stays out even if a higher level opens later (its
    person-time after that date does count in :func:`promotion_rates`). Clock:
    time since the start of the spell (time in level). Entry: years from the
    spell's start to ``history_start`` for spells begun earlier, else 0.
    """
    if isinstance(data_or_spells, AuditData):
        data = data_or_spells
        sp = data.spells
        ladder = data.ladder
        history_start = data.history_start
    else:
        sp = data_or_spells
    excluded: dict[str, int] = {}
    grade = pd.to_numeric(sp["grade"], errors="coerce")
    miss = grade.isna().to_numpy()
    excluded["missing_grade"] = int(miss.sum())
    sp = sp.loc[~miss]
    grade = grade[~miss].astype(float)
    frm = promotable_from_rows(ladder, sp)
    # below the top of the own track on the spell's first day (in its unit, on that date)
    at_top = (frm.isna() | (frm > sp["start"])).to_numpy()
    excluded["at_top_of_track"] = int(at_top.sum())
    unobserved = np.zeros(len(sp), dtype=bool)
    if "start_imputed" in sp.columns and history_start is not None:
        unobserved = (
            sp["start_imputed"].fillna(False).astype(bool)
            & (sp["start"] < pd.Timestamp(history_start))
        ).to_numpy()
    excluded["start_not_observed"] = int((unobserved & ~at_top).sum())
    keep = ~at_top & ~unobserved
    out = sp.loc[keep].copy()
    out["grade"] = grade[keep].astype(np.int64)
    out["time"] = out["duration"].astype(float)
    out["entry"] = out["entry"].astype(float)
    out["cause"] = _cause_codes(out["end_reason"])
    out["track"] = out["track"].astype("str")
    out["is_ic"] = (out["track"] == "IC").astype(float)
    bad = (out["entry"] >= out["time"]).to_numpy()
    if bad.any():
        excluded["ended_before_history_start"] = int(bad.sum())
        out = out.loc[~bad]
    return out.reset_index(drop=True), excluded


def structural_zeros(
    data_or_spells: AuditData | pd.DataFrame, ladder: pd.DataFrame | None = None
) -> pd.DataFrame:
    """(track, grade) cells in which no promotion is possible: every spell began at the top.

    Parameters
    ----------
    data_or_spells
        An :class:`~pathaudit.data.AuditData` (uses ``spells`` and ``ladder``) or a
        spells frame.
    ladder
        Canonical ladder, when a spells frame is given.

    Returns
    -------
    pandas.DataFrame
        ``track``, ``grade``, ``spells`` (all at the top), ``n`` (people),
        ``top_levels``: one row per
        cell whose every spell began at the top of its track in its unit on its
        first day (the designed top, :func:`pathaudit.derived.ladder.promotable_from`),
        so the cell has no spell at risk of promotion. Its probability of promotion
        is 0 by design: a structural zero, not a sampling zero (no promotion
        observed among spells that could have been promoted).
    """
    if isinstance(data_or_spells, AuditData):
        sp, ladder = data_or_spells.spells, data_or_spells.ladder
    else:
        sp = data_or_spells
    grade = pd.to_numeric(sp["grade"], errors="coerce")
    sp = sp.loc[grade.notna().to_numpy()]
    cols = ["track", "grade", "spells", "n", "top_levels"]
    if sp.empty:
        return pd.DataFrame(columns=cols)
    frm = promotable_from_rows(ladder, sp)
    cells = pd.DataFrame({
        "track": sp["track"].astype("str").reset_index(drop=True),
        "grade": pd.to_numeric(sp["grade"]).astype(np.int64).to_numpy(),
        "level": sp["level"].to_numpy(),
        "person": person_codes(sp["employee_id"]),
        "at_top": (frm.isna() | (frm > sp["start"])).to_numpy(),
    })
    agg = cells.groupby(["track", "grade"], sort=True).agg(
        spells=("at_top", "size"), at_top=("at_top", "sum"), n=("person", "nunique"),
    ).reset_index()
    # the levels of each cell, read as text once per distinct (track, grade, level)
    levels = cells[["track", "grade", "level"]].drop_duplicates()
    levels["level"] = levels["level"].astype("str")
    joined = levels.groupby(["track", "grade"], sort=True)["level"].agg(
        lambda v: ", ".join(sorted(set(v)))
    )
    agg["top_levels"] = joined.reindex(pd.MultiIndex.from_frame(agg[["track", "grade"]])).to_numpy()
    out = agg.loc[agg["at_top"] == agg["spells"], cols]
    return out.reset_index(drop=True)
