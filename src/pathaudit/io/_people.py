"""Phase 2 of loading, people: employment episodes, terminations and manager IDs.

The rules on hire and termination dates are the same for a history's people table
(one row per employment episode) and for a snapshot (one row per person); only the
word in the messages differs ("episodes" or "people"). Messages about people name
their IDs (the first few).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.derived.ladder import codes_in
from pathaudit.io._context import LoadContext
from pathaudit.io._messages import OVERLAPPING_EPISODES

CAREER_YEARS_LIMIT = 60
"""A hire date more than this many years before the extract date is implausible (noted)."""


def exclude_impossible_dates(
    ld: LoadContext, p: pd.DataFrame, table: str, who: str
) -> pd.DataFrame:
    """Leave out rows hired after the extract date or as-of, and rows terminated before hire.

    Hire dates more than :data:`CAREER_YEARS_LIMIT` years before the extract date are
    noted (kept). ``who`` names the rows in the messages ("episodes" or "people").
    """
    p = ld.exclude(
        p,
        p["hire_date"] > ld.extract,
        table,
        "hired_after_extract",
        f"{who} hired after the extract date {ld.extract.date()} are left out: the export "
        "was pulled before that day (a future starter, or a wrong date); correct the date if "
        "it is wrong",
        column="hire_date",
        ids=True,
    )
    p = ld.exclude(
        p,
        p["hire_date"] > ld.as_of,
        table,
        "hired_after_as_of",
        f"{who} hired after as-of {ld.as_of.date()} are left out",
        column="hire_date",
        ids=True,
    )
    oldest = ld.extract - pd.DateOffset(years=CAREER_YEARS_LIMIT)
    ld.record(
        p,
        (p["hire_date"] < oldest).fillna(False),
        table,
        "implausible_hire_date",
        "note",
        f"hire dates before {oldest.date()} ({CAREER_YEARS_LIMIT} years before the extract "
        "date) are implausible (1900-01-01 is a common placeholder for an unknown date): kept; "
        "tenure from these dates is unreliable, so correct them or leave them empty",
        column="hire_date",
        ids=True,
    )
    return ld.exclude(
        p,
        (p["termination_date"] < p["hire_date"]).fillna(False),
        table,
        "termination_before_hire",
        f"{who} whose termination date is before their hire date are left out; correct the "
        "dates in the export to include them",
        column="termination_date",
        ids=True,
    )


def clear_terminations(ld: LoadContext, p: pd.DataFrame, table: str) -> pd.DataFrame:
    """Repair termination dates and types as known on as-of (each repair counted).

    Terminations dated after as-of are cleared (the person counts as employed); a
    type without a date is cleared; a date without a type gets the type ``other``.
    """
    late = (p["termination_date"] > ld.as_of).fillna(False).to_numpy()
    if ld.record(
        p,
        late,
        table,
        "termination_after_as_of",
        "repaired",
        f"terminations dated after as-of {ld.as_of.date()} are not yet known on "
        "as-of: these people count as employed (termination date and type cleared)",
        column="termination_date",
    ):
        p = p.copy()
        p.loc[late, ["termination_date", "termination_type"]] = [pd.NaT, np.nan]
    type_only = (p["termination_date"].isna() & p["termination_type"].notna()).to_numpy()
    if ld.record(
        p,
        type_only,
        table,
        "termination_type_without_date",
        "repaired",
        "a termination type without a termination date was cleared (the person counts "
        "as employed); add the termination date to count the exit",
        column="termination_type",
    ):
        p = p.copy()
        p.loc[type_only, "termination_type"] = np.nan
    no_type = (p["termination_date"].notna() & p["termination_type"].isna()).to_numpy()
    if ld.record(
        p,
        no_type,
        table,
        "missing_termination_type",
        "repaired",
        "terminations without a type count as 'other' (neither voluntary nor "
        "involuntary); map the export's types in [values.termination_type]",
        column="termination_type",
    ):
        p = p.copy()
        p.loc[no_type, "termination_type"] = "other"
    return p


def check_people(ld: LoadContext, p: pd.DataFrame) -> pd.DataFrame:
    """Phase 2 for the people table of a history: one row per employment episode.

    Returns the usable episodes sorted by person and hire date, with ``episode``
    (0, 1, ... per person); overlapping episodes of one person are fatal.
    """
    t = "people"
    p = ld.drop_blank(p, t)
    p = ld.drop_missing(p, t, ["employee_id", "hire_date"])
    p = ld.drop_duplicates(p, t)
    p = exclude_impossible_dates(ld, p, t, "episodes")
    p = clear_terminations(ld, p, t)
    p = p.sort_values(["employee_id", "hire_date", "row"], kind="stable")
    same = p["employee_id"].eq(p["employee_id"].shift())
    prev_end = p["termination_date"].shift()
    overlap = same & (prev_end.isna() | (prev_end >= p["hire_date"]))
    if overlap.any():
        rows = p.loc[overlap, "row"].to_numpy()
        ids = ld.ids(p.loc[overlap, "employee_id"])
        ld.fatal_rows(
            t, "overlapping_episodes", OVERLAPPING_EPISODES, rows, column="hire_date", ids=ids
        )
    return p.assign(episode=p.groupby("employee_id", sort=False).cumcount().astype("int64"))


def note_unknown_managers(ld: LoadContext, h: pd.DataFrame, ids: pd.Series, table: str) -> None:
    """Note job records whose manager ID is not an employee of the export (kept)."""
    mgr = h["manager_id"]
    unknown = mgr.notna().to_numpy() & (codes_in(mgr, pd.unique(ids.dropna())) < 0)
    ld.record(
        h,
        unknown,
        table,
        "unknown_manager",
        "note",
        "manager IDs that are not employees in this export (kept; such managers are "
        "outside the population)",
        column="manager_id",
    )


def _cycles(nxt: np.ndarray) -> np.ndarray:
    """Which nodes of a graph with one edge per node (``nxt``; -1: none) lie on a cycle.

    After ``n`` steps every walk that has not stopped is on a cycle, and every node of a
    cycle is where some walk of ``n`` steps ends (its own): the nodes on a cycle are the
    ends of all walks of ``2**K >= n`` steps, found by squaring the step ``K`` times.
    """
    n = len(nxt)
    on_cycle = np.zeros(n, bool)
    step = np.asarray(nxt, dtype=np.int64)
    walked = 1
    while walked < n:
        going = step >= 0
        step = np.where(going, step[np.where(going, step, 0)], -1)
        walked *= 2
    on_cycle[step[step >= 0]] = True
    return on_cycle


def note_manager_cycles(ld: LoadContext, h: pd.DataFrame, p: pd.DataFrame, table: str) -> None:
    """Note people whose reporting line on as-of runs in a circle (kept).

    The reporting line on as-of: each person employed on as-of (an episode without a
    termination date, as known on as-of) with the manager of their last record.
    A cycle (A manages B, who manages A; or a person recorded as their own manager)
    makes reporting lines and counts of direct reports through these people
    unreliable.
    """
    if not h["manager_id"].notna().any():
        return
    open_eps = p.loc[p["termination_date"].isna(), "_ep"]
    cols = ["employee_id", "manager_id", "effective_date", "row"]
    cur = h.loc[h["_ep"].isin(open_eps).to_numpy(bool), cols]  # the columns read below
    cur = cur.sort_values(["effective_date", "row"], kind="stable")
    cur = cur.drop_duplicates("employee_id", keep="last")
    nxt = codes_in(cur["manager_id"], cur["employee_id"].to_numpy(dtype=object))
    on_cycle = _cycles(nxt)
    ld.record(
        cur,
        on_cycle,
        table,
        "manager_cycle",
        "note",
        f"reporting lines on as-of {ld.as_of.date()} that run in a circle (A manages B, who "
        "manages A, or a person is their own manager): kept; direct reports and reporting "
        "lines through these people are unreliable; correct manager_id in the export",
        column="manager_id",
        ids=True,
    )
