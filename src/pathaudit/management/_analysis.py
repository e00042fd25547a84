"""Forced-into-management indicators: whether people are pushed into management.

One public entry point, :func:`forced_management`, runs every indicator of
DOMAIN.md analysis 3 and builds the per-unit profile a leader reads: each
indicator's value and interval against a documented threshold, flagged only when
the whole interval lies beyond it, and the number of flagged indicators. The
indicators themselves are plain functions, each returning the shared result
shape (:mod:`pathaudit.management._common`):

=========================  ===================================================
indicator                  function
=========================  ===================================================
IC ceiling                 :func:`~pathaudit.management._pay.ic_ceiling`
switch premium             :func:`~pathaudit.management._pay.switch_premium`
stalled-then-switched      :func:`~pathaudit.management._stall.stalled_then_switched`
who switches               :func:`~pathaudit.management._who.who_switches`
switch-back                :func:`~pathaudit.management._flow.switch_back`
post-switch attrition      :func:`~pathaudit.management._attrition.post_switch_attrition`
nominal managers           :func:`~pathaudit.management._roles.nominal_managers`
preference mismatch        :func:`~pathaudit.management._roles.preference_mismatch`
Peter-principle signal     :func:`~pathaudit.management._pay.peter_principle`
=========================  ===================================================

``docs/management.md`` defines every indicator and threshold in words.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from pathaudit.management._attrition import post_switch_attrition
from pathaudit.management._common import ALL, OVERALL, By, by_columns, shared_cache
from pathaudit.management._flow import switch_back, switch_flows
from pathaudit.management._pay import (
    ic_ceiling,
    peter_principle,
    switch_premium,
)
from pathaudit.management._roles import nominal_managers, preference_mismatch
from pathaudit.management._stall import stalled_then_switched
from pathaudit.management._who import who_switches
from pathaudit.result import SUPPRESSED_MARK, Result

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from pathaudit.data import AuditData

__all__ = [
    "DEFAULT_THRESHOLDS",
    "INDICATORS",
    "ManagementAudit",
    "Threshold",
    "forced_management",
    "ic_ceiling",
    "nominal_managers",
    "peter_principle",
    "post_switch_attrition",
    "preference_mismatch",
    "profile",
    "stalled_then_switched",
    "switch_back",
    "switch_flows",
    "switch_premium",
    "who_switches",
]

Direction = Literal["above", "below", "outside"]

STATUSES: tuple[str, ...] = (
    "flagged",
    "clear",
    "inconclusive",
    "too few events",
    "suppressed",
    "not estimable",
    "not available",
)
"""Profile statuses: flagged (whole CI beyond the threshold), clear (whole CI on the
healthy side), inconclusive (the CI straddles the threshold), too few events (a ratio
resting on fewer than ``min_events`` events on either side: its interval is not
reliable enough to flag), suppressed (fewer than k people), not estimable (no value,
e.g. no events), not available (input missing)."""


@dataclass(frozen=True)
class Threshold:
    """Where a healthy dual ladder ends for one indicator figure.

    Attributes
    ----------
    indicator, measure
        The figure (``measure`` of ``indicator``'s table, pooled over grades).
    label
        Plain-language name for leaders.
    direction
        ``"above"``: flagged when the whole CI is above ``value``; ``"below"``:
        when it is below; ``"outside"``: when it lies entirely outside the band
        ``value = (low, high)``.
    value
        The threshold (a number, or ``(low, high)`` for ``"outside"``).
    unit
        How the value reads (``"grades"``, ``"share"``, ``"ratio"``, ...).
    rationale
        Why this value (shown in docs and the profile).
    where
        Extra column filters on the indicator table (e.g. ``{"attribute": "gender"}``).
    min_events
        The figure is assessed only when both sides have at least this many
        events: for a ratio, the events each side would have at a common rate
        (``expected_focal``, ``expected_reference``: they do not depend on how the
        events split, so the rule favours no result); otherwise ``numerator`` and
        ``denominator``. Below, the status is "too few events": a Wald interval on
        a handful of events is too narrow to trust.
    """

    indicator: str
    measure: str
    label: str
    direction: Direction
    value: float | tuple[float, float]
    unit: str
    rationale: str
    where: Mapping[str, str] = field(default_factory=dict)
    min_events: int = 0

    @property
    def key(self) -> str:
        """``"indicator.measure"``, the name used to override the value."""
        return f"{self.indicator}.{self.measure}"

    def describe(self) -> str:
        """The threshold in words, e.g. ``"flagged above 0.02"``."""
        if self.direction == "outside":
            lo, hi = self.value  # type: ignore[misc]
            return f"flagged outside {lo:g} to {hi:g}"
        return f"flagged {self.direction} {self.value:g}"

    def status(
        self,
        estimate: float,
        lower: float,
        upper: float,
        numerator: float = np.inf,
        denominator: float = np.inf,
    ) -> str:
        """Status of one value with its interval: flagged, clear, inconclusive, ..."""
        if not (np.isfinite(estimate) and np.isfinite(lower) and np.isfinite(upper)):
            return "not estimable"
        if self.min_events and not (
            numerator >= self.min_events and denominator >= self.min_events
        ):
            return "too few events"
        if self.direction == "above":
            v = float(self.value)  # type: ignore[arg-type]
            return "flagged" if lower > v else "clear" if upper <= v else "inconclusive"
        if self.direction == "below":
            v = float(self.value)  # type: ignore[arg-type]
            return "flagged" if upper < v else "clear" if lower >= v else "inconclusive"
        lo, hi = self.value  # type: ignore[misc]
        if lower > hi or upper < lo:
            return "flagged"
        return "clear" if (lower >= lo and upper <= hi) else "inconclusive"


DEFAULT_THRESHOLDS: tuple[Threshold, ...] = (
    Threshold(
        "ic_ceiling", "designed_gap", "IC ladder stops below the M ladder (designed)", "above",
        0.0, "grades",
        "A dual ladder promises an IC level at every management grade; any gap above 0 "
        "grades means the top management grades have no IC equivalent.",
    ),
    Threshold(
        "ic_ceiling", "promotion_rate_ratio", "ICs promoted more slowly than managers",
        "below", 0.8, "ratio",
        "Four-fifths rule of adverse-impact analysis: an IC promotion rate under 80% of the "
        "M rate at the same grades is a practically meaningful disparity.",
        min_events=5,
    ),
    Threshold(
        "switch_premium", "premium", "Switching pays more than an IC promotion", "above",
        0.02, "pay change",
        "Two percentage points of pay: about a quarter of a typical promotion raise (8-10%) "
        "and above the noise of annual merit increases; a smaller premium is not a pay "
        "incentive anyone would notice.",
    ),
    Threshold(
        "stalled_then_switched", "hazard_ratio", "Stalled ICs switch more", "above", 1.25,
        "ratio",
        "The inverse of the four-fifths rule: stalled ICs switching 25% more often than "
        "progressing ICs at the same grade.",
        min_events=5,
    ),
    Threshold(
        "who_switches", "rate_ratio", "Switch rates differ by gender", "outside",
        (0.8, 1.25), "ratio",
        "Four-fifths rule, in both directions: a group moved into management at under 80% "
        "or over 125% of the reference group's rate at the same grades.",
        {"attribute": "gender"},
        min_events=5,
    ),
    Threshold(
        "switch_back", "cif", "Switchers return to IC within 24 months", "above", 0.05,
        "share",
        "Moving back should be possible, so a few switch-backs are healthy; more than one "
        "new manager in twenty back on the IC track within two years says the move was "
        "often not wanted or not supported.",
    ),
    Threshold(
        "post_switch_attrition", "hazard_ratio", "Switchers leave more than matched ICs",
        "above", 1.25, "ratio",
        "New managers leaving at a rate 25% above comparable ICs who stayed (inverse "
        "four-fifths rule).",
        min_events=5,
    ),
    Threshold(
        "nominal_managers", "share", "Managers without a team", "above", 0.20, "share",
        "A management title with fewer than two reports is a pay or title workaround; "
        "more than one manager in ten holding one is a pattern, not a transition.",
    ),
    Threshold(
        "preference_mismatch", "share", "Managers who would rather be ICs", "above", 0.25,
        "share",
        "More than one manager in four stating an IC preference means the M track holds "
        "many people who want the other ladder.",
    ),
    Threshold(
        "peter_principle", "std_difference", "Ratings fall after switching", "below", -0.2,
        "SD",
        "Cohen's small effect: ratings after a switch falling by more than 0.2 standard "
        "deviations relative to ratings after an IC promotion.",
        min_events=5,
    ),
)
"""The documented default thresholds (see docs/management.md)."""

INDICATORS: dict[str, Callable[..., Result]] = {
    "ic_ceiling": ic_ceiling,
    "switch_premium": switch_premium,
    "stalled_then_switched": stalled_then_switched,
    "who_switches": who_switches,
    "switch_back": switch_back,
    "post_switch_attrition": post_switch_attrition,
    "nominal_managers": nominal_managers,
    "preference_mismatch": preference_mismatch,
    "peter_principle": peter_principle,
}
"""Every indicator by name, in report order."""

PROFILE_COLUMNS: tuple[str, ...] = (
    "by", "group", "indicator", "measure", "label", "detail", "estimate", "ci_lower",
    "ci_upper", "n", "threshold", "unit", "status", "flagged", "note",
)


def resolve_thresholds(
    thresholds: Mapping[str, float | tuple[float, float]] | Sequence[Threshold] | None,
) -> tuple[Threshold, ...]:
    """Apply overrides to :data:`DEFAULT_THRESHOLDS`.

    Parameters
    ----------
    thresholds
        None (the defaults); a mapping ``"indicator.measure" -> value`` changing
        the value of default thresholds; or a full sequence of :class:`Threshold`
        replacing them.

    Returns
    -------
    tuple of Threshold

    Raises
    ------
    PathauditError
        For a key that names no default threshold.
    """
    from pathaudit.errors import PathauditError

    if thresholds is None:
        return DEFAULT_THRESHOLDS
    if isinstance(thresholds, Mapping):
        known = {t.key: t for t in DEFAULT_THRESHOLDS}
        unknown = sorted(set(thresholds) - set(known))
        if unknown:
            raise PathauditError(
                f"Unknown threshold {unknown}. Known thresholds: {sorted(known)}. Use "
                "'indicator.measure' as the key, e.g. {'switch_premium.premium': 0.03}."
            )
        return tuple(
            replace(t, value=thresholds[t.key]) if t.key in thresholds else t
            for t in DEFAULT_THRESHOLDS
        )
    return tuple(thresholds)


def profile(
    results: Mapping[str, Result],
    thresholds: Sequence[Threshold] = DEFAULT_THRESHOLDS,
    *,
    by: str | None = None,
) -> pd.DataFrame:
    """Read each indicator's headline figure against its threshold.

    Parameters
    ----------
    results
        Indicator name -> its :class:`Result` (as :func:`forced_management` builds).
    thresholds
        Thresholds to read the figures against.
    by
        Which grouping to read: ``None`` for the organisation and every group of
        every grouping in the results, or one grouping (``"org_unit"``, ``"year"``).

    Returns
    -------
    pandas.DataFrame
        One row per scope (``by``, ``group``) and threshold (and per compared
        category where an indicator has several, e.g. gender): ``indicator``,
        ``measure``, ``label``, ``detail``, ``estimate``, ``ci_lower``,
        ``ci_upper``, ``n``, ``threshold`` (in words), ``unit``, ``status`` (one
        of :data:`STATUSES`), ``flagged`` (bool) and ``note``.

    Notes
    -----
    A figure is flagged only when its whole confidence interval lies beyond the
    threshold; a suppressed, missing or inconclusive figure is never flagged.
    """
    scopes: list[tuple[str, str]] = [(OVERALL, ALL)]
    seen = {(OVERALL, ALL)}
    for res in results.values():
        if len(res.table):
            pairs = res.table[["by", "group"]].drop_duplicates()
            for p in zip(pairs["by"].tolist(), pairs["group"].tolist(), strict=True):
                if p not in seen:
                    seen.add(p)
                    scopes.append(p)
    if by is not None:
        scopes = [s for s in scopes if s[0] == by]
    rows: list[dict[str, Any]] = []
    for t in thresholds:
        rows.extend(_profile_rows(t, results.get(t.indicator), scopes))
    out = pd.DataFrame(rows, columns=list(PROFILE_COLUMNS))
    out["flagged"] = out["flagged"].astype(bool)
    return out


def _profile_rows(
    t: Threshold, res: Result | None, scopes: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    base = {"indicator": t.indicator, "measure": t.measure, "label": t.label, "detail": "",
            "estimate": np.nan, "ci_lower": np.nan, "ci_upper": np.nan, "n": np.nan,
            "threshold": t.describe(), "unit": t.unit, "flagged": False, "note": ""}
    if res is None or not res.meta.get("available", True):
        note = "indicator not run" if res is None else str(res.meta.get("note", ""))
        return [{**base, "by": b, "group": g, "status": "not available", "note": note}
                for b, g in scopes]
    tab = res.table
    sel = (tab["measure"] == t.measure).to_numpy() & tab["grade"].isna().to_numpy()
    for col, val in t.where.items():
        sel &= (tab[col] == val).to_numpy() if col in tab else False
    hits = tab.loc[sel]
    has_cat = "category" in hits and "reference" in hits
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in hits.to_dict("records"):
        found.setdefault((r["by"], r["group"]), []).append(r)
    note = str(res.meta.get("note", ""))
    missing_note = "no value for this group" + (
        f" ({', '.join(f'{k}={v}' for k, v in t.where.items())})" if t.where else "") + (
        f"; {note}" if note else "")
    rows = []
    for b, g in scopes:
        if (b, g) not in found:
            rows.append({**base, "by": b, "group": g, "status": "not available",
                         "note": missing_note})
            continue
        for r in found[(b, g)]:
            if bool(r.get("suppressed", False)):
                status = "suppressed"
            else:
                on_ratio = "expected_focal" in r and _count(r.get("expected_focal")) + _count(
                    r.get("expected_reference")) > 0
                status = t.status(
                    r["estimate"], r["ci_lower"], r["ci_upper"],
                    _count(r.get("expected_focal" if on_ratio else "numerator")),
                    _count(r.get("expected_reference" if on_ratio else "denominator")))
            detail = f"{r['category']} vs {r['reference']}" if has_cat else ""
            rows.append({**base, "by": b, "group": g, "detail": detail,
                         "estimate": r["estimate"], "ci_lower": r["ci_lower"],
                         "ci_upper": r["ci_upper"], "n": r["n"], "status": status,
                         "flagged": status == "flagged", "note": note})
    return rows


def _count(value: Any) -> float:
    """A count from a table cell (missing counts as 0)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return 0.0
    return v if np.isfinite(v) else 0.0


def scores(prof: pd.DataFrame) -> pd.DataFrame:
    """Count flagged figures per scope: the number a leader reads.

    Returns
    -------
    pandas.DataFrame
        One row per (``by``, ``group``): ``flagged``, ``assessed`` (figures with a
        value: flagged, clear or inconclusive), ``clear``, ``inconclusive``,
        ``suppressed``, ``not_available`` (incl. not estimable and too few events).
    """
    if len(prof) == 0:
        return pd.DataFrame(columns=["by", "group", "flagged", "assessed", "clear",
                                     "inconclusive", "suppressed", "not_available"])
    st = prof["status"]
    parts = prof.assign(
        flagged=st == "flagged",
        assessed=st.isin(["flagged", "clear", "inconclusive"]),
        clear=st == "clear",
        inconclusive=st == "inconclusive",
        suppressed=st == "suppressed",
        not_available=st.isin(["not available", "not estimable", "too few events"]),
    )
    cols = ["flagged", "assessed", "clear", "inconclusive", "suppressed", "not_available"]
    return parts.groupby(["by", "group"], sort=False)[cols].sum().astype(int).reset_index()


@dataclass(frozen=True)
class ManagementAudit:
    """Every forced-into-management indicator, the profile and the score.

    Attributes
    ----------
    indicators
        Indicator name -> :class:`Result` (see :data:`INDICATORS`).
    flows
        Switch and exit flows by grade (:func:`switch_flows`).
    profile
        Headline figures against thresholds for the organisation and every unit
        (and every year when computed over time): see :func:`profile`.
    scores
        Number of flagged figures per scope (:func:`scores`).
    thresholds
        The thresholds used.
    meta
        ``as_of``, ``alpha``, ``k``, ``by``, ``over_time``, ``version``.
    """

    indicators: dict[str, Result]
    flows: Result
    profile: pd.DataFrame
    scores: pd.DataFrame
    thresholds: tuple[Threshold, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> int:
        """Number of flagged figures for the whole organisation."""
        s = self.scores
        hit = s.loc[(s["by"] == OVERALL) & (s["group"] == ALL), "flagged"]
        return int(hit.iloc[0]) if len(hit) else 0

    def unit_profile(self, group: str = ALL, by: str = OVERALL) -> pd.DataFrame:
        """The profile of one scope (default: the whole organisation)."""
        if group != ALL and by == OVERALL:
            by = str(self.meta.get("by_unit") or "org_unit")
        p = self.profile
        return p.loc[(p["by"] == by) & (p["group"] == group)].reset_index(drop=True)

    def over_time(self) -> pd.DataFrame:
        """The profile per fiscal year (empty when not computed over time)."""
        p = self.profile
        return p.loc[p["by"] == "year"].reset_index(drop=True)

    def results(self) -> dict[str, Result]:
        """Name -> Result of every part, for the audit writer (profile included)."""
        out: dict[str, Result] = {}
        out.update(self.indicators)
        out["switch_flows"] = self.flows
        prof = self.profile.copy()
        out["profile"] = Result(
            table=prof.assign(suppressed=prof["status"] == "suppressed"),
            meta={"analysis": "forced_management_profile", **self.meta},
        )
        return out

    def headline(self) -> list[dict[str, Any]]:
        """Headline figures of the organisation, one per threshold, for ``summary.json``."""
        rows = []
        for r in self.unit_profile().itertuples(index=False):
            rows.append({
                "name": f"{r.indicator}.{r.measure}" + (f" ({r.detail})" if r.detail else ""),
                "label": r.label,
                "estimate": r.estimate,
                "ci_lower": r.ci_lower,
                "ci_upper": r.ci_upper,
                "n": r.n,
                "status": r.status,
                "threshold": r.threshold,
                "definition": self.indicators[r.indicator].meta.get("definition", "")
                if r.indicator in self.indicators else "",
            })
        rows.append({"name": "flagged_indicators", "label": "Number of flagged figures",
                     "estimate": self.score, "ci_lower": None, "ci_upper": None, "n": None,
                     "status": "", "threshold": "", "definition":
                     "Figures whose whole 95% CI lies beyond their threshold."})
        return rows

    def summary(self) -> str:
        """A plain-language summary: the score, then each figure with its status."""
        p = self.unit_profile()
        n_assessed = int(p["status"].isin(["flagged", "clear", "inconclusive"]).sum())
        lines = [
            "Forced-into-management indicators",
            f"  as of {self.meta.get('as_of', '')}; {int(100 * (1 - self.meta.get('alpha', 0.05)))}"
            f"% confidence intervals; minimum cell size k = {self.meta.get('k', '')}",
            f"  {self.score} of {n_assessed} figures flagged (whole interval beyond its "
            "threshold).",
            "",
        ]
        for r in p.itertuples(index=False):
            lines.append(f"  [{r.status}] {r.label}{' (' + r.detail + ')' if r.detail else ''}: "
                         f"{_fmt_value(r.estimate, r.ci_lower, r.ci_upper, r.unit, r.status)}"
                         f"; {r.threshold}")
            if r.status == "not available" and r.note:
                lines.append(f"      {r.note}")
        s = self.scores
        units = s.loc[s["by"] == self.meta.get("by_unit", "org_unit")]
        if len(units):
            lines.append("")
            lines.append("  Flagged figures by unit: " + ", ".join(
                f"{u.group} {u.flagged}/{u.assessed}" for u in units.itertuples(index=False)))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        p = self.unit_profile()
        shown = p[["label", "detail", "estimate", "ci_lower", "ci_upper", "n", "threshold",
                   "status"]].copy()
        for c in ("estimate", "ci_lower", "ci_upper"):
            shown[c] = [
                SUPPRESSED_MARK if s == "suppressed" else ("" if not np.isfinite(v) else
                                                           f"{v:.3g}")
                for v, s in zip(shown[c], p["status"], strict=True)
            ]
        shown["n"] = [SUPPRESSED_MARK if s == "suppressed" or not np.isfinite(v) else f"{v:.0f}"
                      for v, s in zip(p["n"], p["status"], strict=True)]
        return (
            "<div><h4>Forced-into-management indicators</h4>"
            f"<p><b>{self.score}</b> figures flagged (whole 95% CI beyond the threshold), "
            f"as of {html.escape(str(self.meta.get('as_of', '')))}.</p>"
            f"{shown.to_html(index=False, escape=True)}</div>"
        )

    def plot_profile(self, group: str = ALL, by: str = OVERALL) -> Figure:
        """Draw the one-page profile of one scope (:func:`~.management_plots.plot_profile`)."""
        from pathaudit.management._plots import plot_profile

        return plot_profile(self, group=group, by=by)

    def plot_flows(self, ax: Axes | None = None, group: str = ALL, by: str = OVERALL) -> Axes:
        """Draw switch and exit flows by grade (:func:`~.management_plots.plot_flows`)."""
        from pathaudit.management._plots import plot_flows

        return plot_flows(self.flows, ax=ax, group=group, by=by)

    def plot_over_time(self) -> Figure:
        """Draw each headline figure per fiscal year against its threshold."""
        from pathaudit.management._plots import plot_over_time

        return plot_over_time(self)


def _fmt_value(est: float, lo: float, hi: float, unit: str, status: str) -> str:
    if status == "suppressed":
        return f"{SUPPRESSED_MARK} (suppressed)"
    if not (isinstance(est, float) and math.isfinite(est)):
        return "no value"
    if unit == "share" or unit == "pay change":
        fmt = "{:.1%}"
    elif unit == "grades":
        fmt = "{:+.0f}"
    else:
        fmt = "{:.2f}"
    if math.isfinite(lo) and math.isfinite(hi) and (lo != est or hi != est):
        return f"{fmt.format(est)} (95% CI {fmt.format(lo)} to {fmt.format(hi)})"
    return fmt.format(est)


def forced_management(
    data: AuditData,
    *,
    by: str | None = "org_unit",
    over_time: bool = True,
    thresholds: Mapping[str, float | tuple[float, float]] | Sequence[Threshold] | None = None,
    alpha: float = 0.05,
    seed: int = 0,
    indicators: Sequence[str] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> ManagementAudit:
    """Run every forced-into-management indicator and build the per-unit profile.

    Parameters
    ----------
    data
        The audit data (history or snapshot; indicators that need what the data
        lacks say so in the profile instead of failing).
    by
        Grouping of the per-unit profile (default ``"org_unit"``; None for the
        organisation only).
    over_time
        Also compute every indicator per fiscal year (``profile`` rows with
        ``by == "year"``), so a change to the ladder can be seen.
    thresholds
        Overrides of :data:`DEFAULT_THRESHOLDS` (``{"indicator.measure": value}``)
        or a full replacement (a sequence of :class:`Threshold`).
    alpha
        1 - confidence level of every interval.
    seed
        Seed of the bootstrap (switch premium) and of the draw of matched controls.
    indicators
        Names of the indicators to run (default: all of :data:`INDICATORS`).
    options
        Extra keyword arguments per indicator, e.g.
        ``{"nominal_managers": {"min_reports": 3}}``.

    Returns
    -------
    ManagementAudit
        ``indicators`` (name -> Result), ``flows``, ``profile``, ``scores``,
        ``thresholds``; ``summary()``, ``plot_profile()``, ``plot_flows()``,
        ``plot_over_time()``.

    Notes
    -----
    An indicator is flagged only when its whole (1 - alpha) confidence interval
    lies beyond its threshold; the score is the number of flagged figures. With
    many units, some flags are expected by chance where a unit sits near a
    threshold; the "clear" status (whole interval on the healthy side) is the
    evidence that a figure is fine, not the absence of a flag.
    """
    from pathaudit._version import __version__

    ths = resolve_thresholds(thresholds)
    names = list(INDICATORS) if indicators is None else list(indicators)
    groupings: By = [c for c in ([by] if by else []) + (["year"] if over_time else [])]
    options = options or {}
    results: dict[str, Result] = {}
    with shared_cache():
        for name in names:
            fn = INDICATORS[name]
            kw: dict[str, Any] = {"by": groupings or None, "alpha": alpha}
            if name in ("switch_premium", "post_switch_attrition"):
                kw["seed"] = seed
            kw.update(options.get(name, {}))
            results[name] = fn(data, **kw)
    flows = switch_flows(data, by=groupings or None, alpha=alpha)
    prof = profile(results, ths)
    return ManagementAudit(
        indicators=results,
        flows=flows,
        profile=prof,
        scores=scores(prof),
        thresholds=ths,
        meta={
            "analysis": "forced_management",
            "as_of": str(pd.Timestamp(data.as_of).date()),
            "alpha": alpha,
            "k": data.min_cell_size,
            "by_unit": by,
            "over_time": over_time,
            "groupings": by_columns(groupings or None),
            "version": __version__,
        },
    )
