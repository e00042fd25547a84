"""Run every analysis on one dataset and write the tables, headlines and run manifest.

Output folder layout (stable names, documented in ``docs/audit-output.md``)::

    OUT/
      data_quality.csv                  every data-quality finding (rule, action, rows)
      manifest.json                     run manifest: version, map, input hashes, as-of, seed, k
      summary.json                      every analysis's headline table, notes and warnings
      <analysis>.json                   one analysis in the versioned output schema
      <analysis>__<part>.csv            the table of each part
      <analysis>__<part>__<table>.csv   further tables of a part

Every CSV is written formula-safe (no cell starts a spreadsheet formula) and holds no
person-level rows. Everything an audit writes passes the publish stage
(:func:`~pathaudit.output.publish`) together.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pathaudit.checks import check_choices, check_data, check_number
from pathaudit.data import AuditData
from pathaudit.errors import NeedsHistoryError, StatisticalWarning
from pathaudit.output import json_safe, write_analysis, write_table
from pathaudit.result import OUTPUT_SCHEMA_VERSION, AnalysisResult

ANALYSES: tuple[str, ...] = ("pay_parity", "time_to_promotion", "forced_management", "attrition")
"""The analyses of the audit, in report order."""


def _runner(name: str) -> Callable[..., AnalysisResult]:
    from pathaudit.attrition import attrition
    from pathaudit.management import forced_management
    from pathaudit.parity import pay_parity
    from pathaudit.promotion import time_to_promotion

    runners: dict[str, Callable[..., AnalysisResult]] = {
        "pay_parity": pay_parity,
        "time_to_promotion": time_to_promotion,
        "forced_management": forced_management,
        "attrition": attrition,
    }
    return runners[name]


def run_audit(
    data: AuditData,
    out: str | Path,
    *,
    seed: int = 0,
    analyses: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Run every analysis on ``data`` and write tables, headlines and the run manifest.

    Parameters
    ----------
    data
        Loaded dataset (see :func:`pathaudit.load`).
    out
        Output folder (created if needed).
    seed
        Seed for every resampling step (bootstrap, matching).
    analyses
        Names of the analyses to run, among :data:`ANALYSES` (default: all).

    Returns
    -------
    dict
        The content of ``summary.json``: ``schema_version``, ``dataset`` and, per analysis,
        ``status`` (``computed`` or ``not computed`` with its ``reason``), its ``headline``
        rows (the columns of :data:`~pathaudit.headline.HEADLINE_COLUMNS`), ``notes`` and the
        statistical ``warnings`` raised while it ran.

    Examples
    --------
    >>> import pathaudit, tempfile
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> summary = run_audit(data, tempfile.mkdtemp(), analyses=["attrition"])  # doctest: +SKIP
    """
    data = check_data(data, "run_audit")
    seed = int(check_number(seed, "seed", low=0, integer=True))
    chosen = check_choices(analyses, "analyses", ANALYSES) or ANALYSES
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    k = data.min_cell_size
    summary: dict[str, Any] = {
        "schema_version": OUTPUT_SCHEMA_VERSION,
        "dataset": data.summary(),
        "analyses": {},
    }
    for name in ANALYSES:
        if name not in chosen:
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StatisticalWarning)
            try:
                result = _runner(name)(data, seed=seed)
            except NeedsHistoryError as err:
                summary["analyses"][name] = {"status": "not computed", "reason": str(err)}
                continue
        write_analysis(result, out, k)
        summary["analyses"][name] = {
            "status": "computed",
            "title": result.TITLE,
            "headline": result.headline().to_dict(orient="records"),
            "notes": [{"kind": n.kind, "part": n.part, "text": n.text} for n in result.notes],
            "warnings": sorted({str(w.message) for w in caught}),
        }
    from pathaudit.io.manifest import run_manifest

    write_table(data.quality.to_frame(), out / "data_quality.csv")
    manifest = run_manifest(data, seed=seed)
    (out / "manifest.json").write_text(json.dumps(json_safe(manifest), indent=2, sort_keys=True))
    summary = json_safe(summary)
    # report order and the headline's column order are part of the schema: not sorted
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary
