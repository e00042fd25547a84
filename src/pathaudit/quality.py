"""The data-quality report that travels with the data and every result.

Every check the loader and the derivations make is a *rule* with a stable code.
A rule's outcome is one of:

``fatal``
    the input cannot be used; an :class:`~pathaudit.errors.InputError` is raised
    after all checks have run, listing every fatal problem.
``excluded``
    rows are left out of the analysis and counted here.
``repaired``
    rows are changed (e.g. trailing spaces stripped) and counted here.
``note``
    a fact worth knowing that changes no row (e.g. rows dated after as-of kept
    out of the analysis window).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, SupportsInt

import pandas as pd

Action = Literal["fatal", "excluded", "repaired", "note"]

_MAX_ROWS_SHOWN = 10


@dataclass
class Issue:
    """One data-quality finding.

    Parameters
    ----------
    table
        Canonical table name (``"history"``, ``"people"``, ...).
    rule
        Stable rule code, e.g. ``"termination_before_hire"`` (see docs/data-quality.md).
    action
        ``"fatal"``, ``"excluded"``, ``"repaired"`` or ``"note"``.
    n_rows
        Number of rows affected.
    message
        What was found and what to do.
    file
        Source file name (no directory), if any.
    column
        Source column name, if one is concerned.
    rows
        Example 1-based data rows of the source file (at most ten kept).
    """

    table: str
    rule: str
    action: Action
    n_rows: int
    message: str
    file: str = ""
    column: str = ""
    rows: tuple[int, ...] = ()


@dataclass
class DataQualityReport:
    """Counts of rows read, used, repaired and excluded, by table and rule.

    Attributes
    ----------
    issues
        Every finding, in the order it was made.
    rows_in
        Rows read per table.
    files
        The file each table was read from, as messages name it (``people.csv``); later
        stages (spells) name the file of their findings from it.
    """

    issues: list[Issue] = field(default_factory=list)
    rows_in: dict[str, int] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def add(
        self,
        table: str,
        rule: str,
        action: Action,
        n_rows: int,
        message: str,
        *,
        file: str = "",
        column: str = "",
        rows: Iterable[SupportsInt] = (),
    ) -> None:
        """Record one finding (nothing is recorded when ``n_rows`` is 0 and action is not fatal)."""
        if n_rows == 0 and action != "fatal":
            return
        shown = tuple(int(r) for r in list(rows)[:_MAX_ROWS_SHOWN])
        self.issues.append(Issue(table, rule, action, int(n_rows), message, file, column, shown))

    def excluded(self, table: str | None = None) -> int:
        """Rows excluded (all tables, or one)."""
        return sum(
            i.n_rows
            for i in self.issues
            if i.action == "excluded" and (table is None or i.table == table)
        )

    def repaired(self, table: str | None = None) -> int:
        """Rows repaired (all tables, or one)."""
        return sum(
            i.n_rows
            for i in self.issues
            if i.action == "repaired" and (table is None or i.table == table)
        )

    @property
    def fatal(self) -> list[Issue]:
        """The fatal findings."""
        return [i for i in self.issues if i.action == "fatal"]

    def to_frame(self) -> pd.DataFrame:
        """One row per finding: table, rule, action, n_rows, file, column, rows, message."""
        cols = ["table", "rule", "action", "n_rows", "file", "column", "rows", "message"]
        if not self.issues:
            return pd.DataFrame(columns=cols)
        return pd.DataFrame(
            [
                {
                    "table": i.table,
                    "rule": i.rule,
                    "action": i.action,
                    "n_rows": i.n_rows,
                    "file": i.file,
                    "column": i.column,
                    "rows": ", ".join(str(r) for r in i.rows),
                    "message": i.message,
                }
                for i in self.issues
            ],
            columns=cols,
        )

    def summary(self) -> dict[str, object]:
        """Compact counts for result metadata and run manifests."""
        return {
            "rows_in": dict(self.rows_in),
            "rows_excluded": {t: self.excluded(t) for t in self.rows_in},
            "rows_repaired": {t: self.repaired(t) for t in self.rows_in},
            "rules": {
                f"{i.table}:{i.rule}": {"action": i.action, "n_rows": i.n_rows}
                for i in self.issues
            },
        }

    def __str__(self) -> str:
        lines = ["Data-quality report"]
        for t, n in self.rows_in.items():
            lines.append(
                f"  {t}: {n} rows read, {self.repaired(t)} repaired, {self.excluded(t)} excluded"
            )
        if not self.issues:
            lines.append("  no problems found")
        for i in self.issues:
            where = ", ".join(
                p
                for p in (
                    i.file,
                    f"column '{i.column}'" if i.column else "",
                    f"rows {', '.join(map(str, i.rows))}" if i.rows else "",
                )
                if p
            )
            lines.append(
                f"  [{i.action}] {i.table}/{i.rule}: {i.n_rows} rows"
                + (f" ({where})" if where else "")
                + f" {i.message}"
            )
        return "\n".join(lines)
