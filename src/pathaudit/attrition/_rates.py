"""Exit rates, IC / M rate ratios, SHRM-style turnover and regretted exits.

Rates are exits per 100 person-years of the working frame (:mod:`pathaudit.attrition._frame`)
with exact Poisson (Garwood) intervals; the IC / M ratio has the exact conditional interval.
Turnover is the HR-dashboard figure: exits / average month-end headcount.
"""

from __future__ import annotations

from typing import Any, TypedDict

import numpy as np
import pandas as pd

from pathaudit.attrition._frame import KINDS, epoch_days, group_totals, sorted_codes
from pathaudit.data import AuditData
from pathaudit.derived._order import in_order
from pathaudit.derived.calendar import fiscal_quarters
from pathaudit.derived.population import distinct_people, exposure_person_codes
from pathaudit.errors import ArgumentError, PathauditError
from pathaudit.io.schema import TRACKS
from pathaudit.stats import (
    adjust_pvalues,
    mde_normal,
    poisson_rate_ci,
    rate_ratio_ci,
    wilson_ci,
)

FREQS: tuple[str, ...] = ("year", "quarter")
"""Calendar (fiscal) periods for rates over time."""

PER = 100.0
"""Rates are per 100 person-years."""


def exit_rates(w: pd.DataFrame, keys: list[str], alpha: float) -> pd.DataFrame:
    """Exits per 100 person-years per group of ``keys`` and kind (long format)."""
    agg = group_totals(w, keys, {"person_years": "person_years",
                                 **{f"events_{k}": f"ev_{k}" for k in KINDS}})
    parts = []
    for kind in KINDS:
        ev = agg[f"events_{kind}"].to_numpy(dtype=float)
        py = agg["person_years"].to_numpy(dtype=float)
        lo, hi = poisson_rate_ci(ev, py, alpha=alpha)
        with np.errstate(invalid="ignore", divide="ignore"):
            est = np.where(py > 0, PER * ev / py, np.nan)
        parts.append(
            agg[keys].assign(
                kind=kind,
                events=ev.astype(np.int64),
                person_years=py,
                estimate=est,
                ci_lower=PER * lo,
                ci_upper=PER * hi,
                n=agg["n"].to_numpy(),
            )
        )
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values([*keys, "kind"], kind="stable", ignore_index=True)


RATIO_COUNTS: tuple[str, ...] = ("n", "n_ic", "n_m")
"""The people counts a rate ratio rests on: it is suppressed when either track is small."""


def rate_ratio(rates: pd.DataFrame, groups: list[str], alpha: float) -> pd.DataFrame:
    """IC / M rate ratio per kind and group, from a rates table that has a ``track`` column."""
    idx = [*groups, "kind"]
    wide = rates.pivot_table(
        index=idx, columns="track", values=["events", "person_years", "n"],
        aggfunc="sum", observed=True, dropna=False,
    )
    rows = []
    for key, r in wide.iterrows():
        key = key if isinstance(key, tuple) else (key,)
        rows.append(
            dict(zip(idx, key, strict=True))
            | {
                "events_ic": r.get(("events", "IC"), np.nan),
                "events_m": r.get(("events", "M"), np.nan),
                "person_years_ic": r.get(("person_years", "IC"), np.nan),
                "person_years_m": r.get(("person_years", "M"), np.nan),
                "n_ic": r.get(("n", "IC"), np.nan),
                "n_m": r.get(("n", "M"), np.nan),
            }
        )
    t = pd.DataFrame(rows, columns=[*idx, "events_ic", "events_m", "person_years_ic",
                                    "person_years_m", "n_ic", "n_m"])
    for c in ("events_ic", "events_m", "person_years_ic", "person_years_m", "n_ic", "n_m"):
        t[c] = pd.to_numeric(t[c], errors="coerce").fillna(0.0).astype(float)
    ok = (t["person_years_ic"] > 0) & (t["person_years_m"] > 0)
    t = t.loc[ok].reset_index(drop=True)
    ratio, lo, hi, p = rate_ratio_ci(
        t["events_ic"], t["person_years_ic"], t["events_m"], t["person_years_m"], alpha=alpha
    )
    with np.errstate(divide="ignore"):
        se_log = np.sqrt(1 / t["events_ic"].to_numpy() + 1 / t["events_m"].to_numpy())
    t = t.assign(
        estimate=ratio, ci_lower=lo, ci_upper=hi, p_value=p,
        mde=np.exp(mde_normal(se_log, alpha=alpha)),
    )
    t["p_adjusted"] = np.nan
    for _, g in t.groupby("kind", sort=False):
        p = g["p_value"].to_numpy()
        t.loc[g.index, "p_adjusted"] = adjust_pvalues(p, "holm") if len(g) > 1 else p
    # the ratio rests on both tracks' people: suppressed when either side is small
    # (RATIO_COUNTS)
    t["n"] = t["n_ic"] + t["n_m"]
    t["events_ic"] = t["events_ic"].astype(np.int64)
    t["events_m"] = t["events_m"].astype(np.int64)
    return t


TURNOVER_REASONS: tuple[str, ...] = tuple(dict.fromkeys(r for rs in KINDS.values() for r in rs))
"""The end reasons turnover counts as exits (every reason of :data:`KINDS`)."""

TURNOVER_COLUMNS: tuple[str, ...] = ("employee_id", "start", "stop", "track", "event",
                                     "year", "quarter")
"""Exposure columns :func:`turnover_counts` reads."""

TURNOVER_DEFINITION = (
    "SHRM-style turnover rate (dashboard figure): exits in the period / average "
    "headcount x 100, average headcount = mean of the headcounts on each month-end in "
    "the period (people employed that day, by track held that day); estimate "
    "annualised by 12 / months observed"
)
"""Definition of the ``turnover`` and ``turnover_quarterly`` parts (every engine)."""

TURNOVER_METHOD = (
    "count of exits and month-end headcounts; CI: exact Poisson treating average "
    "headcount x months / 12 as person-years (approximate)"
)
"""Method of the turnover parts."""

TURNOVER_ANALYSIS: dict[str, str] = {
    "turnover": "Attrition: SHRM-style annual turnover rate (for HR dashboards)",
    "turnover_quarterly": "Attrition: SHRM-style quarterly turnover rate, annualised",
}
"""Title of each turnover part (its period: ``year``, ``quarter``)."""

RATE_DEFINITION = (
    "exits (by kind: voluntary, involuntary, all incl. other) per 100 person-years of "
    "employment, person-time and exits attributed to the track (and attributes) held at "
    "the time; observed window history_start..as_of"
)
"""Definition of the exit-rate parts (``rates``, ``rates_by``, ``over_time``; every engine)."""

RATE_METHOD = "events / person-time of the exposure table; exact Poisson (Garwood) CI"
"""Method of the exit-rate parts."""

RATE_POPULATION = "every employment episode with observed time in the window"
"""Population of every attrition part computed from person-time."""


class PartTexts(TypedDict):
    """The texts of a part's metadata (keyword arguments of ``make_result``)."""

    analysis: str
    definition: str
    method: str
    population: str


def rate_part_texts(part: str, by_cols: list[str] | tuple[str, ...] = (),
                    freq: str = "year") -> PartTexts:
    """Title, definition, method and population of one exit-rate part (every engine).

    ``part`` is one of ``rates``, ``rates_by``, ``rate_ratio``, ``rate_ratio_by``,
    ``over_time``; ``by_cols`` names the attributes of the ``_by`` parts, ``freq`` the fiscal
    period of ``over_time``. The pandas audit and the DuckDB/Dask engines take their texts
    from here, so a part has one definition whichever engine computed it.
    """
    by = ", ".join(by_cols)
    texts = {
        "rates": ("Attrition: exit rates by track", RATE_DEFINITION, RATE_METHOD),
        "rates_by": (f"Attrition: exit rates by track and {by}", RATE_DEFINITION, RATE_METHOD),
        "rate_ratio": (
            "Attrition: IC / M exit rate ratio",
            "IC exit rate / M exit rate (exits per person-year), by kind",
            "exact conditional (binomial) CI and p-value",
        ),
        "rate_ratio_by": (
            f"Attrition: IC / M exit rate ratio by {by}",
            "IC exit rate / M exit rate within each group, by kind",
            "exact conditional (binomial) CI and p-value; Holm-adjusted p-values "
            "across groups within kind; mde from the normal approximation of log ratio",
        ),
        "over_time": (
            f"Attrition: exit rates by track and fiscal {freq}",
            RATE_DEFINITION + f"; by fiscal {freq} of the person-time",
            RATE_METHOD,
        ),
    }
    if part not in texts:
        raise ArgumentError(f"rate_part_texts: unknown part {part!r}; one of {sorted(texts)}")
    analysis, definition, method = texts[part]
    return PartTexts(analysis=analysis, definition=definition, method=method,
                     population=RATE_POPULATION)


def _month_number(col: Any) -> Any:
    """``12 x year + month - 1`` of a date column (a narwhals expression)."""
    import narwhals as nw

    return col.dt.year().cast(nw.Int64) * 12 + col.dt.month().cast(nw.Int64) - 1


def turnover_counts(native: Any) -> dict[str, pd.DataFrame]:
    """The counts turnover is computed from, as group-bys run on the table's own engine.

    Written once in narwhals, like the person-time cells: the same expressions on a pandas
    exposure table in memory, a DuckDB relation or a Dask frame reading canonical Parquet.
    Only what every backend supports is used: indicator and month-number columns made with
    ``with_columns``, then group-bys with ``len``, ``sum`` and ``n_unique``. What comes back
    is small: one row per track and pair of months (an interval's start and stop), and one
    per track and fiscal period.

    Parameters
    ----------
    native
        An exposure table (``schema.EXPOSURE``; at least :data:`TURNOVER_COLUMNS`) in any
        backend narwhals reads.

    Returns
    -------
    dict of pandas.DataFrame
        ``"headcount"``: ``track, start_month, stop_month, intervals``, the number of
        exposure intervals per track whose ``start`` and ``stop`` fall in those months
        (``12 x year + month - 1``): an interval is in the headcount of each month-end
        ``e`` with ``start <= e < stop``. ``"year"`` and ``"quarter"``: ``track`` (``IC``,
        ``M`` and ``all``, every row of the table), ``period`` (the fiscal period of the
        interval, as text), ``people`` (distinct employees with an interval in it) and
        ``exits_<kind>`` (intervals ended by an exit of each kind of :data:`KINDS`).
        Missing track values form their own group (counted in ``all`` only).

    Examples
    --------
    >>> ex = pd.DataFrame({
    ...     "employee_id": ["a", "a", "b"], "track": ["IC", "IC", "M"],
    ...     "start": pd.to_datetime(["2021-01-01", "2021-04-01", "2021-01-01"]),
    ...     "stop": pd.to_datetime(["2021-04-01", "2021-05-10", "2021-06-01"]),
    ...     "event": ["none", "exit_voluntary", "censored"], "year": [2021, 2021, 2021],
    ...     "quarter": ["2021Q1", "2021Q2", "2021Q1"]})
    >>> counts = turnover_counts(ex)
    >>> counts["year"][["track", "period", "people", "exits_voluntary"]].values.tolist()
    [['IC', '2021', 1, 1], ['M', '2021', 1, 0], ['all', '2021', 2, 1]]
    """
    import narwhals as nw

    frame = nw.from_native(native)
    missing = [c for c in TURNOVER_COLUMNS if c not in frame.columns]
    if missing:
        raise ArgumentError(
            f"The exposure table has no column {missing!r}; turnover needs "
            f"{list(TURNOVER_COLUMNS)} (schema.EXPOSURE: write it with 'pathaudit load "
            "--to-parquet')."
        )
    event = nw.col("event")
    frame = frame.select(*TURNOVER_COLUMNS).with_columns(
        *[(event == r).cast(nw.Int64).alias(f"ev_{r}") for r in TURNOVER_REASONS],
        _month_number(nw.col("start")).alias("start_month"),
        _month_number(nw.col("stop")).alias("stop_month"),
    )

    def collect(grouped: Any, keys: list[str]) -> pd.DataFrame:
        grouped = grouped.sort(keys, nulls_last=True)
        if isinstance(grouped, nw.LazyFrame):
            grouped = grouped.collect(backend="pandas")
        return grouped.to_pandas()

    keys = ["track", "start_month", "stop_month"]
    head = collect(frame.group_by(keys).agg(nw.len().alias("intervals")), keys)
    out = {"headcount": pd.DataFrame({
        "track": head["track"].astype(object).where(head["track"].notna(), None),
        "start_month": head["start_month"].to_numpy(dtype=np.int64),
        "stop_month": head["stop_month"].to_numpy(dtype=np.int64),
        "intervals": head["intervals"].to_numpy(dtype=np.int64),
    })}
    aggs = [nw.col("employee_id").n_unique().alias("people"),
            *[nw.col(f"ev_{r}").sum() for r in TURNOVER_REASONS]]
    for freq in FREQS:
        by_track = collect(frame.group_by(["track", freq]).agg(*aggs), ["track", freq])
        by_track = by_track.loc[by_track["track"].notna().to_numpy()]
        overall = collect(frame.group_by([freq]).agg(*aggs), [freq]).assign(track="all")
        t = pd.concat([by_track, overall], ignore_index=True)
        period = t[freq]
        if freq == "year":
            period = period.astype(np.int64)
        table = pd.DataFrame({
            "track": t["track"].astype(str).to_numpy(),
            "period": period.astype(str).to_numpy(),
            "people": t["people"].to_numpy(dtype=np.int64),
        })
        for kind, reasons in KINDS.items():
            table[f"exits_{kind}"] = sum(
                t[f"ev_{r}"].fillna(0).to_numpy(dtype=np.int64) for r in reasons
            )
        out[freq] = table
    return out


def turnover_counts_in_memory(
    ex: pd.DataFrame, person: np.ndarray | None = None
) -> dict[str, pd.DataFrame]:
    """:func:`turnover_counts` of a pandas exposure table, counted on integer codes.

    The same tables, row for row, as the narwhals group-bys on a pandas table (checked in
    the tests on the sample, hand-built tables and a simulation): the pandas audit's path.
    On pandas, narwhals' ``n_unique`` per group is pandas' ``groupby().nunique()``, which
    sorts every row's ID; here each group is one integer key (track code, month or period
    code) and distinct people are counted on a person code, by runs of a person's rows
    when the table is in person and time order (as exposure is), else by hashing (group,
    person) pairs.

    Parameters
    ----------
    ex
        An exposure table (``schema.EXPOSURE``; at least :data:`TURNOVER_COLUMNS`).
    person
        Integer code (``>= 0``) of each row's person, one per distinct ``employee_id``
        (e.g. :func:`~pathaudit.derived.population.exposure_person_codes`); default: the
        codes of ``pandas.factorize(ex["employee_id"])``.

    Returns
    -------
    dict of pandas.DataFrame
        As :func:`turnover_counts`.

    Examples
    --------
    >>> ex = pd.DataFrame({
    ...     "employee_id": ["a", "a", "b"], "track": ["IC", "IC", "M"],
    ...     "start": pd.to_datetime(["2021-01-01", "2021-04-01", "2021-01-01"]),
    ...     "stop": pd.to_datetime(["2021-04-01", "2021-05-10", "2021-06-01"]),
    ...     "event": ["none", "exit_voluntary", "censored"], "year": [2021, 2021, 2021],
    ...     "quarter": ["2021Q1", "2021Q2", "2021Q1"]})
    >>> counts = turnover_counts_in_memory(ex)
    >>> counts["year"][["track", "period", "people", "exits_voluntary"]].values.tolist()
    [['IC', '2021', 1, 1], ['M', '2021', 1, 0], ['all', '2021', 2, 1]]
    """
    missing = [c for c in TURNOVER_COLUMNS if c not in ex.columns]
    if missing:
        raise ArgumentError(
            f"The exposure table has no column {missing!r}; turnover needs "
            f"{list(TURNOVER_COLUMNS)} (schema.EXPOSURE)."
        )
    if person is None:
        person = pd.factorize(ex["employee_id"])[0]
    person = np.asarray(person, dtype=np.int64)
    track = ex["track"].astype("category")  # no copy when it is one already
    t_code, n_t = sorted_codes(track)  # category order, missing last (as the sort)
    t_names = np.array([*track.cat.categories, None], dtype=object)
    # months since 1970-01: _month_number less a constant (12 x 1970)
    epoch_month = 12 * 1970
    m0, m1 = _months(ex["start"]), _months(ex["stop"])
    lo = int(min(m0.min(), m1.min())) if len(ex) else 0
    span = int(max(m0.max(), m1.max())) - lo + 1 if len(ex) else 1
    key = (t_code * span + (m0 - lo)) * span + (m1 - lo)
    n_keys = (n_t + 1) * span * span
    if n_keys <= max(4 * len(key), 1 << 20):  # few possible cells: a count per cell
        size = np.bincount(key, minlength=n_keys)
        cells = np.flatnonzero(size)
        size = size[cells]
    else:
        cells, size = np.unique(key, return_counts=True)
    del key, m0, m1
    stop_m, rest = cells % span, cells // span
    out = {"headcount": pd.DataFrame({
        "track": pd.Series(t_names[rest // span], dtype=object),  # None: no track
        "start_month": rest % span + lo + epoch_month,
        "stop_month": stop_m + lo + epoch_month,
        "intervals": size.astype(np.int64),
    })}
    ev = ex["event"].astype("category")
    ev_codes = ev.cat.codes.to_numpy()
    cats = pd.Index(ev.cat.categories.astype(str))
    # each row's end reason as 1 + its place in TURNOVER_REASONS, 0 for no exit (or missing)
    reason_of = np.zeros(len(cats) + 1, dtype=np.int64)
    at = cats.get_indexer(list(TURNOVER_REASONS))
    reason_of[at[at >= 0]] = np.flatnonzero(at >= 0) + 1
    reason = reason_of[ev_codes]  # a missing event (code -1) takes the last entry: 0
    n_r = len(TURNOVER_REASONS) + 1
    for freq in FREQS:
        p_code, p_labels = _period_codes(ex[freq])
        n_p = len(p_labels) - 1
        people = _people_per_period(person, p_code, n_p, t_code, n_t)
        tables = []
        for with_track in (True, False):
            g = t_code * (n_p + 1) + p_code if with_track else p_code
            size_g = (n_t + 1) * (n_p + 1) if with_track else n_p + 1
            cell = g * n_r  # (group, end reason), in place
            cell += reason
            by_reason = np.bincount(cell, minlength=size_g * n_r).reshape(size_g, n_r)
            del cell
            present = np.flatnonzero(by_reason.sum(axis=1))
            if with_track:  # rows without a track count in "all" only
                present = present[present // (n_p + 1) < n_t]
            n_people = (people[0 if with_track else 1] if people is not None
                        else distinct_people(g, person, size_g))
            table = pd.DataFrame({
                "track": (t_names[present // (n_p + 1)] if with_track
                          else np.full(len(present), "all", dtype=object)),
                "period": p_labels[present % (n_p + 1)],
                "people": n_people[present].astype(np.int64),
            })
            for kind, reasons in KINDS.items():
                cols = [1 + TURNOVER_REASONS.index(r) for r in reasons]
                table[f"exits_{kind}"] = by_reason[present][:, cols].sum(axis=1).astype(
                    np.int64)
            tables.append(table)
        out[freq] = pd.concat(tables, ignore_index=True)
    return out


def _months(dates: pd.Series) -> np.ndarray:
    """Months since 1970-01 of each date (``datetime64[M]``), from a table of its days."""
    days = epoch_days(dates)
    if not len(days):
        return days
    lo = int(days.min())
    table = np.arange(lo, int(days.max()) + 1).astype("datetime64[D]").astype("datetime64[M]")
    return table.astype(np.int64)[days - lo]


def _people_per_period(
    person: np.ndarray, p_code: np.ndarray, n_p: int, t_code: np.ndarray, n_t: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Distinct people per (track, period) and per period, when rows are in person order.

    Rows sorted by person with each person's periods in order (as exposure is: by person
    and time) form one run per (person, period): a person counts once per run, and once per
    track held in it. Returns counts indexed as ``track * (n_p + 1) + period`` and by
    ``period``; None when the rows are not in that order (count pairs instead).
    """
    if not in_order(person, p_code):
        return None
    new = np.ones(len(person), dtype=bool)
    new[1:] = (person[1:] != person[:-1]) | (p_code[1:] != p_code[:-1])
    run_period = p_code[new]
    per_period = np.bincount(run_period, minlength=n_p + 1)
    cell = np.cumsum(new)  # 1 + the row's run, then its (run, track) cell: in place
    cell -= 1
    cell *= n_t + 1
    cell += t_code
    flags = np.zeros(len(run_period) * (n_t + 1), dtype=bool)  # run x track: held in it
    flags[cell] = True
    del cell
    held = flags.reshape(len(run_period), n_t + 1)
    per_track = np.concatenate([
        np.bincount(run_period, weights=held[:, t], minlength=n_p + 1) for t in range(n_t + 1)
    ])
    return per_track, per_period


def _period_codes(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes of a period column in sort order (missing last) and the text of each code.

    A categorical's categories (their order), or the sorted distinct values (a year as
    ``"2021"``); the last label, of the missing-value code, is ``"nan"``.
    """
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy().astype(np.int64)
        labels = np.asarray(col.cat.categories.astype(str), dtype=object)
    else:
        codes, uniques = pd.factorize(col, sort=True)
        values = np.asarray(uniques)
        if pd.api.types.is_integer_dtype(uniques):
            values = values.astype(np.int64)
        labels = np.array([str(v) for v in values], dtype=object)
    codes = np.where(codes < 0, len(labels), codes).astype(np.int64)
    return codes, np.append(labels, "nan")


def turnover_from_counts(
    counts: dict[str, pd.DataFrame],
    *,
    history_start: pd.Timestamp,
    as_of: pd.Timestamp,
    fiscal_year_start_month: int,
    alpha: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SHRM-style turnover by fiscal year and quarter, from :func:`turnover_counts`.

    The one definition of the figures, on every engine: the headcount on each month-end
    from ``history_start`` to ``as_of`` is the number of intervals of the track covering it
    (``start <= month-end < stop``); the average headcount of a period is the mean over its
    month-ends; ``turnover_rate = 100 x exits / average headcount``, ``estimate`` that rate
    x 12 / months (annualised). A track nobody held has no rows.

    Parameters
    ----------
    counts
        :func:`turnover_counts` of the exposure table.
    history_start, as_of
        The observed window (its month-ends are the headcount dates).
    fiscal_year_start_month
        First month of the fiscal year (the periods' labels).
    alpha
        1 - confidence level.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        By fiscal year and by quarter: ``period, track, kind, exits, average_headcount,
        months, turnover_rate, estimate, ci_lower, ci_upper, n`` (people with time on the
        track in the period).

    Examples
    --------
    >>> ex = pd.DataFrame({
    ...     "employee_id": ["a", "b"], "track": ["IC", "IC"],
    ...     "start": pd.to_datetime(["2021-01-01", "2021-01-01"]),
    ...     "stop": pd.to_datetime(["2021-02-15", "2021-04-01"]),
    ...     "event": ["exit_voluntary", "censored"], "year": [2021, 2021],
    ...     "quarter": ["2021Q1", "2021Q1"]})
    >>> y, q = turnover_from_counts(
    ...     turnover_counts(ex), history_start=pd.Timestamp("2021-01-01"),
    ...     as_of=pd.Timestamp("2021-03-31"), fiscal_year_start_month=1, alpha=0.05)
    >>> row = q.set_index(["track", "kind"]).loc[("IC", "voluntary")]
    >>> float(row["average_headcount"]), float(row["turnover_rate"])
    (1.3333333333333333, 75.0)
    """
    month_ends = pd.date_range(history_start, as_of, freq="ME")
    fq = fiscal_quarters(month_ends, fiscal_year_start_month)
    n_m = len(month_ends)
    tracks = list(TRACKS)
    head_cells = counts["headcount"]
    g = pd.Index(tracks).get_indexer(head_cells["track"].to_numpy())
    # month-ends are consecutive months: the first month-end >= a date is its month's
    first = int(month_ends[0].year * 12 + month_ends[0].month - 1) if n_m else 0
    i0 = np.clip(head_cells["start_month"].to_numpy(dtype=np.int64) - first, 0, n_m)
    i1 = np.clip(head_cells["stop_month"].to_numpy(dtype=np.int64) - first, 0, n_m)
    weight = head_cells["intervals"].to_numpy(dtype=np.int64)
    ok = g >= 0
    cells = len(tracks) * (n_m + 1)
    diff = (
        np.bincount(g[ok] * (n_m + 1) + i0[ok], weights=weight[ok], minlength=cells)
        - np.bincount(g[ok] * (n_m + 1) + i1[ok], weights=weight[ok], minlength=cells)
    ).reshape(len(tracks), n_m + 1)
    head = np.cumsum(diff, axis=1)[:, :n_m]  # head[t, m]: people on track t at month-end m
    months = pd.DataFrame(
        {"year": fq["year"].to_numpy(dtype=np.int64).astype(str),
         "quarter": fq["quarter"].astype(str).to_numpy()}
    )
    # a track nobody held in the window (one-track data) has no turnover rows
    present = set(head_cells["track"].dropna().astype(str))
    heads = {**{t: head[i] for i, t in enumerate(tracks) if t in present},
             "all": head.sum(axis=0)}
    out = {}
    for freq in FREQS:
        per = months[freq].to_numpy()
        labels, code = np.unique(per, return_inverse=True)
        n_months = np.bincount(code, minlength=len(labels))
        years = n_months / 12.0
        period_counts = counts[freq]
        rows = []
        for track, hc in heads.items():
            avg = np.bincount(code, weights=hc, minlength=len(labels)) / n_months
            sel = period_counts.loc[period_counts["track"].to_numpy() == track]
            sel = sel.set_index("period").reindex(labels)
            people = sel["people"].fillna(0).to_numpy(np.int64)
            for kind in KINDS:
                ex_n = sel[f"exits_{kind}"].fillna(0).to_numpy(dtype=float)
                lo, hi = poisson_rate_ci(ex_n, avg * years, alpha=alpha)
                with np.errstate(invalid="ignore", divide="ignore"):
                    rate = np.where(avg > 0, PER * ex_n / avg, np.nan)
                rows.append(
                    pd.DataFrame(
                        {
                            "period": labels,
                            "track": track,
                            "kind": kind,
                            "exits": ex_n.astype(np.int64),
                            "average_headcount": avg,
                            "months": n_months,
                            "turnover_rate": rate,
                            "estimate": rate / years,
                            "ci_lower": PER * lo,
                            "ci_upper": PER * hi,
                            "n": people,
                        }
                    )
                )
        t = pd.concat(rows, ignore_index=True)
        out[freq] = t.sort_values(["period", "track", "kind"], ignore_index=True)
    return out["year"], out["quarter"]


def turnover(data: AuditData, alpha: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SHRM-style turnover of a loaded dataset: exits / average month-end headcount, by track.

    The counts of :func:`turnover_counts` on its exposure table (in memory:
    :func:`turnover_counts_in_memory`, the same tables), then :func:`turnover_from_counts`,
    as every engine does.
    """
    counts = turnover_counts_in_memory(data.exposure, exposure_person_codes(data)[0])
    return turnover_from_counts(
        counts, history_start=data.history_start, as_of=data.as_of,
        fiscal_year_start_month=data.fiscal_year_start_month, alpha=alpha,
    )


def _latest_rating(
    pid: np.ndarray, day: np.ndarray, r_pid: np.ndarray, r_day: np.ndarray, r_value: np.ndarray
) -> np.ndarray:
    """Per row, the value of the person's last rating dated on or before ``day`` (else NaN).

    Ratings of the same person on the same day: the last in their given order. One binary
    search on (person, day) keys (``r_pid < 0``: a rating of no one in the frame).
    """
    out = np.full(len(pid), np.nan)
    ok = r_pid >= 0
    if not ok.any() or not len(pid):
        return out
    r_pid, r_day, r_value = r_pid[ok], r_day[ok], r_value[ok]
    base = min(int(r_day.min()), int(day.min()))
    span = max(int(r_day.max()), int(day.max())) - base + 1
    r_key = r_pid.astype(np.int64) * span + (r_day - base)
    order = np.argsort(r_key, kind="stable")
    r_key, r_value = r_key[order], r_value[order]
    idx = np.searchsorted(r_key, pid.astype(np.int64) * span + (day - base), side="right") - 1
    hit = idx >= 0
    hit[hit] = r_key[idx[hit]] // span == pid[hit]
    out[hit] = r_value[idx[hit]]
    return out


def regretted(
    w: pd.DataFrame, ids: np.ndarray, data: AuditData, top_rating: float | None, alpha: float
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Voluntary exit rates of top-rated and other people, and the top-rated share of exits.

    Each interval of the working frame carries the person's latest rating on or before
    its start; intervals without one are left out.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame, float)
        Voluntary exit rates by ``track, rating_group`` (as :func:`exit_rates`); per
        track ``regretted_exits, voluntary_exits, estimate`` (share top-rated),
        ``ci_lower, ci_upper`` (Wilson), ``n``; the rating threshold used.
    """
    ratings = data.ratings
    if ratings is None:
        raise PathauditError("Regretted attrition needs performance ratings; the export has "
                             "none (map a ratings file in the column map).")
    rt = ratings.dropna(subset=["employee_id", "rating_date", "rating"])
    threshold = float(np.quantile(rt["rating"].to_numpy(float), 0.75)) if top_rating is None \
        else float(top_rating)
    # each distinct ID looked up once (ratings hold several per person)
    id_code, id_uniq = pd.factorize(rt["employee_id"])
    r_pid = pd.Index(ids).get_indexer(id_uniq)[id_code]
    rating = _latest_rating(
        w["pid"].to_numpy(), w["start_d"].to_numpy(), r_pid,
        epoch_days(rt["rating_date"]), rt["rating"].to_numpy(float),
    )
    rated = np.isfinite(rating)
    # a categorical group (categories in text order): no text column of every row
    group = pd.Categorical.from_codes(
        (rating[rated] >= threshold).astype(np.int8), categories=["other", "top"]
    )
    used = ["track", "pid", "person_years", *(f"ev_{k}" for k in KINDS)]
    wr = w.loc[rated, used].assign(rating_group=group)
    rates = exit_rates(wr, ["track", "rating_group"], alpha)
    rates = rates.loc[rates["kind"] == "voluntary"].reset_index(drop=True)
    rates["rating_group"] = rates["rating_group"].astype("str")
    # share of voluntary exits (with a rating in force) that were top-rated
    vol = wr.loc[wr["ev_voluntary"].to_numpy()]
    share_rows = []
    for track in TRACKS:
        v = vol.loc[vol["track"] == track]
        top = int((v["rating_group"] == "top").sum())
        lo, hi = wilson_ci(top, len(v), alpha=alpha)
        share_rows.append(
            {"track": track, "regretted_exits": top, "voluntary_exits": len(v),
             "estimate": top / len(v) if len(v) else np.nan, "ci_lower": float(lo),
             "ci_upper": float(hi), "n": len(v)}
        )
    return rates, pd.DataFrame(share_rows), threshold
