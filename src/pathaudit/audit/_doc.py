"""The generated documentation of the output: every JSON key defined, docs/audit-output.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pathaudit.audit._index import _how_to_read, _part_metas, describe_files
from pathaudit.audit._layout import CHARTS_DIR, DEFAULT_SEED, MANIFEST, README, REPORT
from pathaudit.output import DATA_DIR, TABLES_DIR

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
        f"  {CHARTS_DIR + '/<analysis>__<part>.svg':<40} the chart of each part with one",
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
