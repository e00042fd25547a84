"""Rambachan–Roth relative-magnitude sensitivity of the post-adoption effect."""

from __future__ import annotations

import numpy as np

from pathaudit.result import Result
from pathaudit.study._aggregate import aggregate
from pathaudit.study._honest import breakdown_mbar, relative_magnitude_set
from pathaudit.study._run import MBAR_GRID, Run, stats


def part_sensitivity(run: Run) -> Result:
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
    t = run.table(rows)
    bd = breakdown_mbar(pre, post) if len(pre) and len(post) else np.nan
    return run.result(
        t,
        ["mbar"],
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
