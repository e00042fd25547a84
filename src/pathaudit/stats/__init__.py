"""Shared numerics: intervals, survival, regression and the matched post-switch design.

The interval functions of :mod:`~pathaudit.stats.intervals` and the normal, t and
chi-squared distribution functions (``scipy.stats``' own values without importing
``scipy.stats``: every module takes them from here) are exported here; the engines
are their own modules (:mod:`~pathaudit.stats.survival`, :mod:`~pathaudit.stats.regression`,
:mod:`~pathaudit.stats.matching`).
"""

from pathaudit.stats._dist import chi2_sf, norm_cdf, norm_ppf, norm_sf, t_cdf, t_ppf, t_sf
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
    "chi2_sf",
    "fieller_ratio_of_means",
    "loglog_ci",
    "mde_normal",
    "mover_difference",
    "norm_cdf",
    "norm_ppf",
    "norm_sf",
    "poisson_rate_ci",
    "rate_ratio_ci",
    "rate_ratio_pvalue",
    "t_cdf",
    "t_ppf",
    "t_sf",
    "wald",
    "wilson_ci",
    "wilson_ci_effective",
]
