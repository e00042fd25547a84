"""The bundle dual_ladder_study returns: one Result per part, its notes and its headline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import numpy as np

from pathaudit.headline import headline_row
from pathaudit.result import AnalysisResult, Note, Result

TITLE = "Dual-ladder turnover study"
"""Heading of the study summary."""

PARTS: tuple[str, ...] = (
    "panel",
    "att",
    "att_gt",
    "event_study",
    "twfe",
    "placebo_dates",
    "placebo_outcome",
    "composition",
    "cox",
    "sensitivity",
    "power",
)
"""Every part of :class:`StudyResult`, in report order (the values ``parts=`` takes)."""


@dataclass(frozen=True)
class StudyResult(AnalysisResult):
    """Every figure of the dual-ladder turnover study (None: not computed).

    Attributes
    ----------
    panel
        One row per org unit: adoption cohort, quarters, exits, person-years, weight.
    att
        Callaway–Sant'Anna ATT on voluntary exits per 100 person-years: the four
        aggregations, person-time weighted and unweighted.
    att_gt
        The group-time effects ATT(g, t).
    event_study
        Effect by quarters since adoption with the simultaneous band and the pre-trend test
        (``meta``: ``pretest_statistic``, ``pretest_df``, ``pretest_p_value``).
    twfe
        Two-way fixed effects (the biased comparison) and its Poisson version.
    placebo_dates
        Randomisation inference over adoption dates (``tables["draws"]``).
    placebo_outcome
        The estimator on involuntary exits.
    composition
        The estimator on hires into and IC moves out of the units.
    cox
        Person-level hazard ratio of voluntary exit with the dual ladder in force, by track.
    sensitivity
        Rambachan–Roth relative-magnitude bounds over Mbar (``meta["breakdown_mbar"]``).
    power
        Minimum detectable effect by simulation; units and quarters for a 20% drop.
    notes
        Caveats and the parts not computed, with their reasons.
    alpha
        1 - confidence level.
    few_units
        Why the analytic intervals are not estimable ("" when they are).

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> res = pathaudit.dual_ladder_study(data)  # doctest: +SKIP
    >>> res.plot("event_study")  # doctest: +SKIP
    """

    ANALYSIS: ClassVar[str] = "dual_ladder_study"
    TITLE: ClassVar[str] = TITLE
    PARTS: ClassVar[tuple[str, ...]] = PARTS
    DEFAULT_PLOT: ClassVar[str | None] = "event_study"

    panel: Result | None = None
    att: Result | None = None
    att_gt: Result | None = None
    event_study: Result | None = None
    twfe: Result | None = None
    placebo_dates: Result | None = None
    placebo_outcome: Result | None = None
    composition: Result | None = None
    cox: Result | None = None
    sensitivity: Result | None = None
    power: Result | None = None
    notes: tuple[Note, ...] = ()
    alpha: float = 0.05
    few_units: str = ""

    def _missing(self, part: str) -> str:
        return self.not_computed().get(part, f"the {part!r} part was not asked for (parts=)")

    def _headline_rows(self) -> list[dict[str, Any]]:
        return [self._att_row(), self._cox_row(), self._pretrend_row()]

    def _att_row(self) -> dict[str, Any]:
        row = _row_of(
            "adoption_effect_voluntary_per_100py",
            "Change in voluntary exits per 100 person-years after adoption",
            unit="per 100 person-years",
            primary=True,
        )
        if self.att is None:
            return row(status="not computed", reason=self._missing("att"))
        t = self.att.table
        r = t[(t["weighting"] == "person-time") & (t["kind"] == "simple")].iloc[0]
        if bool(r["suppressed"]):
            return row(status="not estimable", reason="suppressed: too few people")
        if self.few_units:
            p = ""
            if self.placebo_dates is not None:
                pt = self.placebo_dates.table
                pv = pt.loc[pt["kind"] == "simple", "p_value"]
                if len(pv) and np.isfinite(pv.iloc[0]):
                    p = f"; randomisation p = {pv.iloc[0]:.3f}"
            return row(
                estimate=r["estimate"],
                n=r["n"],
                status="descriptive",
                reason=f"interval not estimable ({self.few_units}){p}",
            )
        sig = r["ci_upper"] < 0 or r["ci_lower"] > 0
        return row(
            **_interval(r),
            status="descriptive",
            reason=(
                "the interval excludes no change" if sig else "the interval includes no change"
            ),
        )

    def _cox_row(self) -> dict[str, Any]:
        row = _row_of(
            "adoption_exit_hazard_ratio",
            "Voluntary exit hazard ratio with the dual ladder in force",
            unit="ratio",
        )
        if self.cox is None:
            return row(status="not computed", reason=self._missing("cox"))
        t = self.cox.table
        r = t[t["term"].str.endswith("average (person-time mix)")].iloc[0]
        if bool(r["suppressed"]) or not np.isfinite(r["estimate"]):
            return row(status="not estimable", reason=r.get("reason") or "no estimate")
        if r["reason"]:
            return row(
                estimate=r["estimate"], n=r["n"], status="descriptive", reason=str(r["reason"])
            )
        return row(**_interval(r), status="descriptive")

    def _pretrend_row(self) -> dict[str, Any]:
        row = _row_of("pretrend_test_p_value", "Joint pre-trend test (p-value)", unit="p-value")
        if self.event_study is None:
            return row(status="not computed", reason=self._missing("event_study"))
        p = self.event_study.meta.get("pretest_p_value")
        if p is None:
            return row(status="not estimable", reason=self.few_units or "no pre-adoption period")
        return row(estimate=p, status="descriptive", n=float(self.event_study.table["n"].max()))


def _row_of(key: str, label: str, **base: Any) -> Callable[..., dict[str, Any]]:
    """The headline row builder of one study figure (key, label, unit fixed)."""
    return partial(headline_row, key, label, "turnover", **base)


def _interval(r: Any) -> dict[str, Any]:
    """A part row's estimate, interval and n, as headline_row takes them."""
    return {k: r[k] for k in ("estimate", "ci_lower", "ci_upper", "n")}
