"""Run every analysis on one dataset and write the hand-over folder.

Output folder layout (stable names; ``docs/audit-output.md`` lists every file and key,
generated from the results' metadata by :func:`output_doc`)::

    OUT/
      README.txt                        index of every file in the folder: what it holds
      report.html                       the leader's report (self-contained HTML)
      summary.json                      every analysis's headline table, notes and warnings
      manifest.json                     run manifest: version, map, input hashes, as-of, seed, k
      <analysis>.json                   one analysis in the versioned output schema
      data_quality.csv                  every data-quality finding (rule, action, rows)
      tables/<analysis>__<part>[__<table>].csv   each table, rounded for display
      data/<analysis>__<part>[__<table>].parquet the same table at full precision
      charts/<analysis>__<part>.png|.svg         the chart of each part that has one

Every CSV is written formula-safe (no cell starts a spreadsheet formula) and holds no
person-level rows. Everything an audit writes passes the publish stage
(:func:`~pathaudit.output.publish`) together; charts draw the published tables only.

The folder is built in a temporary folder beside ``OUT`` and swapped in on success (the
previous output is renamed aside, the new one renamed in, the previous one deleted), so an
interrupted or failed run leaves the previous output as it was and no stale file survives.
A non-empty ``OUT`` that is not a previous pathaudit output (no ``manifest.json`` written by
pathaudit) is refused unless ``overwrite=True``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pathaudit.checks import check_choices, check_data, check_number
from pathaudit.data import AuditData
from pathaudit.errors import (
    NeedsHistoryError,
    OutputFolderError,
    PathauditError,
    StatisticalWarning,
)
from pathaudit.output import (
    DATA_DIR,
    DISPLAY_DIGITS,
    TABLES_DIR,
    json_safe,
    write_analysis,
    write_parquet,
    write_table,
)
from pathaudit.result import OUTPUT_SCHEMA_VERSION, AnalysisResult
from pathaudit.stats.intervals import BOOTSTRAP_SEED

ANALYSES: tuple[str, ...] = (
    "pay_parity",
    "time_to_promotion",
    "forced_management",
    "attrition",
    "eu_pay_transparency",
    "uk_gender_pay_gap",
)
"""The analyses of the audit, in report order."""

FILING_ANALYSES: tuple[str, ...] = ("eu_pay_transparency", "uk_gender_pay_gap")
"""The analyses with a restricted filing output (``filing=True``, ``--filing``)."""

FILING_DIR = "restricted"
"""Subfolder of the filing output: unsuppressed figures, written only with ``--filing``."""

DEFAULT_SEED: int = BOOTSTRAP_SEED
"""The one default seed of every resampling step (bootstrap, matching), for the library and
the command line alike, so the same interval is the same in a CSV and in a notebook."""

CHARTS_DIR = "charts"
"""Folder of the charts (PNG and SVG) in an output folder."""
CHART_FORMATS: tuple[str, ...] = ("png", "svg")
"""Formats each chart is saved in."""

MANIFEST = "manifest.json"
"""The file that marks a folder as a pathaudit output."""
README = "README.txt"
"""The index of every file in an output folder."""
REPORT = "report.html"
"""The leader's report in an output folder."""
ERROR_LOG = "pathaudit-error.log"
"""File name of the traceback the command line writes on an internal error."""

OUT_IS_FILE = "--out {out} is a file, not a folder. Name a folder for the audit output."
OUT_IS_CWD = (
    "--out {out} is the current folder (or holds it): the audit replaces its output folder as "
    "a whole. Name a folder of its own, e.g. --out audit-out."
)
OUT_NOT_EMPTY = (
    "The output folder {out} is not empty and is not a previous pathaudit output (it has no "
    "manifest.json written by pathaudit); it holds {found}. Name a new or empty folder, or "
    "pass --overwrite to replace everything in it."
)

Progress = Callable[[str], None]
"""A callable told the name of each step as it starts (the command line prints it)."""


# --------------------------------------------------------------------------- what is written


STATIC_FILES: dict[str, str] = {
    README: "This index: every file in the folder, what it holds and how to read it.",
    REPORT: "The leader's report: one self-contained HTML page (no file or font fetched from "
    "anywhere) with the verdict per question, trends, the forced-into-management profile by "
    "unit and an appendix for the analyst. Open it in a browser; it prints to A4.",
    "summary.json": "Every analysis's headline figures (estimate, interval, n, threshold, "
    "status and reason), notes and the statistical warnings raised, in report order; "
    "pathaudit's docs/audit-output.md defines every key.",
    MANIFEST: "What the run was made from: package version, the column map, the SHA-256 of "
    "every input file, as-of date, seed, minimum cell size k, rows read / used / excluded per "
    "table. No timestamps or machine paths: the same inputs give the same bytes.",
    "data_quality.csv": "One row per data-quality finding of the load: table, rule, action "
    "(fatal / excluded / repaired / note), rows affected, file, column, example rows, message.",
    f"{DATA_DIR}/data_quality.parquet": "data_quality.csv as Parquet.",
}
"""The files every audit folder holds, with what each one holds."""

SUMMARY_KEYS: dict[str, str] = {
    "schema_version": "version of the output schema; raised whenever a key or table name "
    "changes meaning (CHANGELOG.md lists each change)",
    "dataset": "facts about the dataset analysed (no person-level values)",
    "dataset.kind": "`history` (effective-dated job history) or `snapshot` (one row per person)",
    "dataset.people": "distinct people in the data after the load's rules",
    "dataset.episodes": "employment episodes (a rehire starts a new one)",
    "dataset.history_rows": "job-history rows used (one per person per snapshot export)",
    "dataset.extract_date": "the date the export was pulled (the map's extract_date)",
    "dataset.history_start": "the date from which the history is complete",
    "dataset.as_of": "the analysis date: nothing after it is used",
    "analyses": "one entry per analysis, in report order",
    "analyses.<analysis>.status": "`computed`, or `not computed` (then `reason` says why)",
    "analyses.<analysis>.reason": "why the analysis was not computed",
    "analyses.<analysis>.title": "the analysis's heading",
    "analyses.<analysis>.headline": "the headline figures, one object per figure",
    "analyses.<analysis>.notes": "caveats, findings and the parts not computed, with why",
    "analyses.<analysis>.notes[].kind": "`caveat`, `finding` or `not computed`",
    "analyses.<analysis>.notes[].part": "the part the note is about (empty: the analysis)",
    "analyses.<analysis>.notes[].text": "the note in words",
    "analyses.<analysis>.warnings": "statistical warnings raised while the analysis ran",
}
"""Every key of ``summary.json`` (``<analysis>`` stands for each analysis's name)."""

HEADLINE_KEYS: dict[str, str] = {
    "key": "stable snake_case name of the figure",
    "label": "the figure in plain words",
    "question": "the leader's question the figure answers",
    "primary": "whether it is the primary figure for its question (one per analysis)",
    "estimate": "the figure (in `unit`); empty when not estimable or suppressed",
    "ci_lower": "lower limit of its confidence interval (level: the run's alpha)",
    "ci_upper": "upper limit of its confidence interval",
    "n": "distinct people behind the figure",
    "unit": "what the figure is measured in (a share, a ratio, a currency, ...)",
    "threshold": "the threshold and equivalence margin it is judged against, in words",
    "status": "flagged / inconclusive / clear / not estimable / not computed / descriptive",
    "reason": "why it has that status",
}
"""Every key of a headline row (``summary.json`` and ``<analysis>.json``)."""

ANALYSIS_KEYS: dict[str, str] = {
    "schema_version": "version of the output schema (as in summary.json)",
    "analysis": "stable name of the analysis (the file names use it)",
    "title": "the analysis's heading",
    "headline": "the headline figures, one object per figure (keys as in summary.json)",
    "notes": "caveats, findings and parts not computed (`kind`, `part`, `text`)",
    "parts": "one entry per published part, in report order",
    "parts.<part>.tables": "names of the part's further tables "
    "(`tables/<analysis>__<part>__<table>.csv`)",
    "parts.<part>.meta": "the part's metadata",
    "parts.<part>.meta.analysis": "the part's own name, `<analysis>.<part>`",
    "parts.<part>.meta.definition": "what the figure is: numerator, denominator, population, "
    "censoring",
    "parts.<part>.meta.method": "how it is estimated and its interval computed",
    "parts.<part>.meta.population": "who is counted",
    "parts.<part>.meta.alpha": "significance level of the intervals (0.05: 95% intervals)",
    "parts.<part>.meta.k": "minimum cell size: a group of fewer people is suppressed",
    "parts.<part>.meta.as_of": "the analysis date",
    "parts.<part>.meta.groups": "the group columns of the table: what each row describes",
    "parts.<part>.meta.table_groups": "the group columns of each further table",
    "parts.<part>.meta.data_quality": "the load's data-quality summary",
    "parts.<part>.meta.version": "the pathaudit version that computed it",
}
"""Every key of ``<analysis>.json`` the contract fixes; a part may add metadata of its own
(listed per part by :func:`output_doc`)."""

MANIFEST_KEYS: dict[str, str] = {
    "package": "`pathaudit`: marks the folder as a pathaudit output",
    "version": "the pathaudit version that wrote the folder",
    "python": "the Python version of the run",
    "numpy": "the numpy version of the run",
    "pandas": "the pandas version of the run",
    "kind": "`history` or `snapshot`",
    "map": "the checked column map, as used",
    "inputs": "input file name -> SHA-256 of its bytes",
    "extract_date": "the export's extract date",
    "history_start": "the date from which the history is complete",
    "as_of": "the analysis date",
    "seed": "the seed of every resampling step (bootstrap, matching)",
    "min_cell_size": "k: groups of fewer people are suppressed everywhere",
    "rows": "per table: rows `in` (read), `used`, `excluded`, `repaired` (and "
    "`excluded_later` when a derivation left rows out)",
    "quality": "data-quality rule -> its action and the rows it touched",
    "extra": "further facts recorded by the run",
}
"""Every top-level key of ``manifest.json``."""


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


# --------------------------------------------------------------------------- the folder


def _is_pathaudit_output(folder: Path) -> bool:
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("package") == "pathaudit"


def check_output_folder(out: str | Path, *, overwrite: bool = False) -> Path:
    """Check that ``out`` may receive an audit; return it as a path.

    Parameters
    ----------
    out
        The output folder. It may be missing, empty, a previous pathaudit output (its
        ``manifest.json`` says so), or, with ``overwrite``, any folder.
    overwrite
        Replace a non-empty folder that is not a previous pathaudit output.

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    OutputFolderError
        ``out`` is a file, the current folder (or holds it), or a non-empty folder of
        something else and ``overwrite`` is False (the message lists what it holds).

    Examples
    --------
    >>> import tempfile
    >>> check_output_folder(Path(tempfile.mkdtemp()) / "audit-out").name
    'audit-out'
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputFolderError(OUT_IS_FILE.format(out=out))
    here = Path.cwd().resolve()
    if out.resolve() == here or out.resolve() in here.parents:
        raise OutputFolderError(OUT_IS_CWD.format(out=out))
    if not out.is_dir() or overwrite or _is_pathaudit_output(out):
        return out
    entries = sorted(p.name + ("/" if p.is_dir() else "") for p in out.iterdir()
                     if p.name != ERROR_LOG)
    if entries:
        shown = ", ".join(entries[:8]) + (f" and {len(entries) - 8} more" if len(entries) > 8
                                          else "")
        raise OutputFolderError(OUT_NOT_EMPTY.format(out=out, found=shown))
    return out


def _swap_in(new: Path, out: Path) -> None:
    """Put the finished folder ``new`` in place of ``out``; the previous one goes last."""
    if not out.exists():
        new.rename(out)
        return
    old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
    out.rename(old)
    try:
        new.rename(out)
    except BaseException:
        old.rename(out)  # put the previous output back
        raise
    shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- running


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
        Write ``charts/`` (a PNG and an SVG per part with a chart).
    report
        Write ``report.html`` (:func:`pathaudit.report.build_report`).
    progress
        Called with the name of each step as it starts (the command line prints it).
    filing
        Also write the restricted filing output of the pay-gap reports
        (:data:`FILING_ANALYSES`) into ``out/restricted``: their figures unsuppressed, as
        the law requires them filed, marked restricted. Never written by default.

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
        summary = _write_all(data, build, seed, chosen, charts, report, tell, filing=filing)
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
        if getattr(result, "filing", None) is not None:
            result.write_filing(out / FILING_DIR)  # type: ignore[attr-defined]
        summary["analyses"][name] = {
            "status": "computed",
            "title": result.TITLE,
            "headline": result.headline().to_dict(orient="records"),
            "notes": [{"kind": n.kind, "part": n.part, "text": n.text} for n in result.notes],
            "warnings": sorted({str(w.message) for w in caught}),
        }
    if charts:
        tell("charts")
        for result in results.values():
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
        from pathaudit.report import build_report, last_complete_quarter, quarter_end

        # page-1 figures are as of the report quarter's end: reuse the audit's results
        # when that is the as-of date, else the report computes its own
        end = quarter_end(last_complete_quarter(data.as_of, data.fiscal_year_start_month),
                          data.fiscal_year_start_month)
        reuse = results if end == data.as_of and not missing else None
        with warnings.catch_warnings():
            # the report recomputes past quarters: their caveats are the analyses' own,
            # already in summary.json and printed in the report
            warnings.simplefilter("ignore", StatisticalWarning)
            build_report(data, results=reuse, seed=seed).write(out / REPORT)
    (out / README).write_text(readme_text(out), encoding="utf-8")
    return summary


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


def write_charts(result: AnalysisResult, folder: str | Path) -> list[Path]:
    """Save the chart of every part of ``result`` that has one, as PNG and SVG.

    Parameters
    ----------
    result
        A computed analysis; charts draw its published parts only (the publish stage).
    folder
        Where the files go: ``<analysis>__<part>.png`` and ``.svg``.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Examples
    --------
    >>> import pathaudit, tempfile
    >>> res = pathaudit.attrition(data, parts=["rates"])  # doctest: +SKIP
    >>> [p.name for p in write_charts(res, tempfile.mkdtemp())]  # doctest: +SKIP
    ['attrition__rates.png', 'attrition__rates.svg']
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    shown = result.published()  # the publish stage once, not once per chart
    with matplotlib.rc_context({"svg.hashsalt": "pathaudit", "svg.fonttype": "none"}), \
            warnings.catch_warnings():
        # a part whose groups are all suppressed draws no labelled artist: its empty legend
        # is expected, not a problem
        warnings.filterwarnings("ignore", message="No artists with labels found",
                                category=UserWarning)
        for part in result.plottable():
            fig, ax = plt.subplots(figsize=(7, 4))
            try:
                shown[part].plot(ax)
                fig.tight_layout()
                for fmt in CHART_FORMATS:
                    path = folder / f"{result.ANALYSIS}__{part}.{fmt}"
                    meta = {"Date": None} if fmt == "svg" else {"Software": None}
                    fig.savefig(path, format=fmt, dpi=150, metadata=meta)
                    written.append(path)
            finally:
                plt.close(fig)
    return written


# --------------------------------------------------------------------------- the index


def describe_files(folder: str | Path) -> list[tuple[str, str]]:
    """Every file of an output folder with what it holds, from the results' metadata.

    Parameters
    ----------
    folder
        An output folder written by :func:`run_audit`.

    Returns
    -------
    list of (str, str)
        (path relative to the folder, with ``/``; description), in the order of
        ``README.txt``: the fixed files, then per analysis its JSON, tables, full-precision
        copies and charts.

    Examples
    --------
    >>> describe_files("audit-out")[0]  # doctest: +SKIP
    ('README.txt', 'This index: every file in the folder, what it holds and how to read it.')
    """
    folder = Path(folder)
    present = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    known: dict[str, str] = {}
    for name, text in STATIC_FILES.items():
        known[name] = text
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or "analysis" not in doc or "parts" not in doc:
            continue
        analysis, title = doc["analysis"], doc.get("title", doc["analysis"])
        known[path.name] = (f"{title}: the headline figures, notes and each part's metadata "
                            "(definition, method, population, groups) in the versioned output "
                            "schema.")
        for part, spec in doc["parts"].items():
            meta = spec.get("meta", {})
            stem = f"{analysis}__{part}"
            rows = ", ".join(meta.get("groups", [])) or "the figure"
            about = (f"{title}, {part}: {_sentence(meta.get('definition', ''))} "
                     f"Population: {_sentence(meta.get('population', ''))} "
                     f"One row per {rows}.")
            known[f"{TABLES_DIR}/{stem}.csv"] = about
            known[f"{DATA_DIR}/{stem}.parquet"] = f"{TABLES_DIR}/{stem}.csv at full precision."
            for table in spec.get("tables", []):
                groups = meta.get("table_groups", {}).get(table, [])
                known[f"{TABLES_DIR}/{stem}__{table}.csv"] = (
                    f"{title}, {part}, further table '{table}'"
                    + (f": one row per {', '.join(groups)}." if groups else ".")
                )
                known[f"{DATA_DIR}/{stem}__{table}.parquet"] = (
                    f"{TABLES_DIR}/{stem}__{table}.csv at full precision.")
            for fmt in CHART_FORMATS:
                known[f"{CHARTS_DIR}/{stem}.{fmt}"] = (
                    f"Chart of {title}, {part} ({fmt.upper()}), drawn from the published table "
                    f"{TABLES_DIR}/{stem}.csv.")
    for p in present:
        if p.startswith(f"{FILING_DIR}/"):
            known[p] = (f"RESTRICTED filing output (written only with --filing): "
                        f"{p.split('/', 1)[1]} with nothing suppressed, as the pay-gap laws "
                        "require it filed (Directive (EU) 2023/970 Art. 12); not for "
                        "publication. Same layout as the folder's own files.")
    unknown = [p for p in present if p not in known]
    if unknown:
        raise PathauditError(
            f"The output folder {folder} holds files no result describes: {unknown}. Every "
            "file an audit writes needs its description (pathaudit.audit.STATIC_FILES or its "
            "part's metadata)."
        )
    order = {name: i for i, name in enumerate(known)}
    return [(p, known[p]) for p in sorted(present, key=lambda p: order[p])]


def _sentence(text: str) -> str:
    text = " ".join(str(text).split())
    return text if not text or text.endswith((".", "!", "?")) else text + "."


def _how_to_read(manifest: dict[str, Any], alpha: float | None) -> list[str]:
    k = manifest.get("min_cell_size", "k")
    level = f"{(1 - alpha) * 100:g}%" if alpha is not None else "the run's"
    return [
        f"- Start with {REPORT} (open it in a browser) and summary.json; the files below "
        "hold every figure behind them.",
        f"- Each table row is one figure: its group columns, estimate, ci_lower and ci_upper "
        f"(a {level} confidence interval), n (the distinct people behind it), suppressed, "
        "and extras such as p_value.",
        f"- Groups of fewer than {k} people are suppressed: the row keeps its group columns, "
        "every other cell is empty and suppressed is True (a dash in the report, never a "
        "zero). Further cells are hidden where a total would give a suppressed one away.",
        f"- {TABLES_DIR}/*.csv are rounded for display: counts and other whole numbers as "
        f"integers, other figures to {DISPLAY_DIGITS} significant digits, amounts of 1,000 "
        f"or more to whole units. {DATA_DIR}/*.parquet hold the same tables at full "
        "precision.",
        "- No file holds person-level rows or identifiers. Every CSV is formula-safe: a text "
        "cell that would start a spreadsheet formula begins with a single quote.",
        "- Differences between tracks are associations, not causes. docs/ in the pathaudit "
        "sources defines every figure; docs/audit-output.md every file and key.",
    ]


def readme_text(folder: str | Path) -> str:
    """The ``README.txt`` of an output folder: how to read it and every file in it.

    Generated from the folder itself and the results' metadata (:func:`describe_files`),
    so it cannot drift from what was written; ``README.txt`` lists itself.

    Parameters
    ----------
    folder
        An output folder written by :func:`run_audit` (its ``manifest.json`` included).

    Returns
    -------
    str
        The text.

    Examples
    --------
    >>> print(readme_text("audit-out"))  # doctest: +SKIP
    """
    folder = Path(folder)
    readme = folder / README
    created = not readme.exists()
    if created:
        readme.write_text("", encoding="utf-8")  # so that the index lists itself
    try:
        files = describe_files(folder)
    finally:
        if created:
            readme.unlink()
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    alpha = _alpha(folder)
    kind = manifest.get("kind", "history")
    head = [
        "pathaudit audit output",
        "======================",
        "",
        f"Written by pathaudit {manifest.get('version', '')} from a {kind} export "
        f"({', '.join(sorted(manifest.get('inputs', {})))}), as of "
        f"{manifest.get('as_of', '')} (history complete from "
        f"{manifest.get('history_start', '')}; extract date {manifest.get('extract_date', '')})"
        f", seed {manifest.get('seed', '')}, minimum cell size k = "
        f"{manifest.get('min_cell_size', '')}.",
        "",
        "How to read it",
        "--------------",
        *_how_to_read(manifest, alpha),
        "",
        f"Files ({len(files)})",
        "-" * len(f"Files ({len(files)})"),
    ]
    import textwrap

    body: list[str] = []
    for path, text in files:
        body.append(path)
        body += textwrap.wrap(text, width=88, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(head + body) + "\n"


def _alpha(folder: Path) -> float | None:
    for _, meta in _part_metas(folder):
        if "alpha" in meta:
            return float(meta["alpha"])
    return None


def _part_metas(folder: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "parts" in doc and "analysis" in doc:
            for part, spec in doc["parts"].items():
                yield f"{doc['analysis']}.{part}", spec.get("meta", {})


# --------------------------------------------------------------------------- docs


def key_paths(doc: Any, prefix: str = "", *, generic: dict[str, str] | None = None) -> list[str]:
    """Every key path of a JSON document (``a.b``, ``a[].c``), names standing for kinds folded.

    Parameters
    ----------
    doc
        A parsed JSON document.
    prefix
        Path of ``doc`` itself.
    generic
        Path -> placeholder: the keys under that path are names (analyses, parts) and are
        written as the placeholder (``{"analyses": "<analysis>"}``).

    Returns
    -------
    list of str
        Distinct paths in order of first appearance.

    Examples
    --------
    >>> key_paths({"a": {"x": 1, "y": [{"z": 2}]}}, generic={"a": "<name>"})
    ['a', 'a.<name>', 'a.<name>[].z']
    """
    generic = generic or {}
    seen: dict[str, None] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                name = str(generic.get(path, key))
                here = f"{path}.{name}" if path else name
                seen.setdefault(here, None)
                walk(sub, here)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    walk(item, f"{path}[]")

    walk(doc, prefix)
    return list(seen)


def undocumented_keys(folder: str | Path) -> list[str]:
    """Keys of an output folder's JSON files that no definition covers (should be none).

    Examples
    --------
    >>> undocumented_keys("audit-out")  # doctest: +SKIP
    []
    """
    folder = Path(folder)
    missing: list[str] = []
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    for path in key_paths(summary, generic={"analyses": "<analysis>"}):
        base = path.split(".headline[].")
        if path in SUMMARY_KEYS or path == "analyses.<analysis>":
            continue
        if len(base) == 2 and base[1] in HEADLINE_KEYS:
            continue
        missing.append(f"summary.json: {path}")
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    missing += [f"manifest.json: {key}" for key in manifest if key not in MANIFEST_KEYS]
    for file in sorted(folder.glob("*.json")):
        doc = json.loads(file.read_text(encoding="utf-8"))
        if not (isinstance(doc, dict) and "parts" in doc and "analysis" in doc):
            continue
        for key in doc:
            if key not in ANALYSIS_KEYS:
                missing.append(f"{file.name}: {key}")
        for row in doc["headline"]:
            missing += [f"{file.name}: headline[].{c}" for c in row if c not in HEADLINE_KEYS]
    return missing


def output_doc(folder: str | Path) -> str:
    """The text of ``docs/audit-output.md``, generated from an output folder's metadata.

    Parameters
    ----------
    folder
        The sample audit's output folder (every analysis and part computed).

    Returns
    -------
    str
        Markdown: the command, the layout, every file with its definition
        (:func:`describe_files`) and every JSON key with its definition.

    Examples
    --------
    >>> text = output_doc("audit-out")  # doctest: +SKIP
    """
    folder = Path(folder)
    files = describe_files(folder)
    lines = [
        "# What `pathaudit audit` writes",
        "",
        "<!-- Generated from the sample audit's metadata by pathaudit.audit.output_doc; "
        "tests/test_output_folder.py checks it. Regenerate with "
        "`python tests/test_output_folder.py`. -->",
        "",
        "```bash",
        "pathaudit audit EXPORT_FOLDER [--map map.toml] [--as-of YYYY-MM-DD] "
        f"[--seed {DEFAULT_SEED}] [--overwrite] --out audit-out",
        "```",
        "",
        "loads the export through the column map (`map.toml` in the export folder when "
        "`--map` is not given), runs every analysis and writes into `--out`:",
        "",
        "```",
        "audit-out/",
        f"  {README:<40} index of every file: what it holds, how to read it",
        f"  {REPORT:<40} the leader's report (self-contained HTML)",
        f"  {'summary.json':<40} headline figures, notes, warnings",
        f"  {MANIFEST:<40} what the run was made from",
        f"  {'<analysis>.json':<40} one analysis in the versioned output schema",
        f"  {'data_quality.csv':<40} every data-quality finding",
        f"  {TABLES_DIR + '/<analysis>__<part>.csv':<40} each table, rounded for display",
        f"  {DATA_DIR + '/<analysis>__<part>.parquet':<40} the same table at full precision",
        f"  {CHARTS_DIR + '/<analysis>__<part>.png|svg':<40} the chart of each part with one",
        "```",
        "",
        "## The folder as a whole",
        "",
        "- The folder is built in a temporary folder beside `--out` and swapped in when the "
        "run succeeds: the previous output is renamed aside, the new one renamed in, then the "
        "previous one deleted. A run that fails or is interrupted (Ctrl-C) leaves the previous "
        "output as it was and no partial folder; no stale file of an earlier run survives.",
        "- A folder that is not empty and has no `manifest.json` written by pathaudit is "
        "refused (exit code 2); `--overwrite` replaces it as a whole.",
        "",
        "## How to read the files",
        "",
        *_how_to_read({"min_cell_size": 5}, 0.05),
        "",
        "## Every file",
        "",
        "Of the sample audit (`data/sample/`); an export where a part cannot be computed has "
        "no file for it, and `summary.json` says why.",
        "",
        "| file | content |",
        "|---|---|",
    ]
    lines += [f"| `{path}` | {text.replace('|', '/')} |" for path, text in files]
    for title, keys in (("summary.json", SUMMARY_KEYS),
                        ("headline rows (summary.json and <analysis>.json)", HEADLINE_KEYS),
                        ("<analysis>.json", ANALYSIS_KEYS), ("manifest.json", MANIFEST_KEYS)):
        lines += ["", f"## Keys of {title}", "", "| key | definition |", "|---|---|"]
        lines += [f"| `{key}` | {text} |" for key, text in keys.items()]
    extra = []
    for part, meta in _part_metas(folder):
        own = [key for key in meta if f"parts.<part>.meta.{key}" not in ANALYSIS_KEYS]
        if own:
            extra.append(f"| `{part}` | {', '.join(f'`{k}`' for k in own)} |")
    if extra:
        lines += ["", "## Metadata a part adds", "",
                  "Defined on the analysis's page in docs/ (its parts).", "",
                  "| part | further `meta` keys |", "|---|---|", *extra]
    return "\n".join(lines) + "\n"
