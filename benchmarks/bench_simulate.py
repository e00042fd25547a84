"""Time and peak memory of the simulator: ``python benchmarks/bench_simulate.py [sizes...]``.

Each size is the number of people ever employed over 10 years (default parameters, the
target headcount scaled to reach it). Every run happens in a fresh subprocess that
reports its wall time and peak resident memory (``ru_maxrss``), so one size cannot
inflate the next. ``--coverage-set`` also times 200 ``small()`` organisations (the
shared set of the coverage studies), simulated without the cache.

Sizes whose expected memory exceeds ``--max-gb`` are skipped and reported so.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap

_CHILD = textwrap.dedent(
    """
    import json, resource, time
    from pathaudit.simulate._run import simulate, sized, small
    kind, n = {kind!r}, {n!r}
    t0, c0 = time.perf_counter(), time.process_time()
    if kind == "size":
        sim = simulate(sized(n), seed=1)
        extra = {{"people_ever": sim.truth["realised"]["people_ever"],
                  "history_rows": sim.truth["realised"]["history_rows"]}}
    else:
        for seed in range(1000, 1000 + n):
            simulate(small(), seed)
        extra = {{"organisations": n}}
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    print(json.dumps({{"seconds": secs, "cpu_seconds": cpu, "peak_gb": peak, **extra}}))
    """
)


def run_child(kind: str, n: int) -> dict:
    """Run one measurement in a fresh interpreter and return its report."""
    code = _CHILD.format(kind=kind, n=n)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--max-gb", type=float, default=8.0,
                        help="skip sizes expected to need more memory than this")
    parser.add_argument("--coverage-set", action="store_true",
                        help="also time 200 small() organisations")
    args = parser.parse_args()
    points: list[tuple[int, float]] = []  # (people ever, peak GB), for extrapolating memory
    print(f"{'people ever (target)':>22} {'people ever':>12} {'history rows':>13} "
          f"{'wall s':>8} {'CPU s':>8} {'peak GB':>8}")
    for n in args.sizes:
        if points:
            (n0, g0), (n1, g1) = points[0], points[-1]
            slope = (g1 - g0) / (n1 - n0) if n1 > n0 else g1 / n1
            expected = g1 + slope * (n - n1)
            if expected > args.max_gb:
                print(f"{n:>22,} skipped: about {expected:.1f} GB expected "
                      f"(> --max-gb {args.max_gb})")
                continue
        r = run_child("size", n)
        points.append((r["people_ever"], r["peak_gb"]))
        print(f"{n:>22,} {r['people_ever']:>12,} {r['history_rows']:>13,} "
              f"{r['seconds']:>8.1f} {r['cpu_seconds']:>8.1f} {r['peak_gb']:>8.2f}")
    if args.coverage_set:
        r = run_child("coverage", 200)
        print(f"200 small() organisations: {r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s "
              f"CPU, peak {r['peak_gb']:.2f} GB")


if __name__ == "__main__":
    main()
