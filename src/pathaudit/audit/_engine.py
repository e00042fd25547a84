"""The audit on DuckDB or Dask: the rate-based analyses from canonical Parquet, one folder.

``pathaudit audit PARQUET_DIR --engine duckdb|dask`` writes the same kind of folder as the
pandas audit (``summary.json``, ``manifest.json``, ``<analysis>.json``, ``tables/``,
``data/``, ``README.txt``), swapped in the same way, with what an engine computes on the
aggregated cells: attrition's rate parts and the study's unit x quarter panel. Every other
analysis and part is listed as not computed, with the reason (it needs person-level rows:
the pandas engine). No charts and no report: both draw on the analyses an engine does not
run.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pathaudit import __version__
from pathaudit.audit._folder import _swap_in, check_output_folder
from pathaudit.audit._index import readme_text
from pathaudit.audit._layout import ANALYSES, MANIFEST, README, REPORT, Progress
from pathaudit.output import json_safe, write_analysis
from pathaudit.result import OUTPUT_SCHEMA_VERSION, AnalysisResult

ENGINE_NOT_COMPUTED = (
    "needs the pandas engine: {analysis} fits person-level models or reads person-level "
    "rows (pathaudit audit EXPORT --map MAP); the {engine} engine computes the rate-based "
    "figures only (docs/engines.md)"
)
"""Reason given for each analysis an engine does not run."""


def run_engine_audit(
    folder: str | Path,
    out: str | Path,
    engine: str,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The rate-based audit of a canonical Parquet folder on DuckDB or Dask.

    Parameters
    ----------
    folder
        Canonical Parquet: a folder written by ``pathaudit load --to-parquet`` (or of the
        same layout, with ``dataset.json``; ``exposure`` may be a folder of parts).
    out
        Output folder, as for :func:`run_audit` (missing, empty or a previous output).
    engine
        ``"duckdb"``, ``"dask"`` (the current ``dask.distributed`` client if one runs, else
        Dask's local scheduler) or ``"pandas"`` (the same cells in memory).
    overwrite
        Replace a non-empty folder that is not a previous pathaudit output.
    progress
        Called with the name of each step as it starts.

    Returns
    -------
    dict
        The content of ``summary.json``: per analysis of :data:`ANALYSES` and
        ``study_panel``, ``computed`` (attrition's rate parts; the panel) or ``not
        computed`` with the reason; ``engine``.

    Raises
    ------
    InputError
        The folder is not canonical Parquet (no ``dataset.json`` or exposure table).
    OutputFolderError
        As for :func:`run_audit`.

    Examples
    --------
    >>> summary = run_engine_audit("canonical", "audit-out", "duckdb")  # doctest: +SKIP
    >>> summary["analyses"]["attrition"]["status"]  # doctest: +SKIP
    'computed'
    """
    from pathaudit.engines import read_dataset
    from pathaudit.engines._audit import check_engine

    engine = check_engine(engine)
    ds = read_dataset(folder)
    out = check_output_folder(out, overwrite=overwrite).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tell = progress or (lambda step: None)
    build = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        summary = _write_engine(ds, build, engine, tell)
        _swap_in(build, out)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return summary


def _write_engine(ds: Any, out: Path, engine: str, tell: Progress) -> dict[str, Any]:
    from pathaudit.engines._audit import engine_attrition, engine_study_panel

    margin = _attrition_margin(ds.manifest.get("map", {}))
    dataset = dict(ds.summary) or {
        "extract_date": str(ds.extract_date.date()),
        "history_start": str(ds.history_start.date()),
        "as_of": str(ds.as_of.date()),
    }
    summary: dict[str, Any] = {
        "schema_version": OUTPUT_SCHEMA_VERSION, "dataset": dataset, "analyses": {},
    }
    runs = {
        "attrition": lambda: engine_attrition(ds, engine, **margin),
        "study_panel": lambda: engine_study_panel(ds, engine),
    }
    for name in (*ANALYSES, "study_panel"):
        if name not in runs:
            why = ENGINE_NOT_COMPUTED.format(analysis=name, engine=engine)
            summary["analyses"][name] = {"status": "not computed", "reason": why}
            continue
        tell(f"{name.replace('_', ' ')} ({engine})")
        result: AnalysisResult = runs[name]()
        write_analysis(result, out, ds.min_cell_size)
        summary["analyses"][name] = {
            "status": "computed",
            "title": result.TITLE,
            "headline": result.headline().to_dict(orient="records"),
            "notes": [{"kind": n.kind, "part": n.part, "text": n.text} for n in result.notes],
            "warnings": [],
        }
    manifest = dict(ds.manifest) or {
        "package": "pathaudit", "extract_date": dataset["extract_date"],
        "history_start": dataset["history_start"], "as_of": dataset["as_of"],
        "min_cell_size": ds.min_cell_size,
    }
    manifest["version"] = __version__
    manifest["extra"] = {**dict(manifest.get("extra") or {}), "engine": engine}
    (out / MANIFEST).write_text(json.dumps(json_safe(manifest), indent=2, sort_keys=True))
    summary = json_safe(summary)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    # no report here: the index's first advice points at summary.json instead
    readme = readme_text(out).replace(
        f"Start with {REPORT} (open it in a browser) and summary.json",
        f"Start with summary.json (the {engine} engine writes no {REPORT}: docs/engines.md)",
    )
    (out / README).write_text(readme, encoding="utf-8")
    return summary


def _attrition_margin(config: Any) -> dict[str, Any]:
    """The map's ``[thresholds] attrition_margin``, as the pandas audit reads it."""
    th = (config or {}).get("thresholds", {}) if isinstance(config, dict) else {}
    if isinstance(th, dict) and "attrition_margin" in th:
        lo, hi = th["attrition_margin"]
        return {"margin": (float(lo), float(hi))}
    return {}
