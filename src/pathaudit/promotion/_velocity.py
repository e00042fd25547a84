"""Promotion velocity: years from hire to first reach each grade, by track.

For each grade, the probability of having first reached it (or a higher grade)
on each track within ``t`` years of hire, with exit competing (Aalen–Johansen
from hire, delayed entry for hires before ``history_start``), and the median
time among those who reached it, with a percentile-bootstrap interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pathaudit import stats
from pathaudit.io.schema import DAYS_PER_YEAR, EXIT_REASONS
from pathaudit.promotion._population import n_people, person_codes
from pathaudit.stats.survival import aalen_johansen


def velocity(
    spells: pd.DataFrame,
    history_start: object,
    horizons: Sequence[float] = (2.0, 5.0, 10.0),
    alpha: float = 0.05,
    B: int = stats.BOOTSTRAP_B,
    seed: int = stats.BOOTSTRAP_SEED,
) -> dict[str, pd.DataFrame]:
    r"""Years from hire to first reach each grade, by the track on which it is reached.

    Parameters
    ----------
    spells
        All spells (``data.spells``, not only those below the top).
    history_start
        First date of complete history.
    horizons
        Years since hire at which the cumulative incidence is reported.
    alpha
        1 - confidence level.
    B, seed
        Bootstrap resamples and seed for the median among those who reach it.

    Returns
    -------
    dict of pandas.DataFrame
        ``"incidence"``: ``grade``, ``track`` (track on which the grade is
        first reached), ``horizon`` (years since hire), ``estimate``
        (probability of having reached the grade on that track by then),
        ``ci_lower``, ``ci_upper``, ``n`` (people at risk of reaching it),
        ``reached`` (people who reached it on that track).
        ``"among_reached"``: ``grade``, ``track``, ``estimate`` (median years
        from hire to first reach, among those who reached it), ``ci_lower``,
        ``ci_upper`` (percentile bootstrap), ``p25``, ``p75``, ``n``.

    Notes
    -----
    Population for grade :math:`g`: employment episodes whose grade at their
    first observed moment (hire, or ``history_start`` for earlier hires) is
    below :math:`g`. Clock: years since hire, with delayed entry at
    ``history_start`` for earlier hires. Event: the first spell of grade
    :math:`\ge g`, by its track (two causes); exit competes; open episodes are
    censored at as-of. Cumulative incidence by Aalen–Johansen. The median
    "among those who reach it" conditions on reaching the grade: it leaves out
    everyone still on the way or gone, so it is not the typical time for a
    new hire -- the cumulative incidence is.
    """
    hs = pd.Timestamp(history_start)
    cols = ["employee_id", "episode", "start", "stop", "hire_date", "grade", "track", "end_reason"]
    sp = spells.loc[pd.to_numeric(spells["grade"], errors="coerce").notna(), cols].copy()
    sp["grade"] = pd.to_numeric(sp["grade"]).astype(np.int64)
    sp = sp.sort_values(["employee_id", "episode", "start"], kind="stable")
    # one code per (person, episode), in order of first appearance
    person = pd.factorize(sp["employee_id"], use_na_sentinel=False)[0].astype(np.int64)
    episode = pd.factorize(sp["episode"], use_na_sentinel=False)[0].astype(np.int64)
    sp["_ep"] = pd.factorize(person * (int(episode.max(initial=0)) + 1) + episode)[0]
    hire = sp.groupby("_ep")["hire_date"].first()
    first_grade = sp.groupby("_ep")["grade"].first()
    last = sp.groupby("_ep").tail(1).set_index("_ep")
    end_time = ((last["stop"] - hire).dt.days / DAYS_PER_YEAR).to_numpy()
    exit_ = last["end_reason"].astype("str").isin(list(EXIT_REASONS)).to_numpy()
    entry = (np.maximum((hs - hire).dt.days.to_numpy(), 0) / DAYS_PER_YEAR).astype(float)
    ep_ids = hire.index.to_numpy()
    pid = person_codes(sp.groupby("_ep")["employee_id"].first())
    inc_rows: list[dict[str, Any]] = []
    med_rows: list[dict[str, Any]] = []
    rng = np.random.default_rng(seed)
    grades = np.sort(sp["grade"].unique())
    hz = np.asarray(horizons, dtype=float)
    # the row that first reaches grade g in an episode is the one where the episode's
    # running highest grade first is g or more: the highest before it is below g
    ep = sp["_ep"].to_numpy()
    highest = sp.groupby("_ep", sort=False)["grade"].cummax().to_numpy()
    first_row = np.ones(len(sp), dtype=bool)
    first_row[1:] = ep[1:] != ep[:-1]
    before = np.where(first_row, np.iinfo(np.int64).min, np.roll(highest, 1))
    # days from hire to each spell's start; the track each spell is on
    slot = np.searchsorted(ep_ids, ep)
    hire_days = (sp["start"] - hire.to_numpy()[slot]).dt.days.to_numpy(dtype=float,
                                                                       na_value=np.nan)
    row_ic = (sp["track"].astype("str") == "IC").to_numpy(dtype=bool, na_value=False)
    for g in grades[1:]:
        at_risk = first_grade.to_numpy() < g
        if not at_risk.any():
            continue
        rows = np.flatnonzero((before < g) & (highest >= g))
        rt = np.full(len(ep_ids), np.nan)
        rt[slot[rows]] = hire_days[rows] / DAYS_PER_YEAR
        r_ic = np.zeros(len(ep_ids), dtype=bool)
        r_ic[slot[rows]] = row_ic[rows]
        reached = ~np.isnan(rt)
        time = np.where(reached, rt, end_time)
        cause = np.where(reached, np.where(r_ic, 1, 2), np.where(exit_, 3, 0))
        m = at_risk & (time > entry)
        if not m.any():
            continue
        fit = aalen_johansen(time[m], cause[m], entry[m], causes=(1, 2, 3))
        n_at_risk = n_people(pid, m)
        for j, tr in ((1, "IC"), (2, "M")):
            f, se, _ = fit.at(hz, cause=j)
            lo, hi = stats.loglog_ci(f, se, alpha)
            sel = m & (cause == j)
            for i, h in enumerate(hz):
                inc_rows.append(
                    {
                        "grade": int(g),
                        "track": tr,
                        "horizon": float(h),
                        "estimate": float(f[i]),
                        "ci_lower": float(lo[i]),
                        "ci_upper": float(hi[i]),
                        "n": n_at_risk,
                        "reached": int(sel.sum()),
                    }
                )
            x = time[sel]
            if len(x):
                meds = stats.bootstrap_medians_exact(x, B, rng)
                blo, bhi = np.quantile(meds, [alpha / 2, 1 - alpha / 2])
                p25, p75 = np.quantile(x, [0.25, 0.75])
                med_rows.append(
                    {
                        "grade": int(g),
                        "track": tr,
                        "estimate": float(np.median(x)),
                        "ci_lower": float(blo),
                        "ci_upper": float(bhi),
                        "p25": float(p25),
                        "p75": float(p75),
                        "n": n_people(pid, sel),
                    }
                )
    inc = pd.DataFrame(inc_rows)
    med = pd.DataFrame(med_rows)
    if len(inc):
        # a track that never has a grade (e.g. no M level at grade 3) gets no row for it
        cells = sp[["track", "grade"]].drop_duplicates()
        held = set(zip(cells["track"].astype("str"), cells["grade"], strict=True))
        inc = inc.loc[
            [(tr, g) in held for tr, g in zip(inc["track"], inc["grade"], strict=True)]
        ].reset_index(drop=True)
    for fr in (inc, med):
        if len(fr):
            fr["grade"] = pd.array(fr["grade"], dtype="Int64")
    return {"incidence": inc, "among_reached": med}
