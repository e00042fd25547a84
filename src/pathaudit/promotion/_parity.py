"""Promotion parity by a demographic group within track, and the four-fifths impact ratio.

Within each track, each group (e.g. of ``gender``) is compared with the largest
group of the same track: the difference in the probability of promotion within
the headline horizon (compared within grade), the cause-specific hazard ratio,
and the annual promotion proportion over the highest group's (the impact ratio
of the four-fifths rule, 29 CFR 1607.4(D)).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pathaudit import stats
from pathaudit.data import AuditData
from pathaudit.errors import PathauditError, StatisticalWarning
from pathaudit.promotion._hazard import promotion_hazard_ratios
from pathaudit.promotion._incidence import cif_difference, cumulative_incidence
from pathaudit.promotion._population import n_people, person_codes
from pathaudit.result import Result, Table, make_result

if TYPE_CHECKING:
    from matplotlib.axes import Axes

FOUR_FIFTHS = 0.8
"""The four-fifths rule threshold of the impact ratio (29 CFR 1607.4(D))."""


def _log_ratio_se(
    y: np.ndarray, pid: np.ndarray, grp: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Proportion per group and the person-clustered SE of its log (ratio estimator)."""
    n = np.bincount(grp, minlength=n_groups).astype(float)
    s = np.bincount(grp, y, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = s / n
    # cluster = (group, person): residual totals y - p * 1 per person within group
    n_pid = pid.max() + 1 if len(pid) else 1
    key = grp.astype(np.int64) * n_pid + pid
    codes, inv = np.unique(key, return_inverse=True)
    resid = y - p[grp]
    tot = np.bincount(inv, resid)
    g_of = (codes // n_pid).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        var_p = np.bincount(g_of, tot**2, minlength=n_groups) / n**2
        se_log = np.sqrt(var_p) / p
    return p, se_log, n


def impact_ratios(
    spells: pd.DataFrame,
    group: str = "gender",
    history_start: object | None = None,
    as_of: object | None = None,
    alpha: float = 0.05,
) -> dict[str, pd.DataFrame]:
    """Annual promotion proportions by group within track, and the four-fifths impact ratio.

    Parameters
    ----------
    spells
        Output of :func:`promotion_spells` (spells below the top of their track).
    group
        Demographic column compared (default ``"gender"``).
    history_start, as_of
        The window: every calendar year whose 1 January is on or after
        ``history_start`` and whose 31 December is on or before ``as_of``.
    alpha
        1 - confidence level.

    Returns
    -------
    dict of pandas.DataFrame
        ``"pooled"``: per ``track`` and group: ``estimate`` (impact ratio:
        the group's promotion proportion over the highest group's in the same
        track), ``ci_lower``, ``ci_upper``, ``proportion``, ``proportion_lower``,
        ``proportion_upper`` (Wilson), ``promoted``, ``eligible`` (person-years),
        ``n`` (people), ``reference`` (the highest group), ``n_reference`` (its
        people: the ratio rests on both groups),
        ``below_four_fifths`` (estimate < 0.8, the rule as written),
        ``ci_below_four_fifths`` (the whole interval below 0.8).
        ``"by_year"``: the same per calendar ``year``.

    Notes
    -----
    Eligible: a person in a spell below the top of their track on 1 January
    of the year (their track on that day). Promoted: the same person promoted
    (any promotion in the same employment episode) during that calendar year.
    Proportion = promoted / eligible, pooled over years. Impact ratio (29 CFR
    1607.4(D)): proportion of each group / proportion of the group with the
    highest proportion; below 0.8 is "evidence of adverse impact" under the
    rule of thumb, which is not a test of significance. Interval: Wald on the
    log ratio with person-clustered variances of each proportion (a person is
    eligible in several years), groups treated as independent; for one year
    this is the Katz log interval.
    """
    if group not in spells.columns:
        return {"pooled": pd.DataFrame(), "by_year": pd.DataFrame()}
    sp = spells
    if history_start is not None:
        hs = pd.Timestamp(history_start)
        y0 = hs.year if (hs.month, hs.day) == (1, 1) else hs.year + 1
    else:
        y0 = int(sp["start"].min().year) + 1
    as_of_ts = pd.Timestamp(as_of) if as_of is not None else sp["stop"].max() - pd.Timedelta(days=1)
    y1 = as_of_ts.year if (as_of_ts.month, as_of_ts.day) == (12, 31) else as_of_ts.year - 1
    if y1 < y0:
        return {"pooled": pd.DataFrame(), "by_year": pd.DataFrame()}
    # 1 January of year Y lies in [start, stop) iff first_y <= Y <= last_y
    st = sp["start"]
    first_y = st.dt.year.to_numpy() + (~((st.dt.month == 1) & (st.dt.day == 1))).to_numpy(int)
    last_day = sp["stop"] - pd.Timedelta(days=1)
    last_y = last_day.dt.year.to_numpy()
    first = np.maximum(first_y, y0)
    last = np.minimum(last_y, y1)
    cnt = np.clip(last - first + 1, 0, None)
    rep = np.repeat(np.arange(len(sp)), cnt)
    within = np.arange(len(rep)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    year = first[rep] + within
    # promoted in year Y: this spell ends in a promotion whose last day in the old level
    # falls in Y (a promotion effective 1 January Y+1 belongs to Y)
    promoted = (sp["cause"].to_numpy() == 1)[rep] & (last_y[rep] == year)
    elig = pd.DataFrame(
        {
            "year": year,
            # text columns as categoricals whose categories sort as the text does (the
            # groups and their order are those of the text), people as integer codes
            "track": _sorted_categorical(sp["track"], rep),
            "grp": _sorted_categorical(sp[group], rep),
            "employee_id": person_codes(sp["employee_id"])[rep],
            "promoted": promoted.astype(float),
        }
    )
    elig = elig.loc[sp[group].notna().to_numpy()[rep]]
    pooled = _impact_table(elig, ["track"], alpha)
    by_year = _impact_table(elig, ["track", "year"], alpha)
    if len(by_year):
        by_year["year"] = pd.array(by_year["year"], dtype="Int64")
    return {"pooled": pooled, "by_year": by_year}


def _sorted_categorical(col: pd.Series, rows: np.ndarray) -> pd.Categorical:
    """``col.astype("str")[rows]`` as a categorical with its categories in text order."""
    codes, labels = pd.factorize(col.astype("str"), sort=True)
    return pd.Categorical.from_codes(codes[rows], categories=pd.Index(labels))


def _impact_table(elig: pd.DataFrame, keys: list[str], alpha: float) -> pd.DataFrame:
    rows = []
    for lab, part in elig.groupby(keys, sort=True):
        lab = lab if isinstance(lab, tuple) else (lab,)
        gcodes, glabels = pd.factorize(part["grp"], sort=True)
        pcodes = pd.factorize(part["employee_id"])[0]
        y = part["promoted"].to_numpy(dtype=float)
        p, se_log, n = _log_ratio_se(y, pcodes, gcodes, len(glabels))
        people = np.array([n_people(pcodes, gcodes == j) for j in range(len(glabels))])
        plo, phi = stats.wilson_ci(p * n, n, alpha)
        # nobody promoted in any group: proportions only, no ratio to take
        ref = int(np.nanargmax(p)) if np.nanmax(p) > 0 else -1
        for j, gl in enumerate(glabels):
            if ref < 0:
                est, lo, hi = np.nan, np.nan, np.nan
            elif j == ref:
                est, lo, hi = 1.0, np.nan, np.nan
            else:
                est = p[j] / p[ref]
                se = np.sqrt(se_log[j] ** 2 + se_log[ref] ** 2)
                centre = np.log(est) if p[j] > 0 else np.log(0.5 / n[j] / p[ref])
                if p[j] == 0:  # no promotion: Katz interval with 0.5 added, lower bound 0
                    se = np.sqrt(1 / 0.5 - 1 / n[j] + se_log[ref] ** 2)
                l_lo, l_hi, _ = stats.wald(centre, se, alpha=alpha)
                lo = float(np.exp(l_lo)) if p[j] > 0 else 0.0
                hi = float(np.exp(l_hi))
            rows.append(
                {
                    **dict(zip(keys, lab, strict=True)),
                    "group": gl,
                    "estimate": est,
                    "ci_lower": lo,
                    "ci_upper": hi,
                    "proportion": p[j],
                    "proportion_lower": plo[j],
                    "proportion_upper": phi[j],
                    "promoted": float(p[j] * n[j]),
                    "eligible": float(n[j]),
                    "n": int(people[j]),
                    "reference": glabels[ref] if ref >= 0 else None,
                    # the ratio reveals the reference's proportion: it needs k people too
                    "n_reference": int(people[ref] if ref >= 0 else people[j]),
                    "below_four_fifths": bool(est < FOUR_FIFTHS),
                    "ci_below_four_fifths": bool(np.isfinite(hi) and hi < FOUR_FIFTHS),
                }
            )
    return pd.DataFrame(rows)


def parity_within_track(
    sp: pd.DataFrame,
    group: str,
    at: float,
    horizons: Sequence[float],
    controls: Sequence[str],
    alpha: float,
    data: AuditData,
    common: dict[str, Any],
    population: str,
    plotter: Callable[..., Axes] | None = None,
) -> Result:
    """Promotion parity by ``group`` within each track: the ``parity`` part of the audit.

    Parameters
    ----------
    sp
        Output of :func:`~pathaudit.promotion._population.promotion_spells`.
    group
        Demographic column compared (e.g. ``"gender"``); spells where it is
        missing are left out.
    at
        Horizon (years) of the difference in the probability of promotion.
    horizons
        Years at which the probabilities by group are reported.
    controls
        Covariates of the Cox model (``group`` itself is dropped from them).
    alpha
        1 - confidence level.
    data
        The dataset (its ``history_start`` and ``as_of`` bound the impact-ratio years).
    common
        Keyword arguments shared by every part's :func:`~pathaudit.result.make_result`
        (``data``, ``alpha``, ``k``, ``n_in``, ``excluded``).
    population
        Population statement of the result.
    plotter
        Chart of the part (:meth:`Result.plot <pathaudit.result.Result.plot>`), or None.

    Returns
    -------
    Result
        ``table``: per track and group (other than the largest, the
        ``reference``), the difference in the probability of promotion within
        ``at`` years compared within grade (:func:`cif_difference`: ``estimate``,
        ``ci_lower``, ``ci_upper``, ``p_value``, ``p_adjusted`` (Holm), ``mde``,
        ``probability_group``, ``probability_reference``, ``n``, ``n_group``,
        ``n_reference``). ``tables``: ``probability`` (by group,
        :func:`cumulative_incidence`), ``hazard`` (the group-vs-reference rows
        of :func:`promotion_hazard_ratios`), ``impact_ratio`` and
        ``impact_ratio_by_year`` (:func:`impact_ratios`).

    Notes
    -----
    A hazard ratio that cannot be fitted, or whose fit warns, is left out of
    ``tables["hazard"]`` and named, with the reason, in ``meta["not_estimable"]`` (the
    analysis turns it into a caveat); the other figures are unaffected.
    """
    rows = []
    hz_parts = []
    no_hazard: list[str] = []  # comparisons whose Cox model gave no hazard ratio, and why
    prob_parts = []
    # the columns the comparisons read: no copy of the others
    cols = list(dict.fromkeys(
        ["track", group, "grade", "employee_id", "time", "entry", "cause", "start", "stop"]
        + [c for c in controls if c in sp.columns]
    ))
    sp = sp.loc[sp[group].notna(), cols].copy()
    sp[group] = sp[group].astype("str")
    for track, part in sp.groupby("track", sort=True):
        counts = part.groupby(group)["employee_id"].nunique().sort_values(ascending=False)
        if len(counts) < 2:
            continue
        ref = str(counts.index[0])
        for other in counts.index[1:]:
            d = cif_difference(part, group, (str(other), ref), at, "grade", alpha)
            rows.append(
                {
                    "track": track,
                    "group": other,
                    "reference": ref,
                    "horizon": at,
                    "estimate": d["estimate"],
                    "ci_lower": d["ci_lower"],
                    "ci_upper": d["ci_upper"],
                    "p_value": d["p_value"],
                    "mde": d["mde"],
                    "probability_group": d["estimate_a"],
                    "probability_reference": d["estimate_b"],
                    "n": min(d["n_a"], d["n_b"]),
                    "n_group": d["n_a"],
                    "n_reference": d["n_b"],
                }
            )
            with warnings.catch_warnings():
                warnings.simplefilter("error", StatisticalWarning)
                try:
                    h = promotion_hazard_ratios(
                        part,
                        [c for c in controls if c != group],
                        alpha,
                        compare=group,
                        levels=(str(other), ref),
                        per_stratum=False,
                        label=f"{other} vs {ref}",
                    )
                except (PathauditError, StatisticalWarning) as err:
                    h = pd.DataFrame()
                    no_hazard.append(f"{track}, {other} vs {ref}: {err}")
            if len(h):
                h = h.loc[h["term"] == f"{other} vs {ref}"].assign(track=track)
                hz_parts.append(h)
        pr = cumulative_incidence(part, (group,), horizons, alpha, pooled=(), curves=False)
        prob_parts.append(pr["probability"].assign(track=track))
    table = pd.DataFrame(rows)
    if len(table):
        table["p_adjusted"] = stats.adjust_pvalues(table["p_value"], "holm")
    else:
        table = pd.DataFrame(
            {"track": [], "group": [], "estimate": [], "ci_lower": [], "ci_upper": [], "n": []}
        )
    prob = pd.concat(prob_parts, ignore_index=True) if prob_parts else pd.DataFrame({"n": []})
    haz = pd.concat(hz_parts, ignore_index=True) if hz_parts else pd.DataFrame({"n": []})
    imp = impact_ratios(sp, group, data.history_start, data.as_of, alpha)
    # only when a comparison has no hazard ratio (the meta of a complete result is as before)
    meta: dict[str, Any] = dict(common)
    if no_hazard:
        meta["not_estimable"] = "no hazard ratio for " + "; ".join(no_hazard)
    return make_result(
        table,
        n_col=("n", "n_group", "n_reference"),  # both groups compared need k people
        analysis=f"promotion parity by {group} within track",
        definition=(
            f"Difference in the probability of promotion within {at:g} years between each "
            f"{group} group and the largest group of the same track, compared within grade. "
            "The impact ratio is each group's annual promotion proportion (promoted during "
            "the year / in a level below the top on 1 January) over the highest group's, "
            "flagged below 0.8 (the four-fifths rule, 29 CFR 1607.4(D))."
        ),
        method=(
            "Aalen–Johansen with person-clustered variance; cause-specific Cox stratified by "
            "grade; impact ratio with a Wald CI on the log scale (person-clustered)"
        ),
        population=population,
        groups=["track", "group", "reference", "horizon"],
        tables={
            # a probability rests on the spells still at risk at the horizon too
            "probability": Table(prob, ["track", group, "estimator", "horizon"],
                                 n_col=("n", "n_at_risk")),
            "hazard": (haz, ["track", "term", "model", "grade"]),
            "impact_ratio": Table(imp["pooled"], ["track", "group", "reference"],
                                  n_col=("n", "n_reference")),
            "impact_ratio_by_year": Table(imp["by_year"], ["track", "year", "group", "reference"],
                                          n_col=("n", "n_reference")),
        },
        plotter=plotter,
        **meta,
    )
