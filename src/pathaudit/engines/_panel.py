"""The study panel's unit x quarter counts written once in narwhals (pandas, DuckDB, Dask).

The same figures as :func:`pathaudit.study._panel.unit_quarter_counts` (the numpy path of
``dual_ladder_study``), from an exposure table on any engine: person-years, voluntary and
involuntary exits, distinct people, hires and IC moves out per org unit and fiscal quarter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.derived.calendar import fiscal_month_offset
from pathaudit.engines._cells import ENGINES, _check, _exposure_path, _quiet_dask
from pathaudit.study._panel import COUNT_COLUMNS

HIRE_TENURE_YEARS = 0.5 / 365.25
"""An interval starting with a tenure below half a day starts on the hire date."""


def _label_to_quarter(labels: pd.Series, fiscal_year_start_month: int) -> np.ndarray:
    """Absolute fiscal quarter numbers (``quarter_index``) of labels ``'<year>Q<q>'``."""
    base = 1970 + (1 if fiscal_month_offset(fiscal_year_start_month) else 0)
    text = labels.astype(str)
    year = text.str.slice(0, 4).astype(np.int64).to_numpy()
    qoy = text.str.slice(5, 6).astype(np.int64).to_numpy()
    return (year - base) * 4 + qoy - 1


def _to_pandas(frame: Any) -> pd.DataFrame:
    """A narwhals frame (lazy or eager) collected into pandas."""
    import narwhals as nw

    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect(backend="pandas")
    return frame.to_pandas()


def panel_counts_narwhals(native: Any, fiscal_year_start_month: int = 1) -> tuple[
        pd.DataFrame, dict[str, str]]:
    """Unit x quarter counts of the study panel, run on ``native``'s own engine.

    ``hires``: intervals that are the first of their employment episode (earliest start of
    the person's episode) and start on the hire date (tenure under half a day);
    ``ic_moves_out``: IC intervals whose next interval of the same episode (among those
    with an org unit) is in another unit. Rows without an org unit are left out (counted in
    the returned reasons). Operations: group-bys with sums, ``min``, ``len`` and
    ``n_unique``; inner joins (hires: the intervals starting on a hire date, matched to
    their episode's first start); the next interval's unit, only in episodes through two
    units or more, by ``shift(-1).over(..., order_by="start")`` (on Dask, which has no
    ordered window, a left join on the interval that starts the day this one stops: the
    same unless an episode has rows without an org unit, which the reason then says).
    No window runs over the whole table, so DuckDB can spill every step to disk.

    Parameters
    ----------
    native
        An exposure table (``schema.EXPOSURE``) in any backend narwhals reads.
    fiscal_year_start_month
        First month of the fiscal year of its ``quarter`` labels.

    Returns
    -------
    (pandas.DataFrame, dict)
        :data:`~pathaudit.study._panel.COUNT_COLUMNS` sorted by unit and quarter, and the
        rows left out (``"(no org unit)"`` -> reason) for
        :func:`~pathaudit.study._panel.panel_from_counts`.

    Examples
    --------
    >>> ex = pd.DataFrame({
    ...     "employee_id": ["a", "a", "b"], "episode": [0, 0, 0],
    ...     "start": pd.to_datetime(["2021-01-01", "2021-04-01", "2021-01-01"]),
    ...     "stop": pd.to_datetime(["2021-04-01", "2021-05-01", "2021-06-01"]),
    ...     "person_years": [90 / 365.25, 30 / 365.25, 151 / 365.25],
    ...     "quarter": ["2021Q1", "2021Q2", "2021Q1"], "org_unit": ["x", "y", "x"],
    ...     "track": ["IC", "IC", "M"], "tenure": [0.0, 0.25, 2.0],
    ...     "event": ["none", "exit_voluntary", "censored"]})
    >>> counts, _ = panel_counts_narwhals(ex)
    >>> counts[["org_unit", "q", "people", "hires", "ic_moves_out", "voluntary"]].values.tolist()
    [['x', 204, 2, 1, 1, 0], ['y', 205, 1, 0, 0, 1]]
    """
    import narwhals as nw

    with _quiet_dask():
        frame = nw.from_native(native)
        is_dask = frame.implementation.is_dask()
        keys = ["employee_id", "episode"]
        missing = frame.filter(nw.col("org_unit").is_null()).select(nw.len().alias("n"))
        n_missing = int(_to_pandas(missing)["n"].sum())
        base = frame.filter(~nw.col("org_unit").is_null()).select(
            *keys, "start", "stop", "person_years", "quarter", "org_unit", "track", "tenure",
            "event",
        )
        event = nw.col("event")
        cell = ["org_unit", "quarter"]
        main = base.with_columns(
            (event == "exit_voluntary").cast(nw.Int64).alias("vol"),
            (event == "exit_involuntary").cast(nw.Int64).alias("invol"),
        ).group_by(*cell).agg(
            nw.col("person_years").sum(),
            nw.col("vol").sum().alias("voluntary"),
            nw.col("invol").sum().alias("involuntary"),
            nw.col("employee_id").n_unique().alias("people"),
        )
        # one row per episode: its first start and how many units it passes through
        episodes = base.group_by(*keys).agg(
            nw.col("start").min().alias("first_start"),
            nw.col("org_unit").n_unique().alias("units"),
        )
        hires = (
            base.filter(nw.col("tenure") < HIRE_TENURE_YEARS)
            .select(*keys, "start", *cell)
            .join(episodes.select(*keys, "first_start"), on=keys, how="inner")
            .filter(nw.col("start") == nw.col("first_start"))
            .group_by(*cell)
            .agg(nw.len().alias("hires"))
        )
        # moves happen only in episodes through two units or more: find the next interval
        # there only (a small part of the rows)
        movers = base.select(*keys, "start", "stop", *cell, "track").join(
            episodes.filter(nw.col("units") > 1).select(*keys), on=keys, how="inner"
        )
        if is_dask:
            # Dask has no ordered window: the next interval of the episode is the one that
            # starts the day this one stops (an episode's intervals are contiguous)
            following = movers.select(
                *keys, nw.col("start").alias("stop"), nw.col("org_unit").alias("next_unit")
            )
            movers = movers.join(following, on=[*keys, "stop"], how="left")
        else:
            movers = movers.with_columns(
                nw.col("org_unit").shift(-1).over(*keys, order_by="start").alias("next_unit")
            )
        moves = (
            movers.filter(
                ~nw.col("next_unit").is_null()
                & (nw.col("next_unit") != nw.col("org_unit"))
                & (nw.col("track") == "IC")
            )
            .group_by(*cell)
            .agg(nw.len().alias("ic_moves_out"))
        )
        frames = [_to_pandas(f) for f in (main, hires, moves)]
    for f in frames:
        for c in cell:
            f[c] = f[c].astype(str)
    table = frames[0].merge(frames[1], on=cell, how="left").merge(frames[2], on=cell, how="left")
    table["org_unit"] = table["org_unit"].astype("string")
    table["q"] = _label_to_quarter(table["quarter"], fiscal_year_start_month)
    for c in ("voluntary", "involuntary", "people", "hires", "ic_moves_out"):
        table[c] = table[c].fillna(0).astype(np.int64)
    table["person_years"] = table["person_years"].astype(float)
    table = table.sort_values(["org_unit", "q"], ignore_index=True)
    left_out = {}
    if n_missing:
        left_out["(no org unit)"] = f"{n_missing} exposure rows have no org_unit"
        if is_dask:
            left_out["(no org unit)"] += (
                "; on the dask engine an IC who moves unit across such rows is not counted "
                "as a move out (pandas and duckdb count it)"
            )
    return table[list(COUNT_COLUMNS)], left_out


def panel_counts(
    source: pd.DataFrame | str | Path, engine: str = "pandas", fiscal_year_start_month: int = 1
) -> tuple[pd.DataFrame, dict[str, str]]:
    """:func:`panel_counts_narwhals` on the engine asked for (Parquet for DuckDB and Dask).

    Parameters
    ----------
    source
        An exposure table, or canonical Parquet (a ``--to-parquet`` folder, an
        ``exposure.parquet`` file or a folder of parts).
    engine
        One of :data:`~pathaudit.engines.ENGINES`.
    fiscal_year_start_month
        First month of the fiscal year.

    Returns
    -------
    (pandas.DataFrame, dict)
        As :func:`panel_counts_narwhals`.

    Examples
    --------
    >>> try:
    ...     panel_counts(pd.DataFrame(), engine="spark")
    ... except Exception as err:
    ...     print(str(err)[:51])
    engine must be one of ['pandas', 'duckdb', 'dask'];
    """
    _check(engine, ["org_unit"])
    if engine == "pandas" and isinstance(source, pd.DataFrame):
        return panel_counts_narwhals(source, fiscal_year_start_month)
    import narwhals as nw

    path = _exposure_path(source)
    backend: Any = engine if engine in ENGINES[1:] else "pandas"
    with _quiet_dask():
        if backend == "pandas":
            native = pd.read_parquet(path.parent if path.name == "*.parquet" else path)
        else:
            native = nw.scan_parquet(str(path), backend=backend).to_native()
        return panel_counts_narwhals(native, fiscal_year_start_month)
