"""Time and peak memory of the forced-into-management indicators on a large organisation.

Usage::

    python benchmarks/bench_management.py [n_people] [--repeat R] [--blas-threads N]

Simulates an organisation of about ``n_people`` people ever employed (default 100,000)
over 10 years with the simulator's default parameters (target headcount scaled to reach
it) in a first subprocess, and pickles it. For each repeat, a fresh subprocess loads it,
derives spells and exposure (timed apart), times each indicator alone on the whole
organisation, and then ``pathaudit.forced_management(data)`` as the audit runs it: every
indicator for the organisation, for each org unit and for each fiscal year, the switch
flows, the profile and the score. It reports wall seconds and the peak resident memory of
that process (which includes the loaded organisation), and the CPU seconds of
``forced_management`` (``time.process_time``; BLAS on ``--blas-threads`` threads, 1 by
default, as the audit runs it).

Targets: issue 7, all indicators on 100,000 people over 10 years in under 30 s and 3 GB;
issue 16, forced management under 3 CPU seconds at 100,000 people (``target_met``; the
audit's writing of its tables comes on top, see ``bench_scale.py``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

_SIMULATE = textwrap.dedent(
    """
    import pickle
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
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits={blas}, user_api="blas")
    from pathaudit.management import INDICATORS, forced_management
    with open({path!r}, "rb") as fh:
        sim = pickle.load(fh)
    data = sim.data
    t0 = time.perf_counter()
    sp, ex = data.spells, data.exposure
    t1 = time.perf_counter()
    each = {{}}
    for name, fn in INDICATORS.items():  # derived tables are shared through data.derived
        s = time.perf_counter()
        fn(data)
        each[name] = time.perf_counter() - s
    t2 = time.perf_counter()
    c2 = time.process_time()
    audit = forced_management(data)
    c3 = time.process_time()
    t3 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    print(json.dumps({{
        "people": int(data.people["employee_id"].nunique()),
        "history_rows": len(data.history),
        "spells": len(sp),
        "exposure_rows": len(ex),
        "derive_seconds": t1 - t0,
        "overall_seconds": t2 - t1,
        "each_seconds": each,
        "forced_management_seconds": t3 - t2,
        "forced_management_cpu_seconds": c3 - c2,
        "profile_rows": len(audit.profile.table),
        "units": int((audit.scores.table["by"] == "org_unit").sum()),
        "years": int((audit.scores.table["by"] == "year").sum()),
        "score": float(audit.scores.table["flagged"].iloc[0]),
        "peak_gb": peak,
    }}))
    """
)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one JSON line of figures per repeat."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_people", nargs="?", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="BLAS threads of the timed process (default 1, as the audit)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "org.pkl")
        subprocess.run(
            [sys.executable, "-c", _SIMULATE.format(n=args.n_people,
                                                    path=path)],
            capture_output=True, text=True, check=True,
        )
        for _ in range(args.repeat):
            code = _RUN.format(path=path, blas=args.blas_threads)
            run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            if run.returncode:
                print(run.stderr, file=sys.stderr)
                return run.returncode
            figures = json.loads(run.stdout.strip().splitlines()[-1])
            figures["target_met"] = (figures["forced_management_cpu_seconds"] < 3
                                     and figures["peak_gb"] < 3)
            print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
