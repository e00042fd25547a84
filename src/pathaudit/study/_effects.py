"""The Callaway–Sant'Anna parts: unit panel, ATT aggregations, ATT(g, t), event study."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pathaudit.result import Result
from pathaudit.study._aggregate import aggregate
from pathaudit.study._did import AttGt
from pathaudit.study._plots import plot_event_study
from pathaudit.study._run import KINDS, PRETREND_QUARTERS, Run, stats


def part_panel(run: Run) -> Result:
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
    return run.result(
        per,
        ["org_unit"],
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
    run: Run, fit: AttGt | None, pts: dict[str, np.ndarray], weighting: str
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


def part_att(run: Run) -> Result:
    rows: list[dict[str, Any]] = []
    for weighting, w in (("person-time", "weight"), ("unweighted", None)):
        pts = run.points(weights=w)
        fit = None if run.few else run.did(weights=w)
        rows += _agg_rows(run, fit, pts, weighting)
    table = pd.DataFrame(rows)
    table["inference"] = "randomisation over adoption dates" if run.few else "analytic"
    return run.result(
        table,
        ["weighting", "kind", "value"],
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


def part_att_gt(run: Run) -> Result:
    if run.few:
        pts = run.points()
        t = pts["cells"].assign(estimate=pts["cell_estimates"][0])  # type: ignore[attr-defined]
        t["event_time"] = t["time"] - t["group"]
        for c in ("se", "ci_lower", "ci_upper", "band_lower", "band_upper"):
            t[c] = np.nan
    else:
        t = run.did().table.drop(columns=["se_bootstrap"])
    t["n"] = [run.people(run.units_of(int(g))) for g in t["group"]]
    return run.result(
        t,
        ["group", "time"],
        definition=(
            "Group-time effects ATT(g, t) on voluntary exits per 100 person-years: "
            "cohort g (first treated period) in period t, against the base period "
            f"({run.base_period}); n = people in the cohort's units."
        ),
        method="Callaway–Sant'Anna, doubly robust, person-time unit weights; band = "
        "simultaneous multiplier-bootstrap band (Mammen weights)",
        population="The unit x quarter panel.",
    )


def part_event_study(run: Run) -> Result:
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
    return run.result(
        t,
        ["event_time"],
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
