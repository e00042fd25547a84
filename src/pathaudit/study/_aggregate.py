"""R ``did::aggte``: ATT(g, t) aggregated into one figure and its rows."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pathaudit.checks import check_alpha, check_choice, check_number
from pathaudit.errors import ArgumentError
from pathaudit.study._did import KINDS, AttGt, Kind, did_engine, pointwise_interval, stats


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
    >>> from pathaudit import att_gt
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
    md = did_engine()
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
        lo, hi = pointwise_interval(est, se, alpha)
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
