"""The Cox model of voluntary exit: IC vs M within grade at equal tenure.

Counting-process rows collapsed from the working frame (a new row whenever track, grade,
level, pay, unit or a control changes), split at the end of the window after an IC → M
switch and at the dual ladder's adoption date in the unit; tenure in days as the time
scale, strata by grade, compa-ratio where bands exist, robust errors clustered by person.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.attrition._frame import continues_previous, epoch_days, years_to_days
from pathaudit.data import AuditData
from pathaudit.derived._order import in_order
from pathaudit.errors import PathauditError
from pathaudit.headline import one_track_reason
from pathaudit.stats import mde_normal, wald
from pathaudit.stats.labels import direction_label
from pathaudit.stats.matching import fit_cox
from pathaudit.stats.regression import MISSING_LEVEL, treatment_dummies

MIN_LEVEL_EVENTS = 10
"""A level of a categorical Cox control with fewer voluntary exits is pooled with the reference."""

COMPA_STEP = 0.1
"""The compa-ratio hazard ratio is reported per this increase (0.10 = 10% of band midpoint)."""


def _band_mid(rows: pd.DataFrame, bands: pd.DataFrame | None) -> np.ndarray | None:
    """Band midpoint in force at each row's start for its (track, level[, location])."""
    if bands is None or bands.empty or "band_mid" not in bands:
        return None
    b = bands.copy()
    b["track"] = b["track"].astype(str)
    b["level"] = b["level"].astype(str)
    if "effective_date" not in b or b["effective_date"].isna().all():
        b["effective_date"] = pd.Timestamp("1900-01-01")
    b["effective_date"] = b["effective_date"].fillna(pd.Timestamp("1900-01-01"))
    b["_eff"] = epoch_days(b["effective_date"])
    by = ["track", "level"]
    if "location" in b and b["location"].notna().all() and "location" in rows:
        b["location"] = b["location"].astype(str)
        by.append("location")
    else:
        b = b.loc[b["location"].isna()] if "location" in b and b["location"].isna().any() else b
    b = b.sort_values("_eff").drop_duplicates([*by, "_eff"], keep="last")
    # one integer key per (track, level[, location]) text: the rows' text is built for
    # their distinct values only
    band_key = pd.MultiIndex.from_frame(b[by]).drop_duplicates()
    b["_key"] = band_key.get_indexer(pd.MultiIndex.from_frame(b[by]))
    key = np.zeros(len(rows), dtype=np.int64)
    row_text = []
    for c in by:
        codes, uniques = pd.factorize(rows[c], use_na_sentinel=False)
        key = key * len(uniques) + codes
        row_text.append(pd.Series(uniques).astype(str).to_numpy())
    inv, combo = pd.factorize(key)
    combo = np.asarray(combo, dtype=np.int64)
    parts = []
    for t in reversed(row_text):  # the last column is the fastest-varying digit of the key
        parts.append(t[combo % len(t)])
        combo = combo // len(t)
    combo_key = band_key.get_indexer(pd.MultiIndex.from_arrays(parts[::-1]))
    # the band of the same key with the latest effective date on or before the row's start
    # (an as-of join by key): one binary search on (key, date) pairs, unique in the bands
    row_key = combo_key[inv].astype(np.int64)
    start = rows["start_d"].to_numpy().astype(np.int64)
    b_key, b_eff = b["_key"].to_numpy(dtype=np.int64), b["_eff"].to_numpy(dtype=np.int64)
    lo = min(int(b_eff.min()), int(start.min())) if len(start) else int(b_eff.min())
    span = max(int(b_eff.max()), int(start.max()) if len(start) else 0) - lo + 1
    pair = b_key * span + (b_eff - lo)
    order = np.argsort(pair, kind="stable")
    pair, b_key, mid = pair[order], b_key[order], b["band_mid"].to_numpy(dtype=float)[order]
    at = np.searchsorted(pair, row_key * span + (start - lo), side="right") - 1
    hit = (row_key >= 0) & (at >= 0)
    hit[hit] = b_key[at[hit]] == row_key[hit]
    out = np.full(len(rows), np.nan)
    out[hit] = mid[at[hit]]
    return out


def _per_value(col: pd.Series, by_text: pd.Series) -> np.ndarray:
    """``by_text`` (indexed by text) looked up for each row's value of ``col`` (NaN: none).

    A categorical column is looked up once per category, then spread by its codes.
    """
    if isinstance(col.dtype, pd.CategoricalDtype):
        per_cat = by_text.reindex(col.cat.categories.astype(str)).to_numpy(dtype=float)
        return np.append(per_cat, np.nan)[col.cat.codes.to_numpy()]  # missing: code -1
    return by_text.reindex(col.astype(str).to_numpy()).to_numpy(dtype=float)


def _add_months(days: np.ndarray, months: int) -> np.ndarray:
    """Integer days plus calendar months (day of month kept, clipped to month end)."""
    shifted = pd.to_datetime(days, unit="D") + pd.DateOffset(months=months)
    return shifted.to_numpy(dtype="datetime64[D]").astype(np.int64)


def _switch_window_end(w: pd.DataFrame, horizon_months: int) -> np.ndarray:
    """Per exposure row: end of the window after the IC → M switch that began its M run.

    ``inf`` for rows not in an M run that began with a switch from IC (in the same episode).
    """
    ic = w["is_ic"].to_numpy()
    s0 = w["start_d"].to_numpy()
    cont = continues_previous(w)  # row continues the previous row of the same episode
    new_run = ~cont
    new_run[1:] |= ic[1:] != ic[:-1]
    run = np.cumsum(new_run) - 1
    first = np.flatnonzero(new_run)
    prev_ic = np.zeros(len(first), dtype=bool)
    has_prev = cont[first]
    prev_ic[has_prev] = ic[first[has_prev] - 1]
    switched_in = has_prev & prev_ic & ~ic[first]
    end = np.full(len(first), np.inf)
    if switched_in.any():
        end[switched_in] = _add_months(s0[first[switched_in]], horizon_months)
    return end[run]


def _changes(col: pd.Series) -> np.ndarray:
    """Per row after the first: the value differs from the row before (missing = missing)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        v = col.cat.codes.to_numpy()
        return np.asarray(v[1:] != v[:-1])
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        x = col.to_numpy(dtype=float, na_value=np.nan)
        a, b = x[1:], x[:-1]
        return np.asarray((a != b) & ~(np.isnan(a) & np.isnan(b)))
    v = pd.factorize(col, use_na_sentinel=False)[0]
    return np.asarray(v[1:] != v[:-1])


def _split_rows(rows: pd.DataFrame, cut: np.ndarray) -> pd.DataFrame:
    """Split counting-process rows at ``cut`` days where ``start_d < cut < stop_d``.

    The first part keeps no event; the second part enters at the cut. ``entry`` is the
    tenure (days) at ``start_d``.
    """
    s0 = rows["start_d"].to_numpy()
    s1 = rows["stop_d"].to_numpy()
    need = (cut > s0) & (cut < s1)
    if not need.any():
        return rows
    # computed on arrays, then one take of the frame
    pid = rows["pid"].to_numpy()
    if in_order(pid, s0, strict=True):  # by person, then start, with no two alike
        # each row in place, split ones as head then tail: already in (person, start) order
        src = np.repeat(np.arange(len(rows)), 1 + need)
        tail = np.zeros(len(src), dtype=bool)
        tail[np.cumsum(1 + need)[need] - 1] = True
        head = need[src] & ~tail
        in_place = True
    else:
        # the rows without a cut, then the heads, then the tails, sorted (stably) by person
        # and start
        split = np.flatnonzero(need)
        src = np.concatenate([np.flatnonzero(~need), split, split])
        n_keep = len(src) - 2 * len(split)
        head = np.zeros(len(src), dtype=bool)
        head[n_keep : n_keep + len(split)] = True
        tail = np.zeros(len(src), dtype=bool)
        tail[n_keep + len(split) :] = True
        in_place = False
    c = cut[src[tail]].astype(np.int64)
    start = s0[src]
    stop = s1[src]
    stop[head] = cut[src[head]].astype(np.int64)
    entry = rows["entry"].to_numpy()[src]
    entry[tail] = entry[tail] + (c - start[tail])
    start[tail] = c
    event = rows["event"].to_numpy()[src]
    event[head] = False
    if not in_place:
        order = np.lexsort((start, pid[src]))
        src, start, stop, entry, event = (a[order] for a in (src, start, stop, entry, event))
    out = rows.iloc[src].reset_index(drop=True)
    out["start_d"] = start
    out["stop_d"] = stop
    out["entry"] = entry
    out["event"] = event
    return out


def _in_window(rows: pd.DataFrame) -> np.ndarray:
    """1 for rows that start inside their switch window (before ``window_end``), else 0."""
    end = rows["window_end"].to_numpy(dtype=float)
    return (np.isfinite(end) & (rows["start_d"].to_numpy() < end)).astype(float)


def cox_model(
    w: pd.DataFrame,
    data: AuditData,
    controls: Sequence[str] | None,
    alpha: float,
    horizon_months: int,
    snapshot: bool = False,
    one_track: str | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Cox model of voluntary exit on collapsed counting-process rows.

    Parameters
    ----------
    w
        The working frame (:func:`~pathaudit.attrition._frame.work_frame`).
    data
        The dataset (bands, adoption dates).
    controls
        Categorical controls; None: those of ``gender, job_family, location`` with two
        or more values.
    alpha
        1 - confidence level.
    horizon_months
        Length of the window after an IC → M switch that gets its own term.
    snapshot
        The frame comes from a snapshot (compa-ratio is then left out).
    one_track
        The one track the frame holds (None: both). The track term is then left out of
        the fit and reported as not estimable for that reason.

    Returns
    -------
    (pandas.DataFrame, dict)
        ``term, estimate`` (hazard ratio), ``ci_lower, ci_upper, p_value, mde, events,
        n, reason``, first row ``track: IC vs M``. A term the data cannot identify
        (:func:`~pathaudit.stats.survival.cox_ph`: constant, collinear, diverging, not
        converged; or one track only) has NaN figures and ``reason`` "not estimable:
        <why>"; ``reason`` is empty for the others. And the model description (controls,
        time scale, strata, references, rows, events, events on each track
        (``events_ic``, ``events_m``), converged, compa-ratio notes, ``not_estimable``:
        term -> why).

    Raises
    ------
    PathauditError
        A control that is not an exposure column.
    """
    rows, used = cox_rows(w, controls, horizon_months)
    return cox_fit(rows, used, data, alpha, horizon_months, snapshot, one_track)


def cox_rows(
    w: pd.DataFrame, controls: Sequence[str] | None, horizon_months: int
) -> tuple[pd.DataFrame, list[str]]:
    """The counting-process rows of :func:`cox_model`, collapsed from the working frame.

    A new row whenever track, grade, level, pay, unit or a control changes (or the
    employment is not continuous), split at the end of the window after an IC → M switch.
    Returns the rows and the controls used (see :func:`cox_model`); the rows no longer
    need the working frame, which the caller can release before the fit.
    """
    avail = [c for c in ("gender", "job_family", "location") if c in w.columns]
    if controls is None:
        controls = [c for c in avail if w[c].nunique(dropna=True) >= 2]
    else:
        missing = [c for c in controls if c not in w.columns]
        if missing:
            raise PathauditError(
                f"Cox controls {missing} are not exposure columns; choose among {avail}."
            )
    keys = ["track", "grade", "level", "pay", "org_unit", *controls]
    window_end = _switch_window_end(w, horizon_months)
    s0 = w["start_d"].to_numpy()
    s1 = w["stop_d"].to_numpy()
    new = ~continues_previous(w)
    for c in keys:
        new[1:] |= _changes(w[c])
    first = np.flatnonzero(new)
    last = np.r_[first[1:] - 1, len(w) - 1]
    ten0 = years_to_days(w["tenure"])
    rows = w[["pid", "is_ic", *keys]].iloc[first].reset_index(drop=True)
    rows["start_d"] = s0[first]
    rows["stop_d"] = s1[last]
    rows["entry"] = ten0[first]
    rows["event"] = w["ev_voluntary"].to_numpy()[last]
    rows["window_end"] = window_end[first]
    rows = _split_rows(rows, rows["window_end"].to_numpy())
    return rows, list(controls)


def cox_fit(
    rows: pd.DataFrame,
    controls: list[str],
    data: AuditData,
    alpha: float,
    horizon_months: int,
    snapshot: bool = False,
    one_track: str | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The fit of :func:`cox_model` on its rows (:func:`cox_rows`): the same table and info."""
    info: dict[str, Any] = {"controls": list(controls), "time_scale": "tenure (days)",
                            "strata": "grade"}
    names = ["track: IC vs M"]
    recent = _in_window(rows)
    extra: list[tuple[str, np.ndarray]] = []
    if recent.any():
        switch = direction_label("IC", "M")
        extra.append((f"first {horizon_months} months after an {switch} switch", recent))
    adoption = data.adoption
    if adoption is not None and len(adoption):
        adopt = adoption.dropna(subset=["org_unit", "adoption_date"])
        day = pd.Series(epoch_days(adopt["adoption_date"]), index=adopt["org_unit"].astype(str))
        day = day.groupby(level=0).min()
        cut = _per_value(rows["org_unit"], day)
        cut = np.where(np.isfinite(cut), cut, np.inf)
        rows = _split_rows(rows.assign(_adopt=cut), cut)
        in_force = (rows["_adopt"].to_numpy() <= rows["start_d"].to_numpy()).astype(float)
        extra = [(n, _in_window(rows)) for n, _ in extra]
        if 0 < in_force.mean() < 1:
            extra.append(("dual ladder in force in the unit", in_force))
    cols = [rows["is_ic"].to_numpy(dtype=float)]
    names += [n for n, _ in extra]
    cols += [x for _, x in extra]
    use = np.isfinite(rows["grade"].to_numpy(dtype=float))
    mid = None if snapshot else _band_mid(rows, data.bands)
    if snapshot:
        info["compa_ratio"] = (
            "left out: a snapshot holds only the last pay, which would be attributed to all of "
            "a person's time (pay rises with tenure, so leavers would look underpaid)"
        )
    elif mid is not None:
        compa = rows["pay"].to_numpy(dtype=float) / mid
        have = np.isfinite(compa) & (compa > 0)
        if have.mean() >= 0.5:
            names.append(f"compa-ratio (per {COMPA_STEP:.2f})")
            cols.append(np.where(have, compa, 1.0) / COMPA_STEP)
            use &= have
            info["compa_ratio_rows_without_band"] = int((~have).sum())
        else:
            info["compa_ratio"] = "left out: fewer than half the intervals have a matching band"
    else:
        info["compa_ratio"] = "left out: the export has no pay bands"
    ev = rows["event"].to_numpy(dtype=bool)
    refs = {}
    for c in controls:
        # reference = most common level; levels with few events pooled into it
        d = treatment_dummies(rows[c], c, events=ev & use, min_events=MIN_LEVEL_EVENTS)
        ref = d.reference if d.reference is not None else MISSING_LEVEL
        if d.matrix.shape[1]:
            cols.extend(d.matrix.T)
            names.extend(f"{c}: {lv} vs {ref}" for lv in d.levels)
        refs[c] = ref
    info["references"] = refs
    p = len(names)
    fitted = np.ones(p, dtype=bool)
    if one_track is not None:
        fitted[0] = False  # the track term is constant: it is not fitted at all
    # the design of the rows used and terms fitted only, rows contiguous (as the fit reads
    # it): one n x p array, and the few columns of the rows the fit needs
    X = np.empty((int(use.sum()), int(fitted.sum())))
    for j, col in enumerate(c for c, f in zip(cols, fitted, strict=True) if f):
        X[:, j] = col[use]
    del cols, extra
    entry = rows["entry"].to_numpy(dtype=float)[use]
    exit_ = entry + (rows["stop_d"].to_numpy()[use] - rows["start_d"].to_numpy()[use])
    ev_fit = rows["event"].to_numpy(dtype=bool)[use]
    pid = rows["pid"].to_numpy()[use]
    ic_used = rows["is_ic"].to_numpy(dtype=bool)[use]
    strata = pd.factorize(rows["grade"][use])[0]
    del rows
    fit = None
    if fitted.any():
        fit = fit_cox(
            exit_, ev_fit, X, [n for n, f in zip(names, fitted, strict=True) if f],
            pid, entry=entry, strata=strata, what="voluntary exit",
        )
    del X
    params = np.full(p, np.nan)
    se = np.full(p, np.nan)
    if fit is not None:
        params[fitted] = fit.params
        se[fitted] = fit.bse
    why = _term_reasons(names, fitted, fit, ev_fit.any(), one_track)
    lo, hi, pv = wald(params, se, alpha=alpha)
    table = pd.DataFrame(
        {
            "term": names,
            "estimate": np.exp(params),
            "ci_lower": np.exp(lo),
            "ci_upper": np.exp(hi),
            "p_value": pv,
            "mde": np.exp(mde_normal(se, alpha=alpha)),
            "events": int(ev_fit.sum()),
            "n": len(pd.unique(pid)),
            "reason": [f"not estimable: {why[n]}" if n in why else "" for n in names],
        }
    )
    ev_used = ev_fit
    info.update({"rows": len(ev_fit), "events": int(ev_used.sum()),
                 "events_ic": int((ev_used & ic_used).sum()),
                 "events_m": int((ev_used & ~ic_used).sum()),
                 "converged": fit is not None})
    if why:
        info["not_estimable"] = dict(why)
    return table, info


def _term_reasons(
    names: list[str],
    fitted: np.ndarray,
    fit: Any,
    any_events: bool,
    one_track: str | None,
) -> dict[str, str]:
    """Why each term without an estimate has none (term -> reason); others absent."""
    out: dict[str, str] = {}
    if one_track is not None:
        out[names[0]] = one_track_reason(one_track)
    for name, f in zip(names, fitted, strict=True):
        if not f:
            continue
        if fit is None:
            out[name] = ("no voluntary exits: the partial likelihood holds no information"
                         if not any_events else
                         "no term of the model has a finite estimate (often a group without "
                         "any voluntary exit)")
        elif fit.reason(name) is not None:
            out[name] = str(fit.reason(name))
    return out
