"""Engines: the person-time cells on pandas, DuckDB and Dask, and canonical Parquet.

The cells are written once in narwhals (:func:`cells_narwhals`, :func:`panel_counts`) and
run on the pandas exposure table in memory, or on DuckDB (out of core) and Dask
(``dask.distributed``) reading the canonical Parquet that :func:`write_canonical_parquet`
(``pathaudit load --to-parquet``) writes, described by its ``dataset.json``
(:func:`read_dataset`). :func:`engine_attrition` and :func:`engine_study_panel` compute the
rate-based audit from the cells (``pathaudit audit DIR --engine duckdb|dask``).
:func:`derive_spells_engine` (:func:`spells_narwhals`) derives spells and exposure from the
canonical history and people in narwhals, on pandas or DuckDB (the same tables as the numpy
derivation the pandas engine uses). ``docs/engines.md`` says what runs where.
"""

from pathaudit.engines._audit import (
    PERSON_LEVEL,
    RATE_PARTS,
    StudyPanelResult,
    engine_attrition,
    engine_study_panel,
)
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
from pathaudit.engines._dataset import (
    DATASET_FILE,
    DATASET_KEYS,
    ParquetDataset,
    dataset_description,
    read_dataset,
)
from pathaudit.engines._panel import panel_counts
from pathaudit.engines._spells import (
    EXPOSURE_COLUMNS,
    SPELL_COLUMNS,
    SPELL_ENGINES,
    derive_spells_engine,
    spells_narwhals,
)

__all__ = [
    "CELLS_DEFINITION",
    "CELL_COLUMNS",
    "CELL_KEYS",
    "DATASET_FILE",
    "DATASET_KEYS",
    "ENGINES",
    "EVENT_KINDS",
    "EXPOSURE_COLUMNS",
    "PERSON_LEVEL",
    "RATE_PARTS",
    "SPELL_COLUMNS",
    "SPELL_ENGINES",
    "ParquetDataset",
    "StudyPanelResult",
    "cells_narwhals",
    "dataset_description",
    "derive_spells_engine",
    "engine_attrition",
    "engine_study_panel",
    "panel_counts",
    "person_time_cells",
    "read_dataset",
    "spells_narwhals",
    "write_canonical_parquet",
]
