"""Engines: the person-time cells on pandas, DuckDB and Dask, and canonical Parquet.

The pandas engine derives spells and exposure in memory (``derived/spells.py``) and counts
cells with numpy; DuckDB (out of core) and Dask (``dask.distributed``) read the canonical
Parquet that :func:`write_canonical_parquet` (``pathaudit load --to-parquet``) writes and run
the same narwhals expressions (:func:`cells_narwhals`). ``docs/engines.md`` says what runs
where.
"""

from pathaudit.engines._cells import (
    CELL_COLUMNS,
    CELL_KEYS,
    CELLS_DEFINITION,
    ENGINES,
    EVENT_KINDS,
    cells_narwhals,
    cells_numpy,
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
    "cells_numpy",
    "person_time_cells",
    "write_canonical_parquet",
]
