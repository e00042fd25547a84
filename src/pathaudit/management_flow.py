"""Forced-into-management indicators about movement between tracks.

Stalled-then-switched, who switches, switch-back and the switch flows by grade.
(Post-switch attrition lives in :mod:`pathaudit.management_attrition`; pay and
ladder indicators in :mod:`pathaudit.management_pay`.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats as sps

from pathaudit import stats
from pathaudit.management_common import (
    ALL,
    OVERALL,
    By,
    by_columns,
    fiscal_year,
    groupings,
    has_values,
    indicator_result,
    row,
    to_table,
    unavailable,
)
from pathaudit.result import Result, make_result
from pathaudit.schema import DAYS_PER_YEAR, EXIT_REASONS
from pathaudit.survival import aalen_johansen

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from pathaudit.data import AuditData

SNAPSHOT_NOTE = (
    "this dataset is a snapshot-only export (one row per person), so no {what} can be "
    "observed. Load a history export (one row per person per change) to compute it."
)

GROUP_ATTRIBUTES: tuple[str, ...] = ("gender", "ethnicity", "age_band")
"""People attributes :func:`who_switches` compares, where present."""


# ---------------------------------------------------------------------------
# Shared numerics of this module
# ---------------------------------------------------------------------------


def cif_at(
    duration: np.ndarray, status: np.ndarray, horizon: float, cause: int = 1
) -> tuple[float, float, float, pd.DataFrame]:
    """Cumulative incidence of ``cause`` at ``horizon``, its standard error and the curve.

    Aalen–Johansen with the delta-method standard error
    (:func:`pathaudit.survival.aalen_johansen`, equal to ``statsmodels``'
    ``CumIncidenceRight`` without delayed entry).

    Returns
    -------
    (cif, se, at_risk, curve)
        The value at ``horizon`` (0 before the first event), its standard error,
        the number still followed at ``horizon`` (``duration >= horizon``) and the
        curve of ``cause`` (``time``, ``estimate``, ``se``, ``at_risk``).
    """
    duration = np.asarray(duration, dtype=float)
    status = np.asarray(status, dtype=int)
    cols = ["time", "estimate", "se", "at_risk"]
    if len(duration) == 0:
        return np.nan, np.nan, 0.0, pd.DataFrame(columns=cols)
    at_risk_h = float((duration >= horizon).sum())
    if not (status == cause).any():
        return 0.0, 0.0, at_risk_h, pd.DataFrame(
            {"time": [0.0], "estimate": [0.0], "se": [0.0], "at_risk": [float(len(duration))]})
    fit = aalen_johansen(duration, status, causes=tuple(sorted({1, 2, cause})))
    j = fit.causes.index(cause)
    curve = pd.DataFrame({"time": fit.time, "estimate": fit.cif[:, j], "se": fit.se[:, j],
                          "at_risk": fit.n_risk.astype(float)})
    est, se, _ = fit.at(np.array([horizon]), cause=cause)
    return float(est[0]), float(se[0]), at_risk_h, curve


def _codes(values: pd.Series) -> np.ndarray:
    """Integer codes 0..K-1 of a column (kept as they are when already small integers)."""
    if pd.api.types.is_integer_dtype(values) and not values.isna().any():
        arr = values.to_numpy(dtype=np.int64)
        if len(arr) and arr.min() >= 0 and arr.max() < 10 * len(arr) + 10:
            return arr
    return pd.factorize(values)[0].astype(np.int64)


def poisson_stratified(
    events: np.ndarray,
    person_years: np.ndarray,
    x: np.ndarray,
    strata: np.ndarray,
    cluster: np.ndarray,
    *,
    max_iter: int = 50,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Poisson regression with one intercept per stratum and a person-clustered sandwich.

    Parameters
    ----------
    events, person_years
        Event counts and person-time per row (``person_years > 0``).
    x
        Covariates, shape ``(n, p)``.
    strata, cluster
        Integer codes (0-based) of the stratum and of the person of each row.
    max_iter
        Newton iterations at most.

    Returns
    -------
    (beta, cov) : tuple of ndarray
        Estimates and their clustered covariance (``p`` and ``(p, p)``); NaN when
        Newton does not converge.

    Notes
    -----
    The stratum intercepts are profiled out: for fixed :math:`eta`,
    :math:`\hatlpha_s = \log(D_s / \sum_{i \in s} PY_i e^{x_ieta})`, so
    Newton runs on :math:`eta` alone with score
    :math:`\sum_i (x_i - ar x_s)(d_i - \mu_i)` and information
    :math:`\sum_i \mu_i (x_i - ar x_s)(x_i - ar x_s)'`, :math:`ar x_s` the
    :math:`\mu`-weighted mean of :math:`x` in stratum :math:`s`. These are the
    :math:`eta` blocks of the full model's score and information with the
    intercepts partialled out, so the sandwich
    :math:`A^{-1} (rac{G}{G-1} \sum_g u_g u_g') A^{-1}` with person score sums
    :math:`u_g` equals the :math:`eta` block of the full model's clustered
    sandwich (checked against ``statsmodels`` GLM in the tests).
    """
    d = np.asarray(events, dtype=float)
    t = np.asarray(person_years, dtype=float)
    X = np.asarray(x, dtype=float).reshape(len(d), -1)
    p = X.shape[1]
    n_s = int(strata.max()) + 1
    d_s = np.bincount(strata, weights=d, minlength=n_s)
    beta = np.zeros(p)
    nan = (np.full(p, np.nan), np.full((p, p), np.nan))
    for _ in range(max_iter):
        eta = X @ beta
        w = t * np.exp(eta - eta.max())
        w_s = np.bincount(strata, weights=w, minlength=n_s)
        with np.errstate(divide="ignore", invalid="ignore"):
            mu = np.where(w_s[strata] > 0, d_s[strata] * w / w_s[strata], 0.0)
            mu_s = np.bincount(strata, weights=mu, minlength=n_s)
            xbar = np.column_stack(
                [np.bincount(strata, weights=mu * X[:, j], minlength=n_s) for j in range(p)]
            ) / np.where(mu_s > 0, mu_s, 1.0)[:, None]
        r = X - xbar[strata]
        score = r.T @ (d - mu)
        info = (r * mu[:, None]).T @ r
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            return nan
        beta = beta + step
        if not np.all(np.isfinite(beta)) or np.abs(beta).max() > 30:
            return nan
        if np.abs(step).max() < 1e-10:
            break
    else:
        return nan
    eta = X @ beta
    w = t * np.exp(eta - eta.max())
    w_s = np.bincount(strata, weights=w, minlength=n_s)
    mu = np.where(w_s[strata] > 0, d_s[strata] * w / np.where(w_s[strata] > 0, w_s[strata], 1),
                  0.0)
    mu_s = np.bincount(strata, weights=mu, minlength=n_s)
    xbar = np.column_stack(
        [np.bincount(strata, weights=mu * X[:, j], minlength=n_s) for j in range(p)]
    ) / np.where(mu_s > 0, mu_s, 1.0)[:, None]
    r = X - xbar[strata]
    info = (r * mu[:, None]).T @ r
    n_g = int(cluster.max()) + 1
    u = np.column_stack(
        [np.bincount(cluster, weights=r[:, j] * (d - mu), minlength=n_g) for j in range(p)]
    )
    g = len(np.unique(cluster))
    inv = np.linalg.inv(info)
    cov = inv @ (u.T @ u) @ inv * (g / (g - 1) if g > 1 else np.nan)
    return beta, cov


def stratified_rate_ratio(
    frame: pd.DataFrame,
    *,
    focal: str | list[str],
    strata: str,
    cluster: str,
    events: str = "events",
    person_years: str = "person_years",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Rate ratio(s) of ``focal`` indicator column(s), stratified, with person-clustered CIs.

    Poisson regression of ``events`` on the focal indicators and one intercept
    per stratum, offset ``log(person_years)``, sandwich variance clustered by
    ``cluster`` with the small-sample factor :math:`G/(G-1)` (G people); see
    :func:`poisson_stratified`. Under a hazard that is constant within stratum
    and focal group, ``exp(b)`` is the hazard ratio. Rows are first summed
    within (cluster, stratum, focal values), which changes neither the estimate
    nor the clustered variance. Strata without events carry no information.

    Returns
    -------
    pandas.DataFrame
        One row per focal column: ``term``, ``estimate``, ``ci_lower``,
        ``ci_upper``, ``p_value``, ``events_focal``, ``events_reference``.
        NaN where a group has no events or no person-time.
    """
    focal_cols = [focal] if isinstance(focal, str) else list(focal)
    py = frame[person_years].to_numpy(dtype=float)
    keep = py > 0
    ev = frame[events].to_numpy(dtype=float)[keep]
    py = py[keep]
    fx = frame[focal_cols].to_numpy(dtype=float)[keep]
    cl = _codes(frame[cluster])[keep]
    st = _codes(frame[strata])[keep]
    out = []
    ok = len(ev) > 0
    off = fx.sum(axis=1) == 0
    for j, c in enumerate(focal_cols):
        on = fx[:, j] == 1
        e1, e0 = float(ev[on].sum()), float(ev[off].sum())
        out.append({"term": c, "events_focal": e1, "events_reference": e0})
        if e1 == 0 or e0 == 0:
            ok = False
    res = pd.DataFrame(out)
    res[["estimate", "ci_lower", "ci_upper", "p_value"]] = np.nan
    if not ok:
        return res
    # sum rows within (person, stratum, focal pattern): same estimate, same sandwich
    bits = (fx * (2 ** np.arange(fx.shape[1]))).sum(axis=1).astype(np.int64)
    n_st = int(st.max()) + 1
    key = (cl * n_st + st) * (2 ** fx.shape[1]) + bits
    uniq, inv = np.unique(key, return_inverse=True)
    d_a = np.bincount(inv, weights=ev)
    t_a = np.bincount(inv, weights=py)
    pattern = uniq % (2 ** fx.shape[1])
    st_a = (uniq // (2 ** fx.shape[1])) % n_st
    cl_a = uniq // (2 ** fx.shape[1]) // n_st
    x_a = ((pattern[:, None] >> np.arange(fx.shape[1])) & 1).astype(float)
    has_ev = np.bincount(st_a, weights=d_a, minlength=n_st) > 0
    sel = has_ev[st_a]
    st_codes = np.unique(st_a[sel], return_inverse=True)[1]
    cl_codes = np.unique(cl_a[sel], return_inverse=True)[1]
    b, cov = poisson_stratified(d_a[sel], t_a[sel], x_a[sel], st_codes, cl_codes)
    se = np.sqrt(np.diag(cov))
    lo, hi = stats.t_ci(b, se, alpha=alpha)
    res["estimate"] = np.exp(b)
    res["ci_lower"] = np.exp(lo)
    res["ci_upper"] = np.exp(hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        res["p_value"] = 2 * sps.norm.sf(np.abs(b / se))
    return res


def _needs_history(data: AuditData) -> bool:
    return bool(data.is_snapshot)


# ---------------------------------------------------------------------------
# Stalled-then-switched
# ---------------------------------------------------------------------------

STALL_DEFINITION = (
    "An IC is stalled once their time in level exceeds the IC median time to promotion "
    "from their grade (the time at which the Aalen–Johansen cumulative incidence of "
    "promotion, with exit, switch, demotion and lateral moves competing, reaches 50%; "
    "where it never does, the 75th percentile of time to promotion among those promoted; "
    "at and above the top of the IC ladder, the threshold of the grade below). "
    "share_stalled: IC->M switches made while stalled "
    "(numerator) / all IC->M switches from grades with a stall threshold (denominator). "
    "hazard_ratio: "
    "IC->M switch rate while stalled / while not stalled, within grade."
)


def _ic_spells_with_known_start(data: AuditData) -> pd.DataFrame:
    """IC spells whose start (and so time in level) is known.

    A spell whose start was set to a hire date before ``history_start`` (the
    first record is dated later) has an unknown time in level and is left out.
    """
    sp = data.spells
    ic = sp.loc[sp["track"].astype(str) == "IC"]
    if "start_imputed" in ic.columns:
        unsure = ic["start_imputed"].astype(bool) & (ic["start"] < data.history_start)
        ic = ic.loc[~unsure]
    return ic


def _org_ic_top(data: AuditData) -> float:
    """Top IC grade of the organisation-wide ladder (rows for every unit), else of all rows."""
    lad = data.ladder
    if lad is None or len(lad) == 0:
        return np.inf
    rows = lad.loc[lad["track"].astype(str) == "IC"]
    if "org_unit" in rows and rows["org_unit"].notna().any() and rows["org_unit"].isna().any():
        rows = rows.loc[rows["org_unit"].isna()]
    return float(rows["grade"].max()) if len(rows) else np.inf


def stall_thresholds(data: AuditData) -> pd.DataFrame:
    r"""Years in level after which an IC at each grade counts as stalled.

    Parameters
    ----------
    data
        The audit data (history export).

    Returns
    -------
    pandas.DataFrame
        One row per IC grade: ``grade``, ``threshold`` (years), ``rule``
        (``"median"``, ``"p75_promoted"``, ``"grade_below"`` at and above the top
        of the organisation-wide IC ladder or where nobody was promoted, or
        ``"none"`` when no grade below has a threshold either), ``spells``,
        ``promotions``, ``n`` (people).

    Notes
    -----
    The median time to promotion is the first time :math:`t` with
    :math:`F_{promotion}(t) \ge 0.5` (Aalen–Johansen, delayed entry for spells
    begun before ``history_start``; every other way a spell ends competes).
    When the cumulative incidence never reaches 0.5 (promotion is not the usual
    way out of the grade), the threshold is the 75th percentile of time to
    promotion among those promoted: the first :math:`t` with
    :math:`F(t) \ge 0.75\, F(t_{max})`, :math:`t_{max}` the last event time
    (the censoring-aware version of "the 75th percentile among those promoted").
    At and above the top of the organisation-wide IC ladder nobody can be
    promoted, except in units that added IC levels, so such grades take the
    threshold of the grade below the top (an IC at the ceiling longer than the
    usual time to promotion is stalled there); a grade below it with no
    promotion takes the threshold of the nearest grade below that has one.
    """
    ic = _ic_spells_with_known_start(data)
    top = _org_ic_top(data)
    rows = []
    for grade, g in ic.groupby("grade", sort=True):
        promoted = (g["end_reason"] == "promotion").to_numpy()
        status = np.where(g["end_reason"].to_numpy() == "censored", 0, 2)
        status = np.where(promoted, 1, status)
        thr, rule = np.nan, "none"
        if promoted.any() and grade < top:
            fit = aalen_johansen(g["duration"].to_numpy(), status, g["entry"].to_numpy(),
                                 causes=(1, 2))
            f = fit.cif[:, 0]
            reached = np.nonzero(f >= 0.5)[0]
            if len(reached):
                thr, rule = float(fit.time[reached[0]]), "median"
            else:
                thr = float(fit.time[np.nonzero(f >= 0.75 * f[-1] - 1e-12)[0][0]])
                rule = "p75_promoted"
        rows.append(
            {
                "grade": int(grade),
                "threshold": thr,
                "rule": rule,
                "spells": len(g),
                "promotions": int(promoted.sum()),
                "n": g["employee_id"].nunique(),
            }
        )
    out = pd.DataFrame(rows, columns=["grade", "threshold", "rule", "spells", "promotions", "n"])
    if len(out):
        borrowed = out["threshold"].ffill()
        take = out["threshold"].isna() & borrowed.notna()
        out.loc[take, "rule"] = "grade_below"
        out["threshold"] = borrowed
    out["grade"] = out["grade"].astype("Int64")
    return out


def split_at_stall(exposure: pd.DataFrame, thresholds: pd.Series) -> pd.DataFrame:
    """Split IC exposure rows at the stall threshold of their grade.

    Parameters
    ----------
    exposure
        IC rows of ``data.exposure``.
    thresholds
        Stall threshold in years, indexed by grade.

    Returns
    -------
    pandas.DataFrame
        The rows with finite thresholds, each cut in up to two pieces, with
        ``stalled`` (0/1), ``person_years`` of the piece and ``switch`` (1 when
        the piece ends with an IC->M switch).
    """
    thr = exposure["grade"].map(thresholds).astype(float).to_numpy()
    keep = np.isfinite(thr)
    e = exposure.loc[keep]
    thr = thr[keep]
    a = e["time_in_spell"].to_numpy(dtype=float)
    py = e["person_years"].to_numpy(dtype=float)
    b = a + py
    sw = (e["event"].astype(str) == "switch_to_M").to_numpy()
    before = np.clip(np.minimum(b, thr) - a, 0, None)
    after = np.clip(b - np.maximum(a, thr), 0, None)
    ends_stalled = b > thr
    base = e.drop(columns=["person_years"])
    p0 = base.assign(stalled=0, person_years=before, switch=(sw & ~ends_stalled).astype(int))
    p1 = base.assign(stalled=1, person_years=after, switch=(sw & ends_stalled).astype(int))
    out = pd.concat([p0.loc[before > 0], p1.loc[after > 0]], ignore_index=True)
    return out


def stalled_then_switched(
    data: AuditData, *, by: By = None, alpha: float = 0.05
) -> Result:
    r"""Measure whether stalled ICs switch to management more than ICs still progressing.

    Parameters
    ----------
    data
        The audit data (needs effective-dated history).
    by
        Optional grouping column of the exposure table (``"org_unit"``, ``"year"``,
        ``"job_family"``, ``"location"``); the overall figures always come first.
    alpha
        1 - confidence level.

    Returns
    -------
    Result
        Table rows (``measure``):

        ``hazard_ratio`` (headline)
            IC->M switch hazard while stalled vs not stalled, grade-stratified.
            ``numerator`` = switches while stalled, ``denominator`` = switches
            while not stalled; ``stalled_person_years``, ``progressing_person_years``.
        ``share_stalled``
            Share of IC->M switches made while stalled (Wilson CI).
            ``numerator`` = stalled switches, ``denominator`` = all switches.
        ``rate_ratio`` (per grade)
            The same contrast within one grade, exact conditional CI.

        ``tables["thresholds"]``: the stall threshold per grade (see
        :func:`stall_thresholds`).

    Notes
    -----
    With :math:`\tau_g` the stall threshold of grade :math:`g`, each IC's
    person-time at grade :math:`g` is cut at time-in-level :math:`\tau_g`. The
    hazard ratio is :math:`\exp(\beta)` of the Poisson model
    :math:`\log E[d] = \alpha_g + \beta\,\mathrm{stalled} + \log PY`, whose
    estimate is the hazard ratio when the switch hazard is constant within
    grade and stall status (piecewise-constant hazards). A Cox model on time in
    level cannot separate stall status from its own time scale. Intervals use the
    sandwich variance clustered by person. Grades with no threshold (no
    promotion from them or from any grade below) are left out and counted.
    """
    name = "stalled_then_switched"
    method = (
        "Stall threshold per grade from the Aalen–Johansen cumulative incidence of IC "
        "promotion (delayed entry); Poisson regression of IC->M switches on stall status "
        "with grade intercepts and a log person-time offset, person-clustered sandwich CI; "
        "Wilson CI for the share; exact conditional CI per grade."
    )
    population = "IC person-time (exposure) at grades from which ICs are promoted."
    kw = dict(data=data, definition=STALL_DEFINITION, method=method, population=population,
              headline="hazard_ratio", alpha=alpha)
    if _needs_history(data):
        return unavailable(name, SNAPSHOT_NOTE.format(what="time in level or switch"), **kw)
    thr = stall_thresholds(data)
    exp = data.exposure
    known = _ic_spells_with_known_start(data)["spell_id"]
    ic = exp.loc[(exp["track"].astype(str) == "IC") & exp["spell_id"].isin(known)]
    unknown_start_py = float(
        exp.loc[exp["track"].astype(str) == "IC", "person_years"].sum() - ic["person_years"].sum()
    )
    if len(ic) == 0 or thr["threshold"].notna().sum() == 0:
        return unavailable(name, "no IC promotions are observed, so no stall threshold "
                           "can be set.", **kw)
    pieces = split_at_stall(ic, thr.set_index("grade")["threshold"])
    excluded_py = float(ic["person_years"].sum() - pieces["person_years"].sum())
    rows = []
    for by_name, group, g in groupings(pieces, by):
        rows.extend(_stall_rows(name, by_name, group, g, alpha))
    table = to_table(rows, ("stalled_person_years", "progressing_person_years", "p_value"))
    thr_table = thr.copy()
    return indicator_result(
        name,
        table,
        tables={"thresholds": thr_table},
        excluded={
            "IC person-years at grades without a stall threshold": round(excluded_py, 2),
            "IC person-years in spells whose start (time in level) is unknown": round(
                unknown_start_py, 2),
        },
        **kw,
    )


def _stall_rows(name: str, by: str, group: str, g: pd.DataFrame, alpha: float) -> list[dict]:
    rows = []
    people = g["employee_id"].nunique()
    sw = g.loc[g["switch"] == 1]
    n_sw = len(sw)
    n_st = int(sw["stalled"].sum())
    lo, hi = stats.wilson_ci(n_st, n_sw, alpha)
    py1 = float(g.loc[g["stalled"] == 1, "person_years"].sum())
    py0 = float(g.loc[g["stalled"] == 0, "person_years"].sum())
    hr = stratified_rate_ratio(
        g.rename(columns={"switch": "events"}), focal="stalled", strata="grade",
        cluster="employee_id", alpha=alpha,
    ).iloc[0]
    rows.append(row(name, "hazard_ratio", by, group, estimate=hr["estimate"],
                    ci_lower=hr["ci_lower"], ci_upper=hr["ci_upper"], numerator=n_st,
                    denominator=n_sw - n_st, n=people, stalled_person_years=py1,
                    progressing_person_years=py0, p_value=hr["p_value"]))
    rows.append(row(name, "share_stalled", by, group,
                    estimate=n_st / n_sw if n_sw else np.nan, ci_lower=float(lo),
                    ci_upper=float(hi), numerator=n_st, denominator=n_sw,
                    n=sw["employee_id"].nunique()))
    agg = g.groupby(["grade", "stalled"])[["switch", "person_years"]].sum()
    full = pd.MultiIndex.from_product([agg.index.levels[0], [0, 1]], names=["grade", "stalled"])
    agg = agg.reindex(full, fill_value=0.0)
    x1 = agg.xs(1, level="stalled")
    x0 = agg.xs(0, level="stalled")
    ok = (x1["person_years"] > 0) & (x0["person_years"] > 0)
    x1, x0 = x1.loc[ok], x0.loc[ok]
    ppl = g.groupby("grade")["employee_id"].nunique()
    if len(x1):
        rr, rlo, rhi, p = stats.rate_ratio_ci(x1["switch"], x1["person_years"], x0["switch"],
                                              x0["person_years"], alpha)
        for j, grade in enumerate(x1.index):
            rows.append(row(name, "rate_ratio", by, group, grade=int(grade), estimate=rr[j],
                            ci_lower=rlo[j], ci_upper=rhi[j], numerator=x1["switch"].iloc[j],
                            denominator=x0["switch"].iloc[j], n=float(ppl.loc[grade]),
                            stalled_person_years=x1["person_years"].iloc[j],
                            progressing_person_years=x0["person_years"].iloc[j],
                            p_value=p[j]))
    return rows


# ---------------------------------------------------------------------------
# Who switches
# ---------------------------------------------------------------------------

WHO_DEFINITION = (
    "IC->M switch rate per 100 IC person-years, by group within grade. switch_rate: "
    "switches (numerator) / IC person-years (denominator), times 100. rate_ratio: a "
    "group's switch rate / the reference group's (the group with the most IC "
    "person-time), within grade (per grade) or pooled over grades (grade-stratified)."
)


def who_switches(
    data: AuditData,
    *,
    attributes: tuple[str, ...] = GROUP_ATTRIBUTES,
    by: By = None,
    alpha: float = 0.05,
) -> Result:
    r"""Compare switch rates into management by group within grade (who is moved, who is not).

    Parameters
    ----------
    data
        The audit data (needs history and at least one of ``attributes`` in ``people``).
    attributes
        People columns to compare (those absent or empty are skipped).
    by
        Optional grouping column of the exposure table (e.g. ``"org_unit"``, ``"year"``).
    alpha
        1 - confidence level.

    Returns
    -------
    Result
        Table columns besides the shared ones: ``attribute``, ``category``,
        ``reference`` (the category compared against), ``person_years``, ``p_value``.
        Measures: ``rate_ratio`` (headline; pooled over grades, grade-stratified,
        one row per non-reference category), ``rate_ratio_within_grade`` (exact
        conditional CI) and ``switch_rate`` (per 100 person-years, Garwood CI), per
        grade and pooled. ``numerator``: switches of the category; ``denominator``:
        its IC person-years (rates) or the reference category's switches (ratios).

    Notes
    -----
    Pooled rate ratio: :math:`\exp(\beta_c)` of the Poisson model
    :math:`\log E[d] = \alpha_g + \beta_c + \log PY` with grade intercepts,
    person-clustered sandwich CI. Within a grade: the exact conditional
    (binomial) interval. Rates are attributed to the grade and unit the person
    had at the time (exposure table).
    """
    name = "who_switches"
    method = (
        "Switch rates with exact Poisson (Garwood) CIs; within-grade rate ratios with exact "
        "conditional CIs; pooled rate ratios from grade-stratified Poisson regression with "
        "person-clustered sandwich CIs."
    )
    population = "IC person-time (exposure), with the people attributes of the episode."
    kw = dict(data=data, definition=WHO_DEFINITION, method=method, population=population,
              headline="rate_ratio", alpha=alpha)
    if _needs_history(data):
        return unavailable(name, SNAPSHOT_NOTE.format(what="switch"), **kw)
    present = [a for a in attributes if has_values(data.people, a)]
    if not present:
        return unavailable(name, f"the people table has none of {list(attributes)} "
                           "with values; map a gender (or other group) column.", **kw)
    exp = data.exposure
    ic = exp.loc[exp["track"] == "IC"]
    ic = ic.assign(events=(ic["event"].astype(str) == "switch_to_M").astype(int))
    attrs = data.people[["employee_id", "episode"] + present]
    ic = ic.drop(columns=[c for c in present if c in ic.columns]).merge(
        attrs, on=["employee_id", "episode"], how="left")
    rows: list[dict] = []
    for attribute in present:
        sub = ic.loc[ic[attribute].notna()]
        sub = sub.assign(category=sub[attribute].astype(str))
        for by_name, group, g in groupings(sub, by):
            rows.extend(_who_rows(name, attribute, by_name, group, g, alpha))
    table = to_table(rows, ("attribute", "category", "reference", "person_years", "p_value"))
    return indicator_result(name, table, attributes=present, **kw)


def _who_rows(
    name: str, attribute: str, by: str, group: str, g: pd.DataFrame, alpha: float
) -> list[dict]:
    rows: list[dict] = []
    py_by_cat = g.groupby("category")["person_years"].sum().sort_values(ascending=False)
    if len(py_by_cat) == 0:
        return rows
    ref = str(py_by_cat.index[0])
    cats = [str(c) for c in py_by_cat.index]
    # rates per grade and pooled
    agg = g.groupby(["grade", "category"]).agg(
        events=("events", "sum"), person_years=("person_years", "sum"),
        n=("employee_id", "nunique"),
    ).reset_index()
    pooled = g.groupby("category").agg(
        events=("events", "sum"), person_years=("person_years", "sum"),
        n=("employee_id", "nunique"),
    ).reset_index()
    pooled["grade"] = pd.NA
    both = pd.concat([agg, pooled], ignore_index=True)
    lo, hi = stats.poisson_rate_ci(both["events"], both["person_years"], alpha)
    for i, r in enumerate(both.itertuples(index=False)):
        grade = None if pd.isna(r.grade) else int(r.grade)
        rows.append(row(name, "switch_rate", by, group, grade=grade,
                        estimate=100 * r.events / r.person_years if r.person_years > 0 else np.nan,
                        ci_lower=100 * lo[i], ci_upper=100 * hi[i], numerator=r.events,
                        denominator=r.person_years, n=r.n, attribute=attribute,
                        category=r.category, reference=ref, person_years=r.person_years))
    # within-grade rate ratios vs reference
    wide = agg.pivot_table(index="grade", columns="category",
                           values=["events", "person_years", "n"], fill_value=0.0)
    for c in cats[1:]:
        if ("events", c) not in wide or ("events", ref) not in wide:
            continue
        ok = (wide[("person_years", c)] > 0) & (wide[("person_years", ref)] > 0)
        w = wide.loc[ok]
        if len(w):
            rr, rlo, rhi, p = stats.rate_ratio_ci(
                w[("events", c)].to_numpy(), w[("person_years", c)].to_numpy(),
                w[("events", ref)].to_numpy(), w[("person_years", ref)].to_numpy(), alpha)
            for j, grade in enumerate(w.index):
                rows.append(row(name, "rate_ratio_within_grade", by, group, grade=int(grade),
                                estimate=rr[j], ci_lower=rlo[j], ci_upper=rhi[j],
                                numerator=w[("events", c)].iloc[j],
                                denominator=w[("events", ref)].iloc[j],
                                n=min(w[("n", c)].iloc[j], w[("n", ref)].iloc[j]),
                                attribute=attribute, category=c, reference=ref,
                                person_years=w[("person_years", c)].iloc[j], p_value=p[j]))
    # pooled, grade-stratified
    focal = [f"cat_{i}" for i in range(1, len(cats))]
    if focal:
        design = g[["employee_id", "grade", "events", "person_years"]].copy()
        for f, c in zip(focal, cats[1:], strict=True):
            design[f] = (g["category"] == c).astype(int).to_numpy()
        res = stratified_rate_ratio(design, focal=focal, strata="grade",
                                    cluster="employee_id", alpha=alpha)
        npeople = pooled.set_index("category")["n"]
        for c, r in zip(cats[1:], res.itertuples(index=False), strict=True):
            rows.append(row(name, "rate_ratio", by, group, estimate=r.estimate,
                            ci_lower=r.ci_lower, ci_upper=r.ci_upper,
                            numerator=r.events_focal, denominator=r.events_reference,
                            n=min(npeople.get(c, 0), npeople.get(ref, 0)),
                            attribute=attribute, category=c, reference=ref,
                            person_years=float(py_by_cat.get(c, 0.0)), p_value=r.p_value))
    return rows


# ---------------------------------------------------------------------------
# Switch-back
# ---------------------------------------------------------------------------

SWITCH_BACK_DEFINITION = (
    "Cumulative incidence of returning to the IC track within {months} months of an "
    "IC->M switch (Aalen–Johansen), exit from the organisation competing; moves within "
    "the M track do not end follow-up; censored at as-of. numerator: switch-backs "
    "observed within the horizon; denominator: IC->M switches observed (on or after "
    "history start)."
)


def management_runs(data: AuditData) -> pd.DataFrame:
    """Continuous time on one track within an employment episode ("runs" of spells).

    Returns
    -------
    pandas.DataFrame
        One row per run: ``employee_id``, ``episode``, ``track``, ``start``,
        ``stop``, ``entry`` (of the first spell), ``grade`` and ``org_unit`` at
        the start, ``end_reason`` of the last spell (a switch, an exit or
        ``"censored"``), ``after_switch`` (True when the run began with a track
        switch observed in the data), ``duration`` (years) and ``switch_year``
        (fiscal year of the start).
    """
    sp = data.spells.sort_values(["employee_id", "episode", "start"])
    prev = sp.groupby(["employee_id", "episode"], sort=False)["track"].shift()
    new_run = prev.isna() | (sp["track"].astype(str) != prev.astype(str))
    run_id = new_run.cumsum().to_numpy()
    first = sp.loc[new_run.to_numpy()]
    runs = pd.DataFrame(
        {
            "employee_id": first["employee_id"].to_numpy(),
            "episode": first["episode"].to_numpy(),
            "track": first["track"].astype(str).to_numpy(),
            "start": first["start"].to_numpy(),
            "entry": first["entry"].to_numpy(dtype=float),
            "grade": first["grade"].to_numpy(),
            "org_unit": first["org_unit"].to_numpy() if "org_unit" in first else pd.NA,
            "after_switch": prev.loc[new_run].notna().to_numpy(),
        }
    )
    last = sp.groupby(run_id, sort=True).agg(
        stop=("stop", "last"), end_reason=("end_reason", "last"))
    runs["stop"] = last["stop"].to_numpy()
    runs["end_reason"] = last["end_reason"].astype(str).to_numpy()
    runs["duration"] = (runs["stop"] - runs["start"]).dt.days / DAYS_PER_YEAR
    runs["switch_year"] = fiscal_year(runs["start"], data.fiscal_year_start_month)
    return runs


def switch_back(
    data: AuditData, *, horizon_months: int = 24, by: By = None, alpha: float = 0.05
) -> Result:
    """Estimate the share of IC->M switchers who return to the IC track within the horizon.

    Parameters
    ----------
    data
        The audit data (needs history).
    horizon_months
        Horizon of the cumulative incidence (default 24 months = 2 years of 365.25 days).
    by
        Optional grouping: ``"org_unit"`` (unit at the switch), ``"year"`` (fiscal
        year of the switch) or ``"grade"`` (M grade entered).
    alpha
        1 - confidence level.

    Returns
    -------
    Result
        Measures: ``cif`` (headline), the cumulative incidence of switching back
        by the horizon with its log(-log) CI; ``exit_cif``, the competing
        incidence of leaving. Extra columns ``at_risk_at_horizon``,
        ``horizon_years``. ``numerator``: switch-backs (or exits) within the
        horizon; ``denominator``: switches followed; ``n``: people.
        ``tables["curve"]``: the overall curve, cut where fewer than k people
        remain at risk.

    Notes
    -----
    Follow-up starts on the switch date and ends at the first of: a switch back
    to IC (the event), an exit (competing event), ``as_of`` (censored).
    Promotions and other moves within the M track do not end it. Switches
    before ``history_start`` are not observed, so M time already under way at
    ``history_start`` is left out and counted. The estimate is Aalen–Johansen
    (:func:`pathaudit.survival.aalen_johansen`) with its delta-method standard error
    and a pointwise log(-log) interval. When no switch-back is observed the
    estimate is 0 and the log(-log) interval degenerates; the upper bound is then
    the Wilson bound for 0 events among the switchers whose status at the horizon
    is known (followed through it, or left before it). Where fewer than k people remain at risk
    at the horizon the figure is suppressed (a curve stops where fewer than k
    remain at risk).
    """
    name = "switch_back"
    horizon = horizon_months / 12.0
    method = (
        "Aalen–Johansen cumulative incidence (pathaudit.survival) with "
        "delta-method SE and pointwise log(-log) CI; exit is the competing event."
    )
    population = "People who switched from the IC to the M track on or after history start."
    definition = SWITCH_BACK_DEFINITION.format(months=horizon_months)
    kw = dict(data=data, definition=definition, method=method, population=population,
              headline="cif", alpha=alpha)
    if _needs_history(data):
        return unavailable(name, SNAPSHOT_NOTE.format(what="switch"), **kw)
    runs = management_runs(data)
    m = runs.loc[runs["track"] == "M"]
    unknown = int(((~m["after_switch"]) & (m["entry"] > 0)).sum())
    sw = m.loc[m["after_switch"]].copy()
    if len(sw) == 0:
        return unavailable(name, "no IC->M switch is observed in the history.", **kw)
    sw["status"] = np.select(
        [sw["end_reason"] == "switch_to_IC", sw["end_reason"].isin(EXIT_REASONS)], [1, 2], 0
    )
    sw["year"] = sw["switch_year"]
    k = data.min_cell_size
    rows = []
    curve = pd.DataFrame()
    for by_name, group, g in groupings(sw, by):
        d = g["duration"].to_numpy()
        s = g["status"].to_numpy()
        est, se, at_risk, cur = cif_at(d, s, horizon, cause=1)
        e_est, e_se, _, _ = cif_at(d, s, horizon, cause=2)
        within = d <= horizon
        lo, hi = stats.loglog_ci(est, se, alpha)
        elo, ehi = stats.loglog_ci(e_est, e_se, alpha)
        # no event observed: log(-log) is degenerate at 0; bound it by Wilson for 0 of the
        # switchers whose status at the horizon is known (followed through it, or gone)
        known = at_risk + float(((s == 2) & within).sum())
        if est == 0:
            lo, hi = 0.0, stats.wilson_ci(0, known, alpha)[1]
        if e_est == 0:
            elo, ehi = 0.0, stats.wilson_ci(0, at_risk + float(((s == 1) & within).sum()),
                                            alpha)[1]
        people = g["employee_id"].nunique()
        small_tail = at_risk < k
        rows.append(row(name, "cif", by_name, group, estimate=est, ci_lower=float(lo),
                        ci_upper=float(hi), numerator=int(((s == 1) & within).sum()),
                        denominator=len(g), n=people, at_risk_at_horizon=at_risk,
                        horizon_years=horizon, suppressed=bool(small_tail)))
        rows.append(row(name, "exit_cif", by_name, group, estimate=e_est, ci_lower=float(elo),
                        ci_upper=float(ehi), numerator=int(((s == 2) & within).sum()),
                        denominator=len(g), n=people, at_risk_at_horizon=at_risk,
                        horizon_years=horizon, suppressed=bool(small_tail)))
        if by_name == OVERALL and group == ALL:
            cur = cur.loc[(cur["at_risk"] >= k) & (cur["time"] <= max(horizon, 0))]
            lo_c, hi_c = stats.loglog_ci(cur["estimate"], cur["se"], alpha)
            curve = cur.assign(ci_lower=lo_c, ci_upper=hi_c, n=cur["at_risk"])
    table = to_table(rows, ("at_risk_at_horizon", "horizon_years", "suppressed"))
    table["suppressed"] = table["suppressed"].astype(bool)
    return indicator_result(
        name, table, tables={"curve": curve},
        excluded={"M time under way at history start (switch not observed)": unknown},
        **kw,
    )


# ---------------------------------------------------------------------------
# Flows by grade
# ---------------------------------------------------------------------------

FLOWS = {
    ("IC", "switch_to_M"): "IC->M",
    ("M", "switch_to_IC"): "M->IC",
    ("IC", "exit"): "IC exit",
    ("M", "exit"): "M exit",
}


def switch_flows(data: AuditData, *, by: By = None, alpha: float = 0.05) -> Result:
    """Switch and exit flows by grade: counts and rates per 100 person-years.

    Parameters
    ----------
    data
        The audit data (needs history).
    by
        Optional grouping column(s) of the exposure table (``"org_unit"``, ``"year"``).
    alpha
        1 - confidence level.

    Returns
    -------
    Result
        Table columns ``by``, ``group``, ``grade``, ``flow`` (``"IC->M"``,
        ``"M->IC"``, ``"IC exit"``, ``"M exit"``), ``events`` (moves),
        ``person_years`` (of the origin track at that grade), ``estimate`` (moves
        per 100 person-years), ``ci_lower``, ``ci_upper`` (Garwood) and ``n``
        (people on the origin track at that grade, the population the rate
        describes).

    Notes
    -----
    A move is attributed to the grade and unit held on its last day in the
    origin track, and to that interval's fiscal year (exposure table).
    """
    definition = (
        "Moves per 100 person-years on the origin track at each grade: IC->M switches and "
        "IC exits per IC person-year, M->IC switches and M exits per M person-year."
    )
    kw = dict(analysis="switch_flows", definition=definition,
              method="Event counts over person-time (exposure table), Garwood CIs.",
              population="All person-time in the observed window.", data=data, alpha=alpha)
    cols = ["by", "group", "grade", "flow", "events", "person_years", "estimate", "ci_lower",
            "ci_upper", "n"]
    if data.is_snapshot:
        return make_result(pd.DataFrame(columns=cols), available=False, label_cols=("grade",),
                           note="Not computed: " + SNAPSHOT_NOTE.format(what="move"), **kw)
    exp = data.exposure
    ev = exp["event"].astype(str)
    kind = np.where(ev.isin(EXIT_REASONS), "exit", ev)
    e = pd.DataFrame({"employee_id": exp["employee_id"], "track": exp["track"].astype(str),
                      "grade": exp["grade"], "kind": kind,
                      "person_years": exp["person_years"]})
    for c in by_columns(by):
        if c in exp.columns:
            e[c] = exp[c]
    parts = []
    for by_name, group, g in groupings(e, by):
        base = g.groupby(["track", "grade"]).agg(person_years=("person_years", "sum"),
                                                 n=("employee_id", "nunique"))
        for (track, what), label in FLOWS.items():
            if track not in base.index.get_level_values(0):
                continue
            b = base.xs(track, level="track")
            hit = g.loc[(g["track"] == track) & (g["kind"] == what)]
            cnt = hit.groupby("grade").size().reindex(b.index, fill_value=0)
            parts.append(pd.DataFrame({"by": by_name, "group": group, "grade": b.index,
                                       "flow": label, "events": cnt.to_numpy(dtype=float),
                                       "person_years": b["person_years"].to_numpy(),
                                       "n": b["n"].to_numpy(dtype=float)}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    lo, hi = stats.poisson_rate_ci(out["events"], out["person_years"], alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["estimate"] = 100 * out["events"].to_numpy(dtype=float) / out["person_years"]
    out["ci_lower"] = 100 * lo
    out["ci_upper"] = 100 * hi
    out["grade"] = pd.array(out["grade"], dtype="Int64")
    return make_result(out[cols], available=True, note="", label_cols=("grade",),
                       plotter=_plot_flows, **kw)


def _plot_flows(result: Result, ax: Axes) -> Axes:
    from pathaudit.management_plots import plot_flows

    return plot_flows(result, ax=ax)
