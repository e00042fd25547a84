"""Who switches: IC → M switch rates by group (gender, ethnicity, age band) within grade."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pathaudit import stats
from pathaudit.derived.population import distinct_people
from pathaudit.errors import ArgumentError
from pathaudit.management._common import (
    SNAPSHOT_NOTE,
    By,
    by_columns,
    cell_totals,
    check_common,
    equals,
    exposure_cells,
    has_values,
    indicator_result,
    one_track_reason,
    person_codes,
    single_track,
    stacked_groupings,
    to_table,
    unavailable,
    work_exposure,
)
from pathaudit.management._rates import grouped_rate_ratio, rate_ratio_arrays
from pathaudit.result import Result

if TYPE_CHECKING:
    from pathaudit.data import AuditData

GROUP_ATTRIBUTES: tuple[str, ...] = ("gender", "ethnicity", "age_band")
"""People attributes :func:`who_switches` compares, where present."""

WHO_DEFINITION = (
    "IC → M switch rate per 100 IC person-years, by group within grade. switch_rate: "
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

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> res = who_switches(data, attributes=("gender",))  # doctest: +SKIP
    >>> res.table.query("measure == 'rate_ratio'")  # doctest: +SKIP
    """
    data = check_common(data, "who_switches", alpha, by)
    if isinstance(attributes, str):
        attributes = (attributes,)
    if not isinstance(attributes, Sequence) or not all(isinstance(a, str) for a in attributes) \
            or not attributes:
        raise ArgumentError(
            f"attributes must name people columns to compare, e.g. ('gender',); got "
            f"{attributes!r}."
        )
    attributes = tuple(attributes)
    name = "who_switches"
    method = (
        "Switch rates with exact Poisson (Garwood) CIs; within-grade rate ratios with exact "
        "conditional CIs; pooled rate ratios from grade-stratified Poisson regression with "
        "person-clustered sandwich CIs."
    )
    population = "IC person-time (exposure), with the people attributes of the episode."
    kw: dict[str, Any] = dict(
        data=data, definition=WHO_DEFINITION, method=method, population=population,
        headline="rate_ratio", alpha=alpha
    )
    track = single_track(data)
    if track is not None:
        return unavailable(name, one_track_reason(track, "a switch from IC to M"), **kw)
    if data.is_snapshot:
        return unavailable(name, SNAPSHOT_NOTE.format(what="switch"), **kw)
    present = [a for a in attributes if has_values(data.people, a)]
    if not present:
        return unavailable(name, f"the people table has none of {list(attributes)} "
                           "with values; map a gender (or other group) column.", **kw)
    _, ids = work_exposure(data)
    exp, rows_in = exposure_cells(data)  # person-time summed within person cells
    # the exposure table carries the episode's people attributes it knows (gender,
    # ethnicity, age band): read them there; others come from people by (person, episode)
    carried = [a for a in present if a in exp.columns]
    merged = [a for a in present if a not in carried]
    keep = list(dict.fromkeys(
        ["pid", "grade", "person_years", *(["episode"] if merged else []), *carried,
         *(c for c in by_columns(by) if c in exp.columns and c not in merged)]))
    is_ic = (exp["track"] == "IC").to_numpy()
    # views of the exposure columns and an int8 flag; the IC rows are chosen by position
    # (no copy of the rows)
    ic = pd.DataFrame({**{c: exp[c] for c in keep},
                       "events": equals(exp["event"], "switch_to_M") * rows_in},
                      copy=False)
    ic_rows: np.ndarray | None = np.flatnonzero(is_ic)
    if merged:
        ic, ic_rows = ic.iloc[ic_rows], None
        ic["episode"] = ic["episode"].to_numpy(dtype=np.int64)
        attrs = data.people[["employee_id", "episode"] + merged].assign(
            pid=person_codes(ids, data.people["employee_id"]),
            episode=data.people["episode"].to_numpy(dtype=np.int64))
        attrs = attrs.loc[attrs["pid"] >= 0].drop(columns="employee_id")
        for c in merged:
            attrs[c] = attrs[c].astype("category")
        ic = ic.merge(attrs, on=["pid", "episode"], how="left")
    rows: list[dict] = []
    for attribute in present:
        # rows without a value of the attribute count nowhere (a missing key)
        labels, stacked = stacked_groupings(ic.assign(category=ic[attribute]), by,
                                            ["pid", "grade", "category"],
                                            ["events", "person_years"], rows=ic_rows)
        rows.extend(_who_rows(name, attribute, labels, stacked, alpha))
    table = to_table(rows, ("attribute", "category", "reference", "person_years", "p_value"))
    return indicator_result(name, table, groups=["attribute", "category", "reference"],
                            attributes=present, **kw)


def _who_rows(
    name: str, attribute: str, labels: list[tuple[str, str]], g: pd.DataFrame, alpha: float
) -> list[pd.DataFrame]:
    """The rows of every group (``g`` from :func:`stacked_groupings`), in one table.

    Within each group: the switch rates, the within-grade ratios of each category
    against the reference (the category with the most IC person-time), the pooled
    ratios. Categories are listed in the order they first appear in the group.
    """
    # g is summed within (group, person, grade, category): a row is one person at one grade
    by_group = np.argsort(g["group_code"].to_numpy(dtype=np.int64), kind="stable")
    code = g["group_code"].to_numpy(dtype=np.int64)[by_group]
    pid_all = g["pid"].to_numpy(dtype=np.int64)[by_group]
    grade_all = g["grade"].to_numpy(dtype=float)[by_group]
    ev_all = g["events"].to_numpy(dtype=float)[by_group]
    py_all = g["person_years"].to_numpy(dtype=float)[by_group]
    category = g["category"]
    if isinstance(category.dtype, pd.CategoricalDtype):  # its codes, not text per row
        cat_all = category.cat.codes.to_numpy(dtype=np.int64)[by_group]
        cat_names = np.asarray(category.cat.categories.astype(str), dtype=object)
    else:
        cat_all, cat_names = pd.factorize(category.astype(str).to_numpy()[by_group])
        cat_names = np.asarray(cat_names, dtype=object)
    grade_code_all = pd.factorize(grade_all)[0]  # strata of the joint models (any numbering)
    stride = len(cat_names) + 2  # sort key: group * stride + part (rates, each ratio, pooled)
    starts = np.searchsorted(code, np.arange(len(labels) + 1))
    rate: dict[str, list] = {k: [] for k in ("key", "grade", "ev", "t", "n", "cat", "ref")}
    within: dict[str, list] = {k: [] for k in ("key", "grade", "ev", "t", "ev0", "t0", "n",
                                               "cat", "ref")}
    pooled: dict[str, list] = {k: [] for k in ("key", "n", "cat", "ref", "t")}
    two: list[tuple[np.ndarray, np.ndarray]] = []  # rows and focal side of 2-category groups
    fits: list[tuple[int, pd.DataFrame | None]] = []  # per group with a pooled ratio
    for i in range(len(labels)):
        sl = slice(starts[i], starts[i + 1])
        codes, cats = pd.factorize(cat_all[sl])
        m = len(cats)
        if m == 0:
            continue
        names = cat_names[cats]
        pid = pid_all[sl]
        levels, ev, t, n, _ = cell_totals(grade_all[sl], codes, m, ev_all[sl], py_all[sl], pid)
        n_cat = distinct_people(codes, pid, m)
        ev_k, t_k = ev.sum(axis=0), t.sum(axis=0)
        order = sorted((k for k in range(m) if t_k[k] > 0), key=lambda k: (-t_k[k], names[k]))
        if not order:
            continue
        ref_k, ref = order[0], str(names[order[0]])
        # rates: every (grade, category) cell with person-time, then pooled per category
        gi, ki = np.nonzero(t > 0)
        size = len(gi) + len(order)
        rate["key"].append(np.full(size, i * stride))
        rate["grade"].append(np.r_[levels[gi].astype(float), np.full(len(order), np.nan)])
        rate["ev"].append(np.r_[ev[gi, ki], ev_k[order]])
        rate["t"].append(np.r_[t[gi, ki], t_k[order]])
        rate["n"].append(np.r_[n[gi, ki], n_cat[order]])
        rate["cat"].append(np.r_[names[ki], names[order]])
        rate["ref"].append(np.full(size, ref, dtype=object))
        # within-grade rate ratios against the reference category
        for j, k in enumerate(order[1:], start=1):
            ok = (t[:, k] > 0) & (t[:, ref_k] > 0)
            within["key"].append(np.full(ok.sum(), i * stride + j))
            within["grade"].append(levels[ok].astype(int))
            within["ev"].append(ev[ok, k])
            within["t"].append(t[ok, k])
            within["ev0"].append(ev[ok, ref_k])
            within["t0"].append(t[ok, ref_k])
            within["n"].append(np.minimum(n[ok, k], n[ok, ref_k]))
            within["cat"].append(np.full(ok.sum(), str(names[k]), dtype=object))
            within["ref"].append(np.full(ok.sum(), ref, dtype=object))
        # pooled over grades, grade-stratified
        if len(order) > 1:
            others = np.array(order[1:])
            pooled["key"].append(np.full(len(others), i * stride + stride - 1))
            pooled["n"].append(np.minimum(n_cat[others], n_cat[ref_k]))
            pooled["cat"].append(names[others])
            pooled["ref"].append(np.full(len(others), ref, dtype=object))
            pooled["t"].append(t_k[others])
            if len(order) == 2:  # one ratio: fitted with every such group at once below
                two.append((np.arange(sl.start, sl.stop), codes == order[1]))
                fits.append((i, None))
            else:  # several categories: one joint model
                focal = [f"cat_{j}" for j in range(1, len(order))]
                indicators = (codes[:, None] == np.asarray(order[1:])[None, :]).astype(float)
                fits.append((i, rate_ratio_arrays(ev_all[sl], py_all[sl], indicators,
                                                  grade_code_all[sl], pid, focal, alpha=alpha)))
    if not rate["key"]:
        return []

    def joined(parts: dict[str, list], col: str) -> np.ndarray:
        return np.concatenate(parts[col])

    r_ev, r_t = joined(rate, "ev"), joined(rate, "t")
    lo, hi = stats.poisson_rate_ci(r_ev, r_t, alpha)
    frames = [pd.DataFrame({
        "grade": pd.array(joined(rate, "grade"), dtype="Float64").astype("Int64"),
        "estimate": 100 * r_ev / r_t, "ci_lower": 100 * lo, "ci_upper": 100 * hi,
        "numerator": r_ev, "denominator": r_t, "n": joined(rate, "n"), "attribute": attribute,
        "category": joined(rate, "cat").astype(str), "reference": joined(rate, "ref").astype(str),
        "person_years": r_t, "measure": "switch_rate", "_key": joined(rate, "key")})]
    if within["key"] and len(joined(within, "key")):
        rr, rlo, rhi, p = stats.rate_ratio_ci(joined(within, "ev"), joined(within, "t"),
                                              joined(within, "ev0"), joined(within, "t0"), alpha)
        frames.append(pd.DataFrame({
            "grade": joined(within, "grade"), "estimate": rr, "ci_lower": rlo, "ci_upper": rhi,
            "numerator": joined(within, "ev"), "denominator": joined(within, "ev0"),
            "n": joined(within, "n"), "attribute": attribute,
            "category": joined(within, "cat").astype(str),
            "reference": joined(within, "ref").astype(str), "person_years": joined(within, "t"),
            "p_value": p, "measure": "rate_ratio_within_grade", "_key": joined(within, "key")}))
    if fits:
        res = _pooled_ratios(fits, two, (code, pid_all, grade_all, ev_all, py_all),
                             len(labels), alpha)
        frames.append(pd.DataFrame({
            "grade": pd.NA, "estimate": res["estimate"].to_numpy(),
            "ci_lower": res["ci_lower"].to_numpy(), "ci_upper": res["ci_upper"].to_numpy(),
            "numerator": res["events_focal"].to_numpy(),
            "denominator": res["events_reference"].to_numpy(), "n": joined(pooled, "n"),
            "attribute": attribute, "category": joined(pooled, "cat").astype(str),
            "reference": joined(pooled, "ref").astype(str), "person_years": joined(pooled, "t"),
            "p_value": res["p_value"].to_numpy(),
            "expected_focal": res["expected_focal"].to_numpy(),
            "expected_reference": res["expected_reference"].to_numpy(),
            "measure": "rate_ratio", "_key": joined(pooled, "key")}))
    out = pd.concat(frames, ignore_index=True)
    out = out.iloc[np.argsort(out["_key"].to_numpy(), kind="stable")].reset_index(drop=True)
    group = out["_key"].to_numpy() // stride
    out["indicator"] = name
    out["by"] = [labels[i][0] for i in group]
    out["group"] = [labels[i][1] for i in group]
    return [out.drop(columns="_key")]


def _pooled_ratios(
    fits: list[tuple[int, pd.DataFrame | None]],
    two: list[tuple[np.ndarray, np.ndarray]],
    rows: tuple[np.ndarray, ...],
    n_groups: int,
    alpha: float,
) -> pd.DataFrame:
    """Pooled ratios in ``fits`` order: 2-category groups in one vectorised fit."""
    code, pid, grade, ev, py = rows
    cols = ["estimate", "ci_lower", "ci_upper", "p_value", "events_focal", "events_reference",
            "expected_focal", "expected_reference"]
    together = None
    if two:
        idx = np.concatenate([r for r, _ in two])
        focal = np.concatenate([f for _, f in two]).astype(np.int64)
        together = grouped_rate_ratio(code[idx], pd.factorize(grade[idx])[0], focal, ev[idx],
                                      py[idx], pid[idx], n_groups, alpha=alpha)
    parts = []
    for i, res in fits:
        if res is None:  # a 2-category group: its row of the pooled fit
            if together is None:
                raise RuntimeError("a 2-category group was left out of the pooled fit")
            res = together.iloc[[i]]
        parts.append(res[cols])
    return pd.concat(parts, ignore_index=True)
