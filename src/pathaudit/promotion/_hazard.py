"""Promotion hazards: cause-specific Cox hazard ratios, log-rank tests, rates per person-year.

A hazard is a rate among the people still at risk -- still employed, not yet
switched, not yet promoted -- never a probability of promotion
(:data:`HR_CAVEAT`). The Cox model and the log-rank tests work on the spells
of :func:`~pathaudit.promotion._population.promotion_spells` (exits, switches
and other changes censor: a cause-specific hazard); the rates work on the
exposure table, by track, grade and fiscal year.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pathaudit import stats
from pathaudit.derived.population import distinct_people
from pathaudit.io.schema import DAYS_PER_YEAR
from pathaudit.promotion._population import n_people, person_codes, promotable_from_rows
from pathaudit.stats.regression import treatment_dummies
from pathaudit.stats.survival import cox_ph, logrank

HR_CAVEAT = (
    "A hazard ratio compares promotion rates among people still in their spell at "
    "each moment (still employed, not yet switched, not yet promoted); it is not a ratio "
    "of probabilities of promotion. The log-rank test compares those hazards too."
)
"""Plain words every hazard-ratio output carries."""

_DAY_NS = 86_400_000_000_000
"""Nanoseconds in a day."""

_DEMOGRAPHICS = ("gender", "ethnicity", "age_band")
_CATEGORICAL_CONTROLS = ("job_family", "location")


def _controls_matrix(
    spells: pd.DataFrame, controls: Sequence[str], min_events: int = 5
) -> tuple[np.ndarray, list[str]]:
    """Design matrix of the controls present: numeric ones centred, text ones one-hot."""
    ev = (spells["cause"].to_numpy() == 1).astype(float)
    parts: list[np.ndarray] = []
    names: list[str] = []
    for c in controls:
        if c not in spells.columns:
            continue
        col = spells[c]
        if pd.api.types.is_numeric_dtype(col) and c not in _CATEGORICAL_CONTROLS + _DEMOGRAPHICS:
            x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            if np.isnan(x).all() or np.nanstd(x) == 0:
                continue
            x = np.where(np.isnan(x), np.nanmean(x), x)
            parts.append((x - x.mean())[:, None])
            names.append(c)
        else:
            if col.isna().all():
                continue
            # reference = most common level; levels with few events merged into '(other)'
            d = treatment_dummies(col, c, events=ev, min_events=min_events, rare="other")
            if d.matrix.shape[1]:
                parts.append(d.matrix)
                names.extend(d.names)
    if not parts:
        return np.empty((len(spells), 0)), []
    return np.hstack(parts), names


def promotion_hazard_ratios(
    spells: pd.DataFrame,
    controls: Sequence[str] = ("tenure_at_start", "job_family", "location", "gender"),
    alpha: float = 0.05,
    compare: str = "track",
    levels: tuple[str, str] = ("IC", "M"),
    strata: str = "grade",
    per_stratum: bool = True,
    label: str = "IC vs M",
) -> pd.DataFrame:
    """Cause-specific Cox hazard ratio of promotion, ``a`` vs ``b``, with controls.

    Parameters
    ----------
    spells
        Output of :func:`promotion_spells`.
    controls
        Covariates used when present: numeric ones enter linearly (centred),
        text ones as indicators (reference = most common level; levels with
        fewer than 5 promotions merged into "(other)"; missing is a level).
    alpha
        1 - confidence level.
    compare, levels
        The compared column and its two levels ``(a, b)``; spells of other
        levels are left out.
    strata
        Baseline hazards differ by this column (default grade).
    per_stratum
        Also fit one model with an ``a``-indicator per stratum (the hazard
        ratio at each grade), for strata where both levels have promotions.
    label
        Text of the comparison in the ``term`` column.

    Returns
    -------
    pandas.DataFrame
        One row per term: ``term`` (``"<label>"`` pooled, ``"<label> at grade g"``,
        and each control), ``grade`` (for per-grade rows), ``estimate`` (hazard
        ratio), ``ci_lower``, ``ci_upper``, ``p_value``, ``p_adjusted`` (Holm,
        over the per-grade rows), ``log_hr``, ``se`` (cluster-robust),
        ``mde_hr`` (the hazard ratio detectable with 80% power, above 1),
        ``n`` (people), ``spells``, ``events`` (promotions), ``events_a`` and
        ``events_b`` (promotions in each compared level, ``a`` then ``b``), ``model``.

    Notes
    -----
    Time scale: years since the spell's start, with delayed entry. Event:
    promotion; exits, switches and other changes censor the spell (a
    cause-specific hazard). Baseline hazard stratified by ``strata``; ties by
    Breslow; covariance the sandwich clustered by person (Lin and Wei 1989).
    A hazard ratio of 0.8 means that, among people still in their spell, the
    ``a`` group is promoted at 80% of the rate of the ``b`` group at the same
    time in level -- not that its probability of promotion is 80% as large.
    """
    # the columns read here only: no copy of the others
    cols = list(dict.fromkeys(
        [compare, strata, "employee_id", "time", "entry", "cause"]
        + [c for c in controls if c in spells.columns]
    ))
    sp = spells.loc[spells[compare].astype("str").isin(levels), cols].reset_index(drop=True)
    if sp.empty:
        return pd.DataFrame()
    a, _ = levels
    is_a = (sp[compare].astype("str") == a).to_numpy(dtype=float)
    ctl = [c for c in controls if c != compare]
    Xc, cnames = _controls_matrix(sp, ctl)
    t = sp["time"].to_numpy(dtype=float)
    e = sp["entry"].to_numpy(dtype=float)
    status = sp["cause"].to_numpy() == 1
    st = sp[strata].to_numpy()
    pid = person_codes(sp["employee_id"])
    rows: list[dict[str, Any]] = []

    def add_rows(fit: Any, names: list[str], n_of: dict[str, np.ndarray], model: str) -> None:
        ci = fit.conf_int(alpha)
        for j, nm in enumerate(names):
            sel = n_of.get(nm, np.ones(len(sp), dtype=bool))
            rows.append(
                {
                    "term": nm,
                    "estimate": float(np.exp(fit.params[j])),
                    "ci_lower": float(np.exp(ci[j, 0])),
                    "ci_upper": float(np.exp(ci[j, 1])),
                    "p_value": float(fit.pvalues[j]),
                    "log_hr": float(fit.params[j]),
                    "se": float(fit.bse[j]),
                    "mde_hr": float(np.exp(stats.mde_normal(fit.bse[j], alpha))),
                    "n": n_people(pid, sel),
                    "spells": int(sel.sum()),
                    "events": int(status[sel].sum()),
                    "events_a": int((status & sel & (is_a == 1)).sum()),
                    "events_b": int((status & sel & (is_a == 0)).sum()),
                    "model": model,
                }
            )

    # pooled model
    X = np.column_stack([is_a, Xc]) if Xc.shape[1] else is_a[:, None]
    names = [label] + cnames
    fit = cox_ph(t, status, X, entry=e, strata=st, groups=pid, names=names)
    add_rows(fit, names, {}, "pooled over grades (stratified)")
    # per-stratum model
    if per_stratum:
        svals = np.unique(st)
        ok = []
        for s in svals:
            m = st == s
            if (status & m & (is_a == 1)).any() and (status & m & (is_a == 0)).any():
                ok.append(s)
        if ok:
            keep = np.isin(st, ok)
            inter = np.column_stack([is_a[keep] * (st[keep] == s) for s in ok])
            Xk = np.column_stack([inter, Xc[keep]]) if Xc.shape[1] else inter
            inames = [f"{label} at {strata} {s}" for s in ok]
            fit2 = cox_ph(
                t[keep],
                status[keep],
                Xk,
                entry=e[keep],
                strata=st[keep],
                groups=pid[keep],
                names=inames + cnames,
            )
            n_of = {nm: np.zeros(len(sp), dtype=bool) for nm in inames}
            for s, nm in zip(ok, inames, strict=True):
                n_of[nm] = st == s
            start = len(rows)
            add_rows(fit2, inames, n_of, f"{label} by {strata} (stratified)")
            for r, s in zip(rows[start:], ok, strict=True):
                r[strata] = s
    out = pd.DataFrame(rows)
    if strata not in out:
        out[strata] = np.nan
    out[strata] = pd.array(out[strata], dtype="Int64") if strata == "grade" else out[strata]
    per = out[strata].notna()
    out["p_adjusted"] = np.nan
    if per.any():
        out.loc[per, "p_adjusted"] = stats.adjust_pvalues(out.loc[per, "p_value"], "holm")
    return out


def logrank_by_track(
    spells: pd.DataFrame, strata: str = "grade", compare: str = "track"
) -> pd.DataFrame:
    """Log-rank tests of equal promotion hazards between the levels of ``compare``.

    Parameters
    ----------
    spells
        Output of :func:`promotion_spells`.
    strata
        Column within which the stratified test compares (default grade).
    compare
        Compared column (default track).

    Returns
    -------
    pandas.DataFrame
        ``test`` (``"stratified by grade"`` or ``"grade g"``), ``grade``,
        ``chi2``, ``df``, ``p_value``, ``p_adjusted`` (Holm over the per-grade
        tests), ``n`` (people), ``events``.

    Notes
    -----
    Event: promotion; other ends censor (cause-specific). Delayed entry is
    respected. The log-rank test compares hazards -- promotion rates among
    those still at risk -- not the probability of promotion, and it treats
    spells as independent.
    """
    rows = []
    pid = person_codes(spells["employee_id"])
    t = spells["time"].to_numpy(dtype=float)
    e = spells["entry"].to_numpy(dtype=float)
    ev = spells["cause"].to_numpy() == 1
    g = spells[compare].astype("str").to_numpy()
    st = spells[strata].to_numpy()
    # strata with both compared levels and a promotion: counted on integer codes at once
    s_code, s_vals = pd.factorize(st, sort=True)
    g_code, g_vals = pd.factorize(g)
    n_s = len(s_vals)
    cells = np.bincount(s_code * len(g_vals) + g_code, minlength=n_s * len(g_vals))
    levels_in = (cells.reshape(n_s, len(g_vals)) > 0).sum(axis=1)
    promoted = np.bincount(s_code, weights=ev, minlength=n_s) > 0
    both = [s for s, ok in zip(s_vals, (levels_in > 1) & promoted, strict=True) if ok]
    if both:
        m = np.isin(st, both)
        chi2, df, p = logrank(t[m], ev[m], g[m], entry=e[m], strata=st[m])
        rows.append(
            {
                "test": f"stratified by {strata}",
                strata: pd.NA,
                "chi2": chi2,
                "df": df,
                "p_value": p,
                "n": n_people(pid, m),
                "events": int(ev[m].sum()),
            }
        )
    for s in both:
        m = st == s
        chi2, df, p = logrank(t[m], ev[m], g[m], entry=e[m])
        rows.append(
            {
                "test": f"{strata} {s}",
                strata: s,
                "chi2": chi2,
                "df": df,
                "p_value": p,
                "n": n_people(pid, m),
                "events": int(ev[m].sum()),
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    if strata == "grade":
        out[strata] = pd.array(out[strata], dtype="Int64")
    per = out[strata].notna()
    out["p_adjusted"] = np.nan
    out.loc[per, "p_adjusted"] = stats.adjust_pvalues(out.loc[per, "p_value"], "holm")
    return out


def _dense_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes ``values - min`` and the labels ``min .. max`` of small whole numbers.

    Cells are counted on these codes; only the cells present are kept, in the same
    ascending order as codes of the distinct values would give.
    """
    if not len(values):
        return values, values
    low, high = int(values.min()), int(values.max())
    if high - low > 100_000:  # not small: the distinct values, by a hash table
        codes, labels = pd.factorize(values, sort=True)
        return codes, np.asarray(labels)
    return values - low, np.arange(low, high + 1, dtype=np.int64)


def promotion_rates(
    exposure: pd.DataFrame, ladder: pd.DataFrame | None = None, alpha: float = 0.05
) -> pd.DataFrame:
    """Promotions per 100 person-years by track, grade and fiscal year.

    Parameters
    ----------
    exposure
        ``data.exposure`` (``schema.EXPOSURE``).
    ladder
        Canonical ladder: person-time at the top of the own track (in the
        row's unit, on the day) is left out (see :func:`promotable_from`).
        Default: the highest grade of each track seen is its top.
    alpha
        1 - confidence level.

    Returns
    -------
    pandas.DataFrame
        ``track``, ``grade``, ``year``, ``estimate`` (promotions per 100
        person-years), ``ci_lower``, ``ci_upper`` (exact Poisson), ``events``,
        ``person_years``, ``n`` (people).

    Notes
    -----
    Numerator: intervals whose ``event`` is ``"promotion"``; denominator: the
    person-years of the same (track, grade, fiscal year) cell below the top of
    the track, from the exposure table (so time before ``history_start`` is
    never counted). Interval: Garwood (:func:`pathaudit.stats.poisson_rate_ci`),
    times 100.
    """
    ex = exposure
    # arrays of the rows counted only: at 1,000,000 people the table has 17.8 M rows
    grade = pd.to_numeric(ex["grade"], errors="coerce").to_numpy(dtype="float64",
                                                                   na_value=np.nan)
    frm = promotable_from_rows(ladder, ex).to_numpy(dtype="datetime64[ns]")
    stop = ex["stop"].to_numpy(dtype="datetime64[ns]")
    rows = np.flatnonzero(~np.isnat(frm) & ~np.isnan(grade) & ~np.isnat(stop))
    # counted from the later of the start and the first day below the top, in whole days
    # (floor, as Timedelta.days), on the nanoseconds as integers, in place
    days = stop.view(np.int64)[rows]
    begin = ex["start"].to_numpy(dtype="datetime64[ns]").view(np.int64)[rows]
    np.maximum(begin, frm.view(np.int64)[rows], out=begin)
    del frm, stop
    days -= begin
    del begin
    days //= _DAY_NS
    py_rows = days / DAYS_PER_YEAR
    del days
    positive = py_rows > 0
    keep, py = rows[positive], py_rows[positive]
    del rows, py_rows, positive
    # count on integer codes of the kept rows: no copy of the exposure table, no text keys
    if isinstance(ex["track"].dtype, pd.CategoricalDtype):
        # the categories are the codes' labels (in their own order, which is sorted)
        track_code = ex["track"].cat.codes.to_numpy()[keep].astype(np.int64)
        tracks = pd.Index(ex["track"].cat.categories)
    else:
        track_all, tracks = pd.factorize(ex["track"], sort=True)
        track_code = track_all[keep].astype(np.int64)
        del track_all
    grade_code, grades = _dense_codes(grade[keep].astype(np.int64))
    year_code, years = _dense_codes(
        pd.to_numeric(ex["year"]).to_numpy(dtype="float64", na_value=np.nan)[keep].astype(np.int64)
    )
    cell = (track_code * len(grades) + grade_code) * len(years) + year_code
    del grade, track_code, grade_code, year_code
    # the cells present, ascending (np.unique's), found by counting: the codes are dense
    present = np.bincount(cell, minlength=len(tracks) * len(grades) * len(years)) > 0
    cells = np.flatnonzero(present)
    inv = (np.cumsum(present) - 1)[cell]
    del cell
    promoted = (ex["event"] == "promotion").to_numpy(dtype=bool, na_value=False)[keep]
    ids = ex["employee_id"]
    # the category codes of the person column are person codes already
    person = (ids.cat.codes.to_numpy() if isinstance(ids.dtype, pd.CategoricalDtype)
              and not ids.isna().any() else pd.factorize(ids)[0])[keep]
    labels = np.asarray(tracks, dtype=object).astype(str)
    out = pd.DataFrame(
        {
            "track": pd.Series(labels[cells // (len(grades) * len(years))], dtype="str"),
            "grade": np.asarray(grades)[(cells // len(years)) % len(grades)],
            "year": np.asarray(years)[cells % len(years)],
            "events": np.bincount(inv, weights=promoted.astype(float), minlength=len(cells)),
            "person_years": np.bincount(inv, weights=py, minlength=len(cells)),
            "n": distinct_people(inv, person, len(cells)).astype(np.int64),
        }
    )
    lo, hi = stats.poisson_rate_ci(out["events"], out["person_years"], alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["estimate"] = 100 * out["events"] / out["person_years"]
    out["ci_lower"] = 100 * lo
    out["ci_upper"] = 100 * hi
    out["grade"] = pd.array(out["grade"], dtype="Int64")
    out["year"] = pd.array(out["year"], dtype="Int64")
    cols = ["track", "grade", "year", "estimate", "ci_lower", "ci_upper"]
    return out[cols + ["events", "person_years", "n"]]
