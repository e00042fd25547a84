"""The bundle pay parity returns: one Result per part, findings and headline figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from pathaudit.errors import PathauditError
from pathaudit.parity._plots import plot_distribution, plot_gaps
from pathaudit.parity._population import COMPONENTS
from pathaudit.result import Result, bundle_html, bundle_summary, headline_figure, new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

TITLE = "Pay-band parity across tracks"
"""Heading of the pay-parity summary."""


@dataclass(frozen=True)
class ParityResult:
    """Everything :func:`~pathaudit.parity.pay_parity` computes, one :class:`Result` per part.

    Attributes
    ----------
    by_grade, distribution, adjusted, sensitivity, decomposition, eu_gaps, remediation, ceilings
        See :mod:`pathaudit.parity`; each Result's ``meta["definition"]`` says what
        its numbers are.
    findings
        Plain-language findings (ceilings, flagged grades and cells).
    people
        Person-level remediation list (``employee_id``, ``track``, ``grade``, ``pay``,
        ``predicted_pay``, ``raise_min_cost``, ``raise_to_predicted``) only when
        ``person_level=True`` was asked for; else None.
    """

    by_grade: Result
    distribution: Result
    adjusted: Result
    sensitivity: Result
    decomposition: Result
    eu_gaps: Result
    remediation: Result
    ceilings: Result
    findings: tuple[str, ...] = ()
    people: pd.DataFrame | None = field(default=None, repr=False)

    def results(self) -> dict[str, Result]:
        """Name -> Result, in report order (what ``pathaudit audit`` writes)."""
        return {
            "by_grade": self.by_grade,
            "distribution": self.distribution,
            "adjusted": self.adjusted,
            "sensitivity": self.sensitivity,
            "decomposition": self.decomposition,
            "eu_gaps": self.eu_gaps,
            "remediation": self.remediation,
            "ceilings": self.ceilings,
        }

    def overall_gap(self, component: str = "base") -> pd.Series:
        """Return the overall adjusted-gap row of one component."""
        t = self.adjusted.table
        rows = t.loc[(t["component"] == component) & (t["scope"] == "overall")]
        if rows.empty:
            raise PathauditError(
                f"No adjusted gap for component {component!r}; computed: "
                f"{sorted(t['component'].unique())}."
            )
        return rows.iloc[0]

    def headline(self) -> list[dict[str, Any]]:
        """Headline figures for ``summary.json`` (name, estimate, CI, n, definition)."""
        out: list[dict[str, Any]] = []
        for _, r in self.adjusted.table.loc[self.adjusted.table["scope"] == "overall"].iterrows():
            out.append(
                headline_figure(
                    f"adjusted_gap_{r['component']}",
                    r,
                    f"IC vs M adjusted gap in {COMPONENTS[r['component']]}, exp(b) - 1",
                    p_value=r["p_value"],
                    conclusion=r["conclusion"],
                )
            )
        dec = self.decomposition.table.set_index("part")
        if "unexplained" in dec.index:
            r = dec.loc["unexplained"]
            out.append(
                headline_figure(
                    "unexplained_log_gap",
                    r,
                    "Oaxaca-Blinder unexplained part of the mean IC-M log base-pay gap "
                    "(pooled coefficients)",
                )
            )
        eu = self.eu_gaps.table
        out.append(
            {
                "name": "eu_gap_cells_flagged",
                "estimate": int(eu["flag"].sum()) if "flag" in eu else 0,
                "ci_lower": None,
                "ci_upper": None,
                "n": int((~eu["suppressed"]).sum()) if len(eu) else 0,
                "definition": "track-grade cells with a mean gender pay gap of 5% or more "
                "(EU 2023/970 style), of the cells shown",
            }
        )
        for _, r in self.remediation.table.iterrows():
            out.append(
                {
                    "name": f"remediation_{r['plan']}_cost",
                    "estimate": r["estimate"],
                    "ci_lower": None,
                    "ci_upper": None,
                    "n": r["n"],
                    "definition": f"annual base-pay cost of plan {r['plan']}",
                }
            )
        return out

    def summary(self) -> str:
        """Readable summary: the findings, then every part."""
        return bundle_summary(TITLE, self.findings or ("no findings",), self.results())

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return bundle_html(TITLE, self.findings, self.results())

    def plot_distribution(self, ax: Axes | None = None, component: str = "base") -> Axes:
        """Plot pay by grade and track: median, interquartile range and 10th–90th percentiles."""
        return plot_distribution(self.distribution, new_axes(ax), component)

    def plot_gaps(self, ax: Axes | None = None, component: str = "base") -> Axes:
        """Plot the adjusted gap per grade with its CI, and the overall gap as a band."""
        return plot_gaps(self.adjusted, new_axes(ax), component)
