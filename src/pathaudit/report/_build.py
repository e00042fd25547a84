"""Assemble the quarterly report: page 1, trends, the management profile, the appendix."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pathaudit.checks import check_data, check_number
from pathaudit.data import AuditData
from pathaudit.errors import ArgumentError, InputError, NeedsHistoryError
from pathaudit.headline import QUESTIONS
from pathaudit.report import narrate
from pathaudit.report._charts import part_chart, trend_chart
from pathaudit.report._format import Formatter
from pathaudit.report._trends import (
    TREND_QUARTERS,
    TREND_SPECS,
    WINDOW_MONTHS,
    change_between,
    compute_trends,
    primary_row,
    report_quarter,
    trend_quarters,
)
from pathaudit.result import (
    SUPPRESSED_MARK,
    SUPPRESSED_NOTE,
    AnalysisResult,
    Table,
    make_result,
)
from pathaudit.stats.intervals import BOOTSTRAP_SEED

ANALYSES: tuple[str, ...] = ("pay_parity", "time_to_promotion", "forced_management", "attrition")
"""The analyses the report runs when none are passed, in report order."""

DEFAULT_SEED = BOOTSTRAP_SEED
"""Seed of every resampling step when none is given: the one default of the library, the
audit and the command line (``pathaudit.audit.DEFAULT_SEED``)."""

NO_TRENDS = "trends were not asked for (trends=False)"
SNAPSHOT_TRENDS = (
    "a snapshot export holds each person's current state only, so past quarters cannot be "
    "recomputed from it; load a history export for the trends"
)
"""Why the trend section is empty."""

NOT_SHOWN_NOTE = (
    "† no value: not estimable from these data, or a quantile resting on fewer than {k} people "
    "on either side."
)


def _runners() -> dict[str, Any]:
    from pathaudit.attrition import attrition
    from pathaudit.management import forced_management
    from pathaudit.parity import pay_parity
    from pathaudit.promotion import time_to_promotion

    return {"pay_parity": pay_parity, "time_to_promotion": time_to_promotion,
            "forced_management": forced_management, "attrition": attrition}


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


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and why it is empty, if it is."""

    text: str
    mark: str = ""  # "*" suppressed (privacy), "†" no value
    numeric: bool = False
    strong: bool = False  # shown in bold (a flagged figure)


@dataclass(frozen=True)
class HtmlTable:
    """A table for the template: caption, header, rows of cells, row-header column."""

    caption: str
    header: list[str]
    rows: list[list[Cell]]
    footnotes: list[str] = field(default_factory=list)



def html_table(frame: pd.DataFrame, caption: str, columns: Mapping[str, str],
               fmt: Formatter, k: int, units: Mapping[str, str] | None = None) -> HtmlTable:
    """A published table as cells: suppressed rows' values a dash with ``*``, gaps ``†``."""
    units = dict(units or {})
    sup = (frame["suppressed"].astype(bool) if "suppressed" in frame.columns
           else pd.Series(False, index=frame.index))
    rows = []
    for i, r in frame.iterrows():
        cells = []
        for col in columns:
            v = r.get(col)
            if isinstance(v, float | int) and not isinstance(v, bool):
                x = float(v)
                if math.isnan(x):
                    cells.append(Cell(SUPPRESSED_MARK, "*" if sup.loc[i] else "†", True))
                else:
                    unit = units.get(col, "")
                    text = fmt.figure(x, unit) if unit else (
                        fmt.number(x) if float(x).is_integer() else fmt.number(x, 2))
                    cells.append(Cell(text, "", True))
            elif v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
                cells.append(Cell(SUPPRESSED_MARK, "*" if sup.loc[i] else "†"))
            else:
                cells.append(Cell(str(v)))
        rows.append(cells)
    return make_table(caption, list(columns.values()), rows, k)


def make_table(caption: str, header: list[str], rows: list[list[Cell]], k: int) -> HtmlTable:
    """A table whose every dash carries a mark (``†`` unless ``*``), with its footnotes."""
    rows = [[c if c.text != SUPPRESSED_MARK or c.mark else dataclasses.replace(c, mark="†")
             for c in row] for row in rows]
    marks = {c.mark for r in rows for c in r if c.mark}
    notes = []
    if "*" in marks:
        notes.append("* " + SUPPRESSED_NOTE.format(k=k))
    if "†" in marks:
        notes.append(NOT_SHOWN_NOTE.format(k=k))
    return HtmlTable(caption, header, rows, notes)


# --------------------------------------------------------------------------- the report


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


BROWSERS: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome")
"""Programs tried, in order, to print the PDF."""

CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
"""Flags of every headless Chromium run (no network, no profile, no updates)."""


def print_pdf(html: Path, out: Path, timeout: float = 120) -> Path:
    """Print an HTML file to PDF (A4, the page's print CSS) with headless Chromium.

    Parameters
    ----------
    html
        The HTML file (a report written by :meth:`Report.write`).
    out
        The PDF to write.
    timeout
        Seconds Chromium may take.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    InputError
        When no Chromium is installed (with how to install it), or it fails.

    Examples
    --------
    >>> print_pdf(Path("report.html"), Path("report.pdf"))  # doctest: +SKIP
    PosixPath('report.pdf')
    """
    browser = next((b for b in BROWSERS if shutil.which(b)), None)
    if browser is None:
        raise InputError(
            "Printing the PDF needs Chromium, which is not installed (looked for "
            f"{', '.join(BROWSERS)}). Install it (Debian: apt-get install chromium), or write "
            "the HTML only and print it from a browser (A4, the page has print styles)."
        )
    with tempfile.TemporaryDirectory() as profile:
        cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               "--no-pdf-header-footer", f"--print-to-pdf={out}", html.resolve().as_uri()]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if run.returncode != 0 or not out.is_file():
        raise InputError(f"Chromium could not print {html.name} to PDF "
                         f"(exit {run.returncode}): {run.stderr.strip()[-500:]}")
    return out


def _check_results(results: Any, as_of: pd.Timestamp) -> dict[str, AnalysisResult]:
    if not isinstance(results, Mapping) or not all(
            isinstance(v, AnalysisResult) for v in results.values()):
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


def _run(data: AuditData, seed: int, opts: Mapping[str, Mapping[str, Any]]
         ) -> tuple[dict[str, AnalysisResult], dict[str, str]]:
    results: dict[str, AnalysisResult] = {}
    missing: dict[str, str] = {}
    for name, run in _runners().items():
        try:
            results[name] = run(data, seed=seed, **opts.get(name, {}))
        except NeedsHistoryError as err:
            missing[name] = str(err)
    return results, missing


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
    label, end = report_quarter(data, quarter)
    at = data if end == data.as_of else data.with_as_of(end)
    opts = analysis_options(data)
    k = data.min_cell_size
    missing: dict[str, str] = {}
    if results is None:
        res, missing = _run(at, seed, opts)
    else:
        res = _check_results(results, end)
    fmt = Formatter(str((data.config.get("report") or {}).get("locale", "en")), _currency(data))

    trend = pd.DataFrame()
    why_not = "" if trends else NO_TRENDS
    if trends and data.is_snapshot:
        why_not, trends = SNAPSHOT_TRENDS, False
    quarters = trend_quarters(at, label) if trends else []
    if trends:
        trend = compute_trends(data, quarters, opts, seed, res)
        trend = _publish_trend(trend, at)
    verdicts = _verdicts(res, missing, trend, label, fmt, why_not)
    context = {
        "header": _header(data, at, label, end, seed, k, fmt),
        "verdicts": verdicts.to_dict(orient="records"),
        "trend": _trend_section(trend, res, fmt, k, why_not),
        "previous": _previous(previous, data, opts, seed, fmt, k) if previous else None,
        "management": _management(res.get("forced_management"), fmt, k),
        "details": _details(res, missing, fmt, k),
        "appendix": _appendix(at, res, seed, fmt, k),
    }
    from pathaudit.report._render import render

    return Report(html=render(context), quarter=label, as_of=end, verdicts=verdicts,
                  trends=trend)


def _publish_trend(trend: pd.DataFrame, data: AuditData) -> pd.DataFrame:
    """The trend table through primary suppression and the publish stage, as one table."""
    from pathaudit.output import publish

    if trend.empty:
        return trend
    t = trend.copy()
    t["period_end"] = t["period_end"].astype(str)
    groups = ["analysis", "key", "period", "period_end"]
    yearly = t["period"].astype(str).str.startswith("FY")
    # a point is hidden when it rests on fewer than k people, or when fewer than k (but
    # some) people entered or left its population since the previous point; the fiscal-year
    # counts of flagged figures describe figures (each already published), not people
    res = make_result(
        t.loc[~yearly].reset_index(drop=True), groups=groups, n_col=("n", "n_changed"),
        analysis="Report: primary figures per quarter end",
        definition="each analysis's primary headline figure, recomputed as of each quarter end",
        method="the analysis's own method; see each figure's definition",
        population="see the window column", data=data,
        tables={"by_year": Table(t.loc[yearly].reset_index(drop=True), groups, n_col=None)}
        if yearly.any() else None,
    )
    shown = publish({"trends": res}, data.min_cell_size)["trends"]
    out = pd.concat([shown.table, *shown.tables.values()], ignore_index=True)
    out["suppressed"] = out["suppressed"].astype("boolean").fillna(False).astype(bool)
    return out.drop(columns="n_changed")


def _header(data: AuditData, at: AuditData, label: str, end: pd.Timestamp, seed: int, k: int,
            fmt: Formatter) -> dict[str, Any]:
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


def _verdicts(res: Mapping[str, AnalysisResult], missing: Mapping[str, str],
              trend: pd.DataFrame, label: str, fmt: Formatter, why_not: str
              ) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for name, result in res.items():
        head = result.headline()
        for _, r in head.loc[head["primary"]].iterrows():
            seen.add(str(r["question"]))
            rows.append(_verdict(name, r.to_dict(), trend, label, fmt, why_not))
    for name, why in missing.items():
        q = {"pay_parity": "pay", "time_to_promotion": "promotion",
             "forced_management": "management", "attrition": "attrition"}[name]
        if q not in seen:
            row = {"key": name, "label": name.replace("_", " "), "question": q,
                   "estimate": math.nan, "ci_lower": math.nan, "ci_upper": math.nan,
                   "n": math.nan, "unit": "", "threshold": "", "status": "not computed",
                   "reason": why, "primary": True}
            rows.append(_verdict(name, row, trend, label, fmt, why_not))
    order = {q: i for i, q in enumerate(QUESTIONS)}
    rows.sort(key=lambda r: order.get(r["question"], len(order)))
    return pd.DataFrame(rows)


def _verdict(name: str, r: dict[str, Any], trend: pd.DataFrame, label: str,
             fmt: Formatter, why_not: str = NO_TRENDS) -> dict[str, Any]:
    unit = str(r["unit"])
    quarter_change, year_change = _changes(r, trend, label, fmt, why_not)
    return {
        "analysis": name,
        "question": r["question"],
        "question_text": QUESTIONS.get(str(r["question"]), str(r["question"])),
        "key": r["key"],
        "label": r["label"],
        "estimate": r["estimate"],
        "ci_lower": r["ci_lower"],
        "ci_upper": r["ci_upper"],
        "n": r["n"],
        "unit": unit,
        "figure": fmt.figure(r["estimate"], unit),
        "interval": fmt.interval(r["ci_lower"], r["ci_upper"], unit),
        "people": fmt.people(r["n"]),
        "threshold": narrate._numbers_in(str(r["threshold"]), unit, fmt),
        "status": r["status"],
        "reason": narrate._numbers_in(str(r["reason"]), unit, fmt),
        "sentence": narrate.describe(r, fmt),
        "change_quarter": quarter_change,
        "change_year": year_change,
    }


def _changes(r: Mapping[str, Any], trend: pd.DataFrame, label: str, fmt: Formatter,
             why_not: str = NO_TRENDS) -> tuple[str, str]:
    if trend.empty:
        return (f"No change computed: {why_not}.",) * 2
    rows = trend.loc[trend["key"] == r["key"]].reset_index(drop=True)
    unit = str(r["unit"])
    if rows.empty:
        why = "no trend: this figure is not recomputed per quarter"
        return (why + ".",) * 2
    if rows["period"].astype(str).str.startswith("FY").all():
        fy = rows.loc[rows["estimate"].notna()]
        if len(fy) < 2:
            return ("Counted per fiscal year, not per quarter.",
                    "Fewer than two fiscal years to compare.")
        a, b = fy.iloc[-2], fy.iloc[-1]
        word = ("unchanged" if a["estimate"] == b["estimate"] else "up" if
                b["estimate"] > a["estimate"] else "down")
        return ("Counted per fiscal year, not per quarter (see the trend).",
                f"Each fiscal year's own figures: {fmt.figure(a['estimate'], unit)} in "
                f"{a['period']}, {fmt.figure(b['estimate'], unit)} in {b['period']} ({word}; "
                "a count of flags, no interval). The figure above covers the whole history.")
    idx = rows.index[rows["period"] == label]
    if not len(idx):
        return ("The report quarter has no trend point.",) * 2
    i = int(idx[0])
    window = str(rows["window"].iloc[i])
    out = []
    for back, span in ((1, "last quarter"), (4, "a year ago")):
        if i - back < 0:
            out.append(f"No comparison with {span}: the history is too short.")
            continue
        change = change_between(rows.iloc[i - back], rows.iloc[i])
        out.append(narrate.describe_change(change, unit=unit, span=span, formatter=fmt))
    if "trailing" in window:
        out = [o + f" Trailing {WINDOW_MONTHS} months at each quarter end." for o in out]
    return out[0], out[1]


def _trend_section(trend: pd.DataFrame, res: Mapping[str, AnalysisResult], fmt: Formatter,
                   k: int, why_not: str) -> dict[str, Any]:
    figures = []
    if not trend.empty:
        for key, rows in trend.groupby("key", sort=False):
            if not key:
                continue
            rows = rows.reset_index(drop=True)
            unit = str(rows["unit"].iloc[0])
            chart = trend_chart(rows, fmt, _margin(res, str(rows["analysis"].iloc[0])))
            shown = rows.assign(
                figure=[fmt.figure(v, unit) for v in rows["estimate"]],
                interval=[fmt.interval(a, b, unit) or SUPPRESSED_MARK
                          for a, b in zip(rows["ci_lower"], rows["ci_upper"], strict=True)],
            )
            columns = {"period": "Period", "estimate": "Estimate", "ci_lower": "Lower",
                       "ci_upper": "Upper", "n": "People", "status": "Status"}
            if rows[["ci_lower", "ci_upper", "n"]].isna().all().all():  # a count of flags
                columns = {"period": "Period", "estimate": "Estimate", "status": "Status"}
            table = html_table(
                shown.assign(n=rows["n"]), f"{rows['label'].iloc[0]} by period", columns,
                fmt, k, units={"estimate": unit, "ci_lower": unit, "ci_upper": unit},
            )
            figures.append({"label": rows["label"].iloc[0], "window": rows["window"].iloc[0],
                            "chart": chart, "table": table})
    return {"asked": not why_not, "why_not": why_not, "figures": figures,
            "quarters": TREND_QUARTERS,
            "window_months": WINDOW_MONTHS,
            "specs": {s.analysis: s.window for s in TREND_SPECS.values()}}


def _margin(res: Mapping[str, AnalysisResult], analysis: str) -> tuple[float, float] | None:
    """The equivalence band of an analysis's primary figure, from its headline threshold."""
    result = res.get(analysis)
    row = primary_row(result) if result is not None else None
    if row is None:
        return None
    text = str(row.get("threshold", ""))
    if "outside" not in text:
        return None
    nums = [float(x) for x in narrate._NUMBER.findall(text)]
    return (nums[0], nums[1]) if len(nums) == 2 else None


def _management(result: AnalysisResult | None, fmt: Formatter, k: int) -> dict[str, Any] | None:
    if result is None:
        return None
    shown = result.published()
    out: dict[str, Any] = {"chart": None, "table": None, "note": ""}
    if "profile" in shown:
        unit = shown["profile"].meta.get("by_unit") or "org_unit"
        t = shown["profile"].table
        if (t["by"] == unit).any():
            n_units = int(t.loc[t["by"] == unit, "group"].nunique())
            out["chart"] = part_chart(result, "profile", "Forced-into-management profile by "
                                      "unit", {"by": unit}, size=(9.0, 1.2 + 0.45 * n_units))
    if "profile" in shown:
        out["table"] = _unit_table(shown["profile"].table, shown.get("scores"), fmt, k,
                                   shown["profile"].meta.get("by_unit") or "org_unit")
    if not out["chart"] and not out["table"]:
        out["note"] = "; ".join(f"{p}: {w}" for p, w in result.not_computed().items()
                                if p in ("profile", "scores")) or "no unit profile computed"
    return out


def _unit_table(prof: pd.DataFrame, scores: Any, fmt: Formatter, k: int, unit: str
                ) -> HtmlTable:
    """Figures (rows) by scope (the organisation, then each unit), as published.

    A cell of a suppressed row is a dash marked ``*``; a figure without a value a dash
    marked ``†``; the last rows count the flagged figures and give the status per scope.
    """
    t = prof.loc[prof["by"].isin(["overall", unit])]
    scopes = list(dict.fromkeys(zip(t["by"], t["group"], strict=True)))
    names = ["Organisation" if b == "overall" else str(g) for b, g in scopes]
    cell = {(r["key"], r["by"], r["group"]): r for _, r in t.iterrows()}
    rows = []
    for key, label, u in t[["key", "label", "unit"]].drop_duplicates("key").itertuples(
            index=False):
        row = [Cell(str(label))]
        for b, g in scopes:
            r = cell.get((key, b, g))
            if r is None or not _finite(r["estimate"]):
                sup = r is not None and bool(r.get("suppressed", False))
                row.append(Cell(SUPPRESSED_MARK, "*" if sup else "†", True))
            else:
                row.append(Cell(fmt.figure(r["estimate"], str(u)), "", True,
                                str(r.get("status")) == "flagged"))
        rows.append(row)
    if scores is not None:
        st = scores.table.set_index(["by", "group"])
        for col, name in (("flagged", "Flagged figures (the score)"), ("status", "Status")):
            row = [Cell(name)]
            for b, g in scopes:
                v = st[col].get((b, g)) if col in st else None
                row.append(Cell(SUPPRESSED_MARK) if v is None or (
                    isinstance(v, float) and math.isnan(v)) else Cell(
                    fmt.number(v) if col == "flagged" else str(v), "", col == "flagged"))
            rows.append(row)
    return make_table("Forced-into-management figures by unit, as published (flagged "
                      "figures in bold)", ["Figure", *names], rows, k)


def _details(res: Mapping[str, AnalysisResult], missing: Mapping[str, str], fmt: Formatter,
             k: int) -> list[dict[str, Any]]:
    out = []
    for name, result in res.items():
        head = result.headline()
        rows = []
        for _, r in head.iterrows():
            unit = str(r["unit"])
            rows.append([
                Cell(str(r["label"])),
                Cell(fmt.figure(r["estimate"], unit),
                     "" if math.isfinite(r["estimate"]) else "†", True),
                Cell(fmt.interval(r["ci_lower"], r["ci_upper"], unit) or SUPPRESSED_MARK, "",
                     True),
                Cell(fmt.number(r["n"]) if math.isfinite(r["n"]) else SUPPRESSED_MARK, "",
                     True),
                Cell(str(r["status"])),
                Cell(narrate._numbers_in(str(r["reason"]), unit, fmt)),
            ])
        table = make_table(f"{result.TITLE}: every headline figure",
                           ["Figure", "Estimate", "Interval", "People", "Status", "Reason"],
                           rows, k)
        chart = None
        if result.plottable() and name != "forced_management":
            part = result.DEFAULT_PLOT if result.DEFAULT_PLOT in result.plottable() else (
                result.plottable()[0])
            chart = part_chart(result, part, f"{result.TITLE}: {part.replace('_', ' ')}")
        notes = [n.text for n in result.notes if n.kind == "caveat"]
        out.append({"title": result.TITLE, "table": table, "chart": chart, "caveats": notes})
    for name, why in missing.items():
        out.append({"title": name.replace("_", " ").capitalize(), "table": None,
                    "chart": None, "caveats": [f"Not computed: {why}"]})
    return out


def _previous(folder: str | Path, data: AuditData, opts: Mapping[str, Mapping[str, Any]],
              seed: int, fmt: Formatter, k: int) -> dict[str, Any]:
    """A previous output's published primary figures beside today's recomputation."""
    from pathaudit.output import read_output

    folder = Path(folder)
    stored = read_output(folder)
    manifest = folder / "manifest.json"
    as_of = None
    if manifest.is_file():
        as_of = json.loads(manifest.read_text(encoding="utf-8")).get("as_of")
    if as_of is None:
        raise InputError(f"{folder} holds no manifest.json with the as-of date of the previous "
                         "output; point to a folder 'pathaudit audit' wrote.")
    day = pd.Timestamp(as_of)
    if day > data.as_of:
        raise InputError(f"The previous output in {folder} is as of {as_of}, after this "
                         f"report's data ({data.as_of.date()}): pass an earlier output.")
    at = data if day == data.as_of else data.with_as_of(day)
    primary_parts = {"pay_parity": ["adjusted"], "time_to_promotion": ["difference"],
                     "forced_management": ["profile"], "attrition": ["rate_ratio"]}
    runners = _runners()
    rows = []
    for name, st in stored.items():
        prim = st.headline.loc[st.headline["primary"].astype(bool)]
        if prim.empty:
            continue
        then = prim.iloc[0].to_dict()
        now = None
        if name in primary_parts:
            try:
                now = primary_row(runners[name](at, parts=primary_parts[name], seed=seed,
                                                **opts.get(name, {})))
            except NeedsHistoryError:
                now = None
        unit = str(then.get("unit", ""))
        same = now is not None and fmt.figure(now["estimate"], unit) == fmt.figure(
            then["estimate"], unit)
        rows.append([
            Cell(str(then["label"])),
            Cell(fmt.figure(then["estimate"], unit), "" if _finite(then["estimate"]) else "†",
                 True),
            Cell(str(then.get("status", ""))),
            Cell(fmt.figure(now["estimate"], unit) if now else SUPPRESSED_MARK,
                 "" if now and _finite(now["estimate"]) else "†", True),
            Cell(str(now["status"]) if now else "not recomputed"),
            Cell("not recomputed here" if now is None else "same" if same
                 else "moved (records changed since)"),
        ])
    table = make_table(f"Published as of {as_of} beside today's recomputation for that date",
                       ["Figure", "Published", "Status then", "Recomputed now", "Status now",
                        "Reading"], rows, k)
    return {"as_of": as_of, "table": table}


def _finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _appendix(data: AuditData, res: Mapping[str, AnalysisResult], seed: int, fmt: Formatter,
              k: int) -> dict[str, Any]:
    from pathaudit.io.manifest import run_manifest

    manifest = run_manifest(data, seed=seed)
    counts = pd.DataFrame([
        {"table": t, "in": v.get("in", math.nan), "used": v.get("used", math.nan),
         "excluded": v.get("excluded", 0) + v.get("excluded_later", 0),
         "repaired": v.get("repaired", 0)}
        for t, v in manifest["rows"].items()
    ])
    rows_table = html_table(counts, "Rows read, used, excluded and repaired per table",
                            {"table": "Table", "in": "Read", "used": "Used",
                             "excluded": "Excluded", "repaired": "Repaired"}, fmt, k)
    q = data.quality.to_frame()
    q = q.loc[q["action"] != "note"] if "action" in q else q
    reasons = html_table(
        q.assign(file=q.get("file", ""), rows=q["n_rows"]) if len(q) else q,
        "Exclusions and repairs by reason",
        {"table": "Table", "rule": "Rule", "action": "Action", "rows": "Rows",
         "message": "What was found"}, fmt, k) if len(q) else None
    definitions = []
    for result in res.values():
        for part, r in result.published().items():
            m = r.meta
            definitions.append({"analysis": result.TITLE, "part": part,
                                "title": str(m.get("analysis", part)),
                                "definition": str(m.get("definition", "")),
                                "method": str(m.get("method", "")),
                                "population": str(m.get("population", ""))})
    map_hash = hashlib.sha256(json.dumps(manifest["map"], sort_keys=True, default=str)
                              .encode()).hexdigest()
    facts = [("Package version", manifest["version"]), ("Map (SHA-256 of the checked map)",
             map_hash), ("As of", str(manifest["as_of"])),
             ("Extract date", str(manifest["extract_date"])),
             ("History start", str(manifest["history_start"])), ("Seed", str(seed)),
             ("Minimum cell size k", str(k)), ("Export kind", manifest["kind"])]
    facts += [(f"Input {name} (SHA-256)", h) for name, h in manifest["inputs"].items()]
    notes = [{"analysis": r.TITLE, "kind": n.kind, "part": n.part, "text": n.text}
             for r in res.values() for n in r.notes if n.kind != "finding"]
    return {"rows": rows_table, "reasons": reasons, "definitions": definitions,
            "facts": facts, "notes": notes, "k": k,
            "suppressed_note": SUPPRESSED_NOTE.format(k=k),
            "not_shown_note": NOT_SHOWN_NOTE.format(k=k)}

