"""Phase 2 of loading, the ladder: the ladder table checked, and a grade for every job record.

Grades come either from the ladder table (by track and level, per unit and date
where the ladder says so: :func:`pathaudit.derived.ladder.assign_grades`) or from the
export's own grade column (``[grade] column``). A level that no ladder row covers is
fatal; so are ladder rows without track, level or grade, and two grades for one level,
unit and date.
"""

from __future__ import annotations

import pandas as pd

from pathaudit.derived.ladder import assign_grades
from pathaudit.io._context import LoadContext
from pathaudit.io._messages import (
    LADDER_CONFLICT,
    LADDER_MISSING_VALUE,
    LEVEL_NOT_COVERED,
    LEVEL_NOT_IN_LADDER,
)


def _ladder_scope(rows: pd.DataFrame) -> str:
    parts = []
    units = rows["org_unit"].dropna().unique() if "org_unit" in rows else []
    if len(units) and rows["org_unit"].notna().all():
        parts.append("in units " + ", ".join(sorted(map(str, units))))
    starts = rows["valid_from"].dropna() if "valid_from" in rows else pd.Series([], dtype=object)
    if len(starts) and rows["valid_from"].notna().all():
        parts.append(f"from {pd.Timestamp(starts.min()).date()}")
    return " and ".join(parts) or "to other units or dates"


def check_ladder(ld: LoadContext, lad: pd.DataFrame) -> pd.DataFrame:
    """Phase 2 for the ladder table: complete rows, one grade per level, unit and date."""
    t = "ladder"
    lad = ld.drop_blank(lad, t)
    for c in ("track", "level", "grade"):
        miss = lad[c].isna().to_numpy()
        if miss.any():
            rows = lad["row"].to_numpy()[miss]
            ld.fatal_rows(t, "missing_value", LADDER_MISSING_VALUE, rows, column=c)
    lad = lad.loc[lad[["track", "level", "grade"]].notna().all(axis=1)]
    lad = ld.drop_duplicates(lad, t)
    key = ["track", "level", "org_unit", "valid_from"]
    n_grades = lad.groupby(key, dropna=False)["grade"].transform("nunique")
    conflict = (n_grades > 1).to_numpy()
    if conflict.any():
        for (track, level), sub in lad.loc[conflict].groupby(["track", "level"]):
            rows = sub["row"].to_numpy()
            grades = " and ".join(f"grade {int(g)}" for g in sorted(sub["grade"].dropna().unique()))
            ld.fatal_rows(
                t,
                "ladder_conflict",
                LADDER_CONFLICT,
                rows,
                column="grade",
                level=level,
                track=track,
                grades=grades,
            )
    return lad.assign(grade=lad["grade"].astype("Int64"))


def _grades_from_ladder(
    ld: LoadContext, h: pd.DataFrame, ladder: pd.DataFrame, table: str
) -> pd.DataFrame:
    g = assign_grades(h, ladder, date_column="effective_date")
    missing = g.isna().to_numpy()
    if missing.any():
        lad_pairs = set(zip(ladder["track"].astype(str), ladder["level"].astype(str), strict=True))
        sub = h.loc[missing, ["track", "level", "row"]]
        for (track, level), rows in sub.groupby(["track", "level"], sort=True)["row"]:
            rows = rows.to_numpy()
            template, scope = LEVEL_NOT_IN_LADDER, ""
            if (track, level) in lad_pairs:
                lrows = ladder.loc[(ladder["track"] == track) & (ladder["level"] == level)]
                template, scope = LEVEL_NOT_COVERED, _ladder_scope(lrows)
            ld.fatal_rows(
                table,
                "level_not_in_ladder",
                template,
                rows,
                column="level",
                level=level,
                track=track,
                scope=scope,
            )
    return h.assign(grade=g)


def grade_jobs(
    ld: LoadContext, h: pd.DataFrame, ladder: pd.DataFrame | None, table: str, who: str
) -> pd.DataFrame:
    """Give every job record its grade: from the ladder, or from the export's grade column.

    With a grade column, records without a grade are left out (``who`` names them in
    the message: "records" or "people"); with a ladder, levels it does not cover are
    fatal.
    """
    if ld.grade_column:
        h = h.assign(grade=h["grade"].astype("Int64"))
        return ld.exclude(
            h,
            h["grade"].isna(),
            table,
            "missing_value",
            f"{who} without a grade cannot be placed on the ladder and are left out",
            column=str(ld.cmap.grade_column),
        )
    return _grades_from_ladder(ld, h, ladder, table)
