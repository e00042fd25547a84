"""The person-level Cox model: exit hazard with the dual ladder in force, by track."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from pathaudit.errors import StatisticalWarning
from pathaudit.result import Result
from pathaudit.stats.survival import cox_ph
from pathaudit.study._run import Run, cluster_interval


def part_cox(run: Run) -> Result:
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
        lo, hi, why = cluster_interval(est, se, G, run.alpha)
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
    t = run.table(rows)
    return run.result(
        t,
        ["term"],
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
