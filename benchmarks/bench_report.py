"""Time of the quarterly report on the sample (or a large simulated organisation).

Usage::

    python benchmarks/bench_report.py [--people N] [--repeat R]
    python benchmarks/bench_report.py --audit [--repeat R]

Without ``--people``: the bundled sample (``data/sample/``). With it: an organisation of
about N people ever employed, simulated over 10 years with the simulator's defaults.

Each repeat runs in a fresh subprocess and reports wall seconds (and, with ``_cpu``, the
CPU seconds of the process, which a shared machine's load does not inflate) of:

- ``load``: reading the export (the sample only);
- ``analyses``: the four analyses as of the report quarter end (what ``pathaudit audit``
  computes anyway);
- ``report_given_results``: ``build_report(data, results=...)`` given those analyses, as
  the audit calls it: 8 quarters of trends, charts, the page (the report's own cost);
- ``report_alone``: ``build_report(data)`` on a freshly loaded dataset (the analyses
  included), as ``pathaudit report`` runs.

With ``--audit``: the whole ``pathaudit audit data/sample --map data/sample/map.toml --out
DIR [--processes P]`` (import, load, every analysis, tables, charts, the report), its wall
and CPU seconds (user + system of the command and of its second process, if any) per
repeat, the minimum, and the load average of the machine before each repeat (wall time
means something only on otherwise idle cores). ``--processes 1 2`` times both settings,
alternating.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

_RUN = textwrap.dedent(
    """
    import json, time, warnings
    warnings.simplefilter("ignore")
    import pathaudit
    from pathaudit.report import analysis_options, build_report

    def load():
        if {people} is None:
            from pathaudit.sample import sample_dir
            return pathaudit.load(sample_dir(), sample_dir() / "map.toml")
        from pathaudit.simulate._run import simulate, sized
        return simulate(sized({people}), seed=1).data

    t0 = time.perf_counter()
    data = load()
    t1 = time.perf_counter()
    c1 = time.process_time()
    opts = analysis_options(data)
    runs = {{"pay_parity": pathaudit.pay_parity,
             "time_to_promotion": pathaudit.time_to_promotion,
             "forced_management": pathaudit.forced_management,
             "attrition": pathaudit.attrition}}
    results = {{name: run(data, **opts[name]) for name, run in runs.items()}}
    t2, c2 = time.perf_counter(), time.process_time()
    build_report(data, results=results)
    t3, c3 = time.perf_counter(), time.process_time()
    fresh = load()
    t4, c4 = time.perf_counter(), time.process_time()
    build_report(fresh)
    t5, c5 = time.perf_counter(), time.process_time()
    print(json.dumps({{
        "load": t1 - t0, "analyses": t2 - t1, "report_given_results": t3 - t2,
        "report_alone": t5 - t4, "analyses_cpu": c2 - c1, "report_given_results_cpu": c3 - c2,
        "report_alone_cpu": c5 - c4, "people": int(data.people["employee_id"].nunique()),
    }}))
    """
)


def audit_sample(repeat: int, processes: list[int]) -> None:
    """Time ``pathaudit audit`` on the sample, one fresh process per repeat and setting."""
    sample = Path(__file__).resolve().parents[1] / "data" / "sample"
    cli = [sys.executable, "-m", "pathaudit.cli", "audit", str(sample), "--map",
           str(sample / "map.toml"), "--out"]
    walls: dict[int, list[float]] = {p: [] for p in processes}
    cpus: dict[int, list[float]] = {p: [] for p in processes}
    for _ in range(repeat):
        for p in processes:
            out = Path(tempfile.mkdtemp()) / "audit"
            load = os.getloadavg()[0]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run([*cli, str(out), "--processes", str(p)], check=True,
                           capture_output=True)
            walls[p].append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus[p].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            shutil.rmtree(out.parent, ignore_errors=True)
            print({"processes": p, "audit_wall": round(walls[p][-1], 2),
                   "audit_cpu": round(cpus[p][-1], 2), "load_average_before": load})
    for p in processes:
        w, c = walls[p], cpus[p]
        print(f"--processes {p}: wall min {min(w):.1f} s (range {min(w):.1f}-{max(w):.1f}); "
              f"CPU min {min(c):.1f} s (range {min(c):.1f}-{max(c):.1f})")


def main() -> None:
    """Run the benchmark and print one line per repeat and the range."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--audit", action="store_true",
                        help="time `pathaudit audit` on the sample instead")
    parser.add_argument("--processes", type=int, nargs="+", default=[2], choices=(1, 2),
                        help="with --audit: the --processes setting(s) to time")
    args = parser.parse_args()
    if args.audit:
        audit_sample(args.repeat, args.processes)
        return
    rows = []
    for _ in range(args.repeat):
        out = subprocess.run([sys.executable, "-c", _RUN.format(people=args.people)],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(rows[-1])
    for key in ("load", "analyses", "report_given_results", "report_alone", "analyses_cpu",
                "report_given_results_cpu", "report_alone_cpu"):
        values = [r[key] for r in rows]
        print(f"{key}: {min(values):.1f}-{max(values):.1f} s")


if __name__ == "__main__":
    main()
