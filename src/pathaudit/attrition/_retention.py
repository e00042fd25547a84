"""Retention by track: Kaplan–Meier curves over tenure and over time in the current track."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.attrition._frame import continues_previous, epoch_days, years_to_days
from pathaudit.data import AuditData
from pathaudit.derived.spells import track_run_bounds
from pathaudit.io.schema import DAYS_PER_YEAR, TRACKS
from pathaudit.stats import loglog_ci, survival

RETENTION_YEARS: tuple[float, ...] = (1.0, 2.0, 3.0, 5.0)
"""Times at which retention is reported in the summary table."""


def track_runs(w: pd.DataFrame, group: str | None = None) -> pd.DataFrame:
    """Contiguous time of one person in one track within an episode (a "track run").

    With ``group``, the run carries that column's value at its first interval.
    """
    pid = w["pid"].to_numpy()
    tr = np.where(w["is_ic"].to_numpy(), "IC", "M")
    s0 = w["start_d"].to_numpy()
    s1 = w["stop_d"].to_numpy()
    first, last = track_run_bounds(continues_previous(w), tr)
    ten0 = years_to_days(w["tenure"])
    tis0 = years_to_days(w["time_in_spell"])
    return pd.DataFrame(
        {
            **({group: w[group].astype(object).to_numpy()[first]} if group else {}),
            "pid": pid[first],
            "track": tr[first],
            "start_d": s0[first],
            "stop_d": s1[last],
            "tenure0": ten0[first],
            "tenure1": ten0[first] + (s1[last] - s0[first]),
            # days since the spell start of the run's first observed interval
            "spell_age0": tis0[first],
            "exit": w["ev_all"].to_numpy()[last],
        }
    )


def kaplan_meier(
    time: np.ndarray, status: np.ndarray, entry: np.ndarray, alpha: float
) -> pd.DataFrame:
    """Kaplan–Meier (with delayed entry) as a table: time, estimate, CI, at risk, events."""
    if len(time) == 0 or status.sum() == 0:
        return pd.DataFrame(columns=["time", "estimate", "ci_lower", "ci_upper", "n", "events"])
    km = survival.kaplan_meier(time, status, entry)
    lo, hi = loglog_ci(km.surv, km.se, alpha=alpha)
    return pd.DataFrame(
        {
            "time": km.time / DAYS_PER_YEAR,
            "estimate": km.surv,
            "ci_lower": lo,
            "ci_upper": hi,
            "n": km.n_risk.astype(np.int64),
            "events": km.events.astype(np.int64),
        }
    )


def retention(
    w: pd.DataFrame,
    data: AuditData,
    alpha: float,
    with_track_time: bool,
    group: str | None = None,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], int]:
    """Kaplan–Meier retention by track over tenure (and over time in the track).

    With ``group`` (a column of ``w``), one curve per track and value of the group (runs
    with no value are left out); every table then has the ``group`` column after ``track``.

    Returns
    -------
    (pandas.DataFrame, dict of str to pandas.DataFrame, int)
        ``curve, track, years, estimate, ci_lower, ci_upper, n`` at
        :data:`RETENTION_YEARS`; the curves (``tenure``, ``time_in_track``) with ``time,
        track, estimate, ci_lower, ci_upper, n, events`` (``n`` at risk: the curve stops
        where fewer than k remain, when the result is built); the number of runs left out
        of the time-in-track curve (track entry before ``history_start``). Unsuppressed.
    """
    runs = track_runs(w, group)
    keys: list[str] = ["track"]
    if group:
        runs = runs.loc[runs[group].notna()]
        keys.append(group)
    cells = (
        [(t,) for t in TRACKS]
        if not group
        else [(t, g) for t in TRACKS for g in sorted(runs[group].unique(), key=str)]
    )

    def of(frame: pd.DataFrame, cell: tuple[object, ...]) -> pd.DataFrame:
        mask = np.ones(len(frame), dtype=bool)
        for key, value in zip(keys, cell, strict=True):
            mask &= (frame[key] == value).to_numpy()
        return frame.loc[mask]

    hs = int(epoch_days(pd.Series([data.history_start]))[0])
    curves = {}
    # retention over tenure: each run at risk over its tenure interval in its track
    parts = []
    for cell in cells:
        r = of(runs, cell)
        c = kaplan_meier(r["tenure1"].to_numpy(float), r["exit"].to_numpy(),
                         r["tenure0"].to_numpy(float), alpha)
        parts.append(c.assign(**dict(zip(keys, cell, strict=True))))
    curves["tenure"] = pd.concat(parts, ignore_index=True)
    unknown = 0
    if with_track_time:
        # time since entering the track: known when the run's first spell began on the
        # hire date or inside the observed window
        spell_start = runs["start_d"] - runs["spell_age0"]
        hire = runs["start_d"] - runs["tenure0"]
        at_hire = spell_start == hire
        inside = spell_start >= hs
        known = (at_hire | inside).to_numpy()
        unknown = int((~known).sum())
        # a known run starts with its first spell (on the hire date, or inside the window)
        r = runs.assign(origin=spell_start).loc[known]
        parts = []
        for cell in cells:
            rt = of(r, cell)
            entry = (rt["start_d"] - rt["origin"]).to_numpy(float)
            time = (rt["stop_d"] - rt["origin"]).to_numpy(float)
            c = kaplan_meier(time, rt["exit"].to_numpy(), entry, alpha)
            parts.append(c.assign(**dict(zip(keys, cell, strict=True))))
        curves["time_in_track"] = pd.concat(parts, ignore_index=True)
    rows = []
    for curve, c in curves.items():
        for cell in cells:
            ct = of(c, cell) if len(c) else c
            for y in RETENTION_YEARS:
                i = np.searchsorted(ct["time"].to_numpy(), y, side="right") - 1
                if len(ct) == 0:
                    continue
                if i < 0:  # before the first exit
                    vals = (1.0, 1.0, 1.0, int(ct["n"].iloc[0]))
                else:  # the curve at its last exit time on or before y
                    row = ct.iloc[i]
                    vals = (row["estimate"], row["ci_lower"], row["ci_upper"], int(row["n"]))
                rows.append(
                    {"curve": curve, **dict(zip(keys, cell, strict=True)), "years": y,
                     "estimate": vals[0], "ci_lower": vals[1], "ci_upper": vals[2],
                     "n": vals[3]}
                )
    cols = ["time", *keys, "estimate", "ci_lower", "ci_upper", "n", "events"]
    curves = {name: c.reindex(columns=cols) for name, c in curves.items()}
    summary = pd.DataFrame(
        rows,
        columns=["curve", *keys, "years", "estimate", "ci_lower", "ci_upper", "n"],
    )
    return summary, curves, unknown
