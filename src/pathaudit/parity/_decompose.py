"""Oaxaca–Blinder twofold decomposition of the mean IC − M log-pay gap.

The raw gap (mean log pay of ICs minus that of managers) splits into a part
explained by differences in composition (grade, tenure, job family, ...) valued
at pooled reference coefficients (Neumark 1988), and an unexplained part. The
parts add up to the raw gap exactly. Standard errors come from the delta method
on stacked influence functions, clustered by org unit.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from pathaudit.stats.intervals import wald
from pathaudit.stats.regression import Design, _cluster_sums, _inv

Reference = Literal["neumark", "pooled"]

EXPLAINED_BY_GRADE_CAVEAT = (
    "The part 'explained' by grade counts grade as a legitimate difference. If track "
    "itself limits the grade people reach (an IC ceiling, slower IC promotion), that part "
    "is an effect of track too; read it together with the ceiling and promotion results."
)


def oaxaca_blinder(
    y: np.ndarray,
    is_a: np.ndarray,
    design: Design,
    clusters: np.ndarray | None,
    *,
    alpha: float = 0.05,
    track_columns: list[int] | None = None,
) -> pd.DataFrame:
    r"""Twofold decomposition of ``mean(y | A) - mean(y | B)`` with pooled coefficients.

    Parameters
    ----------
    y
        Outcome (log FTE pay).
    is_a
        Boolean mask of group A (ICs); the rest are group B (managers).
    design
        Design over both groups. Without a track column it is Neumark's pooled
        model; with one (``track_columns``), Jann's pooled model with a group
        indicator, whose track coefficient is then left out of the explained part.
    clusters
        Cluster codes (org unit) for the variance, or None (independent people).
    alpha
        1 - confidence level.
    track_columns
        Indices of track columns in ``design`` (excluded from the composition).

    Returns
    -------
    pandas.DataFrame
        One row per part: ``part`` (``"raw gap"``, ``"explained"``,
        ``"explained: <control>"`` for each control group, ``"unexplained"``),
        ``estimate`` (log points), ``se``, ``ci_lower``, ``ci_upper``, ``p_value``,
        ``share`` (of the raw gap), ``df`` (of the t reference), ``df_resid`` (people
        minus the pooled model's parameters: the headline's residual-df minimum reads it).

    Notes
    -----
    With pooled OLS coefficients :math:`\beta^*` and group means :math:`\bar X_A,
    \bar X_B`: raw :math:`R=\bar y_A-\bar y_B`, explained
    :math:`E=(\bar X_A-\bar X_B)'\beta^*` (and per control group the sum over its
    columns), unexplained :math:`U=R-E`. Since each group's OLS fit passes through its
    means, :math:`U=\bar X_A'(\beta_A-\beta^*)+\bar X_B'(\beta^*-\beta_B)`.
    Variance by the delta method with influence functions
    :math:`\psi_i(\beta^*)=(X'X)^{-1}x_i e_i`, :math:`\psi_i(\bar X_g)=(x_i-\bar X_g)/n_g`,
    :math:`\psi_i(\bar y_g)=(y_i-\bar y_g)/n_g`, summed within clusters:
    :math:`\widehat{V}=\frac{G}{G-1}\sum_g(\sum_{i\in g}\psi_i)^2` with t(G-1)
    quantiles (without clusters: :math:`\frac{n}{n-1}\sum_i\psi_i^2`, t(n-1)).
    This counts the sampling variation of the group means as well as of the
    coefficients (stochastic regressors, Jann 2008).
    """
    X = design.X
    n, p = X.shape
    a = np.asarray(is_a, dtype=bool)
    b = ~a
    na, nb = int(a.sum()), int(b.sum())
    xtx_inv = _inv(X.T @ X)
    beta = xtx_inv @ (X.T @ y)
    e = y - X @ beta
    xa, xb = X[a].mean(axis=0), X[b].mean(axis=0)
    ya, yb = float(y[a].mean()), float(y[b].mean())
    comp = np.ones(p, dtype=bool)
    comp[0] = False  # intercept cancels
    for j in track_columns or []:
        comp[j] = False
    d = np.where(comp, xa - xb, 0.0)

    # influence functions (n x .) of beta, X-bar difference and the raw gap
    psi_beta = (X * e[:, None]) @ xtx_inv  # xtx_inv symmetric
    psi_dx = np.zeros((n, p))
    psi_dx[a] = (X[a] - xa) / na
    psi_dx[b] = -(X[b] - xb) / nb
    psi_raw = np.where(a, (y - ya) / na, -(y - yb) / nb)

    groups = {g: idx for g, idx in design.groups.items() if g not in ("intercept", "track")}
    rows: list[tuple[str, float, np.ndarray]] = []
    raw = ya - yb
    rows.append(("raw gap", raw, psi_raw))
    psi_e_total = psi_beta @ d + psi_dx[:, comp] @ beta[comp]
    explained = float(d @ beta)
    rows.append(("explained", explained, psi_e_total))
    for g, idx in groups.items():
        idx_arr = np.asarray(idx)
        part = float(d[idx_arr] @ beta[idx_arr])
        psi = psi_beta[:, idx_arr] @ d[idx_arr] + psi_dx[:, idx_arr] @ beta[idx_arr]
        rows.append((f"explained: {g}", part, psi))
    rows.append(("unexplained", raw - explained, psi_raw - psi_e_total))

    psis = np.column_stack([r[2] for r in rows])
    if clusters is not None and int(clusters.max()) + 1 >= 2:
        G = int(clusters.max()) + 1
        S = _cluster_sums(psis, clusters)
        var = (S**2).sum(axis=0) * G / (G - 1)
        df = float(G - 1)
    else:
        var = (psis**2).sum(axis=0) * n / (n - 1)
        df = float(n - 1)
    se = np.sqrt(var)
    est = np.array([r[1] for r in rows])
    lo, hi, pval = wald(est, se, alpha=alpha, df=df)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = est / raw if raw != 0 else np.full(len(est), np.nan)
    return pd.DataFrame(
        {
            "part": [r[0] for r in rows],
            "estimate": est,
            "se": se,
            "ci_lower": lo,
            "ci_upper": hi,
            "p_value": pval,
            "share": share,
            "df": df,
            "df_resid": float(n - p),
        }
    )
