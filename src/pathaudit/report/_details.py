"""Each analysis's headline figures, chart and caveats."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pathaudit.report import narrate
from pathaudit.report._charts import part_chart
from pathaudit.report._format import Formatter
from pathaudit.report._tables import Cell, make_table
from pathaudit.result import SUPPRESSED_MARK, AnalysisResult


def details_section(
    res: Mapping[str, AnalysisResult], missing: Mapping[str, str], fmt: Formatter, k: int
) -> list[dict[str, Any]]:
    """Per analysis: every headline figure, its default chart and its caveats."""
    out = []
    for name, result in res.items():
        head = result.headline()
        rows = []
        for _, r in head.iterrows():
            unit = str(r["unit"])
            rows.append(
                [
                    Cell(str(r["label"])),
                    Cell(
                        fmt.figure(r["estimate"], unit),
                        "" if math.isfinite(r["estimate"]) else "†",
                        True,
                    ),
                    Cell(
                        fmt.interval(r["ci_lower"], r["ci_upper"], unit) or SUPPRESSED_MARK,
                        "",
                        True,
                    ),
                    Cell(
                        fmt.number(r["n"]) if math.isfinite(r["n"]) else SUPPRESSED_MARK, "", True
                    ),
                    Cell(str(r["status"])),
                    Cell(narrate._numbers_in(str(r["reason"]), unit, fmt)),
                ]
            )
        table = make_table(
            f"{result.TITLE}: every headline figure",
            ["Figure", "Estimate", "Interval", "People", "Status", "Reason"],
            rows,
            k,
        )
        chart = None
        if result.plottable() and name != "forced_management":
            part = (
                result.DEFAULT_PLOT
                if result.DEFAULT_PLOT in result.plottable()
                else (result.plottable()[0])
            )
            chart = part_chart(result, part, f"{result.TITLE}: {part.replace('_', ' ')}")
        notes = [n.text for n in result.notes if n.kind == "caveat"]
        out.append({"title": result.TITLE, "table": table, "chart": chart, "caveats": notes})
    for name, why in missing.items():
        out.append(
            {
                "title": name.replace("_", " ").capitalize(),
                "table": None,
                "chart": None,
                "caveats": [f"Not computed: {why}"],
            }
        )
    return out
