r"""Sensitivity to violations of parallel trends: Rambachan–Roth relative-magnitude bounds.

Under :math:`\Delta^{RM}(\bar M)` the post-treatment trend differences may change from one
period to the next by at most :math:`\bar M` times the largest such change seen before
treatment. Given event-study coefficients :math:`\beta_e` against the reference period
:math:`e = -1` (:math:`\delta_{-1} = 0`), with :math:`\delta_{pre} = \beta_{pre}`, the
identified set of :math:`\theta = l'\tau_{post}` is
:math:`[l'\beta_{post} - \max l'\delta_{post},\ l'\beta_{post} - \min l'\delta_{post}]`
over :math:`|\delta_{t+1} - \delta_t| \le \bar M \max_{s<-1} |\delta_{s+1} - \delta_s|`
for :math:`t \ge -1`: two linear programmes (Rambachan and Roth 2023, section 2.4).
"""

from __future__ import annotations

import numpy as np


def relative_magnitude_set(
    beta_pre: np.ndarray, beta_post: np.ndarray, mbar: float, l_vec: np.ndarray | None = None
) -> tuple[float, float]:
    """Identified set of ``l' tau_post`` under relative magnitudes ``mbar``.

    Parameters
    ----------
    beta_pre
        Coefficients of event times ``-K, ..., -2`` (the reference ``-1`` is 0, left out).
    beta_post
        Coefficients of event times ``0, ..., E - 1``.
    mbar
        The allowed ratio of a post-treatment change to the largest pre-treatment change.
    l_vec
        Weights of the target over the post periods (default: their average).

    Returns
    -------
    tuple of float
        ``(lower, upper)``.

    Examples
    --------
    >>> relative_magnitude_set(np.array([0.1]), np.array([1.0, 1.0]), 1.0)
    (0.85, 1.15)
    """
    beta_pre = np.asarray(beta_pre, dtype=float)
    beta_post = np.asarray(beta_post, dtype=float)
    E = len(beta_post)
    lv = np.full(E, 1.0 / E) if l_vec is None else np.asarray(l_vec, dtype=float)
    pre = np.concatenate([beta_pre, [0.0]])  # ... delta_{-2}, delta_{-1} = 0
    steps = np.abs(np.diff(pre)) if len(pre) > 1 else np.array([0.0])
    bound = float(mbar) * float(steps.max())
    # variables: delta_0 .. delta_{E-1}; constraints |delta_t - delta_{t-1}| <= bound,
    # delta_{-1} = 0
    D = np.eye(E) - np.eye(E, k=-1)
    A = np.vstack([D, -D])
    b = np.full(2 * E, bound)
    bounds = [(None, None)] * E
    from scipy.optimize import linprog  # slow to import: on first use

    hi = linprog(-lv, A_ub=A, b_ub=b, bounds=bounds, method="highs")
    lo = linprog(lv, A_ub=A, b_ub=b, bounds=bounds, method="highs")
    theta = float(lv @ beta_post)
    max_delta = -float(hi.fun)
    min_delta = float(lo.fun)
    return round(theta - max_delta, 12), round(theta - min_delta, 12)


def breakdown_mbar(beta_pre: np.ndarray, beta_post: np.ndarray) -> float:
    """The smallest ``mbar`` whose identified set of the post average contains 0.

    The bounds move linearly in ``mbar`` (the constraints scale with it), so the breakdown
    value solves ``theta - mbar * c = 0`` with ``c`` the half-width at ``mbar = 1`` on the
    side of zero. 0 when the estimate is 0; infinite when the pre-period shows no change.

    Examples
    --------
    >>> breakdown_mbar(np.array([0.1]), np.array([1.0, 1.0]))
    6.666666666667
    """
    theta = float(np.mean(beta_post))
    lo, hi = relative_magnitude_set(beta_pre, beta_post, 1.0)
    width = (theta - lo) if theta > 0 else (hi - theta)
    if theta == 0:
        return 0.0
    if width <= 0:
        return float("inf")
    return round(abs(theta) / width, 12)
