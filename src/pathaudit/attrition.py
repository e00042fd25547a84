"""Attrition by track: whether individual contributors leave more than managers, and when.

One public function, :func:`attrition`, returns an :class:`AttritionResult` bundling:

- ``rates`` / ``rates_by``: exits per 100 person-years by track (and by grade or another
  attribute), voluntary, involuntary and all exits apart, with exact Poisson (Garwood)
  intervals. Person-time is attributed to the track held at the time, so a switcher
  contributes to both tracks.
- ``rate_ratio`` / ``rate_ratio_by``: the IC / M rate ratio with its exact conditional
  interval, Holm-adjusted p-values across groups.
- ``over_time``: the same rates by fiscal year or quarter.
- ``turnover`` / ``turnover_quarterly``: the SHRM-style turnover rate (exits / average
  month-end headcount), for comparison with HR dashboards.
- ``retention``: Kaplan–Meier retention by track, over tenure and over time since entering
  the current track.
- ``cox``: hazard ratio of voluntary exit, IC vs M, with time-varying track, grade strata,
  tenure as the time scale, compa-ratio and controls as available, clustered by person.
- ``regretted``: voluntary exits among top-rated people (where ratings exist).
- ``post_switch``: exit hazard in the 24 months after a switch against matched
  non-switchers, both directions (:mod:`pathaudit.matching`).

Every figure, its numerator, denominator and population are defined in ``docs/attrition.md``.
"""

from __future__ import annotations

import dataclasses
import html
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.duration.survfunc import SurvfuncRight

from pathaudit.data import AuditData
from pathaudit.errors import SNAPSHOT_ONLY, NeedsHistoryError, PathauditError, StatisticalWarning
from pathaudit.matching import fit_cox, post_switch_exit_hr, post_switch_matched
from pathaudit.result import Result, make_result, suppress
from pathaudit.schema import DAYS_PER_YEAR, TRACKS
from pathaudit.spells import fiscal_quarter_start, fiscal_quarters
from pathaudit.stats import (
    adjust_pvalues,
    loglog_ci,
    mde_normal,
    poisson_rate_ci,
    rate_ratio_ci,
    t_ci,
    wilson_ci,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["AttritionResult", "attrition"]

KINDS: dict[str, tuple[str, ...]] = {
    "voluntary": ("exit_voluntary",),
    "involuntary": ("exit_involuntary",),
    "all": ("exit_voluntary", "exit_involuntary", "exit_other"),
}
"""Exit kinds reported, and the end reasons each counts (``all`` includes ``other``)."""

BY_COLUMNS: tuple[str, ...] = ("grade", "level", "org_unit", "job_family", "location", "gender")
"""Exposure attributes rates can be broken down by (besides track)."""

FREQS: tuple[str, ...] = ("year", "quarter")
"""Calendar (fiscal) periods for rates over time."""

RETENTION_YEARS: tuple[float, ...] = (1.0, 2.0, 3.0, 5.0)
"""Times at which retention is reported in the summary table."""

PER = 100.0
"""Rates are per 100 person-years."""

MIN_LEVEL_EVENTS = 10
"""A level of a categorical Cox control with fewer voluntary exits is pooled with the reference."""

COMPA_STEP = 0.1
"""The compa-ratio hazard ratio is reported per this increase (0.10 = 10% of band midpoint)."""

NO_EXITS = (
    "It holds no leavers with termination dates, so no exit can be counted: exit rates, "
    "turnover, retention curves and hazard ratios all need them."
)
BAD_BY = "by must name exposure columns among {allowed}; got {got!r}."
BAD_FREQ = "freq must be one of {allowed}; got {got!r}."


# --------------------------------------------------------------------------- result bundle


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
                {
                    "name": f"voluntary_exits_per_100py_{r['track']}",
                    "estimate": r["estimate"],
                    "ci_lower": r["ci_lower"],
                    "ci_upper": r["ci_upper"],
                    "n": r["n"],
                    "definition": f"voluntary exits per 100 person-years on the {r['track']} "
                    "track (person-time attributed to the track held at the time)",
                }
            )
        rr = self.rate_ratio.table
        for _, r in rr[rr["kind"] == "voluntary"].iterrows():
            out.append(
                {
                    "name": "voluntary_exit_rate_ratio_ic_vs_m",
                    "estimate": r["estimate"],
                    "ci_lower": r["ci_lower"],
                    "ci_upper": r["ci_upper"],
                    "n": r["n"],
                    "definition": "IC voluntary exit rate / M voluntary exit rate (exact CI)",
                }
            )
        cox = self.cox.table
        if len(cox):
            r = cox.iloc[0]
            out.append(
                {
                    "name": "voluntary_exit_hazard_ratio_ic_vs_m",
                    "estimate": r["estimate"],
                    "ci_lower": r["ci_lower"],
                    "ci_upper": r["ci_upper"],
                    "n": r["n"],
                    "definition": "Cox hazard ratio of voluntary exit, IC vs M, within grade at "
                    "equal tenure, with controls (a rate among those still employed)",
                }
            )
        if self.post_switch is not None:
            ps = self.post_switch.table
            for _, r in ps[ps["kind"] == "all"].iterrows():
                out.append(
                    {
                        "name": f"post_switch_exit_hr_{r['direction']}",
                        "estimate": r["estimate"],
                        "ci_lower": r["ci_lower"],
                        "ci_upper": r["ci_upper"],
                        "n": r["n"],
                        "definition": "exit hazard ratio in the "
                        f"{self.post_switch.meta.get('horizon_months', 24)} months after an "
                        f"{r['direction']} switch, vs matched non-switchers",
                    }
                )
        return out

    def summary(self) -> str:
        """Readable summary: caveats, then every part."""
        lines = ["Attrition by track", ""]
        lines += [f"* {c}" for c in self.caveats]
        lines += [f"* not computed ({k}): {v}" for k, v in self.not_computed.items()]
        for name, res in self.results().items():
            lines += ["", f"== {name} ==", res.summary()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        notes = [*self.caveats, *(f"not computed ({k}): {v}" for k, v in self.not_computed.items())]
        items = "".join(f"<li>{html.escape(c)}</li>" for c in notes)
        return f"<div><h3>Attrition by track</h3><ul>{items}</ul>" + "".join(
            res._repr_html_() for res in self.results().values()
        ) + "</div>"

    def plot(self, ax: Axes | None = None, kind: str = "voluntary") -> Axes:
        """Plot exits per 100 person-years by track over time, with exact 95% CIs as bands."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4.5))
        return plot_rates_over_time(self.over_time, ax, kind=kind)

    def plot_retention(self, ax: Axes | None = None, curve: str = "tenure") -> Axes:
        """Plot Kaplan–Meier retention by track (``curve``: ``"tenure"`` or ``"time_in_track"``)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4.5))
        return plot_retention(self.retention, ax, curve=curve)


# --------------------------------------------------------------------------- working frame


def _days(s: pd.Series) -> np.ndarray:
    return s.to_numpy(dtype="datetime64[D]").astype(np.int64)


CATEGORICAL = ("level", "org_unit", "job_family", "location", "gender")
"""String attributes held as categoricals in the working frame (fast grouping)."""


def _work(data: AuditData, by: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Exposure with integer days, person codes and exit flags, sorted by person and time.

    Strings become categoricals (track with categories ``IC, M``). Returns the frame and
    the employee ID of each person code ``pid``.
    """
    ex = data.exposure
    cols = ["episode", "person_years", "year", "grade", "pay", "tenure", "time_in_spell"]
    w = ex[cols].copy()
    w["year"] = w["year"].astype("int64")
    w["quarter"] = ex["quarter"].astype("category")
    w["track"] = pd.Categorical(ex["track"], categories=list(TRACKS))
    w["is_ic"] = (w["track"] == "IC").to_numpy()
    for c in dict.fromkeys((*by, *CATEGORICAL)):
        if c in ex.columns and c not in w.columns:
            w[c] = ex[c].astype("category")
    w["start_d"] = _days(ex["start"])
    w["stop_d"] = _days(ex["stop"])
    pid, ids = pd.factorize(ex["employee_id"])
    w["pid"] = pid
    ev = ex["event"].astype(str).to_numpy()
    for kind, reasons in KINDS.items():
        w[f"ev_{kind}"] = np.isin(ev, reasons)
    order = np.lexsort((w["start_d"].to_numpy(), w["episode"].to_numpy(dtype=np.int64),
                        pid))
    return w.iloc[order].reset_index(drop=True), np.asarray(ids, dtype=object)


def _people(w: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Distinct people per group of ``keys`` (same index as ``groupby(keys).size()``)."""
    g = w.groupby(keys, observed=True, dropna=False, sort=True)
    code = g.ngroup().to_numpy()
    pid = w["pid"].to_numpy().astype(np.int64)
    base = int(pid.max(initial=0)) + 1
    pairs = np.sort(code.astype(np.int64) * base + pid)
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:] != pairs[:-1]
    counts = np.bincount(pairs[first] // base, minlength=g.ngroups)
    return pd.Series(counts, index=g.size().index)


def _snapshot_as_history(data: AuditData) -> tuple[AuditData, str]:
    """A snapshot whose one record per person is extended back to the hire date.

    The person's state on the extract date is attributed to all their observed
    employment. The observed window starts at ``history_start`` when the map sets one
    before the extract date; otherwise (a snapshot's default is the extract date, when
    nothing before is observed) at the earliest termination date in the export, on the
    assumption that the export holds every leaver since then.

    Returns
    -------
    (AuditData, str)
        The history-like copy and a sentence saying which window was used.
    """
    from pathaudit.quality import DataQualityReport

    start = data.history_start
    if start >= data.extract_date:
        term = data.people["termination_date"].dropna()
        term = term[term <= data.as_of]
        if len(term):
            start = pd.Timestamp(term.min()).normalize()
        how = (
            f"the observed window starts on {start.date()}, the earliest termination date in "
            "the export, assuming it holds every leaver since then (set [export] history_start "
            "to the date from which it does)"
        )
    else:
        how = f"the observed window starts on history_start, {start.date()}"
    copy = dataclasses.replace(
        data,
        is_snapshot=False,
        history_start=start,
        quality=DataQualityReport(rows_in=dict(data.quality.rows_in)),
    )
    return copy, how


def _value_cols(table: pd.DataFrame, groups: Sequence[str]) -> list[str]:
    return [
        c for c in table.columns
        if c not in (*groups, "n", "suppressed")
        and pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c])
    ]


# --------------------------------------------------------------------------- rates


def _rates(w: pd.DataFrame, keys: list[str], alpha: float) -> pd.DataFrame:
    """Exits per 100 person-years per group of ``keys`` and kind (long format)."""
    agg = w.groupby(keys, observed=True, dropna=False, sort=True).agg(
        person_years=("person_years", "sum"),
        **{f"events_{k}": (f"ev_{k}", "sum") for k in KINDS},
    )
    agg["n"] = _people(w, keys).reindex(agg.index).to_numpy()
    agg = agg.reset_index()
    parts = []
    for kind in KINDS:
        ev = agg[f"events_{kind}"].to_numpy(dtype=float)
        py = agg["person_years"].to_numpy(dtype=float)
        lo, hi = poisson_rate_ci(ev, py, alpha=alpha)
        with np.errstate(invalid="ignore", divide="ignore"):
            est = np.where(py > 0, PER * ev / py, np.nan)
        parts.append(
            agg[keys].assign(
                kind=kind,
                events=ev.astype(np.int64),
                person_years=py,
                estimate=est,
                ci_lower=PER * lo,
                ci_upper=PER * hi,
                n=agg["n"].to_numpy(),
            )
        )
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values([*keys, "kind"], kind="stable", ignore_index=True)


def _rate_ratio(rates: pd.DataFrame, groups: list[str], alpha: float) -> pd.DataFrame:
    """IC / M rate ratio per kind and group, from a rates table that has a ``track`` column."""
    idx = [*groups, "kind"]
    wide = rates.pivot_table(
        index=idx, columns="track", values=["events", "person_years", "n"],
        aggfunc="sum", observed=True, dropna=False,
    )
    rows = []
    for key, r in wide.iterrows():
        key = key if isinstance(key, tuple) else (key,)
        rows.append(
            dict(zip(idx, key, strict=True))
            | {
                "events_ic": r.get(("events", "IC"), np.nan),
                "events_m": r.get(("events", "M"), np.nan),
                "person_years_ic": r.get(("person_years", "IC"), np.nan),
                "person_years_m": r.get(("person_years", "M"), np.nan),
                "n_ic": r.get(("n", "IC"), np.nan),
                "n_m": r.get(("n", "M"), np.nan),
            }
        )
    t = pd.DataFrame(rows, columns=[*idx, "events_ic", "events_m", "person_years_ic",
                                    "person_years_m", "n_ic", "n_m"])
    for c in ("events_ic", "events_m", "person_years_ic", "person_years_m", "n_ic", "n_m"):
        t[c] = pd.to_numeric(t[c], errors="coerce").fillna(0.0).astype(float)
    ok = (t["person_years_ic"] > 0) & (t["person_years_m"] > 0)
    t = t.loc[ok].reset_index(drop=True)
    ratio, lo, hi, p = rate_ratio_ci(
        t["events_ic"], t["person_years_ic"], t["events_m"], t["person_years_m"], alpha=alpha
    )
    with np.errstate(divide="ignore"):
        se_log = np.sqrt(1 / t["events_ic"].to_numpy() + 1 / t["events_m"].to_numpy())
    t = t.assign(
        estimate=ratio, ci_lower=lo, ci_upper=hi, p_value=p,
        mde=np.exp(mde_normal(se_log, alpha=alpha)),
    )
    t["p_adjusted"] = np.nan
    for _, g in t.groupby("kind", sort=False):
        p = g["p_value"].to_numpy()
        t.loc[g.index, "p_adjusted"] = adjust_pvalues(p, "holm") if len(g) > 1 else p
    # the ratio rests on both tracks' people: suppressed when either side is small
    t["n"] = t["n_ic"] + t["n_m"]
    t["_small_side"] = np.minimum(t["n_ic"], t["n_m"])
    t["events_ic"] = t["events_ic"].astype(np.int64)
    t["events_m"] = t["events_m"].astype(np.int64)
    return t


def _mark_small_sides(t: pd.DataFrame, k: int) -> pd.DataFrame:
    if "_small_side" not in t:
        return t
    return t.assign(suppressed=(t["_small_side"] < k).to_numpy()).drop(columns="_small_side")


# --------------------------------------------------------------------------- turnover


def _turnover(
    w: pd.DataFrame, data: AuditData, alpha: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SHRM-style turnover: exits in a period / average month-end headcount, by track."""
    first = data.history_start
    last = data.as_of
    month_ends = pd.date_range(first, last, freq="ME")
    e = _days(pd.Series(month_ends))
    fq = fiscal_quarters(month_ends, data.fiscal_year_start_month)
    n_m = len(e)
    tracks = list(TRACKS)
    g = w["track"].cat.codes.to_numpy().astype(np.int64)
    start = w["start_d"].to_numpy()
    stop = w["stop_d"].to_numpy()
    i0 = np.searchsorted(e, start, side="left")  # first month-end >= start
    i1 = np.searchsorted(e, stop, side="left")  # first month-end >= stop (not covered)
    ok = g >= 0
    diff = np.zeros((len(tracks), n_m + 1))
    np.add.at(diff, (g[ok], i0[ok]), 1.0)
    np.add.at(diff, (g[ok], i1[ok]), -1.0)
    head = np.cumsum(diff, axis=1)[:, :n_m]  # head[t, m]: people on track t at month-end m
    months = pd.DataFrame(
        {"year": fq["year"].to_numpy(dtype=np.int64).astype(str),
         "quarter": fq["quarter"].astype(str).to_numpy()}
    )
    exit_rows = w.loc[w["ev_all"].to_numpy()]
    exits = pd.DataFrame(
        {"track": exit_rows["track"].astype(str).to_numpy(),
         "year": exit_rows["year"].astype(str).to_numpy(),
         "quarter": exit_rows["quarter"].astype(str).to_numpy(),
         **{f"ev_{k}": exit_rows[f"ev_{k}"].to_numpy() for k in KINDS}}
    )
    heads = {**{t: head[i] for i, t in enumerate(tracks)}, "all": head.sum(axis=0)}
    out = {}
    for freq in FREQS:
        # people behind each figure: everyone with time on the track in the period
        by_track = _people(w, ["track", freq])
        people = {"all": _people(w, [freq])}
        for t in tracks:
            people[t] = (
                by_track.xs(t, level=0) if t in by_track.index.get_level_values(0)
                else pd.Series(dtype=np.int64)
            )
        for cnt in people.values():
            cnt.index = cnt.index.astype(str)
        per = months[freq].to_numpy()
        labels, code = np.unique(per, return_inverse=True)
        n_months = np.bincount(code, minlength=len(labels))
        years = n_months / 12.0
        rows = []
        for track, hc in heads.items():
            avg = np.bincount(code, weights=hc, minlength=len(labels)) / n_months
            sel = exits if track == "all" else exits.loc[exits["track"].to_numpy() == track]
            for kind in KINDS:
                counts = sel.loc[sel[f"ev_{kind}"].to_numpy(), freq].value_counts()
                ex_n = counts.reindex(labels).fillna(0).to_numpy(dtype=float)
                lo, hi = poisson_rate_ci(ex_n, avg * years, alpha=alpha)
                with np.errstate(invalid="ignore", divide="ignore"):
                    rate = np.where(avg > 0, PER * ex_n / avg, np.nan)
                rows.append(
                    pd.DataFrame(
                        {
                            "period": labels,
                            "track": track,
                            "kind": kind,
                            "exits": ex_n.astype(np.int64),
                            "average_headcount": avg,
                            "months": n_months,
                            "turnover_rate": rate,
                            "estimate": rate / years,
                            "ci_lower": PER * lo,
                            "ci_upper": PER * hi,
                            "n": people[track].reindex(labels).fillna(0).to_numpy(np.int64),
                        }
                    )
                )
        t = pd.concat(rows, ignore_index=True)
        out[freq] = t.sort_values(["period", "track", "kind"], ignore_index=True)
    return out["year"], out["quarter"]


# --------------------------------------------------------------------------- retention


def _runs(w: pd.DataFrame) -> pd.DataFrame:
    """Contiguous time of one person in one track within an episode (a "track run")."""
    pid = w["pid"].to_numpy()
    ep = w["episode"].to_numpy(dtype=np.int64)
    tr = np.where(w["is_ic"].to_numpy(), "IC", "M")
    s0 = w["start_d"].to_numpy()
    s1 = w["stop_d"].to_numpy()
    new = np.ones(len(w), dtype=bool)
    new[1:] = (
        (pid[1:] != pid[:-1]) | (ep[1:] != ep[:-1]) | (tr[1:] != tr[:-1]) | (s0[1:] != s1[:-1])
    )
    first = np.flatnonzero(new)
    last = np.r_[first[1:] - 1, len(w) - 1]
    ten0 = np.rint(w["tenure"].to_numpy(dtype=float) * DAYS_PER_YEAR).astype(np.int64)
    tis0 = np.rint(w["time_in_spell"].to_numpy(dtype=float) * DAYS_PER_YEAR).astype(np.int64)
    return pd.DataFrame(
        {
            "pid": pid[first],
            "track": tr[first],
            "start_d": s0[first],
            "stop_d": s1[last],
            "tenure0": ten0[first],
            "tenure1": ten0[first] + (s1[last] - s0[first]),
            # days since the spell start of the run's first observed interval
            "spell_age0": tis0[first],
            "exit": w["ev_all"].to_numpy()[last],
        }
    )


def _km(
    time: np.ndarray, status: np.ndarray, entry: np.ndarray, alpha: float
) -> pd.DataFrame:
    """Kaplan–Meier (with delayed entry) as a table: time, estimate, CI, at risk, events."""
    if len(time) == 0 or status.sum() == 0:
        return pd.DataFrame(columns=["time", "estimate", "ci_lower", "ci_upper", "n", "events"])
    sf = SurvfuncRight(time, status.astype(float), entry=entry)
    est = np.asarray(sf.surv_prob)
    se = np.asarray(sf.surv_prob_se)
    lo, hi = loglog_ci(est, se, alpha=alpha)
    return pd.DataFrame(
        {
            "time": np.asarray(sf.surv_times) / DAYS_PER_YEAR,
            "estimate": est,
            "ci_lower": lo,
            "ci_upper": hi,
            "n": np.asarray(sf.n_risk).astype(np.int64),
            "events": np.asarray(sf.n_events).astype(np.int64),
        }
    )


def _stop_at_small(curve: pd.DataFrame, k: int) -> pd.DataFrame:
    """Curves stop where fewer than k remain at risk: from then on every row is suppressed."""
    if curve.empty:
        return curve.assign(suppressed=pd.Series(dtype=bool))
    n = curve["n"].to_numpy()
    peak = int(np.argmax(n))
    small = np.zeros(len(n), dtype=bool)
    small[:peak] = n[:peak] < k
    tail_small = np.maximum.accumulate(n[peak:] < k)
    small[peak:] = tail_small
    return curve.assign(suppressed=small)


def _retention(
    w: pd.DataFrame, data: AuditData, alpha: float, k: int, with_track_time: bool
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], int]:
    runs = _runs(w)
    hs = int(_days(pd.Series([data.history_start]))[0])
    curves = {}
    # retention over tenure: each run at risk over its tenure interval in its track
    parts = []
    for track in TRACKS:
        r = runs.loc[runs["track"] == track]
        c = _km(r["tenure1"].to_numpy(float), r["exit"].to_numpy(), r["tenure0"].to_numpy(float),
                alpha)
        parts.append(_stop_at_small(c.assign(track=track), k))
    curves["tenure"] = pd.concat(parts, ignore_index=True)
    unknown = 0
    if with_track_time:
        # time since entering the track: known when the run's first spell began on the
        # hire date or inside the observed window
        spell_start = runs["start_d"] - runs["spell_age0"]
        hire = runs["start_d"] - runs["tenure0"]
        at_hire = spell_start == hire
        inside = spell_start >= hs
        known = (at_hire | inside).to_numpy()
        unknown = int((~known).sum())
        # a known run starts with its first spell (on the hire date, or inside the window)
        r = runs.assign(origin=spell_start).loc[known]
        parts = []
        for track in TRACKS:
            rt = r.loc[r["track"] == track]
            entry = (rt["start_d"] - rt["origin"]).to_numpy(float)
            time = (rt["stop_d"] - rt["origin"]).to_numpy(float)
            c = _km(time, rt["exit"].to_numpy(), entry, alpha)
            parts.append(_stop_at_small(c.assign(track=track), k))
        curves["time_in_track"] = pd.concat(parts, ignore_index=True)
    rows = []
    for curve, c in curves.items():
        for track in TRACKS:
            ct = c.loc[c["track"] == track]
            for y in RETENTION_YEARS:
                i = np.searchsorted(ct["time"].to_numpy(), y, side="right") - 1
                if len(ct) == 0:
                    continue
                if i < 0:  # before the first exit
                    vals = (1.0, 1.0, 1.0, int(ct["n"].iloc[0]), bool(ct["suppressed"].iloc[0]))
                else:  # the curve at its last exit time on or before y
                    row = ct.iloc[i]
                    vals = (row["estimate"], row["ci_lower"], row["ci_upper"], int(row["n"]),
                            bool(row["suppressed"]))
                rows.append(
                    {"curve": curve, "track": track, "years": y, "estimate": vals[0],
                     "ci_lower": vals[1], "ci_upper": vals[2], "n": vals[3],
                     "suppressed": vals[4]}
                )
    cols = ["time", "track", "estimate", "ci_lower", "ci_upper", "n", "events", "suppressed"]
    curves = {name: c[cols] for name, c in curves.items()}
    summary = pd.DataFrame(
        rows,
        columns=["curve", "track", "years", "estimate", "ci_lower", "ci_upper", "n",
                 "suppressed"],
    )
    return summary, curves, unknown


# --------------------------------------------------------------------------- Cox


def _band_mid(rows: pd.DataFrame, bands: pd.DataFrame | None) -> np.ndarray | None:
    """Band midpoint in force at each row's start for its (track, level[, location])."""
    if bands is None or bands.empty or "band_mid" not in bands:
        return None
    b = bands.copy()
    b["track"] = b["track"].astype(str)
    b["level"] = b["level"].astype(str)
    if "effective_date" not in b or b["effective_date"].isna().all():
        b["effective_date"] = pd.Timestamp("1900-01-01")
    b["effective_date"] = b["effective_date"].fillna(pd.Timestamp("1900-01-01"))
    b["_eff"] = _days(b["effective_date"])
    by = ["track", "level"]
    if "location" in b and b["location"].notna().all() and "location" in rows:
        b["location"] = b["location"].astype(str)
        by.append("location")
    else:
        b = b.loc[b["location"].isna()] if "location" in b and b["location"].isna().any() else b
    b = b.sort_values("_eff").drop_duplicates([*by, "_eff"], keep="last")
    left = pd.DataFrame({c: rows[c].astype(str).to_numpy() for c in by})
    left["_start"] = rows["start_d"].to_numpy()
    left["_pos"] = np.arange(len(rows))
    left = left.sort_values("_start", kind="stable")
    m = pd.merge_asof(left, b[[*by, "_eff", "band_mid"]], left_on="_start", right_on="_eff",
                      by=by, direction="backward")
    out = np.full(len(rows), np.nan)
    out[m["_pos"].to_numpy()] = m["band_mid"].to_numpy(dtype=float)
    return out


def _dummies(
    values: pd.Series, events: np.ndarray, prefix: str
) -> tuple[np.ndarray, list[str], str]:
    """Treatment dummies; reference = most common level; levels with few events pooled into it."""
    cat = pd.Categorical(values)
    labels = [str(c) for c in cat.categories] + ["(missing)"]
    code = np.asarray(cat.codes, dtype=np.int64)
    code = np.where(code < 0, len(labels) - 1, code)
    counts = np.bincount(code, minlength=len(labels))
    ev_by = np.bincount(code, weights=events.astype(float), minlength=len(labels))
    ref = int(np.argmax(counts))
    keep = sorted(
        (i for i in range(len(labels)) if i != ref and ev_by[i] >= MIN_LEVEL_EVENTS),
        key=lambda i: labels[i],
    )
    x = np.zeros((len(code), len(keep)))
    slot = np.full(len(labels), -1)
    slot[keep] = np.arange(len(keep))
    pos = slot[code]
    okp = pos >= 0
    x[np.flatnonzero(okp), pos[okp]] = 1.0
    return x, [f"{prefix}: {labels[i]} vs {labels[ref]}" for i in keep], labels[ref]


def _add_months(days: np.ndarray, months: int) -> np.ndarray:
    """Integer days plus calendar months (day of month kept, clipped to month end)."""
    shifted = pd.to_datetime(days, unit="D") + pd.DateOffset(months=months)
    return shifted.to_numpy(dtype="datetime64[D]").astype(np.int64)


def _switch_window_end(w: pd.DataFrame, horizon_months: int) -> np.ndarray:
    """Per exposure row: end of the window after the IC->M switch that began its M run.

    ``inf`` for rows not in an M run that began with a switch from IC (in the same episode).
    """
    pid = w["pid"].to_numpy()
    ep = w["episode"].to_numpy(dtype=np.int64)
    ic = w["is_ic"].to_numpy()
    s0 = w["start_d"].to_numpy()
    s1 = w["stop_d"].to_numpy()
    cont = np.zeros(len(w), dtype=bool)  # row continues the previous row of the same episode
    cont[1:] = (pid[1:] == pid[:-1]) & (ep[1:] == ep[:-1]) & (s0[1:] == s1[:-1])
    new_run = ~cont
    new_run[1:] |= ic[1:] != ic[:-1]
    run = np.cumsum(new_run) - 1
    first = np.flatnonzero(new_run)
    prev_ic = np.zeros(len(first), dtype=bool)
    has_prev = cont[first]
    prev_ic[has_prev] = ic[first[has_prev] - 1]
    switched_in = has_prev & prev_ic & ~ic[first]
    end = np.full(len(first), np.inf)
    if switched_in.any():
        end[switched_in] = _add_months(s0[first[switched_in]], horizon_months)
    return end[run]


def _split_rows(rows: pd.DataFrame, cut: np.ndarray) -> pd.DataFrame:
    """Split counting-process rows at ``cut`` days where ``start_d < cut < stop_d``.

    The first part keeps no event; the second part enters at the cut. ``entry`` is the
    tenure (days) at ``start_d``.
    """
    s0 = rows["start_d"].to_numpy()
    s1 = rows["stop_d"].to_numpy()
    need = (cut > s0) & (cut < s1)
    if not need.any():
        return rows
    c = cut[need].astype(np.int64)
    head = rows.loc[need].copy()
    tail = rows.loc[need].copy()
    head["stop_d"] = c
    head["event"] = False
    tail["entry"] = tail["entry"].to_numpy() + (c - tail["start_d"].to_numpy())
    tail["start_d"] = c
    out = pd.concat([rows.loc[~need], head, tail], ignore_index=True)
    return out.sort_values(["pid", "start_d"], kind="stable", ignore_index=True)


def _in_window(rows: pd.DataFrame) -> np.ndarray:
    """1 for rows that start inside their switch window (before ``window_end``), else 0."""
    end = rows["window_end"].to_numpy(dtype=float)
    return (np.isfinite(end) & (rows["start_d"].to_numpy() < end)).astype(float)


def _cox(
    w: pd.DataFrame,
    data: AuditData,
    controls: Sequence[str] | None,
    alpha: float,
    horizon_months: int,
    snapshot: bool = False,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Cox model of voluntary exit on collapsed counting-process rows."""
    avail = [c for c in ("gender", "job_family", "location") if c in w.columns]
    if controls is None:
        controls = [c for c in avail if w[c].nunique(dropna=True) >= 2]
    else:
        missing = [c for c in controls if c not in w.columns]
        if missing:
            raise PathauditError(
                f"Cox controls {missing} are not exposure columns; choose among {avail}."
            )
    keys = ["track", "grade", "level", "pay", "org_unit", *controls]
    window_end = _switch_window_end(w, horizon_months)
    pid = w["pid"].to_numpy()
    ep = w["episode"].to_numpy(dtype=np.int64)
    s0 = w["start_d"].to_numpy()
    s1 = w["stop_d"].to_numpy()
    new = np.ones(len(w), dtype=bool)
    new[1:] = (pid[1:] != pid[:-1]) | (ep[1:] != ep[:-1]) | (s0[1:] != s1[:-1])
    for c in keys:
        v = pd.factorize(w[c], use_na_sentinel=False)[0]
        new[1:] |= v[1:] != v[:-1]
    first = np.flatnonzero(new)
    last = np.r_[first[1:] - 1, len(w) - 1]
    ten0 = np.rint(w["tenure"].to_numpy(dtype=float) * DAYS_PER_YEAR).astype(np.int64)
    rows = w.iloc[first][["pid", "is_ic", *keys]].reset_index(drop=True)
    rows["start_d"] = s0[first]
    rows["stop_d"] = s1[last]
    rows["entry"] = ten0[first]
    rows["event"] = w["ev_voluntary"].to_numpy()[last]
    rows["window_end"] = window_end[first]
    info: dict[str, Any] = {"controls": list(controls), "time_scale": "tenure (days)",
                            "strata": "grade"}
    names = ["track: IC vs M"]
    rows = _split_rows(rows, rows["window_end"].to_numpy())
    recent = _in_window(rows)
    extra: list[tuple[str, np.ndarray]] = []
    if recent.any():
        extra.append((f"first {horizon_months} months after an IC→M switch", recent))
    adoption = data.adoption
    if adoption is not None and len(adoption):
        adopt = adoption.dropna(subset=["org_unit", "adoption_date"])
        day = pd.Series(_days(adopt["adoption_date"]), index=adopt["org_unit"].astype(str))
        day = day.groupby(level=0).min()
        cut = day.reindex(rows["org_unit"].astype(str).to_numpy()).to_numpy(dtype=float)
        cut = np.where(np.isfinite(cut), cut, np.inf)
        rows = _split_rows(rows.assign(_adopt=cut), cut)
        in_force = (rows["_adopt"].to_numpy() <= rows["start_d"].to_numpy()).astype(float)
        extra = [(n, _in_window(rows)) for n, _ in extra]
        if 0 < in_force.mean() < 1:
            extra.append(("dual ladder in force in the unit", in_force))
    cols = [rows["is_ic"].to_numpy(dtype=float)]
    names += [n for n, _ in extra]
    cols += [x for _, x in extra]
    use = np.isfinite(rows["grade"].to_numpy(dtype=float))
    mid = None if snapshot else _band_mid(rows, data.bands)
    if snapshot:
        info["compa_ratio"] = (
            "left out: a snapshot holds only the last pay, which would be attributed to all of "
            "a person's time (pay rises with tenure, so leavers would look underpaid)"
        )
    elif mid is not None:
        compa = rows["pay"].to_numpy(dtype=float) / mid
        have = np.isfinite(compa) & (compa > 0)
        if have.mean() >= 0.5:
            names.append(f"compa-ratio (per {COMPA_STEP:.2f})")
            cols.append(np.where(have, compa, 1.0) / COMPA_STEP)
            use &= have
            info["compa_ratio_rows_without_band"] = int((~have).sum())
        else:
            info["compa_ratio"] = "left out: fewer than half the intervals have a matching band"
    else:
        info["compa_ratio"] = "left out: the export has no pay bands"
    ev = rows["event"].to_numpy(dtype=bool)
    refs = {}
    for c in controls:
        x, nm, ref = _dummies(rows[c], ev & use, c)
        if x.shape[1]:
            cols.extend(x.T)
            names.extend(nm)
        refs[c] = ref
    info["references"] = refs
    X = np.column_stack(cols)[use]
    r = rows.loc[use]
    entry = r["entry"].to_numpy(dtype=float)
    exit_ = entry + (r["stop_d"].to_numpy() - r["start_d"].to_numpy())
    fit = fit_cox(
        exit_, r["event"].to_numpy(dtype=bool), X, names, r["pid"].to_numpy(),
        entry=entry, strata=pd.factorize(r["grade"])[0], what="voluntary exit",
    )
    p = len(names)
    params = fit.params if fit is not None else np.full(p, np.nan)
    se = fit.bse if fit is not None else np.full(p, np.nan)
    lo, hi = t_ci(params, se, alpha=alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        pv = 2 * norm.sf(np.abs(params / se))
    table = pd.DataFrame(
        {
            "term": names,
            "estimate": np.exp(params),
            "ci_lower": np.exp(lo),
            "ci_upper": np.exp(hi),
            "p_value": pv,
            "mde": np.exp(mde_normal(se, alpha=alpha)),
            "events": int(r["event"].sum()),
            "n": int(r["pid"].nunique()),
        }
    )
    info.update({"rows": int(len(r)), "events": int(r["event"].sum()),
                 "converged": fit is not None})
    return table, info


# --------------------------------------------------------------------------- regretted


def _regretted(
    w: pd.DataFrame, ids: np.ndarray, data: AuditData, top_rating: float | None, alpha: float
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    ratings = data.ratings
    rt = ratings.dropna(subset=["employee_id", "rating_date", "rating"])
    threshold = float(np.quantile(rt["rating"].to_numpy(float), 0.75)) if top_rating is None \
        else float(top_rating)
    r_pid = pd.Index(ids).get_indexer(rt["employee_id"].to_numpy())
    left = pd.DataFrame(
        {"pid": w["pid"].to_numpy(), "_start": w["start_d"].to_numpy(), "_pos": np.arange(len(w))}
    ).sort_values("_start", kind="stable")
    right = pd.DataFrame(
        {"pid": r_pid, "_rdate": _days(rt["rating_date"]), "rating": rt["rating"].to_numpy(float)}
    ).loc[r_pid >= 0].sort_values("_rdate", kind="stable")
    m = pd.merge_asof(left, right, left_on="_start", right_on="_rdate", by="pid",
                      direction="backward")
    rating = np.full(len(w), np.nan)
    rating[m["_pos"].to_numpy()] = m["rating"].to_numpy(float)
    rated = np.isfinite(rating)
    wr = w.loc[rated].assign(
        rating_group=np.where(rating[rated] >= threshold, "top", "other")
    )
    rates = _rates(wr, ["track", "rating_group"], alpha)
    rates = rates.loc[rates["kind"] == "voluntary"].reset_index(drop=True)
    # share of voluntary exits (with a rating in force) that were top-rated
    vol = wr.loc[wr["ev_voluntary"].to_numpy()]
    share_rows = []
    for track in TRACKS:
        v = vol.loc[vol["track"] == track]
        top = int((v["rating_group"] == "top").sum())
        lo, hi = wilson_ci(top, len(v), alpha=alpha)
        share_rows.append(
            {"track": track, "regretted_exits": top, "voluntary_exits": len(v),
             "estimate": top / len(v) if len(v) else np.nan, "ci_lower": float(lo),
             "ci_upper": float(hi), "n": len(v)}
        )
    return rates, pd.DataFrame(share_rows), threshold


# --------------------------------------------------------------------------- plots


def _period_start(labels: pd.Series, fy: int) -> pd.Series:
    def one(lab: str) -> pd.Timestamp:
        lab = str(lab)
        return fiscal_quarter_start(lab if "Q" in lab else f"{lab}Q1", fy)

    return pd.Series([one(x) for x in labels], index=labels.index)


def plot_rates_over_time(result: Result, ax: Axes, kind: str = "voluntary") -> Axes:
    """Exits per 100 person-years by track over time, exact CIs as bands (suppressed = gaps)."""
    t = result.table
    t = t.loc[t["kind"] == kind]
    colours = {"IC": "#1b9e77", "M": "#7570b3"}
    for track in TRACKS:
        s = t.loc[t["track"] == track].sort_values("period_start")
        x = s["period_start"]
        ax.plot(x, s["estimate"], marker="o", ms=3, color=colours[track], label=track)
        ax.fill_between(x, s["ci_lower"], s["ci_upper"], alpha=0.2, color=colours[track],
                        linewidth=0)
    ax.set_ylabel(f"{kind} exits per 100 person-years")
    ax.set_xlabel(f"{result.meta.get('freq', 'period')} (start)")
    ax.set_title(f"{kind.capitalize()} exits by track, {int(100 * (1 - result.meta['alpha']))}% "
                 "exact CI")
    ax.set_ylim(bottom=0)
    ax.legend(title="track")
    return ax


def plot_retention(result: Result, ax: Axes, curve: str = "tenure") -> Axes:
    """Kaplan–Meier retention by track, pointwise log(-log) CIs; curves stop below k at risk."""
    c = result.tables.get(curve)
    if c is None:
        raise PathauditError(f"No {curve!r} retention curve in this result; "
                             f"available: {sorted(result.tables)}.")
    colours = {"IC": "#1b9e77", "M": "#7570b3"}
    for track in TRACKS:
        s = c.loc[(c["track"] == track) & ~c["suppressed"].astype(bool)]
        if s.empty:
            continue
        x = np.r_[0.0, s["time"].to_numpy(float)]
        y = np.r_[1.0, s["estimate"].to_numpy(float)]
        ax.step(x, y, where="post", color=colours[track], label=track)
        ax.fill_between(x, np.r_[1.0, s["ci_lower"].to_numpy(float)],
                        np.r_[1.0, s["ci_upper"].to_numpy(float)], step="post", alpha=0.2,
                        color=colours[track], linewidth=0)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("years since hire" if curve == "tenure" else "years since entering the track")
    ax.set_ylabel("still employed (Kaplan–Meier)")
    ax.set_title("Retention by track" + (" (tenure)" if curve == "tenure"
                                          else " (time in current track)"))
    ax.legend(title="track")
    return ax


def _plot_retention_default(result: Result, ax: Axes) -> Axes:
    return plot_retention(result, ax)


def _plot_over_time_default(result: Result, ax: Axes) -> Axes:
    return plot_rates_over_time(result, ax)


# --------------------------------------------------------------------------- public


def attrition(
    data: AuditData,
    by: str | Sequence[str] | None = "grade",
    freq: str = "year",
    *,
    alpha: float = 0.05,
    controls: Sequence[str] | None = None,
    top_rating: float | None = None,
    horizon_months: int = 24,
    n_controls: int = 5,
    seed: int = 0,
) -> AttritionResult:
    r"""Attrition by track: exit rates, turnover, retention, hazard ratios, post-switch exits.

    Parameters
    ----------
    data
        Loaded dataset: a history export, or a snapshot that holds leavers with their
        termination dates.
    by
        Exposure attribute(s) to break rates and rate ratios down by, besides track
        (``grade`` by default; any of ``grade, level, org_unit, job_family, location,
        gender``); None for no breakdown.
    freq
        Period of ``over_time``: ``"year"`` or ``"quarter"`` (fiscal, from the map's
        ``fiscal_year_start_month``; calendar when it is 1).
    alpha
        1 - confidence level of every interval.
    controls
        Categorical controls of the Cox model; default: those of ``gender, job_family,
        location`` the data has with at least two values.
    top_rating
        Ratings at or above this count as top-rated (regretted attrition); default: the
        75th percentile of all ratings.
    horizon_months, n_controls, seed
        Matched post-switch design (see :func:`pathaudit.matching.post_switch_matched`).

    Returns
    -------
    AttritionResult
        Parts (each a :class:`~pathaudit.result.Result`):

        ``rates``
            ``track, kind, events, person_years, estimate`` (exits per 100 person-years),
            ``ci_lower, ci_upper`` (Garwood), ``n`` (people with person-time in the cell).
        ``rates_by``
            The same with the ``by`` columns.
        ``rate_ratio``, ``rate_ratio_by``
            ``kind`` [and ``by`` columns], ``events_ic, events_m, person_years_ic,
            person_years_m, n_ic, n_m, estimate`` (IC rate / M rate), ``ci_lower,
            ci_upper`` (exact conditional), ``p_value``, ``p_adjusted`` (Holm within
            kind), ``mde`` (smallest ratio above 1 detectable with 80% power,
            approximate), ``n``.
        ``over_time``
            ``track, period, period_start, kind, events, person_years, estimate,
            ci_lower, ci_upper, n``.
        ``turnover``, ``turnover_quarterly``
            ``period, track`` (``IC``, ``M``, ``all``), ``kind, exits,
            average_headcount`` (mean of month-end headcounts in the period),
            ``months`` (month-ends observed), ``turnover_rate`` (exits / average
            headcount x 100, for the period as observed), ``estimate`` (annualised:
            ``turnover_rate x 12 / months``), ``ci_lower, ci_upper`` (Garwood, with
            average headcount x months / 12 as person-time), ``n`` (smallest month-end
            headcount).
        ``retention``
            ``curve`` (``tenure`` or ``time_in_track``), ``track, years`` (1, 2, 3, 5),
            ``estimate`` (Kaplan–Meier probability of still being employed),
            ``ci_lower, ci_upper`` (log(-log)), ``n`` (at risk just after ``years``);
            ``tables["tenure"]`` and ``tables["time_in_track"]``: the curves
            (``time`` in years, ``estimate``, CIs, ``n`` at risk, ``events``).
        ``cox``
            ``term, estimate`` (hazard ratio), ``ci_lower, ci_upper, p_value, mde,
            events, n``; first row ``track: IC vs M``.
        ``regretted``
            ``track, rating_group`` (``top``/``other``), voluntary exit rate per 100
            person-years with CIs; ``tables["share"]``: share of voluntary exits that
            were top-rated by track (Wilson CI).
        ``post_switch``
            ``direction, kind`` and the matched hazard ratio (see
            :func:`pathaudit.matching.post_switch_exit_hr`).

    Raises
    ------
    NeedsHistoryError
        On a snapshot without leavers (nothing to count).
    PathauditError
        For an unknown ``by`` column or ``freq``.

    Notes
    -----
    Rate: :math:`\hat\lambda = 100\,d / T` with :math:`d` exits and :math:`T` person-years
    of the exposure table in the cell, attributed to the attributes held at the time (a
    switcher's time before the switch counts for IC, after it for M; the exit counts for
    the track held on the last day). Exact Garwood interval
    :math:`[\chi^2_{\alpha/2}(2d)/2T,\ \chi^2_{1-\alpha/2}(2d+2)/2T]`.
    Rate ratio :math:`(d_{IC}/T_{IC})/(d_M/T_M)`, interval from the Clopper–Pearson bounds
    on :math:`d_{IC} \mid d_{IC}+d_M`. SHRM-style turnover:
    :math:`100 \times \text{exits in period} / \overline{H}`, :math:`\overline{H}` the mean of
    month-end headcounts in the period; a dashboard figure, not a rate per person-time.
    Retention: Kaplan–Meier with delayed entry (people hired before ``history_start``
    enter at their tenure on that day); the tenure curve follows each person in the
    track they are in at each tenure (a switcher leaves one curve's risk set and joins
    the other's). Cox: voluntary exits, tenure in days as the time scale with delayed
    entry, strata by grade (a baseline hazard per grade), time-varying track, compa-ratio
    (pay / band midpoint in force) and controls; Breslow ties; sandwich errors clustered
    by person; the hazard ratio is a ratio of rates among those still employed, not of
    probabilities. Checked against ``statsmodels`` ``PHReg`` and ``SurvfuncRight``.
    """
    by_cols = [by] if isinstance(by, str) else list(by or [])
    bad = [c for c in by_cols if c not in BY_COLUMNS or c not in data.exposure.columns]
    if bad:
        raise PathauditError(BAD_BY.format(allowed=list(BY_COLUMNS), got=by))
    if freq not in FREQS:
        raise PathauditError(BAD_FREQ.format(allowed=list(FREQS), got=freq))
    k = data.min_cell_size
    not_computed: dict[str, str] = {}
    caveats: list[str] = []
    source = data
    if data.is_snapshot:
        source, window = _snapshot_as_history(data)
        if not source.exposure["event"].astype(str).str.startswith("exit_").any():
            raise NeedsHistoryError(SNAPSHOT_ONLY.format(analysis="Attrition", what=NO_EXITS))
        msg = (
            "Snapshot-only export: each person's track, grade and pay on the extract date are "
            "attributed to all their observed employment; switchers' and promoted people's "
            "earlier time is misattributed, the Cox model has no time-varying track, and the "
            f"post-switch and time-in-track figures cannot be computed; {window}."
        )
        caveats.append(msg)
        warnings.warn(msg, StatisticalWarning, stacklevel=2)
        not_computed["post_switch"] = "a snapshot holds no switch dates"
        not_computed["retention (time in track)"] = "a snapshot holds no track entry dates"
    w, ids = _work(source, by_cols)
    common = {"data": data, "alpha": alpha, "k": k}
    definition_rate = (
        "exits (by kind: voluntary, involuntary, all incl. other) per 100 person-years of "
        "employment, person-time and exits attributed to the track (and attributes) held at "
        "the time; observed window history_start..as_of"
    )
    method_rate = "events / person-time of the exposure table; exact Poisson (Garwood) CI"
    population = "every employment episode with observed time in the window"

    rates = _rates(w, ["track"], alpha)
    rates_res = make_result(
        rates, analysis="Attrition: exit rates by track", definition=definition_rate,
        method=method_rate, population=population,
        value_cols=_value_cols(rates, ["track", "kind"]), **common,
    )
    rates_by_res = rr_by_res = None
    if by_cols:
        rb = _rates(w, ["track", *by_cols], alpha)
        rb = suppress(rb, k, value_cols=_value_cols(rb, ["track", *by_cols, "kind"]),
                      complementary_by=["track", "kind"])
        rates_by_res = make_result(
            rb, analysis=f"Attrition: exit rates by track and {', '.join(by_cols)}",
            definition=definition_rate, method=method_rate, population=population,
            value_cols=_value_cols(rb, ["track", *by_cols, "kind"]), **common,
        )
        rrb = _mark_small_sides(_rate_ratio(_rates(w, ["track", *by_cols], alpha), by_cols,
                                            alpha), k)
        rr_by_res = make_result(
            rrb, analysis=f"Attrition: IC / M exit rate ratio by {', '.join(by_cols)}",
            definition="IC exit rate / M exit rate within each group, by kind",
            method="exact conditional (binomial) CI and p-value; Holm-adjusted p-values "
            "across groups within kind; mde from the normal approximation of log ratio",
            population=population,
            value_cols=_value_cols(rrb, [*by_cols, "kind"]), **common,
        )
    rr = _mark_small_sides(_rate_ratio(rates, [], alpha), k)
    rr_res = make_result(
        rr, analysis="Attrition: IC / M exit rate ratio",
        definition="IC exit rate / M exit rate (exits per person-year), by kind",
        method="exact conditional (binomial) CI and p-value",
        population=population, value_cols=_value_cols(rr, ["kind"]), **common,
    )

    ot = _rates(w, ["track", freq], alpha).rename(columns={freq: "period"})
    ot["period"] = ot["period"].astype(str)
    ot.insert(2, "period_start", _period_start(ot["period"], data.fiscal_year_start_month))
    ot = suppress(ot, k, value_cols=_value_cols(ot, ["track", "period", "kind"]),
                  complementary_by=["track", "kind"])
    ot_res = make_result(
        ot, analysis=f"Attrition: exit rates by track and fiscal {freq}",
        definition=definition_rate + f"; by fiscal {freq} of the person-time",
        method=method_rate, population=population,
        value_cols=_value_cols(ot, ["track", "period", "kind"]),
        plotter=_plot_over_time_default, freq=freq, **common,
    )

    ty, tq = _turnover(w, source, alpha)
    turnover_def = (
        "SHRM-style turnover rate (dashboard figure): exits in the period / average headcount "
        "x 100, average headcount = mean of the headcounts on each month-end in the period "
        "(people employed that day, by track held that day); estimate annualised by 12 / "
        "months observed"
    )
    turnover_method = (
        "count of exits and month-end headcounts; CI: exact Poisson treating average "
        "headcount x months / 12 as person-years (approximate)"
    )
    turn_res = make_result(
        ty, analysis="Attrition: SHRM-style annual turnover rate (for HR dashboards)",
        definition=turnover_def, method=turnover_method, population=population,
        value_cols=_value_cols(ty, ["period", "track", "kind", "months"]), **common,
    )
    turn_q_res = make_result(
        tq, analysis="Attrition: SHRM-style quarterly turnover rate, annualised",
        definition=turnover_def, method=turnover_method, population=population,
        value_cols=_value_cols(tq, ["period", "track", "kind", "months"]), **common,
    )

    ret, curves, unknown = _retention(w, source, alpha, k, not data.is_snapshot)
    ret_res = make_result(
        ret, analysis="Attrition: retention by track (Kaplan–Meier)",
        definition=(
            "probability of still being employed (any exit ends it) at 1, 2, 3 and 5 years of "
            "tenure, and of time since entering the current track; a person counts in the "
            "track they are in at each time; switching track ends a time-in-track run "
            "(censored)"
        ),
        method="Kaplan–Meier with delayed entry (statsmodels SurvfuncRight), Greenwood SE, "
        "pointwise log(-log) CI; curves stop where fewer than k remain at risk",
        population=population,
        value_cols=["estimate", "ci_lower", "ci_upper"], tables=curves,
        plotter=_plot_retention_default,
        excluded={"time_in_track: runs whose track entry precedes history_start": unknown},
        **common,
    )

    cox_table, cox_info = _cox(w, source, controls, alpha, horizon_months, data.is_snapshot)
    cox_res = make_result(
        cox_table, analysis="Attrition: Cox model of voluntary exit",
        definition=(
            "hazard of voluntary exit (involuntary and other exits censor), IC vs M, within "
            "grade at equal tenure, with compa-ratio and controls; track, grade, pay and "
            "controls time-varying"
        ),
        method=(
            "Cox partial likelihood (statsmodels PHReg, Breslow ties), tenure in days as time "
            "scale with delayed entry, strata by grade, robust (sandwich) SE clustered by "
            "person, Wald CI on the log scale"
        ),
        population=population, value_cols=_value_cols(cox_table, []), model=cox_info,
        **common,
    )

    reg_res = None
    if data.ratings is not None and len(data.ratings):
        reg, share, thr = _regretted(w, ids, data, top_rating, alpha)
        reg = suppress(reg, k, value_cols=_value_cols(reg, ["track", "rating_group", "kind"]),
                       complementary_by=["track"])
        reg_res = make_result(
            reg, analysis="Attrition: regretted (top-rated) voluntary exits",
            definition=(
                f"voluntary exits per 100 person-years among people whose latest rating at "
                f"the start of each interval is >= {thr:g} (top) vs below (other); person-time "
                "without a rating yet is left out"
            ),
            method=method_rate + "; share of voluntary exits that were top-rated: Wilson CI",
            population="person-time with a rating in force",
            value_cols=_value_cols(reg, ["track", "rating_group", "kind"]),
            tables={"share": share}, top_rating=thr, **common,
        )
    else:
        not_computed["regretted"] = "the export has no performance ratings"

    ps_res = None
    if not data.is_snapshot:
        ps_res = _post_switch(data, horizon_months, n_controls, seed, alpha)

    return AttritionResult(
        rates=rates_res,
        rates_by=rates_by_res,
        rate_ratio=rr_res,
        rate_ratio_by=rr_by_res,
        over_time=ot_res,
        turnover=turn_res,
        turnover_quarterly=turn_q_res,
        retention=ret_res,
        cox=cox_res,
        regretted=reg_res,
        post_switch=ps_res,
        not_computed=not_computed,
        caveats=tuple(caveats),
    )


def _post_switch(
    data: AuditData, horizon_months: int, n_controls: int, seed: int, alpha: float
) -> Result:
    tables, rates, designs = [], [], []
    for direction in ("IC->M", "M->IC"):
        m = post_switch_matched(data, direction=direction, horizon_months=horizon_months,
                                n_controls=n_controls, seed=seed)
        for kind in ("all", "voluntary"):
            if m.empty:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", StatisticalWarning)
                r = post_switch_exit_hr(data, direction=direction, kind=kind, matched=m,
                                        horizon_months=horizon_months, n_controls=n_controls,
                                        seed=seed, alpha=alpha)
            tables.append(r.table)
            rates.append(r.tables["rates"].assign(direction=direction, kind=kind))
            if kind == "all":
                designs.append(r.tables["design"].assign(direction=direction))
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(
        columns=["direction", "kind", "estimate", "ci_lower", "ci_upper", "n"]
    )
    extra = {}
    if rates:
        extra["rates"] = pd.concat(rates, ignore_index=True)
        extra["design"] = pd.concat(designs, ignore_index=True)
    return make_result(
        table, analysis="Attrition: exits in the months after a track switch (matched)",
        definition=(
            f"hazard of exit within {horizon_months} months of a switch, switchers vs up to "
            f"{n_controls} people per switch on the track left, same grade and unit, within "
            "±1 year of tenure, who had not switched; controls who switch later are censored "
            "then"
        ),
        method="Cox model stratified by matched set, robust SE clustered by person",
        population="switches in the observed window and their matched non-switchers",
        data=data, alpha=alpha,
        value_cols=_value_cols(table, ["direction", "kind"]), tables=extra, seed=seed,
        horizon_months=horizon_months, n_controls=n_controls,
    )
