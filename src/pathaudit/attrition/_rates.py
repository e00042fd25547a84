"""Exit rates, IC / M rate ratios, SHRM-style turnover and regretted exits.

Rates are exits per 100 person-years of the working frame (:mod:`pathaudit.attrition._frame`)
with exact Poisson (Garwood) intervals; the IC / M ratio has the exact conditional interval.
Turnover is the HR-dashboard figure: exits / average month-end headcount.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.attrition._frame import KINDS, count_people, epoch_days
from pathaudit.data import AuditData
from pathaudit.derived.calendar import fiscal_quarters
from pathaudit.errors import PathauditError
from pathaudit.io.schema import TRACKS
from pathaudit.stats import (
    adjust_pvalues,
    mde_normal,
    poisson_rate_ci,
    rate_ratio_ci,
    wilson_ci,
)

FREQS: tuple[str, ...] = ("year", "quarter")
"""Calendar (fiscal) periods for rates over time."""

PER = 100.0
"""Rates are per 100 person-years."""


def exit_rates(w: pd.DataFrame, keys: list[str], alpha: float) -> pd.DataFrame:
    """Exits per 100 person-years per group of ``keys`` and kind (long format)."""
    agg = w.groupby(keys, observed=True, dropna=False, sort=True).agg(
        person_years=("person_years", "sum"),
        **{f"events_{k}": (f"ev_{k}", "sum") for k in KINDS},
    )
    agg["n"] = count_people(w, keys).reindex(agg.index).to_numpy()
    agg = agg.reset_index()
    parts = []
    for kind in KINDS:
        ev = agg[f"events_{kind}"].to_numpy(dtype=float)
        py = agg["person_years"].to_numpy(dtype=float)
        lo, hi = poisson_rate_ci(ev, py, alpha=alpha)
        with np.errstate(invalid="ignore", divide="ignore"):
            est = np.where(py > 0, PER * ev / py, np.nan)
        parts.append(
            agg[keys].assign(
                kind=kind,
                events=ev.astype(np.int64),
                person_years=py,
                estimate=est,
                ci_lower=PER * lo,
                ci_upper=PER * hi,
                n=agg["n"].to_numpy(),
            )
        )
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values([*keys, "kind"], kind="stable", ignore_index=True)


RATIO_COUNTS: tuple[str, ...] = ("n", "n_ic", "n_m")
"""The people counts a rate ratio rests on: it is suppressed when either track is small."""


def rate_ratio(rates: pd.DataFrame, groups: list[str], alpha: float) -> pd.DataFrame:
    """IC / M rate ratio per kind and group, from a rates table that has a ``track`` column."""
    idx = [*groups, "kind"]
    wide = rates.pivot_table(
        index=idx, columns="track", values=["events", "person_years", "n"],
        aggfunc="sum", observed=True, dropna=False,
    )
    rows = []
    for key, r in wide.iterrows():
        key = key if isinstance(key, tuple) else (key,)
        rows.append(
            dict(zip(idx, key, strict=True))
            | {
                "events_ic": r.get(("events", "IC"), np.nan),
                "events_m": r.get(("events", "M"), np.nan),
                "person_years_ic": r.get(("person_years", "IC"), np.nan),
                "person_years_m": r.get(("person_years", "M"), np.nan),
                "n_ic": r.get(("n", "IC"), np.nan),
                "n_m": r.get(("n", "M"), np.nan),
            }
        )
    t = pd.DataFrame(rows, columns=[*idx, "events_ic", "events_m", "person_years_ic",
                                    "person_years_m", "n_ic", "n_m"])
    for c in ("events_ic", "events_m", "person_years_ic", "person_years_m", "n_ic", "n_m"):
        t[c] = pd.to_numeric(t[c], errors="coerce").fillna(0.0).astype(float)
    ok = (t["person_years_ic"] > 0) & (t["person_years_m"] > 0)
    t = t.loc[ok].reset_index(drop=True)
    ratio, lo, hi, p = rate_ratio_ci(
        t["events_ic"], t["person_years_ic"], t["events_m"], t["person_years_m"], alpha=alpha
    )
    with np.errstate(divide="ignore"):
        se_log = np.sqrt(1 / t["events_ic"].to_numpy() + 1 / t["events_m"].to_numpy())
    t = t.assign(
        estimate=ratio, ci_lower=lo, ci_upper=hi, p_value=p,
        mde=np.exp(mde_normal(se_log, alpha=alpha)),
    )
    t["p_adjusted"] = np.nan
    for _, g in t.groupby("kind", sort=False):
        p = g["p_value"].to_numpy()
        t.loc[g.index, "p_adjusted"] = adjust_pvalues(p, "holm") if len(g) > 1 else p
    # the ratio rests on both tracks' people: suppressed when either side is small
    # (RATIO_COUNTS)
    t["n"] = t["n_ic"] + t["n_m"]
    t["events_ic"] = t["events_ic"].astype(np.int64)
    t["events_m"] = t["events_m"].astype(np.int64)
    return t


def turnover(
    w: pd.DataFrame, data: AuditData, alpha: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SHRM-style turnover: exits in a period / average month-end headcount, by track."""
    first = data.history_start
    last = data.as_of
    month_ends = pd.date_range(first, last, freq="ME")
    e = epoch_days(pd.Series(month_ends))
    fq = fiscal_quarters(month_ends, data.fiscal_year_start_month)
    n_m = len(e)
    tracks = list(TRACKS)
    g = w["track"].cat.codes.to_numpy().astype(np.int64)
    start = w["start_d"].to_numpy()
    stop = w["stop_d"].to_numpy()
    i0 = np.searchsorted(e, start, side="left")  # first month-end >= start
    i1 = np.searchsorted(e, stop, side="left")  # first month-end >= stop (not covered)
    ok = g >= 0
    cells = len(tracks) * (n_m + 1)
    diff = (
        np.bincount(g[ok] * (n_m + 1) + i0[ok], minlength=cells)
        - np.bincount(g[ok] * (n_m + 1) + i1[ok], minlength=cells)
    ).reshape(len(tracks), n_m + 1).astype(float)
    head = np.cumsum(diff, axis=1)[:, :n_m]  # head[t, m]: people on track t at month-end m
    months = pd.DataFrame(
        {"year": fq["year"].to_numpy(dtype=np.int64).astype(str),
         "quarter": fq["quarter"].astype(str).to_numpy()}
    )
    exit_rows = w.loc[w["ev_all"].to_numpy()]
    exits = pd.DataFrame(
        {"track": exit_rows["track"].astype(str).to_numpy(),
         "year": exit_rows["year"].astype(str).to_numpy(),
         "quarter": exit_rows["quarter"].astype(str).to_numpy(),
         **{f"ev_{k}": exit_rows[f"ev_{k}"].to_numpy() for k in KINDS}}
    )
    # a track nobody held in the window (one-track data) has no turnover rows
    present = {str(t) for t in w["track"].unique()}
    heads = {**{t: head[i] for i, t in enumerate(tracks) if t in present},
             "all": head.sum(axis=0)}
    out = {}
    for freq in FREQS:
        # people behind each figure: everyone with time on the track in the period
        by_track = count_people(w, ["track", freq])
        people = {"all": count_people(w, [freq])}
        for t in tracks:
            people[t] = (
                by_track.xs(t, level=0) if t in by_track.index.get_level_values(0)
                else pd.Series(dtype=np.int64)
            )
        for cnt in people.values():
            cnt.index = cnt.index.astype(str)
        per = months[freq].to_numpy()
        labels, code = np.unique(per, return_inverse=True)
        n_months = np.bincount(code, minlength=len(labels))
        years = n_months / 12.0
        rows = []
        for track, hc in heads.items():
            avg = np.bincount(code, weights=hc, minlength=len(labels)) / n_months
            sel = exits if track == "all" else exits.loc[exits["track"].to_numpy() == track]
            for kind in KINDS:
                counts = sel.loc[sel[f"ev_{kind}"].to_numpy(), freq].value_counts()
                ex_n = counts.reindex(labels).fillna(0).to_numpy(dtype=float)
                lo, hi = poisson_rate_ci(ex_n, avg * years, alpha=alpha)
                with np.errstate(invalid="ignore", divide="ignore"):
                    rate = np.where(avg > 0, PER * ex_n / avg, np.nan)
                rows.append(
                    pd.DataFrame(
                        {
                            "period": labels,
                            "track": track,
                            "kind": kind,
                            "exits": ex_n.astype(np.int64),
                            "average_headcount": avg,
                            "months": n_months,
                            "turnover_rate": rate,
                            "estimate": rate / years,
                            "ci_lower": PER * lo,
                            "ci_upper": PER * hi,
                            "n": people[track].reindex(labels).fillna(0).to_numpy(np.int64),
                        }
                    )
                )
        t = pd.concat(rows, ignore_index=True)
        out[freq] = t.sort_values(["period", "track", "kind"], ignore_index=True)
    return out["year"], out["quarter"]


def _latest_rating(
    pid: np.ndarray, day: np.ndarray, r_pid: np.ndarray, r_day: np.ndarray, r_value: np.ndarray
) -> np.ndarray:
    """Per row, the value of the person's last rating dated on or before ``day`` (else NaN).

    Ratings of the same person on the same day: the last in their given order. One binary
    search on (person, day) keys (``r_pid < 0``: a rating of no one in the frame).
    """
    out = np.full(len(pid), np.nan)
    ok = r_pid >= 0
    if not ok.any() or not len(pid):
        return out
    r_pid, r_day, r_value = r_pid[ok], r_day[ok], r_value[ok]
    base = min(int(r_day.min()), int(day.min()))
    span = max(int(r_day.max()), int(day.max())) - base + 1
    r_key = r_pid.astype(np.int64) * span + (r_day - base)
    order = np.argsort(r_key, kind="stable")
    r_key, r_value = r_key[order], r_value[order]
    idx = np.searchsorted(r_key, pid.astype(np.int64) * span + (day - base), side="right") - 1
    hit = idx >= 0
    hit[hit] = r_key[idx[hit]] // span == pid[hit]
    out[hit] = r_value[idx[hit]]
    return out


def regretted(
    w: pd.DataFrame, ids: np.ndarray, data: AuditData, top_rating: float | None, alpha: float
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Voluntary exit rates of top-rated and other people, and the top-rated share of exits.

    Each interval of the working frame carries the person's latest rating on or before
    its start; intervals without one are left out.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame, float)
        Voluntary exit rates by ``track, rating_group`` (as :func:`exit_rates`); per
        track ``regretted_exits, voluntary_exits, estimate`` (share top-rated),
        ``ci_lower, ci_upper`` (Wilson), ``n``; the rating threshold used.
    """
    ratings = data.ratings
    if ratings is None:
        raise PathauditError("Regretted attrition needs performance ratings; the export has "
                             "none (map a ratings file in the column map).")
    rt = ratings.dropna(subset=["employee_id", "rating_date", "rating"])
    threshold = float(np.quantile(rt["rating"].to_numpy(float), 0.75)) if top_rating is None \
        else float(top_rating)
    r_pid = pd.Index(ids).get_indexer(rt["employee_id"].to_numpy())
    rating = _latest_rating(
        w["pid"].to_numpy(), w["start_d"].to_numpy(), r_pid,
        epoch_days(rt["rating_date"]), rt["rating"].to_numpy(float),
    )
    rated = np.isfinite(rating)
    # a categorical group (categories in text order): no text column of every row
    group = pd.Categorical.from_codes(
        (rating[rated] >= threshold).astype(np.int8), categories=["other", "top"]
    )
    used = ["track", "pid", "person_years", *(f"ev_{k}" for k in KINDS)]
    wr = w.loc[rated, used].assign(rating_group=group)
    rates = exit_rates(wr, ["track", "rating_group"], alpha)
    rates = rates.loc[rates["kind"] == "voluntary"].reset_index(drop=True)
    rates["rating_group"] = rates["rating_group"].astype("str")
    # share of voluntary exits (with a rating in force) that were top-rated
    vol = wr.loc[wr["ev_voluntary"].to_numpy()]
    share_rows = []
    for track in TRACKS:
        v = vol.loc[vol["track"] == track]
        top = int((v["rating_group"] == "top").sum())
        lo, hi = wilson_ci(top, len(v), alpha=alpha)
        share_rows.append(
            {"track": track, "regretted_exits": top, "voluntary_exits": len(v),
             "estimate": top / len(v) if len(v) else np.nan, "ci_lower": float(lo),
             "ci_upper": float(hi), "n": len(v)}
        )
    return rates, pd.DataFrame(share_rows), threshold
