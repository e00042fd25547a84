"""Time and peak memory of the attrition analysis on a large simulated organisation.

Usage::

    python benchmarks/bench_attrition.py [n_people]
    python benchmarks/bench_attrition.py --engines [--people 377000] [--repeat 7]
    python benchmarks/bench_attrition.py --export DIR [--repeat 2]
    python benchmarks/bench_attrition.py --cox [--people 1000000] [--repeat 2]

Simulates an organisation of about ``n_people`` people ever employed (default 100,000)
over 10 years with the simulator's default parameters (target headcount scaled to reach
it), in a first subprocess, and pickles it. A second, fresh subprocess loads it, derives
exposure (timed apart) and runs ``pathaudit.attrition`` -- every figure: rates by track,
grade and year, rate ratios, SHRM-style turnover (annual and quarterly), Kaplan–Meier
retention (tenure and time in track), the Cox model, regretted attrition and the matched
post-switch design in both directions -- then reports wall seconds, CPU seconds and the
peak resident memory of that process (which includes the loaded organisation).

``--export DIR``: the attrition analysis as the audit runs it, on an existing export (e.g. one
written by ``bench_scale.py``: ``DIR/map.toml`` and its CSVs), in one fresh subprocess: load and
derive exposure, run forced management first (which leaves the shared IC -> M matched design and
releases its own tables, as in the audit), then ``run_audit(..., analyses=["attrition"])``
``--repeat`` times (the tables attrition derived are dropped between runs, so each run derives
them again), writing included; reports the least CPU seconds of attrition, its wall seconds and
the peak resident memory of the process.

``--engines``: the survival engine beside statsmodels on the same data, in one process:
one record per person (``--people``, default 377,000; time in whole days, in years, up to 30
years, censored beyond; two competing causes; two groups), Aalen–Johansen
(:func:`pathaudit.stats.survival.aalen_johansen`) against statsmodels' ``CumIncidenceRight``
and the log-rank test (:func:`pathaudit.stats.survival.logrank`) against ``survdiff``, each
``--repeat`` times, alternating; reports the least CPU seconds (``time.process_time``) of
each and checks that both give the same figures. The log-rank test is timed three times: plain,
stratified (ten strata) and with delayed entry (``survdiff`` takes either, not both at once).

``--cox``: :func:`pathaudit.stats.survival.cox_ph` beside statsmodels' ``PHReg`` on one
record per person (``--people``, default 1,000,000) with four covariates, delayed entry, ten
strata and Breslow ties; least CPU seconds of each and whether they give the same estimates.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

_SIMULATE = textwrap.dedent(
    """
    import pickle, sys
    from pathaudit.simulate._run import simulate, sized
    sim = simulate(sized({n}), seed=1)
    with open({path!r}, "wb") as fh:
        pickle.dump(sim, fh, protocol=pickle.HIGHEST_PROTOCOL)
    print(sim.truth["realised"]["people_ever"])
    """
)

_RUN = textwrap.dedent(
    """
    import json, pickle, resource, time
    from pathaudit.attrition import attrition
    with open({path!r}, "rb") as fh:
        sim = pickle.load(fh)
    data = sim.data
    t0, c0 = time.perf_counter(), time.process_time()
    ex = data.exposure
    t1, c1 = time.perf_counter(), time.process_time()
    res = attrition(data)
    t2, c2 = time.perf_counter(), time.process_time()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    print(json.dumps({{
        "exposure_rows": len(ex),
        "exposure_seconds": t1 - t0,
        "attrition_seconds": t2 - t1,
        "attrition_cpu_seconds": c2 - c1,
        "peak_gb": peak,
        "switches_matched": int(res.post_switch.table["n_sets"].fillna(0).max()),
        "cox_rows": res.cox.meta["model"]["rows"],
    }}))
    """
)


_EXPORT = textwrap.dedent(
    """
    import json, resource, shutil, tempfile, time
    from pathlib import Path
    import pathaudit
    from pathaudit.audit import run_audit
    folder = Path({folder!r})
    data = pathaudit.load(folder, folder / "map.toml")
    exposure_rows = len(data.exposure)
    out = Path(tempfile.mkdtemp())
    run_audit(data, out / "fm", analyses=["forced_management"], charts=False, report=False)
    cache = data.__dict__.get("_derived", {{}})
    kept = set(cache)
    cpu, wall = [], []
    for i in range({repeat}):
        for key in [k for k in cache if k not in kept]:
            del cache[key]
        t0, c0 = time.perf_counter(), time.process_time()
        run_audit(data, out / f"a{{i}}", analyses=["attrition"], charts=False, report=False)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    shutil.rmtree(out, ignore_errors=True)
    print(json.dumps({{
        "exposure_rows": exposure_rows,
        "attrition_cpu_seconds": min(cpu),
        "attrition_cpu_seconds_all": cpu,
        "attrition_wall_seconds": min(wall),
        "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2,
    }}))
    """
)


def _least_cpu(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Least CPU seconds of ``repeat`` calls, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        c0 = time.process_time()
        out = fn()
        best = min(best, time.process_time() - c0)
    return best, out


def engines(n: int, repeat: int, seed: int = 0) -> dict:
    """Aalen–Johansen and log-rank against statsmodels on ``n`` one-record people."""
    from statsmodels.duration.survfunc import CumIncidenceRight, survdiff

    from pathaudit.stats.survival import aalen_johansen, logrank

    rng = np.random.default_rng(seed)
    days = np.ceil(rng.exponential(6 * 365.25, n))
    cause = rng.choice([1, 2], n, p=[0.6, 0.4])
    cens = days > 30 * 365.25
    days = np.minimum(days, np.floor(30 * 365.25))
    time_ = days / 365.25
    status = np.where(cens, 0, cause)
    group = rng.integers(0, 2, n)
    # the stratified test (ten strata) and the test with delayed entry (statsmodels 0.15's
    # survdiff fails on both at once: it does not subset entry by stratum)
    strata = rng.integers(0, 10, n)
    entry = np.floor(rng.random(n) * days) / 365.25
    ours = dict.fromkeys(("aj", "lr", "lrs", "lre"), np.inf)
    theirs = dict.fromkeys(("aj", "lr", "lrs", "lre"), np.inf)
    for _ in range(repeat):  # alternating, so both meet the same load
        c, aj = _least_cpu(lambda: aalen_johansen(time_, status), 1)
        ours["aj"] = min(ours["aj"], c)
        c, sm_aj = _least_cpu(lambda: CumIncidenceRight(time_, status), 1)
        theirs["aj"] = min(theirs["aj"], c)
        c, lr = _least_cpu(lambda: logrank(time_, status > 0, group), 1)
        ours["lr"] = min(ours["lr"], c)
        c, sm_lr = _least_cpu(lambda: survdiff(time_, (status > 0).astype(float), group), 1)
        theirs["lr"] = min(theirs["lr"], c)
        c, lrs = _least_cpu(lambda: logrank(time_, status > 0, group, strata=strata), 1)
        ours["lrs"] = min(ours["lrs"], c)
        c, sm_lrs = _least_cpu(
            lambda: survdiff(time_, (status > 0).astype(float), group, strata=strata), 1
        )
        theirs["lrs"] = min(theirs["lrs"], c)
        c, lre = _least_cpu(lambda: logrank(time_, status > 0, group, entry=entry), 1)
        ours["lre"] = min(ours["lre"], c)
        c, sm_lre = _least_cpu(
            lambda: survdiff(time_, (status > 0).astype(float), group, entry=entry), 1
        )
        theirs["lre"] = min(theirs["lre"], c)
    same_aj = all(
        np.allclose(aj.cif[:, j], sm_aj.cinc[j], rtol=1e-9, atol=1e-12)
        and np.allclose(aj.se[:, j], sm_aj.cinc_se[j], rtol=1e-7, atol=1e-12)
        for j in range(2)
    )
    same_lr = bool(
        np.isclose(lr[0], sm_lr[0], rtol=1e-9)
        and np.isclose(lr[2], sm_lr[1])
        and np.isclose(lrs[0], sm_lrs[0], rtol=1e-9)
        and np.isclose(lre[0], sm_lre[0], rtol=1e-9)
    )
    return {
        "people": n,
        "distinct_event_times": int(len(aj.time)),
        "repeat": repeat,
        "aalen_johansen_cpu": ours["aj"],
        "statsmodels_CumIncidenceRight_cpu": theirs["aj"],
        "aalen_johansen_ratio": ours["aj"] / theirs["aj"],
        "logrank_cpu": ours["lr"],
        "statsmodels_survdiff_cpu": theirs["lr"],
        "logrank_ratio": ours["lr"] / theirs["lr"],
        "logrank_strata_cpu": ours["lrs"],
        "statsmodels_survdiff_strata_cpu": theirs["lrs"],
        "logrank_strata_ratio": ours["lrs"] / theirs["lrs"],
        "logrank_entry_cpu": ours["lre"],
        "statsmodels_survdiff_entry_cpu": theirs["lre"],
        "logrank_entry_ratio": ours["lre"] / theirs["lre"],
        "same_figures": same_aj and same_lr,
    }


def cox(n: int, repeat: int, seed: int = 0) -> dict:
    """The Cox model against statsmodels' ``PHReg`` on ``n`` one-record people.

    Four covariates (a binary compared group, two normal controls, a binary control), delayed
    entry and ten strata, Breslow ties, times in whole days (many ties): the shape of the
    analyses' fits. Least CPU seconds of ``repeat`` alternating fits of each, and whether the
    coefficients and model-based standard errors agree (relative 1e-6: both stop Newton's
    method at their own tolerance).
    """
    from statsmodels.duration.hazard_regression import PHReg

    from pathaudit.stats.survival import cox_ph

    rng = np.random.default_rng(seed)
    x = np.column_stack([
        rng.integers(0, 2, n), rng.normal(size=n), rng.normal(size=n), rng.integers(0, 2, n)
    ]).astype(float)
    beta = np.array([0.3, -0.2, 0.1, 0.25])
    days = np.ceil(rng.exponential(6 * 365.25 * np.exp(-x @ beta)))
    cens = days > 10 * 365.25
    days = np.minimum(days, np.floor(10 * 365.25))
    time_ = days / 365.25
    status = (~cens).astype(float)
    # entries at half days: no entry coincides with an exit (statsmodels counts a person who
    # enters at t in the risk set at t; the package, as R's coxph, from just after t)
    entry = (np.floor(rng.random(n) * days * 0.5) + 0.5) / 365.25
    strata = rng.integers(0, 10, n)
    ours, theirs = np.inf, np.inf
    for _ in range(repeat):
        c, fit = _least_cpu(lambda: cox_ph(time_, status, x, entry=entry, strata=strata), 1)
        ours = min(ours, c)
        c, sm = _least_cpu(
            lambda: PHReg(time_, x, status=status, entry=entry, strata=strata,
                          ties="breslow").fit(), 1
        )
        theirs = min(theirs, c)
    se = np.sqrt(np.diag(fit.cov))
    return {
        "people": n,
        "repeat": repeat,
        "cox_ph_cpu": ours,
        "statsmodels_PHReg_cpu": theirs,
        "speed_up": theirs / ours,
        "max_rel_diff_params": float(np.max(np.abs(fit.params / sm.params - 1))),
        "max_rel_diff_se": float(np.max(np.abs(se / sm.bse - 1))),
        "same_figures": bool(
            np.allclose(fit.params, sm.params, rtol=1e-6) and np.allclose(se, sm.bse, rtol=1e-6)
        ),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one JSON line of figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_people", nargs="?", type=int, default=100_000)
    parser.add_argument("--engines", action="store_true",
                        help="only Aalen–Johansen and log-rank beside statsmodels")
    parser.add_argument("--cox", action="store_true",
                        help="only the Cox model beside statsmodels' PHReg (1,000,000 people)")
    parser.add_argument("--people", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--export", type=Path, default=None,
                        help="time attrition as the audit runs it on this export (DIR/map.toml)")
    args = parser.parse_args(argv)
    if args.export is not None:
        run = subprocess.run(
            [sys.executable, "-c", _EXPORT.format(folder=str(args.export), repeat=args.repeat)],
            capture_output=True, text=True, check=True,
        )
        print(json.dumps({"export": str(args.export), **json.loads(run.stdout)}))
        return 0
    if args.engines:
        print(json.dumps(engines(args.people or 377_000, args.repeat)))
        return 0
    if args.cox:
        print(json.dumps(cox(args.people or 1_000_000, args.repeat)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "org.pkl")
        sim = subprocess.run(
            [sys.executable, "-c", _SIMULATE.format(n=args.n_people,
                                                    path=path)],
            capture_output=True, text=True, check=True,
        )
        run = subprocess.run([sys.executable, "-c", _RUN.format(path=path)],
                             capture_output=True, text=True, check=True)
    report = {"people_ever": int(sim.stdout.strip()), **json.loads(run.stdout)}
    report["total_seconds"] = report["exposure_seconds"] + report["attrition_seconds"]
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
