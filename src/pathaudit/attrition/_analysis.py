"""Attrition by track: whether individual contributors leave more than managers, and when.

One public function, :func:`attrition`, returns an :class:`AttritionResult` with these parts
(each a :class:`~pathaudit.result.Result`; ``parts=`` computes only some):

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
- ``post_switch``: exit hazard in the months after a switch against matched
  non-switchers, both directions (:mod:`pathaudit.stats.matching`).

Every figure, its numerator, denominator and population are defined in ``docs/attrition.md``.

The parts are computed on one working frame (:mod:`pathaudit.attrition._frame`) in
:mod:`pathaudit.attrition._rates` (rates, rate ratios, turnover, regretted exits),
:mod:`pathaudit.attrition._retention`, :mod:`pathaudit.attrition._cox` and
:mod:`pathaudit.stats.matching` (post-switch); the charts are in
:mod:`pathaudit.attrition._plots` and the bundle with its headline in
:mod:`pathaudit.attrition._result`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.attrition._cox import cox_fit, cox_rows
from pathaudit.attrition._frame import CATEGORICAL, snapshot_as_history, work_frame
from pathaudit.attrition._leavers import (
    LEAVER_SHARE_ONLY_SNAPSHOT,
    leaver_parts,
    rates_not_computable,
)
from pathaudit.attrition._plots import (
    plot_cox,
    plot_post_switch,
    plot_rate_ratio,
    plot_rates,
    plot_rates_over_time,
    plot_retention,
)
from pathaudit.attrition._rates import (
    FREQS,
    RATE_METHOD,
    RATE_POPULATION,
    RATIO_COUNTS,
    TURNOVER_ANALYSIS,
    TURNOVER_DEFINITION,
    TURNOVER_METHOD,
    exit_rates,
    rate_part_texts,
    rate_ratio,
    regretted,
    turnover,
)
from pathaudit.attrition._result import (
    MARGIN,
    PARTS,
    POST_SWITCH_THRESHOLD,
    AttritionResult,
    attrition_thresholds,
)
from pathaudit.attrition._retention import retention
from pathaudit.checks import (
    check_alpha,
    check_choice,
    check_columns,
    check_data,
    check_group,
    check_number,
    check_parts,
)
from pathaudit.data import AuditData
from pathaudit.derived.calendar import fiscal_period_start
from pathaudit.errors import SNAPSHOT_ONLY, ArgumentError, NeedsHistoryError, StatisticalWarning
from pathaudit.headline import one_track_reason
from pathaudit.result import Note, Result, Table, make_result
from pathaudit.stats.intervals import BOOTSTRAP_SEED
from pathaudit.stats.matching import SIDE_COUNTS, post_switch_exit_hr, post_switch_matched

__all__ = ["BY_COLUMNS", "NO_EXITS", "attrition"]

BY_COLUMNS: tuple[str, ...] = (
    "grade", "level", "org_unit", "job_family", "location", "gender", "ethnicity", "age_band"
)
"""Exposure attributes rates can be broken down by (besides track)."""

NO_EXITS = (
    "It holds no leavers with termination dates, so no exit can be counted: exit rates, "
    "turnover, retention curves and hazard ratios all need them."
)

BAD_NAMES = "{name} must be a column name, a list of column names or None; got {got!r}."
"""Error text for a ``by`` or ``controls`` that is not names at all."""

BAD_MARGIN = (
    "margin must be two ratios (low, high) with 0 < low < 1 < high, e.g. (0.8, 1.25); "
    "got {got!r}."
)
"""Error text for an equivalence margin that does not surround 1."""


def _names(value: Any, name: str) -> Any:
    """``value`` is None, a string or a sequence of strings (checked against columns later)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return value
    raise ArgumentError(BAD_NAMES.format(name=name, got=value))


def _check_margin(margin: Any) -> tuple[float, float]:
    ok = (isinstance(margin, Sequence) and not isinstance(margin, str) and len(margin) == 2
          and all(isinstance(v, int | float) and not isinstance(v, bool) for v in margin))
    if ok:
        lo, hi = float(margin[0]), float(margin[1])
        ok = 0 < lo < 1 < hi < float("inf")
    if not ok:
        raise ArgumentError(BAD_MARGIN.format(got=margin))
    return lo, hi


def attrition(
    data: AuditData,
    by: str | Sequence[str] | None = "grade",
    freq: str = "year",
    *,
    parts: Sequence[str] | None = None,
    alpha: float = 0.05,
    controls: Sequence[str] | None = None,
    top_rating: float | None = None,
    horizon_months: int = 24,
    n_controls: int = 5,
    seed: int = BOOTSTRAP_SEED,
    margin: tuple[float, float] = MARGIN,
    post_switch_threshold: float = POST_SWITCH_THRESHOLD,
    window_months: int | None = None,
    group: str | None = None,
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
        gender, ethnicity, age_band`` the data has values of); None for no breakdown.
    freq
        Period of ``over_time``: ``"year"`` or ``"quarter"`` (fiscal, from the map's
        ``fiscal_year_start_month``; calendar when it is 1).
    parts
        Parts to compute (default: all of :attr:`AttritionResult.PARTS`); the others are
        not computed at all. ``rate_ratio`` computes the rates it needs without returning
        them.
    alpha
        1 - confidence level of every interval (strictly between 0 and 0.5).
    controls
        Categorical controls of the Cox model, among ``level, org_unit, job_family,
        location, gender``; default: those of ``gender, job_family, location`` the data has
        with at least two values; ``[]`` for none.
    top_rating
        Ratings at or above this count as top-rated (regretted attrition); default: the
        75th percentile of all ratings.
    horizon_months
        Months of follow-up after a switch (matched design) and length of the post-switch
        window term of the Cox model; a whole number from 1 to 600.
    n_controls
        Matched non-switchers drawn per switch (a whole number of at least 1).
    seed
        Seed of the random draw of matched controls (a whole number of at least 0).
    margin
        ``(low, high)``, the equivalence margin of the IC / M voluntary exit rate ratio
        (the primary figure) and of the Cox hazard ratio: flagged when the whole interval
        lies outside, clear when it lies entirely inside. Default ``(0.8, 1.25)``, the
        four-fifths rule in both directions (``docs/attrition.md``).
    post_switch_threshold
        The post-switch exit hazard ratios are flagged when their whole interval lies above
        this (default 1.25; at least 1).
    window_months
        None (default): person-time and exits over the whole observed history
        (``history_start`` to ``as_of``). A whole number ``m``: only those in the trailing
        window of ``m`` calendar months ending on ``as_of`` (from the day after the date
        ``m`` months before ``as_of``; exposure straddling the window start is cut there,
        an exit counts when it falls inside), for the rate parts (``rates``, ``rates_by``,
        ``rate_ratio``, ``rate_ratio_by``); the other parts are not computed, with the
        reason. A rate over a trailing window moves with recent exits, where one
        cumulative since the history start barely moves.
    group
        None (default), or a grouping column (``gender, ethnicity, age_band, org_unit,
        job_family, location``, one the data has values of): the ``retention`` curves are
        then drawn per track and group (each person counts in the group they are in when
        the track run starts), with the same suppression (curves stop where fewer than k
        remain at risk).

    Returns
    -------
    AttritionResult
        Parts (each a :class:`~pathaudit.result.Result`, or None when not computed; the
        notes say why):

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

        ``res.headline()`` gives the headline figures with their status (keys in
        ``docs/attrition.md``); ``res.plot(part, ...)`` draws ``rates``, ``rate_ratio``,
        ``rate_ratio_by``, ``over_time`` (option ``kind``), ``retention`` (option
        ``curve``), ``cox`` and ``post_switch``.

    Raises
    ------
    ArgumentError
        For data that is not loaded, an unknown part, ``by`` column, control or ``freq``,
        or a number out of range; the message says what to pass.
    NeedsHistoryError
        On a snapshot without leavers (nothing to count).

    Warns
    -----
    StatisticalWarning
        On a snapshot: how its attribution changes the figures (also a caveat note).

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

    With person-time on one track only, ``rate_ratio``, ``rate_ratio_by`` and
    ``post_switch`` are not computed and the Cox track term is not estimable, each with the
    reason "only one track (IC) in the data"; the other parts are computed.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")
    >>> res = pathaudit.attrition(data, parts=["rates", "rate_ratio"])
    >>> list(res.results())
    ['rates', 'rate_ratio']
    >>> head = res.headline().set_index("key")
    >>> head.loc["voluntary_exit_rate_ratio", "status"]
    'clear'
    >>> pathaudit.attrition(data, freq="month")
    Traceback (most recent call last):
    ...
    pathaudit.errors.ArgumentError: freq must be one of ['year', 'quarter']; got 'month'.
    """
    data = check_data(data, "attrition")
    alpha = check_alpha(alpha)
    chosen = check_parts(parts, PARTS)
    freq = check_choice(freq, "freq", FREQS)
    columns = data.exposure.columns
    by_cols = list(dict.fromkeys(check_group(
        _names(by, "by"), "by", data.exposure, allowed=BY_COLUMNS, many=True,
        where="the exposure table",
    )))
    grp = check_group(group, "group", data.exposure, where="the exposure table")
    if controls is not None:
        controls = list(check_columns(
            _names(controls, "controls"), "controls", [c for c in CATEGORICAL if c in columns],
            where="the exposure table (categorical attributes)",
        ))
    if top_rating is not None:
        top_rating = float(check_number(top_rating, "top_rating"))
    horizon_months = int(check_number(horizon_months, "horizon_months", low=1, high=600,
                                      integer=True))
    n_controls = int(check_number(n_controls, "n_controls", low=1, integer=True))
    seed = int(check_number(seed, "seed", low=0, integer=True))
    margin = _check_margin(margin)
    post_switch_threshold = float(check_number(post_switch_threshold, "post_switch_threshold",
                                               low=1))
    if window_months is not None:
        window_months = int(check_number(window_months, "window_months", low=1, high=600,
                                         integer=True))

    want = set(chosen)
    k = data.min_cell_size
    notes: list[Note] = []
    source = data
    no_rates = rates_not_computable(data)
    if no_rates is not None or "leaver_share" in want:
        early = leaver_parts(data, want, no_rates, alpha)
        if early is not None:
            return early
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
        warnings.warn(msg, StatisticalWarning, stacklevel=2)
        notes.append(Note("caveat", msg))
        notes += _snapshot_notes(want)
    if not by_cols:
        notes += [Note("not computed", "by=None asks for no breakdown (pass by='grade' or "
                       "another attribute)", part)
                  for part in ("rates_by", "rate_ratio_by") if part in want]
    if "regretted" in want and (data.ratings is None or not len(data.ratings)):
        notes.append(Note("not computed", "the export has no performance ratings", "regretted"))
    if "post_switch" in want and data.is_snapshot:
        notes.append(Note("not computed", "a snapshot holds no switch dates", "post_switch"))
    single = _one_track(source)
    if single is not None:
        noted = {n.part for n in notes if n.kind == "not computed"}
        notes += [Note("not computed", one_track_reason(single), part)
                  for part in ONE_TRACK_PARTS if part in want and part not in noted]
    if window_months is not None:
        noted = {n.part for n in notes if n.kind == "not computed"}
        notes += [Note("not computed", f"window_months={window_months} asks for the rate parts "
                       "only (rates, rates_by, rate_ratio, rate_ratio_by)", part)
                  for part in sorted(want - WINDOW_PARTS - noted)]
    if "leaver_share" in want:
        notes.append(Note("not computed", LEAVER_SHARE_ONLY_SNAPSHOT, "leaver_share"))
    computed = want - {n.part for n in notes if n.kind == "not computed"}

    out: dict[str, Result] = {}
    if computed - {"post_switch"}:
        w, ids = work_frame(source, [*by_cols, *grp])
        if window_months is not None:
            w = trailing_window(w, source.as_of, window_months)
        frame = [w]  # handed over: the parts release it before the Cox fit
        del w
        out.update(_frame_parts(data, source, frame, ids, computed, by_cols, freq, alpha, k,
                                controls, top_rating, horizon_months, margin, single,
                                group=group))
        if window_months is not None:
            for res in out.values():
                res.meta["definition"] += (f"; only the trailing {window_months} months "
                                           "ending on as_of")
                res.meta["window_months"] = window_months
    if "post_switch" in computed:
        out["post_switch"] = _post_switch(data, horizon_months, n_controls, seed, alpha)

    return AttritionResult(
        **out,
        notes=tuple(notes),
        thresholds=attrition_thresholds(margin, post_switch_threshold, horizon_months),
        alpha=alpha,
        horizon_months=horizon_months,
        one_track=single,
    )


WINDOW_PARTS: frozenset[str] = frozenset({"rates", "rates_by", "rate_ratio", "rate_ratio_by"})
"""The parts computed over a trailing window (``window_months``)."""


def trailing_window(w: pd.DataFrame, as_of: pd.Timestamp, months: int) -> pd.DataFrame:
    """The working frame cut to the ``months`` calendar months ending on ``as_of``.

    Rows that end on or before the window start are dropped; a row straddling it starts
    there, its person-years shortened. Exits stay on the row that ends with them.
    """
    first = as_of + pd.Timedelta(days=1) - pd.DateOffset(months=months)
    cut = int((first - pd.Timestamp("1970-01-01")).days)
    keep = w["stop_d"].to_numpy() > cut
    out = w.loc[keep].copy()
    start = np.maximum(out["start_d"].to_numpy(), cut)
    out["person_years"] = (out["stop_d"].to_numpy() - start) / 365.25
    out["start_d"] = start
    return out.reset_index(drop=True)


ONE_TRACK_PARTS: tuple[str, ...] = ("rate_ratio", "rate_ratio_by", "post_switch")
"""The parts that need both tracks: not computed on data with person-time on one track
(the Cox part is computed, its track term not estimable)."""


def _one_track(source: AuditData) -> str | None:
    """The one track with observed person-time, or None when both have some."""
    exp = source.exposure
    # distinct values first, then their text (not the text of every row)
    held = exp.loc[(exp["person_years"] > 0).to_numpy(), "track"].dropna().unique()
    tracks = pd.unique(pd.Series(held).astype(str))
    return str(tracks[0]) if len(tracks) == 1 else None


def _snapshot_notes(want: set[str]) -> list[Note]:
    """The caveats a snapshot adds to the parts it changes, for the parts asked for."""
    notes = []
    if want & {"rate_ratio", "rate_ratio_by"}:
        notes.append(Note(
            "caveat",
            "From a snapshot, a switcher's time before the switch counts on the track held at "
            "the end: where most switches go into management, IC person-time is understated "
            "and M person-time overstated, so the IC / M rate ratio reads too high.",
            "rate_ratio",
        ))
    if "cox" in want:
        notes.append(Note(
            "caveat",
            "From a snapshot, the Cox model has no time-varying track or grade and leaves out "
            "compa-ratio (only the last pay is known).",
            "cox",
        ))
    if "retention" in want:
        notes.append(Note(
            "caveat",
            "From a snapshot, only retention over tenure is computed; the time-in-track curve "
            "needs track entry dates, which a snapshot does not hold.",
            "retention",
        ))
    return notes


def _frame_parts(
    data: AuditData,
    source: AuditData,
    frame: list[pd.DataFrame],
    ids: Any,
    want: set[str],
    by_cols: list[str],
    freq: str,
    alpha: float,
    k: int,
    controls: list[str] | None,
    top_rating: float | None,
    horizon_months: int,
    margin: tuple[float, float],
    one_track: str | None = None,
    group: str | None = None,
) -> dict[str, Result]:
    """The parts computed on the working frame (every part but ``post_switch``).

    ``frame`` holds the working frame, handed over (emptied here): it is released once the
    Cox model's rows are built and regretted exits counted, before the Cox fit, the step
    that needs the most memory.
    """
    w = frame.pop()
    grp = [group] if group else []
    out: dict[str, Result] = {}
    common: dict[str, Any] = {"data": data, "alpha": alpha, "k": k}
    method_rate, population = RATE_METHOD, RATE_POPULATION

    if want & {"rates", "rate_ratio"}:
        rates = exit_rates(w, ["track"], alpha)
        if "rates" in want:
            out["rates"] = make_result(
                rates, **rate_part_texts("rates"),
                groups=["track", "kind"], plotter=plot_rates, **common,
            )
    if by_cols and want & {"rates_by", "rate_ratio_by"}:
        rates_by = exit_rates(w, ["track", *by_cols], alpha)
        if "rates_by" in want:
            out["rates_by"] = make_result(
                rates_by, **rate_part_texts("rates_by", by_cols),
                groups=["track", *by_cols, "kind"], complementary_by=["track", "kind"],
                **common,
            )
        if "rate_ratio_by" in want:
            out["rate_ratio_by"] = make_result(
                rate_ratio(rates_by, by_cols, alpha), **rate_part_texts("rate_ratio_by", by_cols),
                groups=[*by_cols, "kind"], n_col=RATIO_COUNTS, plotter=plot_rate_ratio,
                margin=list(margin), **common,
            )
    if "rate_ratio" in want:
        out["rate_ratio"] = make_result(
            rate_ratio(rates, [], alpha), **rate_part_texts("rate_ratio"), groups=["kind"],
            n_col=RATIO_COUNTS,
            plotter=plot_rate_ratio, margin=list(margin), **common,
        )

    if "over_time" in want:
        ot = exit_rates(w, ["track", freq], alpha).rename(columns={freq: "period"})
        ot["period"] = ot["period"].astype(str)
        starts = fiscal_period_start(ot["period"], data.fiscal_year_start_month)
        ot.insert(2, "period_start", starts)
        out["over_time"] = make_result(
            ot, **rate_part_texts("over_time", freq=freq),
            groups=["track", "period", "period_start", "kind"], complementary_by=["track", "kind"],
            plotter=plot_rates_over_time, freq=freq, **common,
        )

    if want & {"turnover", "turnover_quarterly"}:
        # the counts (narwhals group-bys, as on every engine), then the one definition
        tables = dict(zip(TURNOVER_ANALYSIS, turnover(source, alpha), strict=True))
        for part, table in tables.items():
            if part in want:
                out[part] = make_result(
                    table, analysis=TURNOVER_ANALYSIS[part], definition=TURNOVER_DEFINITION,
                    method=TURNOVER_METHOD, population=population,
                    groups=["period", "track", "kind", "months"], **common,
                )

    if "retention" in want:
        ret, curves, unknown = retention(w, source, alpha, not data.is_snapshot, group=group)
        out["retention"] = make_result(
            ret, analysis="Attrition: retention by track"
            + (f" and {group}" if group else "") + " (Kaplan–Meier)",
            definition=(
                "probability of still being employed (any exit ends it) at 1, 2, 3 and 5 years "
                "of tenure, and of time since entering the current track; a person counts in "
                "the track they are in at each time; switching track ends a time-in-track run "
                "(censored)"
            ),
            method="Kaplan–Meier with delayed entry (equal to statsmodels SurvfuncRight), "
            "Greenwood SE, "
            "pointwise log(-log) CI; curves stop where fewer than k remain at risk",
            population=population,
            groups=["curve", "track", *grp, "years"], curve="years",
            tables={name: Table(c, ["track", *grp], curve="time")
                    for name, c in curves.items()},
            plotter=plot_retention,
            excluded={"time_in_track: runs whose track entry precedes history_start": unknown},
            **common,
        )

    # the Cox model's rows, then the last part that reads the working frame, which is then
    # released: the Cox fit runs without it
    cox_in = cox_rows(w, controls, horizon_months) if "cox" in want else None
    if "regretted" in want:
        reg, share, thr = regretted(w, ids, data, top_rating, alpha)
        out["regretted"] = make_result(
            reg, analysis="Attrition: regretted (top-rated) voluntary exits",
            definition=(
                f"voluntary exits per 100 person-years among people whose latest rating at "
                f"the start of each interval is >= {thr:g} (top) vs below (other); person-time "
                "without a rating yet is left out"
            ),
            method=method_rate + "; share of voluntary exits that were top-rated: Wilson CI",
            population="person-time with a rating in force",
            groups=["track", "rating_group", "kind"], complementary_by=["track"],
            tables={"share": (share, ["track"])}, top_rating=thr, **common,
        )
    del w

    if cox_in is not None:
        cox_table, cox_info = cox_fit(*cox_in, source, alpha, horizon_months,
                                      data.is_snapshot, one_track)
        del cox_in
        out["cox"] = make_result(
            cox_table, analysis="Attrition: Cox model of voluntary exit",
            definition=(
                "hazard of voluntary exit (involuntary and other exits censor), IC vs M, within "
                "grade at equal tenure, with compa-ratio and controls; track, grade, pay and "
                "controls time-varying"
            ),
            method=(
                "Cox partial likelihood (statsmodels PHReg, Breslow ties), tenure in days as "
                "time scale with delayed entry, strata by grade, robust (sandwich) SE clustered "
                "by person, Wald CI on the log scale"
            ),
            population=population, groups=["term"], model=cox_info,
            plotter=plot_cox, margin=list(margin), **common,
        )

    return out


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
    extra: dict[str, Table] = {}
    if rates:
        extra["rates"] = Table(pd.concat(rates, ignore_index=True), ["direction", "kind", "group"])
        extra["design"] = Table(pd.concat(designs, ignore_index=True), ["direction", "figure"],
                                n_col=None)  # counts of switches and matched sets
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
        groups=["direction", "kind"], n_col=SIDE_COUNTS, tables=extra,
        plotter=plot_post_switch, seed=seed,
        horizon_months=horizon_months, n_controls=n_controls,
    )
