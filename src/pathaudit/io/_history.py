"""Phase 2 of loading, job history: which records of an effective-dated history are used.

Every record is placed in the employment episode it belongs to (the latest hire on or
before its date); records after as-of, of unknown people, of episodes left out, or
outside every episode are left out, each counted under its rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.io._context import LoadContext


def _episode_of(h: pd.DataFrame, p: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each record's episode key ``_ep`` and that episode's termination date.

    A record belongs to the person's latest hire on or before its date; both series
    are indexed like ``h`` and missing where no hire precedes the record.
    """
    day = h["effective_date"].to_numpy("datetime64[ns]")
    hire = p["hire_date"].to_numpy("datetime64[ns]")
    day_ns = 86_400_000_000_000
    if not (np.isnat(day).any() or np.isnat(hire).any()
            or (day.astype(np.int64) % day_ns).any() or (hire.astype(np.int64) % day_ns).any()):
        return _episode_by_search(h, p, day, hire)  # whole days, none missing
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
    end = pd.Series(m["termination_date"].to_numpy(), index=m["_idx"].to_numpy()).reindex(h.index)
    return ep, end


def _episode_by_search(
    h: pd.DataFrame, p: pd.DataFrame, day: np.ndarray, hire: np.ndarray
) -> tuple[pd.Series, pd.Series]:
    """:func:`_episode_of` by one binary search on (person, date) integer keys.

    The hires sorted by person, date and position: a record's episode is the last hire of
    its person on or before its date (the as-of join's choice, ties included).
    """
    h_ns, p_ns = day.astype(np.int64), hire.astype(np.int64)
    first = min(int(h_ns.min(initial=0)), int(p_ns.min(initial=0)))
    h_days = (h_ns - first) // 86_400_000_000_000
    p_days = (p_ns - first) // 86_400_000_000_000
    span = int(max(h_days.max(initial=0), p_days.max(initial=0))) + 2
    h_pid = h["_pid"].to_numpy(np.int64)
    p_pid = p["_pid"].to_numpy(np.int64)
    order = np.lexsort((np.arange(len(p)), p_days, p_pid))
    keys = (p_pid * span + p_days)[order]
    at = np.searchsorted(keys, h_pid * span + h_days, side="right") - 1
    found = at >= 0
    found[found] = p_pid[order[at[found]]] == h_pid[found]
    row = order[np.where(found, at, 0)]
    ep = pd.Series(p["_ep"].to_numpy()[row], index=h.index).where(found)
    end = pd.Series(p["termination_date"].to_numpy()[row], index=h.index).where(found)
    return ep, end


def check_history(
    ld: LoadContext, h: pd.DataFrame, p: pd.DataFrame, raw_pids: np.ndarray
) -> pd.DataFrame:
    """Phase 2 for the history table of a history export.

    Parameters
    ----------
    ld
        The load, whose report receives every finding.
    h
        The history table after phase 1, with ``_pid`` (integer person code, -1
        where missing).
    p
        The checked people table (:func:`pathaudit.io._people.check_people`) with
        ``_pid`` and the episode key ``_ep``.
    raw_pids
        ``_pid`` of every people row as read, before any people rule.

    Returns
    -------
    pandas.DataFrame
        The records used, with ``_ep``, the episode each belongs to.
    """
    t = "history"
    h = ld.drop_blank(h, t)
    h = ld.drop_missing(h, t, ["employee_id", "effective_date", "track", "level"])
    h = ld.drop_duplicates(h, t, key=["_pid", "effective_date"])
    h = ld.exclude(
        h,
        h["effective_date"] > ld.as_of,
        t,
        "after_as_of",
        f"records dated after as-of {ld.as_of.date()} are ignored",
        column="effective_date",
    )
    h = ld.exclude(
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
    h = ld.exclude(
        h,
        ~kept[pid] & raw[pid],
        t,
        "episode_excluded",
        "records of people whose every people row was left out (see the people rules)",
        ids=True,
    )
    h = ld.exclude(
        h,
        ~kept[h["_pid"].to_numpy()],
        t,
        "person_not_in_people",
        "records of IDs that are not in the people table are left out; add these people "
        "(hire date at least) to include them",
        column="employee_id",
        ids=True,
    )
    ep, end = _episode_of(h, p)
    outside = ep.isna() | (h["effective_date"] > end).fillna(False)
    h = h.assign(_ep=ep)
    h = ld.exclude(
        h,
        outside,
        t,
        "outside_episode",
        "records dated outside every employment episode of the person (before the hire "
        "date, after the termination date, between episodes, or in an episode left out "
        "by a people rule) are left out",
        column="effective_date",
        ids=True,
    )
    return h.assign(_ep=h["_ep"].astype("int64"))
