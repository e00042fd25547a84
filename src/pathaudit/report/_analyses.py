"""The analyses the report runs, with the map's thresholds, or those passed in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from pathaudit.checks import check_data
from pathaudit.data import AuditData
from pathaudit.errors import ArgumentError, NeedsHistoryError
from pathaudit.result import AnalysisResult

ANALYSES: tuple[str, ...] = ("pay_parity", "time_to_promotion", "forced_management", "attrition")
"""The analyses the report runs when none are passed, in report order."""


def runners() -> dict[str, Any]:
    """The report's analysis functions by name (imported on first use)."""
    from pathaudit.attrition import attrition
    from pathaudit.management import forced_management
    from pathaudit.parity import pay_parity
    from pathaudit.promotion import time_to_promotion

    return {
        "pay_parity": pay_parity,
        "time_to_promotion": time_to_promotion,
        "forced_management": forced_management,
        "attrition": attrition,
    }


def analysis_options(data: AuditData) -> dict[str, dict[str, Any]]:
    """Keyword arguments of each analysis from the map's ``[thresholds]`` table.

    Parameters
    ----------
    data
        Loaded dataset; its map's ``[thresholds]`` (``pay_margin``, ``promotion_margin``,
        ``attrition_margin`` and ``[thresholds.management]``) override the analyses'
        default margins and thresholds.

    Returns
    -------
    dict
        Analysis name -> keyword arguments (empty when the map sets nothing).

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")
    >>> data.config["thresholds"] = {"pay_margin": 0.03}
    >>> analysis_options(data)["pay_parity"]
    {'margin': 0.03}
    """
    data = check_data(data, "analysis_options")
    th = data.config.get("thresholds", {}) or {}
    opts: dict[str, dict[str, Any]] = {name: {} for name in ANALYSES}
    if "pay_margin" in th:
        opts["pay_parity"]["margin"] = float(th["pay_margin"])
    if "promotion_margin" in th:
        opts["time_to_promotion"]["margin"] = float(th["promotion_margin"])
    if "attrition_margin" in th:
        lo, hi = th["attrition_margin"]
        opts["attrition"]["margin"] = (float(lo), float(hi))
    if th.get("management"):
        opts["forced_management"]["thresholds"] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in th["management"].items()
        }
    return opts


def check_results(results: Any, as_of: pd.Timestamp) -> dict[str, AnalysisResult]:
    """Results passed in, checked: pathaudit results, each as of the quarter end."""
    if not isinstance(results, Mapping) or not all(
        isinstance(v, AnalysisResult) for v in results.values()
    ):
        raise ArgumentError(
            "results must map analysis names to the results of pathaudit's analyses "
            f"(e.g. {{'attrition': pathaudit.attrition(data)}}); got {type(results).__name__}."
        )
    out: dict[str, AnalysisResult] = {}
    for name, res in results.items():
        dates = {str(r.meta.get("as_of")) for r in res.results().values() if "as_of" in r.meta}
        if dates and dates != {str(as_of.date())}:
            raise ArgumentError(
                f"results[{name!r}] is as of {sorted(dates)}, but the report quarter ends on "
                f"{as_of.date()}: page-1 figures must be as of the quarter end. Compute it on "
                f"data.with_as_of('{as_of.date()}'), or leave results out."
            )
        out[str(name)] = res
    return out


def run_analyses(
    data: AuditData, seed: int, opts: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, AnalysisResult], dict[str, str]]:
    """Run the report's analyses; those that need a history export, with the reason."""
    results: dict[str, AnalysisResult] = {}
    missing: dict[str, str] = {}
    for name, run in runners().items():
        try:
            results[name] = run(data, seed=seed, **opts.get(name, {}))
        except NeedsHistoryError as err:
            missing[name] = str(err)
    return results, missing
