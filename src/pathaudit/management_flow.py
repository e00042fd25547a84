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
    WORK_ATTRIBUTES,
    By,
    by_columns,
    cell_totals,
    fiscal_year,
    groupings,
    has_values,
    indicator_result,
    person_codes,
    row,
    rows_frame,
    summed_groupings,
    to_table,
    unavailable,
    work_exposure,
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
        Discrete covariates (e.g. 0/1 indicators), shape ``(n, p)``.
    strata, cluster
        Integer codes (0-based) of the stratum and of the person of each row.
    max_iter
        Newton iterations at most.

    Returns
    -------
    (beta, cov) : tuple of ndarray
        Estimates and their clustered covariance (``p`` and ``(p, p)``); NaN when
        Newton does not converge to finite values.

    Notes
    -----
    The stratum intercepts are profiled out: for fixed :math:`\beta`,
    :math:`\hat\alpha_s = \log(D_s / \sum_{i \in s} PY_i e^{x_i\beta})`, so
    Newton runs on :math:`\beta` alone with score
    :math:`\sum_i (x_i - \bar x_s)(d_i - \mu_i)` and information
    :math:`\sum_i \mu_i (x_i - \bar x_s)(x_i - \bar x_s)'`, :math:`\bar x_s` the
    :math:`\mu`-weighted mean of :math:`x` in stratum :math:`s`. With discrete
    covariates these depend on the data only through the events and person-time
    of each (stratum, covariate pattern) cell, so Newton runs on those cells; one
    pass over the rows then gives the person score sums :math:`u_g`, and the
    sandwich :math:`A^{-1} (\frac{G}{G-1} \sum_g u_g u_g') A^{-1}` equals the
    :math:`\beta` block of the full model's clustered sandwich (the intercepts
    partialled out; checked against ``statsmodels`` GLM in the tests).
    """
    d = np.asarray(events, dtype=float)
    t = np.asarray(person_years, dtype=float)
    X = np.asarray(x, dtype=float).reshape(len(d), -1)
    p = X.shape[1]
    nan = (np.full(p, np.nan), np.full((p, p), np.nan))
    if len(d) == 0:
        return nan
    n_s = int(strata.max()) + 1
    if p <= 16 and np.isin(X, (0.0, 1.0)).all():
        # indicator covariates: pattern = bit code, no sorting needed
        n_pat = 2**p
        pat = (X.astype(np.int64) << np.arange(p)).sum(axis=1)
        patterns = ((np.arange(n_pat)[:, None] >> np.arange(p)) & 1).astype(float)
        cell = strata.astype(np.int64) * n_pat + pat
        used = np.bincount(cell, minlength=n_s * n_pat) > 0
        cells = np.nonzero(used)[0]
        lookup = np.cumsum(used) - 1
        c_inv = lookup[cell]
    else:
        patterns, pat = np.unique(X, axis=0, return_inverse=True)
        pat = pat.reshape(-1)
        n_pat = len(patterns)
        cell = strata.astype(np.int64) * n_pat + pat
        cells, c_inv = np.unique(cell, return_inverse=True)
    d_c = np.bincount(c_inv, weights=d)
    t_c = np.bincount(c_inv, weights=t)
    s_c = cells // n_pat
    x_c = patterns[cells % n_pat]
    d_s = np.bincount(s_c, weights=d_c, minlength=n_s)

    def fitted(beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        eta = x_c @ beta
        w = t_c * np.exp(eta - eta.max())
        w_s = np.bincount(s_c, weights=w, minlength=n_s)
        mu = np.where(w_s[s_c] > 0, d_s[s_c] * w / np.where(w_s[s_c] > 0, w_s[s_c], 1.0), 0.0)
        mu_s = np.bincount(s_c, weights=mu, minlength=n_s)
        xbar = np.column_stack(
            [np.bincount(s_c, weights=mu * x_c[:, j], minlength=n_s) for j in range(p)]
        ) / np.where(mu_s > 0, mu_s, 1.0)[:, None]
        return mu, xbar, x_c - xbar[s_c]

    beta = np.zeros(p)
    for _ in range(max_iter):
        mu, _, r = fitted(beta)
        info = (r * mu[:, None]).T @ r
        try:
            step = np.linalg.solve(info, r.T @ (d_c - mu))
        except np.linalg.LinAlgError:
            return nan
        beta = beta + step
        if not np.all(np.isfinite(beta)) or np.abs(beta).max() > 30:
            return nan
        if np.abs(step).max() < 1e-10:
            break
    else:
        return nan
    mu_c, xbar, r_c = fitted(beta)
    info = (r_c * mu_c[:, None]).T @ r_c
    # rows: mu_i = mu_cell * t_i / t_cell; residual score (x_i - xbar_s)(d_i - mu_i)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu_i = np.where(t_c[c_inv] > 0, mu_c[c_inv] * t / t_c[c_inv], 0.0)
    resid = d - mu_i
    r_i = r_c[c_inv]
    n_g = int(cluster.max()) + 1
    u = np.column_stack(
        [np.bincount(cluster, weights=r_i[:, j] * resid, minlength=n_g) for j in range(p)]
    )
    g = int((np.bincount(cluster, minlength=n_g) > 0).sum())
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
    r"""Rate ratio(s) of ``focal`` indicator column(s), stratified, with person-clustered CIs.

    Poisson regression of ``events`` on the focal indicators and one intercept
    per stratum, offset ``log(person_years)``, sandwich variance clustered by
    ``cluster`` with the small-sample factor :math:`G/(G-1)` (G people); see
    :func:`poisson_stratified`. Under a hazard that is constant within stratum
    and focal group, ``exp(b)`` is the hazard ratio. How person-time is split
    into rows changes neither the estimate nor the interval. Strata without
    events carry no information.

    Returns
    -------
    pandas.DataFrame
        One row per focal column: ``term``, ``estimate``, ``ci_lower``,
        ``ci_upper``, ``p_value``, ``events_focal``, ``events_reference`` and
        ``expected_focal``, ``expected_reference``: the events each side would
        have had at a common rate within strata
        (:math:`\sum_s n_s T_{1s} / (T_{1s} + T_{0s})`, :math:`n_s` the events of
        both sides). These do not depend on how the events split, so a rule on
        them selects no particular result. NaN where a group has no events or no
        person-time.
    """
    focal_cols = [focal] if isinstance(focal, str) else list(focal)
    py = frame[person_years].to_numpy(dtype=float)
    keep = py > 0
    ev = frame[events].to_numpy(dtype=float)[keep]
    py = py[keep]
    fx = frame[focal_cols].to_numpy(dtype=float)[keep]
    out = []
    ok = len(ev) > 0
    off = fx.sum(axis=1) == 0
    st = _codes(frame[strata])[keep]
    n_s = int(st.max()) + 1 if len(st) else 0
    for j, c in enumerate(focal_cols):
        on = fx[:, j] == 1
        e1, e0 = float(ev[on].sum()), float(ev[off].sum())
        # expected focal events if the rate were the reference's, within strata
        d1 = np.bincount(st[on], weights=ev[on], minlength=n_s)
        d0 = np.bincount(st[off], weights=ev[off], minlength=n_s)
        t1 = np.bincount(st[on], weights=py[on], minlength=n_s)
        t0 = np.bincount(st[off], weights=py[off], minlength=n_s)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(t1 + t0 > 0, t1 / (t1 + t0), 0.0)
        x1 = float(((d1 + d0) * share).sum())
        out.append({"term": c, "events_focal": e1, "events_reference": e0,
                    "expected_focal": x1, "expected_reference": float((d1 + d0).sum()) - x1})
        if e1 == 0 or e0 == 0:
            ok = False
    res = pd.DataFrame(out)
    res[["estimate", "ci_lower", "ci_upper", "p_value"]] = np.nan
    if not ok:
        return res
    cl = _codes(frame[cluster])[keep]
    b, cov = poisson_stratified(ev, py, fx, st, cl)
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


def stall_thresholds(data: AuditData, *, by: str | None = None) -> pd.DataFrame:
    r"""Years in level after which an IC at each grade counts as stalled.

    Parameters
    ----------
    data
        The audit data (history export).
    by
        Optional spells column (e.g. ``"org_unit"``): thresholds are then set
        within each of its groups, from the spells that started there, and the
        result has that column too.

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
    if by is None:
        return _thresholds(ic, top)
    parts = [_thresholds(g, top).assign(**{by: value})
             for value, g in ic.groupby(by, sort=True, observed=True, dropna=True)]
    cols = [by, "grade", "threshold", "rule", "spells", "promotions", "n"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def _thresholds(ic: pd.DataFrame, top: float) -> pd.DataFrame:
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


def split_at_stall(exposure: pd.DataFrame, thresholds: np.ndarray) -> pd.DataFrame:
    """Split IC exposure rows at the stall threshold of their grade.

    Parameters
    ----------
    exposure
        IC rows of the exposure table (``time_in_spell``, ``person_years``, ``event``).
    thresholds
        Stall threshold in years of each row (NaN: no threshold, row left out).

    Returns
    -------
    pandas.DataFrame
        The rows with finite thresholds, each cut in up to two pieces, with
        ``stalled`` (0/1), ``person_years`` of the piece and ``switch`` (1 when
        the piece ends with an IC->M switch).
    """
    thr = np.asarray(thresholds, dtype=float)
    keep = np.isfinite(thr)
    e = exposure.loc[keep]
    thr = thr[keep]
    a = e["time_in_spell"].to_numpy(dtype=float)
    py = e["person_years"].to_numpy(dtype=float)
    b = a + py
    sw = (e["event"] == "switch_to_M").to_numpy()
    before = np.clip(np.minimum(b, thr) - a, 0, None)
    after = np.clip(b - np.maximum(a, thr), 0, None)
    ends_stalled = b > thr
    base = e.drop(columns=["person_years"])
    p0 = base.assign(stalled=0, person_years=before, switch=(sw & ~ends_stalled).astype(int))
    p1 = base.assign(stalled=1, person_years=after, switch=(sw & ends_stalled).astype(int))
    out = pd.concat([p0.loc[before > 0], p1.loc[after > 0]], ignore_index=True)
    return out


def stalled_then_switched(
    data: AuditData, *, by: By = None, threshold_by: str | None = None, alpha: float = 0.05
) -> Result:
    r"""Measure whether stalled ICs switch to management more than ICs still progressing.

    Parameters
    ----------
    data
        The audit data (needs effective-dated history).
    by
        Optional grouping column of the exposure table (``"org_unit"``, ``"year"``,
        ``"job_family"``, ``"location"``); the overall figures always come first.
    threshold_by
        Set the stall thresholds within each group of this column (e.g.
        ``"org_unit"`` when units run ladders of their own) instead of once for the
        organisation; the exposure is matched to them on the same column.
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
    thr = stall_thresholds(data, by=threshold_by)
    exp, _ = work_exposure(data)
    known = _ic_spells_with_known_start(data)["spell_id"].to_numpy(dtype=np.int64)
    is_ic = (exp["track"] == "IC").to_numpy()
    cols = ["pid", "grade", "event", "person_years", "time_in_spell"] + [
        c for c in {*by_columns(by), *([threshold_by] if threshold_by else [])}
        if c in exp.columns]
    ic = exp.loc[is_ic & exp["spell_id"].isin(known).to_numpy(), cols]
    unknown_start_py = float(exp.loc[is_ic, "person_years"].sum() - ic["person_years"].sum())
    if len(ic) == 0 or thr["threshold"].notna().sum() == 0:
        return unavailable(name, "no IC promotions are observed, so no stall threshold "
                           "can be set.", **kw)
    if threshold_by is None:
        per_row = ic["grade"].map(thr.set_index("grade")["threshold"]).to_numpy(dtype=float)
    else:
        key = pd.MultiIndex.from_arrays([ic[threshold_by].astype(str), ic["grade"].astype(float)])
        lookup = pd.Series(thr["threshold"].to_numpy(dtype=float), index=pd.MultiIndex.from_arrays(
            [thr[threshold_by].astype(str), thr["grade"].astype(float)]))
        per_row = lookup.reindex(key).to_numpy(dtype=float)
    pieces = split_at_stall(ic, per_row)
    excluded_py = float(ic["person_years"].sum() - pieces["person_years"].sum())
    rows = []
    for by_name, group, g in summed_groupings(pieces, by, ["pid", "grade", "stalled"],
                                              ["switch", "person_years"]):
        rows.extend(_stall_rows(name, by_name, group, g, alpha))
    table = to_table(rows, ("stalled_person_years", "progressing_person_years", "p_value",
                            "expected_focal", "expected_reference"))
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


def _stall_rows(
    name: str, by: str, group: str, g: pd.DataFrame, alpha: float
) -> list[dict | pd.DataFrame]:
    rows: list[dict | pd.DataFrame] = []
    people = g["pid"].nunique()
    sw = g.loc[g["switch"] > 0]
    n_sw = int(sw["switch"].sum())
    n_st = int(sw.loc[sw["stalled"] == 1, "switch"].sum())
    lo, hi = stats.wilson_ci(n_st, n_sw, alpha)
    py1 = float(g.loc[g["stalled"] == 1, "person_years"].sum())
    py0 = float(g.loc[g["stalled"] == 0, "person_years"].sum())
    hr = stratified_rate_ratio(
        g.rename(columns={"switch": "events"}), focal="stalled", strata="grade",
        cluster="pid", alpha=alpha,
    ).iloc[0]
    rows.append(row(name, "hazard_ratio", by, group, estimate=hr["estimate"],
                    ci_lower=hr["ci_lower"], ci_upper=hr["ci_upper"], numerator=n_st,
                    denominator=n_sw - n_st, n=people, stalled_person_years=py1,
                    progressing_person_years=py0, p_value=hr["p_value"],
                    expected_focal=hr["expected_focal"],
                    expected_reference=hr["expected_reference"]))
    rows.append(row(name, "share_stalled", by, group,
                    estimate=n_st / n_sw if n_sw else np.nan, ci_lower=float(lo),
                    ci_upper=float(hi), numerator=n_st, denominator=n_sw,
                    n=sw["pid"].nunique()))
    levels, ev, t, _, n_grade = cell_totals(g["grade"].to_numpy(dtype=float), g["stalled"], 2,
                                            g["switch"], g["person_years"], g["pid"])
    ok = (t[:, 0] > 0) & (t[:, 1] > 0)
    if ok.any():
        rr, rlo, rhi, p = stats.rate_ratio_ci(ev[ok, 1], t[ok, 1], ev[ok, 0], t[ok, 0], alpha)
        rows.append(rows_frame(name, "rate_ratio", by, group, grade=levels[ok].astype(int),
                               estimate=rr, ci_lower=rlo, ci_upper=rhi, numerator=ev[ok, 1],
                               denominator=ev[ok, 0], n=n_grade[ok],
                               stalled_person_years=t[ok, 1],
                               progressing_person_years=t[ok, 0], p_value=p))
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
    exp, ids = work_exposure(data)
    keep = ["pid", "episode", "grade", "person_years"] + [
        c for c in by_columns(by) if c in exp.columns and c not in present]
    ic = exp.loc[(exp["track"] == "IC").to_numpy(), keep]
    ic["events"] = (exp.loc[(exp["track"] == "IC").to_numpy(), "event"] == "switch_to_M").to_numpy(
        dtype=np.int64)
    attrs = data.people[["employee_id", "episode"] + present].assign(
        pid=person_codes(ids, data.people["employee_id"]),
        episode=data.people["episode"].to_numpy(dtype=np.int64))
    attrs = attrs.loc[attrs["pid"] >= 0].drop(columns="employee_id")
    for c in present:
        attrs[c] = attrs[c].astype("category")
    ic = ic.merge(attrs, on=["pid", "episode"], how="left")
    rows: list[dict] = []
    for attribute in present:
        sub = ic.loc[ic[attribute].notna().to_numpy()]
        sub = sub.assign(category=sub[attribute].cat.remove_unused_categories())
        for by_name, group, g in summed_groupings(sub, by, ["pid", "grade", "category"],
                                                  ["events", "person_years"]):
            rows.extend(_who_rows(name, attribute, by_name, group, g, alpha))
    table = to_table(rows, ("attribute", "category", "reference", "person_years", "p_value"))
    return indicator_result(name, table, attributes=present, **kw)


def _who_rows(
    name: str, attribute: str, by: str, group: str, g: pd.DataFrame, alpha: float
) -> list[pd.DataFrame]:
    # g is summed within (person, grade, category): a row is one person at one grade
    codes, cats_all = pd.factorize(g["category"].astype(str))
    m = len(cats_all)
    if m == 0:
        return []
    levels, ev, t, n, _ = cell_totals(g["grade"].to_numpy(dtype=float), codes, m, g["events"],
                                      g["person_years"], g["pid"])
    pid = g["pid"].to_numpy(dtype=np.int64)
    n_cat = np.bincount(np.unique(pid * m + codes) % m, minlength=m).astype(float)
    ev_k, t_k = ev.sum(axis=0), t.sum(axis=0)
    order = sorted((k for k in range(m) if t_k[k] > 0), key=lambda k: (-t_k[k], cats_all[k]))
    if not order:
        return []
    cats = [str(cats_all[k]) for k in order]
    ref_k, ref = order[0], cats[0]
    # rates: every (grade, category) cell with person-time, then pooled per category
    gi, ki = np.nonzero(t > 0)
    r_ev = np.r_[ev[gi, ki], ev_k[order]]
    r_t = np.r_[t[gi, ki], t_k[order]]
    lo, hi = stats.poisson_rate_ci(r_ev, r_t, alpha)
    grades = pd.array(np.r_[levels[gi].astype(float), np.full(len(order), np.nan)],
                      dtype="Float64").astype("Int64")
    out = [rows_frame(name, "switch_rate", by, group, grade=grades, estimate=100 * r_ev / r_t,
                      ci_lower=100 * lo, ci_upper=100 * hi, numerator=r_ev, denominator=r_t,
                      n=np.r_[n[gi, ki], n_cat[order]], attribute=attribute,
                      category=[str(cats_all[k]) for k in ki] + cats, reference=ref,
                      person_years=r_t)]
    # within-grade rate ratios against the reference category
    for k in order[1:]:
        ok = (t[:, k] > 0) & (t[:, ref_k] > 0)
        if not ok.any():
            continue
        rr, rlo, rhi, p = stats.rate_ratio_ci(ev[ok, k], t[ok, k], ev[ok, ref_k], t[ok, ref_k],
                                              alpha)
        out.append(rows_frame(
            name, "rate_ratio_within_grade", by, group, grade=levels[ok].astype(int),
            estimate=rr, ci_lower=rlo, ci_upper=rhi, numerator=ev[ok, k],
            denominator=ev[ok, ref_k], n=np.minimum(n[ok, k], n[ok, ref_k]),
            attribute=attribute, category=str(cats_all[k]), reference=ref,
            person_years=t[ok, k], p_value=p))
    # pooled over grades, grade-stratified
    if len(order) > 1:
        focal = [f"cat_{i}" for i in range(1, len(order))]
        design = pd.DataFrame({"pid": pid, "grade": g["grade"].to_numpy(),
                               "events": g["events"].to_numpy(dtype=float),
                               "person_years": g["person_years"].to_numpy(dtype=float)})
        for f, k in zip(focal, order[1:], strict=True):
            design[f] = (codes == k).astype(np.int64)
        res = stratified_rate_ratio(design, focal=focal, strata="grade", cluster="pid",
                                    alpha=alpha)
        others = np.array(order[1:])
        out.append(rows_frame(
            name, "rate_ratio", by, group, grade=pd.NA, estimate=res["estimate"].to_numpy(),
            ci_lower=res["ci_lower"].to_numpy(), ci_upper=res["ci_upper"].to_numpy(),
            numerator=res["events_focal"].to_numpy(),
            denominator=res["events_reference"].to_numpy(),
            n=np.minimum(n_cat[others], n_cat[ref_k]), attribute=attribute,
            category=cats[1:], reference=ref, person_years=t_k[others],
            p_value=res["p_value"].to_numpy(), expected_focal=res["expected_focal"].to_numpy(),
            expected_reference=res["expected_reference"].to_numpy()))
    return out


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
        ``stop``, ``entry`` (of the first spell), ``grade`` and ``org_unit``,
        ``job_family``, ``location``, ``gender`` (as present) at the start,
        ``end_reason`` of the last spell (a switch, an exit or
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
            "after_switch": prev.loc[new_run].notna().to_numpy(),
        }
    )
    for c in WORK_ATTRIBUTES:
        if c in first.columns:
            runs[c] = first[c].to_numpy()
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
    exp, _ = work_exposure(data)
    ev = exp["event"]
    flow = np.full(len(exp), "", dtype=object)
    is_ic = (exp["track"] == "IC").to_numpy()
    exits = ev.isin(EXIT_REASONS).to_numpy()
    flow[is_ic & (ev == "switch_to_M").to_numpy()] = "IC->M"
    flow[~is_ic & (ev == "switch_to_IC").to_numpy()] = "M->IC"
    flow[is_ic & exits] = "IC exit"
    flow[~is_ic & exits] = "M exit"
    e = pd.DataFrame({"pid": exp["pid"], "track": exp["track"], "grade": exp["grade"],
                      "flow": pd.Categorical(flow, categories=["", *FLOWS.values()]),
                      "moves": (flow != "").astype(np.int64),
                      "person_years": exp["person_years"]})
    for c in by_columns(by):
        if c in exp.columns:
            e[c] = exp[c]
    origin = {label: track for (track, _), label in FLOWS.items()}
    parts = []
    for by_name, group, g in summed_groupings(e, by, ["pid", "track", "grade", "flow"],
                                              ["moves", "person_years"]):
        base = g.groupby(["track", "grade"], observed=True).agg(
            person_years=("person_years", "sum"), n=("pid", "nunique"))
        moves = g.groupby(["flow", "grade"], observed=True)["moves"].sum()
        for label, track in origin.items():
            if track not in base.index.get_level_values(0):
                continue
            b = base.xs(track, level="track")
            cnt = moves.xs(label, level="flow") if label in moves.index.get_level_values(0) \
                else pd.Series(dtype=float)
            cnt = cnt.reindex(b.index, fill_value=0)
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
