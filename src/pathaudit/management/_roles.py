"""Forced-into-management indicators about who holds management roles.

Nominal managers (management titles without a team) and preference mismatch
(managers who say they would rather be ICs). Both are cross-sections on a date
and so work on snapshot-only exports too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pathaudit import stats
from pathaudit.derived.population import current_state
from pathaudit.management._common import (
    By,
    check_common,
    check_count,
    equals,
    has_values,
    indicator_result,
    one_track_reason,
    row,
    single_track,
    to_table,
    unavailable,
)
from pathaudit.management._pay import state_groupings
from pathaudit.result import Result

if TYPE_CHECKING:
    from pathaudit.data import AuditData

NOMINAL_DEFINITION = (
    "share: M-track people employed on the date with fewer than {m} direct reports "
    "(numerator) / all M-track people employed on the date (denominator). A direct report "
    "is a person employed on the date whose job record in force names the manager in "
    "manager_id (reports anywhere in the organisation count). share_no_reports: the same "
    "with no direct report at all."
)


MIN_MANAGER_MATCH = 0.5
"""Least share of records whose manager_id names an employee for nominal managers to be
computed (see :func:`manager_match_rate`)."""


def manager_match_rate(data: AuditData) -> tuple[float, str]:
    """Share of job records whose ``manager_id`` is the ``employee_id`` of someone in the data.

    Read over the M-track people's records with a manager_id (a manager's own manager is
    in the export unless they are at the top); where no M-track record has one, over every
    record with a manager_id. Returns the share and which records it was read over.
    """
    h = data.history
    # every ID in the data, looked up by a hash index (no Python set of strings)
    ids = pd.Index(pd.concat([data.people["employee_id"], h["employee_id"]]).astype("str")
                   .drop_duplicates())
    named = h["manager_id"].notna()
    on_m = named & equals(h["track"], "M")
    sel, basis = (on_m, "M-track people's job records") if on_m.any() else (
        named, "job records")
    values = h.loc[sel, "manager_id"].astype("str")
    return float((ids.get_indexer(values) >= 0).mean()), basis


def nominal_managers(
    data: AuditData, *, by: By = None, min_reports: int = 2, alpha: float = 0.05
) -> Result:
    """Measure the share of managers with (almost) no team to manage.

    Parameters
    ----------
    data
        The audit data (history or snapshot) with ``manager_id``.
    by
        Optional grouping: ``"org_unit"`` (the manager's unit), ``"year"`` (each
        fiscal-year end) or another current-state column.
    min_reports
        A manager with fewer direct reports than this is nominal (default 2).
    alpha
        1 - confidence level.

    Returns
    -------
    Result
        Measures ``share`` (headline) and ``share_no_reports``, Wilson CIs.
        Extra column ``date``. ``meta["manager_id_missing"]``: share of the
        people employed on ``as_of`` whose manager is not recorded (the count of
        reports is a lower bound when it is high).

    Notes
    -----
    Reports are counted among everyone employed on the date after the
    population filters: a manager whose team is mostly excluded (e.g. interns
    filtered out) looks nominal. A manager title can also be a grade label
    without people-management duties; that is what this figure finds.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> res = nominal_managers(data, min_reports=3)  # doctest: +SKIP
    >>> res.table.query("measure == 'share'")  # doctest: +SKIP
    """
    data = check_common(data, "nominal_managers", alpha, by)
    min_reports = check_count(min_reports, "min_reports")
    name = "nominal_managers"
    definition = NOMINAL_DEFINITION.format(m=min_reports)
    method = "Count of direct reports from manager_id on the date; Wilson CI for the share."
    population = "M-track people employed on the date."
    kw: dict[str, Any] = dict(
        data=data, definition=definition, method=method, population=population, headline="share",
        alpha=alpha, min_reports=min_reports
    )
    track = single_track(data)
    if track == "IC":
        return unavailable(name, one_track_reason(track, "counting managers' reports"), **kw)
    if not has_values(data.history, "manager_id"):
        return unavailable(name, "the export has no manager_id, so direct reports cannot be "
                           "counted; map the manager column.", **kw)
    match, basis = manager_match_rate(data)
    kw["manager_id_match"] = match
    if match < MIN_MANAGER_MATCH:
        return unavailable(
            name, f"only {match:.0%} of {basis} with a manager_id name an employee of the "
            f"data (at least {MIN_MANAGER_MATCH:.0%} needed): manager_id seems to use another "
            "ID space (e.g. position numbers) or the managers are outside the export, so "
            "direct reports cannot be counted. Map a manager column holding employee IDs.",
            **kw)
    full: dict[pd.Timestamp, pd.Series] = {}
    rows: list[dict] = []
    missing_share = np.nan
    for by_name, group, state, date in state_groupings(data, by):
        if date not in full:
            # the state of a year or of the organisation is everyone employed that day
            everyone = state if by_name in ("overall", "year") else current_state(data, date)
            full[date] = everyone["manager_id"].dropna().astype(str).value_counts()
            if by_name == "overall" and len(everyone):
                missing_share = float(everyone["manager_id"].isna().mean())
        reports = full[date]
        mgr = state.loc[equals(state["track"], "M")]
        count = mgr["employee_id"].astype(str).map(reports).fillna(0).to_numpy()
        m = float(len(mgr))
        for measure, hit in (("share", count < min_reports), ("share_no_reports", count == 0)):
            x = float(hit.sum())
            lo, hi = stats.wilson_ci(x, m, alpha)
            rows.append(row(name, measure, by_name, group, estimate=x / m if m else np.nan,
                            ci_lower=float(lo), ci_upper=float(hi), numerator=x, denominator=m,
                            n=m, date=str(pd.Timestamp(date).date())))
    table = to_table(rows, ("date",))
    return indicator_result(name, table, groups=["date"], manager_id_missing=missing_share,
                            **kw)


MISMATCH_DEFINITION = (
    "share: M-track people employed on the date whose stated career preference is IC "
    "(numerator) / M-track people employed on the date with a stated preference "
    "(denominator). share_ic_preferring_m: the converse among ICs. coverage: managers with "
    "a stated preference / all managers."
)


def preference_mismatch(
    data: AuditData, *, by: By = None, alpha: float = 0.05
) -> Result:
    """Measure the share of managers who say they would rather be individual contributors.

    Parameters
    ----------
    data
        The audit data with ``career_preference`` in ``people`` (a survey field).
    by
        Optional grouping: ``"org_unit"``, ``"year"`` (each fiscal-year end, with the
        preference as recorded) or another current-state column.
    alpha
        1 - confidence level.

    Returns
    -------
    Result
        Measures ``share`` (headline), ``share_ic_preferring_m`` and ``coverage``,
        Wilson CIs.

    Notes
    -----
    The survey field is one answer per employment episode, usually the latest;
    the over-time figure therefore reads today's stated preference against each
    year's track. People who did not answer are left out of the share (their
    count is the complement of ``coverage``); if non-response differs by how
    people feel about their role, the share is off in an unknown direction.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> res = preference_mismatch(data, by="org_unit")  # doctest: +SKIP
    >>> res.table.query("measure == 'coverage'")  # doctest: +SKIP
    """
    data = check_common(data, "preference_mismatch", alpha, by)
    name = "preference_mismatch"
    method = "Share of managers stating an IC preference, Wilson CI."
    population = "M-track people employed on the date with a stated career preference."
    kw: dict[str, Any] = dict(
        data=data, definition=MISMATCH_DEFINITION, method=method, population=population,
        headline="share", alpha=alpha
    )
    track = single_track(data)
    if track == "IC":
        return unavailable(
            name, one_track_reason(track, "comparing managers' stated preference"), **kw)
    if not has_values(data.people, "career_preference"):
        return unavailable(name, "the export has no career_preference (survey) field; map it "
                           "to compare stated preference with the track held.", **kw)
    rows: list[dict] = []
    for by_name, group, state, date in state_groupings(data, by):
        is_m, is_ic = equals(state["track"], "M"), equals(state["track"], "IC")
        pref = state["career_preference"].astype("string")
        for measure, on, want in (("share", is_m, "IC"), ("share_ic_preferring_m", is_ic, "M")):
            stated = on & pref.notna()
            m = float(stated.sum())
            x = float((stated & (pref == want)).sum())
            lo, hi = stats.wilson_ci(x, m, alpha)
            rows.append(row(name, measure, by_name, group, estimate=x / m if m else np.nan,
                            ci_lower=float(lo), ci_upper=float(hi), numerator=x, denominator=m,
                            n=m, date=str(pd.Timestamp(date).date())))
        mgr = is_m
        m = float(mgr.sum())
        x = float((mgr & pref.notna()).sum())
        lo, hi = stats.wilson_ci(x, m, alpha)
        rows.append(row(name, "coverage", by_name, group, estimate=x / m if m else np.nan,
                        ci_lower=float(lo), ci_upper=float(hi), numerator=x, denominator=m,
                        n=m, date=str(pd.Timestamp(date).date())))
    table = to_table(rows, ("date",))
    return indicator_result(name, table, groups=["date"], **kw)
