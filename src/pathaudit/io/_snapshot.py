"""Phase 2 of loading, snapshots: one row per person, each read as their current job.

A snapshot has no job history: each person's row is their job on as-of, dated at
their last promotion (else as-of minus ``years_since_promotion``, else their hire).
The rules on hire and termination dates are those of a history's people table
(:mod:`pathaudit.io._people`); a ``left`` flag, where the export has one, must agree
with the termination date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.io._context import LoadContext
from pathaudit.io._messages import DUPLICATE_PERSON
from pathaudit.io._people import clear_terminations, exclude_impossible_dates


def _left_flag(ld: LoadContext, s: pd.DataFrame, t: str) -> pd.DataFrame:
    """Rows marked as left need a termination date; a date wins over a 'not left' flag."""
    left_flag = s["left"] == "true"
    s = ld.exclude(
        s,
        (left_flag & s["termination_date"].isna()).to_numpy(dtype=bool, na_value=False),
        t,
        "left_without_date",
        "people marked as left without a termination date are left out (their exit "
        "cannot be placed in time)",
        column="left",
        ids=True,
    )
    conflict = ((s["left"] == "false") & s["termination_date"].notna()).to_numpy(
        dtype=bool, na_value=False
    )
    ld.record(
        s,
        conflict,
        t,
        "left_flag_conflict",
        "repaired",
        "people marked as not left but with a termination date: the date wins",
        column="left",
    )
    return s


def _state_date(ld: LoadContext, s: pd.DataFrame, t: str) -> pd.Series:
    """The date of each person's current job: last promotion, else derived, else hire."""
    label = ld.labels[t]
    state = s["last_promotion_date"].copy()
    from_years = state.isna() & s["years_since_promotion"].notna()
    if from_years.any():
        days = (s.loc[from_years, "years_since_promotion"] * 365.25).round()
        state.loc[from_years] = ld.as_of - pd.to_timedelta(days, unit="D")
        ld.q.add(
            t,
            "state_date_from_years",
            "note",
            int(from_years.sum()),
            "date of the current job computed as as-of minus years_since_promotion",
            file=label,
            column="years_since_promotion",
        )
    at_hire = state.isna()
    if at_hire.any():
        ld.q.add(
            t,
            "state_date_is_hire",
            "note",
            int(at_hire.sum()),
            "no last promotion date: the current job is dated at the hire date",
            file=label,
            column="last_promotion_date",
        )
    state = state.fillna(s["hire_date"])
    early = (state < s["hire_date"]).to_numpy()
    if ld.record(
        s,
        early,
        t,
        "promotion_before_hire",
        "repaired",
        "last promotion dated before the hire date (an earlier employment): the "
        "current job is dated at the hire date",
        column="last_promotion_date",
    ):
        state = state.where(~early, s["hire_date"])
    return state.astype("datetime64[ns]")


def check_snapshot(ld: LoadContext, s: pd.DataFrame) -> pd.DataFrame:
    """Phase 2 for a snapshot table.

    Parameters
    ----------
    ld
        The load, whose report receives every finding.
    s
        The snapshot table after phase 1.

    Returns
    -------
    pandas.DataFrame
        The people used, with ``left`` ("true"/"false", from the termination date),
        ``effective_date`` (the date of their current job) and the key ``_ep`` (one
        per person). A person in more than one row is fatal.
    """
    t = "snapshot"
    s = ld.drop_blank(s, t)
    s = ld.drop_missing(s, t, ["employee_id", "hire_date", "track", "level"])
    s = ld.drop_duplicates(s, t)
    ld.fatal_duplicates(s, t, "employee_id", "duplicate_person", DUPLICATE_PERSON)
    s = exclude_impossible_dates(ld, s, t, "people")
    s = _left_flag(ld, s, t)
    s = clear_terminations(ld, s, t)
    s = s.assign(left=np.where(s["termination_date"].notna(), "true", "false"))
    s = s.assign(left=s["left"].astype(str))
    s = s.assign(effective_date=_state_date(ld, s, t))
    s = ld.exclude(
        s,
        s["effective_date"] > ld.as_of,
        t,
        "after_as_of",
        f"people whose current job is dated after as-of {ld.as_of.date()} are left out",
        column="last_promotion_date",
    )
    return s.assign(_ep=np.arange(len(s), dtype="int64"))
