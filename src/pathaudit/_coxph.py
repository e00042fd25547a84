"""Cox proportional-hazards fits with delayed entry, strata and person-clustered sandwich errors.

The fit itself is statsmodels' :class:`~statsmodels.duration.hazard_regression.PHReg`
(Breslow ties). The cluster-robust ("sandwich") covariance is computed here, vectorised,
because ``PHReg.fit(groups=...)`` builds its score residuals with Python sets over every risk
set, which is quadratic in the data size. The two agree to numerical precision (checked in
``tests/test_matching.py`` against ``PHReg(...).fit(groups=...)``).

Conventions: times are whole days (floats holding integers), so ties are exact. A row is at
risk at a failure time ``t`` when ``entry < t <= time`` (the counting-process convention; a
person whose exposure is split into consecutive rows is counted once at every time).
PHReg counts a row as at risk when ``entry <= t``, so entries are passed to it shifted by half
a day, which is the same thing on a whole-day scale.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from statsmodels.duration.hazard_regression import PHReg

from pathaudit.errors import StatisticalWarning

Array = NDArray[np.float64]

_HALF_DAY = 0.5


@dataclass(frozen=True)
class CoxFit:
    """A fitted Cox model: log hazard ratios and their person-clustered covariance.

    Attributes
    ----------
    names
        Covariate names, in the order of ``params``.
    params
        Log hazard ratios.
    cov
        Cluster-robust (sandwich) covariance of ``params``.
    cov_naive
        Model-based covariance (inverse information).
    n_obs
        Rows used.
    n_events
        Events.
    n_clusters
        Distinct clusters (people).
    converged
        Whether the score at the solution is close to zero and every estimate is finite.
    """

    names: tuple[str, ...]
    params: Array
    cov: Array
    cov_naive: Array
    n_obs: int
    n_events: int
    n_clusters: int
    converged: bool

    def se(self, name: str) -> float:
        """Robust standard error of the log hazard ratio of ``name``."""
        i = self.names.index(name)
        return float(np.sqrt(self.cov[i, i]))

    def coef(self, name: str) -> float:
        """Log hazard ratio of ``name``."""
        return float(self.params[self.names.index(name)])


def breslow_parts(
    time: Array,
    status: Array,
    exog: Array,
    params: Array,
    *,
    entry: Array | None = None,
    strata: NDArray[np.int64] | None = None,
) -> tuple[Array, Array, Array]:
    r"""Score, information and per-row score residuals of the Breslow partial likelihood.

    Parameters
    ----------
    time, status, exog, params
        Exit times (whole days), event indicators (0/1), covariates ``(n, p)`` and
        log hazard ratios.
    entry
        Entry times (a row is at risk when ``entry < t <= time``); default 0.
    strata
        Integer stratum codes ``0 .. S-1``; default one stratum.

    Returns
    -------
    (score, information, residuals)
        Gradient of the log partial likelihood ``(p,)``, its negative Hessian ``(p, p)``
        and the score residuals ``(n, p)`` whose column sums are the score.

    Notes
    -----
    With failure times :math:`t_k` of a stratum, :math:`S_0(t) = \sum_{i \in R(t)} w_i`,
    :math:`\bar x(t) = \sum_{i \in R(t)} w_i x_i / S_0(t)`, :math:`d\Lambda_k = d_k / S_0(t_k)`
    and :math:`A_i = \sum_{k: i \in R(t_k)} d\Lambda_k`:

    - residual :math:`r_i = \delta_i (x_i - \bar x(t_i)) - w_i \sum_{k: i\in R(t_k)}
      (x_i - \bar x(t_k)) d\Lambda_k`;
    - information :math:`I = \sum_i w_i A_i x_i x_i^T - \sum_k d_k \bar x_k \bar x_k^T`.

    Strata are laid end to end on one time axis (stratum ``s`` shifted by ``s`` times the
    span of all times), so that sums over risk sets are differences of two reverse cumulative
    sums and no loop over strata or failure times is needed.
    """
    time = np.asarray(time, dtype=float)
    status = np.asarray(status, dtype=float)
    x = np.asarray(exog, dtype=float)
    n, p = x.shape
    entry = np.zeros(n) if entry is None else np.asarray(entry, dtype=float)
    codes = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata, dtype=np.int64)
    span = float(max(time.max(), 0.0) - min(entry.min(), 0.0) + 2.0)
    t_glob = time + codes * span
    e_glob = entry + codes * span

    eta = x @ params
    w = np.exp(eta - eta.max())
    fail = status > 0
    uft, d = np.unique(t_glob[fail], return_counts=True)

    def tail_sums(key: Array, vals: Array) -> Array:
        order = np.argsort(key, kind="stable")
        k_sorted = key[order]
        v = vals[order]
        csum = np.concatenate([np.zeros((1,) + v.shape[1:]), np.cumsum(v, axis=0)])
        idx = np.searchsorted(k_sorted, uft, side="left")
        return csum[-1] - csum[idx]

    # S0 and S1 at failure times: rows with time >= t minus rows with entry >= t
    wx = w[:, None] * x
    s0 = tail_sums(t_glob, w) - tail_sums(e_glob, w)
    s1 = tail_sums(t_glob, wx) - tail_sums(e_glob, wx)
    xbar = s1 / s0[:, None]
    dlam = d / s0
    a_cum = np.concatenate([[0.0], np.cumsum(dlam)])
    b_cum = np.concatenate([np.zeros((1, p)), np.cumsum(xbar * dlam[:, None], axis=0)])
    hi = np.searchsorted(uft, t_glob, side="right")  # failure times <= time
    lo = np.searchsorted(uft, e_glob, side="right")  # failure times <= entry
    a_i = a_cum[hi] - a_cum[lo]
    b_i = b_cum[hi] - b_cum[lo]
    resid = -w[:, None] * (x * a_i[:, None] - b_i)
    k_fail = np.searchsorted(uft, t_glob[fail], side="left")
    resid[fail] += x[fail] - xbar[k_fail]
    score = resid.sum(axis=0)
    info = (x * (w * a_i)[:, None]).T @ x - (xbar * d[:, None]).T @ xbar
    return score, info, resid


def cluster_sums(resid: Array, groups: NDArray[np.int64]) -> Array:
    """Column sums of ``resid`` within each group code (``(G, p)``)."""
    g = np.asarray(groups, dtype=np.int64)
    n_g = int(g.max()) + 1 if len(g) else 0
    return np.column_stack(
        [np.bincount(g, weights=resid[:, j], minlength=n_g) for j in range(resid.shape[1])]
    )


def fit_cox(
    time: Array,
    status: Array,
    exog: Array,
    names: list[str] | tuple[str, ...],
    groups: NDArray[np.int64],
    *,
    entry: Array | None = None,
    strata: NDArray[np.int64] | None = None,
) -> CoxFit:
    """Fit a Breslow Cox model with PHReg and person-clustered sandwich errors.

    Parameters
    ----------
    time, status, exog
        Exit time in whole days, event indicator, covariates ``(n, p)``.
    names
        Covariate names.
    groups
        Integer cluster codes ``0 .. G-1`` (people).
    entry
        Delayed-entry times in whole days (at risk when ``entry < t <= time``).
    strata
        Integer stratum codes ``0 .. S-1`` (baseline hazard per stratum).

    Returns
    -------
    CoxFit
        A fit with NaN estimates (and ``converged=False``) when there are no events
        or the likelihood has no finite maximum (e.g. no events in one group).
    """
    x = np.asarray(exog, dtype=float)
    n, p = x.shape
    status = np.asarray(status, dtype=float)
    groups = np.asarray(groups, dtype=np.int64)
    n_events = int(status.sum())
    n_clusters = len(np.unique(groups))
    nan = np.full(p, np.nan)
    nan_cov = np.full((p, p), np.nan)
    if n_events == 0 or n == 0:
        return CoxFit(tuple(names), nan, nan_cov, nan_cov, n, n_events, n_clusters, False)
    ph_entry = None if entry is None else np.asarray(entry, dtype=float) + _HALF_DAY
    model = PHReg(
        np.asarray(time, dtype=float),
        x,
        status=status,
        entry=ph_entry,
        strata=strata,
        ties="breslow",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = model.fit()
            params = np.asarray(res.params, dtype=float)
        except (np.linalg.LinAlgError, ValueError, OverflowError):
            params = nan
    if not np.all(np.isfinite(params)):
        return CoxFit(tuple(names), nan, nan_cov, nan_cov, n, n_events, n_clusters, False)
    score, info, resid = breslow_parts(time, status, x, params, entry=entry, strata=strata)
    try:
        inv = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return CoxFit(tuple(names), params, nan_cov, nan_cov, n, n_events, n_clusters, False)
    u = cluster_sums(resid, groups)
    cov = inv @ (u.T @ u) @ inv
    # converged: Newton step from the solution is negligible and estimates are moderate
    step = inv @ score
    converged = bool(np.all(np.abs(step) < 1e-4) and np.all(np.abs(params) < 15))
    if not converged:
        warnings.warn(
            "The Cox model did not converge to finite hazard ratios (a group may have no "
            "events); its estimates are not reported.",
            StatisticalWarning,
            stacklevel=3,
        )
        return CoxFit(tuple(names), nan, nan_cov, nan_cov, n, n_events, n_clusters, False)
    return CoxFit(tuple(names), params, cov, inv, n, n_events, n_clusters, True)
