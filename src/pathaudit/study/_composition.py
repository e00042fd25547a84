"""Did adoption change who comes into or leaves the adopting units."""

from __future__ import annotations

from pathaudit.result import Result
from pathaudit.study._placebo import simple_part
from pathaudit.study._run import Run


def part_composition(run: Run) -> Result:
    p = run.panel
    run.panel = p.assign(
        hires_per_100py=100.0 * p["hires"] / p["person_years"],
        ic_moves_out_per_100py=100.0 * p["ic_moves_out"] / p["person_years"],
    )
    try:
        return simple_part(
            run,
            {
                "hires per 100 person-years": "hires_per_100py",
                "IC moves out per 100 person-years": "ic_moves_out_per_100py",
            },
            "Did adoption change who comes into or leaves adopting units? The same "
            "estimator on hires into the unit and on ICs moving to another unit, each "
            "per 100 person-years. ICs moving from adopting to non-adopting units (or "
            "back) would change the people the exit rates describe and bias them.",
        )
    finally:
        run.panel = p
