"""Survival and competing-risks engine with delayed entry (left truncation).

Plain numpy functions on arrays of spells: each observation is at risk on the
interval ``(entry, time]`` and ends with an event code (0 = censored, 1, 2, ...
= causes). Everything is vectorised (sorting, ``searchsorted``, cumulative sums);
nothing loops over observations. Aalen–Johansen and the log-rank test count by the rank
of each time among the distinct values (a hash table, then a sort of the distinct values
only) and take suffix sums of the counts: the number at risk at ``u`` is
``#{time >= u} - #{entry >= u}``.

- :func:`risk_set` — the number at risk just before each time, with entry.
- :func:`aalen_johansen` — cumulative incidence of every cause (Aalen–Johansen)
  with the delta-method (Greenwood-type) standard error, as
  ``statsmodels.duration.survfunc.CumIncidenceRight`` computes it without entry.
- :func:`kaplan_meier` — Kaplan–Meier survival with Greenwood's standard error,
  as ``statsmodels.duration.survfunc.SurvfuncRight``.
- :func:`cif_influence` — per-observation influence values of a cumulative
  incidence at one time, for variances clustered by person and for
  differences of curves that share people.
- :func:`cox_ph` — Cox proportional-hazards model (Breslow or Efron ties) with entry,
  strata and a cluster-robust sandwich covariance, as
  ``statsmodels.duration.hazard_regression.PHReg`` (``ties="breslow"``,
  ``fit(groups=...)``) and R ``coxph`` (both ties, ``cluster()``).
- :func:`concordance` — Harrell's concordance of a risk score with entry and strata, as
  R's ``concordance`` reports it for a ``coxph`` fit.
- :func:`logrank` — (stratified) log-rank test with entry, as
  ``statsmodels.duration.survfunc.survdiff``.

Why not call statsmodels directly? ``CumIncidenceRight`` has no delayed entry,
and ``PHReg``'s robust covariance loops over failure times in Python, which is
too slow for hundreds of thousands of spells. The tests check every function
here against the statsmodels one on data the library can take.

Conventions: an observation with entry ``e`` and exit ``t`` is in the risk set
at time ``u`` when ``e < u <= t`` (it is not at risk at its own entry time, the
convention of R and statsmodels). Ties between an event and a censoring at the
same time count the censored observation as still at risk at that time.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pathaudit.errors import PathauditError, StatisticalWarning
from pathaudit.stats._dist import chi2_sf
from pathaudit.stats.intervals import wald

Array = NDArray[np.float64]

__all__ = [
    "COX_COLLINEAR_TOL",
    "COX_MAX_STD_BETA",
    "COX_MAX_STD_SE",
    "COX_NO_VARIATION_TOL",
    "CompetingRisksFit",
    "CoxFit",
    "KaplanMeierFit",
    "aalen_johansen",
    "cif_influence",
    "concordance",
    "cox_ph",
    "kaplan_meier",
    "logrank",
    "risk_set",
    "step_at",
]


def _check(
    time: ArrayLike, event: ArrayLike, entry: ArrayLike | None
) -> tuple[Array, NDArray[np.int64], Array]:
    t = np.asarray(time, dtype=float)
    ev = np.asarray(event)
    if ev.dtype == bool:
        ev = ev.astype(np.int64)
    ev = ev.astype(np.int64)
    e = np.zeros_like(t) if entry is None else np.asarray(entry, dtype=float)
    if not (t.shape == ev.shape == e.shape) or t.ndim != 1:
        raise PathauditError(
            f"time, event and entry must be 1-d arrays of one length; got shapes "
            f"{t.shape}, {ev.shape}, {e.shape}."
        )
    if np.isnan(t).any() or np.isnan(e).any():
        raise PathauditError("time and entry must not be missing (NaN); drop or fill those spells.")
    if (ev < 0).any():
        raise PathauditError("event codes must be 0 (censored) or a positive cause number.")
    bad = (e >= t) if entry is not None else (t < 0)
    if bad.any():
        raise PathauditError(
            f"{int(bad.sum())} observation(s) have entry >= time (first at position "
            f"{int(np.flatnonzero(bad)[0])}); an observation must be at risk for some time. "
            "Drop spells that end on or before they enter observation."
        )
    return t, ev, e


def risk_set(time: ArrayLike, grid: ArrayLike, entry: ArrayLike | None = None) -> NDArray[np.int64]:
    """Count the number at risk just before each grid time, with delayed entry.

    Parameters
    ----------
    time
        Exit (event or censoring) times.
    grid
        Times at which to count the risk set.
    entry
        Entry times (default 0).

    Returns
    -------
    ndarray of int
        ``n(u) = #{i : entry_i < u <= time_i}`` for each ``u`` in ``grid``.

    Notes
    -----
    Because ``entry_i < time_i``, ``n(u) = #{time_i >= u} - #{entry_i >= u}``:
    two ``searchsorted`` calls on sorted copies.
    """
    t = np.sort(np.asarray(time, dtype=float))
    u = np.asarray(grid, dtype=float)
    n = len(t) - np.searchsorted(t, u, side="left")
    if entry is not None:
        e = np.sort(np.asarray(entry, dtype=float))
        n = n - (len(e) - np.searchsorted(e, u, side="left"))
    return n.astype(np.int64)


def step_at(times: ArrayLike, values: ArrayLike, at: ArrayLike, before: float = 0.0) -> Array:
    """Evaluate a right-continuous step function at ``at``.

    Parameters
    ----------
    times
        Ascending jump times.
    values
        Value from each jump time on (same length as ``times``; may be 2-d with
        rows per time).
    at
        Where to evaluate.
    before
        Value before the first jump.

    Returns
    -------
    ndarray
        ``values[j]`` for the last ``times[j] <= at``, else ``before``.
    """
    tt = np.asarray(times, dtype=float)
    vv = np.asarray(values, dtype=float)
    idx = np.searchsorted(tt, np.asarray(at, dtype=float), side="right") - 1
    pad = np.concatenate([np.full((1,) + vv.shape[1:], before), vv], axis=0)
    return pad[idx + 1]


@dataclass(frozen=True)
class CompetingRisksFit:
    """Aalen–Johansen cumulative incidence of every cause, at each event time.

    Attributes
    ----------
    time
        Distinct times at which some event (any cause) occurs, ascending.
    n_risk
        Number at risk just before each time.
    events
        Events per time and cause, shape ``(len(time), n_causes)``.
    surv
        All-cause survival ``S(t)`` (Kaplan–Meier of any event) at each time.
    cif
        Cumulative incidence ``F_j(t)`` per time and cause.
    se
        Delta-method standard error of ``cif``.
    causes
        Cause codes, the columns of ``events``, ``cif`` and ``se`` (1, 2, ...).
    n
        Number of observations.
    """

    time: Array
    n_risk: NDArray[np.int64]
    events: Array
    surv: Array
    cif: Array
    se: Array
    causes: tuple[int, ...]
    n: int

    def at(self, t: ArrayLike, cause: int = 1) -> tuple[Array, Array, NDArray[np.int64]]:
        """Cumulative incidence of ``cause`` at times ``t``.

        Returns
        -------
        (cif, se, n_risk) : tuple of ndarray
            The step function and its standard error at ``t`` (0 before the
            first event), and the number at risk at the last event time
            ``<= t`` (the whole sample before it).
        """
        j = self.causes.index(cause)
        f = step_at(self.time, self.cif[:, j], t)
        s = step_at(self.time, self.se[:, j], t)
        nr = step_at(self.time, self.n_risk, t, before=np.nan)
        nr = np.where(np.isnan(nr), self.n_risk[0] if len(self.n_risk) else 0, nr)
        return f, s, nr.astype(np.int64)


def aalen_johansen(
    time: ArrayLike,
    event: ArrayLike,
    entry: ArrayLike | None = None,
    causes: tuple[int, ...] | None = None,
) -> CompetingRisksFit:
    r"""Aalen–Johansen cumulative incidence of competing causes, with delayed entry.

    Parameters
    ----------
    time
        Exit times (event or censoring), e.g. years since spell start.
    event
        0 = censored, ``j >= 1`` = cause ``j``.
    entry
        Entry times (left truncation); default 0 for all.
    causes
        Cause codes to report (default: every positive code present).

    Returns
    -------
    CompetingRisksFit

    Notes
    -----
    At each distinct event time :math:`u_k`, with :math:`n_k` at risk
    (:func:`risk_set`), :math:`d_{jk}` events of cause :math:`j` and
    :math:`d_k = \sum_j d_{jk}`:

    .. math::

        S(u_k) = \prod_{l \le k} (1 - d_l / n_l), \qquad
        F_j(t) = \sum_{u_k \le t} S(u_{k-1})\, d_{jk} / n_k .

    The variance is the delta-method (Greenwood-type) estimator of Marubini and
    Valsecchi (1995), the one ``statsmodels`` ``CumIncidenceRight`` uses, with
    :math:`n_k` taken from the risk set with entry:

    .. math::

        \widehat{V}(F_j(t)) = \sum_{u_k \le t} \Big\{ [F_j(t) - F_j(u_k)]^2
        \frac{d_k}{n_k (n_k - d_k)}
        + S(u_{k-1})^2 \frac{d_{jk} (n_k - d_{jk})}{n_k^3}
        - 2 [F_j(t) - F_j(u_k)]\, S(u_{k-1}) \frac{d_{jk}}{n_k^2} \Big\}.

    Without entry the estimates and standard errors equal ``CumIncidenceRight``'s
    at its event times (checked in the tests).
    """
    t, ev, e = _check(time, event, entry)
    if causes is None:
        coded = ev[ev > 0]
        small = len(coded) and int(coded.max()) < 1 << 16
        present = np.flatnonzero(np.bincount(coded)) if small else np.unique(coded)
        causes = tuple(int(c) for c in present)
    # one table of counts by (distinct time, outcome) from the rank of each time among the
    # distinct values (a hash table and a sort of the distinct values only): at risk at u is
    # #{t >= u} - #{entry >= u}, suffix sums of the counts per distinct value
    n = len(t)
    vals, rank = _codes(t if entry is None else np.concatenate([t, e]))
    n_vals, k = len(vals), len(causes)
    if tuple(causes) == tuple(range(1, k + 1)) and (not n or int(ev.max()) <= k):
        outcome = ev  # the codes are the columns already
    else:
        outcome = np.full(n, k + 1, dtype=np.int64)  # columns: censored, each cause, others
        outcome[ev == 0] = 0
        for j, c in enumerate(causes):
            outcome[ev == c] = j + 1
    table = np.bincount(rank[:n] * (k + 2) + outcome, minlength=n_vals * (k + 2))
    table = table.reshape(n_vals, k + 2)
    at_risk = _suffix_sum(table.sum(axis=1))
    if entry is not None:
        at_risk = at_risk - _suffix_sum(np.bincount(rank[n:], minlength=n_vals))
    events_all = table[:, 1:].sum(axis=1)
    is_event = events_all > 0
    utime = vals[is_event].astype(float)
    nk = at_risk[is_event].astype(np.int64)
    d = table[is_event, 1 : k + 1].astype(float)
    da = events_all[is_event].astype(float)
    nkf = nk.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - da / nkf)
    s_prev = np.concatenate([[1.0], surv[:-1]])
    cif = np.cumsum((s_prev / nkf)[:, None] * d, axis=0)

    # Delta-method variance (expanded as statsmodels does, so it is O(m)).
    with np.errstate(divide="ignore", invalid="ignore"):
        ra_all = da / np.clip(nkf * (nkf - da), 1e-12, np.inf)
    se = np.empty_like(cif)
    for j in range(len(causes)):
        f = cif[:, j]
        dj = d[:, j]
        v = f**2 * np.cumsum(ra_all) - 2 * f * np.cumsum(f * ra_all) + np.cumsum(f**2 * ra_all)
        v += np.cumsum((s_prev / nkf) ** 2 * (nkf - dj) * dj / nkf)
        ra = s_prev * dj / nkf**2
        v += -2 * f * np.cumsum(ra) + 2 * np.cumsum(f * ra)
        se[:, j] = np.sqrt(np.clip(v, 0.0, np.inf))
    return CompetingRisksFit(
        time=utime, n_risk=nk, events=d, surv=surv, cif=cif, se=se, causes=tuple(causes), n=len(t)
    )


@dataclass(frozen=True)
class KaplanMeierFit:
    """Kaplan–Meier survival at each event time.

    Attributes
    ----------
    time
        Distinct event times, ascending.
    n_risk
        Number at risk just before each time.
    events
        Events at each time.
    surv
        Survival ``S(t)``.
    se
        Greenwood standard error of ``surv`` (NaN once everyone at risk has failed).
    n
        Number of observations.
    """

    time: Array
    n_risk: NDArray[np.int64]
    events: Array
    surv: Array
    se: Array
    n: int

    def at(self, t: ArrayLike) -> tuple[Array, Array]:
        """Survival and its standard error at times ``t`` (1 and 0 before the first event)."""
        return step_at(self.time, self.surv, t, before=1.0), step_at(self.time, self.se, t)


def kaplan_meier(
    time: ArrayLike, event: ArrayLike, entry: ArrayLike | None = None
) -> KaplanMeierFit:
    r"""Kaplan–Meier estimator with delayed entry and Greenwood standard errors.

    Parameters
    ----------
    time
        Exit times.
    event
        Truthy where the event of interest ends the observation; everything else
        is censored.
    entry
        Entry times (default 0).

    Returns
    -------
    KaplanMeierFit

    Notes
    -----
    :math:`S(t) = \prod_{u_k \le t} (1 - d_k / n_k)` and
    :math:`\widehat{V}(S(t)) = S(t)^2 \sum_{u_k \le t} d_k / (n_k (n_k - d_k))`.
    Equal to ``statsmodels`` ``SurvfuncRight(time, status, entry=entry)``.
    """
    t, ev, e = _check(time, np.asarray(event).astype(bool), entry)
    utime = np.unique(t[ev > 0])
    nk = risk_set(t, utime, None if entry is None else e).astype(float)
    idx = np.searchsorted(utime, t[ev > 0])
    d = np.bincount(idx, minlength=len(utime)).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - d / nk)
        g = d / (nk * (nk - d))
    g[nk == d] = np.nan
    se = surv * np.sqrt(np.cumsum(g))
    se[surv == 0] = np.nan
    return KaplanMeierFit(
        time=utime, n_risk=nk.astype(np.int64), events=d, surv=surv, se=se, n=len(t)
    )


def cif_influence(
    time: ArrayLike,
    event: ArrayLike,
    at: float,
    cause: int = 1,
    entry: ArrayLike | None = None,
    fit: CompetingRisksFit | None = None,
) -> Array:
    r"""Influence value of every observation on the cumulative incidence ``F_cause(at)``.

    Summing these within a cluster (a person) and adding the squares gives a
    variance of ``F_cause(at)`` robust to dependence between one person's
    spells; differences of curves that share people take the difference of
    their summed influence per person.

    Parameters
    ----------
    time, event, entry
        As for :func:`aalen_johansen`.
    at
        The time at which the cumulative incidence is taken.
    cause
        The cause of interest.
    fit
        The :func:`aalen_johansen` fit of the same data (computed if None).

    Returns
    -------
    ndarray
        ``phi_i`` with :math:`\sum_i \phi_i = 0` (up to rounding) and
        :math:`\widehat V = \sum_g (\sum_{i \in g} \phi_i)^2`.

    Notes
    -----
    The linearisation of the Aalen–Johansen estimator (Andersen et al. 1993,
    IV.4) with :math:`dM_i(u) = dN_i(u) - Y_i(u)\, d\hat\Lambda(u)`:

    .. math::

        \phi_i = \int_0^{t} \frac{S(u-)}{n(u)}\, dM_{ji}(u)
        - \int_0^{t} \frac{F_j(t) - F_j(u)}{n(u)}\, dM_i(u),

    where :math:`M_{ji}` counts cause-:math:`j` events and :math:`M_i` any event.
    Each observation is at risk on ``(entry_i, time_i]``. Without clustering,
    :math:`\sum_i \phi_i^2` is the Aalen-type variance, asymptotically equal
    to the delta-method variance of :func:`aalen_johansen`.
    """
    t, ev, e = _check(time, event, entry)
    if fit is None:
        fit = aalen_johansen(t, ev, e if entry is not None else None)
    if cause not in fit.causes:
        return np.zeros(len(t))
    j = fit.causes.index(cause)
    u = fit.time
    keep = u <= at
    u = u[keep]
    if len(u) == 0:
        return np.zeros(len(t))
    nk = fit.n_risk[keep].astype(float)
    dj = fit.events[keep, j]
    da = fit.events[keep].sum(axis=1)
    f = fit.cif[keep, j]
    f_t = f[-1]
    s_prev = np.concatenate([[1.0], fit.surv[keep][:-1]])
    # cumulative sums over event times of the compensator integrands
    c_g = np.concatenate([[0.0], np.cumsum(s_prev * dj / nk**2)])
    c_h = np.concatenate([[0.0], np.cumsum(da / nk**2)])
    c_k = np.concatenate([[0.0], np.cumsum(f * da / nk**2)])
    # index positions: number of event times <= x
    hi = np.searchsorted(u, np.minimum(t, at), side="right")
    lo = np.searchsorted(u, e, side="right")
    pos = np.searchsorted(u, t, side="left")  # index of own event time when t in u
    own = (t <= at) & (pos < len(u))
    own &= np.where(own, u[np.minimum(pos, len(u) - 1)] == t, False)
    posc = np.minimum(pos, len(u) - 1)
    jump_j = np.where(own & (ev == cause), s_prev[posc] / nk[posc], 0.0)
    jump_any = np.where(own & (ev > 0), (f_t - f[posc]) / nk[posc], 0.0)
    comp_j = c_g[hi] - c_g[lo]
    comp_any = f_t * (c_h[hi] - c_h[lo]) - (c_k[hi] - c_k[lo])
    return (jump_j - comp_j) - (jump_any - comp_any)


COX_NO_VARIATION_TOL = 1e-10
"""A covariate whose variance within the risk sets at event times is below this share of its
second moment about its mean (over the same risk sets) does not vary among those at risk: it
is dropped before fitting."""

COX_COLLINEAR_TOL = 1e-8
"""A covariate whose share of variance within risk sets not explained by the covariates kept
before it (``1 - R^2``, in the information metric at ``beta = 0``) is below this is collinear
with them (variance inflation above 1e8): it is dropped before fitting."""

COX_MAX_STD_SE = 2.5
"""After fitting, a term whose naive standard error of the log hazard ratio, per standard
deviation of the covariate within risk sets, exceeds this is not estimable (for an indicator
at risk half the time, an SE above 5 on the log scale: a 95% interval spanning a factor of
more than 10^8)."""

COX_MAX_STD_BETA = 7.5
"""After fitting, a term whose log hazard ratio per standard deviation of the covariate within
risk sets exceeds this in absolute value is not estimable (for an indicator at risk half the
time, ``|log HR| > 15``, a hazard ratio beyond 3e6 or below 3e-7); it is diverging when the
partial likelihood still rises as the term moves further out."""

NO_EVENTS = "no events: the partial likelihood holds no information"
CONSTANT = "constant: it takes the one value {value:g} in every observation"
CONSTANT_IN_STRATA = (
    "constant within every stratum: its effect is absorbed by the strata's baseline hazards"
)
NO_VARIATION_AT_RISK = (
    "does not vary among the observations at risk at any event time (variance within risk "
    "sets {share:.1e} of its second moment, below {tol:g})"
)
COLLINEAR = (
    "collinear with {others} among those at risk (1 - R^2 = {v:.1e}, below {tol:g}): the data "
    "cannot separate their effects"
)
DIVERGES = (
    "diverges (log hazard ratio at {beta:.3g} after {iterations} iteration(s), and the partial "
    "likelihood still rises beyond it): it has no finite maximum (monotone likelihood, e.g. "
    "all events in one group)"
)
HUGE_BETA = (
    "log hazard ratio {beta:.3g} is {std:.3g} per within-risk-set standard deviation, beyond "
    "{bound:g}: a hazard ratio the data cannot support (often near collinearity)"
)
HUGE_SE = (
    "naive standard error of the log hazard ratio {se:.3g} is {std:.3g} per within-risk-set "
    "standard deviation, above {bound:g}: the data hold almost no information on it"
)
SINGULAR_AT_ESTIMATE = "the information matrix is singular at the estimate"
TERM_NOT_CONVERGED = (
    "Newton-Raphson did not converge within {iterations} iteration(s) (last step {step:.2g})"
)


@dataclass(frozen=True)
class CoxFit:
    """A fitted Cox proportional-hazards model.

    Attributes
    ----------
    params
        Log hazard ratios, one per column of ``exog``; NaN for a term in ``dropped`` or
        ``not_estimable``.
    cov
        Covariance of ``params``: cluster-robust sandwich when ``groups`` was
        given, else the inverse information. Rows and columns of terms that are
        dropped or not estimable are NaN.
    cov_naive
        Inverse information (model-based covariance), NaN as ``cov``.
    loglike
        Log partial likelihood (Breslow or Efron, as ``ties``) at ``params`` (of the model
        with the estimable and diverging terms, without the dropped ones).
    loglike_null
        The same log partial likelihood at ``params = 0`` (for the likelihood-ratio test).
    ties
        ``"breslow"`` or ``"efron"``.
    iterations
        Newton–Raphson iterations taken.
    n_obs, n_events, n_groups
        Observations, events and clusters.
    converged
        Whether Newton–Raphson met the tolerance on every fitted term.
    names
        Covariate names (when given).
    dropped
        Terms left out before fitting, name -> reason: no events, constant (within
        strata), no variation among those at risk, or collinear with earlier columns.
    not_estimable
        Terms fitted but not reported, name -> reason: diverging (monotone likelihood),
        a huge naive variance, or no convergence.
    """

    params: Array
    cov: Array
    cov_naive: Array
    loglike: float
    n_obs: int
    n_events: int
    n_groups: int
    converged: bool
    names: tuple[str, ...] = ()
    dropped: dict[str, str] = field(default_factory=dict)
    not_estimable: dict[str, str] = field(default_factory=dict)
    loglike_null: float = np.nan
    ties: str = "breslow"
    iterations: int = 0

    @property
    def terms(self) -> tuple[str, ...]:
        """Term names: ``names``, or ``x0, x1, ...`` when none were given."""
        return self.names if self.names else tuple(f"x{j}" for j in range(len(self.params)))

    @property
    def estimable(self) -> NDArray[np.bool_]:
        """True for each term with an estimate (neither dropped nor not estimable)."""
        bad = set(self.dropped) | set(self.not_estimable)
        return np.array([nm not in bad for nm in self.terms], dtype=bool)

    def reason(self, name: str) -> str | None:
        """Why term ``name`` has no estimate (None when it has one)."""
        return self.dropped.get(name, self.not_estimable.get(name))

    @property
    def bse(self) -> Array:
        """Standard errors of ``params``."""
        return np.sqrt(np.diag(self.cov))

    def conf_int(self, alpha: float = 0.05) -> Array:
        """Wald interval of ``params``, shape ``(p, 2)``."""
        lo, hi, _ = wald(self.params, self.bse, alpha=alpha)
        return np.column_stack([lo, hi])

    @property
    def pvalues(self) -> Array:
        """Two-sided Wald p-values."""
        return wald(self.params, self.bse)[2]


class _CoxDesign:
    """Risk-set bookkeeping for the Cox model: event grid by (stratum, time)."""

    def __init__(self, t: Array, status: NDArray[np.bool_], e: Array, strata: NDArray[np.int64]):
        # Exact ranks of every time value, so the (stratum, time) key is exact.
        both = np.concatenate([t, e])
        if len(both) and np.array_equal(both, np.floor(both)) and (
            both.max() - both.min() <= max(4 * len(both), 1 << 16)
        ):  # whole numbers (days) in a short range: ranked from a flag per value
            inv = _rank_codes(both.astype(np.int64))
            n_times = int(inv.max()) + 1
        else:
            allt, inv = _codes(both)  # np.unique's, by a hash table
            n_times = len(allt)
        del both
        rt, re = inv[: len(t)], inv[len(t) :]
        width = n_times + 1
        key_t = strata * width + rt
        key_e = strata * width + re
        grid = np.unique(key_t[status])
        self.grid = grid
        n_keys = (int(strata.max()) + 1) * width if len(strata) else 0
        if n_keys <= max(4 * len(t), 1 << 16):
            # few possible keys: how many grid points are <= each key, read from a table
            # (the searchsorted positions, by a look-up instead of a binary search)
            at_most = np.cumsum(np.bincount(grid, minlength=n_keys))
            self.start = at_most[key_e]
            self.end = at_most[key_t]
            self.pos = at_most[key_t[status]] - 1  # event -> grid index (its key is there)
        else:
            self.start = np.searchsorted(grid, key_e, side="right")
            self.end = np.searchsorted(grid, key_t, side="right")
            self.pos = np.searchsorted(grid, key_t[status], side="left")
        self.d = np.bincount(self.pos, minlength=len(grid)).astype(float)
        self.G = len(grid)
        self._frac: Array | None = None
        self._events_of: Array | None = None
        self._events_sum: Array = np.zeros(0)
        self._csc: tuple[NDArray[np.generic], NDArray[np.generic]] | None = None

    @property
    def frac(self) -> Array:
        """Efron's ``r / d_k`` per event (``r = 0 .. d_k - 1``, the event's rank in its tie)."""
        if self._frac is None:
            order = np.argsort(self.pos, kind="stable")
            sp = self.pos[order]
            rank = np.empty(len(sp), dtype=float)
            rank[order] = np.arange(len(sp)) - np.searchsorted(sp, sp, side="left")
            self._frac = rank / self.d[self.pos] if len(sp) else rank
        return self._frac

    @property
    def has_ties(self) -> bool:
        """Whether some (stratum, time) has more than one event."""
        return bool(self.G and self.d.max() > 1)

    def grid_sum(self, v: Array) -> Array:
        """Sum per grid point of ``v`` given per event (1-d or n_events x p)."""
        g = self.G
        if v.ndim == 1:
            return np.bincount(self.pos, v, g).astype(np.float64)
        out = np.empty((g, v.shape[1]))
        for c in range(v.shape[1]):
            out[:, c] = np.bincount(self.pos, v[:, c], g)
        return out

    def at_risk_sum(self, w: Array) -> Array:
        """Sum of ``w`` (1-d or n x p) over the risk set at every grid point."""
        g = self.G
        if w.ndim == 1:
            diff = np.bincount(self.start, w, g + 1) - np.bincount(self.end, w, g + 1)
            return np.cumsum(diff)[:g]
        out = np.empty((g, w.shape[1]))
        for c in range(w.shape[1]):
            wc = w[:, c]
            diff = np.bincount(self.start, wc, g + 1) - np.bincount(self.end, wc, g + 1)
            out[:, c] = np.cumsum(diff)[:g]
        return out

    def weighted_at_risk_sum(self, X: Array, w: Array) -> Array:
        """Sum of ``w_i x_i`` (``X`` n x p, C order) over the risk set at every grid point.

        One sparse product: each observation adds ``w_i x_i`` at its entry's grid index
        and takes it away at its exit's (a ``(G + 1) x n`` matrix with two entries per
        column), then a cumulative sum over the grid. No ``n x p`` array is formed.
        """
        from scipy import sparse

        g, n = self.G, len(w)
        if self._csc is None:
            # 32-bit indices where they fit (scipy would convert them on every product)
            kind = np.int32 if 2 * n < np.iinfo(np.int32).max else np.int64
            idx: NDArray[np.generic] = np.empty(2 * n, dtype=kind)
            idx[0::2], idx[1::2] = self.start, self.end
            self._csc = (idx, np.asarray(np.arange(0, 2 * n + 1, 2, dtype=kind)))
        rows, ptr = self._csc
        data = np.empty(2 * n)
        data[0::2], data[1::2] = w, -w
        m = sparse.csc_array((data, rows, ptr), shape=(g + 1, n))
        return np.cumsum(np.asarray(m @ X), axis=0)[:g]

    def event_sum(self, X: Array, status: NDArray[np.bool_]) -> Array:
        """``X[status].sum(axis=0)``, kept for the design matrix last asked about."""
        if self._events_of is not X:
            self._events_of, self._events_sum = X, X[status].sum(axis=0)
        return self._events_sum

    def interval_sum(self, cum: Array) -> Array:
        """Sum ``v_k`` over ``[start_i, end_i)`` per observation (``cum`` has a leading 0)."""
        return cum[self.end] - cum[self.start]


def _cox_terms(
    beta: Array,
    X: Array,
    status: NDArray[np.bool_],
    des: _CoxDesign,
    resid: bool = False,
    efron: bool = False,
) -> tuple[float, Array, Array, Array | None]:
    """Log partial likelihood, score, information (and score residuals) at ``beta``."""
    ll, score, info, later = _cox_eval(beta, X, status, des, efron=efron)
    return ll, score, info, later() if resid else None


def _cox_eval(
    beta: Array,
    X: Array,
    status: NDArray[np.bool_],
    des: _CoxDesign,
    efron: bool = False,
) -> tuple[float, Array, Array, Callable[[], Array]]:
    """As :func:`_cox_terms`, with the score residuals as a function of what was computed.

    The Newton–Raphson loop asks for the residuals only at the estimate it ends on; the
    function reuses that evaluation's risk-set sums instead of computing them again.
    """
    eta = X @ beta
    c = float(np.max(eta)) if len(eta) else 0.0
    w = np.exp(eta - c)
    s0 = des.at_risk_sum(w)
    s1 = des.weighted_at_risk_sum(X, w)
    if efron and des.has_ties:
        return _efron_terms(eta, c, w, s0, s1, X, status, des)
    d = des.d
    xbar = s1 / s0[:, None]
    dlam = d / s0
    loglike = float((eta[status] - c).sum() - (d * np.log(s0)).sum())
    score = des.event_sum(X, status) - (d[:, None] * xbar).sum(axis=0)
    a = des.interval_sum(np.concatenate([[0.0], np.cumsum(dlam)]))
    # sum_i w_i a_i x_i x_i' (w a >= 0)
    info = _weighted_gram(X, w * a) - (xbar * d[:, None]).T @ xbar

    def residuals() -> Array:
        cum = np.vstack([np.zeros((1, X.shape[1])), np.cumsum(xbar * dlam[:, None], axis=0)])
        r = np.empty(X.shape)  # -(w (X a - b)), block by block: no other n x p array
        for i in range(0, len(r), GRAM_ROWS * 16):
            rows = slice(i, i + GRAM_ROWS * 16)
            r[rows] = X[rows] * a[rows, None]
            r[rows] -= cum[des.end[rows]] - cum[des.start[rows]]
            r[rows] *= -w[rows, None]
        ev_idx = np.flatnonzero(status)
        r[ev_idx] += X[ev_idx] - xbar[des.pos]
        return np.asarray(r, dtype=np.float64)

    return loglike, score, info, residuals


GRAM_ROWS = 1 << 12
"""Rows per block of :func:`_weighted_gram` (a block of ``X`` stays in the CPU cache)."""


def _weighted_gram(X: Array, v: Array) -> Array:
    """``sum_i v_i x_i x_i'`` (``v >= 0``) as ``Z'Z`` with ``Z = sqrt(v) X``, block by block.

    The blocks keep ``Z`` small (no second ``n x p`` array) and in cache.
    """
    n, p = X.shape
    out = np.zeros((p, p))
    root = np.sqrt(v)
    for i in range(0, n, GRAM_ROWS):
        z = X[i : i + GRAM_ROWS] * root[i : i + GRAM_ROWS, None]
        out += z.T @ z
    return out


def _efron_terms(
    eta: Array,
    c: float,
    w: Array,
    s0: Array,
    s1: Array,
    X: Array,
    status: NDArray[np.bool_],
    des: _CoxDesign,
) -> tuple[float, Array, Array, Callable[[], Array]]:
    r"""Efron log partial likelihood, score, information and (a function of) score residuals.

    At a (stratum, time) with :math:`d` tied events, the :math:`r`-th (:math:`r = 0 ..
    d - 1`) uses the risk-set sums less the share :math:`f_r = r/d` of the tied events'
    own sums: :math:`\phi_r = S_0 - f_r D_0`, :math:`\bar x_r = (S_1 - f_r D_1)/\phi_r`.
    Every sum over ``(time, r)`` is a sum over events (one ``r`` per event) and every sum
    over a risk set a cumulative sum over the event grid, as for Breslow.
    """
    ev = np.flatnonzero(status)
    pos = des.pos
    f = des.frac
    we = w[ev]
    xe = X[ev]
    d0 = des.grid_sum(we)
    d1 = des.grid_sum(we[:, None] * xe)
    phi = s0[pos] - f * d0[pos]
    m = (s1[pos] - f[:, None] * d1[pos]) / phi[:, None]  # xbar_r, one row per event
    loglike = float((eta[ev] - c).sum() - np.log(phi).sum())
    score = xe.sum(axis=0) - m.sum(axis=0)
    ck = des.grid_sum(1.0 / phi)  # sum_r 1 / phi_r: the hazard increment
    cfk = des.grid_sum(f / phi)  # sum_r f_r / phi_r: the tied events' own share
    a = des.interval_sum(np.concatenate([[0.0], np.cumsum(ck)]))
    wa = w * a
    wa[ev] -= we * cfk[pos]
    info = (X * wa[:, None]).T @ X - m.T @ m

    def residuals() -> Array:
        hx = des.grid_sum(m / phi[:, None])  # sum_r xbar_r / phi_r
        b = des.interval_sum(np.vstack([np.zeros((1, X.shape[1])), np.cumsum(hx, axis=0)]))
        r = -(w[:, None] * (X * a[:, None] - b))
        fhx = des.grid_sum(m * (f / phi)[:, None])
        r[ev] += we[:, None] * (xe * cfk[pos][:, None] - fhx[pos])
        r[ev] += xe - (des.grid_sum(m) / des.d[:, None])[pos]
        return np.asarray(r, dtype=np.float64)

    return loglike, score, info, residuals


def cox_ph(
    time: ArrayLike,
    status: ArrayLike,
    exog: ArrayLike,
    entry: ArrayLike | None = None,
    strata: ArrayLike | None = None,
    groups: ArrayLike | None = None,
    names: tuple[str, ...] | list[str] = (),
    max_iter: int = 50,
    tol: float = 1e-6,
    rtol: float = 1e-10,
    ties: str = "breslow",
) -> CoxFit:
    r"""Cox proportional-hazards regression (Breslow or Efron ties) with entry, strata, clusters.

    Parameters
    ----------
    time
        Exit times.
    status
        Truthy where the event of interest ends the observation (others censored;
        for a cause-specific hazard, competing events are censored).
    exog
        Covariates, shape ``(n, p)``, no intercept.
    entry
        Entry times (left truncation); default 0.
    strata
        Stratum labels: each stratum has its own baseline hazard.
    groups
        Cluster labels (e.g. person); when given, ``cov`` is the cluster-robust
        sandwich ``I^{-1} (sum_g U_g U_g') I^{-1}`` of Lin and Wei (1989).
    names
        Covariate names, kept on the fit.
    max_iter, tol, rtol
        Newton–Raphson limits: it stops when the log partial likelihood changes by at most
        ``rtol`` relative to its size (``|Δℓ| <= rtol · max(1, |ℓ|)``) **and** every term's
        step is at most ``tol`` times its standard error (from the information at the new
        estimate). A relative rule holds on a million rows, where an absolute step or
        likelihood change drowns in rounding noise (``ℓ`` near ``-8e6``).
    ties
        ``"breslow"`` (the analyses' default) or ``"efron"`` (R ``coxph``'s default): how
        events at the same time share the risk set (see Notes).

    Returns
    -------
    CoxFit
        ``params`` and ``cov`` have one entry per column of ``exog``; terms that cannot
        be identified are NaN and listed, with the reason, in ``dropped`` (before
        fitting) or ``not_estimable`` (after fitting).

    Warns
    -----
    StatisticalWarning
        When a term is dropped or not estimable (the message names each with its reason).

    Notes
    -----
    Identifiability is checked before fitting, in column order, so that an earlier
    column (the compared one) is kept and a later one (a control) is dropped:

    1. no events: every term is dropped;
    2. a column that takes one value everywhere, or one value within every stratum
       (absorbed by the strata's baseline hazards), is dropped;
    3. with :math:`I_0` the information at :math:`\beta = 0` (the sum, over event
       times, of the covariance of the covariates within the risk set, so the rank of
       :math:`I_0` is the rank of the design among those at risk), a column whose
       within-risk-set variance :math:`I_{0,jj}` is below ``COX_NO_VARIATION_TOL`` of
       its second moment over the same risk sets is dropped;
    4. a column whose within-risk-set variance not explained by the columns kept
       before it (the Schur complement of the correlation form of :math:`I_0`, i.e.
       :math:`1 - R^2`) is below ``COX_COLLINEAR_TOL`` is dropped as collinear with them.

    The remaining columns are fitted by Newton–Raphson with step halving. After
    fitting, with :math:`s_j = \sqrt{I_{0,jj} / d}` the covariate's standard deviation
    within risk sets (:math:`d` events), a term is not estimable when

    - it diverges: :math:`|\hat\beta_j| s_j >` ``COX_MAX_STD_BETA`` or
      :math:`\mathrm{se}_j s_j >` ``COX_MAX_STD_SE`` (naive standard error), and the
      partial likelihood does not fall when :math:`\beta_j` is pushed further from 0 by
      :math:`\max(1, |\hat\beta_j|)` (monotone likelihood: it rises for ever as
      :math:`|\beta_j|` grows, e.g. when every event is in one group);
    - otherwise, at a finite maximum, its naive standard error or its log hazard ratio
      exceeds those bounds (typically near collinearity);
    - it has not converged: its last Newton step is above ``tol`` times its standard error.

    Such terms get NaN estimate and covariance; the other terms keep the values of the
    fit (with a diverging term they are the limits as it diverges, the values R's
    ``coxph`` reports beside its "coefficient may be infinite" warning). On data
    where every term is identified the fit is the plain Newton–Raphson one, unchanged.

    The Breslow log partial likelihood is
    :math:`\ell(\beta) = \sum_k [\sum_{i \in D_k} x_i'\beta - d_k \log S_0(u_k)]`
    with :math:`S_0(u) = \sum_{i: e_i < u \le t_i} \exp(x_i'\beta)` within the
    stratum. The information uses the identity
    :math:`\sum_k d_k S_2(u_k)/S_0(u_k) = \sum_i e^{x_i'\beta} A_i x_i x_i'`,
    where :math:`A_i` is the Breslow cumulative hazard over the observation's
    time at risk, so no ``p x p`` array per time is formed. The score residual of
    observation :math:`i` is
    :math:`\delta_i (x_i - \bar x(t_i)) - e^{x_i'\beta}\int (x_i - \bar x(u))\, d\hat\Lambda_0(u)`
    over its time at risk. Equal to ``PHReg(time, exog, status, entry=, strata=,
    ties="breslow").fit(groups=)`` (checked in the tests).

    Efron's approximation replaces, at a time with :math:`d_k` tied events, the
    :math:`d_k` copies of :math:`\log S_0(u_k)` by :math:`\sum_{r=0}^{d_k-1} \log(S_0(u_k)
    - \tfrac{r}{d_k} D_0(u_k))`, where :math:`D_0` sums :math:`\exp(x_i'\beta)` over the
    tied events themselves (they leave the risk set gradually instead of all at once); the
    score, information and score residuals follow (Therneau and Grambsch 2000, 3.3), the tied
    events' own terms weighted by :math:`1 - r/d_k`. Without ties both are the same. Equal
    to R ``coxph(..., ties="efron")`` with ``cluster()`` and ``Surv(start, stop, event)``
    (stored references, checked in the tests).
    """
    if ties not in ("breslow", "efron"):
        raise PathauditError(
            f"ties must be 'breslow' or 'efron'; got {ties!r}. Use 'efron' for R's default, "
            "'breslow' for the analyses' (and statsmodels') default."
        )
    efron = ties == "efron"
    t, ev, e = _check(time, np.asarray(status).astype(bool), entry)
    st = ev.astype(bool)
    X = np.asarray(exog, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    n, p = X.shape
    if names and len(names) != p:
        raise PathauditError(
            f"names has {len(names)} entries but exog has {p} columns; give one name per column."
        )
    labels = tuple(names) if names else tuple(f"x{j}" for j in range(p))
    if strata is None:
        s_codes = np.zeros(n, dtype=np.int64)
    else:
        s_codes = _rank_codes(strata)
        s_codes = s_codes.astype(np.int64)
    des = _CoxDesign(t, st, e, s_codes)
    dropped_idx, sd, at_zero = _cox_identify(X, st, s_codes, des, labels)
    keep = np.array([j not in dropped_idx for j in range(p)], dtype=bool)
    Xk = X if keep.all() else X[:, keep]  # the same array when nothing is dropped
    Xk = np.ascontiguousarray(Xk)  # rows contiguous: the risk-set sums are row products
    pk = Xk.shape[1]
    beta = np.zeros(pk)
    later: Callable[[], Array] | None = None
    if at_zero is not None and len(at_zero[1]) == pk and not (efron and des.has_ties):
        # the identification check evaluated the same terms at beta = 0 (on centred
        # columns: the same likelihood, score and information)
        ll, score, info = at_zero
    else:
        ll, score, info, later = _cox_eval(beta, Xk, st, des, efron=efron)
    ll_null = ll
    converged = pk == 0
    iterations = 0
    last_step = np.zeros(pk)
    for it in range(1, max_iter + 1):
        if pk == 0:
            break
        iterations = it
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            last_step = np.full(pk, np.inf)  # information singular on the way: diverging
            break
        new = beta + step
        ll_new, score_new, info_new, later_new = _cox_eval(new, Xk, st, des, efron=efron)
        halvings = 0
        noise = rtol * max(1.0, abs(ll))
        while ll_new < ll - noise and halvings < 30:
            step /= 2
            new = beta + step
            ll_new, score_new, info_new, later_new = _cox_eval(new, Xk, st, des, efron=efron)
            halvings += 1
        flat = abs(ll_new - ll) <= rtol * max(1.0, abs(ll_new))
        beta, ll, score, info, later = new, ll_new, score_new, info_new, later_new
        last_step = np.abs(step)
        if flat and np.all(last_step <= tol * _naive_se(info)):
            converged = True
            break
    if later is None:  # no Newton step was taken
        ll, score, info, later = _cox_eval(beta, Xk, st, des, efron=efron)
    r = later()  # score residuals at the estimate, from the evaluation that reached it
    inv = _scaled_inverse(info)

    # after fitting: terms that diverge, carry a huge naive variance or did not converge
    kept = np.flatnonzero(keep)
    with np.errstate(invalid="ignore", over="ignore"):
        se_naive = np.sqrt(np.diag(inv))
    not_estimable: dict[str, str] = {}
    for k, j in enumerate(kept):
        std_beta = abs(beta[k]) * sd[j]
        std_se = se_naive[k] * sd[j]
        big_beta = std_beta > COX_MAX_STD_BETA
        big_se = not np.isfinite(std_se) or std_se > COX_MAX_STD_SE
        moving = not (last_step[k] <= tol * se_naive[k])
        if (big_beta or big_se) and _rises_beyond(beta, k, ll, Xk, st, des, efron):
            not_estimable[labels[j]] = DIVERGES.format(beta=beta[k], iterations=iterations)
        elif not np.isfinite(std_se):
            not_estimable[labels[j]] = SINGULAR_AT_ESTIMATE
        elif big_se:
            not_estimable[labels[j]] = HUGE_SE.format(
                se=se_naive[k], std=std_se, bound=COX_MAX_STD_SE
            )
        elif big_beta:
            not_estimable[labels[j]] = HUGE_BETA.format(
                beta=beta[k], std=std_beta, bound=COX_MAX_STD_BETA
            )
        elif moving:
            not_estimable[labels[j]] = TERM_NOT_CONVERGED.format(
                iterations=max_iter, step=last_step[k]
            )
    good = np.array([labels[j] not in not_estimable for j in kept], dtype=bool)
    diverging = any(v.startswith("diverges") for v in not_estimable.values())
    converged = converged and not diverging
    if not good.all() and not np.isfinite(inv[good]).all():
        # a singular direction among the unreported terms: the reported terms' covariance
        # is their own block's inverse (the unreported terms held at their fitted values)
        inv = np.full((pk, pk), np.nan)
        inv[np.ix_(good, good)] = _scaled_inverse(info[np.ix_(good, good)])
    n_groups = n
    cov = inv
    if groups is not None:
        g_codes = _rank_codes(groups)
        n_groups = int(np.max(g_codes)) + 1 if n else 0
        u = np.zeros((n_groups, pk))
        for c in np.flatnonzero(good):
            u[:, c] = np.bincount(g_codes, r[:, c], n_groups)
        ig = inv[np.ix_(good, good)]
        ug = u[:, good]
        cov = np.full((pk, pk), np.nan)
        cov[np.ix_(good, good)] = ig @ (ug.T @ ug) @ ig
    params_full = np.full(p, np.nan)
    params_full[kept[good]] = beta[good]
    cov_full = np.full((p, p), np.nan)
    naive_full = np.full((p, p), np.nan)
    ix = np.ix_(kept[good], kept[good])
    cov_full[ix] = cov[np.ix_(good, good)]
    naive_full[ix] = inv[np.ix_(good, good)]
    dropped = {labels[j]: why for j, why in sorted(dropped_idx.items())}
    if dropped or not_estimable:
        listed = "; ".join(f"{k}: {v}" for k, v in {**dropped, **not_estimable}.items())
        warnings.warn(
            f"Cox model: {len(dropped) + len(not_estimable)} of {p} term(s) have no estimate "
            f"(reported as NaN). {listed}.",
            StatisticalWarning,
            stacklevel=2,
        )
    return CoxFit(
        params=params_full,
        cov=cov_full,
        cov_naive=naive_full,
        loglike=ll,
        loglike_null=ll_null,
        ties=ties,
        iterations=iterations,
        n_obs=n,
        n_events=int(st.sum()),
        n_groups=n_groups,
        converged=converged,
        names=tuple(names),
        dropped=dropped,
        not_estimable=not_estimable,
    )


def _naive_se(info: Array) -> Array:
    """Standard errors from the information (NaN where it cannot be inverted)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.asarray(np.sqrt(np.diag(_scaled_inverse(info))), dtype=np.float64)


def _rises_beyond(
    beta: Array,
    k: int,
    ll: float,
    X: Array,
    status: NDArray[np.bool_],
    des: _CoxDesign,
    efron: bool = False,
) -> bool:
    """Whether the partial likelihood does not fall when term ``k`` moves further out.

    The term is pushed away from 0 by ``max(1, |beta_k|)`` with the others held: at a finite
    maximum the log likelihood falls, on a monotone likelihood it rises or stays flat.
    """
    if not np.isfinite(beta[k]) or beta[k] == 0:
        return False
    pushed = beta.copy()
    pushed[k] += np.sign(beta[k]) * max(1.0, abs(beta[k]))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        ll_pushed = _cox_terms(pushed, X, status, des, efron=efron)[0]
    return bool(ll_pushed > ll - 1e-6)


def _scaled_inverse(info: Array) -> Array:
    """Inverse of the information; on failure, of its correlation form, NaN where singular."""
    pk = info.shape[0]
    if pk == 0:
        return np.zeros((0, 0))
    try:
        return np.asarray(np.linalg.inv(info), dtype=np.float64)
    except np.linalg.LinAlgError:
        pass
    dg = np.diag(info)
    ok = np.isfinite(dg) & (dg > 0)
    out = np.full((pk, pk), np.nan)
    if not ok.any():
        return out
    d = np.sqrt(dg[ok])
    sub = info[np.ix_(ok, ok)] / d[:, None] / d[None, :]
    try:
        inv = np.linalg.inv(sub)
    except np.linalg.LinAlgError:
        return out
    out[np.ix_(ok, ok)] = inv / d[:, None] / d[None, :]
    return out


def _cox_identify(
    X: Array,
    status: NDArray[np.bool_],
    s_codes: NDArray[np.int64],
    des: _CoxDesign,
    labels: tuple[str, ...],
) -> tuple[dict[int, str], Array, tuple[float, Array, Array] | None]:
    r"""Columns of ``X`` the partial likelihood cannot identify, and their within-risk-set SD.

    Returns
    -------
    (dropped, sd, at_zero)
        ``dropped`` maps a column index to its reason; ``sd[j]`` is
        :math:`\sqrt{I_{0,jj}/d}` (NaN for a dropped column); ``at_zero`` is the
        Breslow ``(loglike, score, information)`` at :math:`\beta = 0` of the columns
        kept, in order, or None when there are none (or no events).
    """
    n, p = X.shape
    sd = np.full(p, np.nan)
    if not status.any():
        return {j: NO_EVENTS for j in range(p)}, sd, None
    dropped: dict[int, str] = {}
    n_s = int(np.max(s_codes)) + 1 if n else 0
    # one row of each stratum: a column is constant within every stratum when each row
    # equals its stratum's row (NaN equals nothing, as a minimum and maximum with NaN)
    own = np.unique(s_codes, return_index=True)[1][s_codes] if n_s > 1 else None
    # every column at once, block by block of rows (rows are contiguous)
    lo, hi = np.full(p, np.inf), np.full(p, -np.inf)
    same = np.ones(p, dtype=bool)
    for i in range(0, n, GRAM_ROWS * 16):
        block = X[i : i + GRAM_ROWS * 16]
        lo, hi = np.minimum(lo, block.min(axis=0)), np.maximum(hi, block.max(axis=0))
        if own is not None:
            same &= (block == X[own[i : i + GRAM_ROWS * 16]]).all(axis=0)
    for j in range(p):
        if n and lo[j] == hi[j]:
            dropped[j] = CONSTANT.format(value=float(X[0, j]))
        elif own is not None and same[j]:
            dropped[j] = CONSTANT_IN_STRATA
    cand = [j for j in range(p) if j not in dropped]
    if not cand:
        return dropped, sd, None
    Xc = np.ascontiguousarray(X[:, cand])  # one copy, centred in place
    Xc -= Xc.mean(axis=0)
    ll0, score0, i0, _ = _cox_eval(np.zeros(len(cand)), Xc, status, des)
    # second moment about the mean over the same risk sets: sum_i A_i x_i^2 at beta = 0
    dlam = des.d / des.at_risk_sum(np.ones(n))
    a = des.interval_sum(np.concatenate([[0.0], np.cumsum(dlam)]))
    m2 = np.diag(_weighted_gram(Xc, a)).copy()
    del Xc
    v = np.diag(i0)
    d_events = float(des.d.sum())
    kept: list[int] = []  # positions in cand
    for c, j in enumerate(cand):
        share = v[c] / m2[c] if m2[c] > 0 else 0.0
        if not share >= COX_NO_VARIATION_TOL:
            dropped[j] = NO_VARIATION_AT_RISK.format(share=share, tol=COX_NO_VARIATION_TOL)
            continue
        if kept:
            scale = np.sqrt(v[kept])
            ckk = i0[np.ix_(kept, kept)] / scale[:, None] / scale[None, :]
            ckj = i0[kept, c] / scale / np.sqrt(v[c])
            coef = np.linalg.solve(ckk, ckj)
            resid = 1.0 - float(ckj @ coef)
            if resid < COX_COLLINEAR_TOL:
                big = np.abs(coef) > 1e-6 * max(np.abs(coef).max(), 1.0)
                others = ", ".join(repr(labels[cand[kept[i]]]) for i in np.flatnonzero(big))
                dropped[j] = COLLINEAR.format(others=others, v=max(resid, 0.0),
                                              tol=COX_COLLINEAR_TOL)
                continue
        kept.append(c)
        sd[j] = np.sqrt(v[c] / d_events)
    at_zero = (ll0, score0[kept], i0[np.ix_(kept, kept)]) if kept else None
    return dropped, sd, at_zero


def logrank(
    time: ArrayLike,
    status: ArrayLike,
    group: ArrayLike,
    entry: ArrayLike | None = None,
    strata: ArrayLike | None = None,
) -> tuple[float, int, float]:
    r"""(Stratified) log-rank test of equal hazards across groups, with delayed entry.

    Parameters
    ----------
    time, status, entry
        As for :func:`kaplan_meier`.
    group
        Group labels (two or more groups).
    strata
        Optional stratum labels; observed-minus-expected counts and their
        covariance are summed over strata.

    Returns
    -------
    (chi2, df, p_value) : tuple
        :math:`(O-E)' V^{-1} (O-E)` over the first ``G - 1`` groups, ``G - 1``
        degrees of freedom; NaN statistic and p-value when ``V`` is singular
        (the groups are never at risk together at an event time).

    Notes
    -----
    At each event time with :math:`n_k` at risk (:math:`n_{gk}` in group g) and
    :math:`d_k` events: :math:`E_g = \sum_k d_k n_{gk}/n_k` and
    :math:`V_{gh} = \sum_k d_k \frac{n_k - d_k}{n_k - 1}\frac{n_{gk}}{n_k}
    (\delta_{gh} - \frac{n_{hk}}{n_k})`, over times with :math:`n_k > 1`.
    The test compares hazards (rates among those still at risk), not
    probabilities of the event. Equal to ``statsmodels`` ``survdiff``.
    """
    t, ev, e = _check(time, np.asarray(status).astype(bool), entry)
    st = ev.astype(bool)
    labels, g_codes = _codes(group)
    n_g = len(labels)
    if n_g < 2:
        return np.nan, 0, np.nan
    s_codes = np.zeros(len(t), dtype=np.int64) if strata is None else _codes(strata)[1]
    # per stratum, counts by (rank of the time among the distinct values, group): at risk at
    # an event time u is #{t_i >= u} - #{entry_i >= u} (entry_i < t_i), suffix sums of the
    # counts; no sort of the observations, one hash table for every value
    n = len(t)
    if entry is None:  # every entry at 0, the least value there can be (t >= 0)
        values, rank = _codes(t)
        start = 0 if len(values) and values[0] == 0 else -1  # -1: below every time
        rank = np.concatenate([rank, np.full(n, start, dtype=np.int64)])
    else:
        values, rank = _codes(np.concatenate([t, e]))
    ngk_parts, dgk_parts = [], []
    strata_codes = np.unique(s_codes)
    n_s = int(strata_codes[-1]) + 1 if n else 0
    if n and n_s * len(values) * n_g <= max(4 * n, 1 << 20):
        # every stratum at once: counts by (stratum, value, group), suffix sums per stratum
        shape = (n_s, len(values), n_g)
        key = (s_codes * len(values) + rank[:n]) * n_g + g_codes
        size = n_s * len(values) * n_g
        out_all = np.bincount(key, minlength=size).reshape(shape)
        entered = rank[n:] >= 0  # entries below every time are at risk at every event time
        e_key = (s_codes[entered] * len(values) + rank[n:][entered]) * n_g + g_codes[entered]
        in_all = np.bincount(e_key, minlength=size).reshape(shape)
        ev_all = np.bincount(key[st], minlength=size).reshape(shape)
        risk_all = _suffix_sum(out_all, axis=1) - _suffix_sum(in_all, axis=1)
        has_event = ev_all.sum(axis=2) > 0  # stratum by stratum, times ascending
        ngk_parts.append(risk_all[has_event].astype(float))
        dgk_parts.append(ev_all[has_event].astype(float))
        strata_codes = strata_codes[:0]  # done
    for s_code in strata_codes:
        in_s = slice(None) if len(strata_codes) == 1 else s_codes == s_code
        rt, re_, sts, gs = rank[:n][in_s], rank[n:][in_s], st[in_s], g_codes[in_s]
        if not sts.any():
            continue
        n_vals = len(values)
        if len(strata_codes) > 1:  # the stratum's own values, in order
            present = np.zeros(n_vals, dtype=bool)
            present[rt] = True
            present[re_[re_ >= 0]] = True
            local = np.cumsum(present) - 1
            rt, re_ = local[rt], np.where(re_ >= 0, local[np.maximum(re_, 0)], -1)
            n_vals = int(local[-1]) + 1
        size = n_vals * n_g
        leaving = np.bincount(rt * n_g + gs, minlength=size).reshape(n_vals, n_g)
        entered = re_ >= 0  # entries below every time are at risk at every event time
        entering = np.bincount(re_[entered] * n_g + gs[entered], minlength=size)
        entering = entering.reshape(n_vals, n_g)
        events = np.bincount(rt[sts] * n_g + gs[sts], minlength=size).reshape(n_vals, n_g)
        at_risk = _suffix_sum(leaving) - _suffix_sum(entering)
        is_event = events.sum(axis=1) > 0
        ngk_parts.append(at_risk[is_event].astype(float))
        dgk_parts.append(events[is_event].astype(float))
    if not ngk_parts:
        return np.nan, n_g - 1, np.nan
    ngk = np.concatenate(ngk_parts)
    dgk = np.concatenate(dgk_parts)
    nk = ngk.sum(axis=1)
    d = dgk.sum(axis=1)
    ok = nk > 1
    r = ngk[ok] / nk[ok, None]
    o_e = (dgk[ok] - d[ok, None] * r).sum(axis=0)
    scal = d[ok] * (nk[ok] - d[ok]) / (nk[ok] - 1)
    V = np.einsum("k,kg,gh->gh", scal, r, np.eye(n_g)) - np.einsum("k,kg,kh->gh", scal, r, r)
    o_e, V = o_e[1:], V[1:, 1:]
    df = n_g - 1
    try:
        chi2 = float(o_e @ np.linalg.solve(V, o_e))
    except np.linalg.LinAlgError:
        # no event time with more than one group at risk: the test has no information
        return np.nan, df, np.nan
    return chi2, df, float(chi2_sf(chi2, df))


def _suffix_sum(counts: NDArray[np.int64], axis: int = 0) -> NDArray[np.int64]:
    """Sums from each position to the end along ``axis``: how many are at or after it."""
    flipped = np.flip(counts, axis=axis)
    return np.asarray(np.flip(np.cumsum(flipped, axis=axis), axis=axis), dtype=np.int64)


def _rank_codes(values: ArrayLike) -> NDArray[np.int64]:
    """``np.unique(values, return_inverse=True)[1]``: each value's rank among the distinct ones.

    Integers in a short range (person codes, strata codes) are ranked from a flag per
    possible value instead of a sort; other values go through ``np.unique``.
    """
    a = np.asarray(values)
    if a.dtype.kind in "iu" and len(a):
        lo, hi = int(a.min()), int(a.max())
        if hi - lo <= max(4 * len(a), 1 << 16):
            shifted = a.astype(np.int64) - lo
            rank = np.cumsum(np.bincount(shifted, minlength=hi - lo + 1) > 0) - 1
            return np.asarray(rank[shifted], dtype=np.int64)
    return np.asarray(np.unique(a, return_inverse=True)[1], dtype=np.int64).reshape(-1)


def _codes(values: ArrayLike) -> tuple[np.ndarray, NDArray[np.int64]]:
    """Sorted distinct values and the code of each value (``np.unique``'s, by a hash table)."""
    import pandas as pd

    codes, uniques = pd.factorize(np.asarray(values), sort=True, use_na_sentinel=False)
    return np.asarray(uniques), codes.astype(np.int64)


def concordance(
    time: ArrayLike,
    status: ArrayLike,
    score: ArrayLike,
    entry: ArrayLike | None = None,
    strata: ArrayLike | None = None,
) -> tuple[float, int, int, int]:
    r"""Harrell's concordance of a risk score with survival, with delayed entry and strata.

    Parameters
    ----------
    time, status, entry
        As for :func:`kaplan_meier`.
    score
        Risk score (e.g. the linear predictor of a Cox model): higher means an earlier event.
    strata
        Optional stratum labels: pairs are formed within a stratum only.

    Returns
    -------
    (c, concordant, discordant, tied) : tuple
        ``c = (concordant + tied / 2) / (concordant + discordant + tied)`` (NaN without a
        comparable pair) and the pair counts.

    Notes
    -----
    A pair is comparable when observation ``i`` has an event at :math:`t_i` and ``j`` is at
    risk then and still event-free after it (:math:`e_j < t_i` and :math:`t_j > t_i`, or
    ``j`` censored at :math:`t_i`); pairs of events at the same time are not comparable. It
    is concordant when :math:`\text{score}_i > \text{score}_j`, tied when equal. This is
    R's ``concordance(..., timewt = "n")``, the value ``coxph`` reports (checked against
    stored R references).

    The pair counts are two-dimensional dominance counts (over exit or entry time and score),
    computed by sorting: with :math:`U` distinct scores, :math:`\log_2 U` sorts of ``n``
    integer keys, no loop over observations.

    Examples
    --------
    >>> c, conc, disc, tied = concordance([1, 2, 3], [1, 1, 0], [3.0, 2.0, 1.0])
    >>> float(c), conc, disc, tied
    (1.0, 3, 0, 0)
    """
    t, ev, e = _check(time, np.asarray(status).astype(bool), entry)
    st = ev.astype(bool)
    x = np.asarray(score, dtype=float)
    if x.shape != t.shape:
        raise PathauditError(f"score must have one value per observation; got shape {x.shape}.")
    s_codes = (
        np.zeros(len(t), dtype=np.int64)
        if strata is None
        else np.unique(np.asarray(strata), return_inverse=True)[1].astype(np.int64)
    )
    allt, inv = np.unique(np.concatenate([t, e]), return_inverse=True)
    rt, re = inv[: len(t)].astype(np.int64), inv[len(t) :].astype(np.int64)
    width = 2 * len(allt) + 2
    key_exit = s_codes * width + 2 * rt + (~st).astype(np.int64)  # censored just after events
    key_entry = s_codes * width + 2 * re
    qi = np.flatnonzero(st)
    lo_exit = s_codes[qi] * width + 2 * rt[qi] + 1  # later exits, or censored at t_i
    lo_entry = s_codes[qi] * width + 2 * rt[qi]  # entered at or after t_i: not at risk
    hi = (s_codes[qi] + 1) * width
    uniq = np.unique(x)
    v = np.searchsorted(uniq, x, side="left").astype(np.int64)  # dense rank of each score
    q_less = v[qi]
    q_leq = q_less + 1
    q_all = np.full(len(qi), len(uniq), dtype=np.int64)

    def counts(keys: NDArray[np.int64], lo: NDArray[np.int64]) -> list[NDArray[np.int64]]:
        order = np.argsort(keys, kind="stable")
        ks, vs = keys[order], v[order]
        out = []
        for q in (q_less, q_leq, q_all):
            hi_n = _dominance(vs, np.searchsorted(ks, hi, side="left"), q)
            lo_n = _dominance(vs, np.searchsorted(ks, lo, side="left"), q)
            out.append(hi_n - lo_n)
        return out

    ce = counts(key_exit, lo_exit)
    cn = counts(key_entry, lo_entry)
    less, leq, total = (int((a - b).sum()) for a, b in zip(ce, cn, strict=True))
    conc, tied, disc = less, leq - less, total - leq
    pairs = conc + disc + tied
    c = (conc + tied / 2) / pairs if pairs else np.nan
    return float(c), conc, disc, tied


def _dominance(
    ranks: NDArray[np.int64], length: NDArray[np.int64], below: NDArray[np.int64]
) -> NDArray[np.int64]:
    """``#{j < length_q : ranks_j < below_q}`` per query, by dyadic blocks of the ranks."""
    n = len(ranks)
    idx = np.arange(n, dtype=np.int64)
    out = np.zeros(len(length), dtype=np.int64)
    top = int(below.max()) if len(below) else 0
    b = 0
    while (1 << b) <= top:
        has = ((below >> b) & 1).astype(bool)
        if has.any():
            codes = np.sort((ranks >> b) * (n + 1) + idx)
            k = (below[has] >> b) - 1
            out[has] += np.searchsorted(codes, k * (n + 1) + length[has], side="left")
            out[has] -= np.searchsorted(codes, k * (n + 1), side="left")
        b += 1
    return out
