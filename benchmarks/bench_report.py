"""Time of the quarterly report on the sample (or a large simulated organisation).

Usage::

    python benchmarks/bench_report.py [--people N] [--repeat R]
    python benchmarks/bench_report.py --audit [--repeat R]
    python benchmarks/bench_report.py --charts [--export DIR] [--repeat R]

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

With ``--charts [--export DIR]``: the charts an audit draws (each part's chart and the
report's trend charts, what ``pathaudit audit`` sends to its second process), in CPU seconds:
the audit of the sample (or of the export DIR with its ``map.toml``: the four core analyses,
no report) is run once to collect the drawings asked for, then each repeat draws them all in
a fresh process after the second process's own warm-up (imports, backends), as it would.

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


_DRAW = textwrap.dedent(
    """
    import json, pickle, sys, time, warnings
    warnings.simplefilter("ignore")
    from pathaudit.audit._worker import _warm
    from pathaudit.report import _charts

    _warm()  # as the audit's second process starts
    with open(sys.argv[1], "rb") as fh:
        jobs = pickle.load(fh)
    cpu = {"part_charts": 0.0, "trend_charts": 0.0}
    for name, args in jobs:
        c = time.process_time()
        getattr(_charts, name)(*args)
        cpu["part_charts" if name == "draw_part" else "trend_charts"] += time.process_time() - c
    print(json.dumps({**cpu, "charts": len(jobs)}))
    """
)

CORE = ("pay_parity", "time_to_promotion", "forced_management", "attrition")
"""The analyses of ``--charts --export`` (the core audit: no pay-gap reports, no report)."""


def chart_jobs(export: Path | None, path: Path) -> int:
    """Run the audit once (one process) and pickle every drawing it asks for into ``path``."""
    import warnings

    import pathaudit
    from pathaudit.audit import _worker, run_audit
    from pathaudit.report import _charts

    warnings.simplefilter("ignore")
    jobs: list[tuple[str, tuple[object, ...]]] = []
    submit = _worker.Worker.submit

    def record(self: _worker.Worker, fn: object, *args: object) -> _worker.Pending:
        if fn is _charts.draw_part or fn is _charts.trend_svg:
            jobs.append((fn.__name__, args))
        return submit(self, fn, *args)  # type: ignore[arg-type]

    if export is None:
        from pathaudit.sample import sample_dir

        export, kw = sample_dir(), {}
    else:
        kw = {"analyses": list(CORE), "report": False}
    data = pathaudit.load(export, export / "map.toml")
    _worker.Worker.submit = record  # type: ignore[method-assign]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run_audit(data, Path(tmp) / "audit", processes=1, **kw)  # type: ignore[arg-type]
    finally:
        _worker.Worker.submit = submit  # type: ignore[method-assign]
    path.write_bytes(__import__("pickle").dumps(jobs))
    return len(jobs)


def time_charts(export: Path | None, repeat: int) -> None:
    """CPU seconds of drawing the audit's charts, one fresh process per repeat."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "jobs.pickle"
        n = chart_jobs(export, path)
        rows = []
        for _ in range(repeat):
            out = subprocess.run([sys.executable, "-c", _DRAW, str(path)], check=True,
                                 capture_output=True, text=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(rows[-1])
    print(f"{n} drawings")
    for key in ("part_charts", "trend_charts"):
        values = [r[key] for r in rows]
        print(f"{key}: CPU min {min(values):.2f} s (range {min(values):.2f}-{max(values):.2f})")


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
    parser.add_argument("--charts", action="store_true",
                        help="time drawing the audit's charts (sample, or --export DIR)")
    parser.add_argument("--export", type=Path, default=None,
                        help="with --charts: an export folder with its map.toml (core audit)")
    args = parser.parse_args()
    if args.charts:
        time_charts(args.export, args.repeat)
        return
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
