"""The management grid: forced-into-management figures by unit, as published."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from pathaudit.report._charts import part_chart
from pathaudit.report._format import Formatter
from pathaudit.report._tables import Cell, HtmlTable, finite, make_table
from pathaudit.result import SUPPRESSED_MARK, AnalysisResult


def management_section(
    result: AnalysisResult | None, fmt: Formatter, k: int
) -> dict[str, Any] | None:
    """The forced-into-management profile by unit: chart, grid, or why neither."""
    if result is None:
        return None
    shown = result.published()
    out: dict[str, Any] = {"chart": None, "table": None, "note": ""}
    unit_chart = unit_chart_args(result)
    if unit_chart is not None:
        options, size = unit_chart
        out["chart"] = part_chart(
            result, "profile", "Forced-into-management profile by unit", options, size=size
        )
    if "profile" in shown:
        out["table"] = _unit_table(
            shown["profile"].table,
            shown.get("scores"),
            fmt,
            k,
            shown["profile"].meta.get("by_unit") or "org_unit",
        )
    if not out["chart"] and not out["table"]:
        out["note"] = (
            "; ".join(
                f"{p}: {w}" for p, w in result.not_computed().items() if p in ("profile", "scores")
            )
            or "no unit profile computed"
        )
    return out


def unit_chart_args(
    result: AnalysisResult,
) -> tuple[dict[str, Any], tuple[float, float]] | None:
    """The options and size of the profile's chart by unit (None when it has no unit rows).

    One row of panels per unit: the figure is 9 inches wide, 1.2 + 0.45 per unit high.
    """
    shown = result.published()
    if "profile" not in shown:
        return None
    unit = shown["profile"].meta.get("by_unit") or "org_unit"
    t = shown["profile"].table
    if not (t["by"] == unit).any():
        return None
    n_units = int(t.loc[t["by"] == unit, "group"].nunique())
    return {"by": unit}, (9.0, 1.2 + 0.45 * n_units)


def _unit_table(prof: pd.DataFrame, scores: Any, fmt: Formatter, k: int, unit: str) -> HtmlTable:
    """Figures (rows) by scope (the organisation, then each unit), as published.

    A cell of a suppressed row is a dash marked ``*``; a figure without a value a dash
    marked ``†``; the last rows count the flagged figures and give the status per scope.
    """
    t = prof.loc[prof["by"].isin(["overall", unit])]
    scopes = list(dict.fromkeys(zip(t["by"], t["group"], strict=True)))
    names = ["Organisation" if b == "overall" else str(g) for b, g in scopes]
    cell = {(r["key"], r["by"], r["group"]): r for _, r in t.iterrows()}
    rows = []
    for key, label, u in t[["key", "label", "unit"]].drop_duplicates("key").itertuples(index=False):
        row = [Cell(str(label))]
        for b, g in scopes:
            r = cell.get((key, b, g))
            if r is None or not finite(r["estimate"]):
                sup = r is not None and bool(r.get("suppressed", False))
                row.append(Cell(SUPPRESSED_MARK, "*" if sup else "†", True))
            else:
                row.append(
                    Cell(
                        fmt.figure(r["estimate"], str(u)),
                        "",
                        True,
                        str(r.get("status")) == "flagged",
                    )
                )
        rows.append(row)
    if scores is not None:
        st = scores.table.set_index(["by", "group"])
        for col, name in (("flagged", "Flagged figures (the score)"), ("status", "Status")):
            row = [Cell(name)]
            for b, g in scopes:
                v = st[col].get((b, g)) if col in st else None
                row.append(
                    Cell(SUPPRESSED_MARK)
                    if v is None or (isinstance(v, float) and math.isnan(v))
                    else Cell(fmt.number(v) if col == "flagged" else str(v), "", col == "flagged")
                )
            rows.append(row)
    return make_table(
        "Forced-into-management figures by unit, as published (flagged figures in bold)",
        ["Figure", *names],
        rows,
        k,
    )
