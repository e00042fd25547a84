"""Callaway–Sant'Anna group-time ATTs on any panel, and their aggregations.

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

from pathaudit.checks import check_alpha, check_choice, check_columns, check_number
from pathaudit.errors import ArgumentError

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


@dataclass(frozen=True)
class Aggregate:
    """An aggregation of ATT(g, t) (R ``did::aggte``).

    Attributes
    ----------
    kind
        ``simple``, ``group``, ``dynamic`` or ``calendar``.
    table
        One row per group / event time / period (empty for ``simple``): ``kind``, ``value``
        (the group, event time or period), ``estimate``, ``se``, ``ci_lower``, ``ci_upper``
        (pointwise), ``band_lower`` / ``band_upper`` (uniform over the rows, multiplier
        bootstrap; NaN without one).
    overall
        ``{"estimate", "se", "ci_lower", "ci_upper"}``: the overall figure (for ``dynamic``,
        the average over event times >= 0; for ``group`` and ``calendar``, the average of the
        rows).
    influence
        The overall figure's influence function, one value per unit.
    influence_rows
        The rows' influence functions, ``(units, rows)``: their covariance is
        ``influence_rows.T @ influence_rows / units**2``.
    """

    kind: str
    table: pd.DataFrame
    overall: dict[str, float]
    influence: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    influence_rows: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))


def _engine() -> Any:
    import moderndid

    return moderndid


def _clean_panel(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    covariates: Sequence[str],
    weights: str | None,
) -> pd.DataFrame:
    """The panel with fixed column names, checked: numbers, one row per unit and time."""
    if not isinstance(panel, pd.DataFrame):
        raise ArgumentError(f"panel must be a pandas DataFrame; got {type(panel).__name__}.")
    needed = [outcome, unit, time, first_treated, *covariates, *([weights] if weights else [])]
    check_columns(needed, "the panel columns", panel.columns, where="panel")
    out = pd.DataFrame(
        {
            "y": panel[outcome],
            "id": panel[unit],
            "t": panel[time],
            "g": panel[first_treated],
        }
    )
    for i, c in enumerate(covariates):
        out[f"x{i}"] = panel[c]
    if weights:
        out["w"] = panel[weights]
    for col, name in [
        ("y", outcome),
        ("t", time),
        ("g", first_treated),
        *[(f"x{i}", c) for i, c in enumerate(covariates)],
        *([("w", weights)] if weights else []),
    ]:
        values = pd.to_numeric(out[col], errors="coerce")
        bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            rows = list(out.index[bad][:5])
            raise ArgumentError(
                f"panel column {name!r} must hold finite numbers; {int(bad.sum())} rows do not "
                f"(rows {rows}). Drop or fill them before estimating."
            )
        out[col] = values.astype(float)
    for col, name in [("t", time), ("g", first_treated)]:
        if (out[col] != np.round(out[col])).any():
            raise ArgumentError(
                f"panel column {name!r} must hold whole periods (e.g. 2004 or a quarter "
                "number); found fractions. Number the periods 1, 2, 3, ..."
            )
        out[col] = out[col].astype(np.int64)
    if weights and (out["w"] <= 0).any():
        raise ArgumentError(f"weights column {weights!r} must be positive; found values <= 0.")
    dup = out.duplicated(["id", "t"])
    if dup.any():
        first = out.loc[dup].iloc[0]
        raise ArgumentError(
            f"panel must have one row per {unit} and {time}; {int(dup.sum())} duplicates "
            f"(first: {unit}={first['id']!r}, {time}={first['t']}). Aggregate them first."
        )
    g_per_unit = out.groupby("id")["g"].nunique()
    if (g_per_unit > 1).any():
        raise ArgumentError(
            f"{first_treated!r} must be constant within a unit; it varies for "
            f"{list(g_per_unit.index[g_per_unit > 1][:5])}."
        )
    if weights:
        w_per_unit = out.groupby("id")["w"].nunique()
        if (w_per_unit > 1).any():
            raise ArgumentError(
                f"weights column {weights!r} must be constant within a unit (one weight per "
                f"unit, as the estimator requires); it varies for "
                f"{list(w_per_unit.index[w_per_unit > 1][:5])}."
            )
    if not (out["g"] == 0).any() and not (out["g"] > out["t"].max()).any():
        pass  # not-yet-treated controls may still exist; the engine checks per cell
    # the engine wants numeric unit ids
    out["id"] = pd.factorize(out["id"], sort=True)[0].astype(np.int64) + 1
    return out.reset_index(drop=True)


def _pointwise(est: np.ndarray, se: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
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
    clean = _clean_panel(panel, outcome, unit, time, first_treated, covs, weights)
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
    md = _engine()
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
    lo, hi = _pointwise(est, se, alpha)
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


def aggregate(
    att: AttGt,
    kind: Kind = "simple",
    *,
    alpha: float | None = None,
    bootstrap: int | None = None,
    seed: int | None = None,
    min_e: float = -np.inf,
    max_e: float = np.inf,
) -> Aggregate:
    """Aggregate ATT(g, t) into one figure and its rows, as R ``did::aggte``.

    Parameters
    ----------
    att
        The result of :func:`att_gt`.
    kind
        ``"simple"`` (every post-treatment ATT(g, t), weighted by group size), ``"group"``
        (per cohort, then averaged over cohorts), ``"dynamic"`` (per event time; the
        overall averages event times >= 0) or ``"calendar"`` (per period, then averaged).
    alpha
        1 - confidence level (default: that of ``att``).
    bootstrap
        Multiplier-bootstrap draws for the uniform band over the rows (default: those of
        ``att``; 0: none).
    seed
        Seed of the bootstrap (default: that of ``att``).
    min_e, max_e
        Event times kept by the ``dynamic`` aggregation.

    Returns
    -------
    Aggregate
        ``.table`` (one row per group / event time / period) and ``.overall``
        (``estimate``, ``se``, ``ci_lower``, ``ci_upper``). The SEs include the
        estimation of the group weights.

    Examples
    --------
    Sixty units over four periods, a third adopting in period 3 with an effect of 0.5:

    >>> import numpy as np, pandas as pd
    >>> p = pd.DataFrame({"id": np.repeat(np.arange(60), 4), "t": np.tile([1, 2, 3, 4], 60)})
    >>> p["g"] = np.where(p["id"] < 20, 3, 0)
    >>> effect = 0.5 * ((p["g"] > 0) & (p["t"] >= p["g"]))
    >>> p["y"] = np.random.default_rng(1).normal(size=240) + effect
    >>> fit = att_gt(p, outcome="y", unit="id", time="t", first_treated="g")
    >>> sorted(aggregate(fit, "dynamic").overall)
    ['ci_lower', 'ci_upper', 'estimate', 'se']
    """
    if not isinstance(att, AttGt):
        raise ArgumentError(
            f"aggregate takes the result of att_gt; got {type(att).__name__}. "
            "Run res = pathaudit.att_gt(panel, ...) first."
        )
    kind = check_choice(kind, "kind", KINDS)
    alpha = att.settings["alpha"] if alpha is None else check_alpha(alpha)
    boot = (
        att.settings["bootstrap"]
        if bootstrap is None
        else int(check_number(bootstrap, "bootstrap", low=0, integer=True))
    )
    seed = att.settings["seed"] if seed is None else int(seed)
    md = _engine()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        a = md.aggte(
            att.engine, type=kind, boot=False, cband=False, alp=alpha, min_e=min_e, max_e=max_e
        )
        b = (
            md.aggte(
                att.engine,
                type=kind,
                boot=True,
                cband=True,
                biters=boot,
                random_state=seed,
                alp=alpha,
                min_e=min_e,
                max_e=max_e,
            )
            if boot and kind != "simple"
            else None
        )
    z = stats.norm.ppf(1 - alpha / 2)
    o_est, o_se = float(a.overall_att), float(a.overall_se)
    overall = {
        "estimate": o_est,
        "se": o_se,
        "ci_lower": o_est - z * o_se,
        "ci_upper": o_est + z * o_se,
    }
    if kind == "simple":
        table = pd.DataFrame(
            columns=[
                "kind",
                "value",
                "estimate",
                "se",
                "ci_lower",
                "ci_upper",
                "band_lower",
                "band_upper",
            ]
        )
    else:
        est = np.asarray(a.att_by_event, dtype=float)
        se = np.asarray(a.se_by_event, dtype=float)
        lo, hi = _pointwise(est, se, alpha)
        if b is not None:
            crit = np.asarray(b.critical_values, dtype=float)
            se_b = np.asarray(b.se_by_event, dtype=float)
            band_lo, band_hi = est - crit * se_b, est + crit * se_b
        else:
            band_lo = band_hi = np.full(len(est), np.nan)
        table = pd.DataFrame(
            {
                "kind": kind,
                "value": np.asarray(a.event_times).astype(np.int64),
                "estimate": est,
                "se": se,
                "ci_lower": lo,
                "ci_upper": hi,
                "band_lower": band_lo,
                "band_upper": band_hi,
            }
        )
    infl = a.influence_func_overall if a.influence_func_overall is not None else (a.influence_func)
    rows_if = (
        np.asarray(a.influence_func, dtype=float)
        if kind != "simple" and a.influence_func is not None
        else np.empty(0)
    )
    return Aggregate(
        kind=kind,
        table=table,
        overall=overall,
        influence=np.asarray(infl, dtype=float).ravel(),
        influence_rows=rows_if,
    )
