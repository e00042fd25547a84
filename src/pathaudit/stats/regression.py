"""Regression engine of the pay-parity analysis: design matrices, OLS and PPML fits.

Plain numpy, vectorised, so that a coverage study over hundreds of simulated
organisations stays cheap. The covariance follows DOMAIN.md's rule for a
regression coefficient: cluster-robust by org unit; with fewer than 30 clusters
CRV3 (leave-one-cluster-out jackknife) with t(G - 1) quantiles.

Checked against pyfixest (``feols`` with ``vcov={"CRV1": ...}`` / ``{"CRV3": ...}``)
and statsmodels in ``tests/test_parity.py``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from pathaudit.errors import PathauditError, StatisticalWarning

VcovType = Literal["auto", "CRV1", "CRV3", "HC1"]

FEW_CLUSTERS = 30
"""Below this many clusters, CRV3 with t(G - 1) is used (DOMAIN.md, intervals)."""

MISSING_LEVEL = "(missing)"
"""Level given to a missing value of a categorical control (kept, not dropped)."""

OTHER_LEVEL = "(other)"
"""Level that rare levels are merged into (:func:`treatment_dummies` with ``rare="other"``)."""

NO_CLUSTERS = (
    "Cluster-robust errors need a cluster column ('{col}') with at least two values; "
    "found {g}. Heteroskedasticity-robust (HC1) errors are used instead: they assume "
    "people in one unit are independent, so intervals may be too narrow."
)

TRACK_COLLINEAR = (
    "The track indicator '{name}' cannot be separated from the controls (every "
    "person in it shares one value of another control). Drop that control or "
    "check the track column."
)


@dataclass(frozen=True)
class Design:
    """A design matrix with named columns and the control group each column belongs to.

    Attributes
    ----------
    X
        ``(n, p)`` float array, full column rank (dependent columns dropped).
    names
        Column names (``"Intercept"``, ``"is_ic"``, ``"is_ic:grade[5]"``, ``"grade[4]"``,
        ``"job_family[Data]"``, ``"tenure_years"``, ...).
    groups
        Control group -> column indices (``"track"``, ``"grade"``, one per control).
    dropped
        Names of columns dropped as linearly dependent on earlier ones.
    xtx
        ``X'X`` when already computed (reused by the fit).
    """

    X: np.ndarray
    names: list[str]
    groups: dict[str, list[int]]
    dropped: list[str] = field(default_factory=list)
    xtx: np.ndarray | None = field(default=None, repr=False)

    def index(self, name: str) -> int:
        """Column position of ``name``."""
        return self.names.index(name)

    def subset(self, rows: np.ndarray) -> Design:
        """Return the design on ``rows``, without columns that became empty or dependent."""
        X = self.X[rows]
        keep, gram = _independent_columns(X)
        new_pos = np.cumsum(keep) - 1
        groups = {
            g: [int(new_pos[i]) for i in idx if keep[i]] for g, idx in self.groups.items()
        }
        return Design(
            X=np.ascontiguousarray(X[:, keep]),
            names=[nm for nm, k in zip(self.names, keep, strict=True) if k],
            groups={g: idx for g, idx in groups.items() if idx},
            dropped=self.dropped + [nm for nm, k in zip(self.names, keep, strict=True) if not k],
            xtx=gram[np.ix_(keep, keep)],
        )


@dataclass(frozen=True)
class Fit:
    """A fitted linear (OLS) or Poisson pseudo-likelihood (PPML) model.

    Attributes
    ----------
    design
        The design it was fitted on.
    coef
        Coefficients (one per design column).
    vcov
        Covariance of ``coef`` of type ``vcov_type``.
    df
        Degrees of freedom of the t reference (``G - 1`` for cluster types).
    vcov_type
        ``"CRV3"``, ``"CRV1"`` or ``"HC1"``.
    n_clusters
        Number of clusters (0 for HC1).
    resid
        Residuals on the scale of the fit (log pay for OLS, pay for PPML).
    fitted
        Fitted values on the same scale.
    model
        ``"OLS"`` or ``"PPML"``.
    rows
        Boolean mask of the input rows used (PPML drops rows whose zero outcome a
        dummy predicts perfectly); None when every row was used.
    """

    design: Design
    coef: np.ndarray
    vcov: np.ndarray
    df: float
    vcov_type: str
    n_clusters: int
    resid: np.ndarray
    fitted: np.ndarray
    model: str
    rows: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Observations in the fit."""
        return int(self.design.X.shape[0])

    def se(self, name: str) -> float:
        """Return the standard error of coefficient ``name``."""
        i = self.design.index(name)
        return float(np.sqrt(max(self.vcov[i, i], 0.0)))

    def b(self, name: str) -> float:
        """Coefficient ``name``."""
        return float(self.coef[self.design.index(name)])


def categorical_codes(values: pd.Series) -> pd.Series:
    """Values of a categorical control as strings, with missing as its own level."""
    return values.astype("string").fillna(MISSING_LEVEL).astype(str)


def _text_codes(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes of ``categorical_codes(series)`` in the sort order of the text, and the levels.

    The text is built for each distinct value only (not for every row), then the codes
    are mapped; values that read the same as text share a level.
    """
    if series.dtype == object:  # Python objects: 1 and 1.0 hash alike but read apart
        text = categorical_codes(series).to_numpy(dtype=object)
        codes, levels = pd.factorize(text, sort=True)
        return np.asarray(codes, dtype=np.int64), [str(u) for u in levels]
    raw, uniques = pd.factorize(series)  # missing: -1
    text = categorical_codes(pd.Series(uniques)).to_numpy(dtype=object)
    if (raw < 0).any():
        text = np.append(text, MISSING_LEVEL)  # code -1 reads the last entry
    recode, levels = pd.factorize(text, sort=True)
    codes = recode[raw] if len(raw) else np.zeros(0, dtype=np.int64)
    return np.asarray(codes, dtype=np.int64), [str(u) for u in levels]


@dataclass(frozen=True)
class Dummies:
    """Treatment-coded 0/1 columns of one categorical variable (:func:`treatment_dummies`).

    Attributes
    ----------
    matrix
        ``(n, k)`` float array, one column per level kept (0 columns when there is
        nothing to compare).
    names
        ``"prefix[level]"`` for each column.
    levels
        The level of each column, in column order (the sort order of the level text).
    reference
        The reference level (rows with it are 0 in every column); None without data.
    """

    matrix: np.ndarray
    names: list[str]
    levels: list[str]
    reference: str | None


def treatment_dummies(
    values: pd.Series | np.ndarray | Sequence[object],
    prefix: str,
    *,
    reference: Literal["most_frequent", "first"] = "most_frequent",
    events: np.ndarray | None = None,
    min_events: float = 0,
    rare: Literal["reference", "other"] = "reference",
) -> Dummies:
    """Treatment (reference-coded) dummies of a categorical variable: the one dummy encoder.

    Parameters
    ----------
    values
        One value per row. Values are compared as text (``categorical_codes``); a missing
        value is a level of its own, ``"(missing)"``.
    prefix
        Column names are ``f"{prefix}[{level}]"``.
    reference
        ``"most_frequent"`` (default): the level with the most rows, ties broken by the
        first in sort order of the level text. ``"first"``: the first level in sort order
        (the rule of ``pandas.get_dummies(..., drop_first=True)``).
    events
        Optional event indicator (or weight) per row; with ``min_events`` it decides which
        levels are too rare to get a column of their own.
    min_events
        A level with fewer events than this is rare (ignored without ``events``).
    rare
        What happens to rare levels. ``"reference"``: rare levels other than the reference
        get no column, so their rows are pooled with the reference level (chosen first,
        among all levels). ``"other"``: rare levels are merged into one level
        ``"(other)"`` before the reference is chosen (unless every level is rare, when
        nothing is merged).

    Returns
    -------
    Dummies
        ``matrix``, ``names``, ``levels`` (one per column) and ``reference``.

    Notes
    -----
    Levels are sorted by their text (``"10"`` sorts before ``"9"``); columns follow that
    order with the reference left out. Used by the pay regressions (most frequent), the
    promotion Cox model (most frequent, rare levels as ``"(other)"``), the attrition Cox
    model (most frequent, rare levels pooled into the reference) and the simulation's
    truth (first level).

    Examples
    --------
    >>> d = treatment_dummies(["b", "a", "b", None], "x")
    >>> d.reference, d.names
    ('b', ['x[(missing)]', 'x[a]'])
    >>> d.matrix.tolist()
    [[0.0, 0.0], [0.0, 1.0], [0.0, 0.0], [1.0, 0.0]]
    >>> treatment_dummies(["b", "a", "b"], "x", reference="first").names
    ['x[b]']
    """
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    codes, levels = _text_codes(series)
    ev = None if events is None else np.asarray(events, dtype=float)
    if ev is not None and rare == "other":
        is_rare = np.bincount(codes, weights=ev, minlength=len(levels)) < min_events
        if is_rare.any() and (~is_rare).any():
            merged = np.where(is_rare, OTHER_LEVEL, np.asarray(levels, dtype=object))
            recode, uniques = pd.factorize(merged, sort=True)
            codes = recode[codes]
            levels = [str(u) for u in uniques]
    if not levels:
        return Dummies(np.empty((len(codes), 0)), [], [], None)
    if reference == "first":
        ref = 0
    else:
        ref = int(np.argmax(np.bincount(codes, minlength=len(levels))))  # first maximum
    keep = [i for i in range(len(levels)) if i != ref]
    if ev is not None and rare == "reference":
        ev_by = np.bincount(codes, weights=ev, minlength=len(levels))
        keep = [i for i in keep if ev_by[i] >= min_events]
    matrix = (codes[:, None] == np.asarray(keep, dtype=np.int64)[None, :]).astype(float)
    kept = [levels[i] for i in keep]
    return Dummies(matrix, [f"{prefix}[{lv}]" for lv in kept], kept, levels[ref])


@dataclass(frozen=True)
class ControlBlock:
    """Control columns (dummies and numeric) built once and reused by every model.

    Attributes
    ----------
    matrix
        ``(n, q)`` array aligned with the population rows.
    names
        Column names.
    groups
        Control name -> column positions within ``matrix``.
    """

    matrix: np.ndarray
    names: list[str]
    groups: dict[str, list[int]]

    def take(self, rows: np.ndarray) -> ControlBlock:
        """Return the block restricted to ``rows`` (boolean mask or positions)."""
        return ControlBlock(self.matrix[rows], self.names, self.groups)


def control_block(
    frame: pd.DataFrame, categorical: Sequence[str] = (), numeric: Sequence[str] = ()
) -> ControlBlock:
    """Build the control columns: treatment dummies of each categorical, numeric as is.

    Parameters
    ----------
    frame
        One row per person.
    categorical
        Categorical controls (missing values form their own level).
    numeric
        Numeric controls (no missing values).

    Returns
    -------
    ControlBlock
    """
    blocks: list[np.ndarray] = []
    names: list[str] = []
    groups: dict[str, list[int]] = {}
    for c in categorical:
        d = treatment_dummies(frame[c], c)
        block, bn = d.matrix, d.names
        if bn:
            groups[c] = list(range(len(names), len(names) + len(bn)))
            blocks.append(block)
            names.extend(bn)
    for c in numeric:
        groups[c] = [len(names)]
        blocks.append(frame[c].to_numpy(dtype=float).reshape(-1, 1))
        names.append(c)
    matrix = np.hstack(blocks) if blocks else np.empty((len(frame), 0))
    return ControlBlock(matrix, names, groups)


def build_design(
    frame: pd.DataFrame,
    *,
    track: Literal["none", "overall", "by_grade"] = "overall",
    grade_col: str = "grade_model",
    categorical: Sequence[str] = (),
    numeric: Sequence[str] = (),
    grades_with_both: Sequence[int] | None = None,
    controls: ControlBlock | None = None,
) -> Design:
    """Build the design matrix of the adjusted-gap model.

    Parameters
    ----------
    frame
        One row per person with ``is_ic`` (0/1), ``grade_col`` and the controls.
    track
        ``"overall"``: one ``is_ic`` column; ``"by_grade"``: one ``is_ic:grade[g]``
        column per grade in ``grades_with_both`` (track x grade interactions, no
        main effect, so each coefficient is that grade's gap); ``"none"``: no
        track column (the pooled Neumark model).
    grade_col
        Grade column (integer); entered as dummies, reference = lowest grade.
    categorical, numeric
        Further controls (ignored when ``controls`` is given).
    grades_with_both
        Grades with both tracks present (required for ``"by_grade"``).
    controls
        Precomputed control columns aligned with ``frame`` (see :func:`control_block`).

    Returns
    -------
    Design
        Columns in order: intercept, track, grade dummies, controls; columns that
        are linearly dependent on earlier ones are dropped (listed in ``dropped``).
    """
    n = len(frame)
    cols: list[np.ndarray] = [np.ones((n, 1))]
    names: list[str] = ["Intercept"]
    groups: dict[str, list[int]] = {"intercept": [0]}

    def add(block: np.ndarray, block_names: list[str], group: str) -> None:
        start = len(names)
        cols.append(block.reshape(n, -1))
        names.extend(block_names)
        groups[group] = list(range(start, len(names)))

    is_ic = frame["is_ic"].to_numpy(dtype=float)
    grade = frame[grade_col].to_numpy()
    if track == "overall":
        add(is_ic, ["is_ic"], "track")
    elif track == "by_grade":
        gs = list(grades_with_both or [])
        block = np.column_stack([is_ic * (grade == g) for g in gs]) if gs else np.empty((n, 0))
        add(block, [f"is_ic:grade[{g}]" for g in gs], "track")
    levels = np.unique(grade)
    if len(levels) > 1:
        add(
            np.column_stack([(grade == g).astype(float) for g in levels[1:]]),
            [f"grade[{g}]" for g in levels[1:]],
            "grade",
        )
    if controls is None:
        controls = control_block(frame, categorical, numeric)
    start = len(names)
    if controls.names:
        cols.append(controls.matrix)
        names.extend(controls.names)
        for g, idx in controls.groups.items():
            groups[g] = [start + i for i in idx]
    X = np.hstack(cols)
    keep, gram = _independent_columns(X)
    dropped = [nm for nm, k in zip(names, keep, strict=True) if not k]
    for nm in dropped:
        if nm.startswith("is_ic"):
            raise PathauditError(TRACK_COLLINEAR.format(name=nm))
    new_pos = np.cumsum(keep) - 1
    groups = {
        g: [int(new_pos[i]) for i in idx if keep[i]] for g, idx in groups.items()
    }
    return Design(
        X=np.ascontiguousarray(X[:, keep]) if not keep.all() else X,
        names=[nm for nm, k in zip(names, keep, strict=True) if k],
        groups={g: idx for g, idx in groups.items() if idx},
        dropped=dropped,
        xtx=gram[np.ix_(keep, keep)],
    )


def _independent_columns(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns not (numerically) in the span of the columns before them, and ``X'X``.

    Sequential test on the scaled Gram matrix: column j is kept when its squared
    distance from the span of the kept earlier columns (as a share of its own
    squared norm) exceeds 1e-10.
    """
    p = X.shape[1]
    keep = np.zeros(p, dtype=bool)
    gram = X.T @ X
    if p == 0:
        return keep, gram
    d = np.sqrt(np.diag(gram))
    ok = d > 0
    scale = np.where(ok, d, 1.0)
    gn = gram / np.outer(scale, scale)
    kept: list[int] = []
    for j in range(p):
        if not ok[j]:
            continue
        if kept:
            a = gn[np.ix_(kept, kept)]
            b = gn[kept, j]
            resid = gn[j, j] - b @ np.linalg.solve(a, b)
        else:
            resid = gn[j, j]
        if resid > 1e-10:
            kept.append(j)
            keep[j] = True
    return keep, gram


def cluster_codes(values: pd.Series | None) -> np.ndarray | None:
    """Integer cluster codes (missing = its own cluster), or None without a column."""
    if values is None:
        return None
    return pd.factorize(categorical_codes(values))[0]


def _resolve_vcov(vcov: VcovType, clusters: np.ndarray | None, cluster_name: str) -> str:
    g = 0 if clusters is None else int(clusters.max()) + 1 if len(clusters) else 0
    if g < 2:
        if vcov != "HC1":
            warnings.warn(
                NO_CLUSTERS.format(col=cluster_name, g=g), StatisticalWarning, stacklevel=4
            )
        return "HC1"
    if vcov == "auto":
        return "CRV3" if g < FEW_CLUSTERS else "CRV1"
    return vcov


def _cluster_sums(scores: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    g = int(clusters.max()) + 1
    ind = sparse.csr_matrix(
        (np.ones(len(clusters)), (clusters, np.arange(len(clusters)))),
        shape=(g, len(clusters)),
    )
    return np.asarray(ind @ scores)


def _cluster_blocks(clusters: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(clusters, kind="stable")
    bounds = np.flatnonzero(np.diff(clusters[order])) + 1
    return np.split(order, bounds)


def _inv(a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a)


def fit_ols(
    y: np.ndarray,
    design: Design,
    clusters: np.ndarray | None,
    *,
    vcov: VcovType = "auto",
    cluster_name: str = "org_unit",
) -> Fit:
    r"""Ordinary least squares with cluster-robust (CRV3 / CRV1) or HC1 covariance.

    Parameters
    ----------
    y
        Outcome (log FTE pay).
    design
        Design matrix.
    clusters
        Integer cluster codes (org unit), or None.
    vcov
        ``"auto"`` (CRV3 below 30 clusters, else CRV1), ``"CRV3"``, ``"CRV1"`` or ``"HC1"``.
    cluster_name
        Name of the cluster column, for messages.

    Returns
    -------
    Fit

    Notes
    -----
    ``CRV1``: :math:`\frac{G}{G-1}\frac{N-1}{N-K}(X'X)^{-1}\sum_g X_g'u_g u_g'X_g
    (X'X)^{-1}` with t(G-1) quantiles (Stata / pyfixest default).
    ``CRV3``: :math:`\frac{G-1}{G}\sum_g(\hat\beta_{-g}-\hat\beta)(\hat\beta_{-g}-\hat\beta)'`
    where :math:`\hat\beta_{-g}` leaves cluster g out (MacKinnon, Nielsen and Webb 2023),
    with t(G-1) quantiles. ``HC1``: :math:`\frac{N}{N-K}` times the White sandwich, t(N-K).
    """
    X = design.X
    n, k = X.shape
    xtx = design.xtx if design.xtx is not None else X.T @ X
    xty = X.T @ y
    xtx_inv = _inv(xtx)
    coef = xtx_inv @ xty
    fitted = X @ coef
    resid = y - fitted
    kind = _resolve_vcov(vcov, clusters, cluster_name)
    if kind == "HC1":
        s = X * resid[:, None]
        V = xtx_inv @ (s.T @ s) @ xtx_inv * n / max(n - k, 1)
        return Fit(design, coef, V, float(n - k), "HC1", 0, resid, fitted, "OLS")
    if clusters is None:  # _resolve_vcov gives HC1 when there are no clusters
        raise RuntimeError("a cluster-robust variance needs clusters")
    G = int(clusters.max()) + 1
    if kind == "CRV1":
        S = _cluster_sums(X * resid[:, None], clusters)
        V = xtx_inv @ (S.T @ S) @ xtx_inv * (G / (G - 1)) * ((n - 1) / max(n - k, 1))
    else:
        jack = np.empty((G, k))
        for g, idx in enumerate(_cluster_blocks(clusters)):
            Xg = X[idx]
            jack[g] = np.linalg.pinv(xtx - Xg.T @ Xg) @ (xty - Xg.T @ y[idx])
        d = jack - coef
        V = (G - 1) / G * (d.T @ d)
    return Fit(design, coef, V, float(G - 1), kind, G, resid, fitted, "OLS")


def _ppml_start(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Starting values: one IRLS step from ``mu = (y + mean(y)) / 2`` (positive everywhere)."""
    mu = (y + y.mean()) / 2
    z = np.log(mu) + (y - mu) / mu
    xw = X * mu[:, None]
    return np.linalg.lstsq(xw.T @ X, xw.T @ z, rcond=None)[0]


def _ppml_newton(
    y: np.ndarray, X: np.ndarray, beta: np.ndarray, *, max_iter: int = 100, tol: float = 1e-10
) -> np.ndarray:
    for _ in range(max_iter):
        eta = np.clip(X @ beta, -50, 50)
        mu = np.exp(eta)
        grad = X.T @ (y - mu)
        hess = (X * mu[:, None]).T @ X
        step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            break
    return beta


def separated_rows(y: np.ndarray, design: Design) -> np.ndarray:
    """Rows whose zero outcome a dummy (or a group's reference level) predicts perfectly.

    In a Poisson model, a dummy whose rows all have ``y = 0`` drives its coefficient
    to minus infinity (separation, Correia, Guimarães and Zylkin 2019). Such rows
    carry no information on the other coefficients; they are dropped, repeatedly
    until none is left. Returns a boolean mask of the rows to *keep*.
    """
    X = design.X
    keep = np.ones(len(y), dtype=bool)
    positive = y > 0
    changed = True
    while changed:
        changed = False
        for g, idx in design.groups.items():
            if g == "intercept":
                continue
            cols = X[:, idx]
            if not np.isin(cols, (0.0, 1.0)).all():
                continue
            indicators = [cols[:, j] == 1 for j in range(cols.shape[1])]
            total = cols.sum(axis=1)
            if (total <= 1).all():
                indicators.append(total == 0)  # the group's reference level
            for ind in indicators:
                sel = keep & ind
                if sel.any() and not positive[sel].any():
                    keep &= ~sel
                    changed = True
    return keep


def fit_ppml(
    y: np.ndarray,
    design: Design,
    clusters: np.ndarray | None,
    *,
    vcov: VcovType = "auto",
    cluster_name: str = "org_unit",
) -> Fit:
    r"""Poisson pseudo-maximum-likelihood (log link) for a pay component that can be zero.

    ``exp(b) - 1`` of a track coefficient is then the proportional difference in
    *mean* pay (zeros included), which log OLS cannot give when some pay is zero.

    Parameters
    ----------
    y
        Non-negative outcome (variable pay, equity), rescaled internally.
    design, clusters, vcov, cluster_name
        As in :func:`fit_ols`.

    Returns
    -------
    Fit
        ``resid`` and ``fitted`` on the pay scale, for the rows in ``Fit.rows``
        (separated rows are dropped first, see :func:`separated_rows`).

    Notes
    -----
    Score :math:`X'(y-\mu)=0`, :math:`\mu=\exp(X\beta)`, Newton iterations.
    CRV1: :math:`\frac{G}{G-1}\frac{N-1}{N-K}H^{-1}\sum_g s_g s_g' H^{-1}` with
    :math:`H = X'\mathrm{diag}(\mu)X`; CRV3: leave-one-cluster-out estimates by one
    Newton step from the full-sample estimate,
    :math:`\hat\beta_{-g}=\hat\beta-(H-H_g)^{-1}s_g`, with the :math:`(G-1)/G`
    jackknife factor; t(G-1) quantiles.
    Checked against statsmodels ``GLM(family=Poisson())``.
    """
    rows = separated_rows(y, design)
    if not rows.all():
        y = y[rows]
        design = design.subset(rows)
        if clusters is not None:
            clusters = pd.factorize(clusters[rows])[0]
    X = design.X
    n, k = X.shape
    scale = float(np.mean(y)) if np.mean(y) > 0 else 1.0
    ys = y / scale
    coef = _ppml_newton(ys, X, _ppml_start(ys, X))
    mu = np.exp(np.clip(X @ coef, -50, 50))
    hess_inv = _inv((X * mu[:, None]).T @ X)
    kind = _resolve_vcov(vcov, clusters, cluster_name)
    s = X * (ys - mu)[:, None]
    if kind == "HC1":
        V = hess_inv @ (s.T @ s) @ hess_inv * n / max(n - k, 1)
        df, G = float(n - k), 0
    else:
        if clusters is None:  # _resolve_vcov gives HC1 when there are no clusters
            raise RuntimeError("a cluster-robust variance needs clusters")
        G = int(clusters.max()) + 1
        df = float(G - 1)
        if kind == "CRV1":
            S = _cluster_sums(s, clusters)
            V = hess_inv @ (S.T @ S) @ hess_inv * (G / (G - 1)) * ((n - 1) / max(n - k, 1))
        else:
            # one Newton step from the full estimate with cluster g left out:
            # beta_-g = beta + (H - H_g)^{-1} (0 - s_g)  (exact for OLS)
            hess = (X * mu[:, None]).T @ X
            jack = np.empty((G, k))
            for g, idx in enumerate(_cluster_blocks(clusters)):
                Xg = X[idx]
                h_g = (Xg * mu[idx, None]).T @ Xg
                jack[g] = coef - np.linalg.pinv(hess - h_g) @ s[idx].sum(axis=0)
            d = jack - coef
            V = (G - 1) / G * (d.T @ d)
    out = coef.copy()
    out[0] += np.log(scale)
    fitted = mu * scale
    return Fit(
        design, out, V, df, kind, G, y - fitted, fitted, "PPML", None if rows.all() else rows
    )
