"""The dual-ladder turnover study: did adopting the dual ladder lower voluntary turnover."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from pathaudit.checks import (
    check_alpha,
    check_choice,
    check_data,
    check_k,
    check_number,
    check_parts,
)
from pathaudit.data import AuditData
from pathaudit.errors import NeedsHistoryError
from pathaudit.result import Note, Result
from pathaudit.study._composition import part_composition
from pathaudit.study._cox import part_cox
from pathaudit.study._effects import part_att, part_att_gt, part_event_study, part_panel
from pathaudit.study._panel import study_panel
from pathaudit.study._placebo import part_placebo_dates, part_placebo_outcome
from pathaudit.study._power import part_power
from pathaudit.study._result import PARTS, StudyResult
from pathaudit.study._run import MIN_UNITS_PER_COHORT, Run, few_units_reason, mid_quarter_units
from pathaudit.study._sensitivity import part_sensitivity
from pathaudit.study._twfe import part_twfe

__all__ = ["MIN_UNITS_PER_COHORT", "dual_ladder_study"]


_PARTS: dict[str, Callable[[Run], Result]] = {
    "panel": part_panel,
    "att": part_att,
    "att_gt": part_att_gt,
    "event_study": part_event_study,
    "twfe": part_twfe,
    "placebo_dates": part_placebo_dates,
    "placebo_outcome": part_placebo_outcome,
    "composition": part_composition,
    "cox": part_cox,
    "sensitivity": part_sensitivity,
    "power": part_power,
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
    mid = mid_quarter_units(panel, data.fiscal_year_start_month)
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
    run = Run(
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
        few=few_units_reason(panel, control_group),
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
