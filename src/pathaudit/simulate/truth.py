r"""The truth of a simulated organisation: for each estimator, the value it targets.

Every figure here is computed from the simulator's own monthly hazards
(:func:`~pathaudit.simulate.config.monthly_hazards`) or from the noise-free pay
of the people in the data -- never by re-estimating from the simulated data.
Each key is documented in ``docs/simulation.md``.

Cumulative incidence targets
----------------------------
An Aalen--Johansen estimator pools spells that differ (by gender, unit, calendar
time, time since a switch) and that are censored at different durations. Its
target is the product-limit of the *at-risk-averaged* monthly hazards:

.. math::

    \lambda_c(k) = \frac{\sum_j w_j a_j(k) h_{jc}(k)}{\sum_j w_j a_j(k)},\qquad
    a_j(k) = \frac{S_j(k-1)}{S_j(e_j)}\,[e_j < k \le c_j],

where ``h_jc(k)`` is the hazard of cause ``c`` in the ``k``-th month of spell
profile ``j``, ``S_j`` its survival, ``e_j`` its delayed entry and ``c_j`` its
last observed month. Then ``F(k) = sum_{i<=k} S(i-1) lambda_c(i)`` with
``S(k) = prod (1 - lambda_all(i))``. Event days are uniform within months and a
spell starts on a uniform day of its first month, so the duration of an event in
month ``k`` is ``k + U2 - U1`` months (``U`` uniform): the continuous-time CIF is
``F(t) = sum_k f_k T(t - k)`` with ``T`` the triangular CDF on ``[-1, 1]`` (exact up
to unequal month lengths, under two days).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from pathaudit.simulate._engine import run
from pathaudit.simulate._tables import current_people
from pathaudit.simulate.config import (
    EVENT_NAMES,
    EXIT_INVOLUNTARY,
    EXIT_OTHER,
    EXIT_VOLUNTARY,
    NEVER,
    PROMOTION,
    TO_IC,
    TO_M,
    SimConfig,
    adoption_ratio,
    ic_top,
    monthly_hazards,
)
from pathaudit.stats.regression import treatment_dummies

YEARS = (1, 2, 3, 5)
"""Horizons (years) of the promotion cumulative incidence in the truth."""

DAYS_PER_YEAR = 365.25


# -- cumulative incidence machinery -----------------------------------------------------------


def triangular_cdf(x: np.ndarray) -> np.ndarray:
    """CDF of ``U2 - U1`` for independent uniforms: the within-month timing of an event."""
    x = np.asarray(x, dtype=float)
    return np.where(
        x <= -1, 0.0, np.where(x <= 0, 0.5 * (1 + x) ** 2, np.where(x < 1, 1 - 0.5 * (1 - x) ** 2,
                                                                     1.0))
    )


def smooth_cif(increments: np.ndarray, t_months: np.ndarray | float) -> np.ndarray:
    """Continuous-time CIF from monthly increments ``f_k`` (``k = 1..K``, last axis).

    Parameters
    ----------
    increments
        ``f_k = S(k-1) lambda_c(k)``, the probability of the event in month ``k``.
    t_months
        Durations (months) at which to evaluate.

    Returns
    -------
    numpy.ndarray
        ``F(t) = sum_k f_k T(t - k)``.
    """
    f = np.asarray(increments, dtype=float)
    t = np.atleast_1d(np.asarray(t_months, dtype=float))
    k = np.arange(1, f.shape[-1] + 1)
    weights = triangular_cdf(t[:, None] - k[None, :])
    return f @ weights.T


def aj_estimand(
    h_cause: np.ndarray,
    h_all: np.ndarray,
    weight: np.ndarray,
    entry: np.ndarray | None = None,
    last: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Monthly increments of the Aalen--Johansen target for a mixture of spell profiles.

    Parameters
    ----------
    h_cause, h_all
        ``(P, K)`` hazard of the cause of interest and of all causes in month ``k``.
    weight
        ``(P,)`` number of spells with each profile.
    entry
        ``(P,)`` delayed entry in months (at risk from month ``entry + 1``); default 0.
    last
        ``(P,)`` last observed month (censoring); default ``K``.

    Returns
    -------
    increments, survival
        ``f_k`` and ``S(k)`` for ``k = 1..K``.
    """
    P, K = h_all.shape
    k = np.arange(1, K + 1)
    entry = np.zeros(P, dtype=np.int64) if entry is None else np.asarray(entry)
    last = np.full(P, K) if last is None else np.asarray(last)
    surv = np.cumprod(1.0 - h_all, axis=1)
    before = np.hstack([np.ones((P, 1)), surv[:, :-1]])  # S_j(k - 1)
    at_entry = np.where(entry > 0, surv[np.arange(P), np.clip(entry - 1, 0, K - 1)], 1.0)
    at_risk = (k[None, :] > entry[:, None]) & (k[None, :] <= last[:, None])
    mass = weight[:, None] * before / at_entry[:, None] * at_risk
    total = mass.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        lam_c = np.where(total > 0, (mass * h_cause).sum(axis=0) / total, 0.0)
        lam_all = np.where(total > 0, (mass * h_all).sum(axis=0) / total, 0.0)
    S = np.cumprod(1.0 - lam_all)
    S_before = np.concatenate([[1.0], S[:-1]])
    return S_before * lam_c, S


# -- stall thresholds -------------------------------------------------------------------------


def _median_or_p75(increments: np.ndarray) -> float:
    """DOMAIN stall threshold from a CIF: the median, else the 75th percentile among promoted."""
    grid = np.arange(0.0, increments.size + 1.0, 0.05)
    F = smooth_cif(increments, grid)
    total = F[-1]
    if total <= 0:
        return float(NEVER)
    level = 0.5 if total >= 0.5 else 0.75 * total
    return float(grid[np.argmax(F >= level - 1e-12)])


def stall_thresholds(config: SimConfig, horizon_months: int | None = None) -> np.ndarray:
    """Stall threshold (months) per grade: the DOMAIN definition from the true hazards.

    Parameters
    ----------
    config
        Simulation parameters; if ``config.stall_months`` is set it is returned.
    horizon_months
        Longest follow-up: the median must be reached within it, and it stands for
        "ever" in the 75th-percentile rule. Default: the simulated months (the longest
        time in level the data can show).

    Returns
    -------
    numpy.ndarray
        Length 10, indexed by grade.

    Notes
    -----
    For each IC grade below the pre-adoption ceiling: the IC median time to promotion
    (smallest ``t`` with ``F(t) >= 0.5``), or where ``F(horizon) < 0.5`` the smallest ``t``
    with ``F(t) >= 0.75 F(horizon)`` (the 75th percentile of time to promotion among those
    promoted within the horizon), with ``F`` the CIF of promotion with switch and exit
    competing, for a new IC spell in a unit that has not adopted, men and women mixed as at
    IC hire. Being stalled raises the competing hazards after the threshold, so the threshold
    is iterated to a fixed point (at most 50 steps). At and above the ceiling the threshold
    of the grade below the ceiling applies.
    """
    if config.stall_months is not None:
        return np.asarray(config.stall_months, dtype=float)
    lo, top = config.ic_grades
    out = np.full(10, float(NEVER))
    horizon_months = config.n_months if horizon_months is None else int(horizon_months)
    k = np.arange(1, horizon_months + 1)
    w_female = config.female_share_ic
    for g in range(lo, top):
        tau = np.full(10, float(NEVER))
        current = float(NEVER)
        for _ in range(50):
            tau[g] = current
            inc = np.zeros(horizon_months)
            for female, w in ((True, w_female), (False, 1.0 - w_female)):
                H = monthly_hazards(config, track=0, grade=g, months_in_level=k,
                                    since_switch=NEVER, female=female, adopted=False,
                                    stall_months=tau)
                f, _ = aj_estimand(H[None, :, PROMOTION], H[None, :].sum(axis=-1),
                                   np.ones(1))
                inc += w * f
            new = _median_or_p75(inc)
            if abs(new - current) < 0.05:
                current = new
                break
            current = new
        out[g] = current
    below = out[top - 1] if top - 1 >= lo else float(NEVER)
    out[top:] = below
    return out


# -- helpers ---------------------------------------------------------------------------------


def _raw_frame(raw: Any, mask: np.ndarray) -> pd.DataFrame:
    """True spells of a run selected by ``mask``, in the form :func:`promotion_cif_target` takes."""
    sp = raw.spells
    return pd.DataFrame({
        "track": sp["track"][mask],
        "grade": sp["grade"][mask],
        "start_month": sp["start_month"][mask],
        "unit": sp["unit"][mask],
        "female": sp["female"][mask].astype(np.int64),
        "switch_month": sp["switch_month"][mask],
    })


def _profiles(config: SimConfig, spells: pd.DataFrame) -> pd.DataFrame:
    """Distinct spell profiles (and their counts)."""
    track = spells["track"].to_numpy()
    if track.dtype.kind not in "iu":
        track = (np.asarray(track, dtype=object) == "M").astype(np.int64)
    if "unit" in spells:
        unit = spells["unit"].to_numpy(dtype=np.int64)
    else:
        unit = pd.Index(config.units).get_indexer(spells["org_unit"].to_numpy(dtype=object))
    window = config.switch_window_months
    since0 = np.minimum(
        spells["start_month"].to_numpy() - spells["switch_month"].to_numpy(), window + 1
    )
    frame = pd.DataFrame({
        "track": track,
        "grade": spells["grade"].to_numpy(dtype=np.int64),
        "start_month": spells["start_month"].to_numpy(dtype=np.int64),
        "unit": unit,
        "female": spells["female"].to_numpy().astype(np.int64),
        "since0": since0.astype(np.int64),
    })
    return frame.value_counts(sort=False).rename("weight").reset_index()


def _profile_hazards(
    config: SimConfig, stall_months: np.ndarray, prof: pd.DataFrame, K: int
) -> np.ndarray:
    """``(P, K, 6)`` hazards of profiles in months ``k = 1..K`` of their spell."""
    k = np.arange(1, K + 1)[None, :]
    start = prof["start_month"].to_numpy()[:, None]
    adopt = config.adoption_array()[prof["unit"].to_numpy()][:, None]
    return monthly_hazards(
        config,
        track=prof["track"].to_numpy()[:, None],
        grade=prof["grade"].to_numpy()[:, None],
        months_in_level=k,
        since_switch=prof["since0"].to_numpy()[:, None] + k,
        female=prof["female"].to_numpy()[:, None].astype(bool),
        adopted=adopt <= start + k,
        stall_months=stall_months,
    )


def promotion_cif_target(
    config: SimConfig,
    stall_months: np.ndarray,
    spells: pd.DataFrame,
    years: tuple[float, ...] = YEARS,
    hs_month: int = 0,
) -> dict[str, float]:
    """Aalen--Johansen target of the CIF of promotion for a set of simulated spells.

    Parameters
    ----------
    config
        Simulation parameters.
    stall_months
        Stall thresholds used by the run (``truth["config"]["stall_months_used"]``).
    spells
        One row per spell: ``track`` (``"IC"``/``"M"`` or 0/1), ``grade``,
        ``start_month`` (month index of the spell start), ``org_unit`` (or ``unit``
        index), ``female`` and ``switch_month`` (month of the last IC->M switch in the
        episode before the spell; very negative if none) -- as in
        ``Simulation.true_spells``.
    years
        Horizons.
    hs_month
        Month index of ``history_start`` (delayed entry).

    Returns
    -------
    dict
        ``{str(year): F(year)}`` with exit and switch competing; censoring at the last
        simulated month and delayed entry as in the data (see the module notes).
    """
    if len(spells) == 0:
        return {}
    prof = _profiles(config, spells)
    K = int(12 * max(years)) + 1
    H = _profile_hazards(config, np.asarray(stall_months, dtype=float), prof, K)
    return _cif_of_profiles(config, prof, H, np.ones(len(prof), dtype=bool), years, hs_month)


def _cif_of_profiles(
    config: SimConfig,
    prof: pd.DataFrame,
    H: np.ndarray,
    mask: np.ndarray,
    years: tuple[float, ...],
    hs_month: int,
) -> dict[str, float]:
    t = np.array([12.0 * y for y in years])
    start = prof["start_month"].to_numpy()[mask]
    entry = np.maximum(hs_month - start - 1, 0)
    last = (config.n_months - 1) - start
    Hm = H[mask]
    f, _ = aj_estimand(
        Hm[..., PROMOTION], Hm.sum(axis=-1), prof["weight"].to_numpy(dtype=float)[mask], entry,
        last,
    )
    return {_year_key(y): float(v) for y, v in zip(years, smooth_cif(f, t), strict=True)}


def _year_key(y: float) -> str:
    return str(int(y)) if float(y).is_integer() else str(y)


def below_top_at_start(raw: Any) -> np.ndarray:
    """Whether each true spell started below the top of its track (ladder of its unit then)."""
    sp, c = raw.spells, raw.config
    adopted = c.adoption_array()[sp["unit"]] <= sp["start_month"]
    top = np.where(sp["track"] == 0, ic_top(c, adopted), c.m_grades[1])
    return sp["grade"] < top


# -- the truth, part by part -------------------------------------------------------------------


def _promotion_cifs(
    config: SimConfig, raw: Any, mask: np.ndarray
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """CIF targets by track and grade, pooled by track, and spell counts, under ``config``."""
    cif: dict[str, dict[str, dict[str, float]]] = {}
    n_spells: dict[str, dict[str, int]] = {}
    pooled: dict[str, dict[str, float]] = {}
    if not mask.any():
        return cif, pooled, n_spells
    prof = _profiles(config, _raw_frame(raw, mask))
    H = _profile_hazards(config, raw.stall_months, prof, int(12 * max(YEARS)) + 1)
    tracks = prof["track"].to_numpy()
    grades = prof["grade"].to_numpy()
    weight = prof["weight"].to_numpy()
    for tr, name in ((0, "IC"), (1, "M")):
        if not (tracks == tr).any():
            continue
        pooled[name] = _cif_of_profiles(config, prof, H, tracks == tr, YEARS, raw.hs_month)
        cif[name], n_spells[name] = {}, {}
        for g in np.unique(grades[tracks == tr]):
            sel = (tracks == tr) & (grades == g)
            cif[name][str(int(g))] = _cif_of_profiles(config, prof, H, sel, YEARS, raw.hs_month)
            n_spells[name][str(int(g))] = int(weight[sel].sum())
    return cif, pooled, n_spells


def _diff3(pooled: dict[str, Any]) -> float | None:
    return pooled["IC"]["3"] - pooled["M"]["3"] if "IC" in pooled and "M" in pooled else None


def promotion_truth(raw: Any) -> dict[str, Any]:
    """CIF of promotion by track and grade, pooled by track, and the 3-year IC - M difference.

    ``cif`` is the target of the estimator on the data as simulated (adoption included);
    ``cif_pre_adoption`` the same spells' target had no unit adopted (spells at the
    pre-adoption top left out).
    """
    c, sp = raw.config, raw.spells
    observed = sp["end_month"] >= raw.hs_month
    base = observed & below_top_at_start(raw)
    cif, pooled, n_spells = _promotion_cifs(c, raw, base)
    never = c.replace(adoption_months=(None,) * len(c.units))
    top = np.where(sp["track"] == 0, c.ic_grades[1], c.m_grades[1])
    pre, pre_pooled, _ = _promotion_cifs(never, raw, observed & (sp["grade"] < top))
    return {
        "hr_ic_vs_m": c.promotion_hr_ic,
        "cif": cif,
        "cif_pooled": pooled,
        "cif_3y_diff": _diff3(pooled),
        "n_spells": n_spells,
        "cif_pre_adoption": pre,
        "cif_pooled_pre_adoption": pre_pooled,
        "cif_3y_diff_pre_adoption": _diff3(pre_pooled),
        "stall_threshold_years": {
            str(g): float(raw.stall_months[g] / 12.0)
            for g in range(c.ic_grades[0], c.adopted_ic_top + 1)
            if raw.stall_months[g] < NEVER
        },
    }


def switch_back_cif_target(
    config: SimConfig,
    stall_months: np.ndarray,
    switches: pd.DataFrame,
    months: int = 24,
) -> float | None:
    """Aalen--Johansen target of the CIF of switching back to IC after IC->M switches.

    Parameters
    ----------
    config
        Simulation parameters.
    stall_months
        Stall thresholds used by the run.
    switches
        One row per IC->M switch: ``month`` (month index of the switch), ``org_unit`` (or
        ``unit`` index), ``female`` and ``grade``.
    months
        Horizon in months.

    Returns
    -------
    float or None
        ``F(months)``: switch back to IC within the horizon, any exit competing (a
        promotion within the M track does not end follow-up), censored at the last
        simulated month; None without switches.
    """
    if len(switches) == 0:
        return None
    unit = (switches["unit"].to_numpy(dtype=np.int64) if "unit" in switches else
            pd.Index(config.units).get_indexer(switches["org_unit"].to_numpy(dtype=object)))
    frame = pd.DataFrame({
        "month": switches["month"].to_numpy(dtype=np.int64), "unit": unit,
        "female": switches["female"].to_numpy().astype(np.int64),
        "grade": switches["grade"].to_numpy(dtype=np.int64),
    }).value_counts(sort=False).rename("weight").reset_index()
    K = months + 1
    k = np.arange(1, K + 1)[None, :]
    sm = frame["month"].to_numpy()[:, None]
    adopt = config.adoption_array()[frame["unit"].to_numpy()][:, None]
    H = monthly_hazards(config, track=1, grade=frame["grade"].to_numpy()[:, None],
                        months_in_level=k, since_switch=k,
                        female=frame["female"].to_numpy()[:, None].astype(bool),
                        adopted=adopt <= sm + k, stall_months=np.asarray(stall_months, float))
    ends = H[..., TO_IC] + H[..., EXIT_VOLUNTARY:].sum(axis=-1)
    last = (config.n_months - 1) - frame["month"].to_numpy()
    f, _ = aj_estimand(H[..., TO_IC], ends, frame["weight"].to_numpy(float), None, last)
    return float(smooth_cif(f, float(months))[0])


def switch_back_truth(raw: Any, months: int = 24) -> tuple[float | None, int]:
    """CIF of a switch back to IC within ``months`` of an IC->M switch, and the switch count."""
    sp = raw.spells
    sel = (sp["end_code"] == TO_M) & (sp["end_month"] >= raw.hs_month)
    switches = pd.DataFrame({
        "month": sp["end_month"][sel], "unit": sp["unit"][sel],
        "female": sp["female"][sel], "grade": sp["grade"][sel],
    })
    return switch_back_cif_target(raw.config, raw.stall_months, switches, months), int(sel.sum())


def _ols(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    return beta


def _hc0_se(X: np.ndarray, y: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Heteroskedasticity-robust (HC0) standard errors of an OLS fit."""
    u = y - X @ beta
    bread = np.linalg.pinv(X.T @ X)
    meat = (X * (u**2)[:, None]).T @ X
    return np.sqrt(np.diag(bread @ meat @ bread))


def _truth_design_fits(cur: pd.DataFrame, se: bool = False) -> dict[str, Any]:
    """The truth design fitted to noise-free log pay: the IC coefficient, overall and by grade.

    ``cur`` holds people employed on as-of with fte > 0 (``track, grade, tenure_years,
    job_family, location, gender, E``). The design is ``C(grade) + is_ic + tenure_years +
    C(job_family) + C(location) + C(gender)`` (first level of each factor the reference); the
    per-grade model has ``is_ic x C(grade)`` for the grades with both tracks in place of
    ``is_ic``. With ``se``, also the HC0 standard errors of those coefficients.
    """
    y = cur["E"].to_numpy()
    is_ic = (cur["track"] == "IC").to_numpy(dtype=float)

    def dummies(col: str) -> np.ndarray:  # reference = first level, as drop_first
        return treatment_dummies(cur[col].to_numpy(), col, reference="first").matrix

    controls = np.hstack(
        [
            dummies("grade"),
            cur["tenure_years"].to_numpy(dtype=float)[:, None],
            dummies("job_family"),
            dummies("location"),
            dummies("gender"),
        ]
    )
    ones = np.ones((len(cur), 1))
    X = np.hstack([ones, is_ic[:, None], controls])
    b = _ols(X, y)
    # per-grade gaps: is_ic x C(grade) for grades with both tracks
    grades = cur["grade"].to_numpy()
    both = [
        g for g in np.unique(grades)
        if ((grades == g) & (is_ic == 1)).any() and ((grades == g) & (is_ic == 0)).any()
    ]
    inter = np.column_stack([is_ic * (grades == g) for g in both]) if both else np.empty(
        (len(cur), 0))
    Xg = np.hstack([ones, inter, controls])
    bg = _ols(Xg, y)
    out: dict[str, Any] = {
        "b": float(b[1]),
        "b_by_grade": {str(int(g)): float(bg[1 + i]) for i, g in enumerate(both)},
    }
    if se:
        out["se"] = float(_hc0_se(X, y, b)[1])
        se_g = _hc0_se(Xg, y, bg)
        out["se_by_grade"] = {str(int(g)): float(se_g[1 + i]) for i, g in enumerate(both)}
    return out


def pay_truth(raw: Any, current: pd.DataFrame) -> dict[str, Any]:
    """Adjusted IC pay gap (overall and by grade) and gender gaps from noise-free pay.

    Parameters
    ----------
    raw
        The run.
    current
        One row per person employed on as-of: ``track, grade, tenure_years, job_family,
        location, gender, E`` (noise-free log pay of their current record).
    """
    c = raw.config
    cur = current.loc[current["fte"] > 0]
    fits = _truth_design_fits(cur)
    gap = float(np.expm1(fits["b"]))
    by_grade = {g: float(np.expm1(v)) for g, v in fits["b_by_grade"].items()}
    grades = cur["grade"].to_numpy()
    # EU-style gender gap of expected pay within track and grade
    eu: dict[str, dict[str, float]] = {}
    pay = np.exp(cur["E"].to_numpy())
    for tr in ("IC", "M"):
        eu[tr] = {}
        for g in np.unique(grades):
            sel = (cur["track"].to_numpy() == tr) & (grades == g)
            men = sel & (cur["gender"].to_numpy() == "Male")
            women = sel & (cur["gender"].to_numpy() == "Female")
            if men.any() and women.any():
                mm = pay[men].mean()
                eu[tr][str(int(g))] = float((mm - pay[women].mean()) / mm)
    # EU Directive indicator per category of workers (grade, tracks pooled) on the people
    # employed on as-of: the mean gap in expected total pay, base plus the target bonus the
    # export carries (base x bonus share, not scaled by fte); annual = actual pay, hourly =
    # annual / (fte x hours). The pay noise is common to both sexes, so it cancels.
    share = np.where(cur["track"].to_numpy() == "IC", c.bonus_ic, c.bonus_m) * np.maximum(
        grades - 1, 0)
    fte = cur["fte"].to_numpy(dtype=float)
    female = cur["gender"].to_numpy() == "Female"
    expected = {"annual": pay * (fte + share), "hourly": pay * (fte + share) / fte}
    eu_category: dict[str, dict[str, float]] = {basis: {} for basis in expected}
    for g in np.unique(grades):
        men, women = (grades == g) & ~female, (grades == g) & female
        if men.any() and women.any():
            for basis, value in expected.items():
                mm = value[men].mean()
                eu_category[basis][str(int(g))] = float((mm - value[women].mean()) / mm)
    return {
        "adjusted_gap": gap,
        "adjusted_gap_log": fits["b"],
        "adjusted_gap_by_grade": by_grade,
        "penalty": c.ic_pay_penalty,
        "eu_gender_gap": eu,
        "eu_category_gap": eu_category,
        "design": "log pay ~ C(grade) + is_ic + tenure_years + C(job_family) + C(location)"
        " + C(gender); noise-free expected log pay; people employed on as_of with fte > 0",
        "n": len(cur),
    }


SUPERPOPULATION_SEED = 1
"""Seed of every configuration's superpopulation run (:func:`superpopulation_pay_gap`)."""

SUPERPOPULATION_DEFINITION = (
    "the truth design of adjusted_gap fitted to the noise-free log pay of one run of the same"
    " configuration at target headcount `headcount`, the initial headcount scaled by the same"
    " factor (same units, adoption dates, hazards and pay model; seed `seed`): the probability"
    " limit of the adjusted gap's estimator for the configuration, over the organisations it"
    " draws; `log_se` is that run's own sampling error (HC0 sandwich of its fit)"
)
"""What ``truth["pay"]["adjusted_gap_superpopulation"]`` is, in words (``truth.json``)."""


def superpopulation_pay_gap(
    config: SimConfig, stall_months: np.ndarray | None = None
) -> dict[str, Any]:
    """The superpopulation adjusted gap of a configuration, from one very large run of it.

    Parameters
    ----------
    config
        Simulation parameters with ``superpopulation_headcount`` > 0.
    stall_months
        Stall thresholds of ``config`` (default: :func:`stall_thresholds`; they do not depend
        on headcount).

    Returns
    -------
    dict
        ``adjusted_gap_superpopulation`` (exp(b) - 1), ``adjusted_gap_superpopulation_log``
        (b), ``adjusted_gap_by_grade_superpopulation`` (``{grade: exp(b_g) - 1}``) and
        ``superpopulation``: ``headcount`` (the run's target headcount), ``factor`` (its
        ratio to the configuration's), ``seed``, ``n`` (people in the fit), ``log_se`` and
        ``log_se_by_grade`` (the run's own sampling error of b and b_g: HC0 sandwich of the
        noise-free fit) and ``definition``.

    Notes
    -----
    Each draw's ``adjusted_gap`` is the truth design fitted to its own people's noise-free
    pay: a conditional, finite-population target that moves from draw to draw with who
    happens to be employed (the gender mix by track, who switched, how many ICs sit in units
    that have adopted). The estimator's probability limit for the configuration is the same
    fit over the whole population the configuration draws from; a run with every headcount
    multiplied by ``s`` draws people from the same distribution (hiring, hazards and pay do
    not depend on headcount), so its fit converges to that limit with an error that
    shrinks as ``1 / sqrt(s)``, ``s = superpopulation_headcount / target_headcount``. The
    person effect and the record noise are independent of every covariate, so the limit on
    noise-free pay is that of the regression on realised pay.

    Examples
    --------
    >>> from pathaudit.simulate.config import small
    >>> sup = superpopulation_pay_gap(small(superpopulation_headcount=300))
    >>> sup["superpopulation"]["factor"], sup["adjusted_gap_superpopulation"] < 0
    (2.0, True)
    """
    if config.superpopulation_headcount < 1:
        raise ValueError(
            "superpopulation_pay_gap needs a configuration with superpopulation_headcount set;"
            " found 0. Set it with config.replace(superpopulation_headcount=100_000)."
        )
    headcount = max(int(config.superpopulation_headcount), config.target_headcount)
    factor = headcount / config.target_headcount
    large = config.replace(
        initial_headcount=round(config.initial_headcount * factor),
        target_headcount=headcount,
        superpopulation_headcount=0,
    )
    stall = stall_thresholds(config) if stall_months is None else np.asarray(stall_months)
    raw = run(large, SUPERPOPULATION_SEED, stall)
    cur = current_people(raw)
    cur = cur.loc[cur["fte"] > 0]
    fits = _truth_design_fits(cur, se=True)
    return {
        "adjusted_gap_superpopulation": float(np.expm1(fits["b"])),
        "adjusted_gap_superpopulation_log": fits["b"],
        "adjusted_gap_by_grade_superpopulation": {
            g: float(np.expm1(v)) for g, v in fits["b_by_grade"].items()
        },
        "superpopulation": {
            "headcount": headcount,
            "factor": factor,
            "seed": SUPERPOPULATION_SEED,
            "n": len(cur),
            "log_se": fits["se"],
            "log_se_by_grade": fits["se_by_grade"],
            "definition": SUPERPOPULATION_DEFINITION,
        },
    }


def attrition_truth(raw: Any) -> dict[str, Any]:
    """Expected exits per 100 person-years by track and type, and the IC/M rate ratio."""
    c = raw.config
    h = raw.risk["h"].reshape(2, 10, 2, 2, 2, 2, 6).sum(axis=(1, 2, 3, 4, 5))
    py = raw.days_by_track_grade.sum(axis=1) / DAYS_PER_YEAR
    rates: dict[str, dict[str, float | None]] = {}
    for j, name in ((EXIT_VOLUNTARY, "voluntary"), (EXIT_INVOLUNTARY, "involuntary"),
                    (EXIT_OTHER, "other")):
        rates[name] = {
            tr: (float(100.0 * h[i, j] / py[i]) if py[i] > 0 else None)
            for i, tr in enumerate(("IC", "M"))
        }
    vol = rates["voluntary"]
    ratio = vol["IC"] / vol["M"] if vol["IC"] is not None and vol["M"] else None
    return {
        "rate_per_100py": rates,
        "rate_ratio_voluntary": ratio,
        "hr_voluntary_ic_vs_m": c.voluntary_hr_ic,
        "hr_involuntary_ic_vs_m": c.involuntary_hr_ic,
        "person_years": {"IC": float(py[0]), "M": float(py[1])},
    }


def _mixture_median(delta: np.ndarray, sd: float) -> float | None:
    """Median of ``exp(delta_i + d) - 1`` over a mixture, ``d ~ N(0, sd^2)``."""
    delta = delta[np.isfinite(delta)]
    if delta.size == 0:
        return None
    if sd <= 0:
        return float(np.expm1(np.median(delta)))

    def cdf(y: float) -> float:
        return float(stats.norm.cdf((y - delta) / sd).mean() - 0.5)

    y = optimize.brentq(cdf, delta.min() - 10 * sd, delta.max() + 10 * sd, xtol=1e-12)
    return float(np.expm1(y))


def _expected_rating(mean: float, sd: float) -> float:
    cuts = np.array([1.5, 2.5, 3.5, 4.5])
    p_above = stats.norm.sf((cuts - mean) / sd)
    return float(1.0 + p_above.sum())


def management_truth(raw: Any, current: pd.DataFrame) -> dict[str, Any]:
    """Forced-into-management indicators as the simulation makes them."""
    c, sp = raw.config, raw.spells
    observed = sp["end_month"] >= raw.hs_month
    sd = float(np.sqrt(2.0) * c.record_sd)
    switch = observed & (sp["end_code"] == TO_M)
    promo = observed & (sp["end_code"] == PROMOTION) & (sp["track"] == 0)
    switch_grades = (sp["grade"] >= c.m_grades[0]) & (sp["grade"] <= c.m_grades[1])
    med_switch = _mixture_median(sp["delta_E"][switch], sd)
    med_promo = _mixture_median(sp["delta_E"][promo & switch_grades], sd)
    premium = None if med_switch is None or med_promo is None else med_switch - med_promo
    by_grade = {}
    for g in range(c.m_grades[0], c.m_grades[1] + 1):
        a = _mixture_median(sp["delta_E"][switch & (sp["grade"] == g)], sd)
        b = _mixture_median(sp["delta_E"][promo & (sp["grade"] == g)], sd)
        if a is not None and b is not None:
            by_grade[str(g)] = a - b
    back, n_switches = switch_back_truth(raw)
    m_now = current.loc[current["track"] == "M"]
    n_reports = current["manager_id"].value_counts()
    reports = m_now["employee_id"].map(n_reports).fillna(0)
    nominal = float((reports < 2).mean()) if len(m_now) else None
    resp = m_now["career_preference"].dropna()
    mismatch = float((resp == "IC").mean()) if len(resp) else None
    # Under the team take-over and preference-driven switching the truth is the probability
    # the simulator draws from; without them (the default) there is none to state, and the
    # keys keep the realised shares (so the configurations made before them keep their truth).
    process: dict[str, Any] = {}
    if c.team_takeover_reports and len(m_now):
        # every entry into the M track draws "nominal" with this probability, independently
        # of every hazard: the expected share of nominal managers among those on as-of
        process["nominal_manager_share_realised"] = nominal
        nominal = float(c.nominal_manager_share)
    if c.prefer_m_switcher is not None and len(resp):
        S, P = raw.slots, raw.persons
        act = np.flatnonzero(S["active"])
        pid = S["pid"][act[S["track"][act] == 1]]
        pid = pid[P["responded"][pid]]
        process["preference_mismatch_share_realised"] = mismatch
        # mean over responding managers of the probability their answer was drawn with
        mismatch = float((1.0 - P["prefer_m_p"][pid]).mean())
    sd_tot = float(np.hypot(c.rating_sd_person, c.rating_sd_noise))
    rating_shift = _expected_rating(3.0 + c.switch_rating_shift, sd_tot) - _expected_rating(
        3.0, sd_tot)
    adopted_end = c.adoption_array() <= c.n_months - 1
    return {
        "switch_premium": premium,
        "switch_premium_by_grade": by_grade,
        "median_pay_change_switch": med_switch,
        "median_pay_change_ic_promotion": med_promo,
        "stall_switch_hr": c.stall_switch_hr,
        "switch_hr_female": c.switch_hr_female,
        "switch_back_cif_24m": back,
        "n_switches": n_switches,
        "post_switch_exit_hr": c.post_switch_exit_hr,
        "nominal_manager_share": nominal,
        "preference_mismatch_share": mismatch,
        **process,
        "rating_change_switch_minus_promotion": rating_shift,
        "top_ic_grade": int(c.ic_grades[1]),
        "top_m_grade": int(c.m_grades[1]),
        "top_ic_grade_by_unit": {
            u: int(c.adopted_ic_top if adopted_end[i] else c.ic_grades[1])
            for i, u in enumerate(c.units)
        },
    }


def study_truth(raw: Any) -> dict[str, Any]:
    """Adoption effect: the hazard ratio, and the ATT on voluntary exits per 100 person-years."""
    c = raw.config
    st = raw.study
    adopt = c.adoption_array()
    months = np.arange(c.n_months)
    treated = adopt[:, None] <= months[None, :]
    observed = months >= raw.hs_month
    sel = treated & observed[None, :]
    vol_h = st["vol_h"].sum(axis=2)
    days = st["days"].sum(axis=2)
    py = days[sel].sum() / DAYS_PER_YEAR
    hr = c.adoption_hr
    att = float(100.0 * (vol_h[sel].sum() * (1.0 - 1.0 / hr)) / py) if py > 0 else None
    by_q: dict[str, float] = {}
    event_q = (months[None, :] - adopt[:, None]) // 3
    for e in np.unique(event_q[sel]):
        s = sel & (event_q == e)
        p = days[s].sum() / DAYS_PER_YEAR
        if p > 0:
            by_q[str(int(e))] = float(100.0 * vol_h[s].sum() * (1.0 - 1.0 / hr) / p)
    extra: dict[str, Any] = {}
    if c.adoption_hr_final is not None:
        extra = study_targets(raw)
    return {
        **extra,
        "adoption_hr": hr,
        "att_voluntary_per_100py": att,
        "att_voluntary_per_100py_by_event_quarter": by_q,
        "adoption_dates": {
            u: str(np.datetime64(int(raw.month_start[a]), "D")) if a < c.n_months else None
            for u, a in zip(c.units, adopt, strict=True)
        },
    }


STUDY_COX_PSEUDO_TRUE = 0.7178
"""Pseudo-true value of the study's Cox hazard ratio (dual ladder in force, person-time mix
of tracks) on the :func:`~pathaudit.simulate.config.study` preset: its estimate on one run
of the preset scaled to a target headcount of 40,000 (about 77,000 people ever employed,
8,874 voluntary exits under the ladder; seed 11; log-scale SE 0.028, a tenth of one draw's).
It is not the hazard-weighted mean ratio (about 0.66): with unit strata and fiscal-year
effects the Cox model compares adopted units with units adopted earlier, as two-way fixed
effects do, so a growing effect is understated."""


def _cox_pseudo_true(c: SimConfig) -> float | None:
    """The Cox pseudo-true hazard ratio of ``c`` when known (the study preset, or no effect)."""
    from pathaudit.simulate.config import study

    if c.adoption_hr == 1.0 and c.adoption_hr_final in (None, 1.0):
        return 1.0
    ref = study()
    same = all(getattr(c, f) == getattr(ref, f) for f in (
        "adoption_hr", "adoption_hr_final", "adoption_ramp_months", "adoption_months",
        "voluntary_hazard", "years", "units", "history_start_months"))
    return STUDY_COX_PSEUDO_TRUE if same else None


def study_targets(raw: Any) -> dict[str, Any]:
    """Targets of the turnover study's estimators under an adoption ramp (the study preset).

    The unit x quarter panel as ``dual_ladder_study`` builds it (full fiscal quarters from the
    history start, January fiscal year, adoption on quarter starts): each unit-quarter's
    expected effect on voluntary exits per 100 person-years is ``100 * sum over its months of
    vol_h * (1 - 1 / ratio(months since adoption)) / person-years``, from the hazards the
    simulator drew with (``vol_h``) and the counterfactual without the ladder (``vol_h /
    ratio``). ATT(g, t) is its mean over cohort g's units, weighted by the unit weight
    (average quarterly person-years before the first adoption) or not, and pre-adoption
    cells are 0; the aggregations are R did's (``pathaudit.study``), applied to these cells.
    ``cox_hr_pseudo_true``: the Cox model's target from a large run
    (:data:`STUDY_COX_PSEUDO_TRUE`; 1 with no effect; None for other configurations);
    ``cox_hr_hazard_weighted``: exp of the mean log hazard ratio over treated unit-months
    weighted by expected voluntary exits, for comparison.
    """
    from pathaudit.study._fast import aggregate_draws

    c = raw.config
    adopt = c.adoption_array()
    M = c.n_months
    months = np.arange(M)
    vol_h = raw.study["vol_h"].sum(axis=2)
    py_m = raw.study["days"].sum(axis=2) / DAYS_PER_YEAR
    since = months[None, :] - adopt[:, None]
    treated = since >= 0
    ratio = adoption_ratio(c, np.maximum(since, 0))
    effect = np.where(treated, vol_h * (1.0 - 1.0 / ratio), 0.0)
    first_q = -(-raw.hs_month // 3)
    last_q = M // 3 - 1
    q = months // 3
    keep = (q >= first_q) & (q <= last_q)
    n_q = last_q - first_q + 1
    idx = q[keep] - first_q
    U = len(adopt)
    to_quarter = np.eye(n_q)[idx]  # kept months x quarters
    py = py_m[:, keep] @ to_quarter
    eff = effect[:, keep] @ to_quarter
    periods = np.arange(1, n_q + 1)
    g_q = -(-adopt // 3)
    G = np.where(adopt < M, g_q - first_q + 1, 0)
    G = np.where(G > n_q, 0, G)
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = 100.0 * eff / py
    cut = G[G > 0].min() if (G > 0).any() else n_q + 1
    weight = py[:, periods < cut].mean(axis=1)
    groups = np.unique(G[G > 0])
    cells = pd.DataFrame(
        [(g, t) for g in groups for t in periods[1:]], columns=["group", "time"]
    )
    out: dict[str, Any] = {}
    for name, w in (("person-time", weight), ("unweighted", np.ones(U))):
        est = np.array([
            0.0 if t < g else float(np.average(tau[G == g, t - 1], weights=w[G == g]))
            for g, t in zip(cells["group"], cells["time"], strict=True)
        ])
        agg = aggregate_draws(cells, est[None, :], G, w)
        block: dict[str, Any] = {"simple": float(agg["simple_overall"][0])}
        for kind in ("group", "dynamic", "calendar"):
            block[kind] = float(agg[f"{kind}_overall"][0])
            block[f"{kind}_by"] = {
                str(int(v)): float(x)
                for v, x in zip(agg[f"{kind}_values"], agg[kind][0], strict=True)
            }
        out[name] = block
    observed = months >= raw.hs_month
    sel = treated & observed[None, :]
    log_hr = float(np.sum(vol_h[sel] * np.log(ratio[sel])) / np.sum(vol_h[sel]))
    return {"cs_targets": out, "cox_hr_pseudo_true": _cox_pseudo_true(c),
            "cox_hr_hazard_weighted": float(np.exp(log_hr))}


def realised_truth(raw: Any, tables: dict[str, pd.DataFrame], current: pd.DataFrame
                   ) -> dict[str, Any]:
    """Counts of what happened (within the observed window)."""
    sp = raw.spells
    observed = (sp["end_month"] >= raw.hs_month) & (sp["end_code"] < 6)
    events = {name: int(((sp["end_code"] == j) & observed).sum())
              for j, name in enumerate(EVENT_NAMES)}
    rec = tables["history"]
    events["hire"] = int((rec["reason"] == "Hire").sum())
    events["rehire"] = int((rec["reason"] == "Rehire").sum())
    people = tables["people"]
    return {
        "people_ever": int(people["employee_id"].nunique()),
        "episodes": len(people),
        "history_rows": len(rec),
        "headcount_as_of": {tr: int((current["track"] == tr).sum()) for tr in ("IC", "M")},
        "events": events,
    }
