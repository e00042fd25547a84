"""From an AuditData to one row per person: the pay the law counts, on a period or a date.

``pay_segments`` cuts every employment episode into the stretches of one job record
(``[start, stop)``, days); the EU frame integrates them over the reference period and the UK
frame reads the one in force on the snapshot date. Every rule is written in
``docs/pay-gap-reporting.md``:

- base pay is actual pay, not the FTE rate: ``pay * fte`` (``pay`` is the loader's FTE rate
  in the reporting currency);
- weekly hours are ``contracted_hours`` where the export has them, else ``fte *
  full_time_hours`` (a stated assumption: the gaps and quartiles do not depend on the value
  of ``full_time_hours``, only hourly pay levels do);
- a bonus paid is one ``(employee_id, bonus_paid_date)`` with the amount of its last record
  in file order (an export that repeats the bonus on later job records counts it once);
- ``variable_pay`` and ``equity`` are annual amounts as exported, converted with the
  ``[fx]`` rate of the record's currency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.paygap._formulas import gender_group

WEEKS_PER_YEAR = 365.25 / 7
"""Weeks in a year of 365.25 days."""

DAY = pd.Timedelta(days=1)


def _fx(data: AuditData, currency: pd.Series) -> np.ndarray:
    """The ``[fx]`` rate of each record's currency (1 without a table or a rate)."""
    fx = {
        k: float(v)
        for k, v in (data.config.get("fx") or {}).items()
        if k != "reporting_currency" and isinstance(v, (int, float))
    }
    if not fx:
        return np.ones(len(currency))
    return currency.astype(object).map(fx).fillna(1.0).to_numpy(dtype=float)


def _col(frame: pd.DataFrame, name: str, kind: str = "float") -> pd.Series:
    """A column of ``frame``, or missing values where the table does not have it."""
    if name in frame:
        return frame[name].astype(float) if kind == "float" else frame[name].astype("string")
    if kind == "float":
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.Series(pd.NA, index=frame.index, dtype="string")


def pay_segments(data: AuditData) -> pd.DataFrame:
    """Every job record as the stretch of employment it covers, with the person's sex group.

    Returns
    -------
    pandas.DataFrame
        One row per history record: ``employee_id, episode, start, stop`` (``[start,
        stop)``: the episode's first record starts on the hire date; a record stops at the
        next record, the day after termination, or the day after as-of), ``track, grade,
        base`` (actual annual base pay, ``pay * fte``), ``fte, hours`` (weekly contracted
        hours, NaN when not exported), ``variable, equity`` (annual, reporting currency),
        ``reduced_pay_leave, legal_employer, sex`` (a :data:`SEX_GROUPS` value).
    """
    h = data.history
    keys = ["employee_id", "episode"]
    people = data.people[
        keys + ["hire_date", "termination_date"] + (["gender"] if "gender" in data.people else [])
    ]
    d = h.merge(people, on=keys, how="left", sort=False)
    first = (d.groupby(keys, sort=False).cumcount() == 0).to_numpy()
    nxt = d.groupby(keys, sort=False)["effective_date"].shift(-1)
    end = (d["termination_date"] + DAY).fillna(data.as_of + DAY)
    end = end.where(end <= data.as_of + DAY, data.as_of + DAY)
    stop = nxt.where(nxt.notna() & (nxt < end), end)
    start = d["effective_date"].where(~first, d["hire_date"])
    fte = _col(d, "fte").fillna(1.0)
    rate = _fx(data, d["currency"]) if "currency" in d else np.ones(len(d))
    gender = d["gender"] if "gender" in d else pd.Series(pd.NA, index=d.index, dtype="string")
    return pd.DataFrame(
        {
            "employee_id": d["employee_id"].to_numpy(),
            "episode": d["episode"].to_numpy(),
            "row": d["row"].to_numpy(),
            "start": start.to_numpy(),
            "stop": stop.to_numpy(),
            "track": d["track"].astype(str).to_numpy(),
            "grade": d["grade"].astype("Int64").to_numpy(),
            "base": (d["pay"].astype(float) * fte).to_numpy(),
            "fte": fte.to_numpy(),
            "hours": _col(d, "contracted_hours").to_numpy(),
            "variable": (_col(d, "variable_pay") * rate).to_numpy(),
            "equity": (_col(d, "equity") * rate).to_numpy(),
            "reduced_pay_leave": _col(d, "reduced_pay_leave", "str").to_numpy(),
            "legal_employer": _col(d, "legal_employer", "str").to_numpy(),
            "sex": gender_group(gender).to_numpy(),
        }
    )


def bonuses_paid(data: AuditData) -> pd.DataFrame:
    """Every bonus paid: ``employee_id, date, amount`` (reporting currency), one per payment.

    Empty when the export has no ``bonus_paid`` with ``bonus_paid_date``.
    """
    h = data.history
    if "bonus_paid" not in h or "bonus_paid_date" not in h:
        b = h.iloc[:0]
    else:
        b = h.loc[(h["bonus_paid"].notna() & h["bonus_paid_date"].notna()).to_numpy()]
    if b.empty:
        return pd.DataFrame(
            {
                "employee_id": pd.Series(dtype=str),
                "date": pd.Series(dtype="datetime64[ns]"),
                "amount": pd.Series(dtype=float),
            }
        )
    rate = _fx(data, b["currency"]) if "currency" in b else np.ones(len(b))
    out = pd.DataFrame(
        {
            "employee_id": b["employee_id"].to_numpy(),
            "date": b["bonus_paid_date"].to_numpy(),
            "amount": b["bonus_paid"].astype(float).to_numpy() * rate,
            "row": b["row"].to_numpy(),
        }
    )
    out = out.sort_values("row", kind="stable").drop_duplicates(
        ["employee_id", "date"], keep="last"
    )
    return out.drop(columns="row").reset_index(drop=True)


def has_values(data: AuditData, column: str) -> bool:
    """Whether the export gives ``column`` of the history for anyone."""
    return column in data.history and bool(data.history[column].notna().any())


@dataclass(frozen=True)
class Assumptions:
    """What the frames assume where the export is silent (each one said in the notes)."""

    full_time_hours: float
    include_equity: bool


def eu_frame(
    data: AuditData, start: pd.Timestamp, end: pd.Timestamp, assume: Assumptions
) -> pd.DataFrame:
    """One row per worker employed on any day of the reference period ``[start, end]``.

    Returns
    -------
    pandas.DataFrame
        ``employee_id, sex, track, grade, legal_employer`` (on the last day employed in
        the period), ``days`` (employed in the period), ``basic`` (annual actual base pay,
        averaged over the days employed), ``variable`` (bonuses paid in the period where
        the export has them, else annual variable pay averaged like base; plus annual
        equity when ``include_equity``), ``total = basic + variable``, ``hours`` (annual
        hours: weekly hours averaged over the days employed, times 52.18),
        ``hourly_basic, hourly_variable, hourly_total`` (annual pay / annual hours).
    """
    seg = pay_segments(data)
    lo = seg["start"].where(seg["start"] > start, start)
    hi = seg["stop"].where(seg["stop"] < end + DAY, end + DAY)
    days = (hi - lo).dt.days.clip(lower=0)
    seg = seg.assign(days=days.to_numpy())
    seg = seg.loc[(seg["days"] > 0).to_numpy()].copy()
    hours = seg["hours"].where(seg["hours"].notna(), seg["fte"] * assume.full_time_hours)
    use_paid = has_values(data, "bonus_paid")
    variable = seg["equity"].fillna(0.0) if assume.include_equity else 0.0 * seg["days"]
    if not use_paid:
        variable = variable + seg["variable"].fillna(0.0)
    seg = seg.assign(
        w_basic=seg["base"] * seg["days"],
        w_var=variable * seg["days"],
        w_hours=hours * seg["days"],
        _last=seg["start"],
    )
    seg = seg.sort_values(["employee_id", "_last"], kind="stable")
    g = seg.groupby("employee_id", sort=True)
    out = g.agg(
        days=("days", "sum"),
        w_basic=("w_basic", "sum"),
        w_var=("w_var", "sum"),
        w_hours=("w_hours", "sum"),
        sex=("sex", "last"),
        track=("track", "last"),
        grade=("grade", "last"),
        legal_employer=("legal_employer", "last"),
    )
    out["basic"] = out["w_basic"] / out["days"]
    out["variable"] = out["w_var"] / out["days"]
    if use_paid:
        b = bonuses_paid(data)
        b = b.loc[((b["date"] >= start) & (b["date"] <= end)).to_numpy()]
        out["variable"] = out["variable"] + b.groupby("employee_id")["amount"].sum().reindex(
            out.index
        ).fillna(0.0)
    out["total"] = out["basic"] + out["variable"]
    out["hours"] = out["w_hours"] / out["days"] * WEEKS_PER_YEAR
    for comp in ("basic", "variable", "total"):
        out[f"hourly_{comp}"] = out[comp] / out["hours"]
    out = out.drop(columns=["w_basic", "w_var", "w_hours"]).reset_index()
    return out


def uk_frame(data: AuditData, snapshot: pd.Timestamp, assume: Assumptions) -> pd.DataFrame:
    """One row per relevant employee: employed on the snapshot date.

    Returns
    -------
    pandas.DataFrame
        ``employee_id, sex, track, grade, legal_employer, reduced_pay_leave`` (the record
        in force on the snapshot date), ``full_pay`` (not on reduced-pay leave; True when
        the export has no flag), ``weekly_hours``, ``bonus_in_period`` (bonuses paid in the
        relevant pay period: the calendar month of the snapshot date), ``bonus_12m`` (paid
        in the 12 months ending on the snapshot date), ``hourly`` (regs 3-6: ordinary pay
        plus the pay period's bonus pro-rated to a week, over weekly hours:
        ``(base + bonus_in_period) * 7 / 365.25 / weekly_hours``).
    """
    seg = pay_segments(data)
    on = ((seg["start"] <= snapshot) & (seg["stop"] > snapshot)).to_numpy()
    d = seg.loc[on].sort_values(["employee_id", "start"], kind="stable")
    d = d.drop_duplicates("employee_id", keep="last").set_index("employee_id")
    hours = d["hours"].where(d["hours"].notna(), d["fte"] * assume.full_time_hours)
    month0 = snapshot.to_period("M").start_time
    month1 = snapshot.to_period("M").end_time.normalize()
    year0 = snapshot - pd.DateOffset(years=1)
    b = bonuses_paid(data)
    in_pp = b.loc[((b["date"] >= month0) & (b["date"] <= month1)).to_numpy()]
    in_12 = b.loc[((b["date"] > year0) & (b["date"] <= snapshot)).to_numpy()]
    out = pd.DataFrame(
        {
            "sex": d["sex"],
            "track": d["track"],
            "grade": d["grade"],
            "legal_employer": d["legal_employer"],
            "reduced_pay_leave": d["reduced_pay_leave"],
            "full_pay": (d["reduced_pay_leave"] != "true").fillna(True).astype(bool),
            "base": d["base"],
            "weekly_hours": hours,
            "bonus_in_period": in_pp.groupby("employee_id")["amount"]
            .sum()
            .reindex(d.index)
            .fillna(0.0),
            "bonus_12m": in_12.groupby("employee_id")["amount"].sum().reindex(d.index).fillna(0.0),
        }
    )
    out["hourly"] = (out["base"] + out["bonus_in_period"]) * 7 / 365.25 / out["weekly_hours"]
    return out.reset_index()
