"""Forced-into-management indicator: attrition after a switch into management.

Uses the matched post-switch design of :mod:`pathaudit.stats.matching` (the same one
the attrition analysis reports), split by unit or year where asked.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pathaudit.derived.calendar import fiscal_year
from pathaudit.errors import ArgumentError, StatisticalWarning
from pathaudit.management._common import (
    SNAPSHOT_NOTE,
    By,
    by_columns,
    check_common,
    check_count,
    check_seed,
    groupings,
    indicator_result,
    one_track_reason,
    person_codes,
    row,
    single_track,
    to_table,
    unavailable,
    work_exposure,
)
from pathaudit.result import Result
from pathaudit.stats.intervals import BOOTSTRAP_SEED
from pathaudit.stats.labels import direction_label
from pathaudit.stats.matching import EXIT_KINDS, exit_hr_figures, post_switch_matched

if TYPE_CHECKING:
    from pathaudit.data import AuditData

ATTRITION_DEFINITION = (
    "Exit hazard within {months} months of an IC → M switch, switchers vs up to {c} ICs "
    "per switch at the same grade and unit within +-1 year of tenure who had not switched "
    "(controls who switch later are censored then). hazard_ratio: switchers' exit hazard "
    "/ controls' (numerator: switchers' exits; denominator: controls' exits in "
    "follow-up). exit_rate_switchers / exit_rate_controls: exits per 100 person-years of "
    "follow-up."
)


def post_switch_attrition(
    data: AuditData,
    *,
    by: By = None,
    horizon_months: int = 24,
    n_controls: int = 5,
    seed: int = BOOTSTRAP_SEED,
    alpha: float = 0.05,
    matched: pd.DataFrame | None = None,
) -> Result:
    """Compare exits after a switch into management with those of comparable ICs who stayed.

    Parameters
    ----------
    data
        The audit data (needs history).
    by
        Optional grouping of the switch: ``"org_unit"`` (unit at the switch; the
        controls share it), ``"year"`` (fiscal year of the switch date), or another
        attribute the switcher had on the switch date (``"job_family"``,
        ``"location"``, ``"gender"``), given to the whole matched set.
    horizon_months, n_controls, seed
        Design of :func:`pathaudit.stats.matching.post_switch_matched`.
    alpha
        1 - confidence level.
    matched
        The matched design, when already built.

    Returns
    -------
    Result
        Measures: ``hazard_ratio`` (headline; extra columns ``p_value``, ``mde``,
        ``n_sets``), ``exit_rate_switchers`` and ``exit_rate_controls`` (per 100
        person-years, Garwood CIs). ``n``: distinct people in the model (or in the
        group, for rates).

    Notes
    -----
    Cox model stratified by matched set, time since switch, person-clustered
    sandwich errors (:func:`pathaudit.stats.matching.post_switch_exit_hr`). A hazard
    ratio is a ratio of exit rates among those still employed, not of
    probabilities of leaving. Matching on grade, unit and tenure leaves other
    differences (performance, manager, preference) in place. Where a group has
    no exit among switchers or among controls, its ratio is not estimable and is
    left missing.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> res = post_switch_attrition(data, by="org_unit")  # doctest: +SKIP
    >>> res.table.query("measure == 'hazard_ratio'")  # doctest: +SKIP
    """
    data = check_common(data, "post_switch_attrition", alpha, by)
    horizon_months = check_count(horizon_months, "horizon_months")
    n_controls = check_count(n_controls, "n_controls")
    seed = check_seed(seed)
    if matched is not None and not isinstance(matched, pd.DataFrame):
        raise ArgumentError(
            "matched must be None or the matched design (a DataFrame from "
            f"pathaudit.stats.matching.post_switch_matched); got {type(matched).__name__}."
        )
    name = "post_switch_attrition"
    definition = ATTRITION_DEFINITION.format(months=horizon_months, c=n_controls)
    method = (
        "Matched design (pathaudit.stats.matching): Cox model stratified by matched set, Breslow "
        "ties, person-clustered sandwich SE, Wald CI on the log scale; Garwood CIs for rates."
    )
    population = "IC → M switches in the observed window and their matched ICs."
    kw: dict[str, Any] = dict(
        data=data, definition=definition, method=method, population=population,
        headline="hazard_ratio", alpha=alpha, horizon_months=horizon_months,
        n_controls=n_controls,
    )
    track = single_track(data)
    if track is not None:
        return unavailable(name, one_track_reason(track, "a switch from IC to M"), **kw)
    if data.is_snapshot:
        return unavailable(name, SNAPSHOT_NOTE.format(what="switch date"), **kw)
    if matched is None:
        matched = post_switch_matched(data, direction="IC->M", horizon_months=horizon_months,
                                      n_controls=n_controls, seed=seed)
    if len(matched) == 0:
        return unavailable(name, "no IC → M switch is observed in the history.", **kw)
    sets = matched.assign(
        year=fiscal_year(matched["switch_date"], data.fiscal_year_start_month),
    )
    extra = [c for c in by_columns(by) if c not in sets.columns]
    if extra:
        sets = _with_switch_attributes(data, sets, extra)
    # the model's inputs as numbers once (person and set codes, exit flags), not per scope
    sets = sets.assign(
        _person=pd.factorize(sets["employee_id"])[0],
        _set=pd.factorize(sets["set_id"])[0],
        _event=sets["end_reason"].isin(EXIT_KINDS["all"]).to_numpy(),
    )
    rows: list[dict] = []
    notes: list[str] = []
    for by_name, group, g in groupings(sets, by):
        rows.extend(_hr_rows(name, by_name, group, g, alpha, data.min_cell_size, notes))
    table = to_table(rows, ("p_value", "mde", "n_sets", "person_years", "expected_focal",
                            "expected_reference"))
    if "suppressed" in table:  # the two-sided rule's mark, last as in every published table
        table = table[[c for c in table.columns if c != "suppressed"] + ["suppressed"]]
    return indicator_result(name, table, note="; ".join(notes), **kw)


def _with_switch_attributes(data: AuditData, sets: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Give every member of a matched set the switcher's attributes on the switch date."""
    exp, ids = work_exposure(data)
    cols = [c for c in cols if c in exp.columns]
    if not cols:
        return sets
    sel = ((exp["track"] == "IC") & (exp["event"] == "switch_to_M")).to_numpy()
    at_switch = exp.loc[sel, ["pid", "stop", *cols]]
    at_switch = at_switch.assign(stop=at_switch["stop"].astype("datetime64[ns]"))
    who = sets.loc[sets["switched"] == 1, ["set_id", "employee_id", "switch_date"]]
    who = pd.DataFrame({"set_id": who["set_id"].to_numpy(),
                        "pid": person_codes(ids, who["employee_id"]),
                        "stop": who["switch_date"].astype("datetime64[ns]").to_numpy()})
    attrs = who.merge(at_switch, on=["pid", "stop"], how="left")
    attrs = attrs.drop_duplicates("set_id").set_index("set_id")[cols]
    return sets.join(attrs, on="set_id")


def _hr_rows(
    name: str, by: str, group: str, g: pd.DataFrame, alpha: float, k: int, notes: list[str],
) -> list[dict]:
    rows: list[dict] = []
    used = g.loc[g["n_controls"] > 0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StatisticalWarning)
        hr, rates = exit_hr_figures(
            used["time"].to_numpy(dtype=float), used["_event"].to_numpy(dtype=bool),
            used["switched"].to_numpy() == 1, used["_person"].to_numpy(),
            used["_set"].to_numpy(), alpha=alpha,
            what=f"exit after an {direction_label('IC', 'M')} switch",
        )
    for w in caught:
        if issubclass(w.category, StatisticalWarning):
            notes.append(f"{by}={group}: {w.message}")
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    # the figures unsuppressed: suppression happens once, in our own result, on ``n``; the
    # ratio compares two sides, so it is also marked suppressed when either side has fewer
    # than k people (as post_switch_exit_hr's SIDE_COUNTS): its events would otherwise show
    # the exits of a side too small to publish
    rows.append(row(name, "hazard_ratio", by, group,
                    estimate=hr["estimate"], ci_lower=hr["ci_lower"], ci_upper=hr["ci_upper"],
                    numerator=hr["events_switchers"], denominator=hr["events_controls"],
                    n=float(hr["n"]), p_value=hr["p_value"], mde=hr["mde"],
                    n_sets=float(hr["n_sets"]),
                    suppressed=bool(min(hr["n_switchers"], hr["n_controls"]) < k)))
    ev = np.array([r["events"] for r in rates], dtype=float)
    py = np.array([r["person_years"] for r in rates], dtype=float)
    share = py[0] / py.sum() if np.isfinite(py).all() and py.sum() > 0 else np.nan
    rows[-1]["expected_focal"] = float(np.nansum(ev) * share)
    rows[-1]["expected_reference"] = float(np.nansum(ev) * (1 - share))
    for r in rates:
        rows.append(row(name, f"exit_rate_{r['group']}", by, group, estimate=r["estimate"],
                        ci_lower=r["ci_lower"], ci_upper=r["ci_upper"],
                        numerator=r["events"], denominator=r["person_years"], n=r["n"],
                        person_years=r["person_years"], suppressed=False))
    return rows
