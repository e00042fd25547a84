"""The report quarter, the primary figures over past quarters, and changes between them.

Rules (documented in ``docs/report.md``):

- **Quarters** are fiscal quarters (:mod:`pathaudit.derived.calendar`, the map's fiscal
  year start). The report quarter defaults to the last complete quarter ending on or
  before ``as_of``.
- **Trend points** are the primary figures recomputed as of each quarter end
  (:meth:`~pathaudit.data.AuditData.with_as_of`: records dated later are ignored), for the
  report quarter and up to 7 before it whose trailing 12 months lie inside the history.
  Rates use a trailing 12-month window ending at the quarter end (``attrition(...,
  window_months=12)``); pay uses the population employed at the quarter end; the 3-year
  promotion probability uses every spell observed up to the quarter end (a 3-year
  probability cannot be estimated from 12 months). The forced-into-management count comes
  per fiscal year from the profile the analysis already computes.
- **A change** between two points is a change only when its own interval excludes "no
  change" (:func:`change_between`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.derived._cut import at_quarter_end
from pathaudit.derived.calendar import fiscal_quarter_start, fiscal_quarters
from pathaudit.errors import ArgumentError, NeedsHistoryError
from pathaudit.report._format import unit_kind
from pathaudit.result import AnalysisResult
from pathaudit.stats import norm_ppf

QUARTER = re.compile(r"^(\d{4})Q([1-4])$")

TREND_QUARTERS = 8
"""Quarters of trend shown (the report quarter and up to 7 before it)."""

WINDOW_MONTHS = 12
"""Length of the trailing window of rates in the trend."""

BAD_QUARTER = (
    "quarter must be a fiscal quarter label like '2024Q4' (year, Q, 1-4); got {got!r}."
)
QUARTER_NOT_ENDED = (
    "The fiscal quarter {quarter} ends on {end}, after the as-of date {as_of}: its figures "
    "are not complete. Pass an earlier quarter, or leave quarter out for the last complete "
    "one ({last})."
)
QUARTER_BEFORE_HISTORY = (
    "The fiscal quarter {quarter} ends on {end}, before the history starts ({start}). Pass a "
    "quarter that ends after {start}."
)


def quarter_end(label: str, fiscal_year_start_month: int = 1) -> pd.Timestamp:
    """Last day of a fiscal quarter.

    Examples
    --------
    >>> quarter_end("2024Q4").date(), quarter_end("2024Q1", 4).date()
    (datetime.date(2024, 12, 31), datetime.date(2023, 6, 30))
    """
    start = fiscal_quarter_start(label, fiscal_year_start_month)
    return start + pd.DateOffset(months=3) - pd.Timedelta(days=1)


def quarter_of(day: pd.Timestamp, fiscal_year_start_month: int = 1) -> str:
    """Label of the fiscal quarter holding ``day``."""
    return str(fiscal_quarters([day], fiscal_year_start_month)["quarter"].iloc[0])


def last_complete_quarter(as_of: pd.Timestamp, fiscal_year_start_month: int = 1) -> str:
    """The last fiscal quarter ending on or before ``as_of``.

    Examples
    --------
    >>> last_complete_quarter(pd.Timestamp("2025-12-31")), last_complete_quarter(
    ...     pd.Timestamp("2025-12-30"))
    ('2025Q4', '2025Q3')
    """
    label = quarter_of(as_of, fiscal_year_start_month)
    if quarter_end(label, fiscal_year_start_month) <= as_of:
        return label
    start = fiscal_quarter_start(label, fiscal_year_start_month)
    return quarter_of(start - pd.Timedelta(days=1), fiscal_year_start_month)


def report_quarter(data: AuditData, quarter: str | None) -> tuple[str, pd.Timestamp]:
    """The report quarter (checked) and its last day."""
    fy = data.fiscal_year_start_month
    last = last_complete_quarter(data.as_of, fy)
    if quarter is None:
        quarter = last
    if not isinstance(quarter, str) or not QUARTER.match(quarter):
        raise ArgumentError(BAD_QUARTER.format(got=quarter))
    end = quarter_end(quarter, fy)
    if end > data.as_of:
        raise ArgumentError(QUARTER_NOT_ENDED.format(
            quarter=quarter, end=end.date(), as_of=data.as_of.date(), last=last))
    if end < data.history_start:
        raise ArgumentError(QUARTER_BEFORE_HISTORY.format(
            quarter=quarter, end=end.date(), start=data.history_start.date()))
    return quarter, end


def trend_quarters(
    data: AuditData, quarter: str, n: int = TREND_QUARTERS
) -> list[tuple[str, pd.Timestamp]]:
    """The report quarter and up to ``n - 1`` before it, oldest first.

    A quarter is kept when its trailing 12 months start on or after ``history_start``
    (the window is fully observed); the report quarter is always kept.
    """
    fy = data.fiscal_year_start_month
    out = []
    label = quarter
    for i in range(n):
        end = quarter_end(label, fy)
        window_start = end + pd.Timedelta(days=1) - pd.DateOffset(months=WINDOW_MONTHS)
        if i > 0 and window_start < data.history_start:
            break
        out.append((label, end))
        label = quarter_of(fiscal_quarter_start(label, fy) - pd.Timedelta(days=1), fy)
    return out[::-1]


@dataclass(frozen=True)
class TrendSpec:
    """How one analysis's primary figure is recomputed as of a past quarter end.

    Attributes
    ----------
    analysis
        The analysis (``AnalysisResult.ANALYSIS``).
    run
        ``run(data_at_quarter_end, options, seed) -> AnalysisResult``: the fewest parts
        that give the primary headline figure.
    window
        How the figure covers time, in words (shown in the report).
    windowed
        Whether the trend figure differs from the headline's (a trailing window): when
        not, the report quarter's point is the headline figure itself.
    population
        Who a point rests on, for the joiner/leaver rule (:func:`population_changes`):
        ``"employed"`` (employed at the quarter end), ``"window"`` (with person-time in the
        trailing window) or ``"observed"`` (observed from the history start to the quarter
        end).
    """

    analysis: str
    run: Callable[[AuditData, Mapping[str, Any], int], AnalysisResult]
    window: str
    windowed: bool = False
    population: str = "observed"


def _pay(data: AuditData, opts: Mapping[str, Any], seed: int) -> AnalysisResult:
    from pathaudit.parity import pay_parity

    # the primary figure is base pay's: the other components' models are not fitted
    return pay_parity(data, parts=["adjusted"], components=["base"], seed=seed, **opts)


def _promotion(data: AuditData, opts: Mapping[str, Any], seed: int) -> AnalysisResult:
    from pathaudit.promotion import time_to_promotion

    return time_to_promotion(data, parts=["difference"], seed=seed, **opts)


def _attrition(data: AuditData, opts: Mapping[str, Any], seed: int) -> AnalysisResult:
    from pathaudit.attrition import attrition

    return attrition(data, parts=["rate_ratio"], seed=seed, window_months=WINDOW_MONTHS,
                     **opts)


TREND_SPECS: dict[str, TrendSpec] = {
    s.analysis: s
    for s in (
        TrendSpec("pay_parity", _pay, "people employed at the quarter end",
                  population="employed"),
        TrendSpec("time_to_promotion", _promotion,
                  "every spell observed from the history start to the quarter end"),
        TrendSpec("attrition", _attrition,
                  f"person-time and exits in the trailing {WINDOW_MONTHS} months ending at "
                  "the quarter end", windowed=True, population="window"),
    )
}
"""Analyses whose primary figure is recomputed per quarter end, and how."""

TREND_COLUMNS = ("analysis", "key", "label", "period", "period_end", "estimate", "ci_lower",
                 "ci_upper", "n", "n_changed", "unit", "status", "reason", "window")
"""Columns of the trend table."""


def primary_row(result: AnalysisResult) -> dict[str, Any] | None:
    """The primary headline row of an analysis (None when it has none)."""
    head = result.headline()
    prim = head.loc[head["primary"]]
    return None if prim.empty else prim.iloc[0].to_dict()


def compute_trends(
    data: AuditData,
    quarters: list[tuple[str, pd.Timestamp]],
    options: Mapping[str, Mapping[str, Any]],
    seed: int,
    current: Mapping[str, AnalysisResult] | None = None,
    past: Mapping[tuple[str, pd.Timestamp], Any] | None = None,
) -> pd.DataFrame:
    """The primary figures as of each quarter end (see the module docstring).

    One dataset per quarter end (:func:`~pathaudit.derived._cut.at_quarter_end`: its
    spells and exposure cut from the whole extract's) is shared by the analyses recomputed
    there. ``current`` are the analyses as of the last quarter end
    (page 1): their primary figures are that quarter's points where the trend computes
    the same figure (no window), and the management analysis gives its per-year scores.
    ``past`` maps a quarter before the last (label, end) to its pending
    :func:`quarter_rows` (an object whose ``result()`` gives them; the audit computes them
    beside its analyses); any other quarter is computed here.
    """
    current = current or {}
    rows: list[dict[str, Any]] = []
    changed = {spec.analysis: population_changes(data, quarters, spec.population)
               for spec in TREND_SPECS.values()}
    for i, quarter in enumerate(quarters):
        last = i == len(quarters) - 1
        pending = None if last or past is None else past.get(quarter)
        found = (pending.result() if pending is not None
                 else quarter_rows(data, quarter, options, seed, current if last else None))
        for row in found:
            if "n_changed" in row:
                row = {**row, "n_changed": changed[row["analysis"]][i]}
            rows.append(row)
    if "forced_management" in current:
        rows += _management_years(current["forced_management"])
    frame = pd.DataFrame(rows, columns=list(TREND_COLUMNS))
    for c in ("estimate", "ci_lower", "ci_upper", "n", "n_changed"):
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("float64")
    return frame


def quarter_rows(
    data: AuditData,
    quarter: tuple[str, pd.Timestamp],
    options: Mapping[str, Mapping[str, Any]],
    seed: int,
    current: Mapping[str, AnalysisResult] | None = None,
) -> list[dict[str, Any]]:
    """The trend rows of one quarter end (label, end): one per analysis of :data:`TREND_SPECS`.

    ``current`` (the last quarter only) are the analyses as of that end, reused where the
    trend computes the same figure. A computed row carries ``n_changed`` as None:
    :func:`compute_trends` fills it in from :func:`population_changes`.
    """
    label, end = quarter
    # spells and exposure cut from the whole extract's, not derived again (derived._cut)
    at = data if end == data.as_of else at_quarter_end(data, end)
    rows: list[dict[str, Any]] = []
    for spec in TREND_SPECS.values():
        try:
            if current and spec.analysis in current and not spec.windowed:
                res = current[spec.analysis]
            else:
                res = spec.run(at, options.get(spec.analysis, {}), seed)
        except NeedsHistoryError as err:
            rows.append({"analysis": spec.analysis, "key": "", "period": label,
                         "period_end": end, "status": "not computed", "reason": str(err),
                         "window": spec.window})
            continue
        row = primary_row(res)
        if row is None:
            continue
        rows.append({**{c: row.get(c) for c in TREND_COLUMNS if c in row},
                     "analysis": spec.analysis, "period": label, "period_end": end,
                     "window": spec.window, "n_changed": None})
    return rows


def audit_trend_quarters(data: AuditData) -> list[tuple[str, pd.Timestamp]]:
    """The quarters of the trend of the report an audit writes (the default report quarter).

    Empty for a snapshot export (no trend). The same as :func:`trend_quarters` gives
    :func:`~pathaudit.report.build_report` called without ``quarter``.
    """
    if data.is_snapshot:
        return []
    label, _ = report_quarter(data, None)
    return trend_quarters(data, label)


def population_changes(
    data: AuditData, quarters: list[tuple[str, pd.Timestamp]], population: str
) -> list[float]:
    """People who entered or left a trend's population since the previous quarter end.

    From the exposure table of the whole extract (a quarter end's population is the same as
    in the data cut at that quarter end): per quarter, the size of the symmetric difference
    of the people behind this point and behind the previous one; ``inf`` for the first
    point and where nobody entered or left (two points on the same people reveal no one
    by their difference). A point whose difference with the previous one rests on fewer
    than k people (but some) would describe those people: the trend table counts it with
    ``n_changed`` and primary suppression hides it.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")
    >>> qs = trend_quarters(data, "2025Q4")[-2:]
    >>> [x > 5 for x in population_changes(data, qs, "employed")]
    [True, True]
    """
    from pathaudit.derived.population import exposure_person_codes

    ex = data.exposure
    start = ex["start"].to_numpy(dtype="datetime64[D]")
    stop = ex["stop"].to_numpy(dtype="datetime64[D]")
    pid, ids = exposure_person_codes(data)  # the one person code of the exposure table
    out: list[float] = []
    before: np.ndarray | None = None
    for _, end in quarters:
        e = np.datetime64(end.date(), "D")
        if population == "employed":
            sel = (start <= e) & (stop > e)
        elif population == "window":
            first = np.datetime64((end + pd.Timedelta(days=1) - pd.DateOffset(
                months=WINDOW_MONTHS)).date(), "D")
            sel = (start <= e) & (stop > first)
        else:
            sel = start <= e
        now = np.zeros(len(ids), dtype=bool)  # who is in the population, by person code
        now[pid[sel]] = True
        diff = int((now != before).sum()) if before is not None else 0
        out.append(float(diff) if diff else math.inf)
        before = now
    return out


def _management_years(result: AnalysisResult) -> list[dict[str, Any]]:
    """The flagged-figure count per fiscal year, from the published scores part."""
    scores = result.published().get("scores")
    row = primary_row(result)
    if scores is None or row is None:
        return []
    t = scores.table
    years = t.loc[t["by"] == "year"]
    out = []
    for _, r in years.iterrows():
        flagged = r.get("flagged")
        out.append({
            "analysis": result.ANALYSIS, "key": row["key"], "label": row["label"],
            "period": f"FY{r['group']}", "period_end": pd.NaT,
            "estimate": flagged, "ci_lower": np.nan, "ci_upper": np.nan, "n": np.nan,
            "unit": row["unit"], "status": r.get("status"), "reason": r.get("reason"),
            "window": "indicators computed on each fiscal year's switches, moves and "
                      "year-end headcounts",
        })
    return out


def _transform(unit: str) -> tuple[Callable[[float], float], str]:
    kind = unit_kind(unit)
    if kind == "ratio":
        return math.log, "ratio"
    if unit == "proportional gap":
        return math.log1p, "log"
    return (lambda x: x), "difference"


def change_between(
    before: Mapping[str, Any], now: Mapping[str, Any], alpha: float = 0.05
) -> dict[str, Any]:
    """The change of a figure between two dates, with a conservative interval.

    Parameters
    ----------
    before, now
        Two rows of the same figure (``estimate``, ``ci_lower``, ``ci_upper``, ``unit``).
    alpha
        1 - confidence level of the change's interval.

    Returns
    -------
    dict
        ``before``, ``now``, ``estimate`` (``now - before``; ``now / before`` for a ratio),
        ``ci_lower``, ``ci_upper`` (NaN when either figure has no interval; a ratio's as a
        ratio, a proportional gap's as a difference of log(1 + g)) and ``clear``
        (whether the interval excludes no change).

    Notes
    -----
    On the scale where the figure's interval is symmetric (log for a ratio, log(1 + g) for
    a proportional gap g, else the figure itself) each standard error is read off its
    interval, ``se = (upper - lower) / (2 z)``, and the change gets
    ``d +/- z sqrt(se_before^2 + se_now^2)``. The two figures rest on overlapping
    people, so their covariance is positive and the true variance of the change is
    smaller: the interval is conservative (wider), and a change it calls clear is one.

    Examples
    --------
    >>> a = {"estimate": 1.0, "ci_lower": 0.9, "ci_upper": 1.1, "unit": "ratio"}
    >>> b = {"estimate": 1.5, "ci_lower": 1.35, "ci_upper": 1.65, "unit": "ratio"}
    >>> change_between(a, b)["clear"], change_between(a, a)["clear"]
    (True, False)
    """
    unit = str(now.get("unit") or before.get("unit") or "")
    f, scale = _transform(unit)
    z = float(norm_ppf(1 - alpha / 2))
    out: dict[str, Any] = {"before": _num(before.get("estimate")),
                           "now": _num(now.get("estimate")),
                           "estimate": math.nan, "ci_lower": math.nan, "ci_upper": math.nan,
                           "clear": False}
    b, n = out["before"], out["now"]
    if not (math.isfinite(b) and math.isfinite(n)):
        return out
    out["estimate"] = n / b if scale == "ratio" and b else n - b
    ends = [_num(before.get("ci_lower")), _num(before.get("ci_upper")),
            _num(now.get("ci_lower")), _num(now.get("ci_upper"))]
    try:
        tb, tn = f(b), f(n)
        lo_b, hi_b, lo_n, hi_n = (f(x) for x in ends)
    except ValueError:
        return out
    if not all(math.isfinite(x) for x in (tb, tn, lo_b, hi_b, lo_n, hi_n)):
        return out
    se = math.hypot((hi_b - lo_b) / (2 * z), (hi_n - lo_n) / (2 * z))
    d = tn - tb
    lo, hi = d - z * se, d + z * se
    # a ratio's change is a ratio; a proportional gap's is in log(1 + g) points
    out["ci_lower"], out["ci_upper"] = (math.exp(lo), math.exp(hi)) if scale == "ratio" else (
        lo, hi)
    out["clear"] = bool(lo > 0 or hi < 0)
    return out


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
