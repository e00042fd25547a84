"""Power by simulation: the minimum detectable effect and units / quarters for a 20% drop."""

from __future__ import annotations

import numpy as np

from pathaudit.result import Result
from pathaudit.study._fast import wide
from pathaudit.study._run import OUTCOME, Run, stats


def part_power(run: Run) -> Result:
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
    t = run.table(
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
    return run.result(
        t,
        ["measure"],
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
