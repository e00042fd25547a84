"""Running the audit: every analysis on one dataset, written into a folder swapped in."""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pathaudit.audit._charts import write_charts
from pathaudit.audit._folder import _swap_in, check_output_folder
from pathaudit.audit._index import readme_text
from pathaudit.audit._layout import (
    ANALYSES,
    CHARTS_DIR,
    DEFAULT_SEED,
    FILING_ANALYSES,
    FILING_DIR,
    MANIFEST,
    README,
    REPORT,
    Progress,
)
from pathaudit.audit._worker import Pending, Shareable, Worker, one_blas_thread
from pathaudit.checks import check_choices, check_data, check_number
from pathaudit.data import AuditData
from pathaudit.errors import NeedsHistoryError, StatisticalWarning
from pathaudit.output import DATA_DIR, json_safe, write_analysis, write_parquet, write_table
from pathaudit.result import OUTPUT_SCHEMA_VERSION, AnalysisResult


def _runner(name: str) -> Callable[..., AnalysisResult]:
    from pathaudit.attrition import attrition
    from pathaudit.management import forced_management
    from pathaudit.parity import pay_parity
    from pathaudit.paygap import eu_pay_transparency, uk_gender_pay_gap
    from pathaudit.promotion import time_to_promotion

    runners: dict[str, Callable[..., AnalysisResult]] = {
        "pay_parity": pay_parity,
        "time_to_promotion": time_to_promotion,
        "forced_management": forced_management,
        "attrition": attrition,
        "eu_pay_transparency": eu_pay_transparency,
        "uk_gender_pay_gap": uk_gender_pay_gap,
    }
    return runners[name]


def run_audit(
    data: AuditData,
    out: str | Path,
    *,
    seed: int = DEFAULT_SEED,
    analyses: Sequence[str] | None = None,
    overwrite: bool = False,
    charts: bool = True,
    report: bool = True,
    progress: Progress | None = None,
    filing: bool = False,
    processes: int = 1,
) -> dict[str, Any]:
    """Run every analysis on ``data`` and write the hand-over folder ``out``.

    Parameters
    ----------
    data
        Loaded dataset (see :func:`pathaudit.load`).
    out
        Output folder: missing, empty, or a previous pathaudit output (replaced as a
        whole, so no stale file survives). See :func:`check_output_folder`.
    seed
        Seed for every resampling step (bootstrap, matching); default
        :data:`DEFAULT_SEED`, the library's default too.
    analyses
        Names of the analyses to run, among :data:`ANALYSES` (default: all).
    overwrite
        Replace a non-empty folder that is not a previous pathaudit output.
    charts
        Write ``charts/`` (an SVG per part with a chart).
    report
        Write ``report.html`` (:func:`pathaudit.report.build_report`).
    progress
        Called with the name of each step as it starts (the command line prints it).
    filing
        Also write the restricted filing output of the pay-gap reports
        (:data:`FILING_ANALYSES`) into ``out/restricted``: their figures unsuppressed, as
        the law requires them filed, marked restricted. Never written by default.
    processes
        2: draw the charts and recompute the report's past quarters in a second process
        while the analyses run (the same files; ``pathaudit audit`` does, see
        ``--processes``); 1 (default): everything in this process. As with any
        multiprocessing, a script that asks for 2 runs the audit under
        ``if __name__ == "__main__":``.

    Returns
    -------
    dict
        The content of ``summary.json``: ``schema_version``, ``dataset`` and, per analysis,
        ``status`` (``computed`` or ``not computed`` with its ``reason``), its ``headline``
        rows (the columns of :data:`~pathaudit.headline.HEADLINE_COLUMNS`), ``notes`` and the
        statistical ``warnings`` raised while it ran.

    Raises
    ------
    OutputFolderError
        ``out`` is a file, or a non-empty folder that is not a previous pathaudit output
        and ``overwrite`` is False.

    Notes
    -----
    The folder is built in a temporary folder beside ``out`` and swapped in on success;
    on any error or interruption the temporary folder is removed and ``out`` is left as
    it was. ``docs/audit-output.md`` lists every file and key.

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
    out = check_output_folder(out, overwrite=overwrite).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tell = progress or (lambda step: None)
    build = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        with (
            one_blas_thread(),
            Worker(int(check_number(processes, "processes", low=1, integer=True))) as worker,
        ):
            summary = _write_all(
                data, build, seed, chosen, charts, report, tell, filing=filing, worker=worker
            )
        _swap_in(build, out)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return summary


def _write_all(
    data: AuditData,
    out: Path,
    seed: int,
    chosen: Sequence[str],
    charts: bool,
    report: bool,
    tell: Progress,
    filing: bool = False,
    worker: Worker | None = None,
) -> dict[str, Any]:
    """Write everything into the (new, empty) folder ``out``; return the summary."""
    from pathaudit.io.manifest import run_manifest

    k = data.min_cell_size
    summary: dict[str, Any] = {
        "schema_version": OUTPUT_SCHEMA_VERSION,
        "dataset": data.summary(),
        "analyses": {},
    }
    results: dict[str, AnalysisResult] = {}
    missing: list[str] = []
    options = _analysis_options(data)
    worker = worker or Worker(1)
    # started first: the report's past quarters need only the data (the worker's queue)
    past = _past_quarters(data, seed, options, worker) if report else {}
    drawings: dict[str, list[tuple[Any, ...]]] = {}
    for name in ANALYSES:
        if name not in chosen:
            continue
        tell(name.replace("_", " "))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StatisticalWarning)
            try:
                extra = {"filing": True} if filing and name in FILING_ANALYSES else {}
                result = _runner(name)(data, seed=seed, **options.get(name, {}), **extra)
            except NeedsHistoryError as err:
                summary["analyses"][name] = {"status": "not computed", "reason": str(err)}
                missing.append(name)
                continue
        results[name] = result
        write_analysis(result, out, k)
        if charts:
            drawings[name] = _draw_parts(result, worker)
        if getattr(result, "filing", None) is not None:
            result.write_filing(out / FILING_DIR)  # type: ignore[attr-defined]
        summary["analyses"][name] = {
            "status": "computed",
            "title": result.TITLE,
            "headline": result.headline().to_dict(orient="records"),
            "notes": [{"kind": n.kind, "part": n.part, "text": n.text} for n in result.notes],
            "warnings": sorted({str(w.message) for w in caught}),
        }
        _release(data, [a for a in ANALYSES[ANALYSES.index(name) + 1 :] if a in chosen])
    if charts:
        tell("charts")
        for name, result in results.items():
            _keep_drawings(result, drawings.get(name, []))
            write_charts(result, out / CHARTS_DIR)
    quality = data.quality.to_frame()
    write_table(quality, out / "data_quality.csv")
    (out / DATA_DIR).mkdir(exist_ok=True)
    write_parquet(quality, out / DATA_DIR / "data_quality.parquet")
    manifest = run_manifest(data, seed=seed)
    (out / MANIFEST).write_text(json.dumps(json_safe(manifest), indent=2, sort_keys=True))
    summary = json_safe(summary)
    # report order and the headline's column order are part of the schema: not sorted
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    if report and _report_available():
        tell("report (with the trends)")
        from pathaudit.report import last_complete_quarter, quarter_end
        from pathaudit.report._build import assemble_report

        # page-1 figures are as of the report quarter's end: reuse the audit's results
        # when that is the as-of date, else the report computes its own
        end = quarter_end(last_complete_quarter(data.as_of, data.fiscal_year_start_month),
                          data.fiscal_year_start_month)
        reuse = results if end == data.as_of and not missing else None
        with warnings.catch_warnings():
            # the report recomputes past quarters: their caveats are the analyses' own,
            # already in summary.json and printed in the report
            warnings.simplefilter("ignore", StatisticalWarning)
            assemble_report(data, results=reuse, seed=seed, past=past,
                            submit=worker.submit).write(out / REPORT)
    (out / README).write_text(readme_text(out), encoding="utf-8")
    return summary


_CROSS_SECTION = ("pay_parity", "forced_management", "eu_pay_transparency", "uk_gender_pay_gap")
_CACHE_USERS: dict[str, tuple[str, ...]] = {
    "state": _CROSS_SECTION,
    "history_record_order": _CROSS_SECTION,
    "state_codes": _CROSS_SECTION,
    "designed_tops": _CROSS_SECTION,
    "realised_tops": _CROSS_SECTION,
    "designed_overall": _CROSS_SECTION,
    "management": ("forced_management",),
    # attrition reads it again only for the M->IC design, built after its Cox model: derived
    # again then, it is not held through that fit (0.77 GB at 1,000,000 people)
    "matching_prepared": ("forced_management",),
}
"""Derived tables (``data.derived`` keys, or a key's first item) released once no analysis
still to run reads them (or, as noted, derived again later at a lower peak); any other
derived table is kept. A table released and read again (by the report) is derived again,
the same."""


def _past_quarters(
    data: AuditData, seed: int, options: dict[str, dict[str, Any]], worker: Worker
) -> dict[tuple[str, Any], Pending]:
    """The report's trend rows of every quarter before the last, queued on ``worker``."""
    if not _report_available():
        return {}
    from pathaudit.report._trends import audit_trend_quarters

    quarters = audit_trend_quarters(data)[:-1]
    if not quarters or (worker.parallel and _table_bytes(data) > SHARE_LIMIT):
        return {}  # computed by the report, here
    key = worker.share(Shareable(data)) if worker.parallel else ""
    return {q: worker.submit_shared(_quiet_quarter_rows, key, data, q, options, seed)
            for q in quarters}


def _quiet_quarter_rows(data: AuditData, *args: Any) -> list[dict[str, Any]]:
    """``quarter_rows``, its statistical warnings silenced as the report's are (see below)."""
    from pathaudit.report._trends import quarter_rows

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        return quarter_rows(data, *args)


SHARE_LIMIT = 1 << 30
"""Largest dataset (bytes of its history, people, spells and exposure in memory) sent to the
second process for the report's past quarters: a copy of a larger one would cost more memory
than the time it saves is worth (at 100,000 people the tables take about 0.4 GB; at
1,000,000 about 4 GB, computed here instead)."""


def _table_bytes(data: AuditData) -> int:
    tables = (data.history, data.people, data.spells, data.exposure)
    return int(sum(t.memory_usage(index=True).sum() for t in tables))


def _draw_parts(result: AnalysisResult, worker: Worker) -> list[tuple[Any, ...]]:
    """Each part's chart (its published table) and the report's chart by unit, queued."""
    from pathaudit.report._charts import PART_SIZE, draw_part, shown_part
    from pathaudit.report._management import unit_chart_args

    asked: list[tuple[str, dict[str, Any] | None, tuple[float, float]]] = [
        (part, None, PART_SIZE) for part in result.plottable()
    ]
    by_unit = unit_chart_args(result) if result.ANALYSIS == "forced_management" else None
    if by_unit is not None and "profile" in result.plottable():
        asked.append(("profile", *by_unit))
    return [(part, options, size, worker.submit(draw_part, shown_part(result, part), options,
                                                 size))
            for part, options, size in asked]


def _keep_drawings(result: AnalysisResult, drawn: list[tuple[Any, ...]]) -> None:
    """Keep the drawings on the result: ``write_charts`` and the report use them."""
    from pathaudit.report._charts import remember_part_svg

    for part, options, size, pending in drawn:
        remember_part_svg(result, part, pending.result(), options, size)


def _release(data: AuditData, later: Sequence[str]) -> None:
    """Drop the derived tables of :data:`_CACHE_USERS` that no analysis in ``later`` reads."""
    cache = data.__dict__.get("_derived", {})
    for key in list(cache):
        family = key[0] if isinstance(key, tuple) and key else key
        users = _CACHE_USERS.get(family) if isinstance(family, str) else None
        if users is not None and not set(users) & set(later):
            del cache[key]


def _analysis_options(data: AuditData) -> dict[str, dict[str, Any]]:
    """Each analysis's thresholds and margins from the map (the report's, the same)."""
    if not _report_available():
        return {}
    from pathaudit.report import analysis_options

    return analysis_options(data)


def _report_available() -> bool:
    try:
        from pathaudit.report import build_report  # noqa: F401
    except ImportError:
        return False
    return True
