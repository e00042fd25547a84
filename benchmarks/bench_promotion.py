"""Time and peak memory of the time-to-promotion analysis on a large organisation.

Usage::

    python benchmarks/bench_promotion.py [n_people] [--repeat R] [--blas-threads N]

Builds canonical tables directly (no files, no loader): ``n_people`` people (default
100,000) hired over ten years (2015-2024) into an organisation that already employs them
(half hired before the history starts, 2015-01-01, so their spells enter late), at grades
2-5 of a two-track ladder (IC top 7, M top 9), with constant competing monthly hazards of
promotion, exit and switch, three job families, four locations, eight units and a gender
column. Derives spells and exposure (timed apart), then runs
``pathaudit.time_to_promotion`` (every figure: incidence, headline, Cox models, log-rank,
rates, velocity, parity, impact ratios) ``--repeat`` times and writes its tables as the
audit does (``output.write_analysis``), and prints the least wall and CPU seconds of each
and the peak resident memory of the process. BLAS runs on ``--blas-threads`` threads
(default 1, as in the audit: on shared cores, BLAS threads that wait spin and count as CPU
time).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from pathaudit.data import AuditData
from pathaudit.output import write_analysis
from pathaudit.promotion import time_to_promotion

_DAY = 86_400_000_000_000
TOP = {"IC": 7, "M": 9}
RATES = {  # yearly hazards
    "IC": {"promotion": 0.18, "exit": 0.12, "switch": 0.04},
    "M": {"promotion": 0.24, "exit": 0.09, "switch": 0.02},
}


def synthetic(n: int, seed: int = 0) -> AuditData:
    """A two-track organisation with constant competing hazards (vectorised over people)."""
    rng = np.random.default_rng(seed)
    d0 = pd.Timestamp("2010-01-01").value // _DAY
    hs = pd.Timestamp("2015-01-01").value // _DAY
    ext = pd.Timestamp("2024-12-31").value // _DAY
    hire = rng.integers(d0, ext - 30, n)
    track = np.where(rng.random(n) < 0.75, "IC", "M").astype(object)
    grade = np.where(track == "IC", rng.integers(2, 6, n), rng.integers(4, 7, n))
    units = np.array([f"Unit{i}" for i in range(8)], dtype=object)
    unit = units[rng.integers(0, 8, n)]
    fam = np.array(["Engineering", "Data", "Product"], dtype=object)[rng.integers(0, 3, n)]
    loc = np.array(["Berlin", "Lisbon", "Remote", "Paris"], dtype=object)[rng.integers(0, 4, n)]
    gender = np.where(rng.random(n) < 0.35, "F", "M").astype(object)
    recs = [(np.arange(n), hire, track.copy(), grade.copy())]
    now = hire.astype(float)
    active = np.ones(n, dtype=bool)
    term = np.full(n, -1)
    for _ in range(80):
        idx = np.flatnonzero(active)
        if not len(idx):
            break
        tr = track[idx]
        is_ic = tr == "IC"
        lp = np.where(is_ic, RATES["IC"]["promotion"], RATES["M"]["promotion"])
        lp = np.where(grade[idx] >= np.where(is_ic, TOP["IC"], TOP["M"]), 0.0, lp)
        le = np.where(is_ic, RATES["IC"]["exit"], RATES["M"]["exit"])
        ls = np.where(is_ic, RATES["IC"]["switch"], RATES["M"]["switch"])
        tot = lp + le + ls
        nxt = np.floor(now[idx] + rng.exponential(1 / tot) * 365.25).astype(np.int64) + 1
        done = nxt > ext
        active[idx[done]] = False
        idx, nxt, lp, le, tot = idx[~done], nxt[~done], lp[~done], le[~done], tot[~done]
        u = rng.random(len(idx)) * tot
        is_p = u < lp
        is_e = (u >= lp) & (u < lp + le)
        is_s = u >= lp + le
        term[idx[is_e]] = nxt[is_e] - 1
        active[idx[is_e]] = False
        grade[idx[is_p]] += 1
        sw = idx[is_s]
        track[sw] = np.where(track[sw] == "IC", "M", "IC")
        grade[sw] = np.minimum(grade[sw], np.where(track[sw] == "IC", TOP["IC"], TOP["M"]))
        ch = is_p | is_s
        recs.append((idx[ch], nxt[ch], track[idx[ch]].copy(), grade[idx[ch]].copy()))
        now[idx] = nxt
    pid = np.concatenate([r[0] for r in recs])
    day = np.concatenate([r[1] for r in recs])
    trk = np.concatenate([r[2] for r in recs]).astype(str)
    grd = np.concatenate([r[3] for r in recs])
    order = np.lexsort((day, pid))
    pid, day, trk, grd = pid[order], day[order], trk[order], grd[order]
    ids = np.char.add("E", np.char.zfill(np.arange(n).astype(str), 7)).astype(object)
    hist = pd.DataFrame(
        {
            "employee_id": pd.array(ids[pid], dtype="str"),
            "effective_date": pd.to_datetime(day * _DAY),
            "track": pd.array(trk, dtype="str"),
            "level": pd.array(np.char.add(trk, grd.astype(str)), dtype="str"),
            "grade": pd.array(grd, dtype="Int64"),
            "pay": 50_000.0 * 1.12 ** grd,
            "org_unit": pd.array(unit[pid], dtype="str"),
            "job_family": pd.array(fam[pid], dtype="str"),
            "location": pd.array(loc[pid], dtype="str"),
            "episode": pd.array(np.zeros(len(pid), dtype=np.int64), dtype="Int64"),
            "row": pd.array(np.arange(1, len(pid) + 1), dtype="Int64"),
        }
    )
    people = pd.DataFrame(
        {
            "employee_id": pd.array(ids, dtype="str"),
            "hire_date": pd.to_datetime(hire * _DAY),
            "termination_date": pd.to_datetime(np.where(term >= 0, term, 0) * _DAY).where(
                term >= 0
            ),
            "termination_type": pd.array(np.where(term >= 0, "voluntary", None), dtype="str"),
            "gender": pd.array(gender, dtype="str"),
            "episode": pd.array(np.zeros(n, dtype=np.int64), dtype="Int64"),
            "row": pd.array(np.arange(1, n + 1), dtype="Int64"),
        }
    )
    ladder = pd.DataFrame(
        [(t, f"{t}{g}", g) for t in ("IC", "M") for g in range(2, TOP[t] + 1)],
        columns=["track", "level", "grade"],
    )
    ladder["grade"] = ladder["grade"].astype("Int64")
    return AuditData(
        history=hist,
        people=people,
        ladder=ladder,
        extract_date=pd.Timestamp("2024-12-31"),
        history_start=pd.Timestamp(hs * _DAY),
    )


def _peak_mb() -> float:
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_people", nargs="?", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs timed (the least is shown)")
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="BLAS threads while the analysis runs (default 1, as the audit)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    data = synthetic(args.n_people)
    t1 = time.perf_counter()
    spells, exposure = data.spells, data.exposure
    t2 = time.perf_counter()
    walls, cpus, writes = [], [], []
    with threadpool_limits(limits=args.blas_threads, user_api="blas"):
        for _ in range(args.repeat):
            w, c = time.perf_counter(), time.process_time()
            res = time_to_promotion(data)
            walls.append(time.perf_counter() - w)
            cpus.append(time.process_time() - c)
            with tempfile.TemporaryDirectory() as out:
                c = time.process_time()
                write_analysis(res, Path(out), data.min_cell_size)
                writes.append(time.process_time() - c)
    head = res.difference.table.iloc[0]
    print(f"people: {args.n_people:,}; history rows: {len(data.history):,}")
    print(f"spells: {len(spells):,}; exposure rows: {len(exposure):,}")
    print(f"build tables: {t1 - t0:.1f} s; derive spells + exposure: {t2 - t1:.1f} s")
    print(f"time_to_promotion (least of {args.repeat}; BLAS threads {args.blas_threads}): "
          f"{min(walls):.2f} s wall, {min(cpus):.2f} s CPU; writing its tables "
          f"(publish, CSV, Parquet, JSON): {min(writes):.2f} s CPU")
    print(f"peak memory (whole process): {_peak_mb():,.0f} MB")
    print(
        f"headline IC - M 3-year difference: {head['estimate']:.4f} "
        f"[{head['ci_lower']:.4f}, {head['ci_upper']:.4f}]"
    )


if __name__ == "__main__":
    main()
