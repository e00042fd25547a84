"""The matched post-switch design, shared by attrition and the forced-into-management indicators.

On each date someone switches track (IC→M by default), up to ``n_controls`` people of the
track they left are drawn at random among those in the same grade and org unit on that date,
within ±1 year of the switcher's tenure, who have never switched that way before. Everyone in
the matched set is followed from the switch date for ``horizon_months``; a control who
switches later is censored on that day (no looking into the future). The exit hazard of
switchers against their controls is a Cox model stratified by matched set, with standard
errors clustered by person (a person can be a control in several sets, and a control in one
set and a switcher in a later one).

Two public functions:

- :func:`post_switch_matched` builds the matched follow-up rows (one per person per set);
- :func:`post_switch_exit_hr` fits the stratified Cox model and returns a :class:`Result`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.checks import check_alpha
from pathaudit.data import AuditData
from pathaudit.derived._order import order_of
from pathaudit.derived.calendar import fiscal_month_offset, quarter_index, quarter_start_day
from pathaudit.errors import (
    SNAPSHOT_ONLY,
    ArgumentError,
    NeedsHistoryError,
    PathauditError,
    StatisticalWarning,
)
from pathaudit.io.schema import DAYS_PER_YEAR, EXIT_REASONS
from pathaudit.result import Result, Table, make_result
from pathaudit.stats import mde_normal, poisson_rate_ci, wald
from pathaudit.stats.intervals import BOOTSTRAP_SEED
from pathaudit.stats.survival import CoxFit, cox_ph

EXIT_KINDS: dict[str, tuple[str, ...]] = {
    "voluntary": ("exit_voluntary",),
    "involuntary": ("exit_involuntary",),
    "other": ("exit_other",),
    "all": EXIT_REASONS,
}
"""Exit kinds and the spell end reasons they count."""

DIRECTIONS: dict[str, tuple[str, str]] = {"IC->M": ("IC", "M"), "M->IC": ("M", "IC")}
"""Switch directions: name -> (track left, track joined)."""

MATCHED_COLUMNS: tuple[str, ...] = (
    "set_id",
    "employee_id",
    "episode",
    "switched",
    "switch_date",
    "grade",
    "org_unit",
    "tenure",
    "end_date",
    "time",
    "end_reason",
    "n_controls",
)
"""Columns of :func:`post_switch_matched`."""

UNKNOWN_UNIT = "(unit not recorded)"
"""Org-unit label used for matching when the export has no unit for a row."""

BAD_DIRECTION = "direction must be one of {allowed}; got {got!r}."
BAD_KIND = "kind must be one of {allowed}; got {got!r}."


NOT_CONVERGED = (
    "The Cox model of {what} has no finite estimate (often a group without any exit); its "
    "hazard ratios are not reported."
)

SOME_NOT_ESTIMABLE = (
    "The Cox model of {what}: {terms} not estimable and reported as NaN ({reasons})."
)

SIDE_COUNTS: tuple[str, ...] = ("n", "n_switchers", "n_controls")
"""The counts a switchers-vs-controls comparison rests on: each side needs k people."""


def fit_cox(
    time: np.ndarray,
    status: np.ndarray,
    exog: np.ndarray,
    names: list[str],
    groups: np.ndarray,
    *,
    entry: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    what: str = "exit",
) -> CoxFit | None:
    """Fit :func:`pathaudit.stats.survival.cox_ph`, or return None (with a warning) when it fails.

    Parameters
    ----------
    time, status, exog, names, groups, entry, strata
        As for :func:`pathaudit.stats.survival.cox_ph` (times in whole days; a row is at risk on
        ``(entry, time]``; sandwich errors clustered by ``groups``).
    what
        Name of the model in the warning.

    Returns
    -------
    CoxFit or None
        None when there are no events, or when no term has an estimate (every term is
        dropped before fitting or not estimable after it: constant, collinear, diverging,
        not converged; see :func:`~pathaudit.stats.survival.cox_ph`): a
        :class:`~pathaudit.errors.StatisticalWarning` says so. When only some terms have
        no estimate, the fit is returned with NaN for them, their reasons in
        ``fit.dropped`` and ``fit.not_estimable``, and a warning naming them.
    """
    status = np.asarray(status, dtype=bool)
    if len(status) == 0 or not status.any():
        return None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", StatisticalWarning)
        try:
            fit = cox_ph(time, status, exog, entry=entry, strata=strata, groups=groups,
                         names=tuple(names))
        except PathauditError:
            fit = None
    if fit is None or not fit.estimable.any():
        warnings.warn(NOT_CONVERGED.format(what=what), StatisticalWarning, stacklevel=3)
        return None
    missing = {**fit.dropped, **fit.not_estimable}
    if missing:
        warnings.warn(
            SOME_NOT_ESTIMABLE.format(
                what=what,
                terms=", ".join(repr(k) for k in missing),
                reasons="; ".join(f"{k}: {v}" for k, v in missing.items()),
            ),
            StatisticalWarning,
            stacklevel=3,
        )
    return fit


def _check_direction(direction: str) -> tuple[str, str]:
    if direction not in DIRECTIONS:
        raise PathauditError(BAD_DIRECTION.format(allowed=sorted(DIRECTIONS), got=direction))
    return DIRECTIONS[direction]


def check_kind(kind: str) -> tuple[str, ...]:
    """End reasons counted by an exit ``kind`` (``voluntary``, ``involuntary``, ``other``, ``all``).

    Raises
    ------
    PathauditError
        For an unknown kind.
    """
    if kind not in EXIT_KINDS:
        raise PathauditError(BAD_KIND.format(allowed=sorted(EXIT_KINDS), got=kind))
    return EXIT_KINDS[kind]


def _days(s: pd.Series) -> np.ndarray:
    """Datetime series -> integer days since the epoch."""
    return s.to_numpy(dtype="datetime64[D]").astype(np.int64)


def _need_history(data: AuditData, analysis: str) -> None:
    if data.is_snapshot:
        raise NeedsHistoryError(
            SNAPSHOT_ONLY.format(
                analysis=analysis,
                what="A snapshot holds no switch dates, so nobody can be followed from a switch.",
            )
        )


@dataclass(frozen=True)
class _Prepared:
    """Exposure as sorted numpy arrays (by person, episode, start), built once per table."""

    order: np.ndarray
    names: np.ndarray  # employee IDs, sorted; pid indexes it
    pid: np.ndarray
    episode: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    tenure_days: np.ndarray
    is_ic: np.ndarray
    exit_code: np.ndarray  # int8: 1 + position in EXIT_REASONS where it is an exit, else 0
    unit: np.ndarray
    units: np.ndarray
    grade: np.ndarray
    next_contiguous: np.ndarray  # the next row is the same episode, starting at this stop


def _prepare(data: AuditData) -> _Prepared:
    """Sorted arrays of the exposure table, derived once per dataset."""
    return data.derived("matching_prepared", lambda: _prepare_exposure(data.exposure))


def _prepare_exposure(exposure: pd.DataFrame) -> _Prepared:
    ids = exposure["employee_id"]
    if isinstance(ids.dtype, pd.CategoricalDtype) and ids.cat.categories.is_monotonic_increasing \
            and not ids.isna().any():
        # the derivation's person code: the categories are the IDs, sorted, so a code is
        # the rank of the ID among the sorted IDs (no text sorted again)
        names = np.asarray(ids.cat.categories, dtype=object)
        pid_all = ids.cat.codes.to_numpy().astype(np.int32)
    else:
        codes, uniq = pd.factorize(ids)
        uniq = np.asarray(uniq, dtype=object)
        rank_of = np.empty(len(uniq), dtype=np.int64)
        rank_of[np.argsort(uniq, kind="stable")] = np.arange(len(uniq))
        names = np.sort(uniq)
        pid_all = rank_of[codes].astype(np.int32)  # rank of the ID among sorted IDs
    # held for the whole audit (shared by management and attrition): IDs, episodes, days
    # and units in 32 bits, the exit reason as an 8-bit code (no array of strings)
    ep = exposure["episode"].to_numpy(dtype=np.int32)
    start = _days(exposure["start"]).astype(np.int32)
    stop = _days(exposure["stop"]).astype(np.int32)
    # rows sorted by person, episode and start (stable); None when already in that order:
    # the derivation writes the exposure table so, and one linear check replaces the sort
    order = order_of(pid_all, ep, start)
    in_order = order is None  # the rows are already sorted: no copy of any column

    def sort(a: np.ndarray) -> np.ndarray:
        return a if in_order else a[order]

    pid, ep, start, stop = sort(pid_all), sort(ep), sort(start), sort(stop)
    del pid_all
    event = exposure["event"].astype("category")  # no copy when it is one already
    per_cat = pd.Index(list(EXIT_REASONS)).get_indexer(event.cat.categories) + 1
    # a missing event (code -1) takes the last entry: 0
    exit_code = np.r_[per_cat, 0].astype(np.int8)[sort(event.cat.codes.to_numpy())]
    unit, units = _unit_codes(exposure["org_unit"], sort)
    grade = sort(exposure["grade"].to_numpy(dtype=float, na_value=np.nan))
    nxt = np.zeros(len(pid), dtype=bool)
    nxt[:-1] = (pid[1:] == pid[:-1]) & (ep[1:] == ep[:-1]) & (start[1:] == stop[:-1])
    value = _Prepared(
        order=np.arange(len(pid)) if order is None else order,
        names=names,
        pid=pid,
        episode=ep,
        start=start,
        stop=stop,
        tenure_days=np.rint(
            sort(exposure["tenure"].to_numpy(dtype=float)) * DAYS_PER_YEAR
        ).astype(np.int32),
        is_ic=sort((exposure["track"] == "IC").to_numpy(dtype=bool)),
        exit_code=exit_code,
        unit=unit.astype(np.int32),
        units=np.asarray(units, dtype=object),
        grade=np.nan_to_num(grade, nan=-1).astype(np.int64),
        next_contiguous=nxt,
    )
    return value


def _unit_codes(
    unit: pd.Series, sort: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Code of the unit of each row (in the order ``sort`` gives) and the unit names.

    A missing unit is :data:`UNKNOWN_UNIT`. A categorical column is coded from its own
    codes (no text per row, no hash); the design depends on which rows share a unit, not
    on how the units are numbered.
    """
    if not isinstance(unit.dtype, pd.CategoricalDtype):
        codes, names = pd.factorize(sort(unit.fillna(UNKNOWN_UNIT).to_numpy()))
        return codes, np.asarray(names, dtype=object)
    cats = np.asarray(unit.cat.categories.astype(str), dtype=object)
    known = np.flatnonzero(cats == UNKNOWN_UNIT)
    # a missing unit (code -1, the last entry) takes the category of that name, or a new code
    missing = int(known[0]) if len(known) else len(cats)
    lookup = np.r_[np.arange(len(cats)), missing].astype(np.int32)
    names = cats if len(known) else np.r_[cats, np.asarray([UNKNOWN_UNIT], dtype=object)]
    return lookup[sort(unit.cat.codes.to_numpy())], np.asarray(names, dtype=object)


def switch_rows(data: AuditData, left: str, joined: str) -> tuple[np.ndarray, np.ndarray]:
    """Mark the exposure intervals that end with a switch from track ``left`` to ``joined``.

    Parameters
    ----------
    data
        The dataset (its ``exposure`` table, ``schema.EXPOSURE``).
    left, joined
        Track left and track joined.

    Returns
    -------
    (is_switch, order)
        ``is_switch[i]`` is True when row ``i`` is on ``left`` and the same person's next
        interval in the same episode starts on its ``stop`` on track ``joined``;
        ``order`` sorts the table by person, episode and start.

    Notes
    -----
    A switch is read from the change of track itself, not from the ``event`` label, so
    that a switch is found whatever else changed on the day (grade, unit).
    """
    prep = _prepare(data)
    on_left = prep.is_ic if left == "IC" else ~prep.is_ic
    sorted_sw = np.zeros(len(prep.order), dtype=bool)
    sorted_sw[:-1] = prep.next_contiguous[:-1] & on_left[:-1] & ~on_left[1:]
    is_sw = np.zeros(len(prep.order), dtype=bool)
    is_sw[prep.order] = sorted_sw
    return is_sw, prep.order


def post_switch_matched(
    data: AuditData,
    direction: str = "IC->M",
    horizon_months: int = 24,
    n_controls: int = 5,
    tenure_window: float = 1.0,
    seed: int = BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """Build the matched follow-up rows of the post-switch design: switchers and controls.

    Parameters
    ----------
    data
        Loaded history export (``data.exposure`` is used).
    direction
        ``"IC->M"`` (default) or ``"M->IC"``.
    horizon_months
        Follow-up from the switch date, in calendar months.
    n_controls
        Maximum number of controls drawn per switch.
    tenure_window
        Maximum absolute difference in tenure (years since hire) between switcher and
        control on the switch date.
    seed
        Seed of the random draw of controls among eligible candidates (results are
        reproducible and do not depend on row order).

    Returns
    -------
    pandas.DataFrame
        One row per person per matched set (a person-level design table: it holds
        employee IDs and is not for reports). Columns:

        ``set_id``
            Matched set number (one per switch, ordered by switch date).
        ``employee_id``, ``episode``
            The person and employment episode followed.
        ``switched``
            1 for the switcher, 0 for a control.
        ``switch_date``
            The switch date (first day on the new track) that starts follow-up.
        ``grade``, ``org_unit``
            Grade and unit on the track left, on the last day before the switch (the same
            for every member of the set by construction).
        ``tenure``
            Years since hire on the switch date.
        ``end_date``
            First day no longer followed (exclusive end).
        ``time``
            Follow-up in years of 365.25 days, ``(end_date - switch_date)``.
        ``end_reason``
            ``exit_voluntary``, ``exit_involuntary``, ``exit_other`` (exit in follow-up),
            ``switched`` (a control who switched the same way; censored), ``switched_back``
            (a switcher who returned to the track left; censored), ``horizon`` (followed
            for the full horizon) or ``censored`` (reached the as-of date).
        ``n_controls``
            Controls drawn for the set (0 when nobody was eligible).

    Raises
    ------
    NeedsHistoryError
        On snapshot-only data (no switch dates).

    Notes
    -----
    Definition. A switch is a change of track between two consecutive intervals of one
    employment episode (:func:`switch_rows`); its date ``d`` is the first day on the new
    track.
    Eligible controls on ``d``: people with an exposure interval on the track left that
    contains ``d`` (employed, not switching that day), at the switcher's pre-switch grade
    and org unit (a missing unit matches a missing unit), with ``|tenure - tenure of
    switcher| <= tenure_window``, and with no switch in this direction before ``d`` in the
    observed history. Among them, up to ``n_controls`` are drawn without replacement by a
    seeded random rank; the same person may be drawn in several sets (matching with
    replacement across sets), and may later become a switcher.

    Follow-up runs on ``[d, end_date)`` with ``end_date = min(episode end, d +
    horizon_months, the control's own switch in this direction, the switcher's switch
    back, as-of + 1 day)``: each arm is followed while it stays in the state it was
    matched on (switched and still on the new track, against not yet switched). Every
    switch in the observed window is used, including a person's second switch in the same
    direction.

    Construction is vectorised: switches and candidate exposure intervals are merged on
    (grade, unit, fiscal quarter of ``d``), since exposure intervals never cross a
    quarter boundary, then filtered on dates and tenure.
    """
    _need_history(data, "Post-switch attrition")
    left, joined = _check_direction(direction)
    if n_controls < 1:
        raise PathauditError(f"n_controls must be at least 1; got {n_controls}.")
    # the design is built once per dataset and arguments, and shared by every analysis
    # that uses it (attrition's post-switch part and the forced-into-management indicator)
    key = ("post_switch_matched", left, horizon_months, n_controls, tenure_window, seed)
    built = data.derived(key, lambda: _matched(data, left, joined, horizon_months, n_controls,
                                                tenure_window, seed))
    return built.copy()


def _matched(
    data: AuditData,
    left: str,
    joined: str,
    horizon_months: int,
    n_controls: int,
    tenure_window: float,
    seed: int,
) -> pd.DataFrame:
    """Build the design of :func:`post_switch_matched` (arguments already checked).

    The steps of its Notes, in order: the switches (:func:`_switches`), candidate
    intervals by (grade, unit, quarter) (:func:`_candidates`), the date and tenure
    filters and the seeded draw (:func:`_draw_controls`), the end of each follow-up
    (:func:`_follow_up_ends`).
    """
    fq = fiscal_month_offset(data.fiscal_year_start_month)  # quarters of the fiscal calendar
    prep = _prepare(data)
    on_left = prep.is_ic if left == "IC" else ~prep.is_ic
    sw = _switches(prep, on_left)
    window = tenure_window * DAYS_PER_YEAR
    ci, lo, hi = _candidates(prep, on_left, sw, fq, window)
    c_set, c_row, c_ten = _draw_controls(prep, sw, ci, lo, hi, window, n_controls, seed)
    n_sets = len(sw.rows)
    n_drawn = np.bincount(c_set, minlength=n_sets)

    # one row per person per set: switchers first, then their controls
    r_set = np.r_[np.arange(n_sets), c_set]
    r_row = np.r_[sw.rows, c_row]
    r_sw = np.r_[np.ones(n_sets, np.int64), np.zeros(len(c_set), np.int64)]
    r_ten = np.r_[sw.tenure, c_ten]
    d = sw.date[r_set]
    end, reason = _follow_up_ends(prep, on_left, sw, r_row, r_sw, d, horizon_months)
    si, grade, unit = sw.rows, prep.grade, prep.unit
    # by set, switcher first, then controls by ID (pid is the rank of the ID among the
    # sorted IDs): one integer sort instead of a sort on text
    o = np.lexsort((prep.pid[r_row], -r_sw, r_set))
    r_set, r_row, r_sw, r_ten, d = r_set[o], r_row[o], r_sw[o], r_ten[o], d[o]
    end, reason = end[o], reason[o]
    rows = pd.DataFrame(
        {
            "set_id": r_set,
            "employee_id": pd.array(prep.names[prep.pid[r_row]], dtype="string"),
            "episode": prep.episode[r_row].astype(np.int64),
            "switched": r_sw,
            "switch_date": pd.to_datetime(d, unit="D"),
            "grade": pd.arrays.IntegerArray(grade[si][r_set].astype(np.int64),
                                            grade[si][r_set] < 0),  # -1 codes a missing grade
            "org_unit": pd.array(prep.units[unit[si][r_set]], dtype="string"),
            "tenure": r_ten / DAYS_PER_YEAR,
            "end_date": pd.to_datetime(end, unit="D"),
            "time": (end - d) / DAYS_PER_YEAR,
            "end_reason": reason.astype(str),
            "n_controls": n_drawn[r_set],
        }
    )
    return rows[list(MATCHED_COLUMNS)]


@dataclass(frozen=True)
class _Switches:
    """The switches in one direction (the matched sets), ordered by date and person."""

    rows: np.ndarray  # the interval on the track left that each switch ends
    date: np.ndarray  # switch day (first day on the new track)
    tenure: np.ndarray  # tenure in days on the switch day
    first: np.ndarray  # per person: day of the first switch in this direction (int64 max: none)


def _switches(prep: _Prepared, on_left: np.ndarray) -> _Switches:
    """Step 1: the switches, and each person's first switch (eligibility and censoring)."""
    pid, episode, start, stop = prep.pid, prep.episode, prep.start, prep.stop
    is_sw = np.zeros(len(pid), dtype=bool)
    is_sw[:-1] = prep.next_contiguous[:-1] & on_left[:-1] & ~on_left[1:]
    si = np.flatnonzero(is_sw)
    si = si[np.lexsort((episode[si], pid[si], stop[si]))]
    sw_d = stop[si].astype(np.int64)
    first_switch = np.full(len(prep.names), np.iinfo(np.int64).max)
    np.minimum.at(first_switch, pid[si], sw_d)
    tenure = (prep.tenure_days[si] + (stop[si] - start[si])).astype(np.int64)
    return _Switches(rows=si, date=sw_d, tenure=tenure, first=first_switch)


def _quarters(days: np.ndarray, fq: int) -> np.ndarray:
    """:func:`~pathaudit.derived.calendar.quarter_index` of each day, from a table of the range.

    The calendar is converted once per day of the range, not once per row.
    """
    if len(days) == 0:
        return quarter_index(days, fq)
    low = int(days.min())
    table = quarter_index(np.arange(low, int(days.max()) + 1, dtype=np.int64), fq)
    return table[days.astype(np.int64) - low]


def _candidates(
    prep: _Prepared, on_left: np.ndarray, sw: _Switches, fq: int, window: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 2: candidate intervals by (grade, unit, fiscal quarter), and each switch's range.

    Intervals on the track left, one entry per fiscal quarter they touch, sorted by cell
    (grade, unit, quarter) then by tenure at the interval start: the candidates whose
    tenure on the switch day can be within the window form one contiguous range
    ``ci[lo[s]:hi[s]]`` per switch ``s`` (an interval lasts at most one quarter: at most
    92 days of tenure accrue in it).
    """
    start, stop, tenure_days = prep.start, prep.stop, prep.tenure_days
    sw_d, sw_ten = sw.date, sw.tenure
    ci = np.flatnonzero(on_left)
    q0 = _quarters(start[ci], fq)
    q1 = _quarters(stop[ci] - 1, fq)
    reps = (q1 - q0 + 1).astype(np.int64)
    ci = np.repeat(ci, reps)
    cq = np.repeat(q0, reps) + (np.arange(len(ci)) - np.repeat(np.cumsum(reps) - reps, reps))
    sw_q = _quarters(sw_d, fq)
    qmin = int(min(cq.min(initial=0), sw_q.min(initial=0)))
    n_q = int(max(cq.max(initial=0), sw_q.max(initial=0))) - qmin + 1
    n_u = len(prep.units) + 1

    def cell(g: np.ndarray, u: np.ndarray, q: np.ndarray) -> np.ndarray:
        return ((g + 1) * n_u + u) * n_q + (q - qmin)

    span = 1 << 22  # > any tenure in days plus the window
    c_ten0 = tenure_days[ci] + np.maximum(
        0, (quarter_start_day(cq, fq) - start[ci])
    )  # tenure on the first day of the interval within this quarter
    c_key = cell(prep.grade[ci], prep.unit[ci], cq) * span + c_ten0
    o = np.lexsort((prep.pid[ci], c_key))
    ci, c_key = ci[o], c_key[o]
    si = sw.rows
    s_base = cell(prep.grade[si], prep.unit[si], sw_q) * span
    lo = np.searchsorted(c_key, s_base + np.floor(sw_ten - window - 92).astype(np.int64), "left")
    hi = np.searchsorted(c_key, s_base + np.ceil(sw_ten + window).astype(np.int64), "right")
    return ci, lo, hi


def _draw_controls(
    prep: _Prepared,
    sw: _Switches,
    ci: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    window: float,
    n_controls: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps 3 and 4: the date and tenure filters, then the seeded draw of controls.

    Pairs (set, candidate) are built in chunks of switches (at most about four million
    pairs at a time), filtered, then ranked at random within their set; the first
    ``n_controls`` are kept. Returns the set, the interval and the tenure on the switch
    day (days) of every control drawn.
    """
    rng = np.random.default_rng(seed)
    chosen_set, chosen_row, chosen_ten = [], [], []
    counts = hi - lo
    bounds = np.searchsorted(np.cumsum(counts), np.arange(1, 1 + counts.sum() // 4_000_000) *
                             4_000_000)
    arrays = _candidate_arrays(prep, sw, ci)
    for chunk in np.split(np.arange(len(sw.rows)), np.unique(bounds)):
        if len(chunk) == 0:
            continue
        ps, pc, c_ten = _eligible_pairs(arrays, sw, ci, lo, counts, chunk, window)
        u = rng.random(len(ps))
        o = _lowest_per_set(ps, ps + u, n_controls)  # by set, then random rank within set
        ps, pc, c_ten = ps[o], pc[o], c_ten[o]
        newset = np.ones(len(ps), dtype=bool)
        newset[1:] = ps[1:] != ps[:-1]
        starts = np.flatnonzero(newset)
        rank = np.arange(len(ps)) - np.repeat(starts, np.diff(np.r_[starts, len(ps)]))
        keep = rank < n_controls
        chosen_set.append(ps[keep])
        chosen_row.append(pc[keep])
        chosen_ten.append(c_ten[keep])
    c_set = np.concatenate(chosen_set) if chosen_set else np.zeros(0, np.int64)
    c_row = np.concatenate(chosen_row) if chosen_row else np.zeros(0, np.int64)
    c_ten = np.concatenate(chosen_ten) if chosen_ten else np.zeros(0, np.int64)
    return c_set, c_row, c_ten


def _lowest_per_set(ps: np.ndarray, key: np.ndarray, n: int) -> np.ndarray:
    """Positions of the pairs sorted by ``key`` (stable) among those that can rank below ``n``.

    ``ps`` (the set of each pair) is sorted and ``key = ps + u`` with ``u`` uniform on
    [0, 1): sorting every pair by ``key`` ranks the pairs of each set at random. Only the
    ``n`` lowest of each set are kept, so only the pairs that can be among them are sorted:
    every pair of a set of at most ``n`` pairs, and in a larger set the pairs with ``u``
    below ``4 n / size`` (about ``4 n`` of them), all pairs of a set where fewer than
    ``n`` pass. Within each set the ``n`` lowest keys are those of sorting every pair.
    """
    m = len(ps)
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
    size = np.diff(np.r_[starts, m])
    cut = np.repeat(np.minimum(1.0, 4.0 * n / size), size)
    take = key <= ps + cut  # monotone in key within a set: the lowest keys pass
    short = np.add.reduceat(take, starts, dtype=np.int64) < np.minimum(size, n)
    if short.any():
        take |= np.repeat(short, size)
    idx = np.flatnonzero(take)
    return idx[np.argsort(key[idx], kind="stable")]


def _candidate_arrays(
    prep: _Prepared, sw: _Switches, ci: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The candidates' start, stop, hire offset and first switch day, in candidate order.

    32-bit days, gathered once so that the pairs read contiguous ranges. The hire offset
    ``tenure_days - start`` is constant within an episode: the tenure on day ``d`` of an
    interval that contains ``d`` is ``offset + d``.
    """
    start, stop = prep.start[ci], prep.stop[ci]
    offset = (prep.tenure_days[ci] - start).astype(np.int32)
    first = np.minimum(sw.first[prep.pid[ci]], np.iinfo(np.int32).max).astype(np.int32)
    return start, stop, offset, first


def _eligible_pairs(
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    sw: _Switches,
    ci: np.ndarray,
    lo: np.ndarray,
    counts: np.ndarray,
    chunk: np.ndarray,
    window: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 3 for a chunk of switches: the (set, candidate) pairs that pass the filters.

    The candidate's interval contains the switch day, its tenure on that day is within
    the window of the switcher's, and it had not switched in this direction before.
    Tenures are whole days, so ``|difference| <= window`` is ``<= floor(window)``.
    """
    start, stop, offset, first = arrays
    cnt = counts[chunk]
    # position of each pair's candidate in candidate order (the ranges are contiguous)
    q = np.arange(int(cnt.sum()), dtype=np.int64) + np.repeat(lo[chunk] - (np.cumsum(cnt) - cnt),
                                                              cnt)
    d = np.repeat(sw.date[chunk].astype(np.int32), cnt)
    # the switcher's hire offset: tenure on the switch day minus the day
    h = np.repeat((sw.tenure[chunk] - sw.date[chunk]).astype(np.int32), cnt)
    ok = start[q] <= d
    ok &= d < stop[q]
    ok &= np.abs(offset[q] - h) <= int(min(np.floor(window), np.iinfo(np.int32).max))
    ok &= first[q] >= d
    keep = np.flatnonzero(ok)
    del ok, h
    qk = q[keep]
    ps = np.repeat(chunk, cnt)[keep]  # set index of each pair
    c_ten = offset[qk].astype(np.int64) + d[keep]
    return ps, ci[qk], c_ten


def _follow_up_ends(
    prep: _Prepared,
    on_left: np.ndarray,
    sw: _Switches,
    r_row: np.ndarray,
    r_sw: np.ndarray,
    d: np.ndarray,
    horizon_months: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Step 5: the end of each follow-up (exclusive day) and why it ended.

    The earliest of the episode's end, the horizon, a control's own switch in this
    direction and a switcher's switch back (as-of + 1 day ends every episode still open).
    """
    pid, stop = prep.pid, prep.stop
    # the row's last interval in its episode: the episode's end and how it ended
    last = np.ones(len(pid), dtype=bool)
    last[:-1] = (pid[1:] != pid[:-1]) | (prep.episode[1:] != prep.episode[:-1])
    ep_last = np.flatnonzero(last)
    end_idx = ep_last[np.searchsorted(ep_last, r_row, side="left")]
    end_ep = stop[end_idx].astype(np.int64)
    reason_ep = np.asarray(("",) + tuple(EXIT_REASONS), dtype=object)[prep.exit_code[end_idx]]
    horizon = (
        (pd.to_datetime(d, unit="D") + pd.DateOffset(months=horizon_months))
        .to_numpy(dtype="datetime64[D]")
        .astype(np.int64)
    )
    own = sw.first[pid[r_row]].astype(float)
    own = np.where((r_sw == 0) & (own > d) & (own < np.iinfo(np.int64).max), own, np.inf)
    # a switcher who switches back is censored on that day (the run on the new track ends)
    new_run = np.ones(len(pid), dtype=bool)
    new_run[1:] = ~prep.next_contiguous[:-1] | (on_left[1:] != on_left[:-1])
    run_first = np.flatnonzero(new_run)
    run_last = np.r_[run_first[1:] - 1, len(pid) - 1]
    run_id = np.cumsum(new_run) - 1
    back = np.full(len(r_row), np.inf)
    sw_rows = np.flatnonzero(r_sw == 1)
    last_new = run_last[run_id[np.minimum(r_row[sw_rows] + 1, len(pid) - 1)]]
    returns = prep.next_contiguous[last_new]
    back[sw_rows[returns]] = stop[last_new[returns]]
    end = np.minimum(np.minimum(np.minimum(end_ep, horizon).astype(float), own), back)
    is_exit = np.isin(reason_ep, EXIT_REASONS) & (end_ep == end)
    reason = np.where(
        is_exit,
        reason_ep,
        np.where(
            own == end,
            "switched",
            np.where(back == end, "switched_back",
                     np.where(horizon == end, "horizon", "censored")),
        ),
    )
    return end.astype(np.int64), reason


def post_switch_exit_hr(
    data: AuditData,
    direction: str = "IC->M",
    horizon_months: int = 24,
    n_controls: int = 5,
    kind: str = "all",
    seed: int = BOOTSTRAP_SEED,
    alpha: float = 0.05,
    matched: pd.DataFrame | None = None,
) -> Result:
    r"""Exit hazard ratio in the months after a track switch, switchers vs matched non-switchers.

    Parameters
    ----------
    data
        Loaded history export.
    direction
        ``"IC->M"`` (default) or ``"M->IC"``.
    horizon_months
        Follow-up from the switch date, in calendar months.
    n_controls
        Maximum number of controls drawn per switch.
    kind
        Exits counted as events: ``"all"`` (default), ``"voluntary"``, ``"involuntary"``
        or ``"other"``; other exits censor follow-up.
    seed
        Seed of the draw of controls.
    alpha
        1 - confidence level.
    matched
        The output of :func:`post_switch_matched`, when already built (it is reused
        as is; the design arguments above are then only reported).

    Returns
    -------
    Result
        ``table``: one row, columns ``direction``, ``kind``, ``estimate`` (hazard ratio,
        switchers / controls), ``ci_lower``, ``ci_upper``, ``p_value``, ``mde`` (the
        smallest hazard ratio above 1 detectable with 80% power at this ``alpha``),
        ``events_switchers``, ``events_controls``, ``n_sets`` (sets with at least one
        control), ``n_switchers``, ``n_controls`` (distinct people on each side: the ratio
        compares them, so each needs k people), ``n`` (distinct people in the model),
        ``suppressed``.
        ``tables["rates"]``: one row per group (``switchers``, ``controls``):
        ``events``, ``person_years``, ``estimate`` (exits per 100 person-years in
        follow-up), ``ci_lower``, ``ci_upper`` (exact Poisson), ``n`` (people).
        ``tables["design"]``: counts of the design (switches, sets matched, sets
        without any eligible control, controls drawn, end reasons); no person-level
        figure.

    Notes
    -----
    Model: Cox partial likelihood stratified by matched set (each set has its own baseline
    hazard, time since the switch date as the time scale, Breslow ties), one covariate
    ``switched``; :math:`\widehat{HR} = \exp(\hat\beta)`, Wald interval
    :math:`\exp(\hat\beta \pm z_{1-\alpha/2}\,\mathrm{se})` with the sandwich
    standard error clustered by person. Sets without any control carry no information and
    are left out (counted in ``tables["design"]``).

    The hazard ratio is a ratio of exit rates among those still employed and followed,
    not a ratio of probabilities of leaving. It compares switchers with people who were
    alike on grade, unit and tenure on the switch date; it does not remove differences
    on anything else (performance, manager, preference).
    """
    ends = check_kind(kind)
    if matched is None:
        matched = post_switch_matched(
            data, direction=direction, horizon_months=horizon_months,
            n_controls=n_controls, seed=seed,
        )
    rows = matched.loc[matched["n_controls"] > 0]
    figures, groups = exit_hr_figures(
        rows["time"].to_numpy(dtype=float),
        rows["end_reason"].isin(ends).to_numpy(),
        rows["switched"].to_numpy(dtype=float) == 1,
        pd.factorize(rows["employee_id"])[0],
        pd.factorize(rows["set_id"])[0],
        alpha=alpha,
        what=f"exit after a {direction} switch",
    )
    fit_ok = bool(figures.pop("converged"))
    table = pd.DataFrame({"direction": [direction], "kind": [kind],
                          **{k: [v] for k, v in figures.items()}})
    n_sets_all = int(matched["set_id"].nunique())
    design = pd.DataFrame(
        {
            "figure": [
                "switches",
                "sets with at least one control",
                "sets without an eligible control (left out)",
                "controls drawn",
            ]
            + [f"follow-up ended: {r}" for r in sorted(matched["end_reason"].unique())],
            "value": [
                n_sets_all,
                int(rows["set_id"].nunique()),
                n_sets_all - int(rows["set_id"].nunique()),
                int((matched["switched"] == 0).sum()),
            ]
            + [int(v) for _, v in sorted(matched["end_reason"].value_counts().items())],
        }
    )
    left, joined = _check_direction(direction)
    return make_result(
        table,
        groups=["direction", "kind"],
        n_col=SIDE_COUNTS,
        analysis="Post-switch attrition (matched)",
        definition=(
            f"Hazard of {kind} exit within {horizon_months} months of a {left}→{joined} switch, "
            f"switchers vs up to {n_controls} {left}s per switch at the same grade and unit "
            "within ±1 year of tenure who had not switched; controls who switch later are "
            "censored then; follow-up ends at exit, horizon or as-of."
        ),
        method=(
            "Cox model stratified by matched set (Breslow ties), time since switch as time "
            "scale; robust (sandwich) standard errors clustered by person; Wald CI on the log "
            "scale; exits per 100 person-years with exact Poisson (Garwood) CIs."
        ),
        population=f"{left}→{joined} switches in the observed window and their matched {left}s",
        data=data,
        alpha=alpha,
        tables={
            "rates": (pd.DataFrame(groups), ["group"]),
            # counts of switches, sets and controls, not figures about them
            "design": Table(design, ["figure"], n_col=None),
        },
        seed=seed,
        direction=direction,
        horizon_months=horizon_months,
        n_controls=n_controls,
        converged=fit_ok,
    )


def exit_hr_figures(
    time: np.ndarray,
    event: np.ndarray,
    switched: np.ndarray,
    person: np.ndarray,
    matched_set: np.ndarray,
    *,
    alpha: float = 0.05,
    what: str = "exit after a switch",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The figures of :func:`post_switch_exit_hr` from the rows of matched sets, as numbers.

    Parameters
    ----------
    time
        Follow-up of each row in years (``end_date - switch_date``).
    event
        True where the follow-up ended with an exit counted as an event.
    switched
        True for the switcher of the set, False for a control.
    person, matched_set
        Integer codes of the person and of the matched set of each row (sets with at
        least one control only).
    alpha
        1 - confidence level.
    what
        Name of the model in the warning when it has no estimate.

    Returns
    -------
    (figures, rates)
        ``figures``: ``estimate``, ``ci_lower``, ``ci_upper``, ``p_value``, ``mde``,
        ``events_switchers``, ``events_controls``, ``n_sets``, ``n_switchers``,
        ``n_controls``, ``n`` and ``converged`` (as :func:`post_switch_exit_hr`'s table);
        ``rates``: one dict per side (``switchers``, ``controls``) with ``group``,
        ``events``, ``person_years``, ``estimate`` (exits per 100 person-years),
        ``ci_lower``, ``ci_upper``, ``n``. No result is built and nothing is suppressed:
        the caller publishes the figures.

    Raises
    ------
    ArgumentError
        Arrays of different lengths, a time that is negative or not finite, a negative code.

    Examples
    --------
    >>> f, r = exit_hr_figures(np.array([1.0, 2.0, 0.5, 2.0]), np.array([True, False,
    ...                        True, False]), np.array([True, False, True, False]),
    ...                        np.array([0, 1, 2, 1]), np.array([0, 0, 1, 1]))
    >>> f["events_switchers"], f["n_controls"], r[1]["person_years"]
    (2, 1, 4.0)
    """
    alpha = check_alpha(alpha)
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    is_sw = np.asarray(switched, dtype=bool)
    person = np.asarray(person, dtype=np.int64)
    matched_set = np.asarray(matched_set, dtype=np.int64)
    arrays = {"time": time, "event": event, "switched": is_sw, "person": person,
              "matched_set": matched_set}
    if len({a.shape for a in arrays.values()}) != 1 or time.ndim != 1:
        shapes = ", ".join(f"{k} {a.shape}" for k, a in arrays.items())
        raise ArgumentError(f"exit_hr_figures needs five 1-d arrays of one length; got {shapes}.")
    bad = int((~(np.isfinite(time) & (time >= 0))).sum())
    if bad:
        raise ArgumentError("time must be finite follow-up times in years, at least 0; "
                            f"found {bad} other values.")
    if (person < 0).any() or (matched_set < 0).any():
        raise ArgumentError("person and matched_set must be integer codes at least 0 (a missing "
                            "ID coded -1, as pandas.factorize does, is no person: drop its rows).")
    t_days = np.rint(time * DAYS_PER_YEAR)
    fit = fit_cox(t_days, event, is_sw.astype(float)[:, None], ["switched"], person,
                  strata=matched_set, what=what)
    b = float(fit.params[0]) if fit is not None else np.nan
    se = float(fit.bse[0]) if fit is not None else np.nan
    lo, hi, p = wald(b, se, alpha=alpha)

    def distinct(codes: np.ndarray) -> int:
        return int(len(pd.unique(codes)))

    figures: dict[str, Any] = {
        "estimate": float(np.exp(b)),
        "ci_lower": float(np.exp(lo)),
        "ci_upper": float(np.exp(hi)),
        "p_value": float(p),
        "mde": float(np.exp(mde_normal(se, alpha=alpha))),
        "events_switchers": int(event[is_sw].sum()),
        "events_controls": int(event[~is_sw].sum()),
        "n_sets": distinct(matched_set),
        "n_switchers": distinct(person[is_sw]),
        "n_controls": distinct(person[~is_sw]),
        "n": distinct(person),
        "converged": fit is not None,
    }
    rates: list[dict[str, Any]] = []
    for name, mask in (("switchers", is_sw), ("controls", ~is_sw)):
        ev, pt = int(event[mask].sum()), float(time[mask].sum())
        rl, rh = poisson_rate_ci(ev, pt, alpha=alpha)
        rates.append({
            "group": name,
            "events": ev,
            "person_years": pt,
            "estimate": 100 * ev / pt if pt > 0 else np.nan,
            "ci_lower": 100 * float(rl),
            "ci_upper": 100 * float(rh),
            "n": distinct(person[mask]),
        })
    return figures, rates


__all__ = [
    "DIRECTIONS",
    "EXIT_KINDS",
    "MATCHED_COLUMNS",
    "check_kind",
    "exit_hr_figures",
    "fit_cox",
    "post_switch_exit_hr",
    "post_switch_matched",
]
