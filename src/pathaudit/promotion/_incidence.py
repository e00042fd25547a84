"""Probability of promotion by time in level: Aalen–Johansen, naive Kaplan–Meier, differences.

The probability that a spell ends in promotion within ``t`` years of its start,
with exit, track switch and other level changes as competing events
(Aalen–Johansen), beside the naive Kaplan–Meier that censors leavers and
switchers and so overstates promotion; the median time read off the curve; and
the difference between two groups (IC − M, or a demographic group against a
reference) compared within grade, with intervals that stay valid where an arm has no
promotion (Wilson limits per arm combined by MOVER). Intervals
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
) -> tuple[float, np.ndarray, int, int]:
    """Aalen–Johansen probability of promotion by ``at``, with what its interval needs.

    Returns the estimate, each spell's influence value, the promotions by ``at`` and
    the spells still at risk at ``at``.
    """
    fit = aalen_johansen(t, c, e, causes=(1, 2, 3, 4))
    f, _, _ = fit.at(np.array([at]), cause=1)
    phi = cif_influence(t, c, at, cause=1, entry=e, fit=fit)
    promotions = int(((c == 1) & (t <= at)).sum())
    at_risk = int(risk_set(t, np.array([at]), e)[0])
    return float(f[0]), phi, promotions, at_risk


def _arm_limits(
    f: float, phi: np.ndarray, pid: np.ndarray, at_risk: int, alpha: float
) -> tuple[float, float, float]:
    """One arm's standard error (clustered by person) and Wilson limits.

    The limits rest on the effective sample size; with no promotion (SE 0) it is the
    spells still at risk at the horizon (at least 1).
    """
    se = float(np.sqrt((np.bincount(pid, phi) ** 2).sum()))
    lo, hi, _ = stats.wilson_ci_effective(f, se, max(at_risk, 1), alpha)
    return se, float(lo), float(hi)


def _weighted_sum(
    w: np.ndarray, est: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[float, float, float]:
    """``sum(w * est)`` with its MOVER limits (weights >= 0, independent terms).

    Adding a term is subtracting its negation, so the limits are folded in with
    :func:`pathaudit.stats.mover_difference`:
    ``L = S - sqrt(sum w^2 (est - lo)^2)``, ``U = S + sqrt(sum w^2 (hi - est)^2)``.
    """
    s, s_lo, s_hi = 0.0, 0.0, 0.0
    for wi, p, lo_i, hi_i in zip(w, est, lo, hi, strict=True):
        d, dl, du = stats.mover_difference(s, s_lo, s_hi, -wi * p, -wi * hi_i, -wi * lo_i)
        s, s_lo, s_hi = float(d), float(dl), float(du)
    return s, s_lo, s_hi


def _mover_p(d: float, lo: float, hi: float, alpha: float) -> tuple[float, float]:
    """Standard error implied by a MOVER interval on the side of zero, and its p-value.

    ``se = (d - lo) / z`` where ``d > 0`` (else ``(hi - d) / z``), so that ``p < alpha``
    exactly when the interval excludes 0.
    """
    z = float(stats.norm_ppf(1 - alpha / 2))
    half = (d - lo) if d > 0 else (hi - d)
    if not np.isfinite(half):
        return np.nan, np.nan
    if half <= 0:
        return 0.0, (1.0 if d == 0 else 0.0)
    se = half / z
    _, _, p = stats.wald(d, se, alpha=alpha)
    return se, float(p)


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
        ``estimate``, ``ci_lower``, ``ci_upper``, ``se`` (implied by the
        interval on the side of zero), ``p_value``, ``mde`` (minimum detectable
        difference at 80% power), ``se_clustered`` (the person-clustered
        influence-function SE, 0 where no arm has a promotion), ``estimate_a``,
        ``estimate_b`` (standardised probabilities) with their limits
        ``ci_lower_a``, ``ci_upper_a``, ``ci_lower_b``, ``ci_upper_b``, ``n_a``,
        ``n_b`` (people), ``n`` (people in either), and ``by_stratum`` (a frame
        per stratum: value, ``weight``, ``estimate_a``, ``estimate_b``,
        ``difference``, ``se``, ``ci_lower``, ``ci_upper``, ``p_value``,
        ``n_a``, ``n_b``, ``promotions_a``, ``promotions_b`` (by ``at``),
        ``at_risk_a``, ``at_risk_b`` (spells still at risk at ``at``)).

    Notes
    -----
    Each arm of each stratum :math:`g` has its Aalen–Johansen estimate
    :math:`F_{a,g}(t)` and a person-clustered standard error from its spells'
    influence values (:func:`pathaudit.stats.survival.cif_influence`). An arm
    with no promotion by :math:`t` has :math:`F = 0` and influence 0, so a Wald
    interval would ignore its uncertainty entirely. Each arm therefore gets
    Wilson limits on its effective sample size :math:`F(1-F)/\mathrm{se}^2`
    (:func:`pathaudit.stats.wilson_ci_effective`), which for an arm with no
    promotion is the number of spells still at risk at :math:`t` (at least
    1): the upper limit is then :math:`z^2/(n + z^2)`, not 0. The difference
    :math:`F_{a,g} - F_{b,g}` takes its interval from the two arms' limits by
    MOVER (Newcombe 1998; Zou and Donner 2008;
    :func:`pathaudit.stats.mover_difference`).

    The standardised difference is :math:`D = \sum_g w_g [F_{a,g} - F_{b,g}]`
    with :math:`w_g` the stratum's share of the compared spells (fixed). Each
    standardised arm :math:`F_a = \sum_g w_g F_{a,g}` takes MOVER limits
    :math:`F_a \mp \sqrt{\sum_g w_g^2 (F_{a,g} - \ell_{a,g})^2}` (upper:
    :math:`u_{a,g}`), so an arm with no promotion in one grade keeps that
    grade's floor, and :math:`D` the MOVER interval of the two standardised
    arms. MOVER treats the terms as independent: spells of one person in two
    grades or both tracks are correlated, but on the simulated organisations
    the person-clustered SE of a per-grade difference is within 1% of the SE
    that treats its arms as independent (mean ratio 0.997). The p-value is
    the Wald p-value of the SE implied by the interval on the side of zero,
    so that it lies below ``alpha`` exactly when the interval excludes 0.
    """
    a, b = levels
    # the columns read here only: no copy of the others
    cols = list(dict.fromkeys(
        [group, "employee_id", "time", "entry", "cause"]
        + ([standardise_by] if standardise_by is not None else [])
    ))
    sp = spells.loc[spells[group].astype("str").isin([a, b]), cols]
    pid = person_codes(sp["employee_id"])
    # which arm each spell is in, compared as text once (not per stratum)
    text = sp[group].astype("str")
    in_a = (text == a).to_numpy(dtype=bool, na_value=False)
    in_b = (text == b).to_numpy(dtype=bool, na_value=False)
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
        ia = np.flatnonzero((strata == s) & in_a)
        ib = np.flatnonzero((strata == s) & in_b)
        if len(ia) == 0 or len(ib) == 0:
            continue
        usable.append((s, ia, ib))
    total = sum(len(ia) + len(ib) for _, ia, ib in usable)
    arms: dict[str, list[list[float]]] = {"a": [], "b": []}  # per stratum: w, f, lo, hi
    for s, ia, ib in usable:
        w = (len(ia) + len(ib)) / total
        fa, phia, pa, ra = _cif_and_influence(t[ia], c[ia], e[ia], at)
        fb, phib, pb, rb = _cif_and_influence(t[ib], c[ib], e[ib], at)
        psi[ia] += w * phia
        psi[ib] -= w * phib
        _, la, ua = _arm_limits(fa, phia, pid[ia], ra, alpha)
        _, lb, ub = _arm_limits(fb, phib, pid[ib], rb, alpha)
        arms["a"].append([w, fa, la, ua])
        arms["b"].append([w, fb, lb, ub])
        d_s, lo_s, hi_s = stats.mover_difference(fa, la, ua, fb, lb, ub)
        se_s, p_s = _mover_p(float(d_s), float(lo_s), float(hi_s), alpha)
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
                "p_value": p_s,
                "n_a": n_people(pid, ia),
                "n_b": n_people(pid, ib),
                "promotions_a": pa,
                "promotions_b": pb,
                "at_risk_a": ra,
                "at_risk_b": rb,
            }
        )
    nan3 = (np.nan, np.nan, np.nan)
    if usable:
        fa_std, lo_a, hi_a = _weighted_sum(*np.array(arms["a"]).T)
        fb_std, lo_b, hi_b = _weighted_sum(*np.array(arms["b"]).T)
        d, lo, hi = (float(v) for v in stats.mover_difference(fa_std, lo_a, hi_a,
                                                             fb_std, lo_b, hi_b))
        se_cl = float(np.sqrt((np.bincount(pid, psi) ** 2).sum()))
    else:
        (fa_std, lo_a, hi_a), (fb_std, lo_b, hi_b), (d, lo, hi) = nan3, nan3, nan3
        se_cl = np.nan
    se, p = _mover_p(d, lo, hi, alpha)
    used: np.ndarray | list[int] = (
        np.concatenate([np.concatenate([ia, ib]) for _, ia, ib in usable]) if usable else []
    )
    return {
        "estimate": d,
        "se": se,
        "ci_lower": lo,
        "ci_upper": hi,
        "p_value": p,
        "mde": float(stats.mde_normal(se, alpha)),
        "se_clustered": se_cl,
        "estimate_a": fa_std,
        "estimate_b": fb_std,
        "ci_lower_a": lo_a,
        "ci_upper_a": hi_a,
        "ci_lower_b": lo_b,
        "ci_upper_b": hi_b,
        "n_a": n_people(pid, in_a),
        "n_b": n_people(pid, in_b),
        "n": n_people(pid, np.asarray(used, dtype=int)) if usable else 0,
        "by_stratum": pd.DataFrame(rows),
    }
