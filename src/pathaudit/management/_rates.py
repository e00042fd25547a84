"""Rate-ratio and cumulative-incidence numerics of the forced-into-management indicators.

A grade-stratified Poisson model with a person-clustered sandwich (the pooled rate
ratios of the ceiling, the stall and who-switches indicators) and the cumulative
incidence at a horizon (switch-back).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit import stats
from pathaudit.stats.survival import aalen_johansen


def cif_at(
    duration: np.ndarray, status: np.ndarray, horizon: float, cause: int = 1
) -> tuple[float, float, float, pd.DataFrame]:
    """Cumulative incidence of ``cause`` at ``horizon``, its standard error and the curve.

    Aalen–Johansen with the delta-method standard error
    (:func:`pathaudit.stats.survival.aalen_johansen`, equal to ``statsmodels``'
    ``CumIncidenceRight`` without delayed entry).

    Returns
    -------
    (cif, se, at_risk, curve)
        The value at ``horizon`` (0 before the first event), its standard error,
        the number still followed at ``horizon`` (``duration >= horizon``) and the
        curve of ``cause`` (``time``, ``estimate``, ``se``, ``at_risk``).
    """
    duration = np.asarray(duration, dtype=float)
    status = np.asarray(status, dtype=int)
    cols = ["time", "estimate", "se", "at_risk"]
    if len(duration) == 0:
        return np.nan, np.nan, 0.0, pd.DataFrame(columns=cols)
    at_risk_h = float((duration >= horizon).sum())
    if not (status == cause).any():
        return 0.0, 0.0, at_risk_h, pd.DataFrame(
            {"time": [0.0], "estimate": [0.0], "se": [0.0], "at_risk": [float(len(duration))]})
    fit = aalen_johansen(duration, status, causes=tuple(sorted({1, 2, cause})))
    j = fit.causes.index(cause)
    curve = pd.DataFrame({"time": fit.time, "estimate": fit.cif[:, j], "se": fit.se[:, j],
                          "at_risk": fit.n_risk.astype(float)})
    est, se, _ = fit.at(np.array([horizon]), cause=cause)
    return float(est[0]), float(se[0]), at_risk_h, curve


def integer_codes(values: pd.Series) -> np.ndarray:
    """Integer codes 0..K-1 of a column (kept as they are when already small integers)."""
    if pd.api.types.is_integer_dtype(values) and not values.isna().any():
        arr = values.to_numpy(dtype=np.int64)
        if len(arr) and arr.min() >= 0 and arr.max() < 10 * len(arr) + 10:
            return arr
    return pd.factorize(values)[0].astype(np.int64)


def poisson_stratified(
    events: np.ndarray,
    person_years: np.ndarray,
    x: np.ndarray,
    strata: np.ndarray,
    cluster: np.ndarray,
    *,
    max_iter: int = 50,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Poisson regression with one intercept per stratum and a person-clustered sandwich.

    Parameters
    ----------
    events, person_years
        Event counts and person-time per row (``person_years > 0``).
    x
        Discrete covariates (e.g. 0/1 indicators), shape ``(n, p)``.
    strata, cluster
        Integer codes (0-based) of the stratum and of the person of each row.
    max_iter
        Newton iterations at most.

    Returns
    -------
    (beta, cov) : tuple of ndarray
        Estimates and their clustered covariance (``p`` and ``(p, p)``); NaN when
        Newton does not converge to finite values.

    Notes
    -----
    The stratum intercepts are profiled out: for fixed :math:`\beta`,
    :math:`\hat\alpha_s = \log(D_s / \sum_{i \in s} PY_i e^{x_i\beta})`, so
    Newton runs on :math:`\beta` alone with score
    :math:`\sum_i (x_i - \bar x_s)(d_i - \mu_i)` and information
    :math:`\sum_i \mu_i (x_i - \bar x_s)(x_i - \bar x_s)'`, :math:`\bar x_s` the
    :math:`\mu`-weighted mean of :math:`x` in stratum :math:`s`. With discrete
    covariates these depend on the data only through the events and person-time
    of each (stratum, covariate pattern) cell, so Newton runs on those cells; one
    pass over the rows then gives the person score sums :math:`u_g`, and the
    sandwich :math:`A^{-1} (\frac{G}{G-1} \sum_g u_g u_g') A^{-1}` equals the
    :math:`\beta` block of the full model's clustered sandwich (the intercepts
    partialled out; checked against ``statsmodels`` GLM in the tests).
    """
    d = np.asarray(events, dtype=float)
    t = np.asarray(person_years, dtype=float)
    X = np.asarray(x, dtype=float).reshape(len(d), -1)
    p = X.shape[1]
    nan = (np.full(p, np.nan), np.full((p, p), np.nan))
    if len(d) == 0:
        return nan
    n_s = int(strata.max()) + 1
    if p <= 16 and np.isin(X, (0.0, 1.0)).all():
        # indicator covariates: pattern = bit code, no sorting needed
        n_pat = 2**p
        pat = (X.astype(np.int64) << np.arange(p)).sum(axis=1)
        patterns = ((np.arange(n_pat)[:, None] >> np.arange(p)) & 1).astype(float)
        cell = strata.astype(np.int64) * n_pat + pat
        used = np.bincount(cell, minlength=n_s * n_pat) > 0
        cells = np.nonzero(used)[0]
        lookup = np.cumsum(used) - 1
        c_inv = lookup[cell]
    else:
        patterns, pat = np.unique(X, axis=0, return_inverse=True)
        pat = pat.reshape(-1)
        n_pat = len(patterns)
        cell = strata.astype(np.int64) * n_pat + pat
        cells, c_inv = np.unique(cell, return_inverse=True)
    d_c = np.bincount(c_inv, weights=d)
    t_c = np.bincount(c_inv, weights=t)
    s_c = cells // n_pat
    x_c = patterns[cells % n_pat]
    d_s = np.bincount(s_c, weights=d_c, minlength=n_s)

    def fitted(beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        eta = x_c @ beta
        w = t_c * np.exp(eta - eta.max())
        w_s = np.bincount(s_c, weights=w, minlength=n_s)
        mu = np.where(w_s[s_c] > 0, d_s[s_c] * w / np.where(w_s[s_c] > 0, w_s[s_c], 1.0), 0.0)
        mu_s = np.bincount(s_c, weights=mu, minlength=n_s)
        xbar = np.column_stack(
            [np.bincount(s_c, weights=mu * x_c[:, j], minlength=n_s) for j in range(p)]
        ) / np.where(mu_s > 0, mu_s, 1.0)[:, None]
        return mu, xbar, x_c - xbar[s_c]

    beta = np.zeros(p)
    for _ in range(max_iter):
        mu, _, r = fitted(beta)
        info = (r * mu[:, None]).T @ r
        try:
            step = np.linalg.solve(info, r.T @ (d_c - mu))
        except np.linalg.LinAlgError:
            return nan
        beta = beta + step
        if not np.all(np.isfinite(beta)) or np.abs(beta).max() > 30:
            return nan
        if np.abs(step).max() < 1e-10:
            break
    else:
        return nan
    mu_c, xbar, r_c = fitted(beta)
    info = (r_c * mu_c[:, None]).T @ r_c
    # rows: mu_i = mu_cell * t_i / t_cell; residual score (x_i - xbar_s)(d_i - mu_i)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu_i = np.where(t_c[c_inv] > 0, mu_c[c_inv] * t / t_c[c_inv], 0.0)
    resid = d - mu_i
    r_i = r_c[c_inv]
    n_g = int(cluster.max()) + 1
    u = np.column_stack(
        [np.bincount(cluster, weights=r_i[:, j] * resid, minlength=n_g) for j in range(p)]
    )
    g = int((np.bincount(cluster, minlength=n_g) > 0).sum())
    inv = np.linalg.inv(info)
    cov = inv @ (u.T @ u) @ inv * (g / (g - 1) if g > 1 else np.nan)
    return beta, cov


def stratified_rate_ratio(
    frame: pd.DataFrame,
    *,
    focal: str | list[str],
    strata: str,
    cluster: str,
    events: str = "events",
    person_years: str = "person_years",
    alpha: float = 0.05,
) -> pd.DataFrame:
    r"""Rate ratio(s) of ``focal`` indicator column(s), stratified, with person-clustered CIs.

    Poisson regression of ``events`` on the focal indicators and one intercept
    per stratum, offset ``log(person_years)``, sandwich variance clustered by
    ``cluster`` with the small-sample factor :math:`G/(G-1)` (G people); see
    :func:`poisson_stratified`. Under a hazard that is constant within stratum
    and focal group, ``exp(b)`` is the hazard ratio. How person-time is split
    into rows changes neither the estimate nor the interval. Strata without
    events carry no information.

    Returns
    -------
    pandas.DataFrame
        One row per focal column: ``term``, ``estimate``, ``ci_lower``,
        ``ci_upper``, ``p_value``, ``events_focal``, ``events_reference`` and
        ``expected_focal``, ``expected_reference``: the events each side would
        have had at a common rate within strata
        (:math:`\sum_s n_s T_{1s} / (T_{1s} + T_{0s})`, :math:`n_s` the events of
        both sides). These do not depend on how the events split, so a rule on
        them selects no particular result. NaN where a group has no events or no
        person-time.
    """
    focal_cols = [focal] if isinstance(focal, str) else list(focal)
    return rate_ratio_arrays(
        frame[events].to_numpy(dtype=float), frame[person_years].to_numpy(dtype=float),
        frame[focal_cols].to_numpy(dtype=float), integer_codes(frame[strata]),
        integer_codes(frame[cluster]), focal_cols, alpha=alpha)


def rate_ratio_arrays(
    events: np.ndarray,
    person_years: np.ndarray,
    focal: np.ndarray,
    strata: np.ndarray,
    cluster: np.ndarray,
    names: list[str],
    *,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """:func:`stratified_rate_ratio` on arrays: no frame, codes given.

    ``focal`` is the ``(n, p)`` array of 0/1 indicator columns named ``names``;
    ``strata`` and ``cluster`` are non-negative integer codes of each row (any
    numbering: the figures do not depend on it).
    """
    focal_cols = list(names)
    py = np.asarray(person_years, dtype=float)
    keep = py > 0
    ev = np.asarray(events, dtype=float)[keep]
    py = py[keep]
    fx = np.asarray(focal, dtype=float).reshape(len(keep), -1)[keep]
    out = []
    ok = len(ev) > 0
    off = fx.sum(axis=1) == 0
    st = np.asarray(strata, dtype=np.int64)[keep]
    n_s = int(st.max()) + 1 if len(st) else 0
    for j, c in enumerate(focal_cols):
        on = fx[:, j] == 1
        e1, e0 = float(ev[on].sum()), float(ev[off].sum())
        # expected focal events if the rate were the reference's, within strata
        d1 = np.bincount(st[on], weights=ev[on], minlength=n_s)
        d0 = np.bincount(st[off], weights=ev[off], minlength=n_s)
        t1 = np.bincount(st[on], weights=py[on], minlength=n_s)
        t0 = np.bincount(st[off], weights=py[off], minlength=n_s)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(t1 + t0 > 0, t1 / (t1 + t0), 0.0)
        x1 = float(((d1 + d0) * share).sum())
        out.append({"term": c, "events_focal": e1, "events_reference": e0,
                    "expected_focal": x1, "expected_reference": float((d1 + d0).sum()) - x1})
        if e1 == 0 or e0 == 0:
            ok = False
    res = pd.DataFrame(out)
    res[["estimate", "ci_lower", "ci_upper", "p_value"]] = np.nan
    if not ok:
        return res
    cl = np.asarray(cluster, dtype=np.int64)[keep]
    b, cov = poisson_stratified(ev, py, fx, st, cl)
    se = np.sqrt(np.diag(cov))
    lo, hi, pv = stats.wald(b, se, alpha=alpha)
    res["estimate"] = np.exp(b)
    res["ci_lower"] = np.exp(lo)
    res["ci_upper"] = np.exp(hi)
    res["p_value"] = pv
    return res


def grouped_rate_ratio(
    group: np.ndarray,
    strata: np.ndarray,
    focal: np.ndarray,
    events: np.ndarray,
    person_years: np.ndarray,
    cluster: np.ndarray,
    n_groups: int,
    *,
    alpha: float = 0.05,
    max_iter: int = 50,
) -> pd.DataFrame:
    r"""One stratified rate ratio per group, all groups fitted at once.

    The same figure as :func:`stratified_rate_ratio` with one focal 0/1 column,
    run on each group's rows alone (a separate model per group: its own ratio,
    its own stratum intercepts and its own clustered sandwich), computed for
    every group in one vectorised Newton iteration.

    Parameters
    ----------
    group
        Group code of each row, ``0 .. n_groups - 1``.
    strata, cluster
        Integer codes of the stratum (e.g. grade) and of the person of each row.
    focal
        1 for the focal side, 0 for the reference.
    events, person_years
        Event counts and person-time of each row (rows without person-time are
        left out).
    n_groups
        Number of groups.
    alpha
        1 - confidence level.
    max_iter
        Newton iterations at most.

    Returns
    -------
    pandas.DataFrame
        One row per group code: ``estimate``, ``ci_lower``, ``ci_upper``,
        ``p_value``, ``events_focal``, ``events_reference``, ``expected_focal``,
        ``expected_reference`` (as in :func:`stratified_rate_ratio`; NaN where a
        side has no events or Newton does not converge).

    Notes
    -----
    With the stratum intercepts profiled out, group :math:`g`'s score and
    information are :math:`U_g = \sum_c r_c (d_c - \mu_c)` and
    :math:`I_g = \sum_c \mu_c r_c^2` over its (stratum, side) cells :math:`c`,
    :math:`\mu_c = D_s t_c e^{\beta_g x_c} / \sum_{c' \in s} t_{c'} e^{\beta_g x_{c'}}`,
    :math:`r_c = x_c - \bar x_s`, as in :func:`poisson_stratified`; the sandwich is
    :math:`I_g^{-2} \frac{G_g}{G_g - 1} \sum_k u_k^2` over the people :math:`k` of
    the group.
    """
    py = np.asarray(person_years, dtype=float)
    keep = py > 0
    py = py[keep]
    d = np.asarray(events, dtype=float)[keep]
    x = np.asarray(focal, dtype=np.int64)[keep]
    grp = np.asarray(group, dtype=np.int64)[keep]
    st = np.asarray(strata, dtype=np.int64)[keep]
    cl = np.asarray(cluster, dtype=np.int64)[keep]
    G = int(n_groups)
    # strata and cells within groups
    # strata within groups and people within groups: hashed (pandas.factorize), not sorted
    s_inv, s_key = pd.factorize(grp * (int(st.max()) + 1 if len(st) else 1) + st)
    n_s = len(s_key)
    c_row = s_inv * 2 + x
    d_c = np.bincount(c_row, weights=d, minlength=2 * n_s)
    t_c = np.bincount(c_row, weights=py, minlength=2 * n_s)
    s_c = np.repeat(np.arange(n_s), 2)
    x_c = np.tile([0.0, 1.0], n_s)
    s_grp = np.zeros(n_s, dtype=np.int64)
    s_grp[s_inv] = grp
    g_c = s_grp[s_c]
    d_s = np.bincount(s_c, weights=d_c, minlength=n_s)
    # counts and expected counts (common rate within strata)
    d1, d0 = d_c[1::2], d_c[0::2]
    t1, t0 = t_c[1::2], t_c[0::2]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(t1 + t0 > 0, t1 / (t1 + t0), 0.0)
    e1 = np.bincount(s_grp, weights=d1, minlength=G)
    e0 = np.bincount(s_grp, weights=d0, minlength=G)
    x1 = np.bincount(s_grp, weights=(d1 + d0) * share, minlength=G)
    out = pd.DataFrame({"events_focal": e1, "events_reference": e0, "expected_focal": x1,
                        "expected_reference": e1 + e0 - x1})
    rows_g = np.bincount(grp, minlength=G)
    fit = (rows_g > 0) & (e1 > 0) & (e0 > 0)

    def fitted(beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = t_c * np.exp(beta[g_c] * x_c)
        w_s = np.bincount(s_c, weights=w, minlength=n_s)
        with np.errstate(invalid="ignore", divide="ignore"):
            mu = np.where(w_s[s_c] > 0, d_s[s_c] * w / np.where(w_s[s_c] > 0, w_s[s_c], 1.0), 0.0)
        mu_s = np.bincount(s_c, weights=mu, minlength=n_s)
        xbar = np.bincount(s_c, weights=mu * x_c, minlength=n_s) / np.where(mu_s > 0, mu_s, 1.0)
        return mu, x_c - xbar[s_c]

    beta = np.zeros(G)
    active = fit.copy()
    failed = ~fit
    for _ in range(max_iter):
        if not active.any():
            break
        mu, r = fitted(beta)
        info = np.bincount(g_c, weights=mu * r * r, minlength=G)
        score = np.bincount(g_c, weights=r * (d_c - mu), minlength=G)
        singular = active & (info == 0)
        failed |= singular
        active &= ~singular
        step = np.where(active, score / np.where(info == 0, 1.0, info), 0.0)
        beta = np.where(active, beta + step, beta)
        bad = active & (~np.isfinite(beta) | (np.abs(beta) > 30))
        failed |= bad
        active &= ~bad
        active &= ~(np.abs(step) < 1e-10)
    failed |= active  # not converged
    beta = np.where(failed, 0.0, beta)
    mu_c, r_c = fitted(beta)
    info = np.bincount(g_c, weights=mu_c * r_c * r_c, minlength=G)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu_i = np.where(t_c[c_row] > 0, mu_c[c_row] * py / t_c[c_row], 0.0)
    score_i = r_c[c_row] * (d - mu_i)
    k_inv, k_key = pd.factorize(grp * (int(cl.max()) + 1 if len(cl) else 1) + cl)
    u = np.bincount(k_inv, weights=score_i, minlength=len(k_key))
    k_grp = np.zeros(len(k_key), dtype=np.int64)
    k_grp[k_inv] = grp
    n_people = np.bincount(k_grp, minlength=G).astype(float)
    uu = np.bincount(k_grp, weights=u * u, minlength=G)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n_people > 1, n_people / (n_people - 1), np.nan)
        se = np.sqrt(uu / info**2 * factor)
        b = np.where(failed, np.nan, beta)
        se = np.where(failed, np.nan, se)
        lo, hi, pv = stats.wald(b, se, alpha=alpha)
        out["estimate"] = np.exp(b)
        out["ci_lower"] = np.exp(lo)
        out["ci_upper"] = np.exp(hi)
        out["p_value"] = pv
    return out[["estimate", "ci_lower", "ci_upper", "p_value", "events_focal",
                "events_reference", "expected_focal", "expected_reference"]]
