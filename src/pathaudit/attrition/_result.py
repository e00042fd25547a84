"""The bundle attrition returns: one Result per part, its notes and its headline figures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from pathaudit.headline import MINIMUMS, Threshold, headline_row, one_track_reason
from pathaudit.result import AnalysisResult, Note, Result

TITLE = "Attrition by track"
"""Heading of the attrition summary."""

PARTS: tuple[str, ...] = (
    "rates",
    "rates_by",
    "rate_ratio",
    "rate_ratio_by",
    "over_time",
    "turnover",
    "turnover_quarterly",
    "retention",
    "cox",
    "regretted",
    "post_switch",
    "leaver_share",
)
"""Every part of :class:`AttritionResult`, in report order (the values ``parts=`` takes)."""

MARGIN: tuple[float, float] = (0.8, 1.25)
"""Default equivalence margin of the IC / M voluntary exit rate ratio and hazard ratio."""

POST_SWITCH_THRESHOLD = 1.25
"""Default threshold of the post-switch exit hazard ratio (switchers vs matched stayers)."""

MIN_EVENTS = MINIMUMS["events_per_arm"].value
"""A Wald-interval hazard ratio is judged only with at least this many events on each side
(the ``events_per_arm`` minimum of :data:`pathaudit.headline.MINIMUMS`)."""

DIRECTIONS: dict[str, str] = {"IC->M": "ic_to_m", "M->IC": "m_to_ic"}
"""Switch directions of the ``post_switch`` table and their headline key suffixes."""

_DIRECTION_WORDS = {"IC->M": "IC to M", "M->IC": "M to IC"}
_OTHER_TRACK = {"IC->M": "ICs", "M->IC": "managers"}


def attrition_thresholds(
    margin: tuple[float, float] = MARGIN,
    post_switch_threshold: float = POST_SWITCH_THRESHOLD,
    horizon_months: int = 24,
) -> dict[str, Threshold]:
    """The thresholds the attrition headline is judged against, by headline key.

    Parameters
    ----------
    margin
        ``(low, high)``: equivalence margin of the IC / M voluntary exit rate ratio and of
        the Cox hazard ratio (flagged when the whole interval lies outside, clear when it
        lies entirely inside).
    post_switch_threshold
        The post-switch exit hazard ratio is flagged when its whole interval lies above it.
    horizon_months
        Follow-up of the post-switch design (used in the labels).

    Returns
    -------
    dict of str to Threshold
        Keys ``voluntary_exit_rate_ratio``, ``voluntary_exit_hazard_ratio``,
        ``post_switch_exit_hr_ic_to_m``, ``post_switch_exit_hr_m_to_ic``.

    Examples
    --------
    >>> t = attrition_thresholds()["voluntary_exit_rate_ratio"]
    >>> t.describe()
    'flagged outside 0.8 to 1.25'
    >>> t.status(1.02, 0.86, 1.22)[0]
    'clear'
    """
    lo, hi = (float(v) for v in margin)
    four_fifths = (
        f"Equivalence margin {lo:g} to {hi:g}. The default, 0.8 to 1.25, is the four-fifths "
        "rule of adverse-impact analysis applied in both directions: one track resigning at "
        "under four fifths (or over five fourths) of the other's rate is a disparity large "
        "enough to matter in practice. The figure is clear only when its whole interval lies "
        "inside the margin, so an imprecise estimate near 1 is inconclusive, not parity."
    )
    out = {
        "voluntary_exit_rate_ratio": Threshold(
            "rate_ratio", "estimate", "ICs and managers resign at different rates", "outside",
            (lo, hi), "ratio", four_fifths, {"kind": "voluntary"},
        ),
        "voluntary_exit_hazard_ratio": Threshold(
            "cox", "estimate",
            "ICs and managers resign at different rates at equal grade and tenure", "outside",
            (lo, hi), "ratio",
            four_fifths + f" Judged only with at least {MIN_EVENTS} voluntary exits on each "
            "track (a Wald interval on fewer is too narrow to trust).",
            {"term": "track: IC vs M"}, min_events=MIN_EVENTS,
        ),
    }
    v = float(post_switch_threshold)
    for direction, suffix in DIRECTIONS.items():
        out[f"post_switch_exit_hr_{suffix}"] = Threshold(
            "post_switch", "estimate",
            f"People who switch {_DIRECTION_WORDS[direction]} leave more than matched "
            f"{_OTHER_TRACK[direction]} in the next {horizon_months} months",
            "above", v, "ratio",
            f"Switchers leaving at a rate {v:g} times that of comparable people who stayed "
            "(default 1.25, the inverse of the four-fifths rule) is an exit risk large enough "
            f"to matter; judged only with at least {MIN_EVENTS} exits among switchers and "
            "among controls.",
            {"direction": direction, "kind": "all"}, min_events=MIN_EVENTS,
        )
    return out


@dataclass(frozen=True)
class AttritionResult(AnalysisResult):
    """Every attrition figure, each a :class:`~pathaudit.result.Result` (None: not computed).

    Attributes
    ----------
    rates
        Exits per 100 person-years by track and kind.
    rates_by
        The same by track, the ``by`` attributes and kind.
    rate_ratio
        IC / M rate ratio per kind.
    rate_ratio_by
        IC / M rate ratio per kind and ``by`` group (Holm-adjusted p-values).
    over_time
        Exits per 100 person-years by track, period and kind.
    turnover
        SHRM-style annual turnover rate by fiscal year and track (a dashboard figure).
    turnover_quarterly
        The quarterly turnover rate, annualised.
    retention
        Kaplan–Meier retention at 1, 2, 3 and 5 years by track; curves in ``tables``.
    cox
        Hazard ratios of voluntary exit (IC vs M first).
    regretted
        Voluntary exits among top-rated people (needs ratings).
    post_switch
        Matched post-switch exit hazard ratios by direction (needs history).
    notes
        Caveats (e.g. snapshot attribution, by part) and the parts the data could not
        give, each with its reason.
    thresholds
        Headline key -> :class:`~pathaudit.headline.Threshold` (see
        :func:`attrition_thresholds`).
    alpha
        1 - confidence level of every interval.
    horizon_months
        Follow-up of the post-switch design.
    one_track
        The one track with person-time when the data hold only one (``"IC"`` or ``"M"``):
        every IC vs M figure is then not estimable, with that reason; None with both.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> res = pathaudit.attrition(data)  # doctest: +SKIP
    >>> res.headline()[["key", "estimate", "status"]]  # doctest: +SKIP
    >>> res.plot("retention", curve="time_in_track")  # doctest: +SKIP
    """

    ANALYSIS: ClassVar[str] = "attrition"
    TITLE: ClassVar[str] = TITLE
    PARTS: ClassVar[tuple[str, ...]] = PARTS

    rates: Result | None = None
    rates_by: Result | None = None
    rate_ratio: Result | None = None
    rate_ratio_by: Result | None = None
    over_time: Result | None = None
    turnover: Result | None = None
    turnover_quarterly: Result | None = None
    retention: Result | None = None
    cox: Result | None = None
    regretted: Result | None = None
    post_switch: Result | None = None
    leaver_share: Result | None = None
    notes: tuple[Note, ...] = ()
    thresholds: Mapping[str, Threshold] = field(default_factory=attrition_thresholds)
    alpha: float = 0.05
    horizon_months: int = 24
    one_track: str | None = None

    # ------------------------------------------------------------------ headline

    def _missing(self, part: str) -> str:
        """Why ``part`` is absent: its not-computed note, or that it was not asked for."""
        return self.not_computed().get(part, f"the {part!r} part was not asked for (parts=)")

    def _one_track(self) -> str:
        """The one-track reason, or "" when the data hold both tracks."""
        return one_track_reason(self.one_track) if self.one_track else ""

    def _headline_rows(self) -> list[dict[str, Any]]:
        return [
            *self._rate_rows(),
            self._rate_ratio_row(),
            self._cox_row(),
            *self._post_switch_rows(),
        ]

    def _rate_rows(self) -> list[dict[str, Any]]:
        rows = []
        for track in ("IC", "M"):
            key = f"voluntary_exits_per_100py_{track.lower()}"
            label = f"Voluntary exits per 100 person-years, {track} track"
            base: dict[str, Any] = {"unit": "per 100 person-years"}
            if self.rates is None:
                rows.append(headline_row(key, label, "attrition", status="not computed",
                                         reason=self._missing("rates"), **base))
                continue
            t = self.rates.table
            sel = t[(t["track"] == track) & (t["kind"] == "voluntary")]
            if sel.empty:
                why = self._one_track() or f"no person-time on the {track} track"
                rows.append(headline_row(key, label, "attrition", status="not estimable",
                                         reason=why, **base))
                continue
            r = sel.iloc[0]
            if bool(r["suppressed"]):
                rows.append(headline_row(
                    key, label, "attrition", status="not estimable", reason=self._small(), **base
                ))
                continue
            rows.append(headline_row(
                key, label, "attrition", estimate=r["estimate"], ci_lower=r["ci_lower"],
                ci_upper=r["ci_upper"], n=r["n"], **base,
            ))
        return rows

    def _rate_ratio_row(self) -> dict[str, Any]:
        key = "voluntary_exit_rate_ratio"
        label = "IC / M voluntary exit rate ratio"
        base: dict[str, Any] = {"unit": "ratio", "threshold": self.thresholds[key], "primary": True}
        if self._one_track():
            return headline_row(key, label, "attrition", status="not estimable",
                                reason=self._one_track(), **base)
        if self.rate_ratio is None:
            return headline_row(key, label, "attrition", status="not computed",
                                reason=self._missing("rate_ratio"), **base)
        t = self.rate_ratio.table
        sel = t[t["kind"] == "voluntary"]
        if sel.empty:
            return headline_row(key, label, "attrition", status="not estimable",
                                reason="the data has person-time on one track only", **base)
        r = sel.iloc[0]
        if bool(r["suppressed"]):
            return headline_row(key, label, "attrition", status="not estimable",
                                reason=self._small(), **base)
        if r["events_ic"] + r["events_m"] == 0:
            return headline_row(key, label, "attrition", status="not estimable",
                                reason="no voluntary exits on either track", **base)
        return headline_row(
            key, label, "attrition", estimate=r["estimate"], ci_lower=r["ci_lower"],
            ci_upper=r["ci_upper"], n=r["n"],
            information={"events_per_arm": {"IC": r["events_ic"], "M": r["events_m"]}}, **base,
        )

    def _cox_row(self) -> dict[str, Any]:
        key = "voluntary_exit_hazard_ratio"
        label = ("IC vs M hazard ratio of voluntary exit at equal grade and tenure "
                 "(a rate among those still employed)")
        base: dict[str, Any] = {"unit": "hazard ratio", "threshold": self.thresholds[key]}
        if self.cox is None:
            return headline_row(key, label, "attrition", status="not computed",
                                reason=self._missing("cox"), **base)
        t = self.cox.table
        sel = t[t["term"] == "track: IC vs M"]
        model = self.cox.meta.get("model", {})
        if not sel.empty and bool(sel["suppressed"].iloc[0]):
            return headline_row(key, label, "attrition", status="not estimable",
                                reason=self._small(), **base)
        if sel.empty or not np.isfinite(float(sel["estimate"].iloc[0])):
            # the Cox part says why its track term has no estimate
            why = str(model.get("not_estimable", {}).get("track: IC vs M", "")) or (
                self._one_track() or "no finite estimate")
            return headline_row(key, label, "attrition", status="not estimable", reason=why,
                                **base)
        r = sel.iloc[0]
        return headline_row(
            key, label, "attrition", estimate=r["estimate"], ci_lower=r["ci_lower"],
            ci_upper=r["ci_upper"], n=r["n"], numerator=model.get("events_ic", np.inf),
            denominator=model.get("events_m", np.inf), **base,
        )

    def _post_switch_rows(self) -> list[dict[str, Any]]:
        rows = []
        for direction, suffix in DIRECTIONS.items():
            key = f"post_switch_exit_hr_{suffix}"
            label = (f"Exit hazard ratio in the {self.horizon_months} months after a switch "
                     f"from {_DIRECTION_WORDS[direction]}, vs matched "
                     f"{_OTHER_TRACK[direction]} who stayed")
            base: dict[str, Any] = {"unit": "hazard ratio", "threshold": self.thresholds[key]}
            if self._one_track():
                rows.append(headline_row(key, label, "attrition", status="not estimable",
                                         reason=self._one_track(), **base))
                continue
            if self.post_switch is None:
                rows.append(headline_row(key, label, "attrition", status="not computed",
                                         reason=self._missing("post_switch"), **base))
                continue
            t = self.post_switch.table
            sel = t[(t["direction"] == direction) & (t["kind"] == "all")]
            if sel.empty or not np.isfinite(pd.to_numeric(sel["estimate"]).iloc[0]):
                rows.append(headline_row(
                    key, label, "attrition", status="not estimable",
                    reason=f"no {_DIRECTION_WORDS[direction]} switch with a matched control "
                    "and exits to compare", **base,
                ))
                continue
            r = sel.iloc[0]
            if bool(r["suppressed"]):
                rows.append(headline_row(key, label, "attrition", status="not estimable",
                                         reason=self._small(), **base))
                continue
            rows.append(headline_row(
                key, label, "attrition", estimate=r["estimate"], ci_lower=r["ci_lower"],
                ci_upper=r["ci_upper"], n=r["n"], numerator=r["events_switchers"],
                denominator=r["events_controls"], **base,
            ))
        return rows

    def _small(self) -> str:
        parts = self.results()
        k = next(iter(parts.values())).meta.get("k", "k") if parts else "k"
        return f"suppressed: fewer than {k} people on a side"
