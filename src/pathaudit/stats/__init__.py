"""Shared numerics: intervals, survival, regression and the matched post-switch design.

The interval functions of :mod:`~pathaudit.stats.intervals` are exported here; the engines
are their own modules (:mod:`~pathaudit.stats.survival`, :mod:`~pathaudit.stats.regression`,
:mod:`~pathaudit.stats.matching`).
"""

from pathaudit.stats.intervals import (
    BOOTSTRAP_B,
    BOOTSTRAP_SEED,
    adjust_pvalues,
    bootstrap_medians,
    bootstrap_medians_exact,
    bootstrap_ratio_of_medians,
    fieller_ratio_of_means,
    loglog_ci,
    mde_normal,
    mover_difference,
    poisson_rate_ci,
    rate_ratio_ci,
    rate_ratio_pvalue,
    wald,
    wilson_ci,
    wilson_ci_effective,
)

__all__ = [
    "BOOTSTRAP_B",
    "BOOTSTRAP_SEED",
    "adjust_pvalues",
    "bootstrap_medians",
    "bootstrap_medians_exact",
    "bootstrap_ratio_of_medians",
    "fieller_ratio_of_means",
    "loglog_ci",
    "mde_normal",
    "mover_difference",
    "poisson_rate_ci",
    "rate_ratio_ci",
    "rate_ratio_pvalue",
    "wald",
    "wilson_ci",
    "wilson_ci_effective",
]
