"""Engines: the person-time cells on pandas, DuckDB and Dask, and canonical Parquet.

The cells are written once in narwhals (:func:`cells_narwhals`) and run on the pandas
exposure table in memory, or on DuckDB (out of core) and Dask (``dask.distributed``) reading
the canonical Parquet that :func:`write_canonical_parquet` (``pathaudit load --to-parquet``)
writes. ``docs/engines.md`` says what runs
where.
"""

from pathaudit.engines._cells import (
    CELL_COLUMNS,
    CELL_KEYS,
    CELLS_DEFINITION,
    ENGINES,
    EVENT_KINDS,
    cells_narwhals,
    person_time_cells,
    write_canonical_parquet,
)

__all__ = [
    "CELLS_DEFINITION",
    "CELL_COLUMNS",
    "CELL_KEYS",
    "ENGINES",
    "EVENT_KINDS",
    "cells_narwhals",
    "person_time_cells",
    "write_canonical_parquet",
]
