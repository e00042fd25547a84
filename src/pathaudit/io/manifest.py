"""The run manifest: what an audit was run on, so that it can be reproduced.

A manifest names the package version, the column map, the SHA-256 hash of every
input file, the dates (extract, history start, as-of), the seed, the minimum
cell size and, per table, the rows read, used, repaired and excluded. It holds
no timestamp and no machine path, so the same inputs give the same manifest
byte for byte.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pathaudit._version import __version__
from pathaudit.data import AuditData


def _used(data: AuditData) -> dict[str, int]:
    used: dict[str, int] = {"history": len(data.history), "people": len(data.people)}
    if data.ladder is not None:
        used["ladder"] = len(data.ladder)
    for name in ("bands", "ratings", "adoption", "snapshot"):
        table = getattr(data, name)
        if table is not None:
            used[name] = len(table)
    return used


def _date(ts: Any) -> str | None:
    return None if ts is None or pd.isna(ts) else str(pd.Timestamp(ts).date())


def _plain(value: Any) -> Any:
    """JSON-friendly copy (numpy scalars to Python, dates to ISO strings)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    if isinstance(value, np.generic):
        return value.item()
    return value


def run_manifest(
    data: AuditData,
    *,
    seed: int | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Describe a run: package, map, inputs, dates, seed, k and row counts.

    Parameters
    ----------
    data
        The loaded dataset.
    seed
        Seed used for resampling steps (bootstrap, matching), if any.
    extra
        More JSON-friendly facts to record (e.g. the analyses run).

    Returns
    -------
    dict
        ``package``, ``version``, ``python``, ``pandas``, ``numpy``, ``kind``
        (history or snapshot), ``map`` (the checked column map), ``inputs`` (file
        name -> SHA-256), ``extract_date``, ``history_start``, ``as_of``, ``seed``,
        ``min_cell_size``, ``rows`` (per table: ``in``, ``used``, ``excluded``,
        ``repaired``, and ``excluded_later`` when a derivation such as the spells
        left rows out after loading; ``in`` and ``excluded`` are missing for tables
        that were derived rather than read), ``quality`` (rule -> action and rows)
        and ``extra``; ``notes`` when the export was read with row-number IDs, an
        inferred extract date or (snapshots) without ``history_start``
        (:func:`manifest_notes`).

    Notes
    -----
    No timestamps and no absolute paths: two runs on the same inputs with the same
    seed give the same manifest. For every table read from a file,
    ``in = used + excluded`` (the loader's exclusions, each counted in the
    data-quality report).
    """
    q = data.quality
    used = _used(data)
    notes = manifest_notes(data.config)
    rows: dict[str, dict[str, int]] = {}
    for table in sorted(set(q.rows_in) | set(used)):
        entry: dict[str, int] = {}
        n_used = int(used.get(table, 0))
        excluded = int(q.excluded(table))
        if table in q.rows_in:
            entry["in"] = int(q.rows_in[table])
            at_load = entry["in"] - n_used
            entry["used"] = n_used
            entry["excluded"] = at_load
            if excluded > at_load:  # left out later, e.g. while deriving spells
                entry["excluded_later"] = excluded - at_load
        else:
            entry["used"] = n_used
            if excluded:
                entry["excluded_later"] = excluded
        entry["repaired"] = int(q.repaired(table))
        rows[table] = entry
    return _plain(
        {
            "package": "pathaudit",
            "version": __version__,
            "python": platform.python_version(),
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "kind": "snapshot" if data.is_snapshot else "history",
            "map": data.config,
            "inputs": dict(sorted(data.inputs.items())),
            "extract_date": _date(data.extract_date),
            "history_start": _date(data.history_start),
            "as_of": _date(data.as_of),
            "seed": seed,
            "min_cell_size": data.min_cell_size,
            "rows": rows,
            "quality": q.summary()["rules"],
            "extra": extra or {},
            **({"notes": notes} if notes else {}),
        }
    )


ROW_IDS_NOTE = (
    'employee IDs are row numbers (employee_id = "@row"): they are not stable across '
    "exports, so no figure can follow a person from one export to the next; they are "
    "written to no output"
)
EXTRACT_INFERRED_NOTE = (
    "extract_date is the latest date in the export (the map gives none): a lower bound of "
    "the day the data was pulled"
)
NO_HISTORY_START_NOTE = (
    "snapshot without history_start: the window its leavers come from is unknown, so no "
    "exit rate, turnover or retention figure is computed"
)


def manifest_notes(config: dict[str, Any]) -> list[str]:
    """What a reader of the manifest must know about how the export was read.

    Parameters
    ----------
    config
        The checked column map (``AuditData.config``).

    Returns
    -------
    list of str
        Row-number IDs, an inferred extract date, a snapshot without ``history_start``
        (empty when none applies).

    Examples
    --------
    >>> manifest_notes({"export": {"kind": "history"}})
    []
    >>> manifest_notes({"columns": {"snapshot": {"employee_id": "@row"}}})[0][:40]
    'employee IDs are row numbers (employee_i'
    """
    export = config.get("export", {})
    notes = []
    if config.get("columns", {}).get("snapshot", {}).get("employee_id") == "@row":
        notes.append(ROW_IDS_NOTE)
    if export.get("extract_date_inferred"):
        notes.append(EXTRACT_INFERRED_NOTE)
    if export.get("kind") == "snapshot" and export.get("history_start_given") is False:
        notes.append(NO_HISTORY_START_NOTE)
    return notes


def write_manifest(
    path: str | Path,
    data: AuditData,
    *,
    seed: int | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write :func:`run_manifest` as indented, key-sorted JSON.

    Parameters
    ----------
    path
        File to write (folders are created).
    data, seed, extra
        As for :func:`run_manifest`.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(run_manifest(data, seed=seed, extra=extra), indent=2, sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path
