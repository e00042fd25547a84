"""Shared numerics: confidence intervals, rates, bootstrap, multiplicity.

Every function is vectorised over arrays and takes ``alpha`` (default 0.05) as an
argument. The interval methods follow DOMAIN.md's table:

=================================  =============================================
quantity                           interval
=================================  =============================================
proportion                         Wilson (:func:`wilson_ci`)
event rate per person-time         exact Poisson, Garwood (:func:`poisson_rate_ci`)
rate ratio                         exact conditional binomial (:func:`rate_ratio_ci`)
median, ratio of medians           percentile bootstrap (:func:`bootstrap_ratio_of_medians`)
cumulative incidence, survival     pointwise log(-log) (:func:`loglog_ci`)
difference of two proportions or   MOVER (Newcombe; Zou & Donner) from per-arm
cumulative incidences              limits (:func:`mover_difference`,
                                   :func:`wilson_ci_effective`)
estimate with a standard error     Wald, normal or t(df) (:func:`wald`)
=================================  =============================================
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike, NDArray

# scipy.stats' own numbers through scipy.special: an audit never imports scipy.stats
from pathaudit.stats import _dist

Array = NDArray[np.float64]

BOOTSTRAP_B = 2000
"""Default number of bootstrap resamples."""

BOOTSTRAP_SEED = 20240601
"""Default bootstrap seed (results are reproducible)."""


@functools.lru_cache(maxsize=64)
def _z(alpha: float) -> float:
    # memoised: curve and interval code asks for the same quantile thousands of times
    return float(_dist.norm_ppf(1 - alpha / 2))


def wilson_ci(successes: ArrayLike, n: ArrayLike, alpha: float = 0.05) -> tuple[Array, Array]:
    r"""Wilson score interval for a proportion.

    Parameters
    ----------
    successes, n
        Counts (arrays broadcast together). ``n == 0`` gives NaN.
    alpha
        1 - confidence level.

    Returns
    -------
    (lower, upper) : tuple of ndarray

    Notes
    -----
    With :math:`\hat p = x/n` and :math:`z = \Phi^{-1}(1-\alpha/2)`, the bounds are
    :math:`(\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}) / (1 + z^2/n)`.
    Checked against ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = _z(alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    lo = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
    hi = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return lo, hi


def poisson_rate_ci(
    events: ArrayLike, exposure: ArrayLike, alpha: float = 0.05
) -> tuple[Array, Array]:
    r"""Exact (Garwood) interval for an event rate ``events / exposure``.

    Parameters
    ----------
    events
        Event counts.
    exposure
        Person-time (same unit as the rate; multiply the result for "per 100").
    alpha
        1 - confidence level.

    Returns
    -------
    (lower, upper) : tuple of ndarray
        Bounds of the rate. Zero events give a lower bound of 0.

    Notes
    -----
    Lower :math:`= \chi^2_{\alpha/2}(2x)/2T`, upper :math:`= \chi^2_{1-\alpha/2}(2x+2)/2T`.
    """
    x = np.asarray(events, dtype=float)
    t = np.asarray(exposure, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(x > 0, _dist.chi2_ppf(alpha / 2, 2 * x) / 2, 0.0) / t
        hi = _dist.chi2_ppf(1 - alpha / 2, 2 * x + 2) / 2 / t
    bad = ~(t > 0)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def rate_ratio_ci(
    events_a: ArrayLike,
    exposure_a: ArrayLike,
    events_b: ArrayLike,
    exposure_b: ArrayLike,
    alpha: float = 0.05,
) -> tuple[Array, Array, Array, Array]:
    r"""Rate ratio a/b with its exact conditional (binomial) interval and p-value.

    Conditional on the total :math:`x_a + x_b`, :math:`x_a` is binomial with
    :math:`p = \theta T_a / (\theta T_a + T_b)`; the Clopper–Pearson bounds on
    :math:`p` map to bounds on the ratio :math:`\theta = p T_b / ((1-p) T_a)`.

    Parameters
    ----------
    events_a, exposure_a, events_b, exposure_b
        Event counts and person-time of the two groups (arrays broadcast together).
    alpha
        1 - confidence level.

    Returns
    -------
    (ratio, lower, upper, p_value) : tuple of ndarray
        ``p_value`` is the exact two-sided binomial test of :math:`\theta = 1`, central
        (see Notes); NaN when there are no events.

    Notes
    -----
    The p-value is the *central* (equal-tailed) one,
    :math:`p = \min(1,\ 2 \min\{P(X \le x_a),\ P(X \ge x_a)\})` with
    :math:`X \sim \mathrm{Bin}(x_a + x_b,\ T_a / (T_a + T_b))`: the test that the
    Clopper–Pearson interval inverts, so ``p_value < alpha`` exactly when the interval
    excludes 1. The default of ``scipy.stats.binomtest`` (the minimum-likelihood
    two-sided p-value) inverts a different interval and can contradict this one
    (e.g. p < 0.05 beside an interval that contains 1). Checked by hand (1 event in
    exposure 1 against 8 in exposure 2: :math:`p = 2 \cdot 2816/19683`) and by a
    property test of the agreement.
    """
    xa = np.asarray(events_a, dtype=float)
    xb = np.asarray(events_b, dtype=float)
    ta = np.asarray(exposure_a, dtype=float)
    tb = np.asarray(exposure_b, dtype=float)
    xa, xb, ta, tb = np.broadcast_arrays(xa, xb, ta, tb)
    n = xa + xb
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (xa / ta) / (xb / tb)
        plo = np.where(xa > 0, _dist.beta_ppf(alpha / 2, xa, n - xa + 1), 0.0)
        phi = np.where(xb > 0, _dist.beta_ppf(1 - alpha / 2, xa + 1, n - xa), 1.0)
        lo = plo * tb / ((1 - plo) * ta)
        hi = np.where(phi < 1, phi * tb / ((1 - phi) * ta), np.inf)
    pval = rate_ratio_pvalue(xa, ta, xb, tb)
    undefined = n == 0
    return (
        np.where(undefined, np.nan, ratio),
        np.where(undefined, np.nan, lo),
        np.where(undefined, np.nan, hi),
        pval,
    )


def rate_ratio_pvalue(
    events_a: ArrayLike,
    exposure_a: ArrayLike,
    events_b: ArrayLike,
    exposure_b: ArrayLike,
) -> Array:
    r"""Central exact conditional p-value of equal rates, the test of :func:`rate_ratio_ci`.

    Parameters
    ----------
    events_a, exposure_a, events_b, exposure_b
        Event counts and person-time of the two groups (arrays broadcast together).

    Returns
    -------
    ndarray
        :math:`\min(1,\ 2 \min\{P(X \le x_a),\ P(X \ge x_a)\})` with
        :math:`X \sim \mathrm{Bin}(x_a + x_b,\ T_a / (T_a + T_b))`; NaN when there
        are no events or an exposure is not positive.

    Notes
    -----
    Equal-tailed, so it agrees with the Clopper–Pearson interval of
    :func:`rate_ratio_ci` at every ``alpha``: ``p < alpha`` exactly when that
    interval excludes 1 (both compare the same tail probabilities with
    :math:`\alpha / 2`).
    """
    xa, ta, xb, tb = np.broadcast_arrays(
        np.asarray(events_a, dtype=float),
        np.asarray(exposure_a, dtype=float),
        np.asarray(events_b, dtype=float),
        np.asarray(exposure_b, dtype=float),
    )
    n = xa + xb
    with np.errstate(invalid="ignore", divide="ignore"):
        p0 = ta / (ta + tb)
        lower_tail = _dist.binom_cdf(xa, n, p0)
        upper_tail = _dist.binom_sf(xa - 1, n, p0)
    p = np.minimum(1.0, 2 * np.minimum(lower_tail, upper_tail))
    bad = (n <= 0) | ~(ta > 0) | ~(tb > 0)
    return np.where(bad, np.nan, p)


def wald(
    estimate: ArrayLike,
    se: ArrayLike,
    alpha: float = 0.05,
    df: ArrayLike | None = None,
) -> tuple[Array, Array, Array]:
    r"""Wald interval and two-sided p-value of ``estimate`` given its standard error.

    Parameters
    ----------
    estimate, se
        Estimates and standard errors on the scale where the estimate is normal (e.g.
        a log hazard ratio; exponentiate the bounds afterwards). Arrays broadcast.
    alpha
        1 - confidence level.
    df
        Degrees of freedom of a t reference distribution (array-like, broadcast with
        ``estimate``); None (default) for the standard normal.

    Returns
    -------
    (ci_lower, ci_upper, p_value) : tuple of ndarray
        :math:`\hat\theta \mp q\,\mathrm{se}` with :math:`q` the
        :math:`1 - \alpha/2` quantile, and :math:`2 P(T > |\hat\theta / \mathrm{se}|)`
        for the test of :math:`\theta = 0`. Where ``se`` is missing, infinite or
        negative, all three are NaN; where ``se == 0`` the interval is the point and
        the p-value NaN (no test without a variance).

    Notes
    -----
    The p-value and interval are one test: ``p_value < alpha`` exactly when the
    interval excludes 0. Checked against ``statsmodels`` ``DescrStatsW`` (t) and the
    normal quantiles in the tests.
    """
    est = np.asarray(estimate, dtype=float)
    s = np.asarray(se, dtype=float)
    if df is None:
        q = _z(alpha)
    else:
        dfa = np.asarray(df, dtype=float)
        q = _dist.t_ppf(1 - alpha / 2, dfa)
    ok_se = np.isfinite(s) & (s >= 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(ok_se, est - q * s, np.nan)
        hi = np.where(ok_se, est + q * s, np.nan)
        stat = np.abs(est / np.where(s > 0, s, np.nan))
        tail = _dist.norm_sf(stat) if df is None else _dist.t_sf(stat, dfa)
        p = np.where(ok_se & (s > 0), 2 * tail, np.nan)
    return lo, hi, p


def wilson_ci_effective(
    estimate: ArrayLike,
    se: ArrayLike,
    n_at_risk: ArrayLike,
    alpha: float = 0.05,
) -> tuple[Array, Array, Array]:
    r"""Wilson limits for a proportion or cumulative incidence known by its estimate and SE.

    For a cumulative incidence :math:`F` (Aalen–Johansen) with standard error
    :math:`\mathrm{se}`, the effective sample size is the binomial one that gives the
    same variance, :math:`n_\mathrm{eff} = F(1-F)/\mathrm{se}^2`, and the limits are
    Wilson's for :math:`F n_\mathrm{eff}` successes in :math:`n_\mathrm{eff}` trials.
    Where that is undefined -- no event yet (:math:`F = 0`, :math:`\mathrm{se} = 0`),
    :math:`F = 1`, or a zero standard error -- :math:`n_\mathrm{eff}` is
    ``n_at_risk``, so an arm with no event still gets a non-zero upper limit
    (:math:`z^2 / (n + z^2)`) instead of the degenerate interval [0, 0].

    Parameters
    ----------
    estimate
        Proportions or cumulative incidences in [0, 1].
    se
        Their standard errors.
    n_at_risk
        Sample size to use where :math:`n_\mathrm{eff}` is undefined (e.g. the number
        at risk at the start of follow-up).
    alpha
        1 - confidence level.

    Returns
    -------
    (lower, upper, n_eff) : tuple of ndarray
        Wilson limits (NaN where ``n_eff`` is not positive) and the effective sample
        size used.

    Notes
    -----
    With :math:`\mathrm{se}^2 = F(1-F)/n` (a plain proportion) this is exactly
    :func:`wilson_ci`. Pair the limits of two arms with :func:`mover_difference`.
    """
    f = np.asarray(estimate, dtype=float)
    s = np.asarray(se, dtype=float)
    n0 = np.asarray(n_at_risk, dtype=float)
    f, s, n0 = np.broadcast_arrays(f, s, n0)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = f * (1 - f) / s**2
    usable = (f > 0) & (f < 1) & (s > 0) & np.isfinite(n_eff)
    n_eff = np.where(usable, n_eff, n0)
    lo, hi = wilson_ci(f * n_eff, n_eff, alpha=alpha)
    return lo, hi, n_eff


def mover_difference(
    p1: ArrayLike,
    l1: ArrayLike,
    u1: ArrayLike,
    p2: ArrayLike,
    l2: ArrayLike,
    u2: ArrayLike,
) -> tuple[Array, Array, Array]:
    r"""Difference ``p1 - p2`` with its MOVER interval from each arm's own limits.

    The method of variance estimates recovery (Zou and Donner 2008; for two
    proportions with Wilson limits, Newcombe 1998, method 10) builds the interval of
    a difference of two independent estimates from their separate intervals, so that
    it inherits their good behaviour near 0 and 1 (asymmetric, within [-1, 1], and
    not degenerate when an arm has no event).

    Parameters
    ----------
    p1, l1, u1
        Estimate and lower and upper limits of arm 1 (e.g. from :func:`wilson_ci` or
        :func:`wilson_ci_effective`), at the confidence level wanted.
    p2, l2, u2
        The same for arm 2. Arrays broadcast.

    Returns
    -------
    (difference, lower, upper) : tuple of ndarray

    Notes
    -----
    With :math:`d = p_1 - p_2`:

    .. math::

        L = d - \sqrt{(p_1 - l_1)^2 + (u_2 - p_2)^2}, \qquad
        U = d + \sqrt{(u_1 - p_1)^2 + (p_2 - l_2)^2}.

    The arms must be independent (different people); for curves that share people,
    use influence values clustered by person instead. Checked against Newcombe's
    (1998) published example: 56/70 vs 48/80, difference 0.2000, 95% CI 0.0524 to
    0.3339.
    """
    a1, lo1, hi1, a2, lo2, hi2 = (np.asarray(v, dtype=float) for v in (p1, l1, u1, p2, l2, u2))
    d = a1 - a2
    lower = d - np.sqrt((a1 - lo1) ** 2 + (hi2 - a2) ** 2)
    upper = d + np.sqrt((hi1 - a1) ** 2 + (a2 - lo2) ** 2)
    return d, lower, upper


def loglog_ci(
    estimate: ArrayLike, se: ArrayLike, alpha: float = 0.05
) -> tuple[Array, Array]:
    r"""Pointwise interval for a survival or cumulative-incidence value on the log(-log) scale.

    Parameters
    ----------
    estimate
        Values in (0, 1): survival S(t) or cumulative incidence F(t).
    se
        Their standard errors (Greenwood / Aalen–Johansen delta method).
    alpha
        1 - confidence level.

    Returns
    -------
    (lower, upper) : tuple of ndarray

    Notes
    -----
    With :math:`u = \log(-\log x)` and :math:`\mathrm{se}(u) = \mathrm{se}(x) / |x \log x|`,
    the bounds are :math:`x^{\exp(\pm z\,\mathrm{se}(u))}`; they stay inside (0, 1).
    Values of exactly 0 or 1 give the degenerate interval [x, x].
    """
    x = np.asarray(estimate, dtype=float)
    s = np.asarray(se, dtype=float)
    z = _z(alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        su = s / np.abs(x * np.log(x))
        a = x ** np.exp(z * su)
        b = x ** np.exp(-z * su)
    lo = np.where((x > 0) & (x < 1), np.minimum(a, b), x)
    hi = np.where((x > 0) & (x < 1), np.maximum(a, b), x)
    return lo, hi


SURVIVAL_CI_KINDS = ("log-log", "log", "plain")
"""The pointwise intervals :func:`survival_ci` builds (R ``survfit``'s ``conf.type``)."""


def survival_ci(
    surv: ArrayLike, se: ArrayLike, kind: str = "log-log", alpha: float = 0.05
) -> tuple[Array, Array]:
    r"""Pointwise interval of a survival probability, as R ``survfit``'s ``conf.type``.

    Parameters
    ----------
    surv
        Survival :math:`S(t)`.
    se
        Its standard error (Greenwood).
    kind
        ``"log-log"`` (:func:`loglog_ci`, the package default), ``"log"`` or ``"plain"``.
    alpha
        1 - confidence level.

    Returns
    -------
    (lower, upper) : tuple of ndarray
        NaN where the interval is undefined (``S = 0`` on the log scales, as R).

    Notes
    -----
    With :math:`\sigma = \mathrm{se}/S` (the standard error of :math:`\log S`): ``"log"``
    is :math:`S e^{\pm z \sigma}` with the upper limit capped at 1; ``"plain"`` is
    :math:`S \pm z\,\mathrm{se}` clipped to [0, 1]; ``"log-log"`` is
    :math:`S^{\exp(\pm z \sigma / |\log S|)}`.

    Examples
    --------
    >>> lo, hi = survival_ci([0.8], [0.05], kind="plain")
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.702, 0.898)
    """
    if kind not in SURVIVAL_CI_KINDS:
        raise ValueError(f"kind must be one of {list(SURVIVAL_CI_KINDS)}; got {kind!r}.")
    x = np.asarray(surv, dtype=float)
    s = np.asarray(se, dtype=float)
    z = _z(alpha)
    if kind == "plain":
        return np.clip(x - z * s, 0.0, 1.0), np.clip(x + z * s, 0.0, 1.0)
    pos = x > 0
    if kind == "log":
        with np.errstate(invalid="ignore", divide="ignore"):
            sig = s / x
            lo, hi = x * np.exp(-z * sig), np.minimum(x * np.exp(z * sig), 1.0)
        return np.where(pos, lo, np.nan), np.where(pos, hi, np.nan)
    lo, hi = loglog_ci(x, s, alpha=alpha)
    return np.where(pos & (x < 1), lo, np.nan), np.where(pos & (x < 1), hi, np.nan)


def bootstrap_ratio_of_medians(
    a: ArrayLike,
    b: ArrayLike,
    *,
    B: int = BOOTSTRAP_B,
    alpha: float = 0.05,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float, float]:
    """Ratio of medians ``median(a) / median(b)`` with a percentile-bootstrap interval.

    Resamples within each group (with replacement, group sizes kept); each group's ``B``
    bootstrap medians are drawn exactly through order statistics
    (:func:`bootstrap_medians_exact`: the same bootstrap distribution as resampling every
    value, in O(B) per group instead of O(B n)).

    Returns
    -------
    (ratio, lower, upper) : tuple of float
        NaN when a group is empty.
    """
    xa = np.asarray(a, dtype=float)
    xb = np.asarray(b, dtype=float)
    if len(xa) == 0 or len(xb) == 0:
        return np.nan, np.nan, np.nan
    rng = np.random.default_rng(seed)
    ma = bootstrap_medians_exact(xa, B, rng)
    mb = bootstrap_medians_exact(xb, B, rng)
    r = ma / mb
    lo, hi = np.quantile(r, [alpha / 2, 1 - alpha / 2])
    return float(np.median(xa) / np.median(xb)), float(lo), float(hi)


def bootstrap_medians(x: ArrayLike, B: int, rng: np.random.Generator) -> Array:
    """Medians of ``B`` resamples of ``x`` (with replacement), in chunks to bound memory."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    out = np.empty(B)
    chunk = max(1, int(2e7 // max(n, 1)))
    for s in range(0, B, chunk):
        e = min(B, s + chunk)
        idx = rng.integers(0, n, size=(e - s, n))
        out[s:e] = np.median(x[idx], axis=1)
    return out


def bootstrap_medians_exact(x: ArrayLike, B: int, rng: np.random.Generator) -> Array:
    r"""Medians of ``B`` bootstrap resamples of ``x``, drawn through order statistics.

    The same bootstrap distribution as :func:`bootstrap_medians` (resampling ``n``
    values with replacement, ``numpy.median`` of each), sampled in O(B) instead of
    O(B n): for large groups (tens of thousands of people) it is what keeps the
    percentile-bootstrap interval of a median cheap. The two draw differently from
    ``rng``, so with the same seed they give different (equally distributed) medians.

    Parameters
    ----------
    x
        The sample (at least one value).
    B
        Number of resamples.
    rng
        Random generator.

    Returns
    -------
    numpy.ndarray
        ``B`` bootstrap medians.

    Notes
    -----
    A resample is ``x_(floor(n U_i))`` for ``n`` independent uniforms ``U_i``, with
    ``x_(j)`` the sorted sample; taking the floor commutes with ordering, so the
    resample's ``k``-th smallest value is ``x_(floor(n U_(k)))``. With
    :math:`U_{(k)} \sim \mathrm{Beta}(k, n - k + 1)` and, given it,
    :math:`U_{(k+1)} = U_{(k)} + (1 - U_{(k)})\,\mathrm{Beta}(1, n - k)`, the median
    (the middle value, or the mean of the two middle values for even ``n``) is drawn
    exactly. Checked against :func:`bootstrap_medians` in the tests.
    """
    xs = np.sort(np.asarray(x, dtype=float))
    n = len(xs)
    if n == 1:
        return np.full(B, xs[0])
    k = (n + 1) // 2 if n % 2 else n // 2
    u1 = rng.beta(k, n - k + 1, size=B)
    lo = xs[np.minimum((n * u1).astype(np.int64), n - 1)]
    if n % 2:
        return lo
    u2 = u1 + (1 - u1) * rng.beta(1, n - k, size=B)
    hi = xs[np.minimum((n * u2).astype(np.int64), n - 1)]
    return (lo + hi) / 2


def adjust_pvalues(p: ArrayLike, method: str = "holm") -> Array:
    """Multiplicity-adjusted p-values (``"holm"`` or ``"fdr_bh"``), NaN kept in place."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any() and method == "holm":
        # Holm step-down in numpy (statsmodels' holm branch calls gc.collect(), which
        # costs ~0.1 s per call in a large session); same values as multipletests
        q = p[ok]
        order = np.argsort(q, kind="stable")
        m = len(q)
        adj = np.minimum(np.maximum.accumulate(q[order] * np.arange(m, 0, -1)), 1.0)
        res = np.empty(m)
        res[order] = adj
        out[ok] = res
    elif ok.any() and method == "fdr_bh":
        # Benjamini-Hochberg step-up in numpy, as statsmodels' fdrcorrection computes it
        # (its import brings scipy.stats: half a second)
        q = p[ok]
        order = np.argsort(q)
        m = len(q)
        adj = np.minimum.accumulate((q[order] / (np.arange(1, m + 1) / float(m)))[::-1])[::-1]
        adj[adj > 1] = 1
        res = np.empty(m)
        res[order] = adj
        out[ok] = res
    elif ok.any():
        from statsmodels.stats.multitest import multipletests  # slow to import: on first use

        out[ok] = multipletests(p[ok], method=method)[1]
    return out


def mde_normal(se: ArrayLike, alpha: float = 0.05, power: float = 0.8) -> Array:
    """Minimum detectable effect of a two-sided Wald test: ``(z_{1-a/2} + z_{power}) * se``."""
    return (_z(alpha) + _dist.norm_ppf(power)) * np.asarray(se, dtype=float)


def fieller_ratio_of_means(
    a: ArrayLike, b: ArrayLike, alpha: float = 0.05
) -> tuple[float, float, float]:
    r"""Ratio of means ``mean(a) / mean(b)`` of two independent samples with Fieller's interval.

    Parameters
    ----------
    a, b
        The two samples (numerator, denominator); each needs two values.
    alpha
        1 - confidence level.

    Returns
    -------
    (ratio, lower, upper) : tuple of float
        :math:`\hat\rho = \bar a / \bar b` and the set of :math:`\rho` not rejected by
        the t test of :math:`\bar a - \rho \bar b = 0`:
        :math:`(\bar a - \rho \bar b)^2 \le q^2 (v_a + \rho^2 v_b)`, with
        :math:`v = s^2 / n` and :math:`q` the :math:`1 - \alpha/2` quantile of t with
        the Welch–Satterthwaite degrees of freedom at :math:`\hat\rho`. NaN limits when
        a sample has fewer than two values or :math:`\bar b` is not significantly away
        from zero (the set is then unbounded).

    Notes
    -----
    Fieller (1954). Unlike the delta method the interval is not symmetric and stays
    valid when the denominator is imprecise; the two agree for precise means.

    Examples
    --------
    >>> r, lo, hi = fieller_ratio_of_means([9, 10, 11], [19, 20, 21])
    >>> round(r, 3), lo < r < hi
    (0.5, True)
    """
    xa = np.asarray(a, dtype=float)
    xb = np.asarray(b, dtype=float)
    if len(xa) == 0 or len(xb) == 0:
        return np.nan, np.nan, np.nan
    ma, mb = float(xa.mean()), float(xb.mean())
    ratio = ma / mb if mb != 0 else np.nan
    if len(xa) < 2 or len(xb) < 2:
        return ratio, np.nan, np.nan
    va = float(xa.var(ddof=1)) / len(xa)
    vb = float(xb.var(ddof=1)) / len(xb)
    num = (va + ratio**2 * vb) ** 2
    den = va**2 / (len(xa) - 1) + (ratio**2 * vb) ** 2 / (len(xb) - 1)
    df = num / den if den > 0 else np.inf
    q = float(_dist.t_ppf(1 - alpha / 2, df)) if np.isfinite(df) else _z(alpha)
    q2 = q * q
    c2 = mb * mb - q2 * vb
    if c2 <= 0:
        return ratio, np.nan, np.nan
    disc = (ma * mb) ** 2 - c2 * (ma * ma - q2 * va)
    root = float(np.sqrt(max(disc, 0.0)))
    return ratio, (ma * mb - root) / c2, (ma * mb + root) / c2
