"""Stalled-then-switched: whether stalled ICs switch to management more than others.

Stalled ICs are compared with ICs still progressing at the same grade. The stall
threshold per grade (:func:`stall_thresholds`), the split of IC person-time at it
(:func:`split_at_stall`) and the indicator (:func:`stalled_then_switched`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pathaudit import stats
from pathaudit.checks import check_columns, check_data
from pathaudit.derived.ladder import designed_overall_on
from pathaudit.derived.population import distinct_people
from pathaudit.errors import ArgumentError
from pathaudit.management._common import (
    SNAPSHOT_NOTE,
    WORK_ATTRIBUTES,
    By,
    by_columns,
    cached,
    check_common,
    equals,
    indicator_result,
    one_track_reason,
    row,
    single_track,
    stacked_groupings,
    to_table,
    unavailable,
    work_exposure,
)
from pathaudit.management._rates import grouped_rate_ratio
from pathaudit.result import Result
from pathaudit.stats.survival import aalen_johansen

if TYPE_CHECKING:
    from pathaudit.data import AuditData

STALL_DEFINITION = (
    "An IC is stalled once their time in level exceeds the IC median time to promotion "
    "from their grade (the time at which the Aalen–Johansen cumulative incidence of "
    "promotion, with exit, switch, demotion and lateral moves competing, reaches 50%; "
    "where it never does, the 75th percentile of time to promotion among those promoted; "
    "at and above the top of the IC ladder, the threshold of the grade below). "
    "share_stalled: IC → M switches made while stalled "
    "(numerator) / all IC → M switches from grades with a stall threshold (denominator). "
    "hazard_ratio: "
    "IC → M switch rate while stalled / while not stalled, within grade."
)


def _check_threshold_by(value: Any, data: AuditData, name: str) -> str | None:
    """None or one attribute column of the data (thresholds are set within its groups)."""
    if value is None:
        return None
    present = set(data.history.columns) | set(data.people.columns)
    options = [c for c in WORK_ATTRIBUTES
               if c in present and c not in ("gender", "ethnicity", "age_band")]
    if not isinstance(value, str):
        raise ArgumentError(f"{name} must be None or one column name among {options}; "
                            f"got {value!r}.")
    check_columns(value, name, options, where="the spells")
    return value


def _ic_spells_with_known_start(data: AuditData) -> pd.DataFrame:
    """IC spells whose start (and so time in level) is known.

    A spell whose start was set to a hire date before ``history_start`` (the
    first record is dated later) has an unknown time in level and is left out.
    """
    return cached(data, "ic_spells_with_known_start", lambda: _ic_known_start(data))


_KNOWN_START_COLUMNS = ("spell_id", "employee_id", "grade", "end_reason", "duration", "entry",
                        *WORK_ATTRIBUTES)
"""The spell columns the stall thresholds and the indicator read (only these are kept)."""


def _ic_known_start(data: AuditData) -> pd.DataFrame:
    sp = data.spells
    keep = equals(sp["track"], "IC")
    if "start_imputed" in sp.columns:
        keep = keep & ~(sp["start_imputed"].to_numpy(dtype=bool, na_value=False)
                        & (sp["start"] < data.history_start).to_numpy(dtype=bool,
                                                                      na_value=False))
    return sp.loc[keep, [c for c in _KNOWN_START_COLUMNS if c in sp.columns]]


def _member(ids: pd.Series, among: np.ndarray) -> np.ndarray:
    """``ids.isin(among)`` as a numpy bool array; by a lookup table when IDs are small ints."""
    values = ids.to_numpy(dtype=np.int64, na_value=-1)
    top = int(max(values.max(initial=-1), among.max(initial=-1)))
    if top < 4 * len(values) + 1024 and (among >= 0).all() and values.min(initial=0) >= -1:
        table = np.zeros(top + 2, dtype=bool)  # the last entry: a missing ID (-1)
        table[among] = True
        return table[values]
    return ids.isin(among).to_numpy(dtype=bool, na_value=False)


def _org_ic_top(data: AuditData) -> float:
    """The organisation's designed IC top on as-of (``inf`` without a ladder or IC rows)."""
    if data.ladder is None or len(data.ladder) == 0:
        return np.inf
    top = designed_overall_on(data, data.as_of)[0]
    return float(top) if np.isfinite(top) else np.inf


def stall_thresholds(data: AuditData, *, by: str | None = None) -> pd.DataFrame:
    r"""Years in level after which an IC at each grade counts as stalled.

    Parameters
    ----------
    data
        The audit data (history export).
    by
        Optional spells column (e.g. ``"org_unit"``): thresholds are then set
        within each of its groups, from the spells that started there, and the
        result has that column too.

    Returns
    -------
    pandas.DataFrame
        One row per IC grade: ``grade``, ``threshold`` (years), ``rule``
        (``"median"``, ``"p75_promoted"``, ``"grade_below"`` at and above the
        organisation's designed IC top or where nobody was promoted, or
        ``"none"`` when no grade below has a threshold either), ``spells``,
        ``promotions``, ``n`` (people).

    Notes
    -----
    The median time to promotion is the first time :math:`t` with
    :math:`F_{promotion}(t) \ge 0.5` (Aalen–Johansen, delayed entry for spells
    begun before ``history_start``; every other way a spell ends competes).
    When the cumulative incidence never reaches 0.5 (promotion is not the usual
    way out of the grade), the threshold is the 75th percentile of time to
    promotion among those promoted: the first :math:`t` with
    :math:`F(t) \ge 0.75\, F(t_{max})`, :math:`t_{max}` the last event time
    (the censoring-aware version of "the 75th percentile among those promoted").
    At and above the organisation's designed IC top on ``as_of`` (the
    "designed overall" top of :func:`pathaudit.derived.ladder.designed_overall_on`:
    the organisation-wide ladder where units only add IC levels) nobody can be
    promoted, except in units that added IC levels, so such grades take the
    threshold of the grade below the top (an IC at the ceiling longer than the
    usual time to promotion is stalled there); a grade below it with no
    promotion takes the threshold of the nearest grade below that has one.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> stall_thresholds(data, by="org_unit")  # doctest: +SKIP
    """
    data = check_data(data, "stall_thresholds")
    by = _check_threshold_by(by, data, "by")
    ic = _ic_spells_with_known_start(data)
    top = _org_ic_top(data)
    cols = ["grade", "threshold", "rule", "spells", "promotions", "n"]
    if by is None:
        return _thresholds(ic, top, np.zeros(len(ic), dtype=np.int64))[cols]
    codes, values = pd.factorize(ic[by], sort=True)
    out = _thresholds(ic, top, codes)
    out.insert(0, by, np.asarray(values, dtype=object)[out["group"].to_numpy(dtype=np.int64)])
    return out[[by, *cols]] if len(out) else pd.DataFrame(columns=[by, *cols])


def _thresholds(ic: pd.DataFrame, top: float, group: np.ndarray) -> pd.DataFrame:
    """Thresholds per (group, grade) of IC spells; ``group`` codes (-1: left out)."""
    grade = ic["grade"].to_numpy(dtype=float, na_value=np.nan)
    keep = (group >= 0) & np.isfinite(grade)
    # sort by (group, grade), stably: each cell keeps the spells' order
    order = np.flatnonzero(keep)[np.lexsort((grade[keep], group[keep]))]
    grp, grd = group[order], grade[order]
    promoted_all = equals(ic["end_reason"], "promotion")[order]
    censored = equals(ic["end_reason"], "censored")[order]
    duration = ic["duration"].to_numpy()[order]
    entry = ic["entry"].to_numpy()[order]
    pid = pd.factorize(ic["employee_id"])[0][order]
    new = np.r_[True, (grp[1:] != grp[:-1]) | (grd[1:] != grd[:-1])] if len(order) else \
        np.zeros(0, dtype=bool)
    cell = np.cumsum(new) - 1
    bounds = np.r_[np.flatnonzero(new), len(order)]
    people = distinct_people(cell, pid, len(bounds) - 1)
    status_all = np.where(promoted_all, 1, np.where(censored, 0, 2))
    rows = []
    for c in range(len(bounds) - 1):
        sl = slice(bounds[c], bounds[c + 1])
        g = grd[bounds[c]]
        promoted = promoted_all[sl]
        thr, rule = np.nan, "none"
        if promoted.any() and g < top:
            fit = aalen_johansen(duration[sl], status_all[sl], entry[sl], causes=(1, 2))
            f = fit.cif[:, 0]
            reached = np.nonzero(f >= 0.5)[0]
            if len(reached):
                thr, rule = float(fit.time[reached[0]]), "median"
            else:
                thr = float(fit.time[np.nonzero(f >= 0.75 * f[-1] - 1e-12)[0][0]])
                rule = "p75_promoted"
        rows.append(
            {
                "group": int(grp[bounds[c]]),
                "grade": int(g),
                "threshold": thr,
                "rule": rule,
                "spells": bounds[c + 1] - bounds[c],
                "promotions": int(promoted.sum()),
                "n": int(people[c]),
            }
        )
    out = pd.DataFrame(rows, columns=["group", "grade", "threshold", "rule", "spells",
                                      "promotions", "n"])
    if len(out):
        # a grade without a threshold takes that of the nearest grade below, in its group
        borrowed = out.groupby("group", sort=False)["threshold"].ffill()
        take = out["threshold"].isna() & borrowed.notna()
        out.loc[take, "rule"] = "grade_below"
        out["threshold"] = borrowed
    out["grade"] = out["grade"].astype("Int64")
    return out


def split_at_stall(
    exposure: pd.DataFrame, thresholds: np.ndarray, columns: list[str] | None = None
) -> pd.DataFrame:
    """Split IC exposure rows at the stall threshold of their grade.

    Parameters
    ----------
    exposure
        IC rows of the exposure table (``time_in_spell``, ``person_years``, ``event``).
    thresholds
        Stall threshold in years of each row (NaN: no threshold, row left out).
    columns
        The columns of ``exposure`` carried to the pieces (default all but
        ``person_years``): only those are copied.

    Returns
    -------
    pandas.DataFrame
        The rows with finite thresholds, each cut in up to two pieces, with
        ``stalled`` (0/1), ``person_years`` of the piece and ``switch`` (1 when
        the piece ends with an IC → M switch).
    """
    thr = np.asarray(thresholds, dtype=float)
    keep = np.flatnonzero(np.isfinite(thr))
    thr = thr[keep]
    a = exposure["time_in_spell"].to_numpy(dtype=float)[keep]
    b = a + exposure["person_years"].to_numpy(dtype=float)[keep]
    sw = (exposure["event"] == "switch_to_M").to_numpy()[keep]
    before = np.clip(np.minimum(b, thr) - a, 0, None)
    after = np.clip(b - np.maximum(a, thr), 0, None)
    ends_stalled = b > thr
    first, second = before > 0, after > 0  # the progressing pieces, then the stalled ones
    # one take of the rows (no copy per piece): progressing pieces first, then stalled
    carried = [c for c in exposure.columns if c != "person_years"] if columns is None else \
        [c for c in columns if c != "person_years"]
    out = exposure[carried].iloc[
        np.concatenate([keep[first], keep[second]])].reset_index(drop=True)
    out["stalled"] = np.repeat(np.array([0, 1]), [int(first.sum()), int(second.sum())])
    out["person_years"] = np.concatenate([before[first], after[second]])
    out["switch"] = np.concatenate([(sw & ~ends_stalled)[first],
                                    (sw & ends_stalled)[second]]).astype(int)
    return out


def stalled_then_switched(
    data: AuditData, *, by: By = None, threshold_by: str | None = None, alpha: float = 0.05
) -> Result:
    r"""Measure whether stalled ICs switch to management more than ICs still progressing.

    Parameters
    ----------
    data
        The audit data (needs effective-dated history).
    by
        Optional grouping column of the exposure table (``"org_unit"``, ``"year"``,
        ``"job_family"``, ``"location"``); the overall figures always come first.
    threshold_by
        Set the stall thresholds within each group of this column (e.g.
        ``"org_unit"`` when units run ladders of their own) instead of once for the
        organisation; the exposure is matched to them on the same column.
    alpha
        1 - confidence level.

    Returns
    -------
    Result
        Table rows (``measure``):

        ``hazard_ratio`` (headline)
            IC → M switch hazard while stalled vs not stalled, grade-stratified.
            ``numerator`` = switches while stalled, ``denominator`` = switches
            while not stalled; ``stalled_person_years``, ``progressing_person_years``.
        ``share_stalled``
            Share of IC → M switches made while stalled (Wilson CI).
            ``numerator`` = stalled switches, ``denominator`` = all switches.
        ``rate_ratio`` (per grade)
            The same contrast within one grade, exact conditional CI.

        ``tables["thresholds"]``: the stall threshold per grade (see
        :func:`stall_thresholds`).

    Notes
    -----
    With :math:`\tau_g` the stall threshold of grade :math:`g`, each IC's
    person-time at grade :math:`g` is cut at time-in-level :math:`\tau_g`. The
    hazard ratio is :math:`\exp(\beta)` of the Poisson model
    :math:`\log E[d] = \alpha_g + \beta\,\mathrm{stalled} + \log PY`, whose
    estimate is the hazard ratio when the switch hazard is constant within
    grade and stall status (piecewise-constant hazards). A Cox model on time in
    level cannot separate stall status from its own time scale. Intervals use the
    sandwich variance clustered by person. Grades with no threshold (no
    promotion from them or from any grade below) are left out and counted.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> res = stalled_then_switched(data, threshold_by="org_unit")  # doctest: +SKIP
    >>> res.tables["thresholds"]  # doctest: +SKIP
    """
    data = check_common(data, "stalled_then_switched", alpha, by)
    threshold_by = _check_threshold_by(threshold_by, data, "threshold_by")
    name = "stalled_then_switched"
    method = (
        "Stall threshold per grade from the Aalen–Johansen cumulative incidence of IC "
        "promotion (delayed entry); Poisson regression of IC → M switches on stall status "
        "with grade intercepts and a log person-time offset, person-clustered sandwich CI; "
        "Wilson CI for the share; exact conditional CI per grade."
    )
    population = "IC person-time (exposure) at grades from which ICs are promoted."
    kw: dict[str, Any] = dict(
        data=data, definition=STALL_DEFINITION, method=method, population=population,
        headline="hazard_ratio", alpha=alpha,
    )
    track = single_track(data)
    if track is not None:
        return unavailable(name, one_track_reason(track, "a switch from IC to M"), **kw)
    if data.is_snapshot:
        return unavailable(name, SNAPSHOT_NOTE.format(what="time in level or switch"), **kw)
    thr = stall_thresholds(data, by=threshold_by)
    exp, _ = work_exposure(data)
    known = _ic_spells_with_known_start(data)["spell_id"].to_numpy(dtype=np.int64)
    is_ic = (exp["track"] == "IC").to_numpy()
    cols = ["pid", "grade", "event", "person_years", "time_in_spell"] + [
        c for c in {*by_columns(by), *([threshold_by] if threshold_by else [])}
        if c in exp.columns]
    use = is_ic & _member(exp["spell_id"], known)
    # views of the exposure columns: the rows used are chosen by their threshold (NaN
    # elsewhere), and split_at_stall takes them once (no copy of the IC rows before it)
    ic = pd.DataFrame({c: exp[c] for c in cols}, copy=False)
    py_all = exp["person_years"].to_numpy(dtype=float)
    ic_py = float(py_all[use].sum())
    unknown_start_py = float(py_all[is_ic].sum() - ic_py)
    if not use.any() or thr["threshold"].notna().sum() == 0:
        return unavailable(name, "no IC promotions are observed, so no stall threshold "
                           "can be set.", **kw)
    if threshold_by is None:
        # one row per grade in thr: look each row's grade up by position, not per value
        at = pd.Index(thr["grade"].to_numpy(dtype=float)).get_indexer(
            ic["grade"].to_numpy(dtype=float, na_value=np.nan))
        per_row = np.where(at >= 0, thr["threshold"].to_numpy(dtype=float)[at], np.nan)
    else:
        key = pd.MultiIndex.from_arrays([ic[threshold_by].astype(str), ic["grade"].astype(float)])
        lookup = pd.Series(thr["threshold"].to_numpy(dtype=float), index=pd.MultiIndex.from_arrays(
            [thr[threshold_by].astype(str), thr["grade"].astype(float)]))
        per_row = lookup.reindex(key).to_numpy(dtype=float)
    per_row = np.where(use, per_row, np.nan)
    carry = list(dict.fromkeys(["pid", "grade", *(c for c in by_columns(by) if c in ic)]))
    pieces = split_at_stall(ic, per_row, columns=carry)
    excluded_py = float(ic_py - pieces["person_years"].sum())
    labels, stacked = stacked_groupings(pieces, by, ["pid", "grade", "stalled"],
                                        ["switch", "person_years"])
    rows = _stall_rows(name, labels, stacked, alpha)
    table = to_table(rows, ("stalled_person_years", "progressing_person_years", "p_value",
                            "expected_focal", "expected_reference"))
    thr_table = thr.copy()
    return indicator_result(
        name,
        table,
        tables={"thresholds": (thr_table, ["grade"])},
        excluded={
            "IC person-years at grades without a stall threshold": round(excluded_py, 2),
            "IC person-years in spells whose start (time in level) is unknown": round(
                unknown_start_py, 2),
        },
        **kw,
    )


def _stall_rows(
    name: str, labels: list[tuple[str, str]], g: pd.DataFrame, alpha: float
) -> list[dict | pd.DataFrame]:
    """The rows of every group at once (``g`` from :func:`stacked_groupings`)."""
    n_groups = len(labels)
    gi = g["group_code"].to_numpy(dtype=np.int64)
    pid = g["pid"].to_numpy(dtype=np.int64)
    grade_codes, levels = pd.factorize(g["grade"].astype(float), sort=True)
    levels = np.asarray(levels, dtype=float)
    stalled = g["stalled"].to_numpy(dtype=np.int64)
    switch = g["switch"].to_numpy(dtype=float)
    py = g["person_years"].to_numpy(dtype=float)

    n_people = distinct_people(gi, pid, n_groups)
    sw_people = distinct_people(gi[switch > 0], pid[switch > 0], n_groups)
    n_sw = np.bincount(gi, weights=switch, minlength=n_groups)
    n_st = np.bincount(gi, weights=switch * stalled, minlength=n_groups)
    py1 = np.bincount(gi, weights=py * stalled, minlength=n_groups)
    py0 = np.bincount(gi, weights=py * (1 - stalled), minlength=n_groups)
    lo, hi = stats.wilson_ci(n_st, n_sw, alpha)
    hr = grouped_rate_ratio(gi, grade_codes, stalled, switch, py, pid, n_groups, alpha=alpha)
    rows: list[dict | pd.DataFrame] = []
    for i, (by, group) in enumerate(labels):
        rows.append(row(name, "hazard_ratio", by, group, estimate=hr.at[i, "estimate"],
                        ci_lower=hr.at[i, "ci_lower"], ci_upper=hr.at[i, "ci_upper"],
                        numerator=n_st[i], denominator=n_sw[i] - n_st[i], n=n_people[i],
                        stalled_person_years=py1[i], progressing_person_years=py0[i],
                        p_value=hr.at[i, "p_value"],
                        expected_focal=hr.at[i, "expected_focal"],
                        expected_reference=hr.at[i, "expected_reference"]))
        rows.append(row(name, "share_stalled", by, group,
                        estimate=n_st[i] / n_sw[i] if n_sw[i] else np.nan,
                        ci_lower=float(lo[i]), ci_upper=float(hi[i]), numerator=n_st[i],
                        denominator=n_sw[i], n=sw_people[i]))
    # per grade: the same contrast within one grade, exact conditional interval
    k = len(levels)
    cell = (gi * k + grade_codes) * 2 + stalled
    ev = np.bincount(cell, weights=switch, minlength=n_groups * k * 2).reshape(n_groups, k, 2)
    t = np.bincount(cell, weights=py, minlength=n_groups * k * 2).reshape(n_groups, k, 2)
    n_grade = distinct_people(gi * k + grade_codes, pid, n_groups * k).reshape(n_groups, k)
    ok_g, ok_k = np.nonzero((t[:, :, 0] > 0) & (t[:, :, 1] > 0))
    if len(ok_g):
        rr, rlo, rhi, p = stats.rate_ratio_ci(ev[ok_g, ok_k, 1], t[ok_g, ok_k, 1],
                                              ev[ok_g, ok_k, 0], t[ok_g, ok_k, 0], alpha)
        frame = pd.DataFrame({
            "grade": levels[ok_k].astype(int), "estimate": rr, "ci_lower": rlo,
            "ci_upper": rhi, "numerator": ev[ok_g, ok_k, 1], "denominator": ev[ok_g, ok_k, 0],
            "n": n_grade[ok_g, ok_k], "stalled_person_years": t[ok_g, ok_k, 1],
            "progressing_person_years": t[ok_g, ok_k, 0], "p_value": p,
            "indicator": name, "measure": "rate_ratio",
            "by": [labels[i][0] for i in ok_g], "group": [labels[i][1] for i in ok_g]})
        rows.append(frame)
    return rows
