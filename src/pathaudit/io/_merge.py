"""Job and pay histories from two files, merged by person and date into one history.

Large HRIS systems report job changes (track, level, unit...) and pay changes (base pay,
currency...) in separate files, each with its own effective dates. The canonical
history has one record per person per change of either. The merge rules:

1. Every job record carries the pay in force on its date: the person's latest pay
   record effective on or before it (an as-of merge). A job record before the
   person's first pay record has no pay (counted as ``missing_pay`` later).
2. Every pay change is a record too, carrying the job in force on its date: the
   person's latest job record effective on or before it. A pay change on the date of
   a job record is merged into that record (counted as ``pay_merged``); a pay change
   dated before the person's first job record has no job to belong to and is left out
   (``pay_before_job``).
3. Pay columns come from the pay file only when it maps them; the job file keeps any
   it maps itself where the pay file has none.

Rows: the records from the job file keep their rows; records from pay changes are
numbered after them (the pay file's row 1 is row ``n_jobs + 1``), and the history's
label in messages says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.io._context import LoadContext

PAY_FIELDS: tuple[str, ...] = (
    "base_salary",
    "variable_pay",
    "equity",
    "currency",
    "pay_period",
)
"""The columns a pay file provides (where it maps them)."""


def _asof(left: pd.DataFrame, right: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """For each row of ``left``: ``cols`` of the person's latest ``right`` row on or before."""
    lk = left[["_pid", "effective_date"]].reset_index(names="_i")
    rk = right[["_pid", "effective_date", *cols]]
    out = pd.merge_asof(
        lk.sort_values("effective_date", kind="stable"),
        rk.sort_values("effective_date", kind="stable"),
        on="effective_date",
        by="_pid",
        direction="backward",
        allow_exact_matches=True,
    )
    return out.set_index("_i").sort_index()[cols]


def merge_pay(
    ld: LoadContext,
    jobs: pd.DataFrame,
    pay: pd.DataFrame,
    pay_present: list[str],
) -> pd.DataFrame:
    """One history from job records and pay changes (rules in the module docstring).

    Parameters
    ----------
    ld
        The load; the merge's exclusions are counted under ``history``.
    jobs
        The history table after phase 1 (job records).
    pay
        The pay_history table after phase 1.
    pay_present
        The canonical columns the pay file maps.

    Returns
    -------
    pandas.DataFrame
        History records (job records, then pay changes), with ``row``.
    """
    fields = [c for c in PAY_FIELDS if c in pay_present]
    n_jobs = len(jobs)
    ids = pd.unique(pd.concat([jobs["employee_id"].dropna(), pay["employee_id"].dropna()]))
    codes = {v: i for i, v in enumerate(ids)}
    jobs = jobs.assign(_pid=jobs["employee_id"].map(codes).astype("float64"))
    pay = pay.assign(_pid=pay["employee_id"].map(codes).astype("float64"), row=pay["row"] + n_jobs)
    ld.labels["history"] = (
        f"{ld.labels['history']} (rows 1-{n_jobs}) and {ld.labels['pay_history']} "
        f"(as rows {n_jobs + 1}-{n_jobs + len(pay)})"
    )
    for c in ("employee_id", "effective_date"):
        pay = ld.exclude(
            pay,
            pay[c].isna().to_numpy(),
            "history",
            "missing_value",
            f"pay changes without {c} cannot be used and are left out",
            column=c,
        )
    known = jobs.loc[jobs["_pid"].notna() & jobs["effective_date"].notna()]
    # 1. each job record: the pay in force on its date
    if len(known) and len(pay):
        in_force = _asof(known, pay, fields)
        for c in fields:  # the job file keeps its own value where no pay is in force
            has = in_force[c].notna()
            jobs.loc[has.index[has], c] = in_force.loc[has, c].to_numpy()
    # 2. each pay change: the job in force on its date
    job_cols = [c for c in jobs.columns if c not in (*fields, "row", "_pid", "effective_date")]
    job_cols = [c for c in job_cols if c != "employee_id"]
    state = _asof(pay, known, job_cols) if len(known) else pd.DataFrame(index=pay.index)
    created = pay[["employee_id", "effective_date", *fields, "_pid"]].copy()
    for c in job_cols:
        created[c] = state[c].to_numpy() if c in state else np.nan
    created["row"] = pay["row"].to_numpy()
    first_job = known.groupby("_pid")["effective_date"].min()
    before = (
        created["effective_date"] < created["_pid"].map(first_job).fillna(pd.Timestamp.max)
    ).to_numpy()
    created = ld.exclude(
        created,
        before,
        "history",
        "pay_before_job",
        "pay changes dated before the person's first job record (or of a person with no "
        "job record) have no job to belong to and are left out",
        column="effective_date",
        ids=True,
    )
    on_job_date = pd.MultiIndex.from_frame(created[["_pid", "effective_date"]]).isin(
        pd.MultiIndex.from_frame(known[["_pid", "effective_date"]])
    )
    created = ld.exclude(
        created,
        on_job_date,
        "history",
        "pay_merged",
        "pay changes on the date of a job record are merged into that record (one record "
        "per person and date)",
        column="effective_date",
    )
    out = pd.concat([jobs, created[jobs.columns]], ignore_index=True)
    return out.drop(columns="_pid")
