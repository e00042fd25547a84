"""Small hand-built exports for the loading tests (written into a temporary folder)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

MAP_TOML = """\
[export]
kind = "history"
extract_date = "2024-12-31"
history_start = "2020-01-01"

[files]
history = "history.{ext}"
people = "people.{ext}"
ladder = "ladder.{ext}"

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
gender = "Gender"

[values.track]
"Individual Contributor" = "IC"
"People Manager" = "M"

[values.termination_type]
"Resignation" = "voluntary"
"Dismissal" = "involuntary"
"""


def people() -> pd.DataFrame:
    """Five people; 007 was rehired (two episodes), 012 resigned."""
    return pd.DataFrame(
        {
            "Worker ID": ["007", "007", "010", "011", "012", "013"],
            "Hire Date": [
                "2019-03-01",
                "2022-06-01",
                "2020-01-15",
                "2021-02-01",
                "2020-05-04",
                "2023-09-01",
            ],
            "Termination Date": ["2021-12-31", "", "", "", "2023-04-30", ""],
            "Exit Type": ["Resignation", "", "", "", "Resignation", ""],
            "Gender": ["F", "F", "M", "F", "M", "X"],
        }
    )


def history() -> pd.DataFrame:
    """Job records of the people above."""
    rows = [
        (
            "007",
            "2019-03-01",
            "Individual Contributor",
            "IC2",
            "60000",
            "1.0",
            "EUR",
            "U1",
            "Eng",
            "010",
        ),
        (
            "007",
            "2020-07-01",
            "Individual Contributor",
            "IC3",
            "70000",
            "1.0",
            "EUR",
            "U1",
            "Eng",
            "010",
        ),
        ("007", "2022-06-01", "People Manager", "M1", "90000", "1.0", "EUR", "U2", "Eng", "011"),
        ("010", "2020-01-15", "People Manager", "M1", "95000", "1.0", "EUR", "U1", "Eng", ""),
        ("010", "2022-01-01", "People Manager", "M2", "110000", "1.0", "EUR", "U1", "Eng", ""),
        (
            "011",
            "2021-02-01",
            "Individual Contributor",
            "IC3",
            "72000",
            "0.8",
            "EUR",
            "U2",
            "Sales",
            "010",
        ),
        (
            "011",
            "2023-01-01",
            "Individual Contributor",
            "IC4",
            "80000",
            "0.8",
            "EUR",
            "U2",
            "Sales",
            "010",
        ),
        (
            "012",
            "2020-05-04",
            "Individual Contributor",
            "IC2",
            "58000",
            "1.0",
            "EUR",
            "U1",
            "Eng",
            "010",
        ),
        (
            "013",
            "2023-09-01",
            "Individual Contributor",
            "IC3",
            "71000",
            "1.0",
            "EUR",
            "U2",
            "Eng",
            "011",
        ),
    ]
    cols = [
        "Worker ID",
        "Effective Date",
        "Career Track",
        "Job Level",
        "Annual Base",
        "FTE",
        "Currency",
        "Org Unit",
        "Job Family",
        "Manager ID",
    ]
    return pd.DataFrame(rows, columns=cols)


def ladder() -> pd.DataFrame:
    """IC2..IC5 and M1..M2 with IC4 = M1 (grade 4)."""
    return pd.DataFrame(
        {
            "track": ["IC", "IC", "IC", "IC", "M", "M"],
            "level": ["IC2", "IC3", "IC4", "IC5", "M1", "M2"],
            "grade": ["2", "3", "4", "5", "4", "5"],
            "title": ["Engineer", "Senior", "Staff", "Principal", "Manager", "Senior Manager"],
        }
    )


def write_table(df: pd.DataFrame, path: Path) -> None:
    """Write one table as CSV, xlsx or parquet (numbers as numbers where they are numbers)."""
    if path.suffix == ".csv":
        df.to_csv(path, index=False)
        return
    typed = df.copy()
    for col in typed.columns:
        s = typed[col].replace("", None)
        if col in ("Annual Base", "FTE", "grade"):
            typed[col] = pd.to_numeric(s)
        elif "Date" in col:
            typed[col] = pd.to_datetime(s)
        else:
            typed[col] = s
    if path.suffix == ".xlsx":
        typed.to_excel(path, index=False)
    elif typed.columns.is_unique:
        typed.to_parquet(path, index=False)
    else:  # a repeated column name: pandas refuses, Parquet itself does not
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrays = [pa.array(typed.iloc[:, i], from_pandas=True) for i in range(typed.shape[1])]
        pq.write_table(pa.Table.from_arrays(arrays, names=list(typed.columns)), path)


def write_export(
    folder: Path,
    *,
    ext: str = "csv",
    history_df: pd.DataFrame | None = None,
    people_df: pd.DataFrame | None = None,
    ladder_df: pd.DataFrame | None = None,
    map_extra: str = "",
    map_text: str | None = None,
) -> Path:
    """Write the export and its map into ``folder``; return the map path."""
    folder.mkdir(parents=True, exist_ok=True)
    write_table(history() if history_df is None else history_df, folder / f"history.{ext}")
    write_table(people() if people_df is None else people_df, folder / f"people.{ext}")
    write_table(ladder() if ladder_df is None else ladder_df, folder / f"ladder.{ext}")
    text = MAP_TOML.format(ext=ext) if map_text is None else map_text
    path = folder / "map.toml"
    path.write_text(text + "\n" + map_extra)
    return path
