"""Spells and exposure: the numpy derivation against the narwhals one on pandas and DuckDB.

Usage::

    python benchmarks/bench_engine_spells.py prepare EXPORT --map MAP --work DIR
    python benchmarks/bench_engine_spells.py run --work DIR [--repeat R] [--limit-gb G]
    python benchmarks/bench_engine_spells.py check --work DIR

``prepare`` loads an export (e.g. the simulated one ``bench_scale.py`` writes,
``<work>/sim100000``) and writes its canonical ``history`` and ``people`` as Parquet with
``dataset.json`` into ``DIR/canonical``. ``run`` times, each in a fresh interpreter reporting
its own wall time, CPU time (``time.process_time``: every thread) and peak resident memory
(``ru_maxrss``), with the address space capped at ``--limit-gb``:

- ``numpy``: ``pd.read_parquet`` of both tables, then ``derive_spells`` and
  ``derive_exposure`` (the pandas engine's derivation);
- ``narwhals-pandas``: the same read, then ``derive_spells_engine(data)`` (the narwhals
  expressions on pandas, collected into pandas tables);
- ``duckdb``: ``derive_spells_engine(DIR, engine="duckdb")``: DuckDB reads the Parquet,
  derives and the two tables are collected into pandas;
- ``duckdb-cells``: DuckDB derives exposure and aggregates it into the track x grade x unit x
  year cells (``cells_narwhals`` on the lazy exposure): only the cells come back (the
  out-of-core path).

``check`` compares the numpy tables with both narwhals ones (counts, text, dates equal;
years to 1e-9) and prints the largest differences. Prints one markdown table.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

_READ = textwrap.dedent(
    """
    import pandas as pd
    from pathaudit.data import AuditData
    from pathaudit.engines import read_dataset
    ds = read_dataset(folder, tables=("history", "people"))
    data = AuditData(
        history=pd.read_parquet(ds.table("history")),
        people=pd.read_parquet(ds.table("people")),
        ladder=ds.read_small("ladder") if ds.table("ladder") else pd.DataFrame(),
        extract_date=ds.extract_date, history_start=ds.history_start,
        config={"export": {"kind": "history", "as_of": str(ds.as_of.date()),
                           "fiscal_year_start_month": ds.fiscal_year_start_month},
                "privacy": {"min_cell_size": ds.min_cell_size}},
    )
    """
)

_RUN = {
    "numpy": _READ
    + textwrap.dedent(
        """
        from pathaudit.derived.spells import derive_exposure, derive_spells
        sp, ex = derive_spells(data), derive_exposure(data)
        """
    ),
    "narwhals-pandas": _READ
    + textwrap.dedent(
        """
        from pathaudit.engines._spells import derive_spells_engine
        sp, ex = derive_spells_engine(data)
        """
    ),
    "duckdb": textwrap.dedent(
        """
        from pathaudit.engines._spells import derive_spells_engine
        sp, ex = derive_spells_engine(folder, engine="duckdb")
        """
    ),
    "duckdb-cells": textwrap.dedent(
        """
        import narwhals as nw
        from pathaudit.engines import cells_narwhals, read_dataset
        from pathaudit.engines._spells import _read, spells_narwhals
        ds = read_dataset(folder, tables=("history", "people"))
        h, p = _read(ds.table("history"), "duckdb"), _read(ds.table("people"), "duckdb")
        sp, ex = spells_narwhals(h, p, as_of=ds.as_of, history_start=ds.history_start,
                                 fiscal_year_start_month=ds.fiscal_year_start_month)
        ex = cells_narwhals(nw.to_native(ex), ["track", "grade", "org_unit", "year"])
        sp = [0]
        """
    ),
}


def prepare(export: Path, map_path: Path, work: Path) -> None:
    """Load the export and write its canonical history and people with dataset.json."""
    import pathaudit
    from pathaudit.engines import DATASET_FILE, dataset_description

    data = pathaudit.load(export, map_path)
    out = work / "canonical"
    out.mkdir(parents=True, exist_ok=True)
    data.history.to_parquet(out / "history.parquet", index=False)
    data.people.to_parquet(out / "people.parquet", index=False)
    data.ladder.to_parquet(out / "ladder.parquet", index=False)
    description = dataset_description(data)
    description.pop("manifest", None)
    (out / DATASET_FILE).write_text(json.dumps(description, indent=2, default=str) + "\n")
    print(f"{len(data.history)} history rows, {len(data.people)} people rows -> {out}")


def run_child(
    mode: str, folder: Path, limit_gb: float, memory_limit: str = ""
) -> dict[str, object]:
    """Run one mode in a fresh interpreter with its address space capped."""
    limit = int(limit_gb * 1024**3)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    proc = subprocess.run(
        [sys.executable, "-c", _child_code(mode, folder, memory_limit)],
        capture_output=True,
        text=True,
        preexec_fn=cap,
        check=False,
    )
    if proc.returncode:
        return {"error": proc.stderr.strip().splitlines()[-1:]}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _child_code(mode: str, folder: Path, memory_limit: str = "") -> str:
    head = (
        "import json, resource, time\nfrom pathlib import Path\n"
        "t0, c0 = time.perf_counter(), time.process_time()\n"
        f"folder = Path({str(folder)!r})\n"
    )
    if memory_limit and mode.startswith("duckdb"):
        spill = folder.parent / f"{folder.name}-duckdb-spill"
        head += (
            f"import duckdb\nduckdb.execute(\"SET memory_limit='{memory_limit}'\")\n"
            f"duckdb.execute(\"SET temp_directory='{spill}'\")\n"
        )
    tail = (
        "t1, c1 = time.perf_counter(), time.process_time()\n"
        'print(json.dumps({"wall": t1 - t0, "cpu": c1 - c0, "spells": len(sp), "rows": len(ex),'
        ' "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2}))\n'
    )
    return head + textwrap.dedent(_RUN[mode]) + tail


def check(folder: Path) -> None:
    """Largest differences between the numpy tables and the narwhals ones, on both engines."""
    import numpy as np

    namespace: dict[str, object] = {"folder": folder}
    exec(_READ, namespace)  # noqa: S102 (the benchmark's own code, as run())
    data = namespace["data"]
    from pathaudit.derived.spells import derive_exposure, derive_spells
    from pathaudit.engines._spells import derive_spells_engine

    reference = (derive_spells(data), derive_exposure(data))  # type: ignore[arg-type]
    for engine, source in (("pandas", data), ("duckdb", folder)):
        got = derive_spells_engine(source, engine=engine)  # type: ignore[arg-type]
        for name, a, b in zip(("spells", "exposure"), reference, got, strict=True):
            assert len(a) == len(b), (engine, name, len(a), len(b))
            worst, unequal = 0.0, []
            for c in a.columns:
                if a[c].dtype.kind == "f":
                    x, y = a[c].to_numpy(float), b[c].to_numpy(float)
                    both = ~np.isnan(x) & ~np.isnan(y)
                    assert (np.isnan(x) == np.isnan(y)).all(), (engine, name, c)
                    scale = np.maximum(np.abs(x[both]), 1e-300)
                    worst = max(worst, float(np.max(np.abs(x[both] - y[both]) / scale, initial=0)))
                elif (
                    not a[c]
                    .astype(object)
                    .fillna("NA")
                    .astype(str)
                    .equals(b[c].astype(object).fillna("NA").astype(str))
                ):
                    unequal.append(c)
            print(
                f"{engine} {name}: {len(a)} rows, unequal columns {unequal}, "
                f"largest relative difference {worst:.2e}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("command", choices=("prepare", "run", "check"))
    parser.add_argument("export", nargs="?", type=Path)
    parser.add_argument("--map", type=Path)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--limit-gb", type=float, default=6.0)
    parser.add_argument("--modes", nargs="*", default=list(_RUN))
    parser.add_argument(
        "--memory-limit", default="", help="DuckDB's memory_limit, e.g. 2GB (spilling beside DIR)"
    )
    parser.add_argument("--folder", type=Path, default=None, help="canonical folder to run on")
    args = parser.parse_args(argv)
    folder = args.folder or args.work / "canonical"
    if args.command == "prepare":
        prepare(args.export, args.map or args.export / "map.toml", args.work)
        return 0
    if args.command == "check":
        check(folder)
        return 0
    print("| derivation | spells | exposure rows | CPU s | wall s | peak GB |")
    print("|---|---|---|---|---|---|")
    for mode in args.modes:
        for _ in range(args.repeat):
            r = run_child(mode, folder, args.limit_gb, args.memory_limit)
            if "error" in r:
                print(f"| {mode} | failed: {r['error']} | | | | |", flush=True)
                continue
            print(
                f"| {mode} | {r['spells']:,} | {r['rows']:,} | {r['cpu']:.2f} | "
                f"{r['wall']:.2f} | {r['peak_gb']:.2f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
