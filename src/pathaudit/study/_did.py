"""Callaway–Sant'Anna group-time ATTs on any panel (aggregated by :mod:`._aggregate`).

The engine is ``moderndid`` (0.2), a port of R's ``did`` that reproduces ``did::att_gt``,
``did::aggte`` and the Wald pre-test on ``mpdta`` to machine precision for the doubly robust,
outcome-regression and inverse-probability estimators with never- and not-yet-treated
controls (``tests/reference/did``). This module checks the arguments, hands the engine a panel
with fixed column names, routes an unbalanced panel the way R's ``allow_unbalanced_panel``
does, and returns tidy tables.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from scipy import stats
else:  # imported on first use: import pathaudit stays fast
    from pathaudit.stats._lazy import LazyModule

    stats = LazyModule("scipy.stats")

from pathaudit.checks import check_alpha, check_choice, check_number
from pathaudit.errors import ArgumentError
from pathaudit.study._did_checks import clean_panel

ControlGroup = Literal["never", "not_yet"]
EstMethod = Literal["dr", "reg", "ipw"]
Kind = Literal["simple", "group", "dynamic", "calendar"]

CONTROL_GROUPS = {"never": "nevertreated", "not_yet": "notyettreated"}
"""``control_group`` values and the engine's (R's) names for them."""

EST_METHODS = ("dr", "reg", "ipw")
"""Estimators: doubly robust (Sant'Anna–Zhao 2020, improved), outcome regression, IPW."""

KINDS = ("simple", "group", "dynamic", "calendar")
"""Aggregations of :func:`aggregate`, as R ``did::aggte``'s ``type``."""

ATT_COLUMNS = (
    "group",
    "time",
    "event_time",
    "post",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "se_bootstrap",
    "band_lower",
    "band_upper",
)
"""Columns of :attr:`AttGt.table`."""


@dataclass(frozen=True)
class Pretest:
    """Wald test that every pre-treatment ATT(g, t) is zero (R ``did``'s ``W``, ``Wpval``).

    Attributes
    ----------
    statistic
        The Wald statistic (chi-square under the null).
    df
        Its degrees of freedom (the number of pre-treatment ATT(g, t) with a finite SE).
    p_value
        Its p-value (not rounded).
    """

    statistic: float
    df: int
    p_value: float


@dataclass(frozen=True)
class AttGt:
    """Group-time average treatment effects on the treated, ATT(g, t).

    Attributes
    ----------
    table
        One row per (group, time): ``group`` (first treated period), ``time``, ``event_time``
        (time - group), ``post`` (time >= group; the cells of the anticipation window are
        not post), ``estimate``, ``se``
        (analytic, from the influence function), ``ci_lower`` / ``ci_upper`` (pointwise,
        normal), ``se_bootstrap`` and ``band_lower`` / ``band_upper`` (multiplier bootstrap SE
        and simultaneous band over every ATT(g, t); NaN without a bootstrap).
    pretest
        The Wald pre-test of parallel trends (None when there is no pre-treatment cell).
    n_units
        Units in the panel.
    settings
        The arguments the estimate was made with.
    engine
        The engine's own result (its influence functions feed :func:`aggregate`).
    """

    table: pd.DataFrame
    pretest: Pretest | None
    n_units: int
    settings: dict[str, Any] = field(default_factory=dict)
    engine: Any = field(default=None, repr=False)


def did_engine() -> Any:
    """The estimation engine (moderndid), imported on first use."""
    import moderndid

    return moderndid


def pointwise_interval(
    est: np.ndarray, se: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise normal intervals."""
    z = stats.norm.ppf(1 - alpha / 2)
    return est - z * se, est + z * se


def att_gt(
    panel: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    control_group: ControlGroup = "never",
    covariates: Sequence[str] | None = None,
    est_method: EstMethod = "dr",
    weights: str | None = None,
    anticipation: int = 0,
    base_period: Literal["varying", "universal"] = "varying",
    alpha: float = 0.05,
    bootstrap: int = 0,
    bootstrap_weights: Literal["mammen", "rademacher"] = "mammen",
    seed: int = 0,
) -> AttGt:
    """Callaway–Sant'Anna group-time average treatment effects, as R ``did::att_gt``.

    Parameters
    ----------
    panel
        Long panel: one row per unit and period.
    outcome, unit, time, first_treated
        Column names: the outcome, the unit id, the period (whole numbers) and the first
        treated period of the unit (0 for never treated; constant within a unit).
    control_group
        ``"never"``: never-treated units; ``"not_yet"``: units not yet treated at t (and
        never-treated ones).
    covariates
        Time-invariant covariates for conditional parallel trends (their first-period values
        are used, as R does).
    est_method
        ``"dr"`` (doubly robust, Sant'Anna and Zhao 2020), ``"reg"`` (outcome regression) or
        ``"ipw"`` (inverse probability weighting).
    weights
        Column of unit weights (constant within a unit): ATT(g, t) is then the weighted
        average effect, e.g. over person-time.
    anticipation
        Periods before ``first_treated`` in which units may already respond.
    base_period
        ``"varying"`` (pre-treatment cells compare t with t - 1) or ``"universal"``
        (everything against g - 1 - anticipation).
    alpha
        1 - confidence level.
    bootstrap
        Multiplier-bootstrap draws for bootstrap SEs and the simultaneous band (0: none).
    bootstrap_weights
        ``"mammen"`` (the engine's and R's choice) is the only weight the engine offers;
        ``"rademacher"`` is refused with that reason.
    seed
        Seed of the bootstrap.

    Returns
    -------
    AttGt
        ``.table`` with ``group``, ``time``, ``estimate``, ``se``, ``ci_lower``, ``ci_upper``
        (and event time, bootstrap SE and band); ``.pretest`` the Wald pre-test.

    Notes
    -----
    An unbalanced panel (a unit missing in some period) is estimated as R does with
    ``allow_unbalanced_panel=TRUE``: the repeated-cross-section estimators on every observed
    unit-period, with the influence functions summed within unit (so the SE stays clustered
    by unit). Checked against R ``did`` 2.1 on ``mpdta`` for the four scenarios of
    ``tests/reference/did``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> units = np.repeat(np.arange(60), 4)
    >>> t = np.tile([1, 2, 3, 4], 60)
    >>> g = np.where(units < 20, 3, 0)
    >>> y = rng.normal(size=240) + 0.5 * ((g > 0) & (t >= g))
    >>> p = pd.DataFrame({"id": units, "t": t, "g": g, "y": y})
    >>> res = att_gt(p, outcome="y", unit="id", time="t", first_treated="g")
    >>> list(res.table.columns[:4])
    ['group', 'time', 'event_time', 'post']
    """
    alpha = check_alpha(alpha)
    control_group = check_choice(control_group, "control_group", list(CONTROL_GROUPS))
    est_method = check_choice(est_method, "est_method", EST_METHODS)
    base_period = check_choice(base_period, "base_period", ["varying", "universal"])
    anticipation = int(check_number(anticipation, "anticipation", low=0, integer=True))
    bootstrap = int(check_number(bootstrap, "bootstrap", low=0, integer=True))
    bootstrap_weights = check_choice(
        bootstrap_weights, "bootstrap_weights", ["mammen", "rademacher"]
    )
    if bootstrap_weights == "rademacher":
        raise ArgumentError(
            "bootstrap_weights='rademacher' is not available: the engine draws Mammen's "
            "weights, as R did does. Use bootstrap_weights='mammen'."
        )
    covs = list(covariates or [])
    if isinstance(covariates, str):
        covs = [covariates]
    clean = clean_panel(panel, outcome, unit, time, first_treated, covs, weights)
    counts = clean.groupby("id")["t"].size()
    balanced = bool((counts == clean["t"].nunique()).all())
    formula = ("~" + "+".join(f"x{i}" for i in range(len(covs)))) if covs else None
    kw: dict[str, Any] = dict(
        yname="y",
        tname="t",
        idname="id",
        gname="g",
        xformla=formula,
        weightsname="w" if weights else None,
        alp=alpha,
        control_group=CONTROL_GROUPS[control_group],
        est_method=est_method,
        anticipation=anticipation,
        base_period=base_period,
    )
    if not balanced:
        kw.update(panel=False, allow_unbalanced_panel=True)
    md = did_engine()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="panel=False was specified")
        # R did warns the same and returns no pre-test: ``pretest`` is then None
        warnings.filterwarnings("ignore", message="Not returning pre-test Wald statistic")
        warnings.filterwarnings("ignore", message="No pre-treatment periods available")
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        fit = md.att_gt(clean, boot=False, cband=False, **kw)
        boot_fit = (
            md.att_gt(clean, boot=True, cband=True, biters=bootstrap, random_state=seed, **kw)
            if bootstrap
            else None
        )
    if weights and fit.weights_ind is None:
        # moderndid 0.2 drops the unit weights from its result, so its aggregations would
        # weight the groups by unit counts; R did weights them by the unit weights (its
        # ``pg`` is the weighted group share). Put them back, in the engine's unit order.
        # (the engine orders units by first appearance in the panel sorted by period, first
        # treated period with never treated last, and id: on a balanced panel, by first
        # treated period and id)
        units = clean.assign(order=np.where(clean["g"] == 0, np.inf, clean["g"]))
        units = units.sort_values(["t", "order", "id"]).drop_duplicates("id")
        engine_g = np.asarray(fit.G, dtype=float) if fit.G is not None else np.empty(0)
        if not np.array_equal(engine_g, units["order"].to_numpy(dtype=float)):
            raise RuntimeError(
                "the engine's unit order is not the expected one; the weighted aggregation "
                "cannot be formed (please report this with the panel's shape)"
            )
        unit_w = units["w"].to_numpy(dtype=float)
        fit = fit._replace(weights_ind=unit_w)
        if boot_fit is not None:
            boot_fit = boot_fit._replace(weights_ind=unit_w)
    est = np.asarray(fit.att_gt, dtype=float)
    se = np.asarray(fit.se_gt, dtype=float)
    se = np.where(se > 0, se, np.nan)  # the engine reports 0 where a cell has no variance
    lo, hi = pointwise_interval(est, se, alpha)
    groups = np.asarray(fit.groups).astype(np.int64)
    times = np.asarray(fit.times).astype(np.int64)
    if boot_fit is not None:
        se_b = np.asarray(boot_fit.se_gt, dtype=float)
        crit = float(boot_fit.critical_value)
        band_lo, band_hi = est - crit * se_b, est + crit * se_b
    else:
        se_b = band_lo = band_hi = np.full(len(est), np.nan)
    table = pd.DataFrame(
        {
            "group": groups,
            "time": times,
            "event_time": times - groups,
            "post": times >= groups,
            "estimate": est,
            "se": se,
            "ci_lower": lo,
            "ci_upper": hi,
            "se_bootstrap": se_b,
            "band_lower": band_lo,
            "band_upper": band_hi,
        }
    )
    pretest = None
    if fit.wald_stat is not None and np.isfinite(float(fit.wald_stat)):
        df = int(((~table["post"]) & table["se"].notna()).sum())
        w = float(fit.wald_stat)
        pretest = Pretest(w, df, float(stats.chi2.sf(w, df)))
    settings = {
        "control_group": control_group,
        "est_method": est_method,
        "weights": weights,
        "covariates": covs,
        "anticipation": anticipation,
        "base_period": base_period,
        "alpha": alpha,
        "bootstrap": bootstrap,
        "seed": seed,
        "balanced": balanced,
    }
    return AttGt(
        table=table,
        pretest=pretest,
        n_units=int(clean["id"].nunique()),
        settings=settings,
        engine=fit,
    )
