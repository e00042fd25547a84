"""Phase 2 of loading, people: employment episodes, terminations and manager IDs.

The rules on hire and termination dates are the same for a history's people table
(one row per employment episode) and for a snapshot (one row per person); only the
word in the messages differs ("episodes" or "people").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.derived.ladder import codes_in
from pathaudit.io._context import LoadContext
from pathaudit.io._messages import OVERLAPPING_EPISODES


def exclude_impossible_dates(
    ld: LoadContext, p: pd.DataFrame, table: str, who: str
) -> pd.DataFrame:
    """Leave out rows hired after as-of, and rows terminated before their hire.

    ``who`` names the rows in the messages ("episodes" or "people").
    """
    p = ld.exclude(
        p,
        p["hire_date"] > ld.as_of,
        table,
        "hired_after_as_of",
        f"{who} hired after as-of {ld.as_of.date()} are left out",
    )
    return ld.exclude(
        p,
        (p["termination_date"] < p["hire_date"]).fillna(False),
        table,
        "termination_before_hire",
        f"{who} whose termination date is before their hire date are left out; correct the "
        "dates in the export to include them",
        column="termination_date",
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
        ld.fatal_rows(t, "overlapping_episodes", OVERLAPPING_EPISODES, rows)
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
