"""HTML tables for the report template: cells with their marks and footnotes."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pathaudit.report._format import Formatter
from pathaudit.result import SUPPRESSED_MARK, SUPPRESSED_NOTE

NOT_SHOWN_NOTE = (
    "† no value: not estimable from these data, or a quantile resting on fewer than {k} people "
    "on either side."
)


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and why it is empty, if it is."""

    text: str
    mark: str = ""  # "*" suppressed (privacy), "†" no value
    numeric: bool = False
    strong: bool = False  # shown in bold (a flagged figure)


@dataclass(frozen=True)
class HtmlTable:
    """A table for the template: caption, header, rows of cells, row-header column."""

    caption: str
    header: list[str]
    rows: list[list[Cell]]
    footnotes: list[str] = field(default_factory=list)


def html_table(
    frame: pd.DataFrame,
    caption: str,
    columns: Mapping[str, str],
    fmt: Formatter,
    k: int,
    units: Mapping[str, str] | None = None,
) -> HtmlTable:
    """A published table as cells: suppressed rows' values a dash with ``*``, gaps ``†``."""
    units = dict(units or {})
    sup = (
        frame["suppressed"].astype(bool)
        if "suppressed" in frame.columns
        else pd.Series(False, index=frame.index)
    )
    rows = []
    for i, r in frame.iterrows():
        cells = []
        for col in columns:
            v = r.get(col)
            if isinstance(v, float | int) and not isinstance(v, bool):
                x = float(v)
                if math.isnan(x):
                    cells.append(Cell(SUPPRESSED_MARK, "*" if sup.loc[i] else "†", True))
                else:
                    unit = units.get(col, "")
                    text = (
                        fmt.figure(x, unit)
                        if unit
                        else (fmt.number(x) if float(x).is_integer() else fmt.number(x, 2))
                    )
                    cells.append(Cell(text, "", True))
            elif v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
                cells.append(Cell(SUPPRESSED_MARK, "*" if sup.loc[i] else "†"))
            else:
                cells.append(Cell(str(v)))
        rows.append(cells)
    return make_table(caption, list(columns.values()), rows, k)


def make_table(caption: str, header: list[str], rows: list[list[Cell]], k: int) -> HtmlTable:
    """A table whose every dash carries a mark (``†`` unless ``*``), with its footnotes."""
    rows = [
        [
            c if c.text != SUPPRESSED_MARK or c.mark else dataclasses.replace(c, mark="†")
            for c in row
        ]
        for row in rows
    ]
    marks = {c.mark for r in rows for c in r if c.mark}
    notes = []
    if "*" in marks:
        notes.append("* " + SUPPRESSED_NOTE.format(k=k))
    if "†" in marks:
        notes.append(NOT_SHOWN_NOTE.format(k=k))
    return HtmlTable(caption, header, rows, notes)


def finite(x: Any) -> bool:
    """Whether a value is a finite number."""
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False
