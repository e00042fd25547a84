"""The index of an output folder (README.txt): every file with what it holds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pathaudit.audit._layout import CHART_FORMATS, CHARTS_DIR, FILING_DIR, MANIFEST, README, REPORT
from pathaudit.errors import PathauditError
from pathaudit.output import DATA_DIR, DISPLAY_DIGITS, TABLES_DIR

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
