"""Time and peak memory of loading, spells, exposure and the whole audit, by size.

Usage::

    python benchmarks/bench_foundation.py [sizes...] [--audit-sizes N ...]

Each size is the number of people ever employed over 10 years (the simulator's default
parameters, the target headcount scaled to reach it, as in ``bench_simulate.py``). For
every size, each step runs in a fresh subprocess, so the peak resident memory
(``ru_maxrss``) it reports belongs to that step alone:

1. ``simulate`` writes the CSV export with its column map into a temporary folder
   (not timed against any target; reported for reference);
2. ``pathaudit.load(folder, folder / "map.toml")`` (reading, mapping, validation and
   the data-quality report), then ``data.spells`` and ``data.exposure``;
3. for the sizes in ``--audit-sizes`` only: load, then the whole audit as the command
   ``pathaudit audit DIR --map MAP --out OUT`` runs it (``pathaudit.audit.run_audit``),
   timed apart from the load.

Prints a markdown table and the growth factors (time and memory) between consecutive sizes.
Every step's address space is capped at ``--limit-gb`` (default 16, the 1,000,000-people
memory target); a step that fails (out of memory, or past ``--timeout``) is reported so.
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

_PEAK = "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2"

_SIMULATE = textwrap.dedent(
    f"""
    import json, resource, time
    from pathaudit.simulate._run import simulate, sized
    t0 = time.perf_counter()
    sim = simulate(sized({{n}}), seed=1)
    t1 = time.perf_counter()
    sim.write({{folder!r}}, formats=("csv",))
    t2 = time.perf_counter()
    print(json.dumps({{{{"people_ever": sim.truth["realised"]["people_ever"],
                      "simulate_seconds": t1 - t0, "write_seconds": t2 - t1,
                      "peak_gb": {_PEAK}}}}}))
    """
)

_LOAD = textwrap.dedent(
    f"""
    import json, resource, time
    from pathlib import Path
    import pathaudit
    folder = Path({{folder!r}})
    t0, c0 = time.perf_counter(), time.process_time()
    data = pathaudit.load(folder, folder / "map.toml")
    t1 = time.perf_counter()
    spells = data.spells
    t2 = time.perf_counter()
    exposure = data.exposure
    t3, c3 = time.perf_counter(), time.process_time()
    print(json.dumps({{{{"history_rows": len(data.history), "episodes": len(data.people),
                      "spell_rows": len(spells), "exposure_rows": len(exposure),
                      "load_seconds": t1 - t0, "spells_seconds": t2 - t1,
                      "exposure_seconds": t3 - t2, "seconds": t3 - t0, "cpu_seconds": c3 - c0,
                      "peak_gb": {_PEAK}}}}}))
    """
)

_AUDIT = textwrap.dedent(
    f"""
    import json, resource, time
    from pathlib import Path
    import pathaudit
    from pathaudit.audit import run_audit
    folder = Path({{folder!r}})
    t0 = time.perf_counter()
    data = pathaudit.load(folder, folder / "map.toml")
    t1, c1 = time.perf_counter(), time.process_time()
    summary = run_audit(data, folder / "out")
    t2, c2 = time.perf_counter(), time.process_time()
    status = {{{{k: v["status"] for k, v in summary["analyses"].items()}}}}
    print(json.dumps({{{{"load_seconds": t1 - t0, "seconds": t2 - t1, "cpu_seconds": c2 - c1,
                      "peak_gb": {_PEAK}, "analyses": status}}}}))
    """
)


def run_child(code: str, limit_gb: float, timeout: float) -> dict:
    """Run one step in a fresh interpreter; return its report or its failure.

    The child's address space is capped at ``limit_gb`` (``RLIMIT_AS``), so running out of
    memory fails that step (``MemoryError``) instead of the machine.
    """
    limit = int(limit_gb * 1024**3)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    start = time.perf_counter()
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             preexec_fn=cap, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"failed": f"stopped after {timeout:.0f} s"}
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines() or ["(no message)"]
        where = [ln.strip() for ln in lines if "pathaudit" in ln and ln.strip().startswith("File")]
        return {"failed": f"exit status {out.returncode}: {lines[-1]}",
                "where": where[-3:], "seconds_until_failure": time.perf_counter() - start}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cell(report: dict | None, key: str, fmt: str) -> str:
    if report is None:
        return "not run"
    if "failed" in report:
        return "failed"
    return format(report[key], fmt)


def _growth(rows: list[dict], step: str) -> list[str]:
    lines = []
    done = [r for r in rows if r.get(step) and "failed" not in r[step]]
    for a, b in zip(done, done[1:], strict=False):
        people = b["people_ever"] / a["people_ever"]
        lines.append(
            f"| {step} | {a['size']:,} -> {b['size']:,} | {people:.1f} "
            f"| {b[step]['seconds'] / a[step]['seconds']:.1f} "
            f"| {b[step]['peak_gb'] / a[step]['peak_gb']:.1f} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run every size and print the markdown table and growth factors."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--audit-sizes", nargs="*", type=int, default=[10_000, 100_000],
                        help="sizes at which the whole audit is also timed")
    parser.add_argument("--limit-gb", type=float, default=16.0,
                        help="address-space cap of every step (out of memory fails the step)")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="seconds after which a step is stopped and reported so")
    args = parser.parse_args(argv)
    rows: list[dict] = []
    def step(code: str) -> dict:
        return run_child(code, args.limit_gb, args.timeout)

    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            sim = step(_SIMULATE.format(n=n, folder=tmp))
            row: dict = {"size": n, "people_ever": sim.get("people_ever", n), "simulate": sim}
            if "failed" not in sim:
                row["load"] = step(_LOAD.format(folder=tmp))
                if n in args.audit_sizes:
                    row["audit"] = step(_AUDIT.format(folder=tmp))
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)

    print("| people ever (target) | people ever | history rows | simulate + write CSV, s "
          "| load + spells + exposure: wall s | CPU s | peak GB "
          "| whole audit after load: wall s | CPU s | peak GB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        sim, load, audit = r["simulate"], r.get("load"), r.get("audit")
        sim_s = ("failed" if "failed" in sim
                 else f"{sim['simulate_seconds']:.1f} + {sim['write_seconds']:.1f}")
        print(f"| {r['size']:,} | {r['people_ever']:,} | {_cell(load, 'history_rows', ',')} "
              f"| {sim_s} | {_cell(load, 'seconds', '.1f')} | {_cell(load, 'cpu_seconds', '.1f')} "
              f"| {_cell(load, 'peak_gb', '.2f')} | {_cell(audit, 'seconds', '.1f')} "
              f"| {_cell(audit, 'cpu_seconds', '.1f')} | {_cell(audit, 'peak_gb', '.2f')} |")
    print()
    print("| step | sizes | people ratio | wall-time ratio | peak-memory ratio |")
    print("|---|---|---|---|---|")
    for line in _growth(rows, "load") + _growth(rows, "audit"):
        print(line)
    print()
    for r in rows:
        for step in ("simulate", "load", "audit"):
            if r.get(step) and "failed" in r[step]:
                print(f"{r['size']:,} {step}: {r[step]['failed']}")
        if r.get("load") and "failed" not in r["load"]:
            ld = r["load"]
            print(f"{r['size']:,} load {ld['load_seconds']:.1f} s, spells "
                  f"{ld['spells_seconds']:.1f} s ({ld['spell_rows']:,} rows), exposure "
                  f"{ld['exposure_seconds']:.1f} s ({ld['exposure_rows']:,} rows)")
        if r.get("audit") and "failed" not in r["audit"]:
            skipped = [k for k, v in r["audit"]["analyses"].items() if v != "computed"]
            print(f"{r['size']:,} audit: {len(r['audit']['analyses'])} analyses, "
                  f"not computed: {skipped or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
