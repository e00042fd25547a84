"""Distribution functions without importing ``scipy.stats``.

``scipy.stats`` takes half a second to a second to import; an audit needs only a few
quantiles and tail probabilities of the normal, t, chi-squared, beta and binomial
distributions. These are the functions ``scipy.stats`` itself evaluates (``scipy.special``'s
``ndtr``, ``ndtri``, ``stdtr``, ``stdtrit``, ``gammaincinv``, ``chdtrc`` and the Boost
beta and binomial functions), with ``scipy.stats``' handling of the support's ends,
invalid parameters and missing values, so every number is the one ``scipy.stats`` gives
(checked value for value, edges included, in ``tests/test_stats.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from scipy import special as sc
else:  # imported on first use: import pathaudit stays fast
    from pathaudit.stats._lazy import LazyModule

    sc = LazyModule("scipy.special")

Array = NDArray[Any]


def _out(values: Array) -> Any:
    """A 0-d result as a NumPy scalar, as ``scipy.stats`` returns it."""
    return values[()] if values.ndim == 0 else values


def _ppf(q: ArrayLike, ok: Array, low: float, high: float,
         inner: Callable[..., Array], *params: Array) -> Any:
    """A quantile: ``inner`` inside (0, 1), the support's ends at 0 and 1, NaN elsewhere."""
    q, ok, *rest = np.broadcast_arrays(np.asarray(q, dtype=float), ok, *params)
    out = np.full(q.shape, np.nan)
    out[ok & (q == 0)] = low
    out[ok & (q == 1)] = high
    inside = ok & (q > 0) & (q < 1)
    if inside.any():
        out[inside] = inner(q[inside], *(p[inside] for p in rest))
    return _out(out)


def _tail(x: ArrayLike, ok: Array, low: float, high: float, inner: Callable[..., Array],
          below: float, *params: Array) -> Any:
    """A cdf (``below=0``) or sf (``below=1``): ``inner`` inside the support.

    Outside it the value at the support's end; NaN for invalid parameters or a missing ``x``.
    """
    x, ok, *rest = np.broadcast_arrays(np.asarray(x, dtype=float), ok, *params)
    out = np.zeros(x.shape)
    out[(x <= low) & ok] = below
    out[(x >= high) & ok] = 1.0 - below
    out[~ok | np.isnan(x)] = np.nan
    inside = ok & (x > low) & (x < high)
    if inside.any():
        out[inside] = inner(x[inside], *(p[inside] for p in rest))
    return _out(out)


_ALL = np.asarray(True)


def norm_ppf(q: ArrayLike) -> Any:
    """Quantile of the standard normal distribution: ``scipy.stats.norm.ppf(q)``.

    Parameters
    ----------
    q : array_like
        Probabilities.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        The quantiles, value for value those of ``scipy.stats.norm.ppf`` (a NumPy scalar
        for a scalar ``q``): ``-inf`` at 0, ``inf`` at 1, NaN outside [0, 1] or for NaN.

    Examples
    --------
    >>> round(float(norm_ppf(0.975)), 6)
    1.959964
    >>> norm_ppf([0.0, 1.0])
    array([-inf,  inf])
    """
    return _ppf(q, _ALL, -np.inf, np.inf, sc.ndtri)


def norm_cdf(x: ArrayLike) -> Any:
    """Distribution function of the standard normal: ``scipy.stats.norm.cdf(x)``.

    Parameters
    ----------
    x : array_like
        Values.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``P(Z <= x)``, value for value that of ``scipy.stats.norm.cdf``; NaN for NaN.

    Examples
    --------
    >>> round(float(norm_cdf(1.959964)), 6)
    0.975
    """
    return _tail(x, _ALL, -np.inf, np.inf, sc.ndtr, 0.0)


def norm_sf(x: ArrayLike) -> Any:
    """Upper tail of the standard normal: ``scipy.stats.norm.sf(x)``.

    Parameters
    ----------
    x : array_like
        Values.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``P(Z > x)``, value for value that of ``scipy.stats.norm.sf`` (computed as
        ``Phi(-x)``, exact far in the tail); NaN for NaN.

    Examples
    --------
    >>> round(float(norm_sf(1.959964)), 6)
    0.025
    """
    return _tail(x, _ALL, -np.inf, np.inf, lambda v: sc.ndtr(-v), 1.0)


def t_ppf(q: ArrayLike, df: ArrayLike) -> Any:
    """Quantile of Student's t distribution: ``scipy.stats.t.ppf(q, df)``.

    Parameters
    ----------
    q : array_like
        Probabilities.
    df : array_like
        Degrees of freedom (positive, ``inf`` allowed); broadcast against ``q``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        The quantiles, value for value those of ``scipy.stats.t.ppf``: ``-inf`` at 0,
        ``inf`` at 1, NaN for ``q`` outside [0, 1], ``df <= 0`` or NaN (as ``scipy.stats``
        does: a vectorised caller gets NaN where a value is invalid, not an error).

    Examples
    --------
    >>> round(float(t_ppf(0.975, 10)), 6)
    2.228139
    >>> t_ppf([0.0, 1.0], 5)
    array([-inf,  inf])
    """
    d = np.asarray(df, dtype=float)
    return _ppf(q, d > 0, -np.inf, np.inf, lambda v, k: sc.stdtrit(k, v), d)


def t_cdf(x: ArrayLike, df: ArrayLike) -> Any:
    """Distribution function of Student's t: ``scipy.stats.t.cdf(x, df)``.

    Parameters
    ----------
    x : array_like
        Values.
    df : array_like
        Degrees of freedom (positive, ``inf`` allowed); broadcast against ``x``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``P(T <= x)``, value for value that of ``scipy.stats.t.cdf``; NaN for ``df <= 0``
        or NaN.

    Examples
    --------
    >>> round(float(t_cdf(2.228139, 10)), 6)
    0.975
    """
    d = np.asarray(df, dtype=float)
    return _tail(x, d > 0, -np.inf, np.inf, lambda v, k: sc.stdtr(k, v), 0.0, d)


def t_sf(x: ArrayLike, df: ArrayLike) -> Any:
    """Upper tail of Student's t: ``scipy.stats.t.sf(x, df)``.

    Parameters
    ----------
    x : array_like
        Values.
    df : array_like
        Degrees of freedom (positive, ``inf`` allowed); broadcast against ``x``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``P(T > x)``, value for value that of ``scipy.stats.t.sf``; NaN for ``df <= 0``
        or NaN.

    Examples
    --------
    >>> round(float(t_sf(2.228139, 10)), 6)
    0.025
    """
    d = np.asarray(df, dtype=float)
    return _tail(x, d > 0, -np.inf, np.inf, lambda v, k: sc.stdtr(k, -v), 1.0, d)


def chi2_ppf(q: ArrayLike, df: ArrayLike) -> Any:
    """``scipy.stats.chi2.ppf(q, df)``.

    Examples
    --------
    >>> round(float(chi2_ppf(0.95, 1)), 6)
    3.841459
    """
    d = np.asarray(df, dtype=float)
    return _ppf(q, d > 0, 0.0, np.inf, lambda v, k: 2 * sc.gammaincinv(k / 2, v), d)


def chi2_sf(x: ArrayLike, df: ArrayLike) -> Any:
    """Upper tail of the chi-squared distribution: ``scipy.stats.chi2.sf(x, df)``.

    Parameters
    ----------
    x : array_like
        Values.
    df : array_like
        Degrees of freedom (positive); broadcast against ``x``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``P(X > x)``, value for value that of ``scipy.stats.chi2.sf``: 1 for ``x <= 0``,
        NaN for ``df <= 0`` or NaN.

    Examples
    --------
    >>> round(float(chi2_sf(3.841459, 1)), 6)
    0.05
    """
    d = np.asarray(df, dtype=float)
    return _tail(x, d > 0, 0.0, np.inf, lambda v, k: sc.chdtrc(k, v), 1.0, d)


def _boost(name: str) -> Any:
    """A Boost function that scipy.stats' beta and binomial distributions evaluate.

    None when this scipy keeps it elsewhere: those then go through scipy.stats.
    """
    try:
        import scipy.special._ufuncs as ufuncs
    except ImportError:  # pragma: no cover - another scipy layout
        return None
    return getattr(ufuncs, name, None)


def beta_ppf(q: ArrayLike, a: ArrayLike, b: ArrayLike) -> Any:
    """``scipy.stats.beta.ppf(q, a, b)``.

    Examples
    --------
    >>> round(float(beta_ppf(0.5, 2, 2)), 6)
    0.5
    """
    inner = _boost("_beta_ppf")
    if inner is None:  # pragma: no cover
        from scipy import stats

        return stats.beta.ppf(q, a, b)
    a_, b_ = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return _ppf(q, (a_ > 0) & (b_ > 0), 0.0, 1.0, inner, a_, b_)


def _binom_ok(n: Array, p: Array) -> Array:
    ok: Array = (n >= 0) & (n == np.floor(n)) & (p >= 0) & (p <= 1)
    return ok


def binom_cdf(k: ArrayLike, n: ArrayLike, p: ArrayLike) -> Any:
    """``scipy.stats.binom.cdf(k, n, p)``.

    Examples
    --------
    >>> round(float(binom_cdf(1, 3, 0.5)), 6)
    0.5
    """
    inner = _boost("_binom_cdf")
    if inner is None:  # pragma: no cover
        from scipy import stats

        return stats.binom.cdf(k, n, p)
    k, n, p = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(n, dtype=float),
                                  np.asarray(p, dtype=float))
    ok = _binom_ok(n, p)
    out = np.zeros(k.shape)
    out[k >= n] = 1.0
    out[~ok | np.isnan(k)] = np.nan
    inside = ok & (k >= 0) & (k < n) & np.isfinite(k)
    if inside.any():
        out[inside] = np.clip(inner(np.floor(k[inside]), n[inside], p[inside]), 0, 1)
    return _out(out)


def binom_sf(k: ArrayLike, n: ArrayLike, p: ArrayLike) -> Any:
    """``scipy.stats.binom.sf(k, n, p)``.

    Examples
    --------
    >>> round(float(binom_sf(1, 3, 0.5)), 6)
    0.5
    """
    inner = _boost("_binom_sf")
    if inner is None:  # pragma: no cover
        from scipy import stats

        return stats.binom.sf(k, n, p)
    k, n, p = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(n, dtype=float),
                                  np.asarray(p, dtype=float))
    ok = _binom_ok(n, p)
    out = np.zeros(k.shape)
    out[~ok | np.isnan(k)] = np.nan
    out[ok & (k < 0)] = 1.0
    inside = ok & (k >= 0) & (k < n) & np.isfinite(k)
    if inside.any():
        out[inside] = np.clip(inner(np.floor(k[inside]), n[inside], p[inside]), 0, 1)
    return _out(out)
