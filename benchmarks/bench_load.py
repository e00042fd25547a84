"""Time loading: a synthetic export, an existing export, or the sample and the import.

Usage::

    python benchmarks/bench_load.py [rows]
    python benchmarks/bench_load.py --export DIR [--repeat 2]
    python benchmarks/bench_load.py --sample [--repeat 3]

``rows``: writes a synthetic CSV export (16 records per person, four levels per track,
three units, export column names and labels mapped by a column map) into a temporary
folder, then times ``pathaudit.load`` and ``pathaudit.validate`` on it (wall time).

``--export DIR``: CPU time (``time.process_time``, all threads; the minimum of
``--repeat`` runs in one process after a first, untimed one) of ``pathaudit.load(DIR,
DIR / "map.toml")``, e.g. a simulated organisation written by ``bench_scale.py``.

``--sample``: CPU time of ``import pathaudit`` (each run in a fresh interpreter) and of
loading ``data/sample`` from its CSV files and from its workbook (``map.toml``,
``map_xlsx.toml``): the first load in a fresh interpreter (it imports the readers) and
the minimum of ``--repeat`` loads after it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import pathaudit

MAP = """\
[export]
extract_date = "2035-12-31"
history_start = "2012-01-01"

[files]
history = "history.csv"
people = "people.csv"
ladder = "ladder.csv"

[columns.history]
employee_id = "Worker ID"
effective_date = "Effective Date"
track = "Career Track"
level = "Job Level"
base_salary = "Annual Base"
fte = "FTE"
currency = "Currency"
org_unit = "Org Unit"
job_family = "Job Family"
manager_id = "Manager ID"

[columns.people]
employee_id = "Worker ID"
hire_date = "Hire Date"
termination_date = "Termination Date"
termination_type = "Exit Type"

[values.track]
"Individual Contributor" = "IC"
"People Manager" = "M"

[values.termination_type]
"Resignation" = "voluntary"
"""


def write(folder: Path, n_rows: int, seed: int = 1) -> None:
    """Write the synthetic export into ``folder``."""
    rng = np.random.default_rng(seed)
    per_person = 16
    n_people = max(n_rows // per_person, 1)
    ids = np.array([f"E{i:07d}" for i in range(n_people)])
    hire = pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.integers(0, 3000, n_people), "D")
    gaps = rng.integers(30, 200, (n_people, per_person))
    gaps[:, 0] = 0
    days = np.cumsum(gaps, axis=1)
    end = hire + pd.to_timedelta(days[:, -1] + rng.integers(1, 400, n_people), "D")
    left = rng.random(n_people) < 0.3
    pd.DataFrame(
        {
            "Worker ID": ids,
            "Hire Date": hire.strftime("%Y-%m-%d"),
            "Termination Date": np.where(left, end.strftime("%Y-%m-%d"), ""),
            "Exit Type": np.where(left, "Resignation", ""),
        }
    ).to_csv(folder / "people.csv", index=False)
    dates = np.repeat(hire.values, per_person) + pd.to_timedelta(days.ravel(), "D").values
    n = n_people * per_person
    level = rng.choice(["IC2", "IC3", "IC4", "IC5", "M1", "M2", "M3", "M4"], n)
    track = np.where(
        np.char.startswith(level.astype(str), "IC"), "Individual Contributor", "People Manager"
    )
    pd.DataFrame(
        {
            "Worker ID": np.repeat(ids, per_person),
            "Effective Date": pd.DatetimeIndex(dates).strftime("%Y-%m-%d"),
            "Career Track": track,
            "Job Level": level,
            "Annual Base": rng.normal(80000, 9000, n).round(2),
            "FTE": rng.choice(["1.0", "0.8"], n),
            "Currency": "EUR",
            "Org Unit": rng.choice(["U1", "U2", "U3"], n),
            "Job Family": rng.choice(["Engineering", "Sales"], n),
            "Manager ID": rng.choice(ids, n),
        }
    ).to_csv(folder / "history.csv", index=False)
    pd.DataFrame(
        {
            "track": ["IC"] * 4 + ["M"] * 4,
            "level": ["IC2", "IC3", "IC4", "IC5", "M1", "M2", "M3", "M4"],
            "grade": [2, 3, 4, 5, 4, 5, 6, 7],
        }
    ).to_csv(folder / "ladder.csv", index=False)
    (folder / "map.toml").write_text(MAP)


def main(n_rows: int = 1_000_000) -> None:
    """Write the export and print the load and validate times."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write(folder, n_rows)
        t0 = time.perf_counter()
        data = pathaudit.load(folder, folder / "map.toml")
        t1 = time.perf_counter()
        pathaudit.validate(folder, folder / "map.toml")
        t2 = time.perf_counter()
        print(f"{len(data.history):,} history rows, {len(data.people):,} people")
        print(f"load: {t1 - t0:.2f} s   validate: {t2 - t1:.2f} s")
        print(data.quality)


def cpu_load(folder: Path, map_file: Path, repeat: int) -> tuple[float, float]:
    """CPU seconds of the first load in this process and the minimum of ``repeat`` after."""
    c0 = time.process_time()
    pathaudit.load(folder, map_file)
    first = time.process_time() - c0
    best = float("inf")
    for _ in range(repeat):
        c0 = time.process_time()
        pathaudit.load(folder, map_file)
        best = min(best, time.process_time() - c0)
    return first, best


_FRESH = (
    "import time, sys; c = time.process_time(); import pathaudit; i = time.process_time() - c; "
    "from pathlib import Path; f = Path(sys.argv[1]); c = time.process_time(); "
    "pathaudit.load(f, f / sys.argv[2]); print(i, time.process_time() - c)"
)


def sample(repeat: int) -> None:
    """Print the import and the sample's load times (CSV and workbook), CPU seconds."""
    from pathaudit.sample import sample_dir

    folder = sample_dir()
    imports, firsts = [], {}
    for map_name in ("map.toml", "map_xlsx.toml"):
        runs = [
            subprocess.run([sys.executable, "-c", _FRESH, str(folder), map_name],
                           capture_output=True, text=True, check=True).stdout.split()
            for _ in range(repeat)
        ]
        imports += [float(r[0]) for r in runs]
        firsts[map_name] = min(float(r[1]) for r in runs)
    print(f"import pathaudit: {min(imports):.2f} CPU s (min of {len(imports)} fresh interpreters)")
    for map_name, label in (("map.toml", "CSV"), ("map_xlsx.toml", "xlsx workbook")):
        _, best = cpu_load(folder, folder / map_name, repeat)
        print(f"sample load, {label}: first in a fresh interpreter {firsts[map_name]:.2f} "
              f"CPU s, then {best:.2f} CPU s (min of {repeat})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--export", type=Path, help="an export folder with its map.toml")
    parser.add_argument("--sample", action="store_true", help="the import and data/sample")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    if args.sample:
        sample(args.repeat)
    elif args.export is not None:
        first, best = cpu_load(args.export, args.export / "map.toml", args.repeat)
        print(f"load {args.export}: first {first:.2f} CPU s, then {best:.2f} CPU s "
              f"(min of {args.repeat})")
    else:
        main(args.rows)
