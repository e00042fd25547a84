"""The rate-based audit on DuckDB and Dask reading canonical Parquet, against the pandas floor.

Usage::

    python benchmarks/bench_engines.py make --org I --size N --work DIR
    python benchmarks/bench_engines.py run --work DIR --orgs 2 20 [--engine duckdb]
    python benchmarks/bench_engines.py check --size 100000 --work DIR

``make`` simulates one organisation of about ``N`` people ever employed over 10 years
(``simulate(sized(N), seed=I)``), prefixes every person ID with ``O<I>-`` (so organisations
have disjoint IDs), derives its exposure table in memory and writes the canonical Parquet
parts ``DIR/parts/<table>/part-<I>.parquet`` (``history``, ``people``, ``exposure``;
``adoption`` as ``DIR/parts/adoption-<I>.parquet``) and a description of the run
``DIR/parts/dataset-<I>.json``. Run it once per organisation, one after the other (each needs
several GB: at 500,000 people, 4.6 GB resident).

``run`` makes, for each count ``n`` of ``--orgs``, a canonical Parquet folder
``DIR/set-<n>`` holding the first ``n`` organisations' exposure parts (symbolic links), the
first organisation's adoption table and a ``dataset.json``, then runs, each in a fresh
interpreter reporting its own wall time, CPU time (``time.process_time``: every thread, user +
system) and peak resident memory (``ru_maxrss``):

1. **the floor** (only where it fits in ``--floor-gb``): pandas reads the exposure parts
   (``pd.read_parquet``, pyarrow, every column) and sums person-years by track: the least work
   a pandas audit of those files must do;
2. **the engine audit**: :func:`pathaudit.audit.run_engine_audit` as
   ``pathaudit audit DIR/set-<n> --engine ENGINE --out OUT`` runs it, with the CPU seconds of
   each analysis from its progress callback. DuckDB runs with ``memory_limit`` (default
   6GB) and its spill folder beside the data.

The floor's address space is capped at ``--limit-gb`` (and the engine's, except DuckDB's:
its allocator reserves far more address space than it uses, so DuckDB is held by its
``memory_limit`` instead, with ``preserve_insertion_order`` off). Prints one markdown table.

``check`` simulates one organisation of ``--size`` people, writes its canonical Parquet and
prints the largest relative difference between the pandas audit's attrition rate tables and
study panel and the same on DuckDB and on Dask (local scheduler).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path

_PEAK = "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2"
_TABLES = ("history", "people", "exposure")


def make(org: int, size: int, work: Path) -> dict[str, object]:
    """Simulate organisation ``org`` and write its canonical Parquet parts."""
    import gc

    from pathaudit.data import AuditData
    from pathaudit.simulate._run import simulate
    from pathaudit.simulate.config import sized

    t0, c0 = time.perf_counter(), time.process_time()
    sim = simulate(sized(size), seed=org)
    t1, c1 = time.perf_counter(), time.process_time()
    tables = sim.tables
    prefix = f"O{org:02d}-"
    for name in ("history", "people", "ratings"):
        frame = tables[name]
        for col in ("employee_id", "manager_id"):
            if col in frame.columns:
                frame[col] = (prefix + frame[col].astype("string")).astype(object)
    data = AuditData(
        history=tables["history"], people=tables["people"], ladder=tables["ladder"],
        bands=tables["bands"], ratings=tables["ratings"],
        adoption=tables["adoption"] if len(tables["adoption"]) else None,
        extract_date=sim.extract_date, history_start=sim.history_start,
        config={"export": {"kind": "history", "extract_date": str(sim.extract_date.date()),
                           "history_start": str(sim.history_start.date()),
                           "fiscal_year_start_month": 1},
                "privacy": {"min_cell_size": 5}},
    )
    people_ever = sim.truth["realised"]["people_ever"]
    del sim
    gc.collect()
    exposure = data.exposure
    t2, c2 = time.perf_counter(), time.process_time()
    parts = work / "parts"
    for name in _TABLES:
        (parts / name).mkdir(parents=True, exist_ok=True)
        frame = exposure if name == "exposure" else getattr(data, name)
        frame.to_parquet(parts / name / f"part-{org:02d}.parquet", index=False)
    if data.adoption is not None:
        data.adoption.to_parquet(parts / f"adoption-{org:02d}.parquet", index=False)
    info = {
        "org": org, "people_ever": people_ever, "history_rows": len(data.history),
        "exposure_rows": len(exposure),
        "extract_date": str(data.extract_date.date()),
        "history_start": str(data.history_start.date()),
        "simulate_wall": t1 - t0, "simulate_cpu": c1 - c0,
        "derive_wall": t2 - t1, "derive_cpu": c2 - c1,
        "write_wall": time.perf_counter() - t2,
        "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
    }
    (parts / f"dataset-{org:02d}.json").write_text(json.dumps(info, indent=2))
    return info


def check(size: int, work: Path) -> dict[str, object]:
    """Largest relative difference between each engine and the pandas audit, at ``size``.

    Simulates one organisation (seed 1), writes it with ``write_canonical_parquet`` and
    compares attrition's rate tables and the study panel on DuckDB and Dask (local
    scheduler) with ``pathaudit.attrition`` and ``study_panel`` on the same data.
    """
    import numpy as np
    import pandas as pd

    import pathaudit
    from pathaudit.engines import (
        RATE_PARTS,
        engine_attrition,
        engine_study_panel,
        read_dataset,
        write_canonical_parquet,
    )
    from pathaudit.simulate._run import simulate
    from pathaudit.simulate.config import sized

    data = simulate(sized(size), seed=1).data
    folder = work / f"check-{size}"
    write_canonical_parquet(data, folder)
    ref = pathaudit.attrition(data, parts=list(RATE_PARTS)).published()
    from pathaudit.study._panel import study_panel

    ref_panel, _ = study_panel(data)
    ds = read_dataset(folder)

    def worst(a: pd.DataFrame, b: pd.DataFrame, pvalues: bool = False) -> float:
        """Largest relative difference of the p-values, or of every other number."""
        assert list(a.columns) == list(b.columns) and len(a) == len(b)
        out = 0.0
        for c in a.columns:
            if (c in PVALUES) != pvalues:
                continue
            if pd.api.types.is_numeric_dtype(a[c]) and not pd.api.types.is_bool_dtype(a[c]):
                x, y = a[c].to_numpy(dtype=float), b[c].to_numpy(dtype=float)
                assert (np.isnan(x) == np.isnan(y)).all(), c
                ok = ~np.isnan(x)
                with np.errstate(divide="ignore", invalid="ignore"):
                    rel = np.abs(x[ok] - y[ok]) / np.maximum(np.abs(x[ok]), 1e-300)
                if rel.size and float(rel.max()) > out:
                    out = float(rel.max())
                    where[0] = f"{c}: {x[ok][rel.argmax()]!r} vs {y[ok][rel.argmax()]!r}"
            else:
                assert a[c].astype(str).tolist() == b[c].astype(str).tolist(), c
        return out

    where = [""]
    result: dict[str, object] = {"people": float(data.people["employee_id"].nunique())}
    for engine in ("duckdb", "dask"):
        res = engine_attrition(ds, engine).published()
        for label, pvalues in (("", False), ("_pvalues", True)):
            where[0] = ""
            diffs = {name: (worst(ref[name].table, res[name].table, pvalues), where[0])
                     for name in ref}
            name = max(diffs, key=lambda n: diffs[n][0])
            result[f"{engine}{label}"] = diffs[name][0]
            result[f"{engine}{label}_worst"] = f"{name}, {diffs[name][1]}"
        got = engine_study_panel(ds, engine).part("panel").table
        shown = ~got["suppressed"].to_numpy(dtype=bool)
        cols = list(ref_panel.columns)
        result[f"{engine}_panel"] = worst(ref_panel.loc[shown, cols].reset_index(drop=True),
                                          got.loc[shown, cols].reset_index(drop=True))
    return result


PVALUES = ("p_value", "p_adjusted")
"""Columns compared apart: a p-value far in the tail (1e-26) moves relatively by far more
than the person-years it comes from when a parallel sum adds them in another order."""


def make_set(work: Path, n: int) -> tuple[Path, dict[str, int]]:
    """``DIR/set-<n>``: the first ``n`` organisations' exposure parts and a dataset.json."""
    parts = work / "parts"
    infos = [json.loads((parts / f"dataset-{i:02d}.json").read_text()) for i in range(n)]
    folder = work / f"set-{n}"
    (folder / "exposure").mkdir(parents=True, exist_ok=True)
    for i in range(n):
        link = folder / "exposure" / f"part-{i:02d}.parquet"
        if not link.exists():
            link.symlink_to((parts / "exposure" / f"part-{i:02d}.parquet").resolve())
    adoption = sorted(parts.glob("adoption-*.parquet"))
    if adoption and not (folder / "adoption.parquet").exists():
        (folder / "adoption.parquet").symlink_to(adoption[0].resolve())
    doc = {"extract_date": infos[0]["extract_date"], "history_start": infos[0]["history_start"],
           "min_cell_size": 5, "fiscal_year_start_month": 1,
           "summary": {"kind": "history", "people": sum(i["people_ever"] for i in infos),
                       "history_rows": sum(i["history_rows"] for i in infos),
                       "extract_date": infos[0]["extract_date"],
                       "history_start": infos[0]["history_start"],
                       "as_of": infos[0]["extract_date"]}}
    (folder / "dataset.json").write_text(json.dumps(doc, indent=2))
    totals = {"people": sum(int(i["people_ever"]) for i in infos),
              "history_rows": sum(int(i["history_rows"]) for i in infos),
              "exposure_rows": sum(int(i["exposure_rows"]) for i in infos)}
    return folder, totals


_FLOOR = textwrap.dedent(
    f"""
    import json, resource, time
    t0, c0 = time.perf_counter(), time.process_time()
    import pandas as pd
    ex = pd.read_parquet({{path!r}})
    py = ex.groupby("track", observed=True)["person_years"].sum()
    t1, c1 = time.perf_counter(), time.process_time()
    print(json.dumps({{{{"rows": len(ex), "wall": t1 - t0, "cpu": c1 - c0,
                      "peak_gb": {_PEAK}}}}}))
    """
)

_ENGINE = textwrap.dedent(
    f"""
    import json, resource, shutil, sys, time
    steps = []
    def tick(name):
        steps.append((name, time.perf_counter(), time.process_time()))
        print(f"step: {{{{name}}}} (peak so far {{{{{_PEAK}:.2f}}}} GB)", file=sys.stderr,
              flush=True)
    t0, c0 = time.perf_counter(), time.process_time()
    tick("import")
    import duckdb
    duckdb.execute("SET memory_limit='{{memory}}'")
    duckdb.execute("SET preserve_insertion_order=false")
    duckdb.execute("SET temp_directory='{{spill}}'")
    from pathaudit.audit import run_engine_audit
    shutil.rmtree({{out!r}}, ignore_errors=True)
    summary = run_engine_audit({{folder!r}}, {{out!r}}, {{engine!r}}, progress=tick)
    tick("end")
    t1, c1 = time.perf_counter(), time.process_time()
    per = {{{{a[0]: round(b[2] - a[2], 2) for a, b in zip(steps, steps[1:])}}}}
    a = summary["analyses"]["attrition"]["headline"]
    ratio = [h["estimate"] for h in a if h["key"] == "voluntary_exit_rate_ratio"][0]
    print(json.dumps({{{{"wall": t1 - t0, "cpu": c1 - c0, "peak_gb": {_PEAK},
                      "steps": per, "rate_ratio": ratio}}}}))
    """
)


def _child(code: str, limit_gb: float) -> dict[str, object]:
    def cap() -> None:
        limit = int(limit_gb * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          preexec_fn=cap if limit_gb > 0 else None, check=False)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no message)"]
        return {"failed": tail[0]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(work: Path, orgs: list[int], engine: str, memory: str, limit_gb: float,
        floor_gb: float) -> list[dict[str, object]]:
    """Floor and engine audit for each number of organisations; one markdown row each."""
    rows = []
    for n in orgs:
        folder, totals = make_set(work, n)
        expected = totals["exposure_rows"] * 200 / 1024**3  # about 200 bytes a row in pandas
        floor: dict[str, object] = {
            "failed": f"not run (about {expected:.0f} GB in pandas, above --floor-gb)"
        }
        if expected <= floor_gb:
            floor = _child(_FLOOR.format(path=str(folder / "exposure")), limit_gb)
        # DuckDB is held by its memory_limit: an address-space cap breaks its allocator,
        # which reserves far more address space than it uses
        audit = _child(_ENGINE.format(folder=str(folder), out=str(work / f"out-{n}"),
                                      engine=engine, memory=memory,
                                      spill=str(work / "spill")),
                       limit_gb if engine != "duckdb" else 0.0)
        rows.append({"orgs": n, **totals, "floor": floor, "audit": audit})
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def _fmt(r: dict[str, object], key: str) -> str:
    v = r.get(key)
    return f"{v:.1f}" if isinstance(v, int | float) else "—"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    mk = sub.add_parser("make")
    mk.add_argument("--org", type=int, required=True)
    mk.add_argument("--size", type=int, default=500_000)
    mk.add_argument("--work", type=Path, required=True)
    ck = sub.add_parser("check")
    ck.add_argument("--size", type=int, default=100_000)
    ck.add_argument("--work", type=Path, required=True)
    rn = sub.add_parser("run")
    rn.add_argument("--work", type=Path, required=True)
    rn.add_argument("--orgs", type=int, nargs="+", default=[2, 20])
    rn.add_argument("--engine", default="duckdb", choices=("duckdb", "dask", "pandas"))
    rn.add_argument("--memory-limit", default="6GB")
    rn.add_argument("--limit-gb", type=float, default=8.0)
    rn.add_argument("--floor-gb", type=float, default=6.0)
    args = parser.parse_args(argv)
    if args.command == "make":
        print(json.dumps(make(args.org, args.size, args.work)))
        return 0
    if args.command == "check":
        print(json.dumps(check(args.size, args.work)))
        return 0
    rows = run(args.work, args.orgs, args.engine, args.memory_limit, args.limit_gb,
               args.floor_gb)
    print(f"| organisations | people ever | exposure rows | floor wall s | floor CPU s | "
          f"floor peak GB | {args.engine} wall s | CPU s | peak GB | CPU s per step |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        f, a = r["floor"], r["audit"]
        assert isinstance(f, dict) and isinstance(a, dict)
        steps = ", ".join(f"{k} {v}" for k, v in dict(a.get("steps", {})).items())
        print(f"| {r['orgs']} | {r['people']:,} | {r['exposure_rows']:,} | {_fmt(f, 'wall')} | "
              f"{_fmt(f, 'cpu')} | {_fmt(f, 'peak_gb')} | {_fmt(a, 'wall')} | {_fmt(a, 'cpu')} "
              f"| {_fmt(a, 'peak_gb')} | {steps or a.get('failed', '')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
