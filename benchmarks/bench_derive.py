"""Time and peak memory of deriving spells and exposure on a large organisation.

Usage::

    python benchmarks/bench_derive.py [n_people] [--fiscal-start M]

Builds canonical tables directly (no files, no loader): ``n_people`` people
(default 100,000) hired over 2010-2024, about ten job records each (hire,
pay rises, unit moves, promotions, switches), some rehired, as-of 2024-12-31
and history complete from 2015-01-01. Prints rows, seconds and the peak
resident memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.derived.spells import derive_exposure, derive_spells


def synthetic(n_people: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical history and people frames of a synthetic organisation (vectorised)."""
    rng = np.random.default_rng(seed)
    day0 = np.datetime64("2010-01-01", "D").astype(np.int64)
    as_of = np.datetime64("2024-12-31", "D").astype(np.int64)
    # episodes: every person once, 10% rehired after a gap
    pid = np.arange(n_people)
    rehired = rng.random(n_people) < 0.10
    hire = day0 + rng.integers(0, as_of - day0 - 30, n_people)
    length = np.minimum(rng.exponential(5 * 365.25, n_people).astype(np.int64) + 30, 20000)
    term = hire + length - 1
    ep_pid = np.r_[pid, pid[rehired]]
    ep_hire = np.r_[hire, term[rehired] + 30 + rng.integers(0, 700, rehired.sum())]
    ep_len = np.r_[length, rng.exponential(4 * 365.25, rehired.sum()).astype(np.int64) + 30]
    ep_term = ep_hire + ep_len - 1
    ep_num = np.r_[np.zeros(n_people, np.int64), np.ones(rehired.sum(), np.int64)]
    keep = ep_hire <= as_of
    ep_pid, ep_hire, ep_term, ep_num = ep_pid[keep], ep_hire[keep], ep_term[keep], ep_num[keep]
    open_ = ep_term > as_of
    # first episodes of rehired people always end before the rehire
    n_ep = len(ep_pid)
    # records: one at hire plus ~2.4 a year employed
    span = np.minimum(ep_term, as_of) - ep_hire + 1
    extra = rng.poisson(span / 365.25 * 2.4)
    count = extra + 1
    rec_ep = np.repeat(np.arange(n_ep), count)
    first = np.r_[0, np.cumsum(count)[:-1]]
    is_first = np.zeros(len(rec_ep), bool)
    is_first[first] = True
    offset = np.where(is_first, 0, (rng.random(len(rec_ep)) * span[rec_ep]).astype(np.int64))
    order = np.lexsort((offset, rec_ep))
    rec_ep, offset = rec_ep[order], offset[order]
    n_rec = len(rec_ep)
    # state: random walk of grade; 3% of records switch track, 15% promote
    u = rng.random(n_rec)
    step = np.where(u < 0.15, 1, 0)
    switch = (u > 0.97).astype(np.int64)
    start_of_ep = np.r_[True, rec_ep[1:] != rec_ep[:-1]]
    step[start_of_ep] = 0
    switch[start_of_ep] = 0
    grp = np.cumsum(start_of_ep) - 1
    cum_step = np.cumsum(step)
    cum_switch = np.cumsum(switch)
    base_grade = rng.integers(2, 6, n_ep)
    grade = np.minimum(base_grade[rec_ep] + cum_step - cum_step[first][grp], 9)
    track = (rng.random(n_ep) < 0.2).astype(np.int64)[rec_ep]
    track = (track + cum_switch - cum_switch[first][grp]) % 2
    level_names = np.array([f"{t}{g}" for t in ("IC", "M") for g in range(10)], dtype=object)
    level = level_names[track * 10 + grade]
    pay = 40000 * 1.12 ** grade * (1 + 0.05 * track) * rng.lognormal(0, 0.05, n_rec)
    units = np.array([f"U{i:02d}" for i in range(40)], dtype=object)
    ids = np.array([f"P{i:06d}" for i in range(n_people)], dtype=object)
    history = pd.DataFrame(
        {
            "employee_id": pd.Series(ids[ep_pid[rec_ep]], dtype="str"),
            "effective_date": (ep_hire[rec_ep] + offset).astype("datetime64[D]").astype(
                "datetime64[ns]"
            ),
            "track": pd.Series(np.where(track == 1, "M", "IC"), dtype="str"),
            "level": pd.Series(level, dtype="str"),
            "grade": pd.array(grade, dtype="Int64"),
            "pay": pay,
            "org_unit": pd.Series(units[rng.integers(0, 40, n_rec)], dtype="str"),
            "job_family": pd.Series(np.where(rng.random(n_rec) < 0.5, "Eng", "Ops"), dtype="str"),
            "location": pd.Series(np.where(rng.random(n_rec) < 0.5, "A", "B"), dtype="str"),
            "episode": pd.array(ep_num[rec_ep], dtype="Int64"),
            "row": pd.array(np.arange(1, n_rec + 1), dtype="Int64"),
        }
    )
    history = history.sort_values(["employee_id", "effective_date", "row"], ignore_index=True)
    ttype = np.array(["voluntary", "involuntary", "other"], dtype=object)[
        rng.choice(3, n_ep, p=[0.7, 0.2, 0.1])
    ]
    people = pd.DataFrame(
        {
            "employee_id": pd.Series(ids[ep_pid], dtype="str"),
            "episode": pd.array(ep_num, dtype="Int64"),
            "hire_date": ep_hire.astype("datetime64[D]").astype("datetime64[ns]"),
            "termination_date": np.where(open_, np.datetime64("NaT"), ep_term.astype(
                "datetime64[D]")).astype("datetime64[ns]"),
            "termination_type": pd.Series(np.where(open_, None, ttype), dtype="str"),
            "gender": pd.Series(np.where(rng.random(n_ep) < 0.4, "F", "M"), dtype="str"),
            "row": pd.array(np.arange(1, n_ep + 1), dtype="Int64"),
        }
    )
    return history, people


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_people", nargs="?", type=int, default=100_000)
    parser.add_argument("--fiscal-start", type=int, default=1)
    args = parser.parse_args(argv)

    t = time.perf_counter()
    history, people = synthetic(args.n_people)
    rss_inputs = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"built {len(people):,} episodes, {len(history):,} history rows "
          f"in {time.perf_counter() - t:.1f} s (peak RSS {rss_inputs:,.0f} MB)")
    data = AuditData(
        history=history,
        people=people,
        ladder=pd.DataFrame(),
        extract_date=pd.Timestamp("2024-12-31"),
        history_start=pd.Timestamp("2015-01-01"),
        config={"export": {"fiscal_year_start_month": args.fiscal_start}},
    )
    t = time.perf_counter()
    spells = derive_spells(data)
    t_sp = time.perf_counter() - t
    t = time.perf_counter()
    exposure = derive_exposure(data)
    t_ex = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"spells:   {len(spells):,} rows in {t_sp:.2f} s")
    print(f"exposure: {len(exposure):,} rows in {t_ex:.2f} s (includes deriving spells again)")
    print(f"peak RSS {rss:,.0f} MB")
    print(spells["end_reason"].value_counts().to_string())
    print(f"person-years {exposure['person_years'].sum():,.0f}")
    print(data.quality)


if __name__ == "__main__":
    main(sys.argv[1:])
