"""The whole audit against the floor, by size: CPU and wall time, peak memory, per step.

Usage::

    python benchmarks/bench_scale.py [sizes...] [--work DIR] [--repeat R] [--limit-gb G]

Each size is the number of people ever employed over 10 years (the simulator's default
organisation, the target headcount scaled to reach it, as ``bench_simulate.py`` does). The
simulated CSV export and its column map are written once into ``--work`` (default: a
temporary folder) and reused by every repeat. Then, for every size and repeat, two fresh
interpreters run one after the other, each reporting its own wall time, CPU time
(``time.process_time``: every thread of the process, user + system) and peak resident memory
(``ru_maxrss``):

1. **the floor**: pandas reads the same ``history.csv`` (C engine), parses the effective
   dates, sorts by person and date, and counts rows and takes the last date per person in one
   groupby: the least work any audit of that file must do;
2. **the audit** as the command ``pathaudit audit EXPORT --map MAP --out OUT`` runs it, in one
   process: ``import pathaudit``, ``pathaudit.load``, ``data.spells``, ``data.exposure``, then
   :func:`pathaudit.audit.run_audit`, with the time of each step taken from its progress
   callback (an analysis's time includes writing its tables and its headline; charts and the
   report are steps of their own). ``--core``: only pay parity, time to promotion, forced
   management and attrition, without charts and report.

Prints one markdown table (audit / floor), the growth factor per tenfold step, and the CPU
seconds and the peak resident memory so far (at its end) of every step. CPU time is the
measure to read on a shared machine: wall time includes waiting for the cores. Every
child's address space is capped at ``--limit-gb`` (a step that runs out fails alone and is
reported so).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

_PEAK = "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2"

_SIMULATE = textwrap.dedent(
    """
    import json
    from pathaudit.simulate._run import simulate, sized
    sim = simulate(sized({n}), seed=1)
    sim.write({folder!r}, formats=("csv",))
    print(json.dumps({{"people_ever": sim.truth["realised"]["people_ever"]}}))
    """
)

_FLOOR = textwrap.dedent(
    f"""
    import json, resource, time
    t0, c0 = time.perf_counter(), time.process_time()
    import pandas as pd
    h = pd.read_csv({{path!r}}, engine="c", dtype={{{{"Worker ID": "string"}}}})
    h["Effective Date"] = pd.to_datetime(h["Effective Date"], format="%Y-%m-%d")
    h = h.sort_values(["Worker ID", "Effective Date"], kind="stable")
    g = h.groupby("Worker ID", sort=False)["Effective Date"].agg(["size", "last"])
    t1, c1 = time.perf_counter(), time.process_time()
    print(json.dumps({{{{"rows": len(h), "people": len(g), "wall": t1 - t0, "cpu": c1 - c0,
                      "peak_gb": {_PEAK}}}}}))
    """
)

_AUDIT = textwrap.dedent(
    f"""
    import json, resource, sys, time
    steps = []
    CORE = ("pay_parity", "time_to_promotion", "forced_management", "attrition")
    def tick(name):
        peak = {_PEAK}
        steps.append((name, time.perf_counter(), time.process_time(), peak))
        print(f"step: {{{{name}}}} (peak so far {{{{peak:.2f}}}} GB)", file=sys.stderr, flush=True)
    t0, c0 = time.perf_counter(), time.process_time()
    tick("import")
    import pathaudit
    from pathlib import Path
    from pathaudit.audit import run_audit
    folder = Path({{folder!r}})
    tick("load")
    data = pathaudit.load(folder, folder / "map.toml")
    tick("spells")
    spells = data.spells
    tick("exposure")
    exposure = data.exposure
    import inspect, shutil
    shutil.rmtree({{out!r}}, ignore_errors=True)
    takes = inspect.signature(run_audit).parameters
    tick("audit")
    opts = {{{{"progress": tick}}}} if "progress" in takes else {{{{}}}}
    if {{core!r}}:
        from pathaudit.audit import ANALYSES
        opts["analyses"] = [a for a in ANALYSES if a in CORE]
        opts.update({{{{k: False for k in ("charts", "report") if k in takes}}}})
    summary = run_audit(data, {{out!r}}, **opts)
    tick("end")
    t1, c1 = time.perf_counter(), time.process_time()
    times = {{{{a[0]: {{{{"wall": b[1] - a[1], "cpu": b[2] - a[2], "peak_gb": b[3]}}}}
             for a, b in zip(steps, steps[1:])}}}}
    status = {{{{k: v["status"] for k, v in summary["analyses"].items()}}}}
    print(json.dumps({{{{"wall": t1 - t0, "cpu": c1 - c0, "peak_gb": {_PEAK},
                      "history_rows": len(data.history), "spells": len(spells),
                      "exposure_rows": len(exposure), "steps": times, "analyses": status}}}}))
    """
)


def run_child(code: str, limit_gb: float, timeout: float) -> dict:
    """Run one step in a fresh interpreter; return its report, or how it failed."""
    limit = int(limit_gb * 1024**3)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    start = time.perf_counter()
    try:
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            preexec_fn=cap,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"failed": f"stopped after {timeout:.0f} s"}
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines() or ["(no message)"]
        during = [ln for ln in lines if ln.startswith("step: ")]
        return {
            "failed": f"exit status {out.returncode}: {lines[-1]}"
            + (f" (during {during[-1][6:]})" if during else ""),
            "seconds_until_failure": time.perf_counter() - start,
        }
    return json.loads(out.stdout.strip().splitlines()[-1])


def _range(values: list[float], fmt: str) -> str:
    lo, hi = min(values), max(values)
    return (
        format(lo, fmt)
        if format(lo, fmt) == format(hi, fmt)
        else (f"{format(lo, fmt)}–{format(hi, fmt)}")
    )


def main(argv: list[str] | None = None) -> int:
    """Run every size, print the tables."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument(
        "--work", type=Path, default=None, help="folder for the simulated exports (kept and reused)"
    )
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--limit-gb", type=float, default=16.0)
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--json", type=Path, default=None, help="also write the raw reports")
    parser.add_argument(
        "--core",
        action="store_true",
        help="only the four analyses (pay parity, time to promotion, forced management, "
        "attrition), without charts and report",
    )
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="pathaudit-bench-"))
    rows = []
    for n in args.sizes:
        folder = work / f"sim{n}"
        if not (folder / "map.toml").exists():
            sim = run_child(_SIMULATE.format(n=n, folder=str(folder)), args.limit_gb, args.timeout)
            if "failed" in sim:
                print(f"{n:,}: simulation {sim['failed']}", file=sys.stderr)
                continue
        row: dict = {"size": n, "floor": [], "audit": []}
        for _ in range(args.repeat):
            row["floor"].append(
                run_child(
                    _FLOOR.format(path=str(folder / "history.csv")), args.limit_gb, args.timeout
                )
            )
            row["audit"].append(
                run_child(
                    _AUDIT.format(folder=str(folder), out=str(work / f"out{n}"), core=args.core),
                    args.limit_gb,
                    args.timeout,
                )
            )
        print(json.dumps(row), file=sys.stderr, flush=True)
        rows.append(row)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print(
        "| people (target) | history rows | audit CPU s | audit wall s | audit peak GB "
        "| floor CPU s | floor peak GB | audit / floor (CPU) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    done = []
    for r in rows:
        ok = [a for a in r["audit"] if "failed" not in a]
        fl = [f for f in r["floor"] if "failed" not in f]
        if not ok:
            fails = "; ".join(a["failed"] for a in r["audit"])
            print(f"| {r['size']:,} | | failed: {fails} | | | | | |")
            continue
        cpu, fcpu = [a["cpu"] for a in ok], [f["cpu"] for f in fl]
        print(
            f"| {r['size']:,} | {ok[0]['history_rows']:,} | {_range(cpu, '.1f')} "
            f"| {_range([a['wall'] for a in ok], '.1f')} "
            f"| {_range([a['peak_gb'] for a in ok], '.2f')} | {_range(fcpu, '.2f')} "
            f"| {_range([f['peak_gb'] for f in fl], '.2f')} "
            f"| {min(cpu) / min(fcpu):.0f}× |"
        )
        done.append((r["size"], min(cpu), min(a["peak_gb"] for a in ok)))
    print()
    print("| sizes | CPU growth | peak-memory growth |")
    print("|---|---|---|")
    for (n0, c0, m0), (n1, c1, m1) in zip(done, done[1:], strict=False):
        print(f"| {n0:,} → {n1:,} | {c1 / c0:.1f}× | {m1 / m0:.1f}× |")
    print()
    names = []
    for r in rows:
        for a in r["audit"]:
            for s in a.get("steps", {}):
                if s not in names:
                    names.append(s)
    for what, key, fmt in (("CPU s", "cpu", ".2f"), ("peak GB at its end", "peak_gb", ".2f")):
        print()
        print(f"| step ({what}) | " + " | ".join(f"{r['size']:,}" for r in rows) + " |")
        print("|---|" + "---|" * len(rows))
        for s in names:
            cells = []
            for r in rows:
                vals = [a["steps"][s][key] for a in r["audit"]
                        if key in a.get("steps", {}).get(s, {})]
                cells.append(_range(vals, fmt) if vals else "")
            print(f"| {s} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
