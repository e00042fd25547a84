"""Who is at risk of promotion: spells below the top of their own track.

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
from pathaudit.io.schema import EXIT_REASONS

CAUSES: dict[str, int] = {"promotion": 1, "exit": 2, "switch": 3, "other_change": 4}
"""Cause codes of a spell's end (0 = censored at as-of)."""


def person_codes(ids: pd.Series) -> np.ndarray:
    """Integer codes 0..P-1 of the distinct people in ``ids`` (for :func:`n_people`)."""
    return pd.factorize(ids.astype("str"))[0]


def n_people(codes: np.ndarray, sel: np.ndarray | None = None) -> int:
    """Distinct people among ``codes[sel]`` (codes are 0..P-1 from :func:`person_codes`)."""
    picked = codes if sel is None else codes[sel]
    if len(picked) == 0:
        return 0
    mark = np.zeros(int(codes.max()) + 1, dtype=bool)
    mark[picked] = True
    return int(np.count_nonzero(mark))


def _cause_codes(end_reason: pd.Series) -> np.ndarray:
    """Map ``end_reason`` to the cause codes of :data:`CAUSES` (0 = censored)."""
    r = end_reason.astype("str").to_numpy(dtype=object)
    out = np.full(len(r), CAUSES["other_change"], dtype=np.int64)
    out[r == "censored"] = 0
    out[r == "promotion"] = CAUSES["promotion"]
    out[np.isin(r, list(EXIT_REASONS))] = CAUSES["exit"]
    out[np.isin(r, ["switch_to_M", "switch_to_IC"])] = CAUSES["switch"]
    return out


def promotable_from(ladder: pd.DataFrame | None, frame: pd.DataFrame) -> pd.Series:
    """First date from which each row's grade lies below the top of its own track.

    Parameters
    ----------
    ladder
        Canonical ladder (``track, level, grade[, org_unit, valid_from]``), or
        None (then the top of a track is its highest grade seen in ``frame``).
    frame
        Spells or exposure rows with ``track``, ``grade`` and (when the ladder is
        unit-specific) ``org_unit``.

    Returns
    -------
    pandas.Series
        ``datetime64[ns]`` per row (index of ``frame``): the earliest
        ``valid_from`` of a ladder row of the same track with a higher grade that
        applies to the row's unit (rows without ``org_unit`` apply everywhere;
        an empty ``valid_from`` means always, returned as 1678-01-01). ``NaT``
        means never: the row is at the top of its track.

    Notes
    -----
    Adopting a dual ladder can add IC levels in one unit from one date. An IC
    at the old top of such a unit cannot be promoted before that date and can
    after it. :func:`promotion_spells` keeps spells promotable on their first
    day; :func:`promotion_rates` counts person-time from this date on.
    """
    always = pd.Timestamp("1678-01-01")
    # integer codes for (track, grade, unit): the work is done once per distinct combination
    t_codes, t_labels = pd.factorize(frame["track"].astype("str"))
    grade = pd.to_numeric(frame["grade"], errors="coerce").to_numpy(dtype=float)
    if "org_unit" in frame.columns:
        u_codes, u_labels = pd.factorize(frame["org_unit"].astype("str"), use_na_sentinel=True)
    else:
        u_codes, u_labels = np.full(len(frame), -1), pd.Index([])
    g_codes, g_labels = pd.factorize(grade, use_na_sentinel=True)
    n_g, n_u = len(g_labels) + 1, len(u_labels) + 1
    key = (t_codes.astype(np.int64) * n_g + (g_codes + 1)) * n_u + (u_codes + 1)
    uniq, inv = np.unique(key, return_inverse=True)
    keys = pd.DataFrame(
        {
            "track": np.asarray(t_labels, dtype=object)[uniq // (n_g * n_u)],
            "grade": np.concatenate([[np.nan], np.asarray(g_labels, dtype=float)])[
                (uniq // n_u) % n_g
            ],
            "unit": np.concatenate([[""], np.asarray(u_labels, dtype=object)])[uniq % n_u],
        }
    )
    out_keys = np.full(len(keys), np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    if ladder is None or ladder.empty:
        lad_tracks: set[str] = set()
    else:
        lad = pd.DataFrame(
            {
                "track": ladder["track"].astype("str").to_numpy(),
                "lgrade": pd.to_numeric(ladder["grade"], errors="coerce").to_numpy(dtype=float),
                "lunit": (
                    ladder["org_unit"].astype("str").fillna("").to_numpy()
                    if "org_unit" in ladder.columns
                    else ""
                ),
                "valid_from": (
                    pd.to_datetime(ladder["valid_from"]).fillna(always).to_numpy()
                    if "valid_from" in ladder.columns
                    else np.datetime64(always)
                ),
            }
        ).dropna(subset=["lgrade"])
        lad_tracks = set(lad["track"])
        pairs = keys.reset_index().merge(lad, on="track", how="inner")
        ok = (pairs["lgrade"] > pairs["grade"]) & (
            (pairs["lunit"] == "") | (pairs["lunit"] == pairs["unit"])
        )
        first = pairs.loc[ok].groupby("index")["valid_from"].min()
        out_keys[first.index.to_numpy()] = first.to_numpy(dtype="datetime64[ns]")
    # tracks absent from the ladder: top = highest grade seen
    top_seen = keys.groupby("track")["grade"].transform("max").to_numpy()
    missing = ~keys["track"].isin(lad_tracks).to_numpy() & (keys["grade"].to_numpy() < top_seen)
    out_keys[missing] = np.datetime64(always)
    return pd.Series(out_keys[inv], index=frame.index)


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
    frm = promotable_from(ladder, sp)
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
