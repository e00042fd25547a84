"""Time to promotion by track: competing risks, hazards, rates, velocity and parity.

DOMAIN.md, analysis 2: do individual contributors (IC) get promoted as fast as
managers (M) from equivalent grades? The unit of analysis is a **spell**: the
continuous time one person spends in one (track, level) within one
employment episode (``data.spells``). The population is every spell below the
top grade of its own track; time runs from the spell's start and ends at

- a **promotion** (the event of interest, cause 1),
- an **exit** from the organisation (competing, cause 2),
- a **switch** of track (competing, cause 3),
- another change of level -- a demotion or a lateral move (competing, cause 4),
- or the as-of date (**censored**).

A spell that began before ``history_start`` enters the analysis late (delayed
entry, left truncation): it is counted at risk only from the time it is first
observed.

The public entry point is :func:`time_to_promotion`; the building blocks take a
spells frame and are public too, so that other analyses and the tests can call
them. The numerics live in :mod:`pathaudit.survival`; every interval comes from
:mod:`pathaudit.stats`. ``docs/promotion.md`` defines every figure.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pathaudit import stats
from pathaudit.data import AuditData
from pathaudit.errors import PathauditError, StatisticalWarning
from pathaudit.result import Result, make_result
from pathaudit.schema import DAYS_PER_YEAR, EXIT_REASONS
from pathaudit.survival import (
    CompetingRisksFit,
    aalen_johansen,
    cif_influence,
    cox_ph,
    kaplan_meier,
    logrank,
    risk_set,
    step_at,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "CAUSES",
    "PromotionAudit",
    "cif_difference",
    "cumulative_incidence",
    "impact_ratios",
    "logrank_by_track",
    "promotion_hazard_ratios",
    "promotion_rates",
    "promotion_spells",
    "time_since_promotion",
    "time_to_promotion",
    "velocity",
]

CAUSES: dict[str, int] = {"promotion": 1, "exit": 2, "switch": 3, "other_change": 4}
"""Cause codes of a spell's end (0 = censored at as-of)."""

HORIZONS: tuple[float, ...] = (1.0, 2.0, 3.0, 5.0)
"""Default horizons (years) for the probability of promotion."""

FOUR_FIFTHS = 0.8
"""The four-fifths rule threshold of the impact ratio (29 CFR 1607.4(D))."""

AJ = "aalen_johansen"
NAIVE_KM = "naive_km"
ESTIMATOR_LABELS: dict[str, str] = {
    AJ: "Aalen–Johansen (exit and switch compete)",
    NAIVE_KM: "naive Kaplan–Meier (leavers censored; biased upward)",
}
"""Display labels of the two estimators of the probability of promotion."""

HR_CAVEAT = (
    "A hazard ratio compares promotion rates among people still in their spell at "
    "each moment (still employed, not yet switched, not yet promoted); it is not a ratio "
    "of probabilities of promotion. The log-rank test compares those hazards too."
)
"""Plain words every hazard-ratio output carries."""

SNAPSHOT_STATEMENT = (
    "This is a snapshot-only export: it shows how long current employees have been in "
    "their level since their last promotion, not how long it takes to be promoted. True "
    "time to promotion needs effective-dated history (who was promoted, who left or "
    "switched before being promoted, and when); load a history export to compute it."
)
"""What a snapshot can and cannot say about promotion."""

LABEL_COLUMNS: tuple[str, ...] = ("grade", "year", "horizon", "time", "df")
"""Numeric columns that label rows (kept when a row is suppressed)."""

_DEMOGRAPHICS = ("gender", "ethnicity", "age_band")
_CATEGORICAL_CONTROLS = ("job_family", "location")


# --------------------------------------------------------------------------- population


def _cause_codes(end_reason: pd.Series) -> np.ndarray:
    """Map ``end_reason`` to the cause codes of :data:`CAUSES` (0 = censored)."""
    r = end_reason.astype("str").to_numpy(dtype=object)
    out = np.full(len(r), CAUSES["other_change"], dtype=np.int64)
    out[r == "censored"] = 0
    out[r == "promotion"] = CAUSES["promotion"]
    out[np.isin(r, list(EXIT_REASONS))] = CAUSES["exit"]
    out[np.isin(r, ["switch_to_M", "switch_to_IC"])] = CAUSES["switch"]
    return out


def promotable_from(ladder: pd.DataFrame | None, frame: pd.DataFrame) -> pd.Series:
    """First date from which each row's grade lies below the top of its own track.

    Parameters
    ----------
    ladder
        Canonical ladder (``track, level, grade[, org_unit, valid_from]``), or
        None (then the top of a track is its highest grade seen in ``frame``).
    frame
        Spells or exposure rows with ``track``, ``grade`` and (when the ladder is
        unit-specific) ``org_unit``.

    Returns
    -------
    pandas.Series
        ``datetime64[ns]`` per row (index of ``frame``): the earliest
        ``valid_from`` of a ladder row of the same track with a higher grade that
        applies to the row's unit (rows without ``org_unit`` apply everywhere;
        an empty ``valid_from`` means always, returned as 1678-01-01). ``NaT``
        means never: the row is at the top of its track.

    Notes
    -----
    Adopting a dual ladder can add IC levels in one unit from one date. An IC
    at the old top of such a unit cannot be promoted before that date and can
    after it. :func:`promotion_spells` keeps spells promotable on their first
    day; :func:`promotion_rates` counts person-time from this date on.
    """
    always = pd.Timestamp("1678-01-01")
    # integer codes for (track, grade, unit): the work is done once per distinct combination
    t_codes, t_labels = pd.factorize(frame["track"].astype("str"))
    grade = pd.to_numeric(frame["grade"], errors="coerce").to_numpy(dtype=float)
    if "org_unit" in frame.columns:
        u_codes, u_labels = pd.factorize(frame["org_unit"].astype("str"), use_na_sentinel=True)
    else:
        u_codes, u_labels = np.full(len(frame), -1), pd.Index([])
    g_codes, g_labels = pd.factorize(grade, use_na_sentinel=True)
    n_g, n_u = len(g_labels) + 1, len(u_labels) + 1
    key = (t_codes.astype(np.int64) * n_g + (g_codes + 1)) * n_u + (u_codes + 1)
    uniq, inv = np.unique(key, return_inverse=True)
    keys = pd.DataFrame(
        {
            "track": np.asarray(t_labels, dtype=object)[uniq // (n_g * n_u)],
            "grade": np.concatenate([[np.nan], np.asarray(g_labels, dtype=float)])[
                (uniq // n_u) % n_g
            ],
            "unit": np.concatenate([[""], np.asarray(u_labels, dtype=object)])[uniq % n_u],
        }
    )
    out_keys = np.full(len(keys), np.datetime64("NaT"), dtype="datetime64[ns]")
    if ladder is None or ladder.empty:
        lad_tracks: set[str] = set()
    else:
        lad = pd.DataFrame(
            {
                "track": ladder["track"].astype("str").to_numpy(),
                "lgrade": pd.to_numeric(ladder["grade"], errors="coerce").to_numpy(dtype=float),
                "lunit": (
                    ladder["org_unit"].astype("str").fillna("").to_numpy()
                    if "org_unit" in ladder.columns
                    else ""
                ),
                "valid_from": (
                    pd.to_datetime(ladder["valid_from"]).fillna(always).to_numpy()
                    if "valid_from" in ladder.columns
                    else np.datetime64(always)
                ),
            }
        ).dropna(subset=["lgrade"])
        lad_tracks = set(lad["track"])
        pairs = keys.reset_index().merge(lad, on="track", how="inner")
        ok = (pairs["lgrade"] > pairs["grade"]) & (
            (pairs["lunit"] == "") | (pairs["lunit"] == pairs["unit"])
        )
        first = pairs.loc[ok].groupby("index")["valid_from"].min()
        out_keys[first.index.to_numpy()] = first.to_numpy(dtype="datetime64[ns]")
    # tracks absent from the ladder: top = highest grade seen
    top_seen = keys.groupby("track")["grade"].transform("max").to_numpy()
    missing = ~keys["track"].isin(lad_tracks).to_numpy() & (keys["grade"].to_numpy() < top_seen)
    out_keys[missing] = np.datetime64(always)
    return pd.Series(out_keys[inv], index=frame.index)


def promotion_spells(
    data_or_spells: AuditData | pd.DataFrame,
    ladder: pd.DataFrame | None = None,
    history_start: object | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Select the spells at risk of promotion, with their time, entry and cause.

    Parameters
    ----------
    data_or_spells
        An :class:`~pathaudit.data.AuditData` (uses ``spells``, ``ladder``,
        ``history_start``) or a spells frame (``schema.SPELLS`` columns).
    ladder
        Canonical ladder, when a spells frame is given (default: the top grade
        of each track is its highest grade seen in the spells).
    history_start
        First date of complete history, when a spells frame is given (used to
        leave out spells whose start is not observed).

    Returns
    -------
    (spells, excluded) : tuple
        ``spells``: the input rows below the top of their own track at their
        start, with ``time`` (= ``duration``, years since the spell's start),
        ``entry`` (years, delayed entry), ``cause`` (see :data:`CAUSES`) and
        ``is_ic``. ``excluded``: reason -> number of spells left out:
        ``at_top_of_track`` (at the top of the track in its unit on its first
        day, so it cannot be promoted within the track),
        ``missing_grade`` and ``start_not_observed`` (the spell's start was set to
        a hire date before ``history_start``, so its time in level is unknown).

    Notes
    -----
    Population: spells whose grade is below the top of their own track on their
    first day, with the ladder of their unit on that date. A spell at the top
    when it began stays out even if a higher level opens later (its
    person-time after that date does count in :func:`promotion_rates`). Clock:
    time since the start of the spell (time in level). Entry: years from the
    spell's start to ``history_start`` for spells begun earlier, else 0.
    """
    if isinstance(data_or_spells, AuditData):
        data = data_or_spells
        sp = data.spells
        ladder = data.ladder
        history_start = data.history_start
    else:
        sp = data_or_spells
    excluded: dict[str, int] = {}
    grade = pd.to_numeric(sp["grade"], errors="coerce")
    miss = grade.isna().to_numpy()
    excluded["missing_grade"] = int(miss.sum())
    sp = sp.loc[~miss]
    grade = grade[~miss].astype(float)
    frm = promotable_from(ladder, sp)
    # below the top of the own track on the spell's first day (in its unit, on that date)
    at_top = (frm.isna() | (frm > sp["start"])).to_numpy()
    excluded["at_top_of_track"] = int(at_top.sum())
    unobserved = np.zeros(len(sp), dtype=bool)
    if "start_imputed" in sp.columns and history_start is not None:
        unobserved = (
            sp["start_imputed"].fillna(False).astype(bool)
            & (sp["start"] < pd.Timestamp(history_start))
        ).to_numpy()
    excluded["start_not_observed"] = int((unobserved & ~at_top).sum())
    keep = ~at_top & ~unobserved
    out = sp.loc[keep].copy()
    out["grade"] = grade[keep].astype(np.int64)
    out["time"] = out["duration"].astype(float)
    out["entry"] = out["entry"].astype(float)
    out["cause"] = _cause_codes(out["end_reason"])
    out["track"] = out["track"].astype("str")
    out["is_ic"] = (out["track"] == "IC").astype(float)
    bad = (out["entry"] >= out["time"]).to_numpy()
    if bad.any():
        excluded["ended_before_history_start"] = int(bad.sum())
        out = out.loc[~bad]
    return out.reset_index(drop=True), excluded


# --------------------------------------------------------------------------- cumulative incidence


def _person_codes(ids: pd.Series) -> np.ndarray:
    return pd.factorize(ids.astype("str"))[0]


def _n_people(codes: np.ndarray, sel: np.ndarray | None = None) -> int:
    """Distinct people among ``codes[sel]`` (codes are 0..P-1 from :func:`_person_codes`)."""
    picked = codes if sel is None else codes[sel]
    if len(picked) == 0:
        return 0
    mark = np.zeros(int(codes.max()) + 1, dtype=bool)
    mark[picked] = True
    return int(np.count_nonzero(mark))


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
    pid = _person_codes(spells["employee_id"]) if len(spells) else np.array([], dtype=int)
    t_all = spells["time"].to_numpy(dtype=float)
    e_all = spells["entry"].to_numpy(dtype=float)
    c_all = spells["cause"].to_numpy(dtype=np.int64)
    for labels, idx in _groups(spells, by, [p for p in pooled if p in by]):
        if len(idx) == 0:
            continue
        t, e, c = t_all[idx], e_all[idx], c_all[idx]
        n_people = _n_people(pid, idx)
        aj = aalen_johansen(t, c, e, causes=(1, 2, 3, 4))
        km = kaplan_meier(t, c == 1, e)
        # --- Aalen–Johansen
        f, se, nr = aj.at(hz, cause=1)
        lo, hi = stats.loglog_ci(f, se, alpha)
        n_prom = step_at(aj.time, np.cumsum(aj.events[:, 0]), hz)
        nr_km = _at_risk(t, e, hz)
        # no promotion by t: the log(-log) interval is [0, 0]; use the exact binomial
        # upper bound for zero events among the spells still at risk at t
        zero_up = np.where(nr_km > 0, 1 - (alpha / 2) ** (1 / np.maximum(nr_km, 1)), 1.0)
        hi = np.where(n_prom == 0, zero_up, hi)
        # --- naive KM (probability = 1 - S)
        s, sse = km.at(hz)
        slo, shi = stats.loglog_ci(s, sse, alpha)
        slo = np.where(n_prom == 0, 1 - zero_up, slo)
        for i, h in enumerate(hz):
            base = {**labels, "horizon": h, "n": n_people, "spells": len(idx)}
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
                    "n": n_people,
                    "spells": len(idx),
                }
            )
    cols = list(by)
    prob = pd.DataFrame(prob_rows)
    med = pd.DataFrame(med_rows)
    curves = pd.concat(curve_parts, ignore_index=True) if curve_parts else pd.DataFrame()
    for frame in (prob, med, curves):
        for col in cols:
            if col == "grade" and col in frame:
                frame[col] = pd.array(frame[col], dtype="Int64")
    if len(prob):
        prob = prob.sort_values(cols + ["estimator", "horizon"], na_position="last", kind="stable")
        med = med.sort_values(cols + ["estimator"], na_position="last", kind="stable")
    return {
        "probability": prob.reset_index(drop=True),
        "median": med.reset_index(drop=True),
        "curves": curves,
    }


def _at_risk(t: np.ndarray, e: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Spells still at risk at each time ``at``: ``entry < at <= time``."""
    return risk_set(t, at, e)


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


# --------------------------------------------------------------------------- differences


def _cif_and_influence(
    t: np.ndarray, c: np.ndarray, e: np.ndarray, at: float
) -> tuple[float, np.ndarray, CompetingRisksFit]:
    fit = aalen_johansen(t, c, e, causes=(1, 2, 3, 4))
    f, _, _ = fit.at(np.array([at]), cause=1)
    phi = cif_influence(t, c, at, cause=1, entry=e, fit=fit)
    return float(f[0]), phi, fit


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
    (:func:`pathaudit.survival.cif_influence`), so a person with spells in both
    groups or in several strata is counted as one cluster; the weights are
    treated as fixed. Wald interval on the difference scale.
    """
    a, b = levels
    sp = spells.loc[spells[group].astype("str").isin([a, b])]
    pid = _person_codes(sp["employee_id"])
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
        fa, phia, _ = _cif_and_influence(t[ia], c[ia], e[ia], at)
        fb, phib, _ = _cif_and_influence(t[ib], c[ib], e[ib], at)
        psi[ia] += w * phia
        psi[ib] -= w * phib
        fa_std += w * fa
        fb_std += w * fb
        # per-stratum difference with its own clustered variance
        loc = np.zeros(len(sp))
        loc[ia] = phia
        loc[ib] = -phib
        se_s = float(np.sqrt((np.bincount(pid, loc) ** 2).sum()))
        lo_s, hi_s = stats.t_ci(fa - fb, se_s, None, alpha)
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
                "n_a": _n_people(pid, ia),
                "n_b": _n_people(pid, ib),
            }
        )
    if not usable:
        est = se = np.nan
    else:
        est = fa_std - fb_std
        se = float(np.sqrt((np.bincount(pid, psi) ** 2).sum()))
    lo, hi = stats.t_ci(est, se, None, alpha)
    from scipy import stats as sps

    p = float(2 * sps.norm.sf(abs(est / se))) if se and np.isfinite(se) and se > 0 else np.nan
    used = np.concatenate([np.concatenate([ia, ib]) for _, ia, ib in usable]) if usable else []
    return {
        "estimate": est,
        "se": se,
        "ci_lower": float(lo),
        "ci_upper": float(hi),
        "p_value": p,
        "mde": float(stats.mde_normal(se, alpha)),
        "estimate_a": fa_std if usable else np.nan,
        "estimate_b": fb_std if usable else np.nan,
        "n_a": _n_people(pid, gcol == a),
        "n_b": _n_people(pid, gcol == b),
        "n": _n_people(pid, np.asarray(used, dtype=int)) if usable else 0,
        "by_stratum": pd.DataFrame(rows),
    }


# --------------------------------------------------------------------------- Cox model


def _categorical_dummies(
    values: pd.Series, events: np.ndarray, name: str, min_events: int
) -> tuple[np.ndarray, list[str]]:
    """One-hot columns (reference = most common level); rare levels merged into '(other)'."""
    v = values.astype("str").fillna("(missing)").to_numpy(dtype=object)
    v = np.where(pd.isna(v), "(missing)", v)
    levels, codes = np.unique(v, return_inverse=True)
    ev_by = np.bincount(codes, events, len(levels))
    cnt = np.bincount(codes, minlength=len(levels))
    rare = ev_by < min_events
    if rare.any() and (~rare).sum() >= 1:
        v = np.where(rare[codes], "(other)", v)
        levels, codes = np.unique(v, return_inverse=True)
        cnt = np.bincount(codes, minlength=len(levels))
    if len(levels) < 2:
        return np.empty((len(v), 0)), []
    ref = int(np.argmax(cnt))
    cols = [j for j in range(len(levels)) if j != ref]
    X = (codes[:, None] == np.asarray(cols)[None, :]).astype(float)
    return X, [f"{name}[{levels[j]}]" for j in cols]


def _controls_matrix(
    spells: pd.DataFrame, controls: Sequence[str], min_events: int = 5
) -> tuple[np.ndarray, list[str]]:
    ev = (spells["cause"].to_numpy() == 1).astype(float)
    parts: list[np.ndarray] = []
    names: list[str] = []
    for c in controls:
        if c not in spells.columns:
            continue
        col = spells[c]
        if pd.api.types.is_numeric_dtype(col) and c not in _CATEGORICAL_CONTROLS + _DEMOGRAPHICS:
            x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            if np.isnan(x).all() or np.nanstd(x) == 0:
                continue
            x = np.where(np.isnan(x), np.nanmean(x), x)
            parts.append((x - x.mean())[:, None])
            names.append(c)
        else:
            if col.isna().all():
                continue
            X, nm = _categorical_dummies(col, ev, c, min_events)
            if X.shape[1]:
                parts.append(X)
                names.extend(nm)
    if not parts:
        return np.empty((len(spells), 0)), []
    return np.hstack(parts), names


def promotion_hazard_ratios(
    spells: pd.DataFrame,
    controls: Sequence[str] = ("tenure_at_start", "job_family", "location", "gender"),
    alpha: float = 0.05,
    compare: str = "track",
    levels: tuple[str, str] = ("IC", "M"),
    strata: str = "grade",
    per_stratum: bool = True,
    label: str = "IC vs M",
) -> pd.DataFrame:
    """Cause-specific Cox hazard ratio of promotion, ``a`` vs ``b``, with controls.

    Parameters
    ----------
    spells
        Output of :func:`promotion_spells`.
    controls
        Covariates used when present: numeric ones enter linearly (centred),
        text ones as indicators (reference = most common level; levels with
        fewer than 5 promotions merged into "(other)"; missing is a level).
    alpha
        1 - confidence level.
    compare, levels
        The compared column and its two levels ``(a, b)``; spells of other
        levels are left out.
    strata
        Baseline hazards differ by this column (default grade).
    per_stratum
        Also fit one model with an ``a``-indicator per stratum (the hazard
        ratio at each grade), for strata where both levels have promotions.
    label
        Text of the comparison in the ``term`` column.

    Returns
    -------
    pandas.DataFrame
        One row per term: ``term`` (``"<label>"`` pooled, ``"<label> at grade g"``,
        and each control), ``grade`` (for per-grade rows), ``estimate`` (hazard
        ratio), ``ci_lower``, ``ci_upper``, ``p_value``, ``p_adjusted`` (Holm,
        over the per-grade rows), ``log_hr``, ``se`` (cluster-robust),
        ``mde_hr`` (the hazard ratio detectable with 80% power, above 1),
        ``n`` (people), ``spells``, ``events`` (promotions), ``model``.

    Notes
    -----
    Time scale: years since the spell's start, with delayed entry. Event:
    promotion; exits, switches and other changes censor the spell (a
    cause-specific hazard). Baseline hazard stratified by ``strata``; ties by
    Breslow; covariance the sandwich clustered by person (Lin and Wei 1989).
    A hazard ratio of 0.8 means that, among people still in their spell, the
    ``a`` group is promoted at 80% of the rate of the ``b`` group at the same
    time in level -- not that its probability of promotion is 80% as large.
    """
    sp = spells.loc[spells[compare].astype("str").isin(levels)].reset_index(drop=True)
    if sp.empty:
        return pd.DataFrame()
    a, _ = levels
    is_a = (sp[compare].astype("str") == a).to_numpy(dtype=float)
    ctl = [c for c in controls if c != compare]
    Xc, cnames = _controls_matrix(sp, ctl)
    t = sp["time"].to_numpy(dtype=float)
    e = sp["entry"].to_numpy(dtype=float)
    status = sp["cause"].to_numpy() == 1
    st = sp[strata].to_numpy()
    pid = _person_codes(sp["employee_id"])
    rows: list[dict[str, Any]] = []

    def add_rows(fit: Any, names: list[str], n_of: dict[str, np.ndarray], model: str) -> None:
        ci = fit.conf_int(alpha)
        for j, nm in enumerate(names):
            sel = n_of.get(nm, np.ones(len(sp), dtype=bool))
            rows.append(
                {
                    "term": nm,
                    "estimate": float(np.exp(fit.params[j])),
                    "ci_lower": float(np.exp(ci[j, 0])),
                    "ci_upper": float(np.exp(ci[j, 1])),
                    "p_value": float(fit.pvalues[j]),
                    "log_hr": float(fit.params[j]),
                    "se": float(fit.bse[j]),
                    "mde_hr": float(np.exp(stats.mde_normal(fit.bse[j], alpha))),
                    "n": _n_people(pid, sel),
                    "spells": int(sel.sum()),
                    "events": int(status[sel].sum()),
                    "model": model,
                }
            )

    # pooled model
    X = np.column_stack([is_a, Xc]) if Xc.shape[1] else is_a[:, None]
    names = [label] + cnames
    fit = cox_ph(t, status, X, entry=e, strata=st, groups=pid, names=names)
    add_rows(fit, names, {}, "pooled over grades (stratified)")
    # per-stratum model
    if per_stratum:
        svals = np.unique(st)
        ok = []
        for s in svals:
            m = st == s
            if (status & m & (is_a == 1)).any() and (status & m & (is_a == 0)).any():
                ok.append(s)
        if ok:
            keep = np.isin(st, ok)
            inter = np.column_stack([is_a[keep] * (st[keep] == s) for s in ok])
            Xk = np.column_stack([inter, Xc[keep]]) if Xc.shape[1] else inter
            inames = [f"{label} at {strata} {s}" for s in ok]
            fit2 = cox_ph(
                t[keep],
                status[keep],
                Xk,
                entry=e[keep],
                strata=st[keep],
                groups=pid[keep],
                names=inames + cnames,
            )
            n_of = {nm: np.zeros(len(sp), dtype=bool) for nm in inames}
            for s, nm in zip(ok, inames, strict=True):
                n_of[nm] = st == s
            start = len(rows)
            add_rows(fit2, inames, n_of, f"{label} by {strata} (stratified)")
            for r, s in zip(rows[start:], ok, strict=True):
                r[strata] = s
    out = pd.DataFrame(rows)
    if strata not in out:
        out[strata] = np.nan
    out[strata] = pd.array(out[strata], dtype="Int64") if strata == "grade" else out[strata]
    per = out[strata].notna()
    out["p_adjusted"] = np.nan
    if per.any():
        out.loc[per, "p_adjusted"] = stats.adjust_pvalues(out.loc[per, "p_value"], "holm")
    return out


def logrank_by_track(
    spells: pd.DataFrame, strata: str = "grade", compare: str = "track"
) -> pd.DataFrame:
    """Log-rank tests of equal promotion hazards between the levels of ``compare``.

    Parameters
    ----------
    spells
        Output of :func:`promotion_spells`.
    strata
        Column within which the stratified test compares (default grade).
    compare
        Compared column (default track).

    Returns
    -------
    pandas.DataFrame
        ``test`` (``"stratified by grade"`` or ``"grade g"``), ``grade``,
        ``chi2``, ``df``, ``p_value``, ``p_adjusted`` (Holm over the per-grade
        tests), ``n`` (people), ``events``.

    Notes
    -----
    Event: promotion; other ends censor (cause-specific). Delayed entry is
    respected. The log-rank test compares hazards -- promotion rates among
    those still at risk -- not the probability of promotion, and it treats
    spells as independent.
    """
    rows = []
    pid = _person_codes(spells["employee_id"])
    t = spells["time"].to_numpy(dtype=float)
    e = spells["entry"].to_numpy(dtype=float)
    ev = spells["cause"].to_numpy() == 1
    g = spells[compare].astype("str").to_numpy()
    st = spells[strata].to_numpy()
    both = [s for s in np.unique(st) if len(np.unique(g[st == s])) > 1 and ev[st == s].any()]
    if both:
        m = np.isin(st, both)
        chi2, df, p = logrank(t[m], ev[m], g[m], entry=e[m], strata=st[m])
        rows.append(
            {
                "test": f"stratified by {strata}",
                strata: pd.NA,
                "chi2": chi2,
                "df": df,
                "p_value": p,
                "n": _n_people(pid, m),
                "events": int(ev[m].sum()),
            }
        )
    for s in both:
        m = st == s
        chi2, df, p = logrank(t[m], ev[m], g[m], entry=e[m])
        rows.append(
            {
                "test": f"{strata} {s}",
                strata: s,
                "chi2": chi2,
                "df": df,
                "p_value": p,
                "n": _n_people(pid, m),
                "events": int(ev[m].sum()),
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    if strata == "grade":
        out[strata] = pd.array(out[strata], dtype="Int64")
    per = out[strata].notna()
    out["p_adjusted"] = np.nan
    out.loc[per, "p_adjusted"] = stats.adjust_pvalues(out.loc[per, "p_value"], "holm")
    return out


# --------------------------------------------------------------------------- rates


def promotion_rates(
    exposure: pd.DataFrame, ladder: pd.DataFrame | None = None, alpha: float = 0.05
) -> pd.DataFrame:
    """Promotions per 100 person-years by track, grade and fiscal year.

    Parameters
    ----------
    exposure
        ``data.exposure`` (``schema.EXPOSURE``).
    ladder
        Canonical ladder: person-time at the top of the own track (in the
        row's unit, on the day) is left out (see :func:`promotable_from`).
        Default: the highest grade of each track seen is its top.
    alpha
        1 - confidence level.

    Returns
    -------
    pandas.DataFrame
        ``track``, ``grade``, ``year``, ``estimate`` (promotions per 100
        person-years), ``ci_lower``, ``ci_upper`` (exact Poisson), ``events``,
        ``person_years``, ``n`` (people).

    Notes
    -----
    Numerator: intervals whose ``event`` is ``"promotion"``; denominator: the
    person-years of the same (track, grade, fiscal year) cell below the top of
    the track, from the exposure table (so time before ``history_start`` is
    never counted). Interval: Garwood (:func:`pathaudit.stats.poisson_rate_ci`),
    times 100.
    """
    ex = exposure
    grade = pd.to_numeric(ex["grade"], errors="coerce")
    frm = promotable_from(ladder, ex)
    start = ex["start"]
    begin = start.where(frm.isna() | (frm <= start), frm)  # both datetime64[ns]
    py = ((ex["stop"] - begin).dt.days / DAYS_PER_YEAR).to_numpy(dtype=float)
    keep = frm.notna().to_numpy() & grade.notna().to_numpy() & (py > 0)
    ex = ex.loc[keep]
    frame = pd.DataFrame(
        {
            "track": ex["track"].astype("str").to_numpy(),
            "grade": grade[keep].astype(np.int64).to_numpy(),
            "year": pd.to_numeric(ex["year"]).astype(np.int64).to_numpy(),
            "employee_id": ex["employee_id"].astype("str").to_numpy(),
            "events": (ex["event"].astype("str") == "promotion").to_numpy(dtype=float),
            "person_years": py[keep],
        }
    )
    g = frame.groupby(["track", "grade", "year"], sort=True)
    out = g.agg(
        events=("events", "sum"),
        person_years=("person_years", "sum"),
        n=("employee_id", "nunique"),
    ).reset_index()
    lo, hi = stats.poisson_rate_ci(out["events"], out["person_years"], alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["estimate"] = 100 * out["events"] / out["person_years"]
    out["ci_lower"] = 100 * lo
    out["ci_upper"] = 100 * hi
    out["grade"] = pd.array(out["grade"], dtype="Int64")
    out["year"] = pd.array(out["year"], dtype="Int64")
    cols = ["track", "grade", "year", "estimate", "ci_lower", "ci_upper"]
    return out[cols + ["events", "person_years", "n"]]


# --------------------------------------------------------------------------- velocity


def bootstrap_medians_exact(x: np.ndarray, B: int, rng: np.random.Generator) -> np.ndarray:
    r"""Medians of ``B`` bootstrap resamples of ``x``, drawn through order statistics.

    The same bootstrap distribution as :func:`pathaudit.stats.bootstrap_medians`
    (resampling ``n`` values with replacement, ``numpy.median`` of each), sampled in
    O(B) instead of O(B n): for large groups (tens of thousands of people) it is what
    keeps the percentile-bootstrap interval of a median cheap.

    Parameters
    ----------
    x
        The sample.
    B
        Number of resamples.
    rng
        Random generator.

    Returns
    -------
    numpy.ndarray
        ``B`` bootstrap medians.

    Notes
    -----
    A resample is ``x_(floor(n U_i))`` for ``n`` independent uniforms ``U_i``, with
    ``x_(j)`` the sorted sample; taking the floor commutes with ordering, so the
    resample's ``k``-th smallest value is ``x_(floor(n U_(k)))``. With
    :math:`U_{(k)} \sim \mathrm{Beta}(k, n - k + 1)` and, given it,
    :math:`U_{(k+1)} = U_{(k)} + (1 - U_{(k)})\,\mathrm{Beta}(1, n - k)`, the median
    (the middle value, or the mean of the two middle values for even ``n``) is drawn
    exactly. Checked against :func:`pathaudit.stats.bootstrap_medians` in the tests.
    """
    xs = np.sort(np.asarray(x, dtype=float))
    n = len(xs)
    if n == 1:
        return np.full(B, xs[0])
    k = (n + 1) // 2 if n % 2 else n // 2
    u1 = rng.beta(k, n - k + 1, size=B)
    lo = xs[np.minimum((n * u1).astype(np.int64), n - 1)]
    if n % 2:
        return lo
    u2 = u1 + (1 - u1) * rng.beta(1, n - k, size=B)
    hi = xs[np.minimum((n * u2).astype(np.int64), n - 1)]
    return (lo + hi) / 2


def velocity(
    spells: pd.DataFrame,
    history_start: object,
    horizons: Sequence[float] = (2.0, 5.0, 10.0),
    alpha: float = 0.05,
    B: int = stats.BOOTSTRAP_B,
    seed: int = stats.BOOTSTRAP_SEED,
) -> dict[str, pd.DataFrame]:
    r"""Years from hire to first reach each grade, by the track on which it is reached.

    Parameters
    ----------
    spells
        All spells (``data.spells``, not only those below the top).
    history_start
        First date of complete history.
    horizons
        Years since hire at which the cumulative incidence is reported.
    alpha
        1 - confidence level.
    B, seed
        Bootstrap resamples and seed for the median among those who reach it.

    Returns
    -------
    dict of pandas.DataFrame
        ``"incidence"``: ``grade``, ``track`` (track on which the grade is
        first reached), ``horizon`` (years since hire), ``estimate``
        (probability of having reached the grade on that track by then),
        ``ci_lower``, ``ci_upper``, ``n`` (people at risk of reaching it),
        ``reached`` (people who reached it on that track).
        ``"among_reached"``: ``grade``, ``track``, ``estimate`` (median years
        from hire to first reach, among those who reached it), ``ci_lower``,
        ``ci_upper`` (percentile bootstrap), ``p25``, ``p75``, ``n``.

    Notes
    -----
    Population for grade :math:`g`: employment episodes whose grade at their
    first observed moment (hire, or ``history_start`` for earlier hires) is
    below :math:`g`. Clock: years since hire, with delayed entry at
    ``history_start`` for earlier hires. Event: the first spell of grade
    :math:`\ge g`, by its track (two causes); exit competes; open episodes are
    censored at as-of. Cumulative incidence by Aalen–Johansen. The median
    "among those who reach it" conditions on reaching the grade: it leaves out
    everyone still on the way or gone, so it is not the typical time for a
    new hire -- the cumulative incidence is.
    """
    hs = pd.Timestamp(history_start)
    sp = spells.loc[pd.to_numeric(spells["grade"], errors="coerce").notna()].copy()
    sp["grade"] = pd.to_numeric(sp["grade"]).astype(np.int64)
    sp = sp.sort_values(["employee_id", "episode", "start"], kind="stable")
    key = sp["employee_id"].astype("str") + "\x1f" + sp["episode"].astype("str")
    sp["_ep"] = pd.factorize(key)[0]
    hire = sp.groupby("_ep")["hire_date"].first()
    first_grade = sp.groupby("_ep")["grade"].first()
    last = sp.groupby("_ep").tail(1).set_index("_ep")
    end_time = ((last["stop"] - hire).dt.days / DAYS_PER_YEAR).to_numpy()
    exit_ = last["end_reason"].astype("str").isin(list(EXIT_REASONS)).to_numpy()
    entry = (np.maximum((hs - hire).dt.days.to_numpy(), 0) / DAYS_PER_YEAR).astype(float)
    ep_ids = hire.index.to_numpy()
    pid = _person_codes(sp.groupby("_ep")["employee_id"].first())
    inc_rows: list[dict[str, Any]] = []
    med_rows: list[dict[str, Any]] = []
    rng = np.random.default_rng(seed)
    grades = np.sort(sp["grade"].unique())
    hz = np.asarray(horizons, dtype=float)
    for g in grades[1:]:
        at_risk = first_grade.to_numpy() < g
        if not at_risk.any():
            continue
        reach = sp.loc[sp["grade"] >= g].groupby("_ep").first()
        r_time = pd.Series(np.nan, index=ep_ids)
        r_track = pd.Series("", index=ep_ids, dtype=object)
        r_time.loc[reach.index] = (
            (reach["start"] - hire.loc[reach.index]).dt.days / DAYS_PER_YEAR
        ).to_numpy()
        r_track.loc[reach.index] = reach["track"].astype("str").to_numpy()
        rt = r_time.to_numpy()
        reached = ~np.isnan(rt)
        time = np.where(reached, rt, end_time)
        cause = np.where(reached, np.where(r_track.to_numpy() == "IC", 1, 2), np.where(exit_, 3, 0))
        m = at_risk & (time > entry)
        if not m.any():
            continue
        fit = aalen_johansen(time[m], cause[m], entry[m], causes=(1, 2, 3))
        for j, tr in ((1, "IC"), (2, "M")):
            f, se, _ = fit.at(hz, cause=j)
            lo, hi = stats.loglog_ci(f, se, alpha)
            sel = m & (cause == j)
            for i, h in enumerate(hz):
                inc_rows.append(
                    {
                        "grade": int(g),
                        "track": tr,
                        "horizon": float(h),
                        "estimate": float(f[i]),
                        "ci_lower": float(lo[i]),
                        "ci_upper": float(hi[i]),
                        "n": int(_n_people(pid, m)),
                        "reached": int(sel.sum()),
                    }
                )
            x = time[sel]
            if len(x):
                meds = bootstrap_medians_exact(x, B, rng)
                blo, bhi = np.quantile(meds, [alpha / 2, 1 - alpha / 2])
                p25, p75 = np.quantile(x, [0.25, 0.75])
                med_rows.append(
                    {
                        "grade": int(g),
                        "track": tr,
                        "estimate": float(np.median(x)),
                        "ci_lower": float(blo),
                        "ci_upper": float(bhi),
                        "p25": float(p25),
                        "p75": float(p75),
                        "n": _n_people(pid, sel),
                    }
                )
    inc = pd.DataFrame(inc_rows)
    med = pd.DataFrame(med_rows)
    if len(inc):
        # a track that never has a grade (e.g. no M level at grade 3) gets no row for it
        held = set(zip(sp["track"].astype("str"), sp["grade"], strict=True))
        inc = inc.loc[
            [(tr, g) in held for tr, g in zip(inc["track"], inc["grade"], strict=True)]
        ].reset_index(drop=True)
    for fr in (inc, med):
        if len(fr):
            fr["grade"] = pd.array(fr["grade"], dtype="Int64")
    return {"incidence": inc, "among_reached": med}


# --------------------------------------------------------------------------- parity


def _log_ratio_se(
    y: np.ndarray, pid: np.ndarray, grp: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Proportion per group and the person-clustered SE of its log (ratio estimator)."""
    n = np.bincount(grp, minlength=n_groups).astype(float)
    s = np.bincount(grp, y, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = s / n
    # cluster = (group, person): residual totals y - p * 1 per person within group
    key = grp.astype(np.int64) * (pid.max() + 1 if len(pid) else 1) + pid
    codes, inv = np.unique(key, return_inverse=True)
    resid = y - p[grp]
    tot = np.bincount(inv, resid)
    g_of = (codes // (pid.max() + 1 if len(pid) else 1)).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        var_p = np.bincount(g_of, tot**2, minlength=n_groups) / n**2
        se_log = np.sqrt(var_p) / p
    return p, se_log, n


def impact_ratios(
    spells: pd.DataFrame,
    group: str = "gender",
    history_start: object | None = None,
    as_of: object | None = None,
    alpha: float = 0.05,
) -> dict[str, pd.DataFrame]:
    """Annual promotion proportions by group within track, and the four-fifths impact ratio.

    Parameters
    ----------
    spells
        Output of :func:`promotion_spells` (spells below the top of their track).
    group
        Demographic column compared (default ``"gender"``).
    history_start, as_of
        The window: every calendar year whose 1 January is on or after
        ``history_start`` and whose 31 December is on or before ``as_of``.
    alpha
        1 - confidence level.

    Returns
    -------
    dict of pandas.DataFrame
        ``"pooled"``: per ``track`` and group: ``estimate`` (impact ratio:
        the group's promotion proportion over the highest group's in the same
        track), ``ci_lower``, ``ci_upper``, ``proportion``, ``proportion_lower``,
        ``proportion_upper`` (Wilson), ``promoted``, ``eligible`` (person-years),
        ``n`` (people), ``reference`` (the highest group),
        ``below_four_fifths`` (estimate < 0.8, the rule as written),
        ``ci_below_four_fifths`` (the whole interval below 0.8).
        ``"by_year"``: the same per calendar ``year``.

    Notes
    -----
    Eligible: a person in a spell below the top of their track on 1 January
    of the year (their track on that day). Promoted: the same person promoted
    (any promotion in the same employment episode) during that calendar year.
    Proportion = promoted / eligible, pooled over years. Impact ratio (29 CFR
    1607.4(D)): proportion of each group / proportion of the group with the
    highest proportion; below 0.8 is "evidence of adverse impact" under the
    rule of thumb, which is not a test of significance. Interval: Wald on the
    log ratio with person-clustered variances of each proportion (a person is
    eligible in several years), groups treated as independent; for one year
    this is the Katz log interval.
    """
    if group not in spells.columns:
        return {"pooled": pd.DataFrame(), "by_year": pd.DataFrame()}
    sp = spells
    if history_start is not None:
        hs = pd.Timestamp(history_start)
        y0 = hs.year if (hs.month, hs.day) == (1, 1) else hs.year + 1
    else:
        y0 = int(sp["start"].min().year) + 1
    as_of_ts = pd.Timestamp(as_of) if as_of is not None else sp["stop"].max() - pd.Timedelta(days=1)
    y1 = as_of_ts.year if (as_of_ts.month, as_of_ts.day) == (12, 31) else as_of_ts.year - 1
    if y1 < y0:
        return {"pooled": pd.DataFrame(), "by_year": pd.DataFrame()}
    # 1 January of year Y lies in [start, stop) iff first_y <= Y <= last_y
    st = sp["start"]
    first_y = st.dt.year.to_numpy() + (~((st.dt.month == 1) & (st.dt.day == 1))).to_numpy(int)
    last_day = sp["stop"] - pd.Timedelta(days=1)
    last_y = last_day.dt.year.to_numpy()
    first = np.maximum(first_y, y0)
    last = np.minimum(last_y, y1)
    cnt = np.clip(last - first + 1, 0, None)
    rep = np.repeat(np.arange(len(sp)), cnt)
    within = np.arange(len(rep)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    year = first[rep] + within
    # promoted in year Y: this spell ends in a promotion whose last day in the old level
    # falls in Y (a promotion effective 1 January Y+1 belongs to Y)
    promoted = (sp["cause"].to_numpy() == 1)[rep] & (last_y[rep] == year)
    elig = pd.DataFrame(
        {
            "year": year,
            "track": sp["track"].astype("str").to_numpy()[rep],
            "grp": sp[group].astype("str").to_numpy()[rep],
            "employee_id": sp["employee_id"].astype("str").to_numpy()[rep],
            "promoted": promoted.astype(float),
        }
    )
    elig = elig.loc[sp[group].notna().to_numpy()[rep]]
    pooled = _impact_table(elig, ["track"], alpha)
    by_year = _impact_table(elig, ["track", "year"], alpha)
    if len(by_year):
        by_year["year"] = pd.array(by_year["year"], dtype="Int64")
    return {"pooled": pooled, "by_year": by_year}


def _impact_table(elig: pd.DataFrame, keys: list[str], alpha: float) -> pd.DataFrame:
    rows = []
    for lab, part in elig.groupby(keys, sort=True):
        lab = lab if isinstance(lab, tuple) else (lab,)
        gcodes, glabels = pd.factorize(part["grp"], sort=True)
        pcodes = pd.factorize(part["employee_id"])[0]
        y = part["promoted"].to_numpy(dtype=float)
        p, se_log, n = _log_ratio_se(y, pcodes, gcodes, len(glabels))
        people = np.array([_n_people(pcodes, gcodes == j) for j in range(len(glabels))])
        plo, phi = stats.wilson_ci(p * n, n, alpha)
        # nobody promoted in any group: proportions only, no ratio to take
        ref = int(np.nanargmax(p)) if np.nanmax(p) > 0 else -1
        for j, gl in enumerate(glabels):
            if ref < 0:
                est, lo, hi = np.nan, np.nan, np.nan
            elif j == ref:
                est, lo, hi = 1.0, np.nan, np.nan
            else:
                est = p[j] / p[ref]
                se = np.sqrt(se_log[j] ** 2 + se_log[ref] ** 2)
                centre = np.log(est) if p[j] > 0 else np.log(0.5 / n[j] / p[ref])
                if p[j] == 0:  # no promotion: Katz interval with 0.5 added, lower bound 0
                    se = np.sqrt(1 / 0.5 - 1 / n[j] + se_log[ref] ** 2)
                l_lo, l_hi = stats.t_ci(centre, se, None, alpha)
                lo = float(np.exp(l_lo)) if p[j] > 0 else 0.0
                hi = float(np.exp(l_hi))
            rows.append(
                {
                    **dict(zip(keys, lab, strict=True)),
                    "group": gl,
                    "estimate": est,
                    "ci_lower": lo,
                    "ci_upper": hi,
                    "proportion": p[j],
                    "proportion_lower": plo[j],
                    "proportion_upper": phi[j],
                    "promoted": float(p[j] * n[j]),
                    "eligible": float(n[j]),
                    "n": int(people[j]),
                    "reference": glabels[ref] if ref >= 0 else None,
                    "below_four_fifths": bool(est < FOUR_FIFTHS),
                    "ci_below_four_fifths": bool(np.isfinite(hi) and hi < FOUR_FIFTHS),
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- snapshot


def time_since_promotion(
    data: AuditData, alpha: float = 0.05, seed: int = stats.BOOTSTRAP_SEED
) -> pd.DataFrame:
    """Time since the last promotion of current employees, by track and grade (snapshot data).

    Parameters
    ----------
    data
        A snapshot-only :class:`~pathaudit.data.AuditData`.
    alpha
        1 - confidence level.
    seed
        Bootstrap seed of the median's interval.

    Returns
    -------
    pandas.DataFrame
        ``track``, ``grade``, ``estimate`` (median years since the last
        promotion), ``ci_lower``, ``ci_upper`` (percentile bootstrap),
        ``p25``, ``p75``, ``share_over_3y`` (share in level more than three
        years) with ``share_lower``, ``share_upper`` (Wilson), ``n``.

    Notes
    -----
    Years since the last promotion: ``years_since_promotion`` when exported,
    else ``(as_of - last_promotion_date) / 365.25``. Population: people
    employed on ``as_of`` with a known last promotion (or level entry) date.
    This is time *in* level for those still here -- not time *to* promotion:
    people promoted quickly have moved on, people who left are missing.
    """
    snap = data.snapshot if data.snapshot is not None else pd.DataFrame()
    if snap.empty:
        return pd.DataFrame()
    s = snap.copy()
    years = pd.Series(np.nan, index=s.index)
    if "years_since_promotion" in s:
        years = pd.to_numeric(s["years_since_promotion"], errors="coerce")
    if "last_promotion_date" in s:
        fill = (data.as_of - s["last_promotion_date"]).dt.days / DAYS_PER_YEAR
        years = years.fillna(fill)
    s["years"] = years
    employed = pd.Series(True, index=s.index)
    if "termination_date" in s:
        employed &= s["termination_date"].isna() | (s["termination_date"] > data.as_of)
    if "left" in s:
        employed &= ~s["left"].astype("str").str.lower().isin(["true", "1", "yes", "y"])
    s = s.loc[employed & s["years"].notna()]
    if "grade" not in s.columns:
        grades = data.history[["employee_id", "grade"]].drop_duplicates("employee_id", keep="last")
        s = s.merge(grades, on="employee_id", how="left")
    s = s.loc[s["grade"].notna()]
    rng = np.random.default_rng(seed)
    rows = []
    for (tr, gr), part in s.groupby([s["track"].astype("str"), "grade"], sort=True):
        x = part["years"].to_numpy(dtype=float)
        meds = bootstrap_medians_exact(x, stats.BOOTSTRAP_B, rng)
        lo, hi = np.quantile(meds, [alpha / 2, 1 - alpha / 2])
        over = float((x > 3).sum())
        slo, shi = stats.wilson_ci(over, len(x), alpha)
        rows.append(
            {
                "track": tr,
                "grade": int(gr),
                "estimate": float(np.median(x)),
                "ci_lower": float(lo),
                "ci_upper": float(hi),
                "p25": float(np.quantile(x, 0.25)),
                "p75": float(np.quantile(x, 0.75)),
                "share_over_3y": over / len(x),
                "share_lower": float(slo),
                "share_upper": float(shi),
                "n": int(part["employee_id"].nunique()),
            }
        )
    out = pd.DataFrame(rows)
    if len(out):
        out["grade"] = pd.array(out["grade"], dtype="Int64")
    return out


# --------------------------------------------------------------------------- plots


def plot_incidence(result: Result, ax: Axes, grade: int | None = None) -> Axes:
    """Draw promotion incidence curves by track (Aalen–Johansen solid, naive KM dashed).

    Parameters
    ----------
    result
        The ``incidence`` result of :func:`time_to_promotion`.
    ax
        Axes to draw on.
    grade
        One grade, or None for each track pooled over its grades.

    Returns
    -------
    matplotlib.axes.Axes
    """
    cur = result.tables["curves"]
    sel = cur["grade"].isna() if grade is None else cur["grade"] == grade
    cur = cur.loc[sel.fillna(False).to_numpy() & ~cur["suppressed"].to_numpy()]
    colours = {"IC": "tab:blue", "M": "tab:orange"}
    for (track, est), part in cur.groupby(["track", "estimator"], sort=True):
        c = colours.get(str(track), None)
        if est == AJ:
            ax.step(
                part["time"],
                part["estimate"],
                where="post",
                color=c,
                label=f"{track}: {ESTIMATOR_LABELS[AJ]}",
            )
            ax.fill_between(
                part["time"],
                part["ci_lower"],
                part["ci_upper"],
                step="post",
                color=c,
                alpha=0.2,
                linewidth=0,
            )
        else:
            ax.step(
                part["time"],
                part["estimate"],
                where="post",
                color=c,
                linestyle="--",
                linewidth=1,
                label=f"{track}: {ESTIMATOR_LABELS[NAIVE_KM]}",
            )
    where = "all grades" if grade is None else f"grade {grade}"
    ax.set_xlabel("years in level")
    ax.set_ylabel("probability of promotion")
    ax.set_title(f"Promotion by time in level, {where}")
    ax.set_ylim(0, 1)
    ax.legend(fontsize="small", loc="upper left")
    return ax


def plot_hazard_ratios(result: Result, ax: Axes) -> Axes:
    """Draw hazard ratios (IC vs M, pooled and per grade) with their intervals, log scale.

    Parameters
    ----------
    result
        The ``hazard`` result of :func:`time_to_promotion`.
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
    """
    tab = result.table
    tab = tab.loc[tab["term"].astype("str").str.contains(" vs ") & ~tab["suppressed"]]
    y = np.arange(len(tab))[::-1]
    est = tab["estimate"].to_numpy(dtype=float)
    lo = tab["ci_lower"].to_numpy(dtype=float)
    hi = tab["ci_upper"].to_numpy(dtype=float)
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="o", color="black", capsize=3)
    ax.axvline(1.0, color="grey", linestyle=":")
    ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels(tab["term"].astype("str"))
    ax.set_xlabel("hazard ratio of promotion (rate among those still in level)")
    ax.set_title(
        "Promotion hazard ratio, with 95% CI"
        if result.meta.get("alpha") == 0.05
        else "Promotion hazard ratio, with CI"
    )
    return ax


def _plot_incidence_default(result: Result, ax: Axes) -> Axes:
    return plot_incidence(result, ax)


# --------------------------------------------------------------------------- the analysis


@dataclass(frozen=True)
class PromotionAudit:
    """Every figure of the time-to-promotion analysis, each a :class:`~pathaudit.result.Result`.

    Attributes
    ----------
    headline
        IC - M difference in the probability of promotion within the headline
        horizon (3 years), standardised to the pooled grade mix, with its CI;
        per-grade differences in ``tables["by_grade"]``.
    incidence
        Probability of promotion within 1, 2, 3, 5 years by track and grade
        (Aalen–Johansen beside the naive Kaplan–Meier); ``tables``: ``median``,
        ``curves``. ``plot()`` draws the curves by track.
    hazard
        Cause-specific Cox hazard ratios (IC vs M pooled and per grade, and the
        controls); ``tables["logrank"]``. ``plot()`` draws the hazard ratios.
    rates
        Promotions per 100 person-years by track, grade and fiscal year.
    velocity
        Years from hire to first reach each grade, by track: cumulative
        incidence from hire (``table``) and among those who reach it
        (``tables["among_reached"]``).
    parity
        Demographic parity within track (``group`` column, e.g. gender):
        difference in 3-year probability vs the largest group, hazard ratios
        (``tables["hazard"]``), probabilities by group (``tables["probability"]``),
        and the four-fifths impact ratio (``tables["impact_ratio"]``,
        ``tables["impact_ratio_by_year"]``).
    snapshot
        For snapshot-only data, time since the last promotion by track and
        grade (the other parts are None).
    notes
        Plain statements the reader needs (e.g. what a snapshot cannot show).
    """

    headline: Result | None = None
    incidence: Result | None = None
    hazard: Result | None = None
    rates: Result | None = None
    velocity: Result | None = None
    parity: Result | None = None
    snapshot: Result | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def results(self) -> dict[str, Result]:
        """Name -> Result for every part computed (for the audit runner)."""
        names = ("headline", "incidence", "hazard", "rates", "velocity", "parity", "snapshot")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}

    def summary(self) -> str:
        """Return a readable text summary of every part."""
        parts = [*self.notes]
        for name, res in self.results().items():
            parts.append(f"== {name} ==\n{res.summary()}")
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.summary()

    def plot_incidence(self, ax: Axes | None = None, grade: int | None = None) -> Axes:
        """Promotion incidence curves by track (one grade, or pooled)."""
        import matplotlib.pyplot as plt

        if self.incidence is None:
            raise PathauditError(self.notes[0] if self.notes else "No incidence was computed.")
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        return plot_incidence(self.incidence, ax, grade)

    def plot_hazard_ratios(self, ax: Axes | None = None) -> Axes:
        """Hazard ratios IC vs M with their intervals."""
        if self.hazard is None:
            raise PathauditError(self.notes[0] if self.notes else "No hazard ratio was computed.")
        return self.hazard.plot(ax)

    def headline_figures(self) -> list[dict[str, Any]]:
        """Headline figures for ``summary.json``: name, estimate, CI, n, definition."""
        out = []
        if self.headline is not None:
            row = self.headline.table.iloc[0]
            out.append(
                {
                    "name": "IC - M difference in 3-year probability of promotion, within grade",
                    "estimate": row["estimate"],
                    "ci_lower": row["ci_lower"],
                    "ci_upper": row["ci_upper"],
                    "n": row["n"],
                    "definition": self.headline.meta["definition"],
                }
            )
        if self.hazard is not None:
            t = self.hazard.table
            r = t.loc[t["term"] == "IC vs M"]
            if len(r):
                r = r.iloc[0]
                out.append(
                    {
                        "name": "promotion hazard ratio IC vs M (cause-specific Cox)",
                        "estimate": r["estimate"],
                        "ci_lower": r["ci_lower"],
                        "ci_upper": r["ci_upper"],
                        "n": r["n"],
                        "definition": HR_CAVEAT,
                    }
                )
        if self.snapshot is not None:
            out.append(
                {
                    "name": "time to promotion",
                    "estimate": None,
                    "ci_lower": None,
                    "ci_upper": None,
                    "n": None,
                    "definition": SNAPSHOT_STATEMENT,
                }
            )
        return out


def _suppress_by_risk(table: pd.DataFrame, k: int) -> pd.DataFrame:
    """Mark rows whose figure rests on fewer than ``k`` spells still at risk."""
    out = table.copy()
    small = out["n_at_risk"].to_numpy(dtype=float) < k
    prev = out["suppressed"].to_numpy(dtype=bool) if "suppressed" in out else False
    out["suppressed"] = small | prev
    return out


def time_to_promotion(
    data: AuditData,
    *,
    horizons: Sequence[float] = HORIZONS,
    headline_horizon: float = 3.0,
    controls: Sequence[str] = ("tenure_at_start", "job_family", "location", "gender"),
    group: str = "gender",
    alpha: float = 0.05,
    seed: int = stats.BOOTSTRAP_SEED,
    k: int | None = None,
) -> PromotionAudit:
    r"""Time to promotion by track, with exit and switch as competing events.

    Parameters
    ----------
    data
        Loaded dataset (:func:`pathaudit.load` or a simulation's ``.data``).
    horizons
        Years at which the probability of promotion is reported.
    headline_horizon
        Horizon of the headline difference (default 3 years).
    controls
        Covariates of the Cox model, used when present in the spells
        (``tenure_at_start``, ``job_family``, ``location`` at the spell's
        start; demographics such as ``gender``).
    group
        Demographic column for parity within track (default ``"gender"``);
        skipped when the data has none.
    alpha
        1 - confidence level of every interval.
    seed
        Seed of the bootstrap intervals (velocity medians).
    k
        Minimum cell size (default ``data.min_cell_size``).

    Returns
    -------
    PromotionAudit
        ``headline``, ``incidence``, ``hazard``, ``rates``, ``velocity``,
        ``parity`` (each a :class:`~pathaudit.result.Result`; see
        :class:`PromotionAudit`). For snapshot-only data only ``snapshot`` is
        set and ``notes`` says what needs history.

    Notes
    -----
    Population: spells below the top grade of their own track (the top in the
    spell's unit where the ladder is unit-specific). Clock: years since the
    spell's start (time in level); spells that began before ``history_start``
    enter late. Event: promotion (grade up within the track); competing:
    exit, track switch, demotion or lateral move; open spells censored at
    as-of. The headline is
    :math:`\sum_g w_g [F_{IC,g}(3) - F_{M,g}(3)]` over grades where both
    tracks have spells below their top, :math:`w_g` the grade's share of
    those spells, with a person-clustered variance
    (:func:`cif_difference`). Hazard ratios are rates among those still at
    risk, never probabilities. ``docs/promotion.md`` defines every figure.
    """
    k = data.min_cell_size if k is None else k
    if data.is_snapshot:
        tab = time_since_promotion(data, alpha=alpha, seed=seed)
        snap = make_result(
            tab
            if len(tab)
            else pd.DataFrame(
                {"track": [], "grade": [], "estimate": [], "ci_lower": [], "ci_upper": [], "n": []}
            ),
            analysis="time since last promotion (snapshot)",
            definition=(
                "Median years since the last promotion (or level entry) of people employed "
                "on as-of, by track and grade; share in level more than 3 years. "
                + SNAPSHOT_STATEMENT
            ),
            method="median with percentile-bootstrap CI (B = 2000); Wilson CI for the share",
            population="people employed on as-of with a known last promotion date",
            data=data,
            alpha=alpha,
            k=k,
            label_cols=LABEL_COLUMNS,
        )
        return PromotionAudit(snapshot=snap, notes=(SNAPSHOT_STATEMENT,))

    sp, excluded = promotion_spells(data)
    population = (
        "spells below the top grade of their own track; time since the spell's start; "
        "spells begun before history_start enter late"
    )
    n_in = len(data.spells)
    if sp.empty:
        raise PathauditError(
            "No spell is below the top of its track, so no one can be promoted. Check that "
            "the ladder's grades rank levels (higher grade = more senior)."
        )
    common = {
        "data": data,
        "alpha": alpha,
        "k": k,
        "n_in": n_in,
        "excluded": excluded,
        "label_cols": LABEL_COLUMNS,
    }

    # --- incidence
    ci = cumulative_incidence(
        sp, ("track", "grade"), horizons, alpha, pooled=("grade",), min_at_risk=k
    )
    prob = _suppress_by_risk(ci["probability"], k)
    prob["estimator_label"] = prob["estimator"].map(ESTIMATOR_LABELS)
    curves = ci["curves"]
    incidence = make_result(
        prob,
        analysis="probability of promotion by time in level",
        definition=(
            "Probability that a spell ends in promotion within t years of its start, with "
            "exit, track switch and other level changes as competing events (Aalen–Johansen); "
            "the naive Kaplan–Meier, which censors leavers and switchers as if they could "
            "still be promoted, is shown beside it and overstates promotion."
        ),
        method=(
            "Aalen–Johansen with delayed entry; pointwise log(-log) CI from the delta-method "
            "variance; naive KM with Greenwood variance; median = first time the curve "
            "reaches 0.5, else not reached"
        ),
        population=population,
        tables={"median": ci["median"], "curves": curves},
        plotter=_plot_incidence_default,
        **common,
    )

    # --- headline: within grade (the answer), then pooled over grades (grade mix differs)
    diff = cif_difference(sp, "track", ("IC", "M"), headline_horizon, "grade", alpha)
    pooled_diff = cif_difference(sp, "track", ("IC", "M"), headline_horizon, None, alpha)
    head = pd.DataFrame(
        [
            {
                "comparison": label,
                "within_grade": within,
                "horizon": headline_horizon,
                "estimate": d["estimate"],
                "ci_lower": d["ci_lower"],
                "ci_upper": d["ci_upper"],
                "se": d["se"],
                "p_value": d["p_value"],
                "mde": d["mde"],
                "probability_ic": d["estimate_a"],
                "probability_m": d["estimate_b"],
                "n": d["n"],
                "n_ic": d["n_a"],
                "n_m": d["n_b"],
            }
            for label, within, d in (
                ("IC - M, within grade", True, diff),
                ("IC - M, pooled over grades", False, pooled_diff),
            )
        ]
    )
    by_grade = diff["by_stratum"].rename(
        columns={
            "stratum": "grade",
            "estimate_a": "probability_ic",
            "estimate_b": "probability_m",
            "difference": "estimate",
            "n_a": "n_ic",
            "n_b": "n_m",
        }
    )
    if len(by_grade):
        by_grade["grade"] = pd.array(by_grade["grade"], dtype="Int64")
        by_grade["n"] = np.minimum(by_grade["n_ic"], by_grade["n_m"])
    h = f"{headline_horizon:g}"
    headline = make_result(
        head,
        analysis="IC - M difference in the probability of promotion within 3 years",
        definition=(
            f"Sum over grades of w_g * [F_IC,g({h}) - F_M,g({h})]: "
            "the difference in the probability of promotion within "
            f"{h} years of entering a level, IC minus M, compared within grade "
            "and weighted by each grade's share of spells (grades where both tracks have spells "
            "below their top). Negative: ICs are promoted less often within the horizon. "
            "The second row pools each track over all its grades; it mixes the difference "
            "associated with track with the tracks' different grade mix."
        ),
        method=(
            "Aalen–Johansen per track and grade; person-clustered influence-function "
            "variance (a person with spells in several grades or both tracks is one cluster); "
            "Wald CI; mde = difference detectable with 80% power"
        ),
        population=population,
        tables={"by_grade": by_grade},
        **common,
    )

    # --- hazards
    not_estimable = ""
    try:
        hr = promotion_hazard_ratios(sp, controls, alpha)
    except PathauditError as err:  # e.g. no promotion at all in one track
        not_estimable = f"The Cox model could not be fitted: {err}"
        warnings.warn(not_estimable, StatisticalWarning, stacklevel=2)
        hr = pd.DataFrame(
            {"term": [], "estimate": [], "ci_lower": [], "ci_upper": [], "n": [], "grade": []}
        )
    lr = logrank_by_track(sp)
    hazard = make_result(
        hr,
        analysis="promotion hazard ratio, IC vs M (cause-specific Cox)",
        definition=HR_CAVEAT,
        method=(
            "Cox proportional hazards for promotion (exit, switch and other changes "
            "censor), stratified by grade, Breslow ties, delayed entry; sandwich SE "
            "clustered by person; Holm-adjusted p for the per-grade ratios; log-rank tests "
            "(stratified by grade and per grade)"
        ),
        population=population,
        tables={"logrank": lr},
        plotter=plot_hazard_ratios,
        caveat=HR_CAVEAT,
        not_estimable=not_estimable,
        **common,
    )

    # --- rates
    rt = promotion_rates(data.exposure, data.ladder, alpha)
    rates = make_result(
        rt,
        analysis="promotions per 100 person-years",
        definition=(
            "Promotions / person-years x 100 by track, grade and fiscal year, from the exposure "
            "table (observed time only), below the top of each track."
        ),
        method="exact Poisson (Garwood) CI",
        population="person-time below the top grade of the own track",
        **common,
    )

    # --- velocity
    vel = velocity(data.spells, data.history_start, alpha=alpha, seed=seed)
    velocity_res = make_result(
        vel["incidence"]
        if len(vel["incidence"])
        else pd.DataFrame(
            {"grade": [], "track": [], "estimate": [], "ci_lower": [], "ci_upper": [], "n": []}
        ),
        analysis="years from hire to first reach each grade",
        definition=(
            "Probability of having first reached grade g (or above) on each track within t "
            "years of hire, among employment episodes below g when first observed; exit "
            "competes. The median among those who reached it conditions on reaching it."
        ),
        method="Aalen–Johansen from hire with delayed entry; bootstrap CI for medians",
        population="employment episodes below the grade when first observed",
        tables={"among_reached": vel["among_reached"]},
        **common,
    )

    # --- parity
    parity = None
    if group in sp.columns and sp[group].notna().any():
        parity = _parity(
            sp, group, headline_horizon, horizons, controls, alpha, data, common, population
        )
    notes = (HR_CAVEAT,)
    return PromotionAudit(
        headline=headline,
        incidence=incidence,
        hazard=hazard,
        rates=rates,
        velocity=velocity_res,
        parity=parity,
        notes=notes,
    )


def _parity(
    sp: pd.DataFrame,
    group: str,
    at: float,
    horizons: Sequence[float],
    controls: Sequence[str],
    alpha: float,
    data: AuditData,
    common: dict[str, Any],
    population: str,
) -> Result:
    rows = []
    hz_parts = []
    prob_parts = []
    sp = sp.loc[sp[group].notna()].copy()
    sp[group] = sp[group].astype("str")
    for track, part in sp.groupby("track", sort=True):
        counts = part.groupby(group)["employee_id"].nunique().sort_values(ascending=False)
        if len(counts) < 2:
            continue
        ref = str(counts.index[0])
        for other in counts.index[1:]:
            d = cif_difference(part, group, (str(other), ref), at, "grade", alpha)
            rows.append(
                {
                    "track": track,
                    "group": other,
                    "reference": ref,
                    "horizon": at,
                    "estimate": d["estimate"],
                    "ci_lower": d["ci_lower"],
                    "ci_upper": d["ci_upper"],
                    "p_value": d["p_value"],
                    "mde": d["mde"],
                    "probability_group": d["estimate_a"],
                    "probability_reference": d["estimate_b"],
                    "n": min(d["n_a"], d["n_b"]),
                    "n_group": d["n_a"],
                    "n_reference": d["n_b"],
                }
            )
            with warnings.catch_warnings():
                warnings.simplefilter("error", StatisticalWarning)
                try:
                    h = promotion_hazard_ratios(
                        part,
                        [c for c in controls if c != group],
                        alpha,
                        compare=group,
                        levels=(str(other), ref),
                        per_stratum=False,
                        label=f"{other} vs {ref}",
                    )
                except (PathauditError, StatisticalWarning):
                    h = pd.DataFrame()
            if len(h):
                h = h.loc[h["term"] == f"{other} vs {ref}"].assign(track=track)
                hz_parts.append(h)
        pr = cumulative_incidence(part, (group,), horizons, alpha, pooled=())
        prob_parts.append(pr["probability"].assign(track=track))
    table = pd.DataFrame(rows)
    if len(table):
        table["p_adjusted"] = stats.adjust_pvalues(table["p_value"], "holm")
    else:
        table = pd.DataFrame(
            {"track": [], "group": [], "estimate": [], "ci_lower": [], "ci_upper": [], "n": []}
        )
    prob = pd.concat(prob_parts, ignore_index=True) if prob_parts else pd.DataFrame({"n": []})
    if len(prob):
        prob = _suppress_by_risk(prob, common["k"])
    haz = pd.concat(hz_parts, ignore_index=True) if hz_parts else pd.DataFrame({"n": []})
    imp = impact_ratios(sp, group, data.history_start, data.as_of, alpha)
    return make_result(
        table,
        analysis=f"promotion parity by {group} within track",
        definition=(
            f"Difference in the probability of promotion within {at:g} years between each "
            f"{group} group and the largest group of the same track, compared within grade. "
            "The impact ratio is each group's annual promotion proportion (promoted during "
            "the year / in a level below the top on 1 January) over the highest group's, "
            "flagged below 0.8 (the four-fifths rule, 29 CFR 1607.4(D))."
        ),
        method=(
            "Aalen–Johansen with person-clustered variance; cause-specific Cox stratified by "
            "grade; impact ratio with a Wald CI on the log scale (person-clustered)"
        ),
        population=population,
        tables={
            "probability": prob,
            "hazard": haz,
            "impact_ratio": imp["pooled"],
            "impact_ratio_by_year": imp["by_year"],
        },
        **common,
    )
