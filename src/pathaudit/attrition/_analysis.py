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
  non-switchers, both directions (:mod:`pathaudit.stats.matching`).

Every figure, its numerator, denominator and population are defined in ``docs/attrition.md``.

The parts are computed on one working frame (``attrition_frame``) in ``attrition_rates``
(rates, rate ratios, turnover, regretted exits), ``attrition_retention``, ``attrition_cox``
and :mod:`pathaudit.stats.matching` (post-switch); the charts are in ``attrition_plots`` and the
bundle in ``attrition_result``. The constants, :class:`AttritionResult` and the plot
functions stay importable from here.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import pandas as pd

from pathaudit.attrition._cox import COMPA_STEP, MIN_LEVEL_EVENTS, cox_model
from pathaudit.attrition._frame import (
    CATEGORICAL,
    KINDS,
    snapshot_as_history,
    value_cols,
    work_frame,
)
from pathaudit.attrition._plots import (
    plot_over_time_default,
    plot_rates_over_time,
    plot_retention,
    plot_retention_default,
)
from pathaudit.attrition._rates import (
    FREQS,
    PER,
    exit_rates,
    mark_small_sides,
    period_start,
    rate_ratio,
    regretted,
    turnover,
)
from pathaudit.attrition._result import AttritionResult
from pathaudit.attrition._retention import RETENTION_YEARS, retention
from pathaudit.data import AuditData
from pathaudit.errors import SNAPSHOT_ONLY, NeedsHistoryError, PathauditError, StatisticalWarning
from pathaudit.result import Result, make_result, suppress
from pathaudit.stats.matching import post_switch_exit_hr, post_switch_matched

__all__ = [
    "BAD_BY",
    "BAD_FREQ",
    "BY_COLUMNS",
    "CATEGORICAL",
    "COMPA_STEP",
    "FREQS",
    "KINDS",
    "MIN_LEVEL_EVENTS",
    "NO_EXITS",
    "PER",
    "RETENTION_YEARS",
    "AttritionResult",
    "attrition",
    "plot_rates_over_time",
    "plot_retention",
]

BY_COLUMNS: tuple[str, ...] = ("grade", "level", "org_unit", "job_family", "location", "gender")
"""Exposure attributes rates can be broken down by (besides track)."""

NO_EXITS = (
    "It holds no leavers with termination dates, so no exit can be counted: exit rates, "
    "turnover, retention curves and hazard ratios all need them."
)
BAD_BY = "by must name exposure columns among {allowed}; got {got!r}."
BAD_FREQ = "freq must be one of {allowed}; got {got!r}."


# The internal steps under their former names: the coverage study in the tests drives them
# directly, as attrition() does.
_work, _rates, _rate_ratio, _cox = work_frame, exit_rates, rate_ratio, cox_model


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
        Matched post-switch design (see :func:`pathaudit.stats.matching.post_switch_matched`).

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
            :func:`pathaudit.stats.matching.post_switch_exit_hr`).

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
        source, window = snapshot_as_history(data)
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
    w, ids = work_frame(source, by_cols)
    common = {"data": data, "alpha": alpha, "k": k}
    definition_rate = (
        "exits (by kind: voluntary, involuntary, all incl. other) per 100 person-years of "
        "employment, person-time and exits attributed to the track (and attributes) held at "
        "the time; observed window history_start..as_of"
    )
    method_rate = "events / person-time of the exposure table; exact Poisson (Garwood) CI"
    population = "every employment episode with observed time in the window"

    rates = exit_rates(w, ["track"], alpha)
    rates_res = make_result(
        rates, analysis="Attrition: exit rates by track", definition=definition_rate,
        method=method_rate, population=population,
        value_cols=value_cols(rates, ["track", "kind"]), **common,
    )
    rates_by_res = rr_by_res = None
    if by_cols:
        rb = exit_rates(w, ["track", *by_cols], alpha)
        rb = suppress(rb, k, value_cols=value_cols(rb, ["track", *by_cols, "kind"]),
                      complementary_by=["track", "kind"])
        rates_by_res = make_result(
            rb, analysis=f"Attrition: exit rates by track and {', '.join(by_cols)}",
            definition=definition_rate, method=method_rate, population=population,
            value_cols=value_cols(rb, ["track", *by_cols, "kind"]), **common,
        )
        rrb = mark_small_sides(rate_ratio(exit_rates(w, ["track", *by_cols], alpha), by_cols,
                                            alpha), k)
        rr_by_res = make_result(
            rrb, analysis=f"Attrition: IC / M exit rate ratio by {', '.join(by_cols)}",
            definition="IC exit rate / M exit rate within each group, by kind",
            method="exact conditional (binomial) CI and p-value; Holm-adjusted p-values "
            "across groups within kind; mde from the normal approximation of log ratio",
            population=population,
            value_cols=value_cols(rrb, [*by_cols, "kind"]), **common,
        )
    rr = mark_small_sides(rate_ratio(rates, [], alpha), k)
    rr_res = make_result(
        rr, analysis="Attrition: IC / M exit rate ratio",
        definition="IC exit rate / M exit rate (exits per person-year), by kind",
        method="exact conditional (binomial) CI and p-value",
        population=population, value_cols=value_cols(rr, ["kind"]), **common,
    )

    ot = exit_rates(w, ["track", freq], alpha).rename(columns={freq: "period"})
    ot["period"] = ot["period"].astype(str)
    ot.insert(2, "period_start", period_start(ot["period"], data.fiscal_year_start_month))
    ot = suppress(ot, k, value_cols=value_cols(ot, ["track", "period", "kind"]),
                  complementary_by=["track", "kind"])
    ot_res = make_result(
        ot, analysis=f"Attrition: exit rates by track and fiscal {freq}",
        definition=definition_rate + f"; by fiscal {freq} of the person-time",
        method=method_rate, population=population,
        value_cols=value_cols(ot, ["track", "period", "kind"]),
        plotter=plot_over_time_default, freq=freq, **common,
    )

    ty, tq = turnover(w, source, alpha)
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
        value_cols=value_cols(ty, ["period", "track", "kind", "months"]), **common,
    )
    turn_q_res = make_result(
        tq, analysis="Attrition: SHRM-style quarterly turnover rate, annualised",
        definition=turnover_def, method=turnover_method, population=population,
        value_cols=value_cols(tq, ["period", "track", "kind", "months"]), **common,
    )

    ret, curves, unknown = retention(w, source, alpha, k, not data.is_snapshot)
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
        plotter=plot_retention_default,
        excluded={"time_in_track: runs whose track entry precedes history_start": unknown},
        **common,
    )

    cox_table, cox_info = cox_model(w, source, controls, alpha, horizon_months, data.is_snapshot)
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
        population=population, value_cols=value_cols(cox_table, []), model=cox_info,
        **common,
    )

    reg_res = None
    if data.ratings is not None and len(data.ratings):
        reg, share, thr = regretted(w, ids, data, top_rating, alpha)
        reg = suppress(reg, k, value_cols=value_cols(reg, ["track", "rating_group", "kind"]),
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
            value_cols=value_cols(reg, ["track", "rating_group", "kind"]),
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
        value_cols=value_cols(table, ["direction", "kind"]), tables=extra, seed=seed,
        horizon_months=horizon_months, n_controls=n_controls,
    )
