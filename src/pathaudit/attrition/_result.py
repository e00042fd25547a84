"""The bundle attrition returns: one Result per part, caveats and headline figures."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pathaudit.attrition._plots import plot_rates_over_time, plot_retention
from pathaudit.result import Result, bundle_html, bundle_summary, headline_figure, new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

TITLE = "Attrition by track"
"""Heading of the attrition summary."""


@dataclass(frozen=True)
class AttritionResult:
    """Every attrition figure, each a :class:`~pathaudit.result.Result`.

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
        Voluntary exits among top-rated people, or None without ratings.
    post_switch
        Matched post-switch exit hazard ratios by direction, or None on a snapshot.
    not_computed
        Part name -> reason it could not be computed on this data.
    caveats
        Statements the reader needs (e.g. snapshot attribution).
    """

    rates: Result
    rates_by: Result | None
    rate_ratio: Result
    rate_ratio_by: Result | None
    over_time: Result
    turnover: Result
    turnover_quarterly: Result
    retention: Result
    cox: Result
    regretted: Result | None = None
    post_switch: Result | None = None
    not_computed: dict[str, str] = field(default_factory=dict)
    caveats: tuple[str, ...] = ()

    def results(self) -> dict[str, Result]:
        """Name -> Result of every computed part (for the audit runner)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Result):
                out[f.name] = value
        return out

    def headline(self) -> list[dict[str, Any]]:
        """Headline figures: rates by track, the IC/M ratio and hazard ratio (voluntary exits)."""
        out: list[dict[str, Any]] = []
        t = self.rates.table
        for _, r in t[t["kind"] == "voluntary"].iterrows():
            out.append(
                headline_figure(
                    f"voluntary_exits_per_100py_{r['track']}",
                    r,
                    f"voluntary exits per 100 person-years on the {r['track']} track "
                    "(person-time attributed to the track held at the time)",
                )
            )
        rr = self.rate_ratio.table
        for _, r in rr[rr["kind"] == "voluntary"].iterrows():
            out.append(
                headline_figure(
                    "voluntary_exit_rate_ratio_ic_vs_m",
                    r,
                    "IC voluntary exit rate / M voluntary exit rate (exact CI)",
                )
            )
        cox = self.cox.table
        if len(cox):
            r = cox.iloc[0]
            out.append(
                headline_figure(
                    "voluntary_exit_hazard_ratio_ic_vs_m",
                    r,
                    "Cox hazard ratio of voluntary exit, IC vs M, within grade at equal tenure, "
                    "with controls (a rate among those still employed)",
                )
            )
        if self.post_switch is not None:
            ps = self.post_switch.table
            for _, r in ps[ps["kind"] == "all"].iterrows():
                out.append(
                    headline_figure(
                        f"post_switch_exit_hr_{r['direction']}",
                        r,
                        "exit hazard ratio in the "
                        f"{self.post_switch.meta.get('horizon_months', 24)} months after an "
                        f"{r['direction']} switch, vs matched non-switchers",
                    )
                )
        return out

    def summary(self) -> str:
        """Readable summary: caveats, then every part."""
        return bundle_summary(TITLE, self._notes(), self.results())

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return bundle_html(TITLE, self._notes(), self.results())

    def _notes(self) -> list[str]:
        """The caveats, then what could not be computed and why."""
        return [*self.caveats, *(f"not computed ({k}): {v}" for k, v in self.not_computed.items())]

    def plot(self, ax: Axes | None = None, kind: str = "voluntary") -> Axes:
        """Plot exits per 100 person-years by track over time, with exact 95% CIs as bands."""
        return plot_rates_over_time(self.over_time, new_axes(ax), kind=kind)

    def plot_retention(self, ax: Axes | None = None, curve: str = "tenure") -> Axes:
        """Plot Kaplan–Meier retention by track (``curve``: ``"tenure"`` or ``"time_in_track"``)."""
        return plot_retention(self.retention, new_axes(ax), curve=curve)
