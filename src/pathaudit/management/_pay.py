"""Forced-into-management indicators about the ladder, pay and performance.

IC ceiling (as designed and as realised), switch premium and the
Peter-principle signal.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pathaudit import stats
from pathaudit.derived.calendar import fiscal_year
from pathaudit.derived.ladder import (
    designed_overall,
    designed_tops_on,
    realised_tops,
    tops_by_unit,
)
from pathaudit.derived.population import current_state, distinct_people
from pathaudit.management._common import (
    ALL,
    OVERALL,
    SNAPSHOT_NOTE,
    By,
    by_columns,
    cached,
    check_common,
    check_count,
    check_seed,
    equals,
    exposure_cells,
    groupings,
    has_values,
    indicator_result,
    one_track_reason,
    person_codes,
    row,
    single_track,
    stacked_groupings,
    stacked_rows,
    to_table,
    unavailable,
    work_exposure,
    year_ends,
)
from pathaudit.management._rates import grouped_rate_ratio
from pathaudit.result import Result

if TYPE_CHECKING:
    from pathaudit.data import AuditData

MIN_PER_GRADE = 5
"""Switches and promotions a grade needs (each) to enter the pooled switch premium."""


# ---------------------------------------------------------------------------
# Bootstrap of a median, exact and O(B) per group
# ---------------------------------------------------------------------------


def bootstrap_median_draws(x: np.ndarray, B: int, rng: np.random.Generator) -> np.ndarray:
    """Medians of ``B`` bootstrap resamples of ``x``: ``stats.bootstrap_medians_exact``.

    Sampled through order statistics in O(n + B), with exactly the distribution of
    ``np.median(x[idx])`` for ``idx`` drawn uniformly with replacement.
    """
    return stats.bootstrap_medians_exact(x, B, rng)


# ---------------------------------------------------------------------------
# State on a date, grouped
# ---------------------------------------------------------------------------


def state_groupings(
    data: AuditData, by: By
) -> Iterator[tuple[str, str, pd.DataFrame, pd.Timestamp]]:
    """Yield ``(by, group, state, date)`` for cross-sectional indicators.

    The whole organisation on ``as_of`` first; then, for ``by="year"``, the
    organisation on each fiscal-year end (the group is the fiscal year), or, for
    any other column, the ``as_of`` state grouped by that column.
    """
    state = current_state(data, data.as_of)
    yield OVERALL, ALL, state, data.as_of
    for col in by_columns(by):
        if col == "year":
            for date in year_ends(data):
                label = int(fiscal_year(pd.Series([date]), data.fiscal_year_start_month).iloc[0])
                yield "year", str(label), current_state(data, date), date
        elif col in state.columns:
            for value, sub in state.groupby(col, sort=True, dropna=True, observed=True):
                yield col, str(value), sub, data.as_of


# ---------------------------------------------------------------------------
# IC ceiling
# ---------------------------------------------------------------------------

CEILING_DEFINITION = (
    "designed_gap: top M grade minus top IC grade in the ladder in force on the date "
    "(organisation-wide rows plus the unit's own rows): per unit for by=org_unit (top = "
    "'designed per unit'), else of the unit with the widest gap among the units with "
    "people employed (top = 'designed overall'). realised_gap (top = 'realised'): the "
    "highest grade held by at least k managers minus the highest grade held by at least "
    "k ICs, among people employed on the date. share_at_top: ICs (or managers) at or "
    "above their track's designed top grade (numerator) / all ICs (or managers) employed "
    "(denominator). "
    "promotion_rate_ratio: IC promotions per IC person-year / M promotions per M "
    "person-year, per grade and pooled over grades below both tops (grade-stratified)."
)


INFERRED_TOP = "realised (ladder inferred from the data's grade column)"
"""``top`` of the ceiling rows when the ladder was built from the data's grades."""

INFERRED_NOTE = (
    "designed_gap not computed: the ladder was inferred from the data's grade column "
    "([grade] column in the map), so its tops are the grades people held, a realised "
    "ceiling, not a designed one; the gap is reported as inferred_ladder_gap (no "
    "threshold). Provide a ladder file to read the designed ceiling."
)
"""Note of the ceiling when the ladder was built from the data's grades."""


def ladder_inferred(data: AuditData) -> bool:
    """Whether the ladder was built from the data's grade column (``[grade] column``)."""
    config = data.config if isinstance(data.config, dict) else {}
    grade = config.get("grade")
    return isinstance(grade, dict) and bool(grade.get("column"))


def ic_ceiling(data: AuditData, *, by: By = None, alpha: float = 0.05) -> Result:
    """Measure whether the IC ladder stops below the management ladder, on paper and in practice.

    Parameters
    ----------
    data
        The audit data. The designed ceiling needs only the ladder; the realised
        ceiling and shares need the current state; promotion rates need history.
    by
        Optional grouping: ``"org_unit"`` (the unit's ladder and headcount),
        ``"year"`` (each fiscal-year end) or another current-state column.
    alpha
        1 - confidence level.

    Returns
    -------
    Result
        Measures:

        ``designed_gap`` (headline)
            Top M grade - top IC grade in the ladder (grades; exact, the interval is
            the value). Where the ladder has unit-specific rows (a unit that adopted
            a dual ladder added IC levels), the organisation's figure is the widest
            gap of any unit with people employed (``top`` = ``"designed overall"``;
            per unit with ``by="org_unit"``: ``"designed per unit"``);
            ``units_with_gap`` counts the units with a positive gap. Extra columns
            ``top_ic_grade``, ``top_m_grade``, ``top`` (which top the row uses).
        ``realised_gap``
            Highest grade held by at least k managers - highest grade held by at
            least k ICs (exact census of the date; missing when a track has no
            grade with k people; ``top`` = ``"realised"``).
            ``numerator``/``denominator``: the two grades.
        ``share_at_top_ic``, ``share_at_top_m``
            Share of each track at its designed top grade (Wilson).
        ``promotion_rate_ratio``
            IC / M promotion rate ratio: per grade (exact conditional CI) and pooled
            over grades below both tops (the highest designed top of any unit on
            each track; grade-stratified Poisson, person-clustered).
            ``numerator``: IC promotions; ``denominator``: M promotions.

    Notes
    -----
    The realised top counts only grades with at least k people so that no figure
    describes one person (DOMAIN: the single person at the top of a ladder is a
    small cell). A positive gap is the finding; a gap of 0 or below means the IC
    ladder reaches as high as the M ladder.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> res = ic_ceiling(data, by="org_unit")  # doctest: +SKIP
    >>> res.table.query("measure == 'designed_gap'")  # doctest: +SKIP
    """
    data = check_common(data, "ic_ceiling", alpha, by)
    name = "ic_ceiling"
    method = (
        "Designed tops from the ladder in force (derived.ladder.designed_tops; overall: the "
        "unit with the widest gap); realised tops from the people employed on the date "
        "(derived.ladder.realised_tops); Wilson CIs for shares; exact conditional and "
        "grade-stratified Poisson (person-clustered sandwich) CIs for promotion rate ratios."
    )
    population = "The ladder in force and the people employed on the date; IC and M person-time."
    kw: dict[str, Any] = dict(
        data=data, definition=CEILING_DEFINITION, method=method, population=population,
        headline="designed_gap", alpha=alpha,
    )
    track = single_track(data)
    if track is not None:
        return unavailable(name, one_track_reason(
            track, "comparing the tops and promotion rates of the two tracks"), **kw)
    if data.ladder is None or len(data.ladder) == 0:
        return unavailable(name, "the data has no ladder (track, level -> grade); provide "
                           "one so the tops of the two tracks can be compared.", **kw)
    k = data.min_cell_size
    inferred = ladder_inferred(data)
    rows: list[dict] = []
    tops_on: dict[pd.Timestamp, dict[str, dict[str, float]]] = {}
    unit_rows = "org_unit" in data.ladder and data.ladder["org_unit"].notna().any()
    for by_name, group, state, date in state_groupings(data, by):
        if date not in tops_on:
            tops_on[date] = tops_by_unit(designed_tops_on(data, date))
        if not unit_rows:
            units = None
        elif by_name == "org_unit":
            units = [group]
        else:
            units = sorted(str(u) for u in state["org_unit"].dropna().unique())
        t_ic, t_m, gaps = designed_overall(tops_on[date], units)
        designed = "designed per unit" if by_name == "org_unit" else "designed overall"
        if inferred:
            designed = INFERRED_TOP
        people = len(state)
        rows.append(row(name, "inferred_ladder_gap" if inferred else "designed_gap",
                        by_name, group, estimate=t_m - t_ic,
                        ci_lower=t_m - t_ic, ci_upper=t_m - t_ic, numerator=t_m,
                        denominator=t_ic, n=people, top_ic_grade=t_ic, top_m_grade=t_m,
                        units_with_gap=gaps, date=str(date.date()), top=designed))
        trk = state["track"]
        realised = realised_tops(state, k)
        r_ic, r_m = realised["IC"], realised["M"]
        rows.append(row(name, "realised_gap", by_name, group, estimate=r_m - r_ic,
                        ci_lower=r_m - r_ic, ci_upper=r_m - r_ic, numerator=r_m,
                        denominator=r_ic, n=people, top_ic_grade=r_ic, top_m_grade=r_m,
                        date=str(date.date()), top="realised"))
        for track, t in (("IC", t_ic), ("M", t_m)):
            on = equals(trk, track)
            x = float((state["grade"].to_numpy(dtype=float, na_value=np.nan)[on] >= t).sum())
            m = float(on.sum())
            lo, hi = stats.wilson_ci(x, m, alpha)
            rows.append(row(name, f"share_at_top_{track.lower()}", by_name, group,
                            estimate=x / m if m else np.nan, ci_lower=float(lo),
                            ci_upper=float(hi), numerator=x, denominator=m, n=m,
                            date=str(date.date()), top=designed))
    notes = [INFERRED_NOTE] if inferred else []
    if data.is_snapshot:
        notes.append("promotion rates not computed: " + SNAPSHOT_NOTE.format(what="promotion"))
    else:
        rows.extend(_promotion_rows(name, data, by, alpha))
    note = "; ".join(notes)
    table = to_table(rows, ("top_ic_grade", "top_m_grade", "units_with_gap", "date", "top",
                            "p_value", "expected_focal", "expected_reference"))
    return indicator_result(name, table, groups=["date", "top"], note=note,
                            ladder_inferred=inferred, **kw)


def _promotion_rows(name: str, data: AuditData, by: By, alpha: float) -> list[dict]:
    exp, rows_in = exposure_cells(data)
    # grades where both tracks can be promoted in some unit: below the highest designed
    # top of any unit on both tracks
    tops = designed_tops_on(data, data.as_of).groupby("track")["top_grade"].max()
    below = min(float(tops.get("IC", np.inf)), float(tops.get("M", np.inf)))
    keep = ["pid", "grade", "person_years"] + [c for c in by_columns(by) if c in exp.columns]
    # views of the cells' columns and two flags: no copy of the 17.8 M rows at 1M people
    e = pd.DataFrame({
        **{c: exp[c] for c in keep},
        "events": equals(exp["event"], "promotion") * rows_in,
        "is_ic": equals(exp["track"], "IC").astype(np.int8),
    }, copy=False)
    labels, g = stacked_groupings(e, by, ["pid", "grade", "is_ic"], ["events", "person_years"])
    n_groups = len(labels)
    gi = g["group_code"].to_numpy(dtype=np.int64)
    pid = g["pid"].to_numpy(dtype=np.int64)
    grade = g["grade"].astype(float).to_numpy()
    grade_codes, levels = pd.factorize(grade, sort=True)
    levels = np.asarray(levels, dtype=float)
    is_ic = g["is_ic"].to_numpy(dtype=np.int64)
    ev_row = g["events"].to_numpy(dtype=float)
    py_row = g["person_years"].to_numpy(dtype=float)
    # pooled over grades below both tops, grade-stratified, one model per group
    low = grade < below
    res = grouped_rate_ratio(gi[low], grade_codes[low], is_ic[low], ev_row[low], py_row[low],
                             pid[low], n_groups, alpha=alpha)
    n_low = distinct_people(gi[low], pid[low], n_groups)
    rows: list[dict | pd.DataFrame] = [
        row(name, "promotion_rate_ratio", by_name, group, estimate=res.at[i, "estimate"],
            ci_lower=res.at[i, "ci_lower"], ci_upper=res.at[i, "ci_upper"],
            numerator=res.at[i, "events_focal"], denominator=res.at[i, "events_reference"],
            n=n_low[i], p_value=res.at[i, "p_value"],
            expected_focal=res.at[i, "expected_focal"],
            expected_reference=res.at[i, "expected_reference"])
        for i, (by_name, group) in enumerate(labels)]
    # per grade: exact conditional interval
    k = len(levels)
    cell = (gi * k + grade_codes) * 2 + is_ic
    size = n_groups * k * 2
    ev = np.bincount(cell, weights=ev_row, minlength=size).reshape(n_groups, k, 2)
    t = np.bincount(cell, weights=py_row, minlength=size).reshape(n_groups, k, 2)
    n = distinct_people(cell, pid, size).reshape(n_groups, k, 2)
    ok_g, ok_k = np.nonzero((t[:, :, 0] > 0) & (t[:, :, 1] > 0))
    if len(ok_g):
        rr, lo, hi, p = stats.rate_ratio_ci(ev[ok_g, ok_k, 1], t[ok_g, ok_k, 1],
                                            ev[ok_g, ok_k, 0], t[ok_g, ok_k, 0], alpha)
        rows.append(pd.DataFrame({
            "grade": levels[ok_k].astype(int), "estimate": rr, "ci_lower": lo,
            "ci_upper": hi, "numerator": ev[ok_g, ok_k, 1], "denominator": ev[ok_g, ok_k, 0],
            "n": n[ok_g, ok_k].sum(axis=1), "p_value": p, "indicator": name,
            "measure": "promotion_rate_ratio", "by": [labels[i][0] for i in ok_g],
            "group": [labels[i][1] for i in ok_g]}))
    return rows


# ---------------------------------------------------------------------------
# Switch premium
# ---------------------------------------------------------------------------

PREMIUM_DEFINITION = (
    "Pay change at a move = FTE base pay on the first day of the next spell / FTE base "
    "pay on the last day of the IC spell - 1. premium: median pay change at an IC → M "
    "switch minus median pay change at an IC promotion from the same grade; pooled over "
    "grades with at least {m} of each, weighted by the grade's number of switches. "
    "numerator: switches; denominator: IC promotions. Positive means management is the "
    "road to pay."
)


def switch_premium(
    data: AuditData,
    *,
    by: By = None,
    alpha: float = 0.05,
    B: int = stats.BOOTSTRAP_B,
    seed: int = stats.BOOTSTRAP_SEED,
    keep_draws: bool = False,
) -> Result:
    r"""Measure how much better a switch to management pays than an IC promotion at the same grade.

    Parameters
    ----------
    data
        The audit data (needs history with pay).
    by
        Optional grouping of the move: ``"org_unit"`` (unit on the last day of the IC
        spell), ``"year"`` (fiscal year of the move) or another exposure column.
    alpha
        1 - confidence level.
    B, seed
        Bootstrap resamples and seed.
    keep_draws
        Keep the bootstrap draws of each pooled premium in
        ``meta["bootstrap_draws"]`` ((by, group) -> array), for a one-sided test
        against a threshold (the profile of :func:`forced_management` reads them and
        drops them before anything is published).

    Returns
    -------
    Result
        Measures: ``premium`` (headline; pooled over grades, and per grade),
        ``median_raise_switch`` and ``median_raise_promotion`` per grade (percentile
        bootstrap CIs). ``n``: the smaller of the two groups' numbers of people
        (a median of fewer than k people's raises is suppressed).
        ``numerator``: switches; ``denominator``: promotions.

    Notes
    -----
    Per grade :math:`g`: :math:`\Delta_g = \mathrm{med}(r^{switch}_g) -
    \mathrm{med}(r^{prom}_g)` with :math:`r = p_{next}/p_{end} - 1`. Pooled:
    :math:`\sum_g w_g \Delta_g` with :math:`w_g` the share of switches at
    :math:`g` among grades with at least ``MIN_PER_GRADE`` switches and
    promotions. The interval is the percentile bootstrap, resampling within
    each (grade, move) group (B draws of each median, drawn exactly by
    :func:`bootstrap_median_draws`), combined with the same weights.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> res = switch_premium(data, by="year", seed=1)  # doctest: +SKIP
    >>> res.plot()  # doctest: +SKIP
    """
    data = check_common(data, "switch_premium", alpha, by)
    B = check_count(B, "B (bootstrap resamples)")
    seed = check_seed(seed)
    name = "switch_premium"
    method = (
        f"Difference of medians per grade; percentile bootstrap within (grade, move) groups, "
        f"B = {B}, seed {seed}; pooled with switch-count weights."
    )
    population = (
        "IC spells ending in an IC → M switch or an IC promotion, with pay before and after."
    )
    definition = PREMIUM_DEFINITION.format(m=MIN_PER_GRADE)
    kw: dict[str, Any] = dict(
        data=data, definition=definition, method=method, population=population,
        headline="premium", alpha=alpha, min_per_grade=MIN_PER_GRADE,
    )
    track = single_track(data)
    if track is not None:
        return unavailable(name, one_track_reason(track, "a switch from IC to M"), **kw)
    if data.is_snapshot:
        return unavailable(name, SNAPSHOT_NOTE.format(what="pay change at a move"), **kw)
    if not has_values(data.history, "pay"):
        return unavailable(name, "the history has no pay (base_salary); map it to compare "
                           "pay changes.", **kw)
    moves = _ic_moves(data)
    ok = (moves["end_pay"] > 0) & (moves["next_pay"] > 0)
    missing = int((~ok).sum())
    moves = moves.loc[ok].assign(change=moves["next_pay"] / moves["end_pay"] - 1.0)
    if not (moves["move"] == "switch").any():
        return unavailable(name, "no IC → M switch with pay before and after is observed.", **kw)
    rng = np.random.default_rng(seed)
    labels, take, codes = stacked_rows(moves, by)
    draws: dict[tuple[str, str], np.ndarray] = {}
    rows = _premium_rows(name, labels, moves.iloc[take], codes, alpha, B, rng, draws)
    table = to_table(rows, ("switches", "promotions"))
    if keep_draws:
        kw["bootstrap_draws"] = draws
    return indicator_result(name, table, excluded={"moves without pay before and after": missing},
                            **kw)


def _ic_moves(data: AuditData) -> pd.DataFrame:
    """IC spells ending in a switch or promotion, with unit and year at the move.

    Derived once per dataset (the switch premium and the Peter-principle signal read
    it); read-only.
    """
    return cached(data, "ic_moves", lambda: _derive_ic_moves(data))


def _derive_ic_moves(data: AuditData) -> pd.DataFrame:
    exp, _ = work_exposure(data)
    sel = (exp["track"] == "IC") & exp["event"].isin(["switch_to_M", "promotion"])
    cols = ["spell_id", "pid", "grade", "event", "stop"] + [
        c for c in ("org_unit", "job_family", "location", "gender") if c in exp.columns]
    last = exp.loc[sel.to_numpy(), cols]
    last["spell_id"] = last["spell_id"].to_numpy(dtype=np.int64)
    sp = data.spells[["spell_id", "end_pay", "next_pay"]]
    sp = sp.assign(spell_id=sp["spell_id"].to_numpy(dtype=np.int64))
    out = last.merge(sp, on="spell_id", how="left")
    out["move"] = np.where((out["event"] == "switch_to_M").to_numpy(), "switch", "promotion")
    out["year"] = fiscal_year(out["stop"], data.fiscal_year_start_month)
    return out


def _premium_rows(
    name: str, labels: list[tuple[str, str]], moves: pd.DataFrame, codes: np.ndarray,
    alpha: float, B: int, rng: np.random.Generator,
    draws_out: dict[tuple[str, str], np.ndarray] | None = None,
) -> list[dict]:
    """The rows of every group (``codes``: each move's group, as :func:`stacked_rows`).

    ``draws_out`` receives the bootstrap draws of each group's pooled premium.

    Groups, then grades, then switches before promotions, in order: the bootstrap
    draws come from ``rng`` in that order.
    """
    q = [alpha / 2, 1 - alpha / 2]
    grade = moves["grade"].astype(float).to_numpy()
    ok = np.isfinite(grade)
    is_prom = (moves["move"] == "promotion").to_numpy()
    # stable: each (group, grade, move) cell keeps the moves' order
    order = np.flatnonzero(ok)[np.lexsort((is_prom[ok], grade[ok], codes[ok]))]
    gi, grd, prom = codes[order], grade[order], is_prom[order]
    change = moves["change"].to_numpy(dtype=float)[order]
    pid = moves["pid"].to_numpy(dtype=np.int64)[order]
    new = np.r_[True, (gi[1:] != gi[:-1]) | (grd[1:] != grd[:-1]) | (prom[1:] != prom[:-1])] \
        if len(order) else np.zeros(0, dtype=bool)
    cell = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    bounds = np.r_[starts, len(order)]
    people = distinct_people(cell, pid, len(starts))
    # the cells of each (group, grade): a switch cell and/or a promotion cell
    cells_of: dict[tuple[int, float], dict[str, int]] = {}
    for c, st in enumerate(starts):
        cells_of.setdefault((int(gi[st]), float(grd[st])), {})[
            "promotion" if prom[st] else "switch"] = c
    pooled_cells: dict[int, list[tuple[int, float, np.ndarray, int, int]]] = {}
    rows: list[dict] = []
    by_group: dict[int, list[dict]] = {}
    for (i, g), cells in cells_of.items():
        by_name, group = labels[i]
        out = by_group.setdefault(i, [])
        meds = {}
        for label in ("switch", "promotion"):
            if label not in cells:
                continue
            c = cells[label]
            x = change[bounds[c]:bounds[c + 1]]
            draws = bootstrap_median_draws(x, B, rng)
            meds[label] = (float(np.median(x)), draws)
            lo, hi = np.quantile(draws, q)
            out.append(row(name, f"median_raise_{label}", by_name, group, grade=int(g),
                           estimate=meds[label][0], ci_lower=lo, ci_upper=hi,
                           numerator=len(x), denominator=np.nan, n=people[c]))
        if len(meds) < 2:
            continue
        cs, cp = cells["switch"], cells["promotion"]
        n_s, n_p = bounds[cs + 1] - bounds[cs], bounds[cp + 1] - bounds[cp]
        diff = meds["switch"][0] - meds["promotion"][0]
        d_draws = meds["switch"][1] - meds["promotion"][1]
        lo, hi = np.quantile(d_draws, q)
        out.append(row(name, "premium", by_name, group, grade=int(g), estimate=diff,
                       ci_lower=lo, ci_upper=hi, numerator=n_s, denominator=n_p,
                       n=min(people[cs], people[cp]), switches=n_s, promotions=n_p))
        if n_s >= MIN_PER_GRADE and n_p >= MIN_PER_GRADE:
            pooled_cells.setdefault(i, []).append((n_s, diff, d_draws, cs, cp))
    # pooled over the grades with enough of both moves, weighted by switches
    in_pool = np.zeros(len(starts), dtype=bool)
    for parts in pooled_cells.values():
        for *_, cs, cp in parts:
            in_pool[[cs, cp]] = True
    pooled_rows = in_pool[cell]
    pool_people = distinct_people(gi[pooled_rows] * 2 + prom[pooled_rows], pid[pooled_rows],
                                  2 * len(labels)).reshape(len(labels), 2)
    for i, (by_name, group) in enumerate(labels):
        rows.extend(by_group.get(i, []))
        parts = pooled_cells.get(i, [])
        n_sw = int(sum(p[0] for p in parts))
        n_pr = int(sum(bounds[p[4] + 1] - bounds[p[4]] for p in parts))
        if parts:
            weight_total = float(sum(w for w, *_ in parts))
            pooled_est = 0.0
            pooled_draws = np.zeros(B)
            for w, diff, draws, *_ in parts:
                pooled_est += w / weight_total * diff
                pooled_draws += w / weight_total * draws
            lo, hi = np.quantile(pooled_draws, q)
            if draws_out is not None:
                draws_out[(by_name, group)] = pooled_draws
        else:
            pooled_est, lo, hi = np.nan, np.nan, np.nan
        rows.append(row(name, "premium", by_name, group, estimate=pooled_est, ci_lower=lo,
                        ci_upper=hi, numerator=n_sw, denominator=n_pr,
                        n=min(pool_people[i, 0], pool_people[i, 1]), switches=n_sw,
                        promotions=n_pr))
    return rows


# ---------------------------------------------------------------------------
# Peter principle
# ---------------------------------------------------------------------------

PETER_DEFINITION = (
    "Rating change at a move = first rating {settle} to {settle_end} months after the move "
    "minus the last rating in the {window} months before it. difference: mean change after "
    "an IC → M switch minus mean change after an IC promotion, within grade (rating "
    "points); std_difference: the same divided by the standard deviation of all ratings. "
    "numerator: switches with both ratings; denominator: promotions with both ratings."
)


def peter_principle(
    data: AuditData,
    *,
    by: By = None,
    window_months: int = 12,
    settle_months: int = 6,
    alpha: float = 0.05,
) -> Result:
    r"""Compare the rating change after a switch to management with that after an IC promotion.

    Parameters
    ----------
    data
        The audit data (needs history and a ratings table).
    by
        Optional grouping of the move (``"org_unit"``, ``"year"``, ...).
    window_months
        How far before the move the last rating may lie, and how wide the window
        after it is.
    settle_months
        The rating after the move is the first one at least this many months after
        it (so that it rates the new role, not the old one).
    alpha
        1 - confidence level.

    Returns
    -------
    Result
        Measures: ``std_difference`` (headline), ``difference`` (rating points),
        ``mean_change_switch``, ``mean_change_promotion``. ``n``: people with a
        move and both ratings.

    Notes
    -----
    OLS of the rating change on a switch indicator with grade intercepts; the
    coefficient is the within-grade difference
    :math:`\bar\Delta_{switch} - \bar\Delta_{promotion}`, its standard error
    clustered by person, interval with a t(G - 1) quantile (G people).
    ``std_difference`` divides estimate and bounds by the standard deviation of
    all ratings in the data (treated as known). A negative value is the Peter
    signal: people do worse after moving into management than after an IC
    promotion. It does not say why (a new role is rated on new criteria).

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> res = peter_principle(data, window_months=12, settle_months=6)  # doctest: +SKIP
    >>> res.table.query("measure == 'std_difference'")  # doctest: +SKIP
    """
    data = check_common(data, "peter_principle", alpha, by)
    window_months = check_count(window_months, "window_months")
    settle_months = check_count(settle_months, "settle_months", low=0)
    name = "peter_principle"
    settle_end = settle_months + window_months
    definition = PETER_DEFINITION.format(settle=settle_months, settle_end=settle_end,
                                         window=window_months)
    method = (
        "OLS of rating change on switch vs promotion with grade intercepts, person-clustered "
        "SE, t(G-1) interval; standardised by the SD of all ratings."
    )
    population = (
        "IC spells ending in an IC → M switch or IC promotion, with a rating before and after."
    )
    kw: dict[str, Any] = dict(
        data=data, definition=definition, method=method, population=population,
        headline="std_difference", alpha=alpha, window_months=window_months,
        settle_months=settle_months,
    )
    track = single_track(data)
    if track is not None:
        return unavailable(name, one_track_reason(track, "a switch from IC to M"), **kw)
    if data.is_snapshot:
        return unavailable(name, SNAPSHOT_NOTE.format(what="move"), **kw)
    ratings = data.ratings
    if ratings is None or not has_values(ratings, "rating"):
        return unavailable(name, "the export has no performance ratings; add a ratings "
                           "table (employee_id, rating_date, rating) to compute it.", **kw)
    moves = _ic_moves(data)
    moves = moves.assign(date=moves["stop"].astype("datetime64[ns]")).sort_values("date")
    _, ids = work_exposure(data)
    rt = ratings[["employee_id", "rating_date", "rating"]].dropna()
    rt = pd.DataFrame({"pid": person_codes(ids, rt["employee_id"]),
                       "rating_date": rt["rating_date"].astype("datetime64[ns]"),
                       "rating": rt["rating"].to_numpy(dtype=float)})
    rt = rt.loc[rt["pid"] >= 0].sort_values("rating_date")
    before = pd.merge_asof(
        moves, rt.rename(columns={"rating": "before", "rating_date": "date"}), on="date",
        by="pid", direction="backward", allow_exact_matches=False,
        tolerance=pd.Timedelta(days=round(window_months * 30.4375)),
    )
    before["from"] = before["date"] + pd.Timedelta(days=round(settle_months * 30.4375))
    before = before.sort_values("from")
    both = pd.merge_asof(
        before, rt.rename(columns={"rating": "after", "rating_date": "from"}), on="from",
        by="pid", direction="forward",
        tolerance=pd.Timedelta(days=round(window_months * 30.4375)),
    )
    both = both.dropna(subset=["before", "after"])
    both = both.assign(change=both["after"] - both["before"],
                       switch=(both["move"] == "switch").astype(float))
    sd = float(ratings["rating"].dropna().astype(float).std())
    rows: list[dict] = []
    for by_name, group, g in groupings(both, by):
        rows.extend(_peter_rows(name, by_name, group, g, sd, alpha))
    table = to_table(rows, ("rating_sd", "df"))
    return indicator_result(name, table, moves_without_ratings=int(len(moves) - len(both)), **kw)


def within_grade_difference(
    y: np.ndarray, x: np.ndarray, strata: np.ndarray, cluster: np.ndarray
) -> tuple[float, float, int]:
    r"""OLS slope of ``y`` on a 0/1 ``x`` with stratum intercepts, person-clustered SE.

    Returns
    -------
    (beta, se, G)
        The within-stratum difference, its cluster-robust standard error with
        statsmodels' small-sample factor :math:`\frac{G}{G-1}\frac{N-1}{N-K}`
        (:math:`K` = 1 + number of strata), and the number of clusters G.

    Notes
    -----
    By Frisch–Waugh, :math:`\hat\beta = \sum \tilde x_i y_i / \sum \tilde x_i^2`
    with :math:`\tilde x` = ``x`` minus its stratum mean, and the sandwich is
    :math:`\sum_g (\sum_{i \in g} \tilde x_i e_i)^2 / (\sum \tilde x_i^2)^2`.
    Equal to ``statsmodels`` OLS with stratum dummies and ``cov_type="cluster"``
    (checked in the tests).
    """
    n_s = int(strata.max()) + 1
    cnt = np.bincount(strata, minlength=n_s).astype(float)
    xt = x - (np.bincount(strata, weights=x, minlength=n_s) / np.maximum(cnt, 1))[strata]
    yt = y - (np.bincount(strata, weights=y, minlength=n_s) / np.maximum(cnt, 1))[strata]
    sxx = float(xt @ xt)
    if sxx <= 0:
        return np.nan, np.nan, 0
    beta = float(xt @ yt) / sxx
    resid = yt - beta * xt
    u = np.bincount(cluster, weights=xt * resid)
    n_g = int((np.bincount(cluster) > 0).sum())
    n, k = len(y), 1 + int((cnt > 0).sum())
    factor = n_g / (n_g - 1) * (n - 1) / (n - k) if n_g > 1 and n > k else np.nan
    return beta, float(np.sqrt(factor * (u @ u)) / sxx), n_g


def _peter_rows(
    name: str, by: str, group: str, g: pd.DataFrame, sd: float, alpha: float
) -> list[dict]:
    rows: list[dict] = []
    people = g["pid"].nunique()
    ns = int((g["switch"] == 1).sum())
    npr = int((g["switch"] == 0).sum())
    for label, sel in (("switch", g["switch"] == 1), ("promotion", g["switch"] == 0)):
        x = g.loc[sel, "change"].to_numpy()
        m = float(x.mean()) if len(x) else np.nan
        se = float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else np.nan
        m_lo, m_hi, _ = stats.wald(m, se, alpha=alpha, df=max(len(x) - 1, 1))
        rows.append(row(name, f"mean_change_{label}", by, group, estimate=m,
                        ci_lower=float(m_lo), ci_upper=float(m_hi), numerator=len(x),
                        denominator=np.nan,
                        n=g.loc[sel, "pid"].nunique(), rating_sd=sd))
    est = lo = hi = df = np.nan
    if ns >= 2 and npr >= 2 and people >= 3:
        b, se, n_groups = within_grade_difference(
            g["change"].to_numpy(dtype=float), g["switch"].to_numpy(dtype=float),
            pd.factorize(g["grade"])[0], pd.factorize(g["pid"])[0])
        df = float(max(n_groups - 1, 1))
        lo_, hi_, _ = stats.wald(b, se, alpha=alpha, df=df)
        est, lo, hi = b, float(lo_), float(hi_)
    rows.append(row(name, "difference", by, group, estimate=est, ci_lower=lo, ci_upper=hi,
                    numerator=ns, denominator=npr, n=people, rating_sd=sd, df=df))
    scale = sd if sd > 0 else np.nan
    rows.append(row(name, "std_difference", by, group, estimate=est / scale,
                    ci_lower=lo / scale, ci_upper=hi / scale, numerator=ns, denominator=npr,
                    n=people, rating_sd=sd, df=df))
    return rows
