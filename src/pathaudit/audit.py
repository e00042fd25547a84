"""Run every analysis on one dataset and write the tables, headlines and run manifest.

Output folder layout (stable names, documented in ``docs/audit-output.md``)::

    OUT/
      data_quality.csv          every data-quality finding (rule, action, rows)
      manifest.json             run manifest: version, map, input hashes, as-of, seed, k, rows
      summary.json              headline figures with their CIs, per analysis
      <analysis>.csv            the main table of each analysis
      <analysis>__<part>.csv    further tables of each analysis

Every CSV is written formula-safe (no cell starts a spreadsheet formula) and holds
no person-level rows.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pathaudit.data import AuditData
from pathaudit.errors import NeedsHistoryError, StatisticalWarning
from pathaudit.result import Result


@dataclass(frozen=True)
class AnalysisStep:
    """One analysis of the audit.

    Attributes
    ----------
    name
        Stable name used for file names and in ``summary.json``.
    run
        ``run(data, seed) -> Result`` (or an object with ``.results()``).
    headline
        ``headline(result) -> list of dict`` with keys ``name``, ``estimate``,
        ``ci_lower``, ``ci_upper``, ``n`` and ``definition``.
    """

    name: str
    run: Callable[[AuditData, int], Any]
    headline: Callable[[Any], list[dict[str, Any]]]


def _steps() -> list[AnalysisStep]:
    """The analyses of the audit, in report order."""
    from pathaudit.attrition import attrition
    from pathaudit.management import forced_management
    from pathaudit.parity import pay_parity
    from pathaudit.promotion import time_to_promotion

    return [
        AnalysisStep(
            "pay_parity",
            lambda data, seed: pay_parity(data, seed=seed),
            lambda res: res.headline(),
        ),
        AnalysisStep(
            "time_to_promotion",
            lambda data, seed: time_to_promotion(data, seed=seed),
            lambda res: res.headline_figures(),
        ),
        AnalysisStep(
            "forced_management",
            lambda data, seed: forced_management(data, seed=seed),
            lambda res: res.headline(),
        ),
        AnalysisStep(
            "attrition",
            lambda data, seed: attrition(data, seed=seed),
            lambda res: res.headline(),
        ),
    ]


def _clean(value: Any) -> Any:
    """Make a value JSON-safe (NaN -> None, numpy scalars -> Python)."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    return value


def _results_of(obj: Any) -> dict[str, Result]:
    """Name -> Result for one analysis output (a Result or a bundle with ``results()``)."""
    if isinstance(obj, Result):
        return {"": obj}
    return dict(obj.results())


def _write_table(df: pd.DataFrame, path: Path) -> None:
    from pathaudit.io.privacy import safe_for_spreadsheet

    safe_for_spreadsheet(df).to_csv(path, index=False)


def run_audit(
    data: AuditData,
    out: str | Path,
    *,
    seed: int = 0,
    analyses: list[str] | None = None,
) -> dict[str, Any]:
    """Run every analysis on ``data`` and write tables, headlines and the run manifest.

    Parameters
    ----------
    data
        Loaded dataset (see :func:`pathaudit.io._load`).
    out
        Output folder (created if needed).
    seed
        Seed for every resampling step (bootstrap, matching).
    analyses
        Names of the analyses to run (default: all).

    Returns
    -------
    dict
        The content of ``summary.json``: per analysis, its headline figures or
        the reason it could not run (e.g. snapshot-only data).
    """
    from pathaudit.io.manifest import run_manifest

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"dataset": data.summary(), "analyses": {}}
    for step in _steps():
        if analyses is not None and step.name not in analyses:
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StatisticalWarning)
            try:
                output = step.run(data, seed)
            except NeedsHistoryError as err:
                summary["analyses"][step.name] = {"status": "not computed", "reason": str(err)}
                continue
        for name, res in _results_of(output).items():
            stem = step.name if not name else f"{step.name}__{name}"
            _write_table(res.table, out / f"{stem}.csv")
            for part, table in res.tables.items():
                _write_table(table, out / f"{stem}__{part}.csv")
        summary["analyses"][step.name] = {
            "status": "computed",
            "headline": step.headline(output),
            "warnings": sorted({str(w.message) for w in caught}),
        }
    _write_table(data.quality.to_frame(), out / "data_quality.csv")
    manifest = run_manifest(data, seed=seed)
    (out / "manifest.json").write_text(json.dumps(_clean(manifest), indent=2, sort_keys=True))
    summary = _clean(summary)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True))
    return summary
