"""Movement between tracks: switch-back after a switch to management, and the flows by grade.

(Stalled-then-switched lives in :mod:`pathaudit.management._stall`, who switches in
:mod:`pathaudit.management._who`, post-switch attrition in
:mod:`pathaudit.management._attrition`; pay and ladder indicators in
:mod:`pathaudit.management._pay`.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pathaudit import stats
from pathaudit.derived._order import in_order
from pathaudit.derived.calendar import fiscal_year
from pathaudit.derived.spells import track_run_bounds
from pathaudit.io.schema import DAYS_PER_YEAR, EXIT_REASONS
from pathaudit.management._common import (
    ALL,
    OVERALL,
    SNAPSHOT_NOTE,
    WORK_ATTRIBUTES,
    By,
    by_columns,
    check_common,
    check_count,
    exposure_cells,
    groupings,
    indicator_result,
    one_track_reason,
    row,
    single_track,
    stacked_groupings,
    to_table,
    unavailable,
)
from pathaudit.management._plots import plot_flows
from pathaudit.management._rates import cif_at
from pathaudit.result import Result, Table, make_result

if TYPE_CHECKING:
    from pathaudit.data import AuditData

# ---------------------------------------------------------------------------
# Switch-back
# ---------------------------------------------------------------------------

SWITCH_BACK_DEFINITION = (
    "Cumulative incidence of returning to the IC track within {months} months of an "
    "IC → M switch (Aalen–Johansen), exit from the organisation competing; moves within "
    "the M track do not end follow-up; censored at as-of. numerator: switch-backs "
    "observed within the horizon; denominator: IC → M switches observed (on or after "
    "history start)."
)


def _codes_of(column: pd.Series) -> np.ndarray:
    """Integer codes of a column (equal codes for equal values, missing values equal)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy()
    return pd.factorize(column, use_na_sentinel=False)[0]


def _sorted_spells(sp: pd.DataFrame) -> pd.DataFrame:
    """Spells sorted by person, episode and start: as they are when already in that order.

    The derivation writes spells in this order; one linear check on integer codes
    replaces a sort by text ID.
    """
    ids = sp["employee_id"]
    if isinstance(ids.dtype, pd.CategoricalDtype) and len(sp) > 1 and \
            ids.cat.categories.is_monotonic_increasing and not ids.isna().any() and \
            sp["episode"].notna().all() and sp["start"].notna().all():
        if in_order(ids.cat.codes.to_numpy(dtype=np.int64),
                    sp["episode"].to_numpy(dtype=np.int64),
                    sp["start"].to_numpy(dtype="datetime64[ns]").astype(np.int64)):
            return sp
    return sp.sort_values(["employee_id", "episode", "start"])


def management_runs(data: AuditData) -> pd.DataFrame:
    """Continuous time on one track within an employment episode ("runs" of spells).

    Returns
    -------
    pandas.DataFrame
        One row per run: ``employee_id``, ``episode``, ``track``, ``start``,
        ``stop``, ``entry`` (of the first spell), ``grade`` and ``org_unit``,
        ``job_family``, ``location``, ``gender`` (as present) at the start,
        ``end_reason`` of the last spell (a switch, an exit or
        ``"censored"``), ``after_switch`` (True when the run began with a track
        switch observed in the data), ``duration`` (years) and ``switch_year``
        (fiscal year of the start).
    """
    sp = _sorted_spells(data.spells)
    person = _codes_of(sp["employee_id"])
    episode = sp["episode"].to_numpy(dtype=np.int64)
    continues = np.r_[False, (person[1:] == person[:-1]) & (episode[1:] == episode[:-1])]
    i0, i1 = track_run_bounds(continues, _codes_of(sp["track"]))
    # only the columns a run reads are taken at its first spell
    first = sp[[c for c in ("employee_id", "episode", "track", "start", "entry", "grade",
                            *WORK_ATTRIBUTES) if c in sp.columns]].iloc[i0]
    runs = pd.DataFrame(
        {
            "employee_id": first["employee_id"].to_numpy(),
            "episode": first["episode"].to_numpy(),
            "track": first["track"].astype(str).to_numpy(),
            "start": first["start"].to_numpy(),
            "entry": first["entry"].to_numpy(dtype=float),
            "grade": first["grade"].to_numpy(),
            "after_switch": continues[i0],
        }
    )
    for c in WORK_ATTRIBUTES:
        if c in first.columns:
            runs[c] = first[c].to_numpy()
    runs["stop"] = sp["stop"].to_numpy()[i1]
    runs["end_reason"] = sp["end_reason"].iloc[i1].astype(str).to_numpy()
    runs["duration"] = (runs["stop"] - runs["start"]).dt.days / DAYS_PER_YEAR
    runs["switch_year"] = fiscal_year(runs["start"], data.fiscal_year_start_month)
    return runs


def switch_back(
    data: AuditData, *, horizon_months: int = 24, by: By = None, alpha: float = 0.05
) -> Result:
    """Estimate the share of IC → M switchers who return to the IC track within the horizon.

    Parameters
    ----------
    data
        The audit data (needs history).
    horizon_months
        Horizon of the cumulative incidence (default 24 months = 2 years of 365.25 days).
    by
        Optional grouping: ``"org_unit"`` (unit at the switch), ``"year"`` (fiscal
        year of the switch) or ``"grade"`` (M grade entered).
    alpha
        1 - confidence level.

    Returns
    -------
    Result
        Measures: ``cif`` (headline), the cumulative incidence of switching back
        by the horizon with its log(-log) CI; ``exit_cif``, the competing
        incidence of leaving. Extra columns ``at_risk_at_horizon``,
        ``horizon_years``. ``numerator``: switch-backs (or exits) within the
        horizon; ``denominator``: switches followed; ``n``: people.
        ``tables["curve"]``: the overall curve, cut where fewer than k people
        remain at risk.

    Notes
    -----
    Follow-up starts on the switch date and ends at the first of: a switch back
    to IC (the event), an exit (competing event), ``as_of`` (censored).
    Promotions and other moves within the M track do not end it. Switches
    before ``history_start`` are not observed, so M time already under way at
    ``history_start`` is left out and counted. The estimate is Aalen–Johansen
    (:func:`pathaudit.stats.survival.aalen_johansen`) with its delta-method standard error
    and a pointwise log(-log) interval. When no switch-back is observed the
    estimate is 0 and the log(-log) interval degenerates; the upper bound is then
    the Wilson bound for 0 events among the switchers whose status at the horizon
    is known (followed through it, or left before it). Where fewer than k people remain at risk
    at the horizon the figure is suppressed (a curve stops where fewer than k
    remain at risk).

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> res = switch_back(data, horizon_months=12)  # doctest: +SKIP
    >>> res.tables["curve"].tail()  # doctest: +SKIP
    """
    data = check_common(data, "switch_back", alpha, by, extra=("grade",))
    horizon_months = check_count(horizon_months, "horizon_months")
    name = "switch_back"
    horizon = horizon_months / 12.0
    method = (
        "Aalen–Johansen cumulative incidence (pathaudit.stats.survival) with "
        "delta-method SE and pointwise log(-log) CI; exit is the competing event."
    )
    population = "People who switched from the IC to the M track on or after history start."
    definition = SWITCH_BACK_DEFINITION.format(months=horizon_months)
    kw: dict[str, Any] = dict(
        data=data, definition=definition, method=method, population=population,
        headline="cif", alpha=alpha, horizon_months=horizon_months,
    )
    track = single_track(data)
    if track is not None:
        return unavailable(name, one_track_reason(track, "a switch from IC to M and back"), **kw)
    if data.is_snapshot:
        return unavailable(name, SNAPSHOT_NOTE.format(what="switch"), **kw)
    runs = management_runs(data)
    m = runs.loc[runs["track"] == "M"]
    unknown = int(((~m["after_switch"]) & (m["entry"] > 0)).sum())
    sw = m.loc[m["after_switch"]].copy()
    if len(sw) == 0:
        return unavailable(name, "no IC → M switch is observed in the history.", **kw)
    sw["status"] = np.select(
        [sw["end_reason"] == "switch_to_IC", sw["end_reason"].isin(EXIT_REASONS)], [1, 2], 0
    )
    sw["year"] = sw["switch_year"]
    rows = []
    curve = pd.DataFrame()
    for by_name, group, g in groupings(sw, by):
        d = g["duration"].to_numpy()
        s = g["status"].to_numpy()
        est, se, at_risk, cur = cif_at(d, s, horizon, cause=1)
        e_est, e_se, _, _ = cif_at(d, s, horizon, cause=2)
        within = d <= horizon
        ci, e_ci = stats.loglog_ci(est, se, alpha), stats.loglog_ci(e_est, e_se, alpha)
        lo, hi = float(ci[0]), float(ci[1])
        elo, ehi = float(e_ci[0]), float(e_ci[1])
        # no event observed: log(-log) is degenerate at 0; bound it by Wilson for 0 of the
        # switchers whose status at the horizon is known (followed through it, or gone)
        known = at_risk + float(((s == 2) & within).sum())
        if est == 0:
            lo, hi = 0.0, float(stats.wilson_ci(0, known, alpha)[1])
        if e_est == 0:
            elo, ehi = 0.0, float(stats.wilson_ci(0, at_risk + float(((s == 1) & within).sum()),
                                                  alpha)[1])
        people = g["employee_id"].nunique()
        rows.append(row(name, "cif", by_name, group, estimate=est, ci_lower=float(lo),
                        ci_upper=float(hi), numerator=int(((s == 1) & within).sum()),
                        denominator=len(g), n=people, at_risk_at_horizon=at_risk,
                        horizon_years=horizon, known=known))
        rows.append(row(name, "exit_cif", by_name, group, estimate=e_est, ci_lower=float(elo),
                        ci_upper=float(ehi), numerator=int(((s == 2) & within).sum()),
                        denominator=len(g), n=people, at_risk_at_horizon=at_risk,
                        horizon_years=horizon))
        if by_name == OVERALL and group == ALL:
            cur = cur.loc[cur["time"] <= max(horizon, 0)]
            lo_c, hi_c = stats.loglog_ci(cur["estimate"], cur["se"], alpha)
            curve = cur.assign(ci_lower=lo_c, ci_upper=hi_c, n=cur["at_risk"])
    table = to_table(rows, ("at_risk_at_horizon", "horizon_years", "known"))
    # a figure at the horizon rests on those still at risk then; the curve stops where
    # fewer than k remain at risk
    return indicator_result(
        name, table, groups=["horizon_years"], n_col=("n", "at_risk_at_horizon"),
        tables={"curve": Table(curve, [], curve="time")},
        excluded={"M time under way at history start (switch not observed)": unknown},
        **kw,
    )


# ---------------------------------------------------------------------------
# Flows by grade
# ---------------------------------------------------------------------------

FLOW_GROUPS: tuple[str, ...] = ("by", "group", "grade", "flow")
"""The group columns of the flows table."""

FLOWS = {
    ("IC", "switch_to_M"): "IC->M",
    ("M", "switch_to_IC"): "M->IC",
    ("IC", "exit"): "IC exit",
    ("M", "exit"): "M exit",
}


def switch_flows(data: AuditData, *, by: By = None, alpha: float = 0.05) -> Result:
    """Switch and exit flows by grade: counts and rates per 100 person-years.

    Parameters
    ----------
    data
        The audit data (needs history).
    by
        Optional grouping column(s) of the exposure table (``"org_unit"``, ``"year"``).
    alpha
        1 - confidence level.

    Returns
    -------
    Result
        Table columns ``by``, ``group``, ``grade``, ``flow`` (``"IC->M"``,
        ``"M->IC"``, ``"IC exit"``, ``"M exit"``), ``events`` (moves),
        ``person_years`` (of the origin track at that grade), ``estimate`` (moves
        per 100 person-years), ``ci_lower``, ``ci_upper`` (Garwood) and ``n``
        (people on the origin track at that grade, the population the rate
        describes).

    Notes
    -----
    A move is attributed to the grade and unit held on its last day in the
    origin track, and to that interval's fiscal year (exposure table).

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> res = switch_flows(data, by="org_unit")  # doctest: +SKIP
    >>> res.plot(by="org_unit", group="Data")  # doctest: +SKIP
    """
    data = check_common(data, "switch_flows", alpha, by)
    definition = (
        "Moves per 100 person-years on the origin track at each grade: IC → M switches and "
        "IC exits per IC person-year, M → IC switches and M exits per M person-year."
    )
    kw: dict[str, Any] = dict(
        analysis="switch_flows", definition=definition,
        method="Event counts over person-time (exposure table), Garwood CIs.",
        population="All person-time in the observed window.", data=data, alpha=alpha,
    )
    cols = ["by", "group", "grade", "flow", "events", "person_years", "estimate", "ci_lower",
            "ci_upper", "n"]
    if data.is_snapshot:
        return make_result(pd.DataFrame(columns=cols), available=False, groups=FLOW_GROUPS,
                           note="Not computed: " + SNAPSHOT_NOTE.format(what="move"), **kw)
    exp, rows_in = exposure_cells(data)  # person-time summed within person cells
    ev = exp["event"]
    flow_names = ["", *FLOWS.values()]  # the flow of each row, as a code into these
    flow = np.zeros(len(exp), dtype=np.int8)
    is_ic = (exp["track"] == "IC").to_numpy()
    exits = ev.isin(EXIT_REASONS).to_numpy()
    flow[is_ic & (ev == "switch_to_M").to_numpy()] = flow_names.index("IC->M")
    flow[~is_ic & (ev == "switch_to_IC").to_numpy()] = flow_names.index("M->IC")
    flow[is_ic & exits] = flow_names.index("IC exit")
    flow[~is_ic & exits] = flow_names.index("M exit")
    e = pd.DataFrame({"pid": exp["pid"], "track": exp["track"], "grade": exp["grade"],
                      "flow": pd.Categorical.from_codes(flow, categories=flow_names),
                      "moves": (flow != 0) * rows_in,
                      "person_years": exp["person_years"]}, copy=False)
    for c in by_columns(by):
        if c in exp.columns:
            e[c] = exp[c]
    origin = {label: track for (track, _), label in FLOWS.items()}
    # every scope at once: the group (organisation, each unit, each year) is in the cell key
    labels, g = stacked_groupings(e, by, ["pid", "track", "grade", "flow"],
                                  ["moves", "person_years"])
    base = g.groupby(["group_code", "track", "grade"], observed=True).agg(
        person_years=("person_years", "sum"), n=("pid", "nunique"))
    moves = g.groupby(["group_code", "flow", "grade"], observed=True)["moves"].sum()
    parts = []
    for i, (label, track) in enumerate(origin.items()):
        if track not in base.index.get_level_values("track"):
            continue
        b = base.xs(track, level="track")
        cnt = moves.xs(label, level="flow") if label in moves.index.get_level_values("flow") \
            else pd.Series(dtype=float)
        cnt = cnt.reindex(b.index, fill_value=0)
        code = b.index.get_level_values("group_code").to_numpy(dtype=np.int64)
        parts.append(pd.DataFrame({"_code": code, "_flow": i,
                                   "grade": b.index.get_level_values("grade"), "flow": label,
                                   "events": cnt.to_numpy(dtype=float),
                                   "person_years": b["person_years"].to_numpy(),
                                   "n": b["n"].to_numpy(dtype=float)}))
    if parts:  # in the order of the groups, then of the flows, then of the grades
        out = pd.concat(parts, ignore_index=True).sort_values(["_code", "_flow"], kind="stable")
        names = np.array([b for b, _ in labels], dtype=object)
        groups = np.array([grp for _, grp in labels], dtype=object)
        code = out["_code"].to_numpy()
        out = out.drop(columns=["_code", "_flow"]).assign(by=names[code], group=groups[code])
        out = out.reset_index(drop=True)
    else:
        out = pd.DataFrame(columns=cols)
    lo, hi = stats.poisson_rate_ci(out["events"], out["person_years"], alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["estimate"] = 100 * out["events"].to_numpy(dtype=float) / out["person_years"]
    out["ci_lower"] = 100 * lo
    out["ci_upper"] = 100 * hi
    out["grade"] = pd.array(out["grade"], dtype="Int64")
    return make_result(out[cols], available=True, note="", groups=FLOW_GROUPS,
                       plotter=plot_flows, **kw)
