"""Phase 2 of loading, pay: FTE, the FTE pay rate and currencies of every job record.

``pay`` = ``base_salary`` (or ``base_salary / fte`` with ``salary_basis = "actual"``)
times the ``[fx]`` rate of the record's currency. Missing FTE reads as full time; FTE
outside 0 to 1.5 is fatal; zero or negative pay is set to missing (the record is kept
for careers); pay in several currencies without ``[fx]`` rates is fatal; pay far from
the rest of its grade is noted (kept).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.io._context import LoadContext
from pathaudit.io._messages import (
    BLANK_CURRENCY,
    FTE_OUT_OF_RANGE,
    MISSING_FX_RATE,
    MIXED_CURRENCIES,
    rows_text,
)
from pathaudit.io.mapping import PAY_PERIODS


def _fte(ld: LoadContext, h: pd.DataFrame, table: str, present: list[str]) -> pd.Series:
    """FTE as a fraction of full time, missing read as 1; out-of-range values are fatal."""
    fte = h["fte"].astype("float64")
    if ld.cmap.fte_unit == "percent":
        fte = fte / 100.0
    if "fte" not in present:
        ld.q.add(
            table,
            "no_fte_column",
            "note",
            len(h),
            "the export has no FTE column: everyone is taken as full time (fte = 1)",
            file=ld.labels[table],
        )
    out_of_range = ((fte < 0) | (fte > 1.5)).fillna(False).to_numpy()
    if out_of_range.any():
        rows = h["row"].to_numpy()[out_of_range]
        example = h["fte"].to_numpy()[out_of_range][0]
        ld.fatal_rows(
            table,
            "fte_out_of_range",
            FTE_OUT_OF_RANGE,
            rows,
            column="fte",
            example=f"{example:g}",
            row=rows[0],
        )
    if "fte" in present:
        ld.record(
            h,
            fte.isna().to_numpy(),
            table,
            "missing_fte",
            "repaired",
            "missing FTE read as 1 (full time)",
            column="fte",
        )
    return fte.fillna(1.0)


WEEKS_PER_YEAR = 52.0
"""Weeks of pay in a year (weekly pay x 52; also contracted weekly hours x 52)."""
PERIODS_PER_YEAR: dict[str, float] = {"year": 1.0, "month": 12.0, "week": WEEKS_PER_YEAR}
"""Pay figures per year by pay period (hourly pay: see :func:`annual_pay`)."""


def _fte_from_hours(ld: LoadContext, h: pd.DataFrame, table: str) -> pd.DataFrame:
    """FTE from weekly contracted hours where the export has no FTE column."""
    hours = h["contracted_hours"].astype("float64")
    fte = hours * WEEKS_PER_YEAR / ld.cmap.hours_per_year
    ld.record(
        h,
        hours.notna().to_numpy(),
        table,
        "fte_from_hours",
        "repaired",
        f"no FTE column: FTE = contracted weekly hours x {WEEKS_PER_YEAR:g} / hours_per_year "
        f"({ld.cmap.hours_per_year:g})",
        column="contracted_hours",
    )
    return h.assign(fte=fte)


def annual_pay(ld: LoadContext, h: pd.DataFrame, table: str, present: list[str]) -> pd.DataFrame:
    """``base_salary`` as an annual figure, from the pay period of each row.

    The period is the row's ``pay_period`` (a column of the export, mapped through
    ``[values.pay_period]``), else ``[export] pay_period`` (default ``"year"``). Monthly
    pay is x 12, weekly x 52. Hourly pay: with ``salary_basis = "fte"`` the full-time
    annual rate is the hourly rate x ``hours_per_year`` (default 2080 = 40 x 52, a US
    convention); with ``salary_basis = "actual"`` the annual pay is the hourly rate x the
    hours actually contracted: weekly ``contracted_hours`` x 52 where given, else
    ``hours_per_year`` x FTE. Converted rows are counted (``pay_period``, repaired).
    """
    default = ld.cmap.pay_period
    given_column = "pay_period" in present and "pay_period" in h
    if not given_column and (default == "year" or "base_salary" not in present or h.empty):
        return h  # every record paid by the year (as the test below finds, without a column)
    period = pd.Series(default, index=h.index, dtype=object)
    if "pay_period" in present and "pay_period" in h:
        given = h["pay_period"].astype(object).str.casefold()
        bad = given.notna() & ~given.isin(PAY_PERIODS)
        if bad.any():
            rows = h["row"].to_numpy()[bad.to_numpy()]
            values = ", ".join(f"'{v}'" for v in pd.unique(h.loc[bad, "pay_period"].astype(str)))
            ld.fatal(
                table,
                "unknown_pay_period",
                len(rows),
                f"Pay period {values} in {ld.labels[table]} (rows {rows_text(rows)}) is not one "
                "of year, month, week, hour. Map it in the column map: [values.pay_period] "
                '"Monthly" = "month".',
                rows=rows,
                column="pay_period",
            )
        period = given.where(given.isin(PAY_PERIODS), period)
    if (period == "year").all() or "base_salary" not in present:
        return h
    base = h["base_salary"].astype("float64")
    factor = period.map(PERIODS_PER_YEAR).astype("float64")
    hourly = (period == "hour").to_numpy()
    if hourly.any():
        hours = pd.Series(ld.cmap.hours_per_year, index=h.index, dtype="float64")
        if ld.cmap.salary_basis == "actual":
            hours = hours * h["fte"].astype("float64")
            if "contracted_hours" in present and "contracted_hours" in h:
                weekly = h["contracted_hours"].astype("float64") * WEEKS_PER_YEAR
                hours = weekly.where(weekly.notna(), hours)
        factor = factor.where(~hourly, hours)
    converted = (period != "year").to_numpy() & base.notna().to_numpy()
    for name in ("month", "week", "hour"):
        ld.record(
            h,
            converted & (period == name).to_numpy(),
            table,
            "pay_period",
            "repaired",
            f"base pay given per {name} converted to an annual figure ("
            + {"month": "x 12", "week": f"x {WEEKS_PER_YEAR:g}"}.get(
                name,
                f"x hours per year: {ld.cmap.hours_per_year:g} for a full-time rate, or the "
                "contracted hours with salary_basis = 'actual'",
            )
            + ")",
            column="base_salary",
        )
    return h.assign(base_salary=base * factor)


def fte_and_pay(ld: LoadContext, h: pd.DataFrame, table: str, present: list[str]) -> pd.DataFrame:
    """FTE repaired, currencies checked and the FTE pay rate ``pay`` added.

    ``present``: the canonical columns found in the export (a column that is absent is
    noted once, not per record).
    """
    if "fte" not in present and "contracted_hours" in present and "contracted_hours" in h:
        h = _fte_from_hours(ld, h, table)
        present = [*present, "fte"]
    fte = _fte(ld, h, table, present)
    h = h.assign(fte=fte)
    h = annual_pay(ld, h, table, present)
    base = h["base_salary"].astype("float64")
    pay = base.copy()
    if "base_salary" not in present:
        ld.q.add(
            table,
            "no_pay_column",
            "note",
            len(h),
            "the export has no base pay column: pay analyses cannot run",
            file=ld.labels[table],
        )
    else:
        ld.record(
            h,
            base.isna().to_numpy(),
            table,
            "missing_pay",
            "note",
            "records without base pay are kept for careers; pay analyses leave them out",
            column="base_salary",
        )
        nonpos = (base <= 0).fillna(False).to_numpy()
        if ld.record(
            h,
            nonpos,
            table,
            "nonpositive_pay",
            "repaired",
            "zero or negative base pay is not a pay rate: pay set to missing for these "
            "records (kept for careers)",
            column="base_salary",
            ids=True,
        ):
            pay = pay.where(~nonpos)
    if ld.cmap.salary_basis == "actual":
        zero = (fte == 0).to_numpy() & pay.notna().to_numpy()
        ld.record(
            h,
            zero,
            table,
            "zero_fte_pay",
            "note",
            "with salary_basis = 'actual', FTE pay of records with fte = 0 is undefined "
            "(pay set to missing)",
            column="fte",
        )
        pay = (pay / fte.where(fte > 0)).where(~pd.Series(zero, index=pay.index))
    h = check_currencies(ld, h, table, present)
    fx = ld.cmap.fx
    if fx is not None and "currency" in h:
        rate = h["currency"].map(fx).astype("float64")
        pay = pay * rate
    h = h.assign(pay=pay.astype("float64"))
    note_implausible_pay(ld, h, table)
    return h


def _blank_currencies(
    ld: LoadContext, h: pd.DataFrame, table: str, missing: np.ndarray, found: pd.Series
) -> None:
    """Fatal: empty currency cells in an export with several currencies and no default.

    The fix is to say which currency an empty cell means (``[export] currency``), not
    to add an exchange rate.
    """
    rows = h["row"].to_numpy()[missing]
    usual = str(found.index[0]) if len(found) else "EUR"
    ld.fatal_rows(
        table,
        "missing_currency",
        BLANK_CURRENCY,
        rows,
        column="currency",
        example=usual,
    )


def check_currencies(
    ld: LoadContext, h: pd.DataFrame, table: str, present: list[str]
) -> pd.DataFrame:
    """Fill missing currencies where one is known; fatal for pay that cannot be converted.

    A missing currency gets ``[export] currency``, else the only currency found.
    Without ``[fx]``, more than one currency (or missing ones that cannot be filled)
    is fatal; with ``[fx]``, a currency without a rate is.
    """
    label = ld.labels[table]
    fx = ld.cmap.fx
    cur = h["currency"]
    default = ld.cmap.config["export"].get("currency")
    if "currency" not in present:
        if default is not None:
            return h.assign(currency=pd.Series(default, index=h.index, dtype=str))
        return h
    found = cur.dropna().value_counts()
    missing = cur.isna().to_numpy()
    fill = default if default is not None else (found.index[0] if len(found) == 1 else None)
    if fill is not None and ld.record(
        h,
        missing,
        table,
        "missing_currency",
        "repaired",
        f"records without a currency were given {fill} "
        + ("([export] currency)" if default is not None else "(the only currency found)"),
        column="currency",
    ):
        h = h.assign(currency=cur.fillna(fill))
        found = h["currency"].value_counts()
    if fx is None:
        if missing.any() and fill is None and len(found) > 1:
            _blank_currencies(ld, h, table, missing, found)
        if len(found) > 1 or (missing.any() and fill is None):
            counts = ", ".join(f"{c}: {n} rows" for c, n in found.items())
            if missing.any() and fill is None:
                counts += f", missing: {int(missing.sum())} rows"
            first = str(found.index[0])
            other = str(found.index[1]) if len(found) > 1 else "USD"
            ld.fatal(
                table,
                "mixed_currencies",
                int(len(h)),
                MIXED_CURRENCIES.format(
                    file=label, k=len(found), counts=counts, first=first, other=other
                ),
                column="currency",
            )
        return h
    no_rate = ~h["currency"].isin(list(fx)) & h["currency"].notna()
    if missing.any() and fill is None:
        _blank_currencies(ld, h, table, missing, found)
    if no_rate.any():
        rows = h.loc[no_rate, "row"].to_numpy()
        curs = sorted(h.loc[no_rate, "currency"].dropna().unique())
        ld.fatal_rows(
            table,
            "missing_fx_rate",
            MISSING_FX_RATE,
            rows,
            column="currency",
            currencies=", ".join(curs) if curs else "records without a currency",
            example=curs[0] if curs else "USD",
            reporting=ld.cmap.reporting_currency,
        )
    return h


PAY_ROBUST_SDS = 5.0
"""Pay further than this many robust standard deviations of log pay from its grade's median
is implausible (noted)."""
PAY_MIN_SPREAD = 0.1
"""Smallest robust standard deviation of log pay used (a grade where nearly everyone earns
the same would otherwise flag any difference)."""
PAY_MIN_RECORDS = 10
"""Records with pay a grade needs before its median and spread are used."""
PAY_FLOOR_SHARE = 0.1
"""Pay below this share of the export's median pay is implausible in any grade (noted)."""


def implausible_pay(pay: pd.Series, grade: pd.Series) -> np.ndarray:
    """Which pay values are implausible: far from their grade, or below a floor.

    Parameters
    ----------
    pay
        FTE pay per record (missing and non-positive values are never flagged).
    grade
        The grade of each record.

    Returns
    -------
    numpy.ndarray
        ``bool`` per record.

    Notes
    -----
    On the log scale, per grade with at least :data:`PAY_MIN_RECORDS` records with
    pay: median ``m`` and robust standard deviation ``s = max(1.4826 * MAD,
    PAY_MIN_SPREAD)``; a record is flagged when ``|log pay - m| > PAY_ROBUST_SDS * s``.
    In every grade, pay below ``PAY_FLOOR_SHARE`` times the median pay of all
    records is flagged (a monthly or hourly figure in an annual column, a lost
    digit). Median and MAD are not moved by the outliers they are to find.
    """
    ok = (pay > 0).fillna(False).to_numpy(dtype=bool)
    flag = np.zeros(len(pay), bool)
    if not ok.any():
        return flag
    lp = pd.Series(np.log(pay.to_numpy(dtype="float64")[ok]))
    # grades as codes; a record without a grade is in no group (as grouping on text left it)
    codes = pd.factorize(grade[ok])[0]
    g = np.where(codes >= 0, codes, np.nan)
    by = lp.groupby(g, sort=False)
    med = by.transform("median")
    dev = (lp - med).abs()
    mad = dev.groupby(g, sort=False).transform("median")
    spread = np.maximum(1.4826 * mad, PAY_MIN_SPREAD)
    enough = by.transform("size") >= PAY_MIN_RECORDS
    far = enough & (dev > PAY_ROBUST_SDS * spread)
    low = lp < np.log(PAY_FLOOR_SHARE) + float(lp.median())
    flag[ok] = (far | low).to_numpy(dtype=bool)
    return flag


def note_implausible_pay(ld: LoadContext, h: pd.DataFrame, table: str) -> None:
    """Note records whose FTE pay is implausible (:func:`implausible_pay`); kept."""
    if "grade" not in h or not h["pay"].notna().any():
        return
    ld.record(
        h,
        implausible_pay(h["pay"], h["grade"]),
        table,
        "implausible_pay",
        "note",
        f"FTE pay far from the rest of its grade (log pay more than {PAY_ROBUST_SDS:g} "
        "robust standard deviations from the grade median) or below a tenth of the median "
        "pay of the export: kept; check these values (an hourly or monthly figure in an "
        "annual column, a missing or extra digit)",
        column="base_salary",
        ids=True,
    )
