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

from pathaudit.derived.ladder import assign_grades
from pathaudit.io._context import LoadContext
from pathaudit.io._filters import LABEL_FILTER_COLUMNS
from pathaudit.io._messages import DUPLICATE_PERSON
from pathaudit.io._people import clear_terminations, exclude_impossible_dates
from pathaudit.io.schema import DAYS_PER_YEAR


def _left_flag(ld: LoadContext, s: pd.DataFrame, t: str, present: list[str]) -> pd.DataFrame:
    """Rows marked as left need a termination date; a date wins over a 'not left' flag.

    Leavers without a date are left out of careers, pay and rates and kept aside in
    ``ld.leavers`` for the leaver share by track and grade. Without a ``left`` column and
    without a ``termination_date`` column, a termination type (a status such as
    "Resigned") marks a leaver.
    """
    left = s["left"]
    if "left" not in present and "termination_date" not in present:
        left = left.where(s["termination_type"].isna(), "true")
    left_flag = left == "true"
    dateless = (left_flag & s["termination_date"].isna()).to_numpy(dtype=bool, na_value=False)
    ld.leavers = s.loc[dateless].assign(left="true")
    s = ld.exclude(
        s,
        dateless,
        t,
        "left_without_date",
        "people marked as left without a termination date are left out of careers, pay and "
        "rates (their exit cannot be placed in time); they count in the leaver share by track "
        "and grade (attrition part leaver_share)",
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


def hire_from_tenure(ld: LoadContext, s: pd.DataFrame, t: str, present: list[str]) -> pd.Series:
    """Hire dates of people still employed from their tenure, where the hire date is empty.

    Tenure (``tenure_years`` or ``tenure_months``) is counted back from the extract date.
    A column of whole numbers is a completed count (4 years means 4 to 5 years), so its
    midpoint is used: 4 years -> 4.5 years before the extract date. Fractional tenure is
    used as given. Counted as ``hire_date_from_tenure`` (repaired).
    """
    hire = s["hire_date"]
    for col, days_per in (("tenure_years", DAYS_PER_YEAR), ("tenure_months", DAYS_PER_YEAR / 12)):
        if col not in present:
            continue
        tenure = s[col].astype("float64")
        whole = bool(np.all(np.equal(np.floor(tenure.dropna()), tenure.dropna())))
        # people still employed only: a leaver's tenure ends on a day the extract is not
        fill = hire.isna() & tenure.notna() & (tenure >= 0) & s["termination_date"].isna()
        if not fill.any():
            continue
        years = tenure + (0.5 if whole else 0.0)
        days = (years * days_per).round()
        hire = hire.where(~fill, ld.extract - pd.to_timedelta(days.where(fill, 0), unit="D"))
        how = "whole numbers, each taken at its midpoint (n + 0.5)" if whole else "as given"
        ld.record(
            s,
            fill.to_numpy(),
            t,
            "hire_date_from_tenure",
            "repaired",
            f"hire date of people still employed counted back from the extract date "
            f"{ld.extract.date()} by {col} ({how})",
            column=col,
        )
    return hire.astype("datetime64[ns]")


def check_snapshot(
    ld: LoadContext, s: pd.DataFrame, present: list[str] | None = None
) -> pd.DataFrame:
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
    present = list(s.columns) if present is None else present
    s = ld.drop_blank(s, t)
    s = ld.drop_missing(s, t, ["employee_id", "track", "level"])
    s = ld.drop_duplicates(s, t)
    ld.fatal_duplicates(s, t, "employee_id", "duplicate_person", DUPLICATE_PERSON)
    s = _left_flag(ld, s, t, present)
    s = s.assign(hire_date=hire_from_tenure(ld, s, t, present))
    if not {"hire_date", "tenure_years", "tenure_months"} & set(present):
        ld.q.add(
            t,
            "no_hire_date",
            "note",
            len(s),
            "the export has no hire date nor tenure: each person is taken as hired on the "
            "date of their current job (as-of), so only pay on as-of can be analysed; "
            "tenure, careers and rates cannot (map hire_date, tenure_years or tenure_months)",
            file=ld.labels.get(t, ""),
        )
        s = s.assign(hire_date=s["hire_date"].fillna(ld.as_of))
    s = ld.drop_missing(s, t, ["hire_date"])
    s = exclude_impossible_dates(ld, s, t, "people")
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


def graded_leavers(ld: LoadContext, ladder: pd.DataFrame | None) -> pd.DataFrame | None:
    """The leavers without a termination date (``ld.leavers``), with their grade.

    They were counted once, as ``left_without_date``; here they are only given the grade
    of their last (track, level) for the leaver share: the ladder's grade on as-of, or
    the export's grade column. Label filters of ``[filters]`` apply to them as to everyone
    (not counted again). Leavers whose level has no grade keep an empty grade.
    """
    lv = ld.leavers
    if lv is None or not len(lv):
        return None
    lv = lv.assign(effective_date=ld.as_of)
    keep = np.ones(len(lv), dtype=bool)
    for key, column in LABEL_FILTER_COLUMNS.items():
        if key in ld.cmap.filters:
            wanted = {str(v).casefold() for v in ld.cmap.filters[key]}
            keep &= ~lv[column].astype(str).str.casefold().isin(wanted).to_numpy()
    lv = lv.loc[keep]
    if ld.grade_column:
        return lv.assign(grade=lv["grade"].astype("Int64"))
    if ladder is None or not len(lv):
        return lv.assign(grade=pd.array([pd.NA] * len(lv), dtype="Int64"))
    return lv.assign(grade=assign_grades(lv, ladder, date_column="effective_date"))
