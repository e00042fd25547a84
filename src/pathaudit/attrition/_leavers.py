"""Attrition from a snapshot that cannot give rates: the leaver share by track and grade.

A snapshot whose leavers carry a left flag but no exit date says who left, not when:
their time at risk is unknown, so no rate per person-year, turnover or retention curve
can be computed. What it does support is a **share**: of the people in the export in a
(track, grade), the fraction marked as left. A snapshot without ``history_start`` has
the same problem for its rates (the window its leavers come from is unknown), so its
rates are not computed either, with the line to add.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.attrition._result import PARTS, AttritionResult
from pathaudit.data import AuditData
from pathaudit.result import Note, Result, make_result
from pathaudit.stats.intervals import wilson_ci

LEAVERS_WITHOUT_DATES = (
    "{n} people are marked as left without an exit date, so the time each was at risk is "
    "unknown: exits per person-year, turnover and retention cannot be computed from this "
    "export (the leaver share by track and grade is); map the termination date to get rates"
)
"""Why the rate parts are not computed when the snapshot has leavers without dates."""

NO_HISTORY_START = (
    "the snapshot's map gives no history_start, so the window its leavers come from is "
    "unknown and a rate per person-year would divide their exits by an arbitrary span of "
    'time; add [export] history_start = "YYYY-MM-DD" (the first date from which the export '
    "holds every leaver) to get rates"
)
"""Why the rate parts are not computed for a snapshot whose map gives no history_start."""

LEAVER_SHARE_ONLY_SNAPSHOT = (
    "the leaver share is for snapshots whose leavers have no exit dates; this export gives "
    "exit rates per person-year instead"
)


def rates_not_computable(data: AuditData) -> str | None:
    """Why a snapshot gives no rates (leavers without dates; no history_start), else None.

    Parameters
    ----------
    data
        Loaded dataset.

    Returns
    -------
    str or None
        The reason, or None when rates can be computed (every history export; a snapshot
        whose map gives ``history_start`` and whose leavers all have dates; data built
        without a map).

    Examples
    --------
    >>> import pandas as pd
    >>> d = AuditData(history=pd.DataFrame(), people=pd.DataFrame(), ladder=pd.DataFrame(),
    ...               extract_date="2025-12-31", history_start="2025-12-31", is_snapshot=True,
    ...               config={"export": {"history_start_given": False}})
    >>> rates_not_computable(d).startswith("the snapshot's map gives no history_start")
    True
    """
    if not data.is_snapshot:
        return None
    if data.leavers is not None and len(data.leavers):
        return LEAVERS_WITHOUT_DATES.format(n=len(data.leavers))
    if data.config.get("export", {}).get("history_start_given") is False:
        return NO_HISTORY_START
    return None


def leaver_share(data: AuditData, alpha: float = 0.05) -> Result | None:
    """Share of the people in a snapshot who have left, by track and grade (Wilson CI).

    Parameters
    ----------
    data
        A snapshot export (``data.is_snapshot``).
    alpha
        1 - confidence level of the Wilson intervals.

    Returns
    -------
    Result or None
        Columns ``track``, ``grade``, ``leavers``, ``n`` (people in the export in that
        track and grade: still employed on as-of plus left), ``estimate`` (leavers / n),
        ``ci_lower``, ``ci_upper``. None for a history export.

    Notes
    -----
    Numerator: people marked as left (with or without an exit date) whose last job was
    in the track and grade. Denominator: those plus the people employed on as-of in it.
    A share, not a rate: it depends on how far back the export keeps its leavers and is
    not per person-year; compare it across tracks within a grade, not with turnover
    figures.

    Examples
    --------
    >>> import pandas as pd
    >>> from pathaudit.attrition._leavers import leaver_share
    >>> d = AuditData(
    ...     history=pd.DataFrame(), ladder=pd.DataFrame(),
    ...     people=pd.DataFrame({"employee_id": list("ab"), "termination_date": [pd.NaT] * 2}),
    ...     snapshot=pd.DataFrame({"track": ["IC", "IC"], "grade": [3, 3],
    ...                            "termination_date": [pd.NaT] * 2}),
    ...     leavers=pd.DataFrame({"track": ["IC"], "grade": [3]}), is_snapshot=True,
    ...     extract_date="2025-12-31", history_start="2025-12-31", config={"privacy": {
    ...         "min_cell_size": 1}})
    >>> round(float(leaver_share(d).table["estimate"].iloc[0]), 3)
    0.333
    """
    if not data.is_snapshot or data.snapshot is None:
        return None
    snap = data.snapshot
    left_dated = snap["termination_date"].notna().to_numpy()
    stay = pd.DataFrame({"track": snap["track"].astype(str), "grade": snap["grade"]})
    stay["left"] = left_dated
    parts = [stay]
    if data.leavers is not None and len(data.leavers):
        lv = data.leavers
        parts.append(
            pd.DataFrame({"track": lv["track"].astype(str), "grade": lv["grade"], "left": True})
        )
    allp = pd.concat(parts, ignore_index=True)
    allp = allp.loc[allp["grade"].notna()]
    allp["grade"] = allp["grade"].astype("int64")
    g = allp.groupby(["track", "grade"], sort=True)["left"]
    table = pd.DataFrame({"leavers": g.sum().astype("int64"), "n": g.size().astype("int64")})
    table = table.reset_index()
    lo, hi = wilson_ci(table["leavers"].to_numpy(), table["n"].to_numpy(), alpha)
    table["estimate"] = table["leavers"] / table["n"]
    table["ci_lower"] = np.asarray(lo, dtype=float)
    table["ci_upper"] = np.asarray(hi, dtype=float)
    return make_result(
        table,
        groups=["track", "grade"],
        analysis="Attrition: leaver share by track and grade (snapshot)",
        definition=(
            "people marked as left (with or without an exit date) / people in the export, "
            "by the track and grade of their last job; a share of the people the export "
            "holds, not a rate per person-year (the leavers' time at risk is unknown)"
        ),
        method="Wilson score interval",
        population="every person in the snapshot with a grade: employed on as-of or left",
        data=data,
        alpha=alpha,
    )


def leaver_parts(
    data: AuditData, want: set[str], no_rates: str | None, alpha: float
) -> AttritionResult | None:
    """The attrition result of a snapshot that gives no rates, else None (compute as usual).

    Every part asked for but ``leaver_share`` is not computed, with ``no_rates`` as the
    reason; ``leaver_share`` is computed when asked for.
    """
    if no_rates is None:
        return None
    notes = [Note("not computed", no_rates, part) for part in PARTS if part in want]
    notes = [n for n in notes if n.part != "leaver_share"]
    share = leaver_share(data, alpha) if "leaver_share" in want else None
    if share is not None:
        notes.append(
            Note(
                "caveat",
                "The leaver share is the fraction of the people in the export who had left by "
                "the extract date; it depends on how far back the export keeps its leavers "
                "and is not a rate per person-year.",
                "leaver_share",
            )
        )
    return AttritionResult(leaver_share=share, notes=tuple(notes), alpha=alpha)
