"""Raw pay comparisons: the pay distribution by grade and track, and IC / M ratios per grade.

:func:`pay_distribution` gives per component, grade and track the headcount, mean, median,
percentiles and band position; :func:`by_grade_ratios` the IC / M ratio of medians (bootstrap CI)
or, for pay that can be zero, the ratio of means (:func:`ratio_of_means_ci`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pathaudit.parity._population import COMPONENTS, LOG_MODEL_COMPONENTS
from pathaudit.stats import bootstrap_ratio_of_medians, wald


def ratio_of_means_ci(
    a: np.ndarray, b: np.ndarray, *, alpha: float = 0.05
) -> tuple[float, float, float, float]:
    r"""Ratio of means ``mean(a) / mean(b)`` with a delta-method interval and p-value.

    Parameters
    ----------
    a, b
        Values of the two groups (non-negative pay).
    alpha
        1 - confidence level.

    Returns
    -------
    (ratio, lower, upper, p_value) : tuple of float
        NaN bounds when a group has fewer than two people or a mean is zero.

    Notes
    -----
    On the log scale, :math:`\mathrm{se}^2 = s_a^2/(n_a\bar a^2) + s_b^2/(n_b\bar b^2)`
    with Welch–Satterthwaite degrees of freedom
    :math:`(u_a+u_b)^2/(u_a^2/(n_a-1)+u_b^2/(n_b-1))`; bounds
    :math:`\exp(\log(\bar a/\bar b) \pm t\,\mathrm{se})`; p-value of
    :math:`\bar a = \bar b`.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    ma, mb = float(a.mean()), float(b.mean())
    nan = float("nan")
    if mb <= 0:
        return nan, nan, nan, nan
    ratio = ma / mb
    if len(a) < 2 or len(b) < 2 or ma <= 0:
        return ratio, nan, nan, nan
    ua = a.var(ddof=1) / len(a) / ma**2
    ub = b.var(ddof=1) / len(b) / mb**2
    se = float(np.sqrt(ua + ub))
    if not se > 0:
        return ratio, nan, nan, nan
    df = (ua + ub) ** 2 / (ua**2 / (len(a) - 1) + ub**2 / (len(b) - 1))
    lo, hi, p = wald(np.log(ratio), se, alpha=alpha, df=df)
    return ratio, float(np.exp(lo)), float(np.exp(hi)), float(p)



def pay_distribution(pop: pd.DataFrame, components: Sequence[str], k: int) -> pd.DataFrame:
    """Per component, grade and track: n, mean, median, quantiles, band position.

    Returns ``component, grade, track, n, mean, median, p10, p25, p75, p90, n_banded,
    compa_ratio_mean, compa_ratio_median, range_penetration_mean``; band figures only for
    base pay and on at least ``k`` banded people. Quantiles are computed for every cell; the
    quantile rule (:class:`~pathaudit.result.Quantile`) hides them when the result is built.
    """
    long = pop.melt(
        id_vars=["grade", "track", "compa_ratio", "range_penetration"],
        value_vars=list(components),
        var_name="component",
        value_name="value",
    ).dropna(subset=["value"])
    g = long.groupby(["component", "grade", "track"], sort=True)
    t = g["value"].agg(n="size", mean="mean", median="median")
    q = g["value"].quantile([0.1, 0.25, 0.75, 0.9]).unstack()
    q.columns = ["p10", "p25", "p75", "p90"]
    band = g.agg(
        n_banded=("compa_ratio", "count"),
        compa_ratio_mean=("compa_ratio", "mean"),
        compa_ratio_median=("compa_ratio", "median"),
        range_penetration_mean=("range_penetration", "mean"),
    )
    out = t.join(q).join(band).reset_index()
    base = out["component"] == "base"
    band_cols = ["compa_ratio_mean", "compa_ratio_median", "range_penetration_mean"]
    out.loc[~base, band_cols + ["n_banded"]] = np.nan
    out.loc[out["n_banded"] < k, band_cols] = np.nan  # band figures on too few people
    out["component"] = pd.Categorical(out["component"], categories=list(COMPONENTS))
    return out.sort_values(["component", "grade", "track"]).reset_index(drop=True).assign(
        component=lambda d: d["component"].astype(str)
    )


def by_grade_ratios(
    pop: pd.DataFrame,
    dist: pd.DataFrame,
    components: Sequence[str],
    *,
    bootstrap: int,
    alpha: float,
    seed: int,
) -> pd.DataFrame:
    """Per component and grade with both tracks: the IC / M comparison row.

    Returns ``component, grade, measure, estimate, ci_lower, ci_upper, n, n_ic, n_m,
    median_ic, median_m, mean_ic, mean_m, ratio_of_means, compa_ratio_ic, compa_ratio_m,
    range_penetration_ic, range_penetration_m`` (unsuppressed: a row is shown only when both
    tracks have k people, when the result is built).
    """
    rows = []
    wide = dist.pivot_table(
        index=["component", "grade"],
        columns="track",
        values=["n", "median", "mean", "compa_ratio_mean", "range_penetration_mean"],
        observed=True,
    )
    for i, comp in enumerate(components):
        vals = pop[["grade", "is_ic", comp]].dropna()
        by = {g: part for g, part in vals.groupby("grade", sort=True)}
        for j, (grade, part) in enumerate(by.items()):
            ic = part.loc[part["is_ic"] == 1, comp].to_numpy()
            m = part.loc[part["is_ic"] == 0, comp].to_numpy()
            if len(ic) == 0 or len(m) == 0:
                continue
            med_m = float(np.median(m))
            if comp not in LOG_MODEL_COMPONENTS:
                # pay that can be zero: ratio of means, delta-method CI
                est, lo, hi, _ = ratio_of_means_ci(ic, m, alpha=alpha)
            elif bootstrap > 0:
                est, lo, hi = bootstrap_ratio_of_medians(
                    ic, m, B=bootstrap, alpha=alpha, seed=seed + 1000 * i + j
                )
            else:
                est, lo, hi = float(np.median(ic) / med_m), np.nan, np.nan
            w = wide.loc[(comp, grade)]
            rows.append(
                {
                    "component": comp,
                    "grade": int(grade),
                    "measure": "ratio of medians" if comp in LOG_MODEL_COMPONENTS
                    else "ratio of means",
                    "estimate": est,
                    "ci_lower": lo,
                    "ci_upper": hi,
                    "n": len(ic) + len(m),
                    "n_ic": len(ic),
                    "n_m": len(m),
                    "median_ic": float(np.median(ic)),
                    "median_m": med_m,
                    "mean_ic": float(ic.mean()),
                    "mean_m": float(m.mean()),
                    "ratio_of_means": float(ic.mean() / m.mean()) if m.mean() > 0 else np.nan,
                    "compa_ratio_ic": w.get(("compa_ratio_mean", "IC"), np.nan),
                    "compa_ratio_m": w.get(("compa_ratio_mean", "M"), np.nan),
                    "range_penetration_ic": w.get(("range_penetration_mean", "IC"), np.nan),
                    "range_penetration_m": w.get(("range_penetration_mean", "M"), np.nan),
                }
            )
    cols = [
        "component", "grade", "measure", "estimate", "ci_lower", "ci_upper", "n", "n_ic", "n_m",
        "median_ic", "median_m", "mean_ic", "mean_m", "ratio_of_means", "compa_ratio_ic",
        "compa_ratio_m", "range_penetration_ic", "range_penetration_m",
    ]
    return pd.DataFrame(rows, columns=cols)
