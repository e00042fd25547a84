"""Page 1: the verdict per question, with its change since last quarter and a year ago."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from pathaudit.headline import QUESTIONS
from pathaudit.report import narrate
from pathaudit.report._format import Formatter
from pathaudit.report._trends import WINDOW_MONTHS, change_between
from pathaudit.result import AnalysisResult

NO_TRENDS = "trends were not asked for (trends=False)"
"""Why no change is computed when trends are off."""


def verdict_rows(
    res: Mapping[str, AnalysisResult],
    missing: Mapping[str, str],
    trend: pd.DataFrame,
    label: str,
    fmt: Formatter,
    why_not: str,
) -> pd.DataFrame:
    """Page 1: one row per question (primary figures, then the analyses not computed)."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for name, result in res.items():
        head = result.headline()
        for _, r in head.loc[head["primary"]].iterrows():
            seen.add(str(r["question"]))
            rows.append(_verdict(name, r.to_dict(), trend, label, fmt, why_not))
    for name, why in missing.items():
        q = {
            "pay_parity": "pay",
            "time_to_promotion": "promotion",
            "forced_management": "management",
            "attrition": "attrition",
        }[name]
        if q not in seen:
            row = {
                "key": name,
                "label": name.replace("_", " "),
                "question": q,
                "estimate": math.nan,
                "ci_lower": math.nan,
                "ci_upper": math.nan,
                "n": math.nan,
                "unit": "",
                "threshold": "",
                "status": "not computed",
                "reason": why,
                "primary": True,
            }
            rows.append(_verdict(name, row, trend, label, fmt, why_not))
    order = {q: i for i, q in enumerate(QUESTIONS)}
    rows.sort(key=lambda r: order.get(r["question"], len(order)))
    return pd.DataFrame(rows)


def _verdict(
    name: str,
    r: dict[str, Any],
    trend: pd.DataFrame,
    label: str,
    fmt: Formatter,
    why_not: str = NO_TRENDS,
) -> dict[str, Any]:
    unit = str(r["unit"])
    quarter_change, year_change = _changes(r, trend, label, fmt, why_not)
    return {
        "analysis": name,
        "question": r["question"],
        "question_text": QUESTIONS.get(str(r["question"]), str(r["question"])),
        "key": r["key"],
        "label": r["label"],
        "estimate": r["estimate"],
        "ci_lower": r["ci_lower"],
        "ci_upper": r["ci_upper"],
        "n": r["n"],
        "unit": unit,
        "figure": fmt.figure(r["estimate"], unit),
        "interval": fmt.interval(r["ci_lower"], r["ci_upper"], unit),
        "people": fmt.people(r["n"]),
        "threshold": narrate._numbers_in(str(r["threshold"]), unit, fmt),
        "status": r["status"],
        "reason": narrate._numbers_in(str(r["reason"]), unit, fmt),
        "sentence": narrate.describe(r, fmt),
        "change_quarter": quarter_change,
        "change_year": year_change,
    }


def _changes(
    r: Mapping[str, Any], trend: pd.DataFrame, label: str, fmt: Formatter, why_not: str = NO_TRENDS
) -> tuple[str, str]:
    if trend.empty:
        return (f"No change computed: {why_not}.",) * 2
    rows = trend.loc[trend["key"] == r["key"]].reset_index(drop=True)
    unit = str(r["unit"])
    if rows.empty:
        why = "no trend: this figure is not recomputed per quarter"
        return (why + ".",) * 2
    if rows["period"].astype(str).str.startswith("FY").all():
        fy = rows.loc[rows["estimate"].notna()]
        if len(fy) < 2:
            return (
                "Counted per fiscal year, not per quarter.",
                "Fewer than two fiscal years to compare.",
            )
        a, b = fy.iloc[-2], fy.iloc[-1]
        word = (
            "unchanged"
            if a["estimate"] == b["estimate"]
            else "up"
            if b["estimate"] > a["estimate"]
            else "down"
        )
        return (
            "Counted per fiscal year, not per quarter (see the trend).",
            f"Each fiscal year's own figures: {fmt.figure(a['estimate'], unit)} in "
            f"{a['period']}, {fmt.figure(b['estimate'], unit)} in {b['period']} ({word}; "
            "a count of flags, no interval). The figure above covers the whole history.",
        )
    idx = rows.index[rows["period"] == label]
    if not len(idx):
        return ("The report quarter has no trend point.",) * 2
    i = int(idx[0])
    window = str(rows["window"].iloc[i])
    out = []
    for back, span in ((1, "last quarter"), (4, "a year ago")):
        if i - back < 0:
            out.append(f"No comparison with {span}: the history is too short.")
            continue
        change = change_between(rows.iloc[i - back], rows.iloc[i])
        out.append(narrate.describe_change(change, unit=unit, span=span, formatter=fmt))
    if "trailing" in window:
        out = [o + f" Trailing {WINDOW_MONTHS} months at each quarter end." for o in out]
    return out[0], out[1]
