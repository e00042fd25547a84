"""The description of a canonical Parquet folder: its dates, k and fiscal year (``dataset.json``).

The DuckDB and Dask engines read the person-level tables from Parquet and nothing else; the
facts every figure needs besides them (the as-of date, the observed window, the minimum cell
size, the fiscal year) travel beside them in ``dataset.json``, written by
``pathaudit load --to-parquet`` or by a pipeline of the user's own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pathaudit.data import AuditData
from pathaudit.errors import InputError

DATASET_FILE = "dataset.json"
"""Name of the description file of a canonical Parquet folder."""

DATASET_KEYS: dict[str, str] = {
    "extract_date": "the date the export was pulled (YYYY-MM-DD)",
    "history_start": "the date from which the history is complete (YYYY-MM-DD)",
    "as_of": "the analysis date (YYYY-MM-DD; default: extract_date)",
    "min_cell_size": "k: groups of fewer people are suppressed (default 5)",
    "fiscal_year_start_month": "first month of the fiscal year, 1-12 (default 1)",
    "summary": "optional: facts about the dataset (summary.json's `dataset`)",
    "manifest": "optional: the load's run manifest (map, input hashes, row counts)",
}
"""Keys of ``dataset.json``; the first two are required."""


@dataclass(frozen=True)
class ParquetDataset:
    """A canonical Parquet folder as the engines read it.

    Attributes
    ----------
    folder
        The folder.
    extract_date, history_start, as_of
        Its dates.
    min_cell_size
        k.
    fiscal_year_start_month
        First month of the fiscal year.
    summary, manifest
        What ``dataset.json`` records of the load (empty for a pipeline that wrote none).
    """

    folder: Path
    extract_date: pd.Timestamp
    history_start: pd.Timestamp
    as_of: pd.Timestamp
    min_cell_size: int = 5
    fiscal_year_start_month: int = 1
    summary: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> Path | None:
        """The Parquet file ``<name>.parquet`` or the folder of parts ``<name>/``, if any."""
        for path in (self.folder / f"{name}.parquet", self.folder / name):
            if path.exists():
                return path
        return None

    def read_small(self, name: str) -> pd.DataFrame | None:
        """A small table (``adoption``) read into pandas; None when the folder has none."""
        path = self.table(name)
        return None if path is None else pd.read_parquet(path)


def dataset_description(data: AuditData) -> dict[str, Any]:
    """The ``dataset.json`` of a loaded dataset (see :data:`DATASET_KEYS`).

    Parameters
    ----------
    data
        A loaded dataset.

    Returns
    -------
    dict
        JSON-ready: dates as ``YYYY-MM-DD``, the dataset summary and the load's manifest.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> dataset_description(data)["min_cell_size"]  # doctest: +SKIP
    5
    """
    from pathaudit.io.manifest import run_manifest
    from pathaudit.output import json_safe

    return {
        "extract_date": str(data.extract_date.date()),
        "history_start": str(data.history_start.date()),
        "as_of": str(data.as_of.date()),
        "min_cell_size": int(data.min_cell_size),
        "fiscal_year_start_month": int(data.fiscal_year_start_month),
        "summary": json_safe(data.summary()),
        "manifest": json_safe(run_manifest(data)),
    }


def _date(doc: dict[str, Any], key: str, path: Path) -> pd.Timestamp:
    try:
        return pd.Timestamp(str(doc[key])).normalize()
    except (KeyError, ValueError) as err:
        raise InputError(
            f"{path}: '{key}' must be a date (YYYY-MM-DD); found {doc.get(key)!r}. Write it "
            "with 'pathaudit load EXPORT --map MAP --to-parquet DIR' or add the key "
            "(docs/engines.md lists the keys)."
        ) from err


def read_dataset(folder: str | Path, tables: tuple[str, ...] = ("exposure",)) -> ParquetDataset:
    """Read a canonical Parquet folder's ``dataset.json`` and check it has the tables needed.

    Parameters
    ----------
    folder
        A folder written by ``pathaudit load --to-parquet`` (or of the same layout:
        ``exposure.parquet`` or a folder ``exposure/`` of parts, and ``dataset.json``).
    tables
        The tables the caller reads (default: the exposure table; the spell derivation
        reads ``("history", "people")``).

    Returns
    -------
    ParquetDataset

    Raises
    ------
    InputError
        No such folder, a table missing, or a missing or unreadable ``dataset.json``;
        the message names the file and the fix.

    Examples
    --------
    >>> try:
    ...     read_dataset("no-such-folder")
    ... except Exception as err:
    ...     print(str(err)[:35])
    no-such-folder is not a folder: pas
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError(
            f"{root} is not a folder: pass the folder written by 'pathaudit load EXPORT "
            "--map MAP --to-parquet DIR'."
        )
    path = root / DATASET_FILE
    if not path.is_file():
        raise InputError(
            f"{root} has no {DATASET_FILE} (the dates, k and fiscal year every figure needs). "
            "Write the folder with 'pathaudit load EXPORT --map MAP --to-parquet DIR', or add "
            f"{DATASET_FILE} with at least extract_date and history_start (docs/engines.md)."
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{path} is not valid JSON ({err}). Write it again.") from err
    if not isinstance(doc, dict):
        raise InputError(f"{path} must hold a JSON object with the keys of docs/engines.md.")
    extract = _date(doc, "extract_date", path)
    start = _date(doc, "history_start", path)
    as_of = _date(doc, "as_of", path) if doc.get("as_of") else extract
    try:
        k = int(doc.get("min_cell_size", 5))
        fy = int(doc.get("fiscal_year_start_month", 1))
    except (TypeError, ValueError) as err:
        raise InputError(
            f"{path}: min_cell_size and fiscal_year_start_month must be whole numbers; "
            f"found {doc.get('min_cell_size')!r}, {doc.get('fiscal_year_start_month')!r}."
        ) from err
    if k < 1 or not 1 <= fy <= 12:
        raise InputError(
            f"{path}: min_cell_size must be at least 1 and fiscal_year_start_month 1-12; "
            f"found {k}, {fy}."
        )
    ds = ParquetDataset(root, extract, start, as_of, k, fy, dict(doc.get("summary") or {}),
                        dict(doc.get("manifest") or {}))
    for name in tables:
        if ds.table(name) is None:
            raise InputError(
                f"{root} has no {name} table ({name}.parquet or a folder {name}/ of parts). "
                "Write it with 'pathaudit load EXPORT --map MAP --to-parquet DIR'."
            )
    return ds
