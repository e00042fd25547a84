"""Randomisation inference over adoption dates and the placebo outcome."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.result import Result
from pathaudit.study._aggregate import aggregate
from pathaudit.study._fast import wide
from pathaudit.study._plots import plot_placebo
from pathaudit.study._run import KINDS, OUTCOME, Run, stats


def permutations(run: Run) -> np.ndarray:
    _, _, G, _ = wide(run.panel, OUTCOME, "org_unit", "period", "first_treated", None)
    rng = np.random.default_rng(run.seed)
    return np.stack([rng.permutation(G) for _ in range(run.placebo_draws)])


def randomisation_p(estimate: float, draws: np.ndarray) -> tuple[np.ndarray, float]:
    """The finite placebo draws and the randomisation p-value of the estimate.

    The p-value is the share of draws at least as large in absolute value as the estimate,
    the draw itself counted.
    """
    d = draws[np.isfinite(draws)]
    return d, float((1 + np.sum(np.abs(d) >= abs(estimate) - 1e-12)) / (len(d) + 1))


def part_placebo_dates(run: Run) -> Result:
    obs = run.points()
    perms = permutations(run)
    draws = run.points(G=perms)
    rows = []
    dist = []
    for kind in KINDS:
        o = float(obs[f"{kind}_overall"][0])
        d, p = randomisation_p(o, draws[f"{kind}_overall"])
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
    t = run.table(rows)
    draws_table = run.table(pd.concat(dist, ignore_index=True))
    return run.result(
        t,
        ["kind"],
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


def simple_rows(run: Run, outcomes: dict[str, str]) -> pd.DataFrame:
    rows = []
    for label, col in outcomes.items():
        if run.few:
            pts = run.points(outcome=col)
            est = float(pts["simple_overall"][0])
            _, p = randomisation_p(
                est, run.points(outcome=col, G=permutations(run))["simple_overall"]
            )
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
    t = run.table(rows)
    return t


def simple_part(run: Run, outcomes: dict[str, str], definition: str) -> Result:
    """The simple aggregation of the att part on other outcomes (label: panel column)."""
    return run.result(
        simple_rows(run, outcomes),
        ["outcome"],
        definition=definition,
        method="Callaway–Sant'Anna, as the att part",
        population="The unit x quarter panel.",
    )


def part_placebo_outcome(run: Run) -> Result:
    return simple_part(
        run,
        {"involuntary exits per 100 person-years": "involuntary_per_100py"},
        "The same estimator (simple aggregation, person-time weights) on "
        "involuntary exits per 100 person-years, which a dual ladder should not "
        "move: an effect here points to something else changing at adoption.",
    )
