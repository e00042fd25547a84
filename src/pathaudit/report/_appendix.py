"""The appendix: rows read and excluded, definitions, methods, run manifest and notes."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from pathaudit.data import AuditData
from pathaudit.report._format import Formatter
from pathaudit.report._tables import NOT_SHOWN_NOTE, html_table
from pathaudit.result import SUPPRESSED_NOTE, AnalysisResult


def appendix_section(
    data: AuditData, res: Mapping[str, AnalysisResult], seed: int, fmt: Formatter, k: int
) -> dict[str, Any]:
    """The appendix: rows per table, exclusions, definitions, run facts and notes."""
    from pathaudit.io.manifest import run_manifest

    manifest = run_manifest(data, seed=seed)
    counts = pd.DataFrame(
        [
            {
                "table": t,
                "in": v.get("in", math.nan),
                "used": v.get("used", math.nan),
                "excluded": v.get("excluded", 0) + v.get("excluded_later", 0),
                "repaired": v.get("repaired", 0),
            }
            for t, v in manifest["rows"].items()
        ]
    )
    rows_table = html_table(
        counts,
        "Rows read, used, excluded and repaired per table",
        {
            "table": "Table",
            "in": "Read",
            "used": "Used",
            "excluded": "Excluded",
            "repaired": "Repaired",
        },
        fmt,
        k,
    )
    q = data.quality.to_frame()
    q = q.loc[q["action"] != "note"] if "action" in q else q
    reasons = (
        html_table(
            q.assign(file=q.get("file", ""), rows=q["n_rows"]) if len(q) else q,
            "Exclusions and repairs by reason",
            {
                "table": "Table",
                "rule": "Rule",
                "action": "Action",
                "rows": "Rows",
                "message": "What was found",
            },
            fmt,
            k,
        )
        if len(q)
        else None
    )
    definitions = []
    for result in res.values():
        for part, r in result.published().items():
            m = r.meta
            definitions.append(
                {
                    "analysis": result.TITLE,
                    "part": part,
                    "title": str(m.get("analysis", part)),
                    "definition": str(m.get("definition", "")),
                    "method": str(m.get("method", "")),
                    "population": str(m.get("population", "")),
                }
            )
    map_hash = hashlib.sha256(
        json.dumps(manifest["map"], sort_keys=True, default=str).encode()
    ).hexdigest()
    facts = [
        ("Package version", manifest["version"]),
        ("Map (SHA-256 of the checked map)", map_hash),
        ("As of", str(manifest["as_of"])),
        ("Extract date", str(manifest["extract_date"])),
        ("History start", str(manifest["history_start"])),
        ("Seed", str(seed)),
        ("Minimum cell size k", str(k)),
        ("Export kind", manifest["kind"]),
    ]
    facts += [(f"Input {name} (SHA-256)", h) for name, h in manifest["inputs"].items()]
    notes = [
        {"analysis": r.TITLE, "kind": n.kind, "part": n.part, "text": n.text}
        for r in res.values()
        for n in r.notes
        if n.kind != "finding"
    ]
    return {
        "rows": rows_table,
        "reasons": reasons,
        "definitions": definitions,
        "facts": facts,
        "notes": notes,
        "k": k,
        "suppressed_note": SUPPRESSED_NOTE.format(k=k),
        "not_shown_note": NOT_SHOWN_NOTE.format(k=k),
    }
