"""Time loading a large history export: ``python benchmarks/bench_load.py [rows]``.

Writes a synthetic CSV export (16 records per person, four levels per track, three
units, export column names and labels mapped by a column map) into a temporary
folder, then times ``pathaudit.io._load`` and ``pathaudit.validate`` on it.
"""

from __future__ import annotations

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


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
