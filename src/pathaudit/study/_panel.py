"""The unit x quarter panel of the turnover study, from the exposure table and adoption dates."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.derived.calendar import (
    days_since_epoch,
    fiscal_month_offset,
    quarter_index,
    quarter_parts,
    quarter_start_day,
)
from pathaudit.errors import InputError

AdoptionQuarter = Literal["leave_out", "treated"]

PANEL_COLUMNS = (
    "org_unit",
    "period",
    "quarter",
    "person_years",
    "voluntary",
    "involuntary",
    "people",
    "hires",
    "ic_moves_out",
    "voluntary_per_100py",
    "involuntary_per_100py",
    "first_treated",
    "adoption_date",
    "weight",
)
"""Columns of the study panel (one row per unit and fiscal quarter with person-time)."""


def _quarter_of(days: np.ndarray, offset: int) -> np.ndarray:
    return quarter_index(days, offset)


def study_panel(
    data: AuditData, adoption_quarter: AdoptionQuarter = "leave_out"
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Unit x quarter voluntary and involuntary exits, person-time, hires and IC moves out.

    People count in the unit they were in at the time (the exposure table splits person-time
    at every change of unit). ``first_treated`` is the period number of the first full
    fiscal quarter on or after the unit's adoption date (0: never adopts within the data);
    with ``adoption_quarter="treated"`` it is the quarter that contains the adoption date.
    ``weight`` is the unit's average quarterly person-time before the first adoption in the
    data (its quarters with person-time before then); a unit with none gets its average over
    all its quarters. Returns the panel and the units left out (unit -> reason).
    """
    counts, left_out = unit_quarter_counts(data)
    return panel_from_counts(
        counts, left_out, history_start=data.history_start, as_of=data.as_of,
        fiscal_year_start_month=data.fiscal_year_start_month, adoption=data.adoption,
        adoption_quarter=adoption_quarter,
    )


COUNT_COLUMNS = ("org_unit", "q", "person_years", "voluntary", "involuntary", "people", "hires",
                 "ic_moves_out")
"""Columns of :func:`unit_quarter_counts`: the panel's person-level aggregation."""


def unit_quarter_counts(data: AuditData) -> tuple[pd.DataFrame, dict[str, str]]:
    """Person-time, exits, people, hires and IC moves out per unit and absolute fiscal quarter.

    The one step of :func:`study_panel` that reads person-level rows (the exposure table);
    ``q`` is :func:`~pathaudit.derived.calendar.quarter_index` of each interval's start.
    Returns :data:`COUNT_COLUMNS` and the rows left out (no org unit), for
    :func:`panel_from_counts`.
    """
    ex = data.exposure
    offset = fiscal_month_offset(data.fiscal_year_start_month)
    start_days, _ = days_since_epoch(ex["start"])
    q = _quarter_of(start_days, offset)
    unit = ex["org_unit"].astype("string")
    frame = pd.DataFrame(
        {
            "org_unit": unit,
            "q": q,
            "py": ex["person_years"].to_numpy(dtype=float),
            "vol": (ex["event"] == "exit_voluntary").to_numpy(),
            "invol": (ex["event"] == "exit_involuntary").to_numpy(),
            "employee_id": ex["employee_id"].to_numpy(),
        }
    )
    left_out: dict[str, str] = {}
    missing_unit = frame["org_unit"].isna()
    if missing_unit.any():
        left_out["(no org unit)"] = f"{int(missing_unit.sum())} exposure rows have no org_unit"
        frame = frame[~missing_unit]
    # hires into a unit: the first interval of an episode; IC moves out: an IC whose next
    # interval is in another unit, or who switches track while moving
    ordered = ex.loc[frame.index].sort_values(["employee_id", "episode", "start"])
    same = (ordered["employee_id"].shift(-1) == ordered["employee_id"]) & (
        ordered["episode"].shift(-1) == ordered["episode"]
    )
    moves = (
        same & (ordered["org_unit"].shift(-1) != ordered["org_unit"]) & (ordered["track"] == "IC")
    )
    first = ~(
        (ordered["employee_id"].shift(1) == ordered["employee_id"])
        & (ordered["episode"].shift(1) == ordered["episode"])
    )
    hired_in = first & (ordered["tenure"] < 0.5 / 365.25)
    frame["hire"] = hired_in.reindex(frame.index).to_numpy()
    frame["move_out"] = moves.reindex(frame.index).to_numpy()
    panel = (
        frame.groupby(["org_unit", "q"], observed=True)
        .agg(
            person_years=("py", "sum"),
            voluntary=("vol", "sum"),
            involuntary=("invol", "sum"),
            people=("employee_id", "nunique"),
            hires=("hire", "sum"),
            ic_moves_out=("move_out", "sum"),
        )
        .reset_index()
    )
    return panel, left_out


def panel_from_counts(
    counts: pd.DataFrame,
    left_out: dict[str, str],
    *,
    history_start: pd.Timestamp,
    as_of: pd.Timestamp,
    fiscal_year_start_month: int,
    adoption: pd.DataFrame | None,
    adoption_quarter: AdoptionQuarter = "leave_out",
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The study panel from :func:`unit_quarter_counts` (computed on any engine).

    Keeps full fiscal quarters with person-time, numbers them, adds the rates, the first
    treated period from the adoption dates and the unit weights (see :func:`study_panel`).
    ``left_out`` (unit -> reason) is extended and returned with the panel.
    """
    panel = counts
    left_out = dict(left_out)
    offset = fiscal_month_offset(fiscal_year_start_month)
    # quarters cut by the as-of date or history start are partial: keep only full quarters
    first_q = int(
        _quarter_of(np.array([days_since_epoch(pd.Series([history_start]))[0][0]]), offset)[0]
    )
    hs_day = days_since_epoch(pd.Series([history_start]))[0][0]
    if quarter_start_day(np.array([first_q]), offset)[0] < hs_day:
        first_q += 1
    asof_day = days_since_epoch(pd.Series([as_of]))[0][0] + 1
    last_q = int(_quarter_of(np.array([asof_day]), offset)[0]) - 1
    panel = panel[(panel["q"] >= first_q) & (panel["q"] <= last_q)]
    panel = panel[panel["person_years"] > 0].copy()
    panel["period"] = (panel["q"] - first_q + 1).astype(np.int64)
    panel["quarter"] = quarter_parts(panel["q"].to_numpy(), offset)[2].to_numpy()
    panel["voluntary_per_100py"] = 100.0 * panel["voluntary"] / panel["person_years"]
    panel["involuntary_per_100py"] = 100.0 * panel["involuntary"] / panel["person_years"]
    # adoption dates -> first treated period
    if adoption is None or adoption.empty:
        raise InputError(
            "dual_ladder_study needs the adoption table (org_unit, adoption_date): the date "
            "each unit's dual ladder took effect. Add it to the export and name it in the "
            "column map ([tables] adoption = 'adoption.csv')."
        )
    adopt = adoption.assign(org_unit=adoption["org_unit"].astype("string"))
    unknown = sorted(set(adopt["org_unit"]) - set(panel["org_unit"]))
    for u in unknown:
        left_out[str(u)] = "in the adoption table but has no person-time in the data"
    a_days, _ = days_since_epoch(adopt["adoption_date"])
    a_q = _quarter_of(a_days, offset)
    on_start = quarter_start_day(a_q, offset) == a_days
    if adoption_quarter == "treated":
        g_q = a_q
    else:
        g_q = np.where(on_start, a_q, a_q + 1)
    g_map = dict(zip(adopt["org_unit"], g_q - first_q + 1, strict=True))
    date_map = dict(zip(adopt["org_unit"], adopt["adoption_date"], strict=True))
    panel["first_treated"] = panel["org_unit"].map(g_map).fillna(0).astype(np.int64)
    panel["adoption_date"] = panel["org_unit"].map(date_map)
    # adopted before the first full quarter: no pre-period, cannot be compared
    early = panel.groupby("org_unit")["first_treated"].first()
    early = early[(early > 0) & (early <= 1)]
    for u in early.index:
        left_out[str(u)] = "adopted before the first quarter of the data (no pre-period)"
    panel = panel[~panel["org_unit"].isin(early.index)]
    # adopted after the last quarter: never treated within the data
    last_period = int(panel["period"].max()) if len(panel) else 0
    panel.loc[panel["first_treated"] > last_period, "first_treated"] = 0
    # unit weights: average quarterly person-time before the first adoption in the data
    adopters = panel.loc[panel["first_treated"] > 0, "first_treated"]
    cut = int(adopters.min()) if len(adopters) else last_period + 1
    pre = panel[panel["period"] < cut].groupby("org_unit")["person_years"].mean()
    overall = panel.groupby("org_unit")["person_years"].mean()
    panel["weight"] = panel["org_unit"].map(pre).fillna(panel["org_unit"].map(overall))
    panel = panel.sort_values(["org_unit", "period"]).reset_index(drop=True)
    return panel[list(PANEL_COLUMNS)], left_out
