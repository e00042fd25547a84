"""The rate-based audit on DuckDB and Dask reading canonical Parquet, against the pandas floor.

Usage::

    python benchmarks/bench_engines.py make --org I --size N --work DIR
    python benchmarks/bench_engines.py run --work DIR --orgs 2 20 [--engine duckdb]

``make`` simulates one organisation of about ``N`` people ever employed over 10 years
(``simulate(sized(N), seed=I)``), prefixes every person ID with ``O<I>-`` (so organisations
have disjoint IDs), derives its exposure table in memory and writes the canonical Parquet
parts ``DIR/parts/<table>/part-<I>.parquet`` (``history``, ``people``, ``exposure``) and the
dataset description ``DIR/parts/dataset-<I>.json``. Run it once per organisation, one after
the other (each needs several GB at 1,000,000 people).

``run`` makes, for each count ``n`` of ``--orgs``, a canonical Parquet folder holding the
first ``n`` organisations' parts (symbolic links) and runs, each in a fresh interpreter whose
wall time, CPU time (``time.process_time``, every thread) and peak resident memory
(``ru_maxrss``) it reports:

1. **the floor**: pandas reads the exposure Parquet parts (``pd.read_parquet``, pyarrow) and
   sums person-years by track: the least work a pandas audit of those files must do;
2. **the engine audit**: ``pathaudit audit FOLDER --engine ENGINE --out OUT`` as one process
   (:func:`pathaudit.engines.run_engine_audit`).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    mk = sub.add_parser("make")
    mk.add_argument("--org", type=int, required=True)
    mk.add_argument("--size", type=int, default=1_000_000)
    mk.add_argument("--work", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "make":
        print(json.dumps(make(args.org, args.size, args.work)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
