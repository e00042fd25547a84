"""The trend section: the published trend table, a chart and a table per figure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from pathaudit.data import AuditData
from pathaudit.report import narrate
from pathaudit.report._charts import trend_args, trend_chart, trend_svg
from pathaudit.report._format import Formatter
from pathaudit.report._tables import html_table
from pathaudit.report._trends import TREND_QUARTERS, TREND_SPECS, WINDOW_MONTHS, primary_row
from pathaudit.result import SUPPRESSED_MARK, AnalysisResult, Table, make_result


def _publish_trend(trend: pd.DataFrame, data: AuditData) -> pd.DataFrame:
    """The trend table through primary suppression and the publish stage, as one table."""
    from pathaudit.output import publish

    if trend.empty:
        return trend
    t = trend.copy()
    t["period_end"] = t["period_end"].astype(str)
    groups = ["analysis", "key", "period", "period_end"]
    yearly = t["period"].astype(str).str.startswith("FY")
    # a point is hidden when it rests on fewer than k people, or when fewer than k (but
    # some) people entered or left its population since the previous point; the fiscal-year
    # counts of flagged figures describe figures (each already published), not people
    res = make_result(
        t.loc[~yearly].reset_index(drop=True),
        groups=groups,
        n_col=("n", "n_changed"),
        analysis="Report: primary figures per quarter end",
        definition="each analysis's primary headline figure, recomputed as of each quarter end",
        method="the analysis's own method; see each figure's definition",
        population="see the window column",
        data=data,
        tables={"by_year": Table(t.loc[yearly].reset_index(drop=True), groups, n_col=None)}
        if yearly.any()
        else None,
    )
    shown = publish({"trends": res}, data.min_cell_size)["trends"]
    out = pd.concat([shown.table, *shown.tables.values()], ignore_index=True)
    out["suppressed"] = out["suppressed"].astype("boolean").fillna(False).astype(bool)
    return out.drop(columns="n_changed")


def trend_section(
    trend: pd.DataFrame,
    res: Mapping[str, AnalysisResult],
    fmt: Formatter,
    k: int,
    why_not: str,
    submit: Callable[..., Any] | None = None,
) -> dict[str, Any]:
    """The trend section: per figure a chart and its published table by period.

    ``submit(fn, *args)`` (an object whose ``result()`` is ``fn(*args)``) draws the charts
    elsewhere (the audit's second process): every chart is asked for before any is used.
    """
    figures = []
    groups = [] if trend.empty else [
        (rows.reset_index(drop=True), _margin(res, str(rows["analysis"].iloc[0])))
        for key, rows in trend.groupby("key", sort=False) if key
    ]
    drawings = [None] * len(groups)
    if submit is not None:
        for i, (rows, margin) in enumerate(groups):
            args = trend_args(rows, margin)
            drawings[i] = None if args is None else submit(trend_svg, *args)
    if groups:
        for (rows, margin), drawing in zip(groups, drawings, strict=True):
            unit = str(rows["unit"].iloc[0])
            chart = trend_chart(rows, fmt, margin, drawing)
            shown = rows.assign(
                figure=[fmt.figure(v, unit) for v in rows["estimate"]],
                interval=[
                    fmt.interval(a, b, unit) or SUPPRESSED_MARK
                    for a, b in zip(rows["ci_lower"], rows["ci_upper"], strict=True)
                ],
            )
            columns = {
                "period": "Period",
                "estimate": "Estimate",
                "ci_lower": "Lower",
                "ci_upper": "Upper",
                "n": "People",
                "status": "Status",
            }
            if rows[["ci_lower", "ci_upper", "n"]].isna().all().all():  # a count of flags
                columns = {"period": "Period", "estimate": "Estimate", "status": "Status"}
            table = html_table(
                shown.assign(n=rows["n"]),
                f"{rows['label'].iloc[0]} by period",
                columns,
                fmt,
                k,
                units={"estimate": unit, "ci_lower": unit, "ci_upper": unit},
            )
            figures.append(
                {
                    "label": rows["label"].iloc[0],
                    "window": rows["window"].iloc[0],
                    "chart": chart,
                    "table": table,
                }
            )
    return {
        "asked": not why_not,
        "why_not": why_not,
        "figures": figures,
        "quarters": TREND_QUARTERS,
        "window_months": WINDOW_MONTHS,
        "specs": {s.analysis: s.window for s in TREND_SPECS.values()},
    }


def _margin(res: Mapping[str, AnalysisResult], analysis: str) -> tuple[float, float] | None:
    """The equivalence band of an analysis's primary figure, from its headline threshold."""
    result = res.get(analysis)
    row = primary_row(result) if result is not None else None
    if row is None:
        return None
    text = str(row.get("threshold", ""))
    if "outside" not in text:
        return None
    nums = [float(x) for x in narrate._NUMBER.findall(text)]
    return (nums[0], nums[1]) if len(nums) == 2 else None
