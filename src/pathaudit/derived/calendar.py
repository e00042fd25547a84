"""The fiscal calendar: fiscal years and quarters, their labels and first days.

Every analysis that cuts time by fiscal period (exposure split at quarter
boundaries, rates by year or quarter, turnover by quarter, matched sets by
quarter, indicators by fiscal year) takes its periods from here.

Fiscal quarters
---------------
With ``fiscal_year_start_month = m`` the fiscal year runs from month ``m`` to
month ``m - 1`` of the next calendar year and is named by the calendar year in
which it **ends** (with ``m = 4``, April 2021 - March 2022 is fiscal 2022;
with ``m = 1`` the fiscal year is the calendar year). The label is
``"<fiscal year>Q<quarter>"``, e.g. ``"2022Q1"`` for April-June 2021 when
``m = 4``; labels sort in time order.

Quarters are also numbered absolutely (:func:`quarter_index`): consecutive
integers over time, quarter 0 starting in month ``m`` of 1970, so that
array code can cut and compare quarters without labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.errors import MapError

__all__ = [
    "dates_from_days",
    "days_since_epoch",
    "fiscal_month_offset",
    "fiscal_period_start",
    "fiscal_quarter_start",
    "fiscal_quarters",
    "fiscal_year",
    "fiscal_year_ends",
    "labels_at",
    "quarter_index",
    "quarter_parts",
    "quarter_start_day",
]


def days_since_epoch(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return (days since 1970-01-01 as int64, missing mask) of a date column."""
    d = pd.to_datetime(values).to_numpy().astype("datetime64[D]")
    missing = np.isnat(d)
    out = d.astype(np.int64)
    out[missing] = 0
    return out, missing


def dates_from_days(days: np.ndarray) -> pd.Series:
    """Return int days since 1970 as a ``datetime64[ns]`` Series."""
    return pd.Series(days.astype("datetime64[D]").astype("datetime64[ns]"))


def labels_at(values: np.ndarray, codes: np.ndarray) -> pd.Series:
    """Return ``values[codes]`` as a ``str`` Series (a fast take, not built from objects)."""
    small = pd.Series(pd.array(list(values), dtype="str"))
    return small.iloc[codes].reset_index(drop=True)


def fiscal_month_offset(fiscal_year_start_month: int) -> int:
    """Months from January to the first month of the fiscal year (0-11), checked.

    Raises
    ------
    MapError
        When the start month is not 1-12 (it comes from the column map).
    """
    m = int(fiscal_year_start_month)
    if not 1 <= m <= 12:
        raise MapError(
            "fiscal_year_start_month must be a month number 1-12; found "
            f"{fiscal_year_start_month!r}. Set [export] fiscal_year_start_month in the "
            "column map (1 = January)."
        )
    return m - 1


def quarter_index(days: np.ndarray, offset: int) -> np.ndarray:
    """Absolute fiscal-quarter number of each day (consecutive integers over time).

    ``days`` are days since 1970-01-01; ``offset`` is :func:`fiscal_month_offset`.
    """
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return (months - offset) // 3


def quarter_start_day(qidx: np.ndarray, offset: int) -> np.ndarray:
    """First day (int days since 1970) of absolute fiscal quarter ``qidx``."""
    months = (qidx * 3 + offset).astype("datetime64[M]")
    return months.astype("datetime64[D]").astype(np.int64)


def quarter_parts(qidx: np.ndarray, offset: int) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Fiscal year, quarter of year and label of absolute quarter numbers."""
    base = 1970 + (1 if offset else 0)
    year = base + qidx // 4
    qoy = qidx % 4 + 1
    uniq, inv = np.unique(qidx, return_inverse=True)
    labels = np.array([f"{base + u // 4}Q{u % 4 + 1}" for u in uniq.tolist()], dtype=object)
    return year, qoy, labels_at(labels, inv.ravel())


def fiscal_quarters(dates: object, fiscal_year_start_month: int = 1) -> pd.DataFrame:
    """Fiscal year, quarter and label of dates.

    Parameters
    ----------
    dates
        Anything ``pandas.to_datetime`` reads as a column of dates.
    fiscal_year_start_month
        First month of the fiscal year (1 = January).

    Returns
    -------
    pandas.DataFrame
        ``year`` (fiscal year, named by the calendar year in which it ends),
        ``quarter_of_year`` (1-4) and ``quarter`` (label ``"<year>Q<q>"``).

    Notes
    -----
    With start month ``m`` and ``k = 12 * calendar_year + month - m`` (months
    since the fiscal epoch), ``year = k // 12 + (m != 1)`` and
    ``quarter_of_year = (k % 12) // 3 + 1``.

    Examples
    --------
    >>> fiscal_quarters(["2021-03-31", "2021-04-01"], 4)["quarter"].tolist()
    ['2021Q4', '2022Q1']
    """
    offset = fiscal_month_offset(fiscal_year_start_month)
    days, missing = days_since_epoch(pd.Series(pd.to_datetime(pd.Series(dates))))
    q = quarter_index(days, offset)
    year, qoy, label = quarter_parts(q, offset)
    out = pd.DataFrame(
        {
            "year": pd.array(year, dtype="Int64"),
            "quarter_of_year": pd.array(qoy, dtype="Int64"),
            "quarter": label,
        }
    )
    out.loc[missing, ["year", "quarter_of_year", "quarter"]] = pd.NA
    return out


def fiscal_quarter_start(label: str, fiscal_year_start_month: int = 1) -> pd.Timestamp:
    """First day of a fiscal quarter given its label (inverse of :func:`fiscal_quarters`).

    Parameters
    ----------
    label
        ``"<fiscal year>Q<quarter>"``, e.g. ``"2022Q1"``.
    fiscal_year_start_month
        First month of the fiscal year (1 = January).

    Returns
    -------
    pandas.Timestamp
        The quarter's first day.

    Examples
    --------
    >>> fiscal_quarter_start("2022Q1", 4)
    Timestamp('2021-04-01 00:00:00')
    """
    offset = fiscal_month_offset(fiscal_year_start_month)
    year, q = str(label).split("Q")
    qidx = (int(year) - 1970 - (1 if offset else 0)) * 4 + int(q) - 1
    return pd.Timestamp(dates_from_days(quarter_start_day(np.array([qidx]), offset)).iloc[0])


def fiscal_period_start(labels: pd.Series, fiscal_year_start_month: int = 1) -> pd.Series:
    """First day of each fiscal period label: a year (``"2021"``) or a quarter (``"2021Q3"``)."""
    def one(lab: str) -> pd.Timestamp:
        lab = str(lab)
        return fiscal_quarter_start(lab if "Q" in lab else f"{lab}Q1", fiscal_year_start_month)

    return pd.Series([one(x) for x in labels], index=labels.index)


def fiscal_year(dates: pd.Series, start_month: int = 1) -> pd.Series:
    """Fiscal year of each date: the calendar year in which the fiscal year ends.

    The ``year`` of :func:`fiscal_quarters`, on the index of ``dates``. With
    ``start_month=1`` this is the calendar year. With ``start_month=4``,
    1 April 2021 to 31 March 2022 is fiscal year 2022.
    """
    fiscal_month_offset(start_month)
    years = dates.dt.year
    if start_month == 1:
        return years.astype("Int64")
    return (years + (dates.dt.month >= start_month).astype(int)).astype("Int64")


def fiscal_year_ends(
    first: pd.Timestamp, last: pd.Timestamp, start_month: int = 1
) -> list[pd.Timestamp]:
    """Fiscal-year-end dates from ``first`` up to ``last``.

    Every last day of a fiscal year in ``[first, last]``; then ``last`` itself
    when it is not a year end (the year so far).
    """
    fiscal_month_offset(start_month)
    ends: list[pd.Timestamp] = []
    end_month = 12 if start_month == 1 else start_month - 1
    y = first.year
    while True:
        d = pd.Timestamp(year=y, month=end_month, day=1) + pd.offsets.MonthEnd(0)
        if d > last:
            break
        if d >= first:
            ends.append(d)
        y += 1
    if not ends or ends[-1] < last:
        ends.append(last)
    return ends
