"""Assemble the quarterly report: page 1, trends, the management grid, details, appendix."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pathaudit.checks import check_data, check_number
from pathaudit.data import AuditData
from pathaudit.report._analyses import analysis_options, check_results, run_analyses
from pathaudit.report._appendix import appendix_section
from pathaudit.report._details import details_section
from pathaudit.report._format import Formatter
from pathaudit.report._management import management_section
from pathaudit.report._pdf import print_pdf
from pathaudit.report._previous import previous_section
from pathaudit.report._trend_section import _publish_trend, trend_section
from pathaudit.report._trends import compute_trends, report_quarter, trend_quarters
from pathaudit.report._verdicts import NO_TRENDS, verdict_rows
from pathaudit.result import AnalysisResult
from pathaudit.stats.intervals import BOOTSTRAP_SEED

DEFAULT_SEED = BOOTSTRAP_SEED
"""Seed of every resampling step when none is given: the one default of the library, the
audit and the command line (``pathaudit.audit.DEFAULT_SEED``)."""


SNAPSHOT_TRENDS = (
    "a snapshot export holds each person's current state only, so past quarters cannot be "
    "recomputed from it; load a history export for the trends"
)
"""Why the trend section is empty."""


@dataclass(frozen=True)
class Report:
    """A built quarterly report.

    Attributes
    ----------
    html
        One self-contained HTML page (inline CSS, charts as SVG data URIs, no script, no
        external resource).
    quarter
        The report quarter (fiscal, e.g. ``"2025Q4"``).
    as_of
        Its last day: every page-1 figure is as of this date.
    verdicts
        Page 1: one row per question (the primary figure, its interval, status, reason,
        sentence and changes).
    trends
        The published trend table (primary figures per quarter end; see ``docs/report.md``).
    """

    html: str
    quarter: str
    as_of: pd.Timestamp
    verdicts: pd.DataFrame
    trends: pd.DataFrame

    def write(self, path: str | Path, *, pdf: bool = False) -> list[Path]:
        """Write the HTML (and, with ``pdf=True``, a PDF printed by headless Chromium).

        Parameters
        ----------
        path
            The HTML file to write (its folder is created if needed).
        pdf
            Also print ``path`` with the suffix ``.pdf``, through Chromium.

        Returns
        -------
        list of Path
            The files written.

        Raises
        ------
        InputError
            With ``pdf=True`` when no Chromium is installed, or when it fails.

        Examples
        --------
        >>> rep.write("report.html")  # doctest: +SKIP
        [PosixPath('report.html')]
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html, encoding="utf-8")
        written = [path]
        if pdf:
            out = path.with_suffix(".pdf")
            print_pdf(path, out)
            written.append(out)
        return written


def _currency(data: AuditData) -> str:
    fx = data.config.get("fx") or {}
    if fx.get("reporting_currency"):
        return str(fx["reporting_currency"])
    cur = data.history["currency"].dropna().unique() if "currency" in data.history else []
    return str(cur[0]) if len(cur) == 1 else ""


def build_report(
    data: AuditData,
    *,
    quarter: str | None = None,
    previous: str | Path | None = None,
    results: Mapping[str, AnalysisResult] | None = None,
    seed: int = DEFAULT_SEED,
    trends: bool = True,
) -> Report:
    """The leader's quarterly equity report, as one self-contained HTML page.

    Parameters
    ----------
    data
        Loaded dataset (:func:`pathaudit.load`).
    quarter
        Fiscal quarter of the report (``"2024Q4"``; fiscal year from the map); default the
        last complete quarter ending on or before ``data.as_of``. Page-1 figures are as of
        its last day.
    previous
        An output folder a previous ``pathaudit audit`` wrote: its published primary
        figures are shown beside today's recomputation for the same date (back-dated
        records move past quarters).
    results
        The analyses already computed on ``data`` as of the quarter end (name ->
        result), so nothing is computed twice; default: run the four analyses.
    seed
        Seed of every resampling step (bootstrap, matching).
    trends
        Recompute the primary figures for up to 8 quarters (False: page 1 without
        changes, no trend section content).

    Returns
    -------
    Report
        ``html`` (``Report.write(path, pdf=...)`` writes it), ``verdicts``, ``trends``.

    Raises
    ------
    ArgumentError
        For a quarter that is not a label, has not ended by ``as_of`` or ends before the
        history; results as of another date.
    InputError
        For a ``previous`` folder that holds no pathaudit output.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")
    >>> rep = pathaudit.build_report(data, trends=False)  # doctest: +SKIP
    >>> rep.quarter, str(rep.as_of.date())  # doctest: +SKIP
    ('2025Q4', '2025-12-31')
    """
    data = check_data(data, "build_report")
    seed = int(check_number(seed, "seed", low=0, integer=True))
    return assemble_report(data, quarter=quarter, previous=previous, results=results,
                           seed=seed, trends=trends)


def assemble_report(
    data: AuditData,
    *,
    quarter: str | None = None,
    previous: str | Path | None = None,
    results: Mapping[str, AnalysisResult] | None = None,
    seed: int = DEFAULT_SEED,
    trends: bool = True,
    past: Mapping[tuple[str, pd.Timestamp], Any] | None = None,
    submit: Callable[..., Any] | None = None,
) -> Report:
    """:func:`build_report` on checked arguments; ``past`` as in :func:`compute_trends`.

    The audit calls it with the past quarters' trend rows it computed beside the analyses
    and ``submit(fn, *args)``, which draws the trend charts there too (an object whose
    ``result()`` is ``fn(*args)``).
    """
    label, end = report_quarter(data, quarter)
    at = data if end == data.as_of else data.with_as_of(end)
    opts = analysis_options(data)
    k = data.min_cell_size
    missing: dict[str, str] = {}
    if results is None:
        res, missing = run_analyses(at, seed, opts)
    else:
        res = check_results(results, end)
    fmt = Formatter(str((data.config.get("report") or {}).get("locale", "en")), _currency(data))

    trend = pd.DataFrame()
    why_not = "" if trends else NO_TRENDS
    if trends and data.is_snapshot:
        why_not, trends = SNAPSHOT_TRENDS, False
    quarters = trend_quarters(at, label) if trends else []
    if trends:
        trend = compute_trends(data, quarters, opts, seed, res, past)
        trend = _publish_trend(trend, at)
    verdicts = verdict_rows(res, missing, trend, label, fmt, why_not)
    context = {
        "header": _header(data, at, label, end, seed, k, fmt),
        "verdicts": verdicts.to_dict(orient="records"),
        "trend": trend_section(trend, res, fmt, k, why_not, submit),
        "previous": previous_section(previous, data, opts, seed, fmt, k) if previous else None,
        "management": management_section(res.get("forced_management"), fmt, k),
        "details": details_section(res, missing, fmt, k),
        "appendix": appendix_section(at, res, seed, fmt, k),
    }
    from pathaudit.report._render import render

    return Report(html=render(context), quarter=label, as_of=end, verdicts=verdicts, trends=trend)


def _header(
    data: AuditData, at: AuditData, label: str, end: pd.Timestamp, seed: int, k: int, fmt: Formatter
) -> dict[str, Any]:
    from pathaudit.derived.calendar import fiscal_quarter_start

    start = fiscal_quarter_start(label, data.fiscal_year_start_month)
    org = (data.config.get("report") or {}).get("organisation")
    return {
        "organisation": org or "Organisation not named",
        "organisation_named": bool(org),
        "quarter": label,
        "period": f"{start.date()} to {end.date()}",
        "as_of": str(end.date()),
        "extract_date": str(data.extract_date.date()),
        "history_start": str(data.history_start.date()),
        "k": k,
        "currency": fmt.currency,
        "seed": seed,
    }
