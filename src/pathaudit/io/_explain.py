"""``explain_map``: what each export value became under the column map, and by which rule.

Before trusting an audit, a user checks the mapping: for every column the map maps
values of (``[values]``), derives (``[derive]``) or restricts to labels (track,
termination type, career preference, the left flag, the pay period), every distinct
export value, how many rows hold it, what it became and which rule decided it. Nothing
is checked between rows and nothing is excluded: this is phase 1 of loading, on its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.io._columns import _LEFT_FALSE, _LEFT_TRUE, _Columns
from pathaudit.io._context import LoadContext
from pathaudit.io._parse import clean_text
from pathaudit.io._rules import EXACT, apply_rules, derive_values, rule_kind
from pathaudit.io._sources import Reader
from pathaudit.io.mapping import ROW_ID, VALUE_TARGETS, ColumnMap, parse_map
from pathaudit.io.schema import TABLES

EXPLAIN_COLUMNS: tuple[str, ...] = (
    "table",
    "column",
    "export_column",
    "value",
    "rows",
    "becomes",
    "rule",
)
"""Columns of the :func:`explain_map` table."""

_PLACEHOLDER_DATE = "2199-12-31"


def _rule_text(key: str) -> str:
    kind = rule_kind(key) if key else ""
    if not key:
        return "no rule (as exported)"
    if kind == EXACT:
        return f'exact "{key}"'
    if kind == "default":
        return 'default "*"'
    return f'"{key}"'


def _explain_column(
    table: str, canonical: str, export: str, raw: pd.Series, cmap: ColumnMap, derived: bool
) -> pd.DataFrame:
    values = clean_text(raw).values
    spec = cmap.derive(canonical)
    shown = values
    bad = None
    if derived and spec is not None:
        values, bad = derive_values(values, spec)
    mapping = cmap.values(canonical)
    keep = VALUE_TARGETS.get(canonical) or ()
    if mapping:
        mapped = apply_rules(values, mapping, keep)
        becomes, rule = mapped.values, mapped.rule.map(_rule_text)
    else:
        becomes = values
        rule = pd.Series("no rule (as exported)", index=values.index)
    if bad is not None:
        rule = pd.Series(
            np.where(
                bad,
                f"[derive.{canonical}]: pattern does not match",
                f"[derive.{canonical}] then " + rule.astype(str),
            ),
            index=values.index,
        )
    if canonical == "left":  # yes/no, active/left ... are understood without a map
        folded = becomes.str.casefold()
        builtin = np.select(
            [folded.isin(_LEFT_TRUE).to_numpy(bool), folded.isin(_LEFT_FALSE).to_numpy(bool)],
            ["true", "false"],
            "",
        )
        use = (builtin != "") & ~np.isin(becomes.to_numpy(dtype=object), ["true", "false"])
        becomes = becomes.where(~use, pd.Series(builtin, index=becomes.index))
        rule = rule.where(~use, rule.astype(str) + " -> understood as " + pd.Series(builtin))
        keep = ("true", "false")
    if keep:
        known = becomes.str.casefold().isin([k.casefold() for k in keep])
        ok = (known.fillna(False) | becomes.isna()).to_numpy(dtype=bool)
        rule = rule.where(ok, rule.astype(str) + " -> not a known label")
    rule = rule.where(shown.notna().to_numpy(), "empty cell")
    frame = pd.DataFrame(
        {
            "value": shown.astype(object).where(shown.notna(), "(empty)"),
            "becomes": becomes.astype(object).where(becomes.notna(), "(empty)"),
            "rule": rule.astype(str),
        }
    )
    out = frame.groupby(["value", "becomes", "rule"], sort=False).size().rename("rows")
    out = out.reset_index().sort_values(["rows", "value"], ascending=[False, True])
    out.insert(0, "export_column", export)
    out.insert(0, "column", canonical)
    out.insert(0, "table", table)
    return out


def explain_map(
    data: str | Path | None,
    map: str | Path | dict[str, Any] | ColumnMap,  # noqa: A002 - the documented name
) -> pd.DataFrame:
    """Each distinct export value of each mapped column, what it becomes and by which rule.

    Parameters
    ----------
    data
        The export, as for :func:`pathaudit.load`.
    map
        The column map, as for :func:`pathaudit.load`.

    Returns
    -------
    pandas.DataFrame
        One row per table, canonical column and distinct export value: ``table``,
        ``column`` (canonical), ``export_column``, ``value`` (as exported, spaces
        trimmed), ``rows`` (how many rows hold it), ``becomes`` (the canonical value),
        ``rule`` (``exact "..."``, the pattern ``"re:..."`` or ``"contains:..."``,
        ``default "*"``, ``no rule (as exported)``, with ``[derive.<column>] then`` for
        derived columns; ``-> not a known label`` where the result is not an allowed
        label, which loading reports as an error). Columns listed: every column with a
        ``[values]`` or ``[derive]`` section, and every label column (track,
        termination type, career preference, left, pay period).

    Raises
    ------
    MapError, PrivacyError, InputError
        As :func:`pathaudit.load` for problems found before values are mapped (a
        missing file or column, direct identifiers).

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> table = pathaudit.explain_map(sample_dir(), sample_dir() / "map.toml")
    >>> table.loc[table["column"] == "track", ["value", "becomes"]].drop_duplicates().shape[0]
    2
    """
    cmap = parse_map(map)
    if cmap.config["export"].get("extract_date") is None:  # no date is needed to explain
        config = {**cmap.config, "export": {**cmap.config["export"]}}
        config["export"]["extract_date"] = _PLACEHOLDER_DATE
        config["export"]["history_start"] = (
            config["export"].get("history_start") or _PLACEHOLDER_DATE
        )
        cmap = ColumnMap(config=config, base_dir=cmap.base_dir)
    ld = LoadContext(cmap, None)
    reader = Reader(ld, data)
    parts: list[pd.DataFrame] = []
    try:
        sources = reader.sources()
        ld.raise_fatal()
        for table, src in sources.items():
            frame = reader.read(src)
            if frame is None or not len(frame):
                continue
            cols = _Columns(ld, src)
            resolved = cols.resolve(frame) or {}
            for col in TABLES[table]:
                export = resolved.get(col.name)
                if export is None or export == ROW_ID or col.kind not in ("str", "category"):
                    continue
                if not (
                    cmap.values(col.name)
                    or cmap.derive(col.name)
                    or col.kind == "category"
                    or col.name in VALUE_TARGETS
                ):
                    continue
                parts.append(
                    _explain_column(
                        table, col.name, export, frame[export], cmap, col.name in cols.derived
                    )
                )
        ld.raise_fatal()
    finally:
        reader.close()
    if not parts:
        return pd.DataFrame(columns=list(EXPLAIN_COLUMNS))
    out = pd.concat(parts, ignore_index=True)
    return out[list(EXPLAIN_COLUMNS)].astype({"rows": "int64"})
