"""Publishing results: the publish-stage privacy step, JSON-safe values, the versioned output.

Suppression happens in two stages. **Primary** suppression happens when a
:class:`~pathaudit.result.Result` is built (:func:`~pathaudit.result.make_result`: every
group below the minimum cell size k). **Secondary** (complementary) suppression happens
here, at publish time, across everything published together: a bundle's summary and HTML,
an audit folder, a report. :func:`publish` is that one interface; every writer and every
view calls it, so a notebook user sees the same protection as the command line.

An audit folder holds, per analysis, ``<analysis>.json`` (:meth:`AnalysisResult.to_json`:
the versioned schema) and ``<analysis>__<part>[__<table>].csv``; :func:`read_output` reads
such a folder back (the report compares with last quarter's).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from pathaudit.errors import InputError
from pathaudit.result import OUTPUT_SCHEMA_VERSION, AnalysisResult, Result


def json_safe(value: Any) -> Any:
    """A JSON-safe copy: NaN and infinities -> None, numpy scalars -> Python, dates -> ISO.

    Examples
    --------
    >>> json_safe({"a": float("nan"), "b": (1, 2.5)})
    {'a': None, 'b': [1, 2.5]}
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def publish(results: Mapping[str, Result], k: int) -> dict[str, Result]:
    """The publish stage: complementary suppression across results published together.

    Parameters
    ----------
    results
        Name -> :class:`~pathaudit.result.Result`, each already primary-suppressed by
        :func:`~pathaudit.result.make_result`, that will be shown or written together.
        Each declares its group columns in ``meta["groups"]`` (and those of its extra
        tables in ``meta["table_groups"]``): what each row describes, the columns a
        suppressed cell keeps and the margins along which published figures add up.
    k
        Minimum cell size.

    Returns
    -------
    dict
        The same results, with further cells suppressed where published relations
        (totals, margins, sums across tables) would let a reader recover a suppressed
        cell. Within each table, the rule of :func:`~pathaudit.result.suppress` (the
        next-smallest cell of a group with a single suppressed cell) has already run when
        the result was built; the cross-table protection is documented in
        ``docs/privacy.md``.

    Raises
    ------
    ValueError
        When ``k`` is below 1, or a result does not declare its group columns (it was not
        built by :func:`~pathaudit.result.make_result`).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1; got {k}.")
    out = {}
    for name, res in results.items():
        published_groups(name, res)  # what the cross-table (secondary) step will read
        out[name] = replace(res, tables=dict(res.tables))
    return out


def published_groups(name: str, res: Result) -> dict[str, list[str]]:
    """Table name ("" for the main table) -> its group columns, from the result's meta."""
    groups = res.meta.get("groups")
    if groups is None:
        raise ValueError(
            f"The result {name!r} declares no group columns (meta['groups']); build it with "
            "pathaudit.result.make_result(table, groups=...)."
        )
    table_groups = res.meta.get("table_groups", {})
    undeclared = sorted(set(res.tables) - set(table_groups))
    if undeclared:
        raise ValueError(f"The extra tables {undeclared} of {name!r} declare no group columns "
                         "(meta['table_groups']).")
    return {"": list(groups), **{t: list(g) for t, g in table_groups.items()}}


def write_table(df: pd.DataFrame, path: Path) -> None:
    """Write one table as CSV, formula-safe (no cell can start a spreadsheet formula)."""
    from pathaudit.io.privacy import safe_for_spreadsheet

    safe_for_spreadsheet(df).to_csv(path, index=False)


def write_analysis(result: AnalysisResult, folder: str | Path, k: int) -> list[Path]:
    """Write one analysis into ``folder`` in the versioned output schema; return the files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, res in publish(result.results(), k).items():
        stem = f"{result.ANALYSIS}__{name}"
        write_table(res.table, folder / f"{stem}.csv")
        written.append(folder / f"{stem}.csv")
        for table, frame in res.tables.items():
            write_table(frame, folder / f"{stem}__{table}.csv")
            written.append(folder / f"{stem}__{table}.csv")
    path = folder / f"{result.ANALYSIS}.json"
    path.write_text(json.dumps(result.to_json(), indent=2, sort_keys=True) + "\n",
                    encoding="utf-8")
    written.append(path)
    return written


@dataclass(frozen=True)
class StoredAnalysis:
    """One analysis read back from an output folder.

    Attributes
    ----------
    analysis, title
        As written.
    headline
        The headline table (:data:`~pathaudit.headline.HEADLINE_COLUMNS`).
    notes
        Records with ``kind``, ``part`` and ``text``.
    parts
        Name -> :class:`~pathaudit.result.Result` (tables as published, meta as written).
    """

    analysis: str
    title: str
    headline: pd.DataFrame
    notes: list[dict[str, str]]
    parts: dict[str, Result]


def read_output(folder: str | Path) -> dict[str, StoredAnalysis]:
    """Read every analysis an audit wrote into ``folder`` (the versioned output schema).

    Parameters
    ----------
    folder
        An output folder written by ``pathaudit audit`` (or :func:`write_analysis`).

    Returns
    -------
    dict
        Analysis name -> :class:`StoredAnalysis`.

    Raises
    ------
    InputError
        When the folder holds no analysis, or one written in a newer schema version.
    """
    from pathaudit.headline import HEADLINE_COLUMNS

    folder = Path(folder)
    out: dict[str, StoredAnalysis] = {}
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or "schema_version" not in doc or "analysis" not in doc:
            continue
        version = doc["schema_version"]
        if not isinstance(version, int) or version > OUTPUT_SCHEMA_VERSION:
            raise InputError(
                f"{path.name} was written in output schema {version!r}; this pathaudit reads "
                f"up to {OUTPUT_SCHEMA_VERSION}. Read it with the pathaudit version that wrote "
                "it (see its manifest.json), or upgrade pathaudit."
            )
        name = doc["analysis"]
        parts = {}
        for part, spec in doc["parts"].items():
            stem = f"{name}__{part}"
            table = pd.read_csv(folder / f"{stem}.csv")
            tables = {t: pd.read_csv(folder / f"{stem}__{t}.csv") for t in spec["tables"]}
            parts[part] = Result(table=table, meta=spec["meta"], tables=tables)
        headline = pd.DataFrame(doc["headline"], columns=list(HEADLINE_COLUMNS))
        for col in ("estimate", "ci_lower", "ci_upper", "n"):
            headline[col] = headline[col].astype("float64")
        out[name] = StoredAnalysis(name, doc["title"], headline, doc["notes"], parts)
    if not out:
        raise InputError(
            f"No pathaudit output found in {folder}: it holds no <analysis>.json written by "
            "'pathaudit audit'. Point to the folder an earlier audit wrote."
        )
    return out
