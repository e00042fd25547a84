"""Survival tools on a researcher's own table: Kaplan–Meier, cumulative incidence, Cox.

Each function takes a DataFrame with one row per person or spell (a follow-up time, an event
or cause column, optionally an entry time for delayed entry) and returns a tidy table, so
nobody has to invent hire dates to get a curve. They wrap the engines the analyses use
(:mod:`pathaudit.stats.survival`): the same Kaplan–Meier, Aalen–Johansen and Cox code, checked
against R's ``survival`` and ``cmprsk`` on stored references.

- :func:`survival_table` — Kaplan–Meier with the number at risk, events, Greenwood SE and a
  pointwise interval (log-log, log or plain), optionally by group.
- :func:`cumulative_incidence` — Aalen–Johansen cumulative incidence of competing causes.
- :func:`cox` — Cox model (Efron or Breslow ties, strata, delayed entry, clustering) with a
  tidy coefficient table, concordance and the likelihood-ratio test.

Privacy: the curves stop where fewer than ``k`` observations remain at risk (default 5, as in
the audit), and a group with fewer than ``k`` observations gets no rows; pass ``k=1`` to see
every time (for one's own work, never for publication).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.checks import check_alpha, check_choice, check_columns, check_number
from pathaudit.errors import ArgumentError
from pathaudit.stats.intervals import SURVIVAL_CI_KINDS, loglog_ci, survival_ci, wald
from pathaudit.stats.survival import (
    CoxFit,
    aalen_johansen,
    concordance,
    cox_ph,
    kaplan_meier,
)

__all__ = ["CoxTable", "cox", "cumulative_incidence", "survival_table"]

_TIES = ("efron", "breslow")


def _frame(df: Any, function: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise ArgumentError(
            f"{function} takes a pandas DataFrame (one row per person or spell); got "
            f"{type(df).__name__}. Build one first, e.g. pandas.read_csv('spells.csv')."
        )
    return df


def _columns(df: pd.DataFrame, name: str, value: Any) -> tuple[str, ...]:
    return check_columns(value, name, [str(c) for c in df.columns], where="the table")


def _number_column(df: pd.DataFrame, column: str, role: str) -> np.ndarray:
    """A numeric column without missing values; the error names the first bad row."""
    values = pd.to_numeric(df[column], errors="coerce")
    bad = values.isna().to_numpy() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        first = df.index[np.flatnonzero(bad)[0]]
        raise ArgumentError(
            f"{role} column {column!r} must hold finite numbers; {int(bad.sum())} row(s) do "
            f"not (first: row {first!r}, value {df[column].iloc[np.flatnonzero(bad)[0]]!r}). "
            "Drop or fill those rows."
        )
    return values.to_numpy(dtype=float)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value (for messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _times(df: pd.DataFrame, time: str, entry: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    t = _number_column(df, time, "time")
    if entry is None:
        neg = t < 0
        if neg.any():
            first = df.index[np.flatnonzero(neg)[0]]
            raise ArgumentError(
                f"time column {time!r} must not be negative; {int(neg.sum())} row(s) are "
                f"(first: row {first!r}). Times are durations from the start of follow-up."
            )
        return t, None
    e = _number_column(df, entry, "entry")
    bad = e >= t
    if bad.any():
        first = df.index[np.flatnonzero(bad)[0]]
        raise ArgumentError(
            f"entry ({entry!r}) must be below time ({time!r}) in every row; {int(bad.sum())} "
            f"row(s) are not (first: row {first!r}). A row is at risk on (entry, time]: drop "
            "rows that end on or before they enter observation."
        )
    return t, e


def _event(df: pd.DataFrame, event: str) -> np.ndarray:
    v = df[event]
    if v.isna().any():
        first = df.index[np.flatnonzero(v.isna().to_numpy())[0]]
        raise ArgumentError(
            f"event column {event!r} has missing values (first: row {first!r}); give 1 (or "
            "True) for an event and 0 (or False) for a censored row."
        )
    ok = v.isin([0, 1, True, False])
    if not ok.all():
        first = np.flatnonzero(~ok.to_numpy())[0]
        raise ArgumentError(
            f"event column {event!r} must hold 1/0 or True/False; found {_plain(v.iloc[first])!r} "
            f"(row {df.index[first]!r}). For several causes use cumulative_incidence(cause=)."
        )
    return v.astype(bool).to_numpy()


def _groups(df: pd.DataFrame, by: tuple[str, ...]) -> list[tuple[tuple[Any, ...], np.ndarray]]:
    """``(key, row positions)`` per group of ``by`` in sorted order (one group without ``by``)."""
    if not by:
        return [((), np.arange(len(df)))]
    codes = df[list(by)].astype(object).where(df[list(by)].notna(), "(missing)")
    inverse, uniq = pd.MultiIndex.from_frame(codes).factorize(sort=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(uniq) + 1))
    return [(tuple(uniq[i]), order[bounds[i] : bounds[i + 1]]) for i in range(len(uniq))]


def _cut(table: pd.DataFrame, n_risk: np.ndarray, k: int) -> pd.DataFrame:
    """Keep the rows before the first time fewer than ``k`` are at risk."""
    low = np.flatnonzero(n_risk < k)
    return table.iloc[: low[0]] if len(low) else table


def survival_table(
    df: pd.DataFrame,
    *,
    time: str,
    event: str,
    entry: str | None = None,
    by: str | Sequence[str] | None = None,
    ci: str = "log-log",
    alpha: float = 0.05,
    k: int = 5,
) -> pd.DataFrame:
    r"""Kaplan–Meier survival of each group, at every event time.

    Parameters
    ----------
    df
        One row per person or spell.
    time
        Column of follow-up times (event or censoring), e.g. years or months since the start.
    event
        Column that is 1 (True) where the row ends with the event, 0 (False) where censored.
    entry
        Optional column of entry times (delayed entry, left truncation): the row is at risk
        on ``(entry, time]``.
    by
        Optional grouping column(s): one curve per combination of their values (a missing
        value is a group of its own, ``"(missing)"``).
    ci
        Pointwise interval: ``"log-log"`` (default, as the audit), ``"log"`` (R's
        default) or ``"plain"``.
    alpha
        1 - confidence level.
    k
        Minimum number at risk: each curve stops before the first time fewer than ``k`` rows
        are at risk (default 5, the audit's cell size; 1 shows every time).

    Returns
    -------
    pandas.DataFrame
        One row per group and event time: the ``by`` columns, ``time``, ``n_risk`` (rows at
        risk just before ``time``), ``events``, ``surv`` (:math:`S(t)`), ``se`` (Greenwood),
        ``ci_lower``, ``ci_upper``. ``attrs["definition"]`` states the estimator.

    Raises
    ------
    ArgumentError
        A column is missing, times or events are not valid (the message names the row), or
        ``ci``, ``alpha`` or ``k`` are out of range.

    Notes
    -----
    :math:`S(t) = \prod_{u \le t} (1 - d_u / n_u)`, Greenwood variance
    :math:`S(t)^2 \sum_{u \le t} d_u / (n_u (n_u - d_u))`, intervals as R ``survfit``'s
    ``conf.type`` (:func:`~pathaudit.stats.intervals.survival_ci`). The engine is
    :func:`pathaudit.stats.survival.kaplan_meier`, the one the attrition analysis uses. Equal
    to R ``summary(survfit(Surv(time, event) ~ by, conf.type = ci))`` (or
    ``Surv(entry, time, event)``), checked on stored references to 1e-6.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"years": [1, 2, 2, 3, 4, 5], "left": [1, 1, 0, 1, 0, 0]})
    >>> survival_table(df, time="years", event="left", k=1)[["time", "n_risk", "surv"]]
       time  n_risk      surv
    0   1.0       6  0.833333
    1   2.0       5  0.666667
    2   3.0       3  0.444444
    """
    df = _frame(df, "survival_table")
    (time,) = _columns(df, "time", time)
    (event,) = _columns(df, "event", event)
    entry_col = _columns(df, "entry", entry)
    by_cols = _columns(df, "by", by)
    ci = check_choice(ci, "ci", SURVIVAL_CI_KINDS)
    alpha = check_alpha(alpha)
    k = int(check_number(k, "k (the minimum number at risk)", low=1, integer=True))
    t, e = _times(df, time, entry_col[0] if entry_col else None)
    ev = _event(df, event)
    parts = []
    for key, rows in _groups(df, by_cols):
        fit = kaplan_meier(t[rows], ev[rows], None if e is None else e[rows])
        lo, hi = survival_ci(fit.surv, fit.se, kind=ci, alpha=alpha)
        tab = pd.DataFrame(
            {
                **{c: [v] * len(fit.time) for c, v in zip(by_cols, key, strict=True)},
                "time": fit.time,
                "n_risk": fit.n_risk,
                "events": fit.events.astype(np.int64),
                "surv": fit.surv,
                "se": fit.se,
                "ci_lower": lo,
                "ci_upper": hi,
            }
        )
        parts.append(_cut(tab, fit.n_risk, k))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    out.attrs["definition"] = (
        f"Kaplan-Meier survival S(t) of {event!r} over {time!r}"
        + (f" with delayed entry at {entry_col[0]!r}" if entry_col else "")
        + f"; Greenwood SE; {100 * (1 - alpha):g}% {ci} pointwise interval; each curve "
        f"stops before fewer than {k} rows are at risk."
    )
    return out


def cumulative_incidence(
    df: pd.DataFrame,
    *,
    time: str,
    cause: str,
    entry: str | None = None,
    by: str | Sequence[str] | None = None,
    censored: Hashable = 0,
    alpha: float = 0.05,
    k: int = 5,
) -> pd.DataFrame:
    r"""Aalen–Johansen cumulative incidence of competing causes, at every event time.

    Parameters
    ----------
    df
        One row per person or spell.
    time
        Column of follow-up times.
    cause
        Column naming how each row ends: the value ``censored`` for a censored row, any other
        value a cause (e.g. ``"promotion"``, ``"exit"``, ``"switch"``, or 1, 2, 3).
    entry
        Optional column of entry times (delayed entry): at risk on ``(entry, time]``.
    by
        Optional grouping column(s).
    censored
        The value of ``cause`` that marks a censored row (default 0).
    alpha
        1 - confidence level of the log(-log) interval.
    k
        Minimum number at risk (as :func:`survival_table`).

    Returns
    -------
    pandas.DataFrame
        One row per group, cause and event time (any cause): the ``by`` columns, ``cause``,
        ``time``, ``n_risk``, ``events`` (of this cause at ``time``), ``cif``
        (:math:`F_j(t)`), ``se`` (delta method), ``ci_lower``, ``ci_upper``.

    Raises
    ------
    ArgumentError
        A column is missing, a row has a missing cause, or times are invalid.

    Notes
    -----
    :math:`F_j(t) = \sum_{u \le t} S(u-)\, d_{ju} / n_u` with :math:`S` the Kaplan–Meier of
    any cause, a competing cause being an outcome, not a censoring (leavers are not
    promotable). Engine: :func:`pathaudit.stats.survival.aalen_johansen`, the one time to
    promotion uses. Estimates equal R ``cmprsk::cuminc`` (no entry) and ``survfit(Surv(entry,
    time, factor(cause)) ~ by, id = row)`` (with entry) on stored references to 1e-6; the
    standard error is the delta-method (Greenwood-type) one of statsmodels'
    ``CumIncidenceRight``, which differs from both R packages' variance estimators (see
    docs/survival-tools.md).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "how": ["promotion", "exit", 0,
    ...                    "promotion", 0, "exit"]})
    >>> cumulative_incidence(df, time="t", cause="how", k=1).query("cause == 'promotion'")[
    ...     ["time", "cif"]]
       time       cif
    4   1.0  0.166667
    5   2.0  0.166667
    6   4.0  0.388889
    7   6.0  0.388889
    """
    df = _frame(df, "cumulative_incidence")
    (time,) = _columns(df, "time", time)
    (cause,) = _columns(df, "cause", cause)
    entry_col = _columns(df, "entry", entry)
    by_cols = _columns(df, "by", by)
    alpha = check_alpha(alpha)
    k = int(check_number(k, "k (the minimum number at risk)", low=1, integer=True))
    t, e = _times(df, time, entry_col[0] if entry_col else None)
    c = df[cause]
    if c.isna().any():
        first = df.index[np.flatnonzero(c.isna().to_numpy())[0]]
        raise ArgumentError(
            f"cause column {cause!r} has missing values (first: row {first!r}); mark censored "
            f"rows with {censored!r} (the censored= value)."
        )
    is_cens = (c == censored).to_numpy()
    labels = sorted({v for v in c[~is_cens].unique()}, key=lambda v: (str(type(v)), v))
    code = np.zeros(len(df), dtype=np.int64)
    for j, lab in enumerate(labels, start=1):
        code[(c == lab).to_numpy() & ~is_cens] = j
    parts = []
    for key, rows in _groups(df, by_cols):
        if not (code[rows] > 0).any():
            continue
        fit = aalen_johansen(
            t[rows],
            code[rows],
            None if e is None else e[rows],
            causes=tuple(range(1, len(labels) + 1)),
        )
        for j, lab in enumerate(labels):
            lo, hi = loglog_ci(fit.cif[:, j], fit.se[:, j], alpha=alpha)
            tab = pd.DataFrame(
                {
                    **{col: [v] * len(fit.time) for col, v in zip(by_cols, key, strict=True)},
                    "cause": [lab] * len(fit.time),
                    "time": fit.time,
                    "n_risk": fit.n_risk,
                    "events": fit.events[:, j].astype(np.int64),
                    "cif": fit.cif[:, j],
                    "se": fit.se[:, j],
                    "ci_lower": lo,
                    "ci_upper": hi,
                }
            )
            parts.append(_cut(tab, fit.n_risk, k))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    out.attrs["definition"] = (
        f"Aalen-Johansen cumulative incidence of each value of {cause!r} (censored: "
        f"{censored!r}) over {time!r}"
        + (f" with delayed entry at {entry_col[0]!r}" if entry_col else "")
        + f"; delta-method SE; {100 * (1 - alpha):g}% log(-log) interval; each curve stops "
        f"before fewer than {k} rows are at risk."
    )
    return out


@dataclass(frozen=True)
class CoxTable:
    """A fitted Cox model as tables: what :func:`cox` returns.

    Attributes
    ----------
    table
        One row per covariate: ``term``, ``coef`` (log hazard ratio), ``hr``, ``se``
        (model-based), ``robust_se`` (cluster-robust, NaN without ``cluster``), ``z``,
        ``p_value``, ``ci_lower``, ``ci_upper`` (of the hazard ratio, from the SE in use),
        ``reason`` (why a term has no estimate; empty otherwise).
    concordance
        Harrell's concordance of the linear predictor (within strata).
    lr_stat, lr_df, lr_p
        Likelihood-ratio test of all terms against none.
    loglike, loglike_null
        Log partial likelihood at the estimate and at zero.
    n, n_events, n_clusters
        Rows, events and clusters (rows when not clustered).
    ties
        ``"efron"`` or ``"breslow"``.
    fit
        The engine's :class:`~pathaudit.stats.survival.CoxFit`.
    """

    table: pd.DataFrame
    concordance: float
    lr_stat: float
    lr_df: int
    lr_p: float
    loglike: float
    loglike_null: float
    n: int
    n_events: int
    n_clusters: int
    ties: str
    fit: CoxFit

    def summary(self) -> str:
        """The coefficient table and the model's statistics as text."""
        shown = self.table.drop(columns=["reason"]).to_string(index=False, float_format="%.4g")
        clustered = self.fit.n_groups != self.n or self.table["robust_se"].notna().any()
        clusters = f", {self.n_clusters} clusters" if clustered else ""
        return (
            f"Cox model ({self.ties} ties): {self.n} rows, {self.n_events} events"
            f"{clusters}\n{shown}\nconcordance {self.concordance:.4f}; "
            f"likelihood-ratio test {self.lr_stat:.4g} on {self.lr_df} df, p = {self.lr_p:.3g}"
        )


def cox(
    df: pd.DataFrame,
    *,
    covariates: str | Sequence[str],
    time: str,
    event: str,
    entry: str | None = None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    ties: str = "efron",
    alpha: float = 0.05,
) -> CoxTable:
    r"""Cox proportional-hazards model on a researcher's table, with a tidy coefficient table.

    Parameters
    ----------
    df
        One row per person or spell (several rows per person are allowed with ``entry``:
        counting-process data, one row per interval).
    covariates
        Numeric (or 0/1, True/False) columns; code a categorical variable as dummies first
        (``pandas.get_dummies(df, columns=[...], drop_first=True, dtype=float)``).
    time, event, entry
        As :func:`survival_table` (at risk on ``(entry, time]``).
    strata
        Optional column(s): each combination has its own baseline hazard.
    cluster
        Optional column of cluster labels (e.g. person or unit): adds the cluster-robust
        (Lin–Wei sandwich) standard error, which the intervals and p-values then use.
    ties
        ``"efron"`` (default, as R ``coxph``) or ``"breslow"`` (as the analyses and
        statsmodels).
    alpha
        1 - confidence level.

    Returns
    -------
    CoxTable

    Raises
    ------
    ArgumentError
        A column is missing or not numeric, times or events are invalid, or ``ties`` is
        unknown.

    Warns
    -----
    StatisticalWarning
        A term the data cannot identify (constant, collinear, diverging) is reported with NaN
        and its reason, never with a made-up number.

    Notes
    -----
    Engine: :func:`pathaudit.stats.survival.cox_ph` (the one the analyses use), Newton–Raphson
    stopping on a relative change in log likelihood and steps small against each SE. The
    likelihood-ratio statistic is :math:`2(\ell(\hat\beta) - \ell(0))` on the number of
    estimated terms; the concordance is :func:`pathaudit.stats.survival.concordance` of
    :math:`x'\hat\beta`. Coefficients, both standard errors, log likelihoods, the LR test and
    the concordance equal R ``coxph(Surv(entry, time, event) ~ ... + strata(...), ties=,
    cluster=)`` on stored references to 1e-6.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"ic": rng.integers(0, 2, 200)})
    >>> df["years"] = np.ceil(rng.exponential(2 / np.exp(0.5 * df["ic"])))
    >>> df["left"] = 1
    >>> res = cox(df, covariates=["ic"], time="years", event="left")
    >>> res.table[["term", "hr"]].round(2)
      term    hr
    0   ic  1.41
    """
    df = _frame(df, "cox")
    covs = _columns(df, "covariates", covariates)
    if not covs:
        raise ArgumentError("covariates must name at least one column of the table.")
    (time,) = _columns(df, "time", time)
    (event,) = _columns(df, "event", event)
    entry_col = _columns(df, "entry", entry)
    strata_cols = _columns(df, "strata", strata)
    cluster_col = _columns(df, "cluster", cluster)
    ties = check_choice(ties, "ties", _TIES)
    alpha = check_alpha(alpha)
    t, e = _times(df, time, entry_col[0] if entry_col else None)
    ev = _event(df, event)
    for c in covs:
        if not (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c])):
            raise ArgumentError(
                f"covariate {c!r} is not numeric (dtype {df[c].dtype}); code it as dummies "
                f"first: pandas.get_dummies(df, columns=[{c!r}], drop_first=True, dtype=float)."
            )
    X = np.column_stack([_number_column(df, c, "covariate") for c in covs])
    st = None
    if strata_cols:
        missing = df[list(strata_cols)].isna().any(axis=1).to_numpy()
        if missing.any():
            first = df.index[np.flatnonzero(missing)[0]]
            raise ArgumentError(
                f"strata column(s) {list(strata_cols)} have missing values ({int(missing.sum())} "
                f"row(s), first: row {first!r}); give every row a stratum or drop those rows."
            )
        st = pd.MultiIndex.from_frame(df[list(strata_cols)].astype(object)).factorize()[0]
    groups = None
    if cluster_col:
        g = df[cluster_col[0]]
        if g.isna().any():
            raise ArgumentError(
                f"cluster column {cluster_col[0]!r} has missing values; every row needs a "
                "cluster label."
            )
        groups = pd.factorize(g)[0]
    fit = cox_ph(t, ev, X, entry=e, strata=st, groups=groups, names=list(covs), ties=ties)
    se = np.sqrt(np.diag(fit.cov_naive))
    robust = fit.bse if cluster_col else np.full(len(covs), np.nan)
    used = robust if cluster_col else se
    lo, hi, p = wald(fit.params, used, alpha=alpha)
    with np.errstate(invalid="ignore"):
        z = fit.params / used
    table = pd.DataFrame(
        {
            "term": list(covs),
            "coef": fit.params,
            "hr": np.exp(fit.params),
            "se": se,
            "robust_se": robust,
            "z": z,
            "p_value": p,
            "ci_lower": np.exp(lo),
            "ci_upper": np.exp(hi),
            "reason": [fit.reason(c) or "" for c in covs],
        }
    )
    ok = fit.estimable
    lr_df = int(ok.sum())
    lr_stat = 2.0 * (fit.loglike - fit.loglike_null) if lr_df else np.nan
    from scipy.special import chdtrc

    lr_p = float(chdtrc(lr_df, lr_stat)) if lr_df else np.nan
    score = X[:, ok] @ fit.params[ok]
    c_index = concordance(t, ev, score, entry=e, strata=st)[0]
    return CoxTable(
        table=table,
        concordance=c_index,
        lr_stat=float(lr_stat),
        lr_df=lr_df,
        lr_p=lr_p,
        loglike=fit.loglike,
        loglike_null=fit.loglike_null,
        n=fit.n_obs,
        n_events=fit.n_events,
        n_clusters=fit.n_groups,
        ties=ties,
        fit=fit,
    )
