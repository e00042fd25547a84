"""Who switches: IC->M switch rates by group (gender, ethnicity, age band) within grade."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pathaudit import stats
from pathaudit.management_common import (
    SNAPSHOT_NOTE,
    By,
    by_columns,
    cell_totals,
    has_values,
    indicator_result,
    person_codes,
    rows_frame,
    summed_groupings,
    to_table,
    unavailable,
    work_exposure,
)
from pathaudit.management_rates import stratified_rate_ratio
from pathaudit.result import Result

if TYPE_CHECKING:
    from pathaudit.data import AuditData

GROUP_ATTRIBUTES: tuple[str, ...] = ("gender", "ethnicity", "age_band")
"""People attributes :func:`who_switches` compares, where present."""

WHO_DEFINITION = (
    "IC->M switch rate per 100 IC person-years, by group within grade. switch_rate: "
    "switches (numerator) / IC person-years (denominator), times 100. rate_ratio: a "
    "group's switch rate / the reference group's (the group with the most IC "
    "person-time), within grade (per grade) or pooled over grades (grade-stratified)."
)


def who_switches(
    data: AuditData,
    *,
    attributes: tuple[str, ...] = GROUP_ATTRIBUTES,
    by: By = None,
    alpha: float = 0.05,
) -> Result:
    r"""Compare switch rates into management by group within grade (who is moved, who is not).

    Parameters
    ----------
    data
        The audit data (needs history and at least one of ``attributes`` in ``people``).
    attributes
        People columns to compare (those absent or empty are skipped).
    by
        Optional grouping column of the exposure table (e.g. ``"org_unit"``, ``"year"``).
    alpha
        1 - confidence level.

    Returns
    -------
    Result
        Table columns besides the shared ones: ``attribute``, ``category``,
        ``reference`` (the category compared against), ``person_years``, ``p_value``.
        Measures: ``rate_ratio`` (headline; pooled over grades, grade-stratified,
        one row per non-reference category), ``rate_ratio_within_grade`` (exact
        conditional CI) and ``switch_rate`` (per 100 person-years, Garwood CI), per
        grade and pooled. ``numerator``: switches of the category; ``denominator``:
        its IC person-years (rates) or the reference category's switches (ratios).

    Notes
    -----
    Pooled rate ratio: :math:`\exp(\beta_c)` of the Poisson model
    :math:`\log E[d] = \alpha_g + \beta_c + \log PY` with grade intercepts,
    person-clustered sandwich CI. Within a grade: the exact conditional
    (binomial) interval. Rates are attributed to the grade and unit the person
    had at the time (exposure table).
    """
    name = "who_switches"
    method = (
        "Switch rates with exact Poisson (Garwood) CIs; within-grade rate ratios with exact "
        "conditional CIs; pooled rate ratios from grade-stratified Poisson regression with "
        "person-clustered sandwich CIs."
    )
    population = "IC person-time (exposure), with the people attributes of the episode."
    kw = dict(data=data, definition=WHO_DEFINITION, method=method, population=population,
              headline="rate_ratio", alpha=alpha)
    if data.is_snapshot:
        return unavailable(name, SNAPSHOT_NOTE.format(what="switch"), **kw)
    present = [a for a in attributes if has_values(data.people, a)]
    if not present:
        return unavailable(name, f"the people table has none of {list(attributes)} "
                           "with values; map a gender (or other group) column.", **kw)
    exp, ids = work_exposure(data)
    keep = ["pid", "episode", "grade", "person_years"] + [
        c for c in by_columns(by) if c in exp.columns and c not in present]
    ic = exp.loc[(exp["track"] == "IC").to_numpy(), keep]
    ic["events"] = (exp.loc[(exp["track"] == "IC").to_numpy(), "event"] == "switch_to_M").to_numpy(
        dtype=np.int64)
    attrs = data.people[["employee_id", "episode"] + present].assign(
        pid=person_codes(ids, data.people["employee_id"]),
        episode=data.people["episode"].to_numpy(dtype=np.int64))
    attrs = attrs.loc[attrs["pid"] >= 0].drop(columns="employee_id")
    for c in present:
        attrs[c] = attrs[c].astype("category")
    ic = ic.merge(attrs, on=["pid", "episode"], how="left")
    rows: list[dict] = []
    for attribute in present:
        sub = ic.loc[ic[attribute].notna().to_numpy()]
        sub = sub.assign(category=sub[attribute].cat.remove_unused_categories())
        for by_name, group, g in summed_groupings(sub, by, ["pid", "grade", "category"],
                                                  ["events", "person_years"]):
            rows.extend(_who_rows(name, attribute, by_name, group, g, alpha))
    table = to_table(rows, ("attribute", "category", "reference", "person_years", "p_value"))
    return indicator_result(name, table, attributes=present, **kw)


def _who_rows(
    name: str, attribute: str, by: str, group: str, g: pd.DataFrame, alpha: float
) -> list[pd.DataFrame]:
    # g is summed within (person, grade, category): a row is one person at one grade
    codes, cats_all = pd.factorize(g["category"].astype(str))
    m = len(cats_all)
    if m == 0:
        return []
    levels, ev, t, n, _ = cell_totals(g["grade"].to_numpy(dtype=float), codes, m, g["events"],
                                      g["person_years"], g["pid"])
    pid = g["pid"].to_numpy(dtype=np.int64)
    n_cat = np.bincount(np.unique(pid * m + codes) % m, minlength=m).astype(float)
    ev_k, t_k = ev.sum(axis=0), t.sum(axis=0)
    order = sorted((k for k in range(m) if t_k[k] > 0), key=lambda k: (-t_k[k], cats_all[k]))
    if not order:
        return []
    cats = [str(cats_all[k]) for k in order]
    ref_k, ref = order[0], cats[0]
    # rates: every (grade, category) cell with person-time, then pooled per category
    gi, ki = np.nonzero(t > 0)
    r_ev = np.r_[ev[gi, ki], ev_k[order]]
    r_t = np.r_[t[gi, ki], t_k[order]]
    lo, hi = stats.poisson_rate_ci(r_ev, r_t, alpha)
    grades = pd.array(np.r_[levels[gi].astype(float), np.full(len(order), np.nan)],
                      dtype="Float64").astype("Int64")
    out = [rows_frame(name, "switch_rate", by, group, grade=grades, estimate=100 * r_ev / r_t,
                      ci_lower=100 * lo, ci_upper=100 * hi, numerator=r_ev, denominator=r_t,
                      n=np.r_[n[gi, ki], n_cat[order]], attribute=attribute,
                      category=[str(cats_all[k]) for k in ki] + cats, reference=ref,
                      person_years=r_t)]
    # within-grade rate ratios against the reference category
    for k in order[1:]:
        ok = (t[:, k] > 0) & (t[:, ref_k] > 0)
        if not ok.any():
            continue
        rr, rlo, rhi, p = stats.rate_ratio_ci(ev[ok, k], t[ok, k], ev[ok, ref_k], t[ok, ref_k],
                                              alpha)
        out.append(rows_frame(
            name, "rate_ratio_within_grade", by, group, grade=levels[ok].astype(int),
            estimate=rr, ci_lower=rlo, ci_upper=rhi, numerator=ev[ok, k],
            denominator=ev[ok, ref_k], n=np.minimum(n[ok, k], n[ok, ref_k]),
            attribute=attribute, category=str(cats_all[k]), reference=ref,
            person_years=t[ok, k], p_value=p))
    # pooled over grades, grade-stratified
    if len(order) > 1:
        focal = [f"cat_{i}" for i in range(1, len(order))]
        design = pd.DataFrame({"pid": pid, "grade": g["grade"].to_numpy(),
                               "events": g["events"].to_numpy(dtype=float),
                               "person_years": g["person_years"].to_numpy(dtype=float)})
        for f, k in zip(focal, order[1:], strict=True):
            design[f] = (codes == k).astype(np.int64)
        res = stratified_rate_ratio(design, focal=focal, strata="grade", cluster="pid",
                                    alpha=alpha)
        others = np.array(order[1:])
        out.append(rows_frame(
            name, "rate_ratio", by, group, grade=pd.NA, estimate=res["estimate"].to_numpy(),
            ci_lower=res["ci_lower"].to_numpy(), ci_upper=res["ci_upper"].to_numpy(),
            numerator=res["events_focal"].to_numpy(),
            denominator=res["events_reference"].to_numpy(),
            n=np.minimum(n_cat[others], n_cat[ref_k]), attribute=attribute,
            category=cats[1:], reference=ref, person_years=t_k[others],
            p_value=res["p_value"].to_numpy(), expected_focal=res["expected_focal"].to_numpy(),
            expected_reference=res["expected_reference"].to_numpy()))
    return out
