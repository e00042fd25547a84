"""The dual-ladder turnover study: did adopting the dual ladder lower voluntary turnover."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from scipy import stats
else:  # imported on first use: import pathaudit stays fast
    from pathaudit.stats._lazy import LazyModule

    stats = LazyModule("scipy.stats")

from pathaudit.checks import (
    check_alpha,
    check_choice,
    check_data,
    check_k,
    check_number,
    check_parts,
)
from pathaudit.data import AuditData
from pathaudit.derived.calendar import (
    days_since_epoch,
    fiscal_month_offset,
    quarter_index,
    quarter_start_day,
)
from pathaudit.errors import NeedsHistoryError, StatisticalWarning
from pathaudit.result import Note, Result, make_result
from pathaudit.stats.survival import cox_ph
from pathaudit.study._did import AttGt, aggregate, att_gt
from pathaudit.study._fast import aggregate_draws, cell_estimates, wide
from pathaudit.study._honest import breakdown_mbar, relative_magnitude_set
from pathaudit.study._panel import study_panel
from pathaudit.study._plots import plot_event_study, plot_placebo
from pathaudit.study._result import PARTS, StudyResult

ANALYSIS = "dual_ladder_study"

MIN_UNITS_PER_COHORT = 5
"""Units an adoption cohort (and the never-treated group, when it is the control) needs
before the analytic and bootstrap intervals are shown: R ``did``'s own threshold (5 plus the
number of covariates), below which the influence-function variance rests on a handful of
units. Below it, inference comes from randomisation over adoption dates."""

MIN_CLUSTERS = 5
"""Unit clusters a clustered interval (TWFE, Poisson, Cox) needs (``headline.MINIMUMS``);
below 30 the interval uses t(G - 1) quantiles."""

PRETREND_QUARTERS = 8
"""Pre-adoption event times (the last ones before adoption) the joint pre-trend test covers:
two years, fewer when the panel has fewer units than that plus 2 (the covariance of more
event-time effects than units is singular)."""

MBAR_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
"""Relative magnitudes of the sensitivity part."""

OUTCOME = "voluntary_per_100py"
KINDS = ("simple", "group", "dynamic", "calendar")


@dataclass
class _Run:
    data: AuditData
    panel: pd.DataFrame
    left_out: dict[str, str]
    alpha: float
    k: int
    control_group: str
    anticipation: int
    base_period: str
    bootstrap: int
    seed: int
    placebo_draws: int
    power_draws: int
    unit_people: pd.DataFrame  # employee_id, org_unit (distinct)
    few: str

    @property
    def common(self) -> dict[str, Any]:
        return {"analysis": ANALYSIS, "data": self.data, "alpha": self.alpha, "k": self.k}

    def people(self, units: Sequence[str] | pd.Series | np.ndarray | None = None) -> int:
        up = self.unit_people
        if units is not None:
            up = up[up["org_unit"].isin(list(units))]
        return int(up["employee_id"].nunique())

    def units_of(self, cohort: int | None = None) -> list[str]:
        g = self.panel.groupby("org_unit")["first_treated"].first()
        if cohort is None:
            return list(g.index)
        return list(g.index[g == cohort])

    def did(
        self,
        outcome: str = OUTCOME,
        weights: str | None = "weight",
        bootstrap: int | None = None,
        base_period: str | None = None,
    ) -> AttGt:
        return att_gt(
            self.panel,
            outcome=outcome,
            unit="org_unit",
            time="period",
            first_treated="first_treated",
            control_group=self.control_group,  # type: ignore[arg-type]
            # without covariates the doubly robust, regression and IPW estimators are the
            # same estimator (equal estimates and SEs); IPW fits no outcome regression, which
            # the engine cannot fit when every control's change is 0 (sparse exit counts)
            est_method="ipw",
            weights=weights,
            anticipation=self.anticipation,
            base_period=(base_period or self.base_period),  # type: ignore[arg-type]
            alpha=self.alpha,
            bootstrap=self.bootstrap if bootstrap is None else bootstrap,
            seed=self.seed,
        )

    def points(
        self,
        outcome: str = OUTCOME,
        weights: str | None = "weight",
        G: np.ndarray | None = None,
        Y: np.ndarray | None = None,
        base_period: str | None = None,
    ) -> dict[str, np.ndarray]:
        Y0, periods, G0, w = wide(
            self.panel, outcome, "org_unit", "period", "first_treated", weights
        )
        cells, est = cell_estimates(
            Y0 if Y is None else Y,
            periods,
            G0 if G is None else G,
            w,
            control_group=self.control_group,
            anticipation=self.anticipation,
            base_period=base_period or self.base_period,
        )
        out = aggregate_draws(cells, est, G0 if G is None else G, w)
        out["cells"] = cells
        out["cell_estimates"] = est
        return out


def _few_units(panel: pd.DataFrame, control_group: str) -> str:
    g = panel.groupby("org_unit")["first_treated"].first()
    sizes = g[g > 0].value_counts()
    small = sizes[sizes < MIN_UNITS_PER_COHORT]
    never = int((g == 0).sum())
    why = []
    if len(small):
        why.append(
            f"{len(small)} of {len(sizes)} adoption cohorts have fewer than "
            f"{MIN_UNITS_PER_COHORT} units (smallest: {int(sizes.min())})"
        )
    if control_group == "never" and never < MIN_UNITS_PER_COHORT:
        why.append(f"{never} never-treated units (fewer than {MIN_UNITS_PER_COHORT})")
    if not len(sizes):
        why.append("no unit adopts within the data")
    return "; ".join(why)


def _mid_quarter_units(panel: pd.DataFrame, fiscal_year_start_month: int) -> list[str]:
    """Adopting units whose adoption date is not the first day of a fiscal quarter."""
    per = panel[panel["first_treated"] > 0].groupby("org_unit")["adoption_date"].first()
    if per.empty:
        return []
    days, _ = days_since_epoch(pd.to_datetime(per))
    offset = fiscal_month_offset(fiscal_year_start_month)
    starts = quarter_start_day(quarter_index(days, offset), offset)
    return [str(u) for u in per.index[starts != days]]


# ----------------------------------------------------------------------------- parts


def _part_panel(run: _Run) -> Result:
    p = run.panel
    per = (
        p.groupby("org_unit")
        .agg(
            first_treated=("first_treated", "first"),
            adoption_date=("adoption_date", "first"),
            quarters=("period", "size"),
            person_years=("person_years", "sum"),
            voluntary=("voluntary", "sum"),
            involuntary=("involuntary", "sum"),
            weight=("weight", "first"),
        )
        .reset_index()
    )
    per["n"] = [run.people([u]) for u in per["org_unit"]]
    first_q = p.loc[p["period"] == 1, "quarter"]
    per["cohort"] = np.where(per["first_treated"] > 0, "adopts", "never treated")
    per["estimate"] = 100.0 * per["voluntary"] / per["person_years"]
    per["ci_lower"] = np.nan
    per["ci_upper"] = np.nan
    return make_result(
        per,
        groups=["org_unit"],
        **run.common,
        definition=(
            "One row per org unit of the study panel: its first treated period (the first "
            "full fiscal quarter on or after its adoption date; 0 = never adopts within the "
            "data), quarters with person-time, voluntary and involuntary exits, person-years, "
            "its weight (average quarterly person-years before the first adoption in the "
            "data) and its voluntary exits per 100 person-years (estimate)."
        ),
        method="Unit x quarter sums of the exposure table; people count in the unit they "
        "were in at the time.",
        population=f"Every unit with person-time in the full quarters of the data "
        f"(period 1 = {first_q.iloc[0] if len(first_q) else '-'}).",
    )


def _agg_rows(
    run: _Run, fit: AttGt | None, pts: dict[str, np.ndarray], weighting: str
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    treated_units = [u for u in run.units_of() if u not in run.units_of(0)]
    n_treated = run.people(treated_units)
    for kind in KINDS:
        agg = aggregate(fit, kind) if fit is not None else None  # type: ignore[arg-type]
        overall = (
            agg.overall
            if agg is not None
            else {
                "estimate": float(pts[f"{kind}_overall"][0]),
                "se": np.nan,
                "ci_lower": np.nan,
                "ci_upper": np.nan,
            }
        )
        rows.append(
            {
                "weighting": weighting,
                "kind": kind,
                "value": "overall",
                **overall,
                "band_lower": np.nan,
                "band_upper": np.nan,
                "n": n_treated,
            }
        )
        if kind == "simple":
            continue
        if agg is not None:
            tab = agg.table
        else:
            tab = pd.DataFrame({"value": pts[f"{kind}_values"], "estimate": pts[kind][0]})
        for _, r in tab.iterrows():
            v = int(r["value"])
            units = run.units_of(v) if kind == "group" else treated_units
            rows.append(
                {
                    "weighting": weighting,
                    "kind": kind,
                    "value": str(v),
                    "estimate": r["estimate"],
                    "se": r.get("se", np.nan),
                    "ci_lower": r.get("ci_lower", np.nan),
                    "ci_upper": r.get("ci_upper", np.nan),
                    "band_lower": r.get("band_lower", np.nan),
                    "band_upper": r.get("band_upper", np.nan),
                    "n": run.people(units),
                }
            )
    return rows


def _part_att(run: _Run) -> Result:
    rows: list[dict[str, Any]] = []
    for weighting, w in (("person-time", "weight"), ("unweighted", None)):
        pts = run.points(weights=w)
        fit = None if run.few else run.did(weights=w)
        rows += _agg_rows(run, fit, pts, weighting)
    table = pd.DataFrame(rows)
    table["inference"] = "randomisation over adoption dates" if run.few else "analytic"
    return make_result(
        table,
        groups=["weighting", "kind", "value"],
        **run.common,
        definition=(
            "Callaway–Sant'Anna average effect of adoption on voluntary exits per 100 "
            "person-years (unit x quarter), aggregated as R did's aggte: simple (every "
            "post-adoption group-time effect, groups weighted by their share), group (per "
            "adoption cohort, value = its first treated period), dynamic (per quarter since "
            "adoption, value = event time; overall = average over event times >= 0) and "
            "calendar (per period). Weighted by each unit's average quarterly person-time "
            "before the first adoption, and unweighted beside it. Negative = fewer exits. "
            "ci_lower / ci_upper: pointwise analytic intervals; band_lower / band_upper: the "
            "multiplier-bootstrap band holding over every row of an aggregation at once."
        ),
        method=(
            f"att_gt (no covariates: doubly robust = IPW; {run.control_group} "
            f"controls, {run.base_period} base period, anticipation {run.anticipation}) "
            "with analytic influence-function SEs; "
            + (
                f"intervals not estimable ({run.few}): see placebo_dates for inference"
                if run.few
                else "pointwise normal intervals"
            )
        ),
        population="The unit x quarter panel (see the panel part).",
        few_units=run.few,
    )


def _part_att_gt(run: _Run) -> Result:
    if run.few:
        pts = run.points()
        t = pts["cells"].assign(estimate=pts["cell_estimates"][0])  # type: ignore[attr-defined]
        t["event_time"] = t["time"] - t["group"]
        for c in ("se", "ci_lower", "ci_upper", "band_lower", "band_upper"):
            t[c] = np.nan
    else:
        t = run.did().table.drop(columns=["se_bootstrap"])
    t["n"] = [run.people(run.units_of(int(g))) for g in t["group"]]
    return make_result(
        t,
        groups=["group", "time"],
        **run.common,
        definition=(
            "Group-time effects ATT(g, t) on voluntary exits per 100 person-years: "
            "cohort g (first treated period) in period t, against the base period "
            f"({run.base_period}); n = people in the cohort's units."
        ),
        method="Callaway–Sant'Anna, doubly robust, person-time unit weights; band = "
        "simultaneous multiplier-bootstrap band (Mammen weights)",
        population="The unit x quarter panel.",
    )


def _part_event_study(run: _Run) -> Result:
    treated = [u for u in run.units_of() if u not in run.units_of(0)]
    pretest: dict[str, Any] = {}
    if run.few:
        pts = run.points()
        t = pd.DataFrame({"event_time": pts["dynamic_values"], "estimate": pts["dynamic"][0]})
        for c in ("se", "ci_lower", "ci_upper", "band_lower", "band_upper"):
            t[c] = np.nan
    else:
        fit = run.did()
        agg = aggregate(fit, "dynamic")
        t = agg.table.rename(columns={"value": "event_time"}).drop(columns=["kind"])
        pretest = _pretrend_test(agg, len(run.units_of()))
    t["n"] = run.people(treated)
    return make_result(
        t,
        groups=["event_time"],
        **run.common,
        definition=(
            "Average effect on voluntary exits per 100 person-years by quarters "
            "since adoption (event time; negative = before adoption, short "
            "differences with the varying base period), with pointwise intervals "
            "and a simultaneous band; the joint pre-trend test is the Wald test "
            "that every pre-adoption ATT(g, t) is zero."
        ),
        method="aggte(type='dynamic') of the person-time-weighted ATT(g, t)",
        population="The adopting units.",
        plotter=plot_event_study,
        **pretest,
        few_units=run.few,
    )


def _pretrend_test(agg: Any, n_units: int) -> dict[str, Any]:
    """Joint Wald test that the last pre-adoption event-time effects are all zero."""
    e = agg.table["value"].to_numpy()
    keep_n = max(min(PRETREND_QUARTERS, n_units - 2), 0)
    pre = np.flatnonzero(e < 0)[::-1][:keep_n][::-1]
    if not len(pre) or agg.influence_rows.size == 0:
        return {}
    IF = agg.influence_rows[:, pre]
    V = IF.T @ IF / IF.shape[0] ** 2
    b = agg.table["estimate"].to_numpy()[pre]
    try:
        W = float(b @ np.linalg.solve(V, b))
    except np.linalg.LinAlgError:
        return {}
    return {
        "pretest_statistic": W,
        "pretest_df": len(pre),
        "pretest_p_value": float(stats.chi2.sf(W, len(pre))),
        "pretest_event_times": [int(x) for x in e[pre]],
    }


def _cluster_interval(est: float, se: float, G: int, alpha: float) -> tuple[float, float, str]:
    if G < MIN_CLUSTERS or not np.isfinite(se):
        return np.nan, np.nan, f"not estimable: {G} unit clusters (fewer than {MIN_CLUSTERS})"
    q = stats.t.ppf(1 - alpha / 2, G - 1) if G < 30 else stats.norm.ppf(1 - alpha / 2)
    return est - q * se, est + q * se, ""


def _part_twfe(run: _Run) -> Result:
    import statsmodels.api as sm

    p = run.panel
    D = ((p["first_treated"] > 0) & (p["period"] >= p["first_treated"])).astype(float)
    X = pd.get_dummies(p[["org_unit"]].astype(str), drop_first=True, dtype=float)
    X = pd.concat(
        [
            D.rename("D"),
            X,
            pd.get_dummies(p["period"].astype(str), prefix="q", drop_first=True, dtype=float),
        ],
        axis=1,
    )
    X = sm.add_constant(X)
    groups = pd.factorize(p["org_unit"])[0]
    G = int(p["org_unit"].nunique())
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ols = sm.WLS(p[OUTCOME], X, weights=p["weight"]).fit(
            cov_type="cluster", cov_kwds={"groups": groups}
        )
        est, se = float(ols.params["D"]), float(ols.bse["D"])
        lo, hi, why = _cluster_interval(est, se, G, run.alpha)
        rows.append(
            {
                "method": "two-way fixed effects (OLS)",
                "measure": "difference per 100 person-years",
                "estimate": est,
                "se": se,
                "ci_lower": lo,
                "ci_upper": hi,
                "reason": why,
            }
        )
        glm = sm.GLM(
            p["voluntary"], X, family=sm.families.Poisson(), offset=np.log(p["person_years"])
        ).fit(cov_type="cluster", cov_kwds={"groups": groups})
        b, sb = float(glm.params["D"]), float(glm.bse["D"])
        lo, hi, why = _cluster_interval(b, sb, G, run.alpha)
        rows.append(
            {
                "method": "Poisson two-way fixed effects, person-time offset",
                "measure": "rate ratio",
                "estimate": np.exp(b),
                "se": sb,
                "ci_lower": np.exp(lo),
                "ci_upper": np.exp(hi),
                "reason": why,
            }
        )
    est, se = _poisson_imputation(p, D.to_numpy(dtype=bool))
    lo, hi, why = _cluster_interval(est, se, G, run.alpha)
    rows.append(
        {
            "method": "Poisson imputation (untreated unit and quarter effects), person-time offset",
            "measure": "difference per 100 person-years",
            "estimate": est,
            "se": se,
            "ci_lower": lo,
            "ci_upper": hi,
            "reason": why,
        }
    )
    t = pd.DataFrame(rows)
    t["n"] = run.people()
    return make_result(
        t,
        groups=["method"],
        **run.common,
        definition=(
            "Plain two-way fixed effects (unit and quarter effects, one treated "
            "indicator) on voluntary exits per 100 person-years, weighted by unit "
            "weight: shown only as the comparison that is biased under staggered "
            "adoption with effects that change over time (already-treated units serve "
            "as controls). The Poisson version models exits with log person-years as "
            "offset and reports the rate ratio. The Poisson imputation cross-check fits "
            "unit and quarter effects on the untreated unit-quarters only (exits, log "
            "person-years offset), predicts the treated unit-quarters' exits without the "
            "ladder and reports 100 x (observed - predicted exits) / person-years over "
            "them: a heterogeneity-robust estimate on the count scale, weighted by "
            "person-time."
        ),
        method=(
            "statsmodels WLS / GLM Poisson, cluster-robust by unit; t(G - 1) below 30 "
            "units; the imputation's SE by the leave-one-unit-out jackknife"
        ),
        population="The unit x quarter panel.",
    )


def _imputation_att(p: pd.DataFrame, treated: np.ndarray) -> float:
    """100 x (observed - predicted exits) / person-years over the treated unit-quarters."""
    import statsmodels.api as sm

    units = p["org_unit"].astype(str).to_numpy()
    periods = p["period"].to_numpy()
    base = ~treated
    u_codes, u_index = np.unique(units, return_inverse=True)
    q_codes, q_index = np.unique(periods, return_inverse=True)
    # every treated unit-quarter needs its unit and quarter seen untreated
    seen_u = np.isin(np.arange(len(u_codes)), u_index[base])
    seen_q = np.isin(np.arange(len(q_codes)), q_index[base])
    use = treated & seen_u[u_index] & seen_q[q_index]
    if not use.any():
        return float("nan")
    X = np.column_stack([np.eye(len(u_codes))[u_index], np.eye(len(q_codes))[q_index][:, 1:]])
    y = p["voluntary"].to_numpy(dtype=float)
    off = np.log(p["person_years"].to_numpy(dtype=float))
    keep = np.flatnonzero(X[base].any(axis=0))
    fit = sm.GLM(y[base], X[base][:, keep], family=sm.families.Poisson(), offset=off[base]).fit()
    mu0 = np.exp(X[use][:, keep] @ fit.params + off[use])
    py = p["person_years"].to_numpy(dtype=float)[use]
    return float(100.0 * (y[use].sum() - mu0.sum()) / py.sum())


def _poisson_imputation(p: pd.DataFrame, treated: np.ndarray) -> tuple[float, float]:
    """The imputation estimate and its leave-one-unit-out jackknife SE."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = _imputation_att(p, treated)
        units = p["org_unit"].astype(str).to_numpy()
        names = np.unique(units)
        loo = np.array([_imputation_att(p[units != u], treated[units != u]) for u in names])
    loo = loo[np.isfinite(loo)]
    G = len(loo)
    se = float(np.sqrt((G - 1) / G * np.sum((loo - loo.mean()) ** 2))) if G > 1 else np.nan
    return est, se


def _permutations(run: _Run) -> np.ndarray:
    _, _, G, _ = wide(run.panel, OUTCOME, "org_unit", "period", "first_treated", None)
    rng = np.random.default_rng(run.seed)
    return np.stack([rng.permutation(G) for _ in range(run.placebo_draws)])


def _part_placebo_dates(run: _Run) -> Result:
    obs = run.points()
    perms = _permutations(run)
    draws = run.points(G=perms)
    rows = []
    dist = []
    for kind in KINDS:
        o = float(obs[f"{kind}_overall"][0])
        d = draws[f"{kind}_overall"]
        d = d[np.isfinite(d)]
        p = (1 + np.sum(np.abs(d) >= abs(o) - 1e-12)) / (len(d) + 1)
        rows.append(
            {
                "kind": kind,
                "estimate": o,
                "placebo_mean": float(d.mean()),
                "placebo_sd": float(d.std(ddof=1)) if len(d) > 1 else np.nan,
                "p_value": p,
                "draws": len(d),
                "ci_lower": np.nan,
                "ci_upper": np.nan,
            }
        )
        dist.append(pd.DataFrame({"kind": kind, "draw": np.arange(len(d)), "placebo": d}))
    t = pd.DataFrame(rows)
    t["n"] = run.people()
    draws_table = pd.concat(dist, ignore_index=True)
    draws_table["n"] = run.people()
    return make_result(
        t,
        groups=["kind"],
        **run.common,
        tables={"draws": (draws_table, ["kind", "draw"])},
        definition=(
            "Randomisation inference over adoption dates: the units' adoption dates "
            "(first treated periods, never-treated included) are reassigned at random "
            f"{run.placebo_draws} times and each aggregation re-estimated. Placebo "
            "effects should centre on zero; p_value = share of placebo effects at "
            "least as large in absolute value as the estimate (the draw itself "
            "counted)."
        ),
        method="Person-time-weighted Callaway–Sant'Anna point estimates on each reassignment",
        population="The unit x quarter panel.",
        plotter=plot_placebo,
    )


def _simple_rows(run: _Run, outcomes: dict[str, str]) -> pd.DataFrame:
    rows = []
    for label, col in outcomes.items():
        if run.few:
            pts = run.points(outcome=col)
            est = float(pts["simple_overall"][0])
            perms = run.points(outcome=col, G=_permutations(run))["simple_overall"]
            perms = perms[np.isfinite(perms)]
            p = (1 + np.sum(np.abs(perms) >= abs(est) - 1e-12)) / (len(perms) + 1)
            rows.append(
                {
                    "outcome": label,
                    "estimate": est,
                    "se": np.nan,
                    "ci_lower": np.nan,
                    "ci_upper": np.nan,
                    "p_value": p,
                    "inference": "randomisation over adoption dates",
                }
            )
        else:
            o = aggregate(run.did(outcome=col, bootstrap=0), "simple").overall
            z = o["estimate"] / o["se"] if o["se"] > 0 else np.nan
            rows.append(
                {
                    "outcome": label,
                    **o,
                    "p_value": 2 * stats.norm.sf(abs(z)),
                    "inference": "analytic",
                }
            )
    t = pd.DataFrame(rows)
    t["n"] = run.people()
    return t


def _part_placebo_outcome(run: _Run) -> Result:
    t = _simple_rows(run, {"involuntary exits per 100 person-years": "involuntary_per_100py"})
    return make_result(
        t,
        groups=["outcome"],
        **run.common,
        definition=(
            "The same estimator (simple aggregation, person-time weights) on "
            "involuntary exits per 100 person-years, which a dual ladder should not "
            "move: an effect here points to something else changing at adoption."
        ),
        method="Callaway–Sant'Anna, as the att part",
        population="The unit x quarter panel.",
    )


def _part_composition(run: _Run) -> Result:
    p = run.panel
    run.panel = p.assign(
        hires_per_100py=100.0 * p["hires"] / p["person_years"],
        ic_moves_out_per_100py=100.0 * p["ic_moves_out"] / p["person_years"],
    )
    try:
        t = _simple_rows(
            run,
            {
                "hires per 100 person-years": "hires_per_100py",
                "IC moves out per 100 person-years": "ic_moves_out_per_100py",
            },
        )
    finally:
        run.panel = p
    return make_result(
        t,
        groups=["outcome"],
        **run.common,
        definition=(
            "Did adoption change who comes into or leaves adopting units? The same "
            "estimator on hires into the unit and on ICs moving to another unit, each "
            "per 100 person-years. ICs moving from adopting to non-adopting units (or "
            "back) would change the people the exit rates describe and bias them."
        ),
        method="Callaway–Sant'Anna, as the att part",
        population="The unit x quarter panel.",
    )


def _part_cox(run: _Run) -> Result:
    data = run.data
    ex = data.exposure
    ex = ex[ex["org_unit"].notna() & (ex["person_years"] > 0)]
    adoption = data.adoption
    assert adoption is not None  # the panel part refused data without one
    adopt = adoption.assign(org_unit=adoption["org_unit"].astype("string"))
    a_map = dict(zip(adopt["org_unit"], pd.to_datetime(adopt["adoption_date"]), strict=True))
    adopted_on = ex["org_unit"].astype("string").map(a_map)
    in_force = (adopted_on.notna() & (ex["start"] >= adopted_on)).to_numpy(dtype=float)
    ic = (ex["track"] == "IC").to_numpy(dtype=float)
    entry = ex["tenure"].to_numpy(dtype=float)
    time = entry + ex["person_years"].to_numpy(dtype=float)
    event = (ex["event"] == "exit_voluntary").to_numpy()
    grade = ex["grade"].to_numpy(dtype=float)
    year = ex["year"].astype(int)
    years = pd.get_dummies(year.astype(str), prefix="y", drop_first=True, dtype=float)
    exog = np.column_stack([in_force, in_force * ic, ic, grade, years.to_numpy()])
    names = ["in_force", "in_force_x_ic", "ic", "grade", *years.columns]
    units = ex["org_unit"].astype(str).to_numpy()
    G = len(np.unique(units))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        fit = cox_ph(time, event, exog, entry=entry, strata=units, groups=units, names=names)
    b, V = fit.params, fit.cov
    rows = []
    contrasts = {"M track": np.eye(len(b))[0], "IC track": np.eye(len(b))[0] + np.eye(len(b))[1]}
    share_ic = float(np.average(ic, weights=ex["person_years"]))
    contrasts["average (person-time mix)"] = np.eye(len(b))[0] + share_ic * np.eye(len(b))[1]
    for label, c in contrasts.items():
        est = float(c @ b)
        se = float(np.sqrt(c @ V @ c)) if np.all(np.isfinite(V[:2, :2])) else np.nan
        lo, hi, why = _cluster_interval(est, se, G, run.alpha)
        rows.append(
            {
                "term": f"dual ladder in force: {label}",
                "estimate": np.exp(est),
                "se": se,
                "ci_lower": np.exp(lo),
                "ci_upper": np.exp(hi),
                "events": int(
                    event[
                        (in_force == 1)
                        & (
                            (ic == 1)
                            if label == "IC track"
                            else (ic == 0)
                            if label == "M track"
                            else np.ones_like(ic, bool)
                        )
                    ].sum()
                ),
                "reason": why or (fit.reason("in_force") or ""),
            }
        )
    t = pd.DataFrame(rows)
    t["n"] = run.people()
    return make_result(
        t,
        groups=["term"],
        **run.common,
        definition=(
            "Hazard ratio of voluntary exit while the person's unit has its dual "
            "ladder in force (from the first day of adoption), against the same unit "
            "before; by track (interaction with IC) and at the person-time mix of "
            "tracks. Below 1 = fewer exits."
        ),
        method=(
            "Cox model on the exposure table (counting process on tenure, delayed entry), "
            "stratified by unit, with track, grade and fiscal year as controls; "
            "cluster-robust by unit, t(G - 1) quantiles below 30 units"
        ),
        population="Person-time in the units of the study.",
    )


def _part_sensitivity(run: _Run) -> Result:
    pts = run.points(base_period="universal")
    es = np.asarray(pts["dynamic_values"])
    beta = np.asarray(pts["dynamic"][0])
    ok = np.isfinite(beta)
    es, beta = es[ok], beta[ok]
    pre = beta[es <= -2]
    post = beta[es >= 0]
    se = np.nan
    if not run.few:
        fit = run.did(bootstrap=0, base_period="universal")
        se = aggregate(fit, "dynamic").overall["se"]
    z = stats.norm.ppf(1 - run.alpha / 2)
    rows = []
    for m in MBAR_GRID:
        lo, hi = (
            relative_magnitude_set(pre, post, m) if len(pre) and len(post) else (np.nan, np.nan)
        )
        rows.append(
            {
                "mbar": m,
                "lower": lo,
                "upper": hi,
                "estimate": float(post.mean()),
                "ci_lower": lo - z * se,
                "ci_upper": hi + z * se,
            }
        )
    t = pd.DataFrame(rows)
    t["n"] = run.people()
    bd = breakdown_mbar(pre, post) if len(pre) and len(post) else np.nan
    return make_result(
        t,
        groups=["mbar"],
        **run.common,
        definition=(
            "How far parallel trends may fail before the average post-adoption "
            "effect (event times >= 0, universal base period) could be zero: "
            "Rambachan–Roth relative magnitudes. Under Mbar, each quarter-on-quarter "
            "change in the trend difference after adoption is at most Mbar times the "
            "largest before adoption; lower / upper bound the identified set; "
            "ci_lower / ci_upper widen it by the normal quantile times the estimate's "
            "SE (a simple outer interval, not Rambachan and Roth's conditional one)."
        ),
        method="Two linear programmes per Mbar (HiGHS)",
        population="The adopting units.",
        breakdown_mbar=bd,
    )


def _part_power(run: _Run) -> Result:
    p = run.panel
    Y0, periods, G, w = wide(p, OUTCOME, "org_unit", "period", "first_treated", "weight")
    PY = (
        p.pivot(index="org_unit", columns="period", values="person_years")
        .sort_index(axis=1)
        .to_numpy(dtype=float)
    )
    # fitted baseline: each unit's exit rate outside its treated quarters, with the
    # quarter pattern of the never- and not-yet-treated
    untreated = ~((p["first_treated"] > 0) & (p["period"] >= p["first_treated"]))
    base = p[untreated]
    unit_rate = (
        base.groupby("org_unit")["voluntary"].sum() / base.groupby("org_unit")["person_years"].sum()
    )
    q_factor = (
        base.groupby("period")["voluntary"].sum() / base.groupby("period")["person_years"].sum()
    )
    q_factor = (q_factor / q_factor.mean()).reindex(periods).fillna(1.0).to_numpy()
    lam = unit_rate.sort_index().to_numpy()[:, None] * q_factor[None, :]
    treated_cell = (G[:, None] > 0) & (periods[None, :] >= G[:, None])
    rng = np.random.default_rng(run.seed + 1)
    S = run.power_draws
    mu = np.where(np.isfinite(PY), lam * np.nan_to_num(PY), 0.0)
    exits = rng.poisson(np.broadcast_to(mu, (S, *mu.shape)))
    with np.errstate(invalid="ignore", divide="ignore"):
        Y = 100.0 * exits / PY
    null = run.points(Y=Y)
    sd = float(np.nanstd(null["simple_overall"], ddof=1))
    base_rate = float(
        100.0 * np.nansum(np.where(treated_cell, mu, 0)) / np.nansum(np.where(treated_cell, PY, 0))
    )
    z = stats.norm.ppf(1 - run.alpha / 2) + stats.norm.ppf(0.8)
    mde = z * sd
    mde_rel = mde / base_rate if base_rate > 0 else np.nan
    n_units = len(G)
    factor = (mde_rel / 0.2) ** 2 if np.isfinite(mde_rel) else np.nan
    t = pd.DataFrame(
        [
            {
                "measure": "minimum detectable effect (80% power)",
                "estimate": mde,
                "relative_to_baseline": mde_rel,
                "baseline_per_100py": base_rate,
                "null_sd": sd,
                "draws": S,
                "units": n_units,
                "quarters": len(periods),
                "units_for_20pct_drop": float(np.ceil(n_units * factor))
                if np.isfinite(factor)
                else np.nan,
                "quarters_for_20pct_drop": float(np.ceil(len(periods) * factor))
                if np.isfinite(factor)
                else np.nan,
                "ci_lower": np.nan,
                "ci_upper": np.nan,
            }
        ]
    )
    t["n"] = run.people()
    return make_result(
        t,
        groups=["measure"],
        **run.common,
        definition=(
            "The smallest drop in voluntary exits per 100 person-years the simple "
            "aggregation would detect with 80% power at the test's level, by "
            f"simulation ({S} panels of Poisson exits on the observed person-time from "
            "the fitted baseline: each unit's untreated rate times the quarter pattern, "
            "no effect); relative_to_baseline divides it by the baseline rate of the "
            "treated quarters. Units and quarters for a 20% drop scale the present "
            "ones by (MDE / 20%)^2, the sampling variance falling as 1 / units (an "
            "approximation: more quarters also lengthen the pre-period)."
        ),
        method="(z_{1-alpha/2} + z_{0.8}) x the simulated SD of the estimate under no effect",
        population="The unit x quarter panel.",
    )


_PARTS: dict[str, Callable[[_Run], Result]] = {
    "panel": _part_panel,
    "att": _part_att,
    "att_gt": _part_att_gt,
    "event_study": _part_event_study,
    "twfe": _part_twfe,
    "placebo_dates": _part_placebo_dates,
    "placebo_outcome": _part_placebo_outcome,
    "composition": _part_composition,
    "cox": _part_cox,
    "sensitivity": _part_sensitivity,
    "power": _part_power,
}


def dual_ladder_study(
    data: AuditData,
    *,
    parts: Sequence[str] | None = None,
    control_group: str = "not_yet",
    anticipation: int = 0,
    base_period: str = "varying",
    adoption_quarter: str = "leave_out",
    alpha: float = 0.05,
    bootstrap: int = 999,
    placebo_draws: int = 199,
    power_draws: int = 200,
    seed: int = 0,
    k: int | None = None,
) -> StudyResult:
    """Did adopting the dual ladder lower voluntary turnover? A staggered difference-in-differences.

    Parameters
    ----------
    data
        Loaded history export with an ``adoption`` table (org unit, adoption date).
    parts
        Parts to compute (default all, see :data:`PARTS`).
    control_group
        ``"not_yet"`` (default: units not yet adopting, and never-adopting ones) or
        ``"never"`` (never-adopting units only).
    anticipation
        Quarters before the first treated quarter in which units may already respond.
    base_period
        ``"varying"`` or ``"universal"`` (R did's ``base_period``).
    adoption_quarter
        ``"leave_out"`` (default): a unit's first treated quarter is the first full fiscal
        quarter on or after its adoption date, so a quarter cut by the adoption date counts
        as untreated only through the one-quarter gap it leaves before the first treated
        quarter; ``"treated"``: the quarter that contains the adoption date is the first
        treated one.
    alpha
        1 - confidence level.
    bootstrap
        Multiplier-bootstrap draws for the simultaneous bands.
    placebo_draws
        Random reassignments of adoption dates (randomisation inference).
    power_draws
        Simulated panels of the power calculation.
    seed
        Seed of every random draw.
    k
        Minimum cell size (default: the map's).

    Returns
    -------
    StudyResult
        The parts (``panel``, ``att``, ``att_gt``, ``event_study``, ``twfe``,
        ``placebo_dates``, ``placebo_outcome``, ``composition``, ``cox``, ``sensitivity``,
        ``power``), notes and ``headline()``.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> res = pathaudit.dual_ladder_study(data, parts=["att", "placebo_dates"])  # doctest: +SKIP
    >>> res.headline()[["key", "estimate", "status"]]  # doctest: +SKIP
    """
    data = check_data(data, "dual_ladder_study")
    chosen = check_parts(parts, PARTS)
    control_group = check_choice(control_group, "control_group", ["not_yet", "never"])
    base_period = check_choice(base_period, "base_period", ["varying", "universal"])
    adoption_quarter = check_choice(adoption_quarter, "adoption_quarter", ["leave_out", "treated"])
    alpha = check_alpha(alpha)
    anticipation = int(check_number(anticipation, "anticipation", low=0, integer=True))
    bootstrap = int(check_number(bootstrap, "bootstrap", low=0, integer=True))
    placebo_draws = int(check_number(placebo_draws, "placebo_draws", low=19, integer=True))
    power_draws = int(check_number(power_draws, "power_draws", low=20, integer=True))
    seed = int(check_number(seed, "seed", low=0, integer=True))
    k = check_k(k, data)
    if data.is_snapshot:
        raise NeedsHistoryError(
            "dual_ladder_study needs an effective-dated history export: a snapshot has no "
            "unit x quarter person-time. Load the history export instead."
        )
    panel, left_out = study_panel(data, adoption_quarter)  # type: ignore[arg-type]
    mid = _mid_quarter_units(panel, data.fiscal_year_start_month)
    gap_note = None
    if adoption_quarter == "leave_out" and mid:
        # the quarter cut by a mid-quarter adoption is neither treated nor a clean base:
        # one more quarter of anticipation leaves it out of every comparison
        anticipation += 1
        gap_note = Note(
            "caveat",
            f"{len(mid)} units adopted mid-quarter ({', '.join(mid[:5])}): the quarter "
            "containing the adoption date is left out of every comparison (one quarter of "
            f"anticipation added, {anticipation} in all).",
            "att",
        )
    ex = data.exposure
    up = ex.loc[ex["org_unit"].notna(), ["employee_id", "org_unit"]].drop_duplicates()
    up = up.assign(org_unit=up["org_unit"].astype("string"))
    run = _Run(
        data=data,
        panel=panel,
        left_out=left_out,
        alpha=alpha,
        k=k,
        control_group=control_group,
        anticipation=anticipation,
        base_period=base_period,
        bootstrap=bootstrap,
        seed=seed,
        placebo_draws=placebo_draws,
        power_draws=power_draws,
        unit_people=up,
        few=_few_units(panel, control_group),
    )
    notes: list[Note] = []
    if gap_note is not None:
        notes.append(gap_note)
    results: dict[str, Result | None] = {}
    for name in PARTS:
        if name not in chosen:
            continue
        try:
            results[name] = _PARTS[name](run)
        except (ValueError, np.linalg.LinAlgError) as err:
            results[name] = None
            notes.append(Note("not computed", f"{name}: {err}", name))
    if run.few:
        notes.append(
            Note(
                "caveat",
                f"Too few units for analytic or bootstrap intervals ({run.few}; each cohort and "
                f"the never-treated group need {MIN_UNITS_PER_COHORT}): the estimates are shown "
                "with randomisation inference over adoption dates (placebo_dates) instead.",
                "att",
            )
        )
    for unit, why in left_out.items():
        notes.append(Note("caveat", f"Unit {unit!r} left out: {why}.", "panel"))
    return StudyResult(
        **results,
        notes=tuple(notes),
        alpha=alpha,
        few_units=run.few,
    )
