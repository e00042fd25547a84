"""Time of the pay-parity analysis on a large organisation.

Usage::

    python benchmarks/bench_parity.py [n_people] [--units U] [--bootstrap B]

Builds canonical tables directly (no files, no loader): ``n_people`` current employees
(default 100,000) on a two-track ladder (grades 2-9, IC top 8), with FTE base pay from a
log-linear model (grade, IC penalty 5%, tenure, job family, location, gender, unit level),
variable pay (zero for 40%) and equity from grade 6, pay bands, and ``U`` org units
(default 40: CRV1 errors; under 30 the CRV3 jackknife is used). Runs
``pathaudit.pay_parity`` twice: without the bootstrap (every model, decomposition, EU gaps,
remediation, ceilings) and with a ``B``-draw bootstrap (default 2,000) for the ratios of
medians and the median gender gaps. Prints seconds for each (best of ``--repeat`` runs).

Targets (issue 4): under 3 s without the bootstrap, under 60 s with 2,000 draws.

``--blas-threads N`` sets ``OPENBLAS_NUM_THREADS`` (and the OpenMP/MKL equivalents) before
numpy is imported. On a machine whose cores are busy with other jobs, multi-threaded BLAS
oversubscribes them and the regressions run several times slower than on one thread.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

if "--blas-threads" in sys.argv:  # must happen before numpy is imported
    _n = sys.argv[sys.argv.index("--blas-threads") + 1]
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _n

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pathaudit.data import AuditData  # noqa: E402
from pathaudit.parity import pay_parity  # noqa: E402

AS_OF = pd.Timestamp("2025-12-31")


def synthetic(n: int, units: int = 40, seed: int = 0) -> AuditData:
    """Current employees with known pay structure (one history row each)."""
    rng = np.random.default_rng(seed)
    grade = rng.integers(2, 10, n)
    is_ic = (rng.random(n) < 0.6) & (grade <= 8)
    track = np.where(is_ic, "IC", "M")
    unit = rng.integers(0, units, n)
    fam = np.array(["Engineering", "Data", "Product"])[rng.integers(0, 3, n)]
    loc = np.array(["Berlin", "Lisbon", "Remote", "Paris"])[rng.integers(0, 4, n)]
    gender = np.where(rng.random(n) < 0.4, "Female", "Male")
    days = rng.integers(30, 15 * 365, n)
    tenure = days / 365.25
    lp = (
        10.4 + 0.12 * grade - 0.05 * is_ic + 0.015 * tenure
        + np.array([0.0, 0.03, 0.02])[rng.integers(0, 3, n)]
        + np.where(loc == "Lisbon", -0.2, 0.0) - 0.03 * (gender == "Female")
        + rng.normal(0, 0.04, units)[unit] + rng.normal(0, 0.1, n)
    )
    pay = np.exp(lp)
    ids = pd.array([f"E{i:07d}" for i in range(n)], dtype="string")
    hire = AS_OF - pd.to_timedelta(days, unit="D")
    level = pd.array(np.char.add(track, grade.astype(str)), dtype="string")
    hist = pd.DataFrame(
        {
            "employee_id": ids,
            "effective_date": hire,
            "track": track,
            "level": level,
            "base_salary": pay,
            "variable_pay": np.where(rng.random(n) < 0.4, 0.0, 0.1 * pay),
            "equity": np.where(grade >= 6, 0.05 * (grade - 5) * pay, 0.0),
            "fte": 1.0,
            "currency": "EUR",
            "org_unit": pd.array([f"Unit{u:02d}" for u in unit], dtype="string"),
            "job_family": pd.array(fam, dtype="string"),
            "location": pd.array(loc, dtype="string"),
            "episode": 0,
            "grade": pd.array(grade, dtype="Int64"),
            "pay": pay,
            "row": np.arange(1, n + 1),
        }
    )
    people = pd.DataFrame(
        {
            "employee_id": ids,
            "hire_date": hire,
            "termination_date": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"),
            "gender": pd.array(gender, dtype="string"),
            "episode": 0,
            "row": np.arange(1, n + 1),
        }
    )
    lad = pd.DataFrame(
        [("IC", f"IC{g}", g) for g in range(2, 9)] + [("M", f"M{g}", g) for g in range(2, 10)],
        columns=["track", "level", "grade"],
    )
    mid = 42000 * 1.12 ** (lad["grade"] - 2)
    bands = lad[["track", "level"]].assign(
        band_min=0.8 * mid, band_mid=mid, band_max=1.2 * mid
    )
    return AuditData(
        history=hist, people=people, ladder=lad, bands=bands, extract_date=AS_OF,
        history_start="2010-01-01",
    )


def _best(fn, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=100_000)
    ap.add_argument("--units", type=int, default=40)
    ap.add_argument("--bootstrap", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="BLAS threads (set before numpy is imported; default: library default)")
    args = ap.parse_args()
    data = synthetic(args.n, units=args.units)
    pay_parity(data, bootstrap=0)  # warm-up (imports, first-call costs)
    t_plain = _best(lambda: pay_parity(data, bootstrap=0), args.repeat)
    t_boot = _best(lambda: pay_parity(data, bootstrap=args.bootstrap), 1)
    res = pay_parity(data, bootstrap=0)
    over = res.overall_gap()
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"people: {args.n:,}; org units: {args.units}; vcov: {over['vcov']}; "
          f"BLAS threads: {threads}")
    print(f"adjusted IC gap (truth -4.9%): {over['estimate']:+.2%}")
    print(f"pay_parity without bootstrap: {t_plain:.2f} s (target < 3 s)")
    print(f"pay_parity with {args.bootstrap}-draw bootstrap: {t_boot:.2f} s (target < 60 s)")


if __name__ == "__main__":
    main()
