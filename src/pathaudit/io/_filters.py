"""Phase 2 of loading, the population: the column map's ``[filters]``, around grading.

Filters act on whole employment episodes: an episode with any record matching a
filter is left out, every one of its records and its people row, each counted under
``filter_<key>``. Filters on labels (levels, job families, units, locations) run
before grades are given; filters on grade and FTE after.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.io._context import LoadContext
from pathaudit.io._grading import grade_jobs

LABEL_FILTERS = ("exclude_levels", "exclude_job_families", "exclude_org_units", "exclude_locations")
"""Filters on the labels of job records."""
GRADE_FILTERS = ("min_grade", "max_grade", "min_fte")
"""Filters on grade and FTE (after grades are given)."""

LABEL_FILTER_COLUMNS: dict[str, str] = {
    "exclude_levels": "level",
    "exclude_job_families": "job_family",
    "exclude_org_units": "org_unit",
    "exclude_locations": "location",
}
"""Label filters of ``[filters]`` and the column each acts on (matched ignoring case)."""
_COLUMN_OF = LABEL_FILTER_COLUMNS


def apply_filters(
    ld: LoadContext,
    h: pd.DataFrame,
    p: pd.DataFrame | None,
    keys: tuple[str, ...],
    table: str = "history",
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Episode-level population filters: an episode with any matching record is left out.

    ``h``: job records from ``table`` ("history" or "snapshot"); ``p``: their people
    rows (``None`` for a snapshot, whose rows are both). Both carry the episode key
    ``_ep``. Exclusions are counted under the table the rows were read from, so rows
    read = rows used + rows excluded holds per table.
    """
    f = ld.cmap.filters
    for key in keys:
        if key not in f:
            continue
        if key in _COLUMN_OF:
            wanted = {str(v).casefold() for v in f[key]}
            match = h[_COLUMN_OF[key]].astype(str).str.casefold().isin(wanted)
            what = f"{_COLUMN_OF[key]} in {f[key]}"
        elif key == "max_grade":
            match = (h["grade"] > f[key]).fillna(False)
            what = f"grade above {f[key]}"
        elif key == "min_grade":
            match = (h["grade"] < f[key]).fillna(False)
            what = f"grade below {f[key]}"
        else:  # min_fte
            match = (h["fte"] < f[key]).fillna(False)
            what = f"FTE below {f[key]}"
        eps = np.unique(h.loc[match.to_numpy(dtype=bool), "_ep"].to_numpy())
        if not len(eps):
            continue
        msg = (
            f"population filter [filters] {key}: every record of an employment episode "
            f"with any record having {what} is left out"
        )
        h = ld.exclude(h, h["_ep"].isin(eps), table, f"filter_{key}", msg)
        if p is not None:
            p = ld.exclude(p, p["_ep"].isin(eps), "people", f"filter_{key}", msg)
    return h, p


def filter_and_grade(
    ld: LoadContext,
    h: pd.DataFrame,
    p: pd.DataFrame | None,
    ladder: pd.DataFrame | None,
    table: str,
    who: str,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Label filters, then grades (:func:`~pathaudit.io._grading.grade_jobs`), then grade filters.

    ``table``: where the job records come from ("history" or "snapshot"); ``who``
    names them in messages.
    """
    h, p = apply_filters(ld, h, p, LABEL_FILTERS, table)
    h = grade_jobs(ld, h, ladder, table, who)
    return apply_filters(ld, h, p, GRADE_FILTERS, table)
