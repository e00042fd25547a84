"""What it would cost to close the adjusted track gap in base pay.

Two plans, each with headcount and total annual cost:

``min_cost``
    The cheapest set of raises (to the disadvantaged track only, nobody above
    their predicted pay) after which the re-estimated adjusted gap is exactly zero.
``to_predicted``
    Everyone on the disadvantaged track paid below their predicted pay (what the
    model predicts for them on the other track, back-transformed with Duan's
    smearing factor) is raised to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pathaudit.stats.regression import Fit, _inv


@dataclass(frozen=True)
class RemediationPlans:
    """Raises (in pay units, per person) for the two plans and their summary table.

    Attributes
    ----------
    table
        One row per plan: ``plan``, ``track_raised``, ``n`` (people raised),
        ``total_cost``, ``cost_share`` (of the raised track's base payroll),
        ``mean_raise_pct`` (among those raised), ``gap_before``, ``gap_after``
        (adjusted gap re-estimated after the raises), ``caps_binding``.
    raise_min_cost, raise_to_predicted
        Per-person raises aligned with the model rows (0 for people not raised).
    predicted
        Smeared predicted pay on the advantaged track, per person.
    """

    table: pd.DataFrame
    raise_min_cost: np.ndarray
    raise_to_predicted: np.ndarray
    predicted: np.ndarray


def _solve_min_cost(
    pay: np.ndarray, w: np.ndarray, cap: np.ndarray, target: float
) -> tuple[np.ndarray, bool]:
    """Minimise sum(pay (e^d - 1)) s.t. sum(w d) = target, 0 <= d <= cap (w > 0 rows only).

    KKT: ``d_i = clip(log(lambda w_i / pay_i), 0, cap_i)``; ``log lambda`` by bisection on
    the monotone constraint. Returns the log-raises and whether the caps had to be lifted.
    """
    d = np.zeros_like(pay)
    use = w > 0
    if target <= 0 or not use.any():
        return d, False
    lp, lw, c = np.log(pay[use]), np.log(w[use]), cap[use]
    ww = w[use]
    lifted = float(ww @ c) < target
    if lifted:
        c = np.full_like(c, np.inf)

    def reach(loglam: float) -> float:
        return float(ww @ np.clip(loglam + lw - lp, 0.0, c))

    lo = float(np.min(lp - lw))
    hi = lo + 1.0
    while reach(hi) < target:
        hi = lo + 2 * (hi - lo)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if reach(mid) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-13:
            break
    sol = np.clip(hi + lw - lp, 0.0, c)
    # remove the bisection residual exactly on the uncapped, raised rows
    free = (sol > 0) & (sol < c)
    short = target - float(ww @ sol)
    if free.any() and ww[free].sum() > 0:
        sol[free] += short / float(ww[free].sum())
    d[use] = sol
    return d, lifted


def remediation_plans(fit: Fit, pay: np.ndarray, is_ic: np.ndarray) -> RemediationPlans:
    r"""Cost of closing the adjusted gap of a log-pay model with an ``is_ic`` column.

    Parameters
    ----------
    fit
        OLS fit of log FTE base pay with one ``is_ic`` column.
    pay
        FTE base pay of the same rows (reporting currency).
    is_ic
        Boolean track indicator of the same rows.

    Returns
    -------
    RemediationPlans

    Notes
    -----
    OLS is linear in the outcome, so raising log pay by :math:`\delta` changes the
    track coefficient by :math:`c'\delta` with :math:`c = X(X'X)^{-1}e_{ic}`. With
    :math:`b` the coefficient, the disadvantaged track D is IC when :math:`b<0`
    (else M) and :math:`w_i = -\mathrm{sign}(b)\,c_i`. Predicted pay on the
    advantaged track: :math:`\hat P_i = \exp(\hat y_i + b\,(1[\text{adv}=IC] -
    ic_i))\,\bar S`, with Duan's smearing factor :math:`\bar S = \overline{\exp(e)}`.

    * ``to_predicted``: :math:`\delta_i = \max(0, \log\hat P_i - \log p_i)` for i in D.
    * ``min_cost``: minimise :math:`\sum_{i\in D} p_i(e^{\delta_i}-1)` subject to
      :math:`\sum w_i\delta_i = |b|` and :math:`0\le\delta_i\le\max(0,\log\hat P_i-
      \log p_i)`; the solution raises people to a common level of
      :math:`p_i e^{\delta_i}/w_i` (cheapest closure first). If raising all of D to
      predicted pay cannot close the gap, the cap is lifted (``caps_binding``).

    After either plan the gap re-estimated on the new pay is :math:`b + c'\delta`
    (``gap_after``); ``min_cost`` makes it exactly zero.
    """
    X = fit.design.X
    j = fit.design.index("is_ic")
    b = float(fit.coef[j])
    xtx_inv = _inv(X.T @ X)
    c = X @ xtx_inv[:, j]
    ic = np.asarray(is_ic, dtype=bool)
    adv_is_ic = b > 0
    in_d = ~ic if adv_is_ic else ic
    smear = float(np.mean(np.exp(fit.resid)))
    log_pred = fit.fitted + b * ((1.0 if adv_is_ic else 0.0) - ic.astype(float))
    predicted = np.exp(log_pred) * smear
    cap = np.where(in_d, np.maximum(0.0, np.log(predicted) - np.log(pay)), 0.0)
    w = np.where(in_d, -np.sign(b) * c, 0.0)

    d_pred = cap
    d_min, lifted = _solve_min_cost(pay, w, cap, abs(b))
    rows = []
    payroll = float(pay[in_d].sum())
    for plan, d in (("min_cost", d_min), ("to_predicted", d_pred)):
        raise_amt = pay * np.expm1(d)
        raised = raise_amt > 0
        rows.append(
            {
                "plan": plan,
                "track_raised": "M" if adv_is_ic else "IC",
                "n": int(raised.sum()),
                "total_cost": float(raise_amt.sum()),
                "cost_share": float(raise_amt.sum() / payroll) if payroll > 0 else np.nan,
                "mean_raise_pct": float(np.mean(np.expm1(d[raised]))) if raised.any() else 0.0,
                "gap_before": float(np.expm1(b)),
                "gap_after": float(np.expm1(b + c @ d)),
                "caps_binding": bool(lifted) if plan == "min_cost" else False,
            }
        )
    return RemediationPlans(
        table=pd.DataFrame(rows),
        raise_min_cost=pay * np.expm1(d_min),
        raise_to_predicted=pay * np.expm1(d_pred),
        predicted=predicted,
    )
