"""Probability of promotion by time in level: Aalen–Johansen, naive Kaplan–Meier, differences.

The probability that a spell ends in promotion within ``t`` years of its start,
with exit, track switch and other level changes as competing events
(Aalen–Johansen), beside the naive Kaplan–Meier that censors leavers and
switchers and so overstates promotion; the median time read off the curve; and
the difference between two groups (IC − M, or a demographic group against a
reference) compared within grade, with a person-clustered variance. Intervals
come from :mod:`pathaudit.stats.intervals`, estimators from :mod:`pathaudit.stats.survival`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pathaudit import stats
from pathaudit.promotion._population import n_people, person_codes
from pathaudit.stats.survival import aalen_johansen, cif_influence, kaplan_meier, risk_set, step_at

HORIZONS: tuple[float, ...] = (1.0, 2.0, 3.0, 5.0)
"""Default horizons (years) for the probability of promotion."""

AJ = "aalen_johansen"
NAIVE_KM = "naive_km"
ESTIMATOR_LABELS: dict[str, str] = {
    AJ: "Aalen–Johansen (exit and switch compete)",
    NAIVE_KM: "naive Kaplan–Meier (leavers censored; biased upward)",
}
"""Display labels of the two estimators of the probability of promotion."""


def _groups(spells: pd.DataFrame, by: Sequence[str], pooled: Sequence[str] = ()) -> list[tuple]:
    """Return (labels, row indices) per group of ``by``, plus groups pooled over ``pooled``."""
    out: list[tuple[dict[str, Any], np.ndarray]] = []
    keys = list(by)
    if not keys:
        return [({}, np.arange(len(spells)))]
    for lab, idx in spells.groupby(keys, sort=True, observed=True).indices.items():
        lab = lab if isinstance(lab, tuple) else (lab,)
        out.append((dict(zip(keys, lab, strict=True)), np.asarray(idx)))
    for col in pooled:
        rest = [c for c in keys if c != col]
        groups = (
            spells.groupby(rest, sort=True, observed=True).indices.items()
            if rest
            else [((), np.arange(len(spells)))]
        )
        for lab, idx in groups:
            lab = lab if isinstance(lab, tuple) else (lab,)
            d = dict(zip(rest, lab, strict=True))
            d[col] = pd.NA
            out.append((d, np.asarray(idx)))
    return out


def _median_from_curve(
    time: np.ndarray, est: np.ndarray, lo: np.ndarray, hi: np.ndarray, level: float = 0.5
) -> tuple[float, float, float]:
    """First time the curve (and its pointwise bounds) reach ``level``; NaN when never."""

    def first(v: np.ndarray) -> float:
        hit = np.flatnonzero(v >= level)
        return float(time[hit[0]]) if len(hit) else np.nan

    return first(est), first(hi), first(lo)


def cumulative_incidence(
    spells: pd.DataFrame,
    by: Sequence[str] = ("track", "grade"),
    horizons: Sequence[float] = HORIZONS,
    alpha: float = 0.05,
    pooled: Sequence[str] = ("grade",),
    curves: bool = True,
    min_at_risk: int = 0,
) -> dict[str, pd.DataFrame]:
    r"""Probability of promotion by time ``t`` (Aalen–Johansen) beside the naive Kaplan–Meier.

    Parameters
    ----------
    spells
        Output of :func:`promotion_spells` (``time``, ``entry``, ``cause``,
        ``employee_id`` and the ``by`` columns).
    by
        Group columns (default track and grade).
    horizons
        Years at which the probability is reported.
    alpha
        1 - confidence level of the pointwise intervals.
    pooled
        Columns of ``by`` over which a pooled group is added as well (its label
        is missing), e.g. each track over all its grades.
    curves
        Whether to build the ``"curves"`` table (the step functions).
    min_at_risk
        The median is sought only where at least this many spells are at risk
        (the part of the curve that is shown; a curve stops where fewer than
        the minimum cell size remain).

    Returns
    -------
    dict of pandas.DataFrame
        ``"probability"``: one row per group, estimator and horizon: the ``by``
        columns, ``estimator`` (``"aalen_johansen"`` or ``"naive_km"``),
        ``horizon`` (years), ``estimate`` (probability of promotion by then),
        ``ci_lower``, ``ci_upper``, ``se``, ``n`` (people), ``spells``,
        ``n_at_risk`` (spells still at risk at the horizon), ``promotions``
        (by the horizon), ``suppressed`` (True where fewer than ``k`` remain at
        risk is decided later, in :func:`time_to_promotion`).
        ``"median"``: per group and estimator, ``estimate`` (years until the
        curve reaches 0.5; NaN = not reached), ``ci_lower``, ``ci_upper``,
        ``reached``, ``n``.
        ``"curves"``: the step functions: the ``by`` columns, ``estimator``,
        ``time``, ``estimate``, ``ci_lower``, ``ci_upper``, ``n_at_risk``,
        ``events``, ``n`` (= ``n_at_risk``, so a curve stops where few remain).

    Notes
    -----
    Aalen–Johansen: :math:`F(t) = \sum_{u_k \le t} S(u_{k-1}) d_{1k}/n_k` where
    :math:`S` is the all-cause Kaplan–Meier survival, :math:`n_k` the spells at
    risk (with delayed entry) and :math:`d_{1k}` the promotions at :math:`u_k`.
    Naive Kaplan–Meier: :math:`1 - \prod_{u_k \le t}(1 - d_{1k}/n_k)`, which
    treats exits and switches as if those people could still be promoted later;
    it overstates the probability of promotion wherever competing events are
    common. Pointwise intervals on the log(-log) scale of the plotted quantity
    (:func:`pathaudit.stats.loglog_ci`) from the delta-method (Aalen–Johansen)
    and Greenwood (Kaplan–Meier) standard errors. Where no promotion has
    happened by ``t`` the estimate is 0 and that interval degenerates to
    [0, 0]; the upper bound is then the exact binomial bound for zero events,
    :math:`1 - (\alpha/2)^{1/n(t)}` with :math:`n(t)` the spells still at risk
    at ``t``. The median is the first time the curve reaches 0.5; its
    interval is where the pointwise bounds reach 0.5 (the curve's upper bound
    gives the lower limit). A median never reached is reported as not
    reached, never extrapolated.
    """
    prob_rows: list[dict[str, Any]] = []
    med_rows: list[dict[str, Any]] = []
    curve_parts: list[pd.DataFrame] = []
    hz = np.asarray(horizons, dtype=float)
    pid = person_codes(spells["employee_id"]) if len(spells) else np.array([], dtype=int)
    t_all = spells["time"].to_numpy(dtype=float)
    e_all = spells["entry"].to_numpy(dtype=float)
    c_all = spells["cause"].to_numpy(dtype=np.int64)
    for labels, idx in _groups(spells, by, [p for p in pooled if p in by]):
        if len(idx) == 0:
            continue
        t, e, c = t_all[idx], e_all[idx], c_all[idx]
        people = n_people(pid, idx)
        aj = aalen_johansen(t, c, e, causes=(1, 2, 3, 4))
        km = kaplan_meier(t, c == 1, e)
        # --- Aalen–Johansen
        f, se, nr = aj.at(hz, cause=1)
        lo, hi = stats.loglog_ci(f, se, alpha)
        n_prom = step_at(aj.time, np.cumsum(aj.events[:, 0]), hz)
        nr_km = risk_set(t, hz, e)  # entry < hz <= time
        # no promotion by t: the log(-log) interval is [0, 0]; use the exact binomial
        # upper bound for zero events among the spells still at risk at t
        zero_up = np.where(nr_km > 0, 1 - (alpha / 2) ** (1 / np.maximum(nr_km, 1)), 1.0)
        hi = np.where(n_prom == 0, zero_up, hi)
        # --- naive KM (probability = 1 - S)
        s, sse = km.at(hz)
        slo, shi = stats.loglog_ci(s, sse, alpha)
        slo = np.where(n_prom == 0, 1 - zero_up, slo)
        for i, h in enumerate(hz):
            base = {**labels, "horizon": h, "n": people, "spells": len(idx)}
            prob_rows.append(
                {
                    **base,
                    "estimator": AJ,
                    "estimate": f[i],
                    "ci_lower": lo[i],
                    "ci_upper": hi[i],
                    "se": se[i],
                    "n_at_risk": int(nr_km[i]),
                    "promotions": int(n_prom[i]),
                }
            )
            prob_rows.append(
                {
                    **base,
                    "estimator": NAIVE_KM,
                    "estimate": 1 - s[i],
                    "ci_lower": 1 - shi[i],
                    "ci_upper": 1 - slo[i],
                    "se": sse[i],
                    "n_at_risk": int(nr_km[i]),
                    "promotions": int(n_prom[i]),
                }
            )
        # --- curves
        f_all = aj.cif[:, 0]
        flo, fhi = stats.loglog_ci(f_all, aj.se[:, 0], alpha)
        klo, khi = stats.loglog_ci(km.surv, km.se, alpha)
        if curves:
            curve_parts.append(
                _curve_frame(labels, AJ, aj.time, f_all, flo, fhi, aj.n_risk, aj.events[:, 0])
            )
            curve_parts.append(
                _curve_frame(
                    labels, NAIVE_KM, km.time, 1 - km.surv, 1 - khi, 1 - klo, km.n_risk, km.events
                )
            )
        # --- medians, on the part of the curve that is shown
        for est_name, tt, est, elo, ehi, nrk in (
            (AJ, aj.time, f_all, flo, fhi, aj.n_risk),
            (NAIVE_KM, km.time, 1 - km.surv, 1 - khi, 1 - klo, km.n_risk),
        ):
            shown = nrk >= min_at_risk
            m, mlo, mhi = _median_from_curve(tt[shown], est[shown], elo[shown], ehi[shown])
            med_rows.append(
                {
                    **labels,
                    "estimator": est_name,
                    "estimate": m,
                    "ci_lower": mlo,
                    "ci_upper": mhi,
                    "reached": bool(np.isfinite(m)),
                    "n": people,
                    "spells": len(idx),
                }
            )
    cols = list(by)
    prob = pd.DataFrame(prob_rows)
    med = pd.DataFrame(med_rows)
    curve_table = pd.concat(curve_parts, ignore_index=True) if curve_parts else pd.DataFrame()
    if "grade" in cols:
        for frame in (prob, med, curve_table):
            if "grade" in frame:
                frame["grade"] = pd.array(frame["grade"], dtype="Int64")
    if len(prob):
        prob = prob.sort_values(cols + ["estimator", "horizon"], na_position="last", kind="stable")
        med = med.sort_values(cols + ["estimator"], na_position="last", kind="stable")
    return {
        "probability": prob.reset_index(drop=True),
        "median": med.reset_index(drop=True),
        "curves": curve_table,
    }


def _curve_frame(
    labels: dict[str, Any],
    estimator: str,
    time: np.ndarray,
    est: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    n_risk: np.ndarray,
    events: np.ndarray,
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "estimator": estimator,
            "time": np.concatenate([[0.0], time]),
            "estimate": np.concatenate([[0.0], est]),
            "ci_lower": np.concatenate([[0.0], lo]),
            "ci_upper": np.concatenate([[0.0], hi]),
            "n_at_risk": np.concatenate([[n_risk[0] if len(n_risk) else 0], n_risk]).astype(float),
            "events": np.concatenate([[0.0], events]).astype(float),
        }
    )
    for k, v in reversed(list(labels.items())):
        frame.insert(0, k, v)
    frame["n"] = frame["n_at_risk"]
    return frame


def _cif_and_influence(
    t: np.ndarray, c: np.ndarray, e: np.ndarray, at: float
) -> tuple[float, np.ndarray]:
    """Aalen–Johansen probability of promotion by ``at`` and each spell's influence value."""
    fit = aalen_johansen(t, c, e, causes=(1, 2, 3, 4))
    f, _, _ = fit.at(np.array([at]), cause=1)
    phi = cif_influence(t, c, at, cause=1, entry=e, fit=fit)
    return float(f[0]), phi


def cif_difference(
    spells: pd.DataFrame,
    group: str = "track",
    levels: tuple[str, str] = ("IC", "M"),
    at: float = 3.0,
    standardise_by: str | None = "grade",
    alpha: float = 0.05,
) -> dict[str, Any]:
    r"""Difference in the probability of promotion by ``at`` years between two groups.

    Parameters
    ----------
    spells
        Output of :func:`promotion_spells`.
    group
        Column holding the compared groups (``"track"``, or e.g. ``"gender"``).
    levels
        ``(a, b)``: the difference is ``F_a(at) - F_b(at)``.
    at
        Horizon in years.
    standardise_by
        Column within which the groups are compared (default ``"grade"``):
        the difference is computed within each value where both groups have
        spells and averaged with weights equal to that value's share of the
        compared spells (direct standardisation to the pooled mix). ``None``
        compares the pooled curves.
    alpha
        1 - confidence level.

    Returns
    -------
    dict
        ``estimate``, ``se``, ``ci_lower``, ``ci_upper``, ``p_value``, ``mde``
        (minimum detectable difference at 80% power), ``estimate_a``,
        ``estimate_b`` (standardised probabilities), ``n_a``, ``n_b`` (people),
        ``n`` (people in either), and ``by_stratum`` (a frame per stratum:
        value, ``weight``, ``estimate_a``, ``estimate_b``, ``difference``,
        ``se``, ``ci_lower``, ``ci_upper``, ``n_a``, ``n_b``).

    Notes
    -----
    With strata :math:`g` and weights :math:`w_g`,
    :math:`D = \sum_g w_g [F_{a,g}(t) - F_{b,g}(t)]`. Its variance is
    :math:`\sum_p (\sum_{i \in p} \psi_i)^2`, the sum over people :math:`p` of
    their spells' influence values
    :math:`\psi_i = w_g \phi_i^{(a,g)}` or :math:`-w_g \phi_i^{(b,g)}`
    (:func:`pathaudit.stats.survival.cif_influence`), so a person with spells in both
    groups or in several strata is counted as one cluster; the weights are
    treated as fixed. Wald interval on the difference scale.
    """
    a, b = levels
    sp = spells.loc[spells[group].astype("str").isin([a, b])]
    pid = person_codes(sp["employee_id"])
    gcol = sp[group].astype("str").to_numpy()
    t = sp["time"].to_numpy(dtype=float)
    e = sp["entry"].to_numpy(dtype=float)
    c = sp["cause"].to_numpy(dtype=np.int64)
    if standardise_by is None:
        strata = np.zeros(len(sp), dtype=np.int64)
        slabels: np.ndarray = np.array([pd.NA], dtype=object)
    else:
        strata, slabels = pd.factorize(sp[standardise_by], sort=True)
    psi = np.zeros(len(sp))
    rows = []
    usable = []
    for s in range(len(slabels)):
        ia = np.flatnonzero((strata == s) & (gcol == a))
        ib = np.flatnonzero((strata == s) & (gcol == b))
        if len(ia) == 0 or len(ib) == 0:
            continue
        usable.append((s, ia, ib))
    total = sum(len(ia) + len(ib) for _, ia, ib in usable)
    fa_std = fb_std = 0.0
    for s, ia, ib in usable:
        w = (len(ia) + len(ib)) / total
        fa, phia = _cif_and_influence(t[ia], c[ia], e[ia], at)
        fb, phib = _cif_and_influence(t[ib], c[ib], e[ib], at)
        psi[ia] += w * phia
        psi[ib] -= w * phib
        fa_std += w * fa
        fb_std += w * fb
        # per-stratum difference with its own clustered variance
        loc = np.zeros(len(sp))
        loc[ia] = phia
        loc[ib] = -phib
        se_s = float(np.sqrt((np.bincount(pid, loc) ** 2).sum()))
        lo_s, hi_s, _ = stats.wald(fa - fb, se_s, alpha=alpha)
        rows.append(
            {
                "stratum": slabels[s],
                "weight": w,
                "estimate_a": fa,
                "estimate_b": fb,
                "difference": fa - fb,
                "se": se_s,
                "ci_lower": float(lo_s),
                "ci_upper": float(hi_s),
                "n_a": n_people(pid, ia),
                "n_b": n_people(pid, ib),
            }
        )
    if not usable:
        est = se = np.nan
    else:
        est = fa_std - fb_std
        se = float(np.sqrt((np.bincount(pid, psi) ** 2).sum()))
    lo, hi, p = stats.wald(est, se, alpha=alpha)
    used: np.ndarray | list[int] = (
        np.concatenate([np.concatenate([ia, ib]) for _, ia, ib in usable]) if usable else []
    )
    return {
        "estimate": est,
        "se": se,
        "ci_lower": float(lo),
        "ci_upper": float(hi),
        "p_value": float(p),
        "mde": float(stats.mde_normal(se, alpha)),
        "estimate_a": fa_std if usable else np.nan,
        "estimate_b": fb_std if usable else np.nan,
        "n_a": n_people(pid, gcol == a),
        "n_b": n_people(pid, gcol == b),
        "n": n_people(pid, np.asarray(used, dtype=int)) if usable else 0,
        "by_stratum": pd.DataFrame(rows),
    }
