"""One run of the study: its settings and panel, shared by every part, and its thresholds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from scipy import stats
else:  # imported on first use: import pathaudit stays fast
    from pathaudit.stats._lazy import LazyModule

    stats = LazyModule("scipy.stats")

from pathaudit.data import AuditData
from pathaudit.derived.calendar import (
    days_since_epoch,
    fiscal_month_offset,
    quarter_index,
    quarter_start_day,
)
from pathaudit.result import Result, make_result
from pathaudit.study._did import AttGt, att_gt
from pathaudit.study._fast import aggregate_draws, cell_estimates, wide

ANALYSIS = "dual_ladder_study"

MIN_UNITS_PER_COHORT = 5
"""Units an adoption cohort (and the never-treated group, when it is the control) needs
before the analytic and bootstrap intervals are shown: R ``did``'s own threshold (5 plus the
number of covariates), below which the influence-function variance rests on a handful of
units. Below it, inference comes from randomisation over adoption dates."""

MIN_CLUSTERS = 5
"""Unit clusters a clustered interval (TWFE, Poisson, Cox) needs (``headline.MINIMUMS``);
below 30 the interval uses t(G - 1) quantiles."""

PRETREND_QUARTERS = 8
"""Pre-adoption event times (the last ones before adoption) the joint pre-trend test covers:
two years, fewer when the panel has fewer units than that plus 2 (the covariance of more
event-time effects than units is singular)."""

MBAR_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
"""Relative magnitudes of the sensitivity part."""

OUTCOME = "voluntary_per_100py"
KINDS = ("simple", "group", "dynamic", "calendar")


@dataclass
class Run:
    """The checked settings, the unit x quarter panel and who works where, for every part."""

    data: AuditData
    panel: pd.DataFrame
    left_out: dict[str, str]
    alpha: float
    k: int
    control_group: str
    anticipation: int
    base_period: str
    bootstrap: int
    seed: int
    placebo_draws: int
    power_draws: int
    unit_people: pd.DataFrame  # employee_id, org_unit (distinct)
    few: str

    def table(self, rows: list[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
        """A part's rows as a table whose n is every person of the study."""
        return pd.DataFrame(rows).assign(n=self.people())

    def result(self, table: pd.DataFrame, groups: list[str], **meta: Any) -> Result:
        """A part's Result: ``make_result`` with the study's analysis, data, alpha and k."""
        return make_result(
            table,
            groups=groups,
            analysis=ANALYSIS,
            data=self.data,
            alpha=self.alpha,
            k=self.k,
            **meta,
        )

    def people(self, units: Sequence[str] | pd.Series | np.ndarray | None = None) -> int:
        up = self.unit_people
        if units is not None:
            up = up[up["org_unit"].isin(list(units))]
        return int(up["employee_id"].nunique())

    def units_of(self, cohort: int | None = None) -> list[str]:
        g = self.panel.groupby("org_unit")["first_treated"].first()
        if cohort is None:
            return list(g.index)
        return list(g.index[g == cohort])

    def did(
        self,
        outcome: str = OUTCOME,
        weights: str | None = "weight",
        bootstrap: int | None = None,
        base_period: str | None = None,
    ) -> AttGt:
        return att_gt(
            self.panel,
            outcome=outcome,
            unit="org_unit",
            time="period",
            first_treated="first_treated",
            control_group=self.control_group,  # type: ignore[arg-type]
            # without covariates the doubly robust, regression and IPW estimators are the
            # same estimator (equal estimates and SEs); IPW fits no outcome regression, which
            # the engine cannot fit when every control's change is 0 (sparse exit counts)
            est_method="ipw",
            weights=weights,
            anticipation=self.anticipation,
            base_period=(base_period or self.base_period),  # type: ignore[arg-type]
            alpha=self.alpha,
            bootstrap=self.bootstrap if bootstrap is None else bootstrap,
            seed=self.seed,
        )

    def points(
        self,
        outcome: str = OUTCOME,
        weights: str | None = "weight",
        G: np.ndarray | None = None,
        Y: np.ndarray | None = None,
        base_period: str | None = None,
    ) -> dict[str, np.ndarray]:
        Y0, periods, G0, w = wide(
            self.panel, outcome, "org_unit", "period", "first_treated", weights
        )
        cells, est = cell_estimates(
            Y0 if Y is None else Y,
            periods,
            G0 if G is None else G,
            w,
            control_group=self.control_group,
            anticipation=self.anticipation,
            base_period=base_period or self.base_period,
        )
        out = aggregate_draws(cells, est, G0 if G is None else G, w)
        out["cells"] = cells
        out["cell_estimates"] = est
        return out


def few_units_reason(panel: pd.DataFrame, control_group: str) -> str:
    """Why the analytic intervals are not estimable (cohorts or controls too small), or ""."""
    g = panel.groupby("org_unit")["first_treated"].first()
    sizes = g[g > 0].value_counts()
    small = sizes[sizes < MIN_UNITS_PER_COHORT]
    never = int((g == 0).sum())
    why = []
    if len(small):
        why.append(
            f"{len(small)} of {len(sizes)} adoption cohorts have fewer than "
            f"{MIN_UNITS_PER_COHORT} units (smallest: {int(sizes.min())})"
        )
    if control_group == "never" and never < MIN_UNITS_PER_COHORT:
        why.append(f"{never} never-treated units (fewer than {MIN_UNITS_PER_COHORT})")
    if not len(sizes):
        why.append("no unit adopts within the data")
    return "; ".join(why)


def mid_quarter_units(panel: pd.DataFrame, fiscal_year_start_month: int) -> list[str]:
    """Adopting units whose adoption date is not the first day of a fiscal quarter."""
    per = panel[panel["first_treated"] > 0].groupby("org_unit")["adoption_date"].first()
    if per.empty:
        return []
    days, _ = days_since_epoch(pd.to_datetime(per))
    offset = fiscal_month_offset(fiscal_year_start_month)
    starts = quarter_start_day(quarter_index(days, offset), offset)
    return [str(u) for u in per.index[starts != days]]


def cluster_interval(est: float, se: float, G: int, alpha: float) -> tuple[float, float, str]:
    """A unit-clustered interval (t(G - 1) below 30 clusters) or why it is not estimable."""
    if G < MIN_CLUSTERS or not np.isfinite(se):
        return np.nan, np.nan, f"not estimable: {G} unit clusters (fewer than {MIN_CLUSTERS})"
    q = stats.t.ppf(1 - alpha / 2, G - 1) if G < 30 else stats.norm.ppf(1 - alpha / 2)
    return est - q * se, est + q * se, ""
