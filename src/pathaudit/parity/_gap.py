"""The reported adjusted gap: a track coefficient as a percentage pay gap, with its tests.

``exp(b) - 1`` with the back-transformed t interval, the t test of no gap, the minimum
detectable gap and the equivalence (TOST) test against a margin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pathaudit.stats import t_cdf, t_ppf, t_sf
from pathaudit.stats.intervals import wald


@dataclass(frozen=True)
class Gap:
    """A track coefficient turned into a percentage pay gap with its tests.

    Attributes
    ----------
    coef, se, df
        Log-scale coefficient, standard error and t degrees of freedom.
    estimate, ci_lower, ci_upper
        ``exp(b) - 1`` and the back-transformed t interval.
    p_value
        Two-sided t test of ``b = 0``.
    mde
        Minimum detectable gap: ``exp((t_{1-a/2} + t_{power}) se) - 1``.
    p_equivalence
        TOST p-value of ``|b| < log(1 + margin)``; below alpha means the gap is
        shown to lie within +/- margin.
    """

    coef: float
    se: float
    df: float
    estimate: float
    ci_lower: float
    ci_upper: float
    p_value: float
    mde: float
    p_equivalence: float


def gap_from_coef(
    b: float,
    se: float,
    df: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    margin: float = 0.05,
) -> Gap:
    r"""Percentage gap, t interval, p-value, minimum detectable gap and equivalence test.

    Parameters
    ----------
    b, se, df
        Log-scale coefficient, its standard error and the t degrees of freedom.
    alpha
        Test level (interval 1 - alpha).
    power
        Power for the minimum detectable gap.
    margin
        Equivalence margin on the pay scale (0.05 = +/-5%).

    Returns
    -------
    Gap

    Notes
    -----
    Interval :math:`\exp(b \pm t_{1-\alpha/2,df}\,se) - 1`. MDE
    :math:`\exp((t_{1-\alpha/2,df}+t_{power,df})\,se)-1` (two-sided test at level alpha).
    Equivalence (two one-sided tests) against :math:`\pm\log(1+m)`:
    :math:`p=\max(P(T>(b+\log(1+m))/se), P(T<(b-\log(1+m))/se))`.
    """
    if not np.isfinite(se) or se <= 0:
        nan = float("nan")
        return Gap(b, se, df, float(np.expm1(b)), nan, nan, nan, nan, nan)
    q = float(t_ppf(1 - alpha / 2, df))
    with np.errstate(over="ignore"):
        return _gap(b, se, df, q, alpha=alpha, power=power, margin=margin)


def _gap(
    b: float, se: float, df: float, q: float, *, alpha: float, power: float, margin: float
) -> Gap:
    lo, hi, p = wald(b, se, alpha=alpha, df=df)
    mde = float(np.expm1((q + t_ppf(power, df)) * se))
    m = np.log1p(margin)
    # P(T > (b + m) / se) and P(T < (b - m) / se)
    p_eq = float(max(t_sf((b + m) / se, df), t_cdf((b - m) / se, df)))
    return Gap(
        b, se, df, float(np.expm1(b)), float(np.expm1(lo)), float(np.expm1(hi)),
        float(p), mde, p_eq,
    )
