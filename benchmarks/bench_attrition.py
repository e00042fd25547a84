"""Time and peak memory of the attrition analysis on a large simulated organisation.

Usage::

    python benchmarks/bench_attrition.py [n_people]

Simulates an organisation of about ``n_people`` people ever employed (default 100,000)
over 10 years with the simulator's default parameters (target headcount scaled to reach
it), in a first subprocess, and pickles it. A second, fresh subprocess loads it, derives
exposure (timed apart) and runs ``pathaudit.attrition`` -- every figure: rates by track,
grade and year, rate ratios, SHRM-style turnover (annual and quarterly), Kaplan–Meier
retention (tenure and time in track), the Cox model, regretted attrition and the matched
post-switch design in both directions -- then reports wall seconds and the peak resident
memory of that process (which includes the loaded organisation).
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
    t0 = time.perf_counter()
    ex = data.exposure
    t1 = time.perf_counter()
    res = attrition(data)
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    print(json.dumps({{
        "exposure_rows": len(ex),
        "exposure_seconds": t1 - t0,
        "attrition_seconds": t2 - t1,
        "peak_gb": peak,
        "switches_matched": int(res.post_switch.table["n_sets"].fillna(0).max()),
        "cox_rows": res.cox.meta["model"]["rows"],
    }}))
    """
)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one JSON line of figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_people", nargs="?", type=int, default=100_000)
    args = parser.parse_args(argv)
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
