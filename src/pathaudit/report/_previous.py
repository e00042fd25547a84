"""A previous output's published primary figures beside today's recomputation."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from pathaudit.data import AuditData
from pathaudit.errors import InputError, NeedsHistoryError
from pathaudit.report._analyses import runners
from pathaudit.report._format import Formatter
from pathaudit.report._tables import Cell, finite, make_table
from pathaudit.report._trends import primary_row
from pathaudit.result import SUPPRESSED_MARK


def previous_section(
    folder: str | Path,
    data: AuditData,
    opts: Mapping[str, Mapping[str, Any]],
    seed: int,
    fmt: Formatter,
    k: int,
) -> dict[str, Any]:
    """A previous output's published primary figures beside today's recomputation."""
    from pathaudit.output import read_output

    folder = Path(folder)
    stored = read_output(folder)
    manifest = folder / "manifest.json"
    as_of = None
    if manifest.is_file():
        as_of = json.loads(manifest.read_text(encoding="utf-8")).get("as_of")
    if as_of is None:
        raise InputError(
            f"{folder} holds no manifest.json with the as-of date of the previous "
            "output; point to a folder 'pathaudit audit' wrote."
        )
    day = pd.Timestamp(as_of)
    if day > data.as_of:
        raise InputError(
            f"The previous output in {folder} is as of {as_of}, after this "
            f"report's data ({data.as_of.date()}): pass an earlier output."
        )
    at = data if day == data.as_of else data.with_as_of(day)
    primary_parts = {
        "pay_parity": ["adjusted"],
        "time_to_promotion": ["difference"],
        "forced_management": ["profile"],
        "attrition": ["rate_ratio"],
    }
    run_of = runners()
    rows = []
    for name, st in stored.items():
        prim = st.headline.loc[st.headline["primary"].astype(bool)]
        if prim.empty:
            continue
        then = prim.iloc[0].to_dict()
        now = None
        if name in primary_parts:
            try:
                now = primary_row(
                    run_of[name](at, parts=primary_parts[name], seed=seed, **opts.get(name, {}))
                )
            except NeedsHistoryError:
                now = None
        unit = str(then.get("unit", ""))
        same = now is not None and fmt.figure(now["estimate"], unit) == fmt.figure(
            then["estimate"], unit
        )
        rows.append(
            [
                Cell(str(then["label"])),
                Cell(
                    fmt.figure(then["estimate"], unit),
                    "" if finite(then["estimate"]) else "†",
                    True,
                ),
                Cell(str(then.get("status", ""))),
                Cell(
                    fmt.figure(now["estimate"], unit) if now else SUPPRESSED_MARK,
                    "" if now and finite(now["estimate"]) else "†",
                    True,
                ),
                Cell(str(now["status"]) if now else "not recomputed"),
                Cell(
                    "not recomputed here"
                    if now is None
                    else "same"
                    if same
                    else "moved (records changed since)"
                ),
            ]
        )
    table = make_table(
        f"Published as of {as_of} beside today's recomputation for that date",
        ["Figure", "Published", "Status then", "Recomputed now", "Status now", "Reading"],
        rows,
        k,
    )
    return {"as_of": as_of, "table": table}
