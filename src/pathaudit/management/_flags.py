"""Flags with multiplicity control: one-sided tests against thresholds, BH and FCR intervals.

A figure of the profile is tested against its threshold with a one-sided p-value that
inverts the figure's own interval (so that, read alone, a figure is flagged exactly when
its whole interval lies beyond the threshold), on the scale that interval is built on:

=====================  =========================================================
test (``TESTS``)        figures and how the p-value is computed
=====================  =========================================================
``log``                 ratios with a Wald interval on the log scale (promotion
                        rate ratio, stall and post-switch hazard ratios, gender
                        switch-rate ratio): z = (log estimate - log threshold) / se
``loglog``              cumulative incidence with the log(-log) interval
                        (switch-back): the same z on -log(-log x); an estimate of
                        0 (Wilson bound) is tested by the score test
``score``               shares with a Wilson interval (nominal managers,
                        preference mismatch, shares at the top): the score test
                        (x/n - p0) / sqrt(p0 (1 - p0) / n), which the Wilson
                        interval inverts exactly
``t``                   differences with a t(df) interval (Peter signal)
``bootstrap``           the switch premium: share of bootstrap draws on the healthy
                        side of the threshold (percentile bootstrap); without the
                        draws, a normal approximation from the percentile interval
``fixed``               facts of the ladder design (designed and realised ceiling
                        gaps): no sampling error, no test
``normal``              any other figure: a Wald interval on its own scale
=====================  =========================================================

No headline figure of the profile has an exact interval; a threshold of your own on a
figure with one (the per-grade exact conditional rate ratios) is read with ``log`` on
the pooled figure the profile reads, never on a per-grade row.

The p-values of one family (the figures a reader sees at once: every scope of the
profile for one period, i.e. the organisation and every unit over the whole period,
or one fiscal year) are adjusted by Benjamini-Hochberg; a figure is flagged when its
adjusted p-value is at most alpha / 2 (the one-sided level of the two-sided 1 - alpha
interval). Beside the raw interval, each tested figure gets the Benjamini-Yekutieli
false-coverage-rate adjusted interval: the 1 - max(R, 1) alpha / m interval, R the
flagged figures of its family and m the tested ones; a flagged figure's adjusted
interval lies wholly beyond its threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from pathaudit import stats
from pathaudit.headline import Threshold

TESTS: dict[tuple[str, str], str] = {
    ("ic_ceiling", "designed_gap"): "fixed",
    ("ic_ceiling", "realised_gap"): "fixed",
    ("ic_ceiling", "promotion_rate_ratio"): "log",
    ("ic_ceiling", "share_at_top_ic"): "score",
    ("ic_ceiling", "share_at_top_m"): "score",
    ("switch_premium", "premium"): "bootstrap",
    ("stalled_then_switched", "hazard_ratio"): "log",
    ("stalled_then_switched", "share_stalled"): "score",
    ("who_switches", "rate_ratio"): "log",
    ("switch_back", "cif"): "loglog",
    ("switch_back", "exit_cif"): "loglog",
    ("post_switch_attrition", "hazard_ratio"): "log",
    ("nominal_managers", "share"): "score",
    ("nominal_managers", "share_no_reports"): "score",
    ("preference_mismatch", "share"): "score",
    ("preference_mismatch", "share_ic_preferring_m"): "score",
    ("preference_mismatch", "coverage"): "score",
    ("peter_principle", "std_difference"): "t",
    ("peter_principle", "difference"): "t",
}
"""(indicator, measure) -> the test of a figure against its threshold (module docstring)."""

Interval = Callable[[float], tuple[float, float]]
"""An interval at another level: ``interval(alpha) -> (lower, upper)``."""


def _quantile(alpha: float, df: float | None = None) -> float:
    """The 1 - alpha/2 quantile of the normal (or t(df)) reference distribution."""
    if df is not None and np.isfinite(df):
        return float(stats.t_ppf(1 - alpha / 2, df))
    return float(stats.norm_ppf(1 - alpha / 2))


def _wald(
    est: float, lo: float, hi: float, alpha: float, to: Callable[[Any], Any],
    back: Callable[[Any], Any], df: float | None = None,
) -> tuple[Callable[[float, int], float], Interval] | None:
    """A Wald test on the increasing scale ``to`` (``back`` its inverse) of an interval."""
    with np.errstate(divide="ignore", invalid="ignore"):
        c, a, b = float(to(est)), float(to(lo)), float(to(hi))
    if not np.isfinite([c, a, b]).all():
        return None
    se = (b - a) / (2 * _quantile(alpha, df))
    if se <= 0:
        return _point(est)
    t_df = df if df is not None and np.isfinite(df) else None

    def p_beyond(v: float, side: int) -> float:
        with np.errstate(divide="ignore", invalid="ignore"):
            tv = float(to(v))
        if not np.isfinite(tv):
            return np.nan
        # side +1: evidence that the figure is above v; -1: below v
        z = side * (c - tv) / se
        return float(stats.norm_sf(z) if t_df is None else stats.t_sf(z, t_df))

    def interval(level: float) -> tuple[float, float]:
        q = _quantile(level, df)
        return float(back(c - q * se)), float(back(c + q * se))

    return p_beyond, interval


def _point(est: float) -> tuple[Callable[[float, int], float], Interval]:
    """A figure without sampling spread: beyond a value or not."""
    def p_beyond(v: float, side: int) -> float:
        return 0.0 if side * (est - v) > 0 else 1.0

    return p_beyond, lambda level: (est, est)


def _score(x: float, n: float) -> tuple[Callable[[float, int], float], Interval] | None:
    if not (np.isfinite(x) and np.isfinite(n) and n > 0):
        return None

    def p_beyond(v: float, side: int) -> float:
        if not 0 < v < 1:
            return 0.0 if side * (x / n - v) > 0 else 1.0
        z = (x / n - v) / np.sqrt(v * (1 - v) / n)
        return float(stats.norm_sf(side * z))

    def interval(level: float) -> tuple[float, float]:
        lo, hi = stats.wilson_ci(x, n, level)
        return float(lo), float(hi)

    return p_beyond, interval


def _bootstrap(draws: np.ndarray) -> tuple[Callable[[float, int], float], Interval]:
    def p_beyond(v: float, side: int) -> float:
        # share of draws on the healthy side (at or beyond the threshold's other side)
        return float(np.mean(draws <= v)) if side > 0 else float(np.mean(draws >= v))

    def interval(level: float) -> tuple[float, float]:
        lo, hi = np.quantile(draws, [level / 2, 1 - level / 2])
        return float(lo), float(hi)

    return p_beyond, interval


def _neg_loglog(x: Any) -> Any:
    return -np.log(-np.log(x))


def _inv_neg_loglog(y: Any) -> Any:
    return np.exp(-np.exp(-y))


def figure_test(
    indicator: str, measure: str, r: Mapping[str, Any], alpha: float,
    draws: Mapping[tuple[str, str], np.ndarray] | None = None, unit: str = "",
) -> tuple[str, tuple[Callable[[float, int], float], Interval] | None]:
    """The test of one profile figure: ``(kind, (p_beyond, interval) or None)``.

    ``p_beyond(v, side)`` is the one-sided p-value of the figure lying above ``v``
    (``side=+1``) or below it (``-1``); ``interval(a)`` its 1 - a interval. None
    where the row gives no test (no finite interval).
    """
    kind = TESTS.get((indicator, measure), "normal")
    est, lo, hi = (float(r.get(c, np.nan)) for c in ("estimate", "ci_lower", "ci_upper"))
    if kind == "fixed":
        return kind, _point(est) if np.isfinite(est) else None
    if not np.isfinite([est, lo, hi]).all():
        return kind, None
    if kind == "score":
        return kind, _score(float(r.get("numerator", np.nan)),
                            float(r.get("denominator", np.nan)))
    if kind == "bootstrap":
        got = (draws or {}).get((str(r["by"]), str(r["group"])))
        if got is not None and len(got):
            return kind, _bootstrap(np.asarray(got, dtype=float))
        kind = "normal"  # without the draws: normal approximation to the percentile interval
    if lo == hi == est:
        return kind, _point(est)
    if kind == "loglog":
        if est == 0:  # the interval is Wilson's for 0 of those whose status is known
            return "score", _score(0.0, float(r.get("known", np.nan)))
        if est >= 1:
            return kind, _point(est)
        return kind, _wald(est, lo, hi, alpha, _neg_loglog, _inv_neg_loglog)
    if kind == "log" or (kind == "normal" and unit == "ratio"):
        if est > 0 and lo > 0:
            return "log", _wald(est, lo, hi, alpha, np.log, np.exp)
        kind = "normal"
    if kind == "t":
        df = float(r.get("df", np.nan))
        return kind, _wald(est, lo, hi, alpha, _identity, _identity,
                           df=df if np.isfinite(df) else None)
    return "normal", _wald(est, lo, hi, alpha, _identity, _identity)


def _identity(x: Any) -> Any:
    return x


def one_sided_p(t: Threshold, p_beyond: Callable[[float, int], float]) -> float:
    """The one-sided p-value of a figure lying beyond threshold ``t``.

    For a band (``outside``), the smaller of the two one-sided p-values (above the high
    end, below the low end).
    """
    if t.direction == "above":
        return p_beyond(float(t.value), +1)  # type: ignore[arg-type]
    if t.direction == "below":
        return p_beyond(float(t.value), -1)  # type: ignore[arg-type]
    low, high = t.value  # type: ignore[misc]
    return min(p_beyond(float(high), +1), p_beyond(float(low), -1))


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (NaN kept in place)."""
    return stats.adjust_pvalues(p, method="fdr_bh")


def adjust_families(
    prof: pd.DataFrame, tests: list[Interval | None], alpha: float
) -> pd.DataFrame:
    """Adjust the profile's p-values within each family and set the flags.

    ``prof`` has ``period`` (the family), ``p_value`` (one-sided; NaN where the figure
    is not tested) and the raw ``status``; ``tests[i]`` is row i's interval function.
    Adds ``p_adjusted``, ``family_size``, ``fcr_level``, ``fcr_lower``, ``fcr_upper``;
    a raw flag that does not survive the adjustment becomes inconclusive.
    """
    out = prof.copy()
    n = len(out)
    p_adj = np.full(n, np.nan)
    size = np.full(n, np.nan)
    level = np.full(n, np.nan)
    # untested rows keep what they have (a fact of the design: the value itself)
    fcr_lo = out["fcr_lower"].to_numpy(dtype=float).copy()
    fcr_hi = out["fcr_upper"].to_numpy(dtype=float).copy()
    p = out["p_value"].to_numpy(dtype=float)
    period = out["period"].to_numpy()
    flagged = out["status"].to_numpy() == "flagged"
    keep_flag = flagged.copy()
    for fam in pd.unique(period):
        at = np.flatnonzero((period == fam) & np.isfinite(p))
        if not len(at):
            continue
        adj = bh_adjust(p[at])
        p_adj[at] = adj
        m = len(at)
        size[at] = m
        hit = flagged[at] & (adj <= alpha / 2)
        keep_flag[at] = hit
        r = max(int(hit.sum()), 1)
        a = r * alpha / m
        level[at] = 1 - a
        for i in at:
            fn = tests[i]
            if fn is not None:
                fcr_lo[i], fcr_hi[i] = fn(a)
    out["p_adjusted"] = p_adj
    out["family_size"] = size
    out["fcr_level"] = level
    out["fcr_lower"] = fcr_lo
    out["fcr_upper"] = fcr_hi
    lost = flagged & ~keep_flag
    if lost.any():
        out.loc[lost, "status"] = "inconclusive"
        out.loc[lost, "flagged"] = False
        out.loc[lost, "excess"] = np.nan
        out.loc[lost, "reason"] = [
            f"the raw interval lies beyond the threshold, but not after adjusting for the "
            f"{int(m_)} figures read together (Benjamini-Hochberg adjusted one-sided p = "
            f"{pa:.3g} > {alpha / 2:g})"
            for m_, pa in zip(size[lost], p_adj[lost], strict=True)]
    return out
