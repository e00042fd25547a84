"""Phase 1 of loading: one table's export columns found, renamed and parsed.

:func:`canonical_table` finds every canonical column in the export (by the column
map, else by its own name, ignoring case, spaces and underscores), then parses it by
kind: text (spaces trimmed, ``[values]`` mapped), labels checked against the allowed
values, the ``left`` flag, numbers, whole-number grades and dates
(:mod:`pathaudit.io._dates`). Rows are numbered from 1 in file order (``row``).
"""

from __future__ import annotations

import difflib
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.io._context import LoadContext
from pathaudit.io._dates import read_dates
from pathaudit.io._messages import (
    AMBIGUOUS_NUMBER,
    BAD_GRADES,
    BAD_NUMBERS,
    DUPLICATE_COLUMN,
    MAX_VALUES_SHOWN,
    MISSING_COLUMN,
    UNKNOWN_LABEL,
    norm_name,
    rows_text,
)
from pathaudit.io._output import empty_column
from pathaudit.io._parse import clean_text, parse_numbers
from pathaudit.io._rules import EXACT, apply_rules, derive_values, rule_kind
from pathaudit.io._sources import Source
from pathaudit.io.mapping import ROW_ID, VALUE_TARGETS
from pathaudit.io.schema import TABLES, Column

_LEFT_TRUE = {"true", "yes", "y", "1", "left", "terminated", "inactive", "leaver"}
_LEFT_FALSE = {"false", "no", "n", "0", "active", "employed", "current", "stayer"}


def map_values(values: pd.Series, mapping: dict[str, Any], keep: tuple[str, ...] = ()) -> pd.Series:
    """Apply a ``[values]`` section: exact labels, then patterns in order, then ``"*"``.

    ``keep``: canonical labels that patterns and the default leave as they are.
    """
    return apply_rules(values, mapping, keep).values.astype(str)


_ACTIVE_WORDS = ("active", "employed", "current", "leave", "suspended", "probation")
"""Status words that say a person has not left: the fix for them is ``"none"``."""


def _active_fix(canonical: str, value: str) -> str:
    """``"none"`` for a termination type that is a status of current staff ("Active")."""
    if canonical == "termination_type" and any(w in value.casefold() for w in _ACTIVE_WORDS):
        return "none"
    return ""


def _reading(text: str, decimal: str) -> str:
    """How ``text`` reads with ``decimal`` as the decimal separator, for a message."""
    value = parse_numbers(pd.Series([text], dtype=str), decimal).values.iloc[0]
    return "?" if pd.isna(value) else f"{value:.15g}"


def _closest(value: str, allowed: tuple[str, ...], mapped: dict[str, str] | None = None) -> str:
    """The allowed value ``value`` most resembles: through the map's own labels first.

    ``mapped`` (export label -> canonical value, the map's ``[values.*]``) lets a misspelt
    export label ("People Managers") go to the value its close neighbour ("People Manager")
    maps to, not to the canonical code that happens to share letters with it.
    """
    labels = {str(k).casefold(): v for k, v in (mapped or {}).items() if v in allowed}
    labels.update({a.casefold(): a for a in allowed})
    match = difflib.get_close_matches(value.casefold(), list(labels), n=1, cutoff=0.6)
    return labels[match[0]] if match else allowed[0]


class _Columns:
    """Phase 1 for one table read from ``src``."""

    def __init__(self, ld: LoadContext, src: Source) -> None:
        self.ld = ld
        self.q = ld.q
        self.cmap = ld.cmap
        self.table = src.table
        self.label = src.label
        self.ids: pd.Series | None = None
        """The table's person IDs (cleaned), to name people in phase-1 messages."""
        self.derived: dict[str, str] = {}
        """Canonical column -> the export column it is derived from (``[derive]``)."""

    def resolve(self, frame: pd.DataFrame) -> dict[str, str] | None:
        """Canonical column -> export column actually present; fatal for missing ones."""
        table = self.table
        mapping = self.cmap.columns(table)
        headers = list(frame.columns)
        by_norm: dict[str, str] = {}
        for h in headers:
            by_norm.setdefault(norm_name(h), h)
        resolved: dict[str, str] = {}
        forgiving: list[str] = []
        ok = True
        wanted = [(c.name, c.required) for c in TABLES[table]]
        if table in ("history", "snapshot") and self.cmap.grade_column is not None:
            wanted.append(("grade", True))
        for canonical, required in wanted:
            if canonical == "grade" and table in ("history", "snapshot"):
                export_name = str(self.cmap.grade_column)
                explicit = True
            else:
                explicit = canonical in mapping
                export_name = mapping.get(canonical, canonical)
            if canonical == "employee_id" and export_name == ROW_ID and table == "snapshot":
                resolved[canonical] = ROW_ID
                continue
            spec = self.cmap.derive(canonical)
            if spec is not None and not explicit:
                source = str(spec["from"])
                found = source if source in headers else by_norm.get(norm_name(source))
                if found is not None:
                    resolved[canonical] = found
                    self.derived[canonical] = found
                    continue
            if export_name in headers:
                resolved[canonical] = export_name
                continue
            hit = by_norm.get(norm_name(export_name))
            if hit is not None:
                resolved[canonical] = hit
                forgiving.append(f"{canonical} = '{hit}'")
                continue
            if explicit or required:
                ok = False
                norm_headers = {norm_name(h): h for h in headers}
                close = difflib.get_close_matches(
                    norm_name(export_name), list(norm_headers), n=1, cutoff=0.6
                )
                self.q.add(
                    table,
                    "missing_column",
                    "fatal",
                    0,
                    MISSING_COLUMN.format(
                        column=export_name,
                        file=self.label,
                        found=headers,
                        table=table,
                        canonical=canonical,
                        suggestion=norm_headers[close[0]] if close else "...",
                    ),
                    file=self.label,
                    column=export_name,
                )
        if forgiving:
            self.q.add(
                table,
                "column_matched",
                "note",
                len(frame),
                "columns matched ignoring case, spaces and underscores: " + ", ".join(forgiving),
                file=self.label,
            )
        ok = self.duplicate_headers(frame, resolved) and ok
        return resolved if ok else None

    def duplicate_headers(self, frame: pd.DataFrame, resolved: dict[str, str]) -> bool:
        """Headers the export repeats: fatal where the map uses one, else noted.

        Readers rename a repeated header (``'Hire Date'``, ``'Hire Date.1'``); the names
        as written are in ``frame.attrs["duplicate_headers"]`` (name -> count).
        """
        dups: dict[str, int] = frame.attrs.get("duplicate_headers", {})
        used = {export: canonical for canonical, export in resolved.items()}
        ok = True
        for name, k in dups.items():
            if name in used:
                ok = False
                self.q.add(
                    self.table,
                    "duplicate_column",
                    "fatal",
                    0,
                    DUPLICATE_COLUMN.format(
                        file=self.label, k=k, column=name, canonical=used[name]
                    ),
                    file=self.label,
                    column=name,
                )
            else:
                self.q.add(
                    self.table,
                    "duplicate_column",
                    "note",
                    len(frame),
                    f"the header names {k} columns '{name}'; the column map does not use "
                    "them, so they are ignored",
                    file=self.label,
                    column=name,
                )
        return ok

    def derive(self, canonical: str, export: str, s: pd.Series) -> pd.Series:
        """A canonical column derived from export column ``export`` by ``[derive]``."""
        spec = self.cmap.derive(canonical) or {}
        out, bad = derive_values(clean_text(s).values, spec)
        if bad.any():
            shown = pd.unique(clean_text(s).values[bad].astype(str))
            rows = np.flatnonzero(bad) + 1
            listed = ", ".join(f"'{v}'" for v in shown[:MAX_VALUES_SHOWN])
            more = (
                f" and {len(shown) - MAX_VALUES_SHOWN} more"
                if len(shown) > MAX_VALUES_SHOWN
                else ""
            )
            self.q.add(
                self.table,
                "derive_no_match",
                "fatal",
                len(rows),
                f"[derive.{canonical}] pattern {spec.get('pattern')!r} does not match "
                f"{len(shown)} values of column '{export}' of {self.label} ({listed}{more}; "
                f"rows {rows_text(rows)}). Widen the pattern, or give the value to use then: "
                f'[derive.{canonical}] default = "..."',
                file=self.label,
                column=export,
                rows=rows,
            )
        return out

    def count_rules(self, canonical: str, export: str, matched: pd.Series) -> None:
        """Note how many rows each rule of ``[values.<canonical>]`` matched (and none did)."""
        present = matched.notna().to_numpy()
        counts = pd.Series(matched.to_numpy()[present]).value_counts(sort=False)
        rules = list(self.cmap.values(canonical))
        parts = [f"'{r}' {int(counts.get(r, 0))}" for r in rules]
        unmatched = int(counts.get("", 0))
        self.q.add(
            self.table,
            "value_rules",
            "note",
            int(present.sum()) - unmatched,
            f"[values.{canonical}] rows matched per rule: "
            + ", ".join(parts)
            + f"; matched by no rule: {unmatched}",
            file=self.label,
            column=export,
        )

    def text(self, canonical: str, export: str, s: pd.Series) -> pd.Series:
        parsed = clean_text(s)
        n = int(parsed.stripped.sum())
        if n:
            self.q.add(
                self.table,
                "trailing_spaces",
                "repaired",
                n,
                "leading or trailing spaces removed",
                file=self.label,
                column=export,
                rows=np.flatnonzero(parsed.stripped)[:10] + 1,
            )
        values = parsed.values
        mapping = self.cmap.values(canonical)
        if mapping:
            mapped = apply_rules(values, mapping, VALUE_TARGETS.get(canonical) or ())
            matched = mapped.rule.where(values.notna().to_numpy(), None)
            if any(rule_kind(str(k)) != EXACT for k in mapping):
                self.count_rules(canonical, export, matched)
            values = mapped.values.astype(str)
        return values

    def unknown_label(
        self,
        canonical: str,
        export: str,
        value: object,
        rows: np.ndarray,
        *,
        what: str,
        allowed: str,
        example: str,
    ) -> None:
        """Fatal: ``value`` (in ``rows``, counted from 1) is not an allowed label."""
        self.q.add(
            self.table,
            f"unknown_{canonical}",
            "fatal",
            len(rows),
            UNKNOWN_LABEL.format(
                what=what,
                value=value,
                column=export,
                file=self.label,
                n=len(rows),
                rows=rows_text(rows),
                allowed=allowed,
                canonical=canonical,
                example=example,
            ),
            file=self.label,
            column=export,
            rows=rows,
        )

    def category(self, col: Column, export: str, s: pd.Series) -> pd.Series:
        values = self.text(col.name, export, s)
        if col.name == "career_preference" and not self.cmap.values("career_preference"):
            track_map = self.cmap.values("track")
            if track_map:
                values = map_values(values, track_map, col.values)
        if col.name == "termination_type":
            values = self.not_terminated(export, values)
        allowed = col.values
        fold = {a.casefold(): a for a in allowed}
        codes, uniques = pd.factorize(values)
        u = pd.Series(uniques, dtype=str)
        exact = u.isin(allowed).to_numpy()
        folded = u.str.casefold().map(fold)
        case_fixed = ~exact & folded.notna().to_numpy()
        unknown = ~exact & ~case_fixed
        if case_fixed.any():
            u = u.where(~case_fixed, folded)
            n = int(np.isin(codes, np.flatnonzero(case_fixed)).sum())
            self.q.add(
                self.table,
                "label_case",
                "repaired",
                n,
                f"labels written in another case were read as {', '.join(allowed)}",
                file=self.label,
                column=export,
            )
        what = {"track": "Track label", "termination_type": "Termination type"}.get(
            col.name, "Value"
        )
        self.more_unknown(col.name, export, uniques, codes, np.flatnonzero(unknown))
        for ui in np.flatnonzero(unknown)[:MAX_VALUES_SHOWN]:
            self.unknown_label(
                col.name,
                export,
                uniques[ui],
                np.flatnonzero(codes == ui) + 1,
                what=what,
                allowed=", ".join(allowed)
                + (
                    ' or "none" (not terminated: a status such as Active)'
                    if col.name == "termination_type"
                    else ""
                ),
                example=_active_fix(col.name, str(uniques[ui]))
                or _closest(str(uniques[ui]), allowed, self.cmap.values(col.name)),
            )
        # each distinct label converted once, then spread to the rows (missing where missing)
        labels = pd.array(u.to_numpy(dtype=object, na_value=np.nan), dtype=str)
        return pd.Series(labels.take(codes, allow_fill=True), index=values.index)

    def not_terminated(self, export: str, values: pd.Series) -> pd.Series:
        """Values mapped to ``"none"`` (a status such as "Active"): not terminated, cleared."""
        none = (values == "none").to_numpy(dtype=bool, na_value=False)
        if none.any():
            self.q.add(
                self.table,
                "status_not_terminated",
                "note",
                int(none.sum()),
                'statuses mapped to "none" in [values.termination_type] mean the person has '
                "not left: no termination type",
                file=self.label,
                column=export,
            )
            values = values.where(~none)
        return values

    def more_unknown(
        self, canonical: str, export: str, uniques: Any, codes: np.ndarray, unknown: np.ndarray
    ) -> None:
        """One finding for the unknown labels beyond the first ones listed (none is hidden)."""
        rest = unknown[MAX_VALUES_SHOWN:]
        if not len(rest):
            return
        rows = np.flatnonzero(np.isin(codes, rest)) + 1
        names = ", ".join(f"'{uniques[i]}'" for i in rest)
        self.q.add(
            self.table,
            f"unknown_{canonical}",
            "fatal",
            len(rows),
            f"{len(rest)} more labels in column '{export}' of {self.label} are not mapped "
            f"({names}; rows {rows_text(rows)}). Map them in [values.{canonical}], or map "
            'many at once with a pattern ("re:manager|director" = ...) or a default ("*" = ...).',
            file=self.label,
            column=export,
            rows=rows,
        )

    def left(self, export: str, s: pd.Series) -> pd.Series:
        values = self.text("left", export, s)
        folded = values.str.casefold()
        out = pd.Series(np.nan, index=values.index, dtype=str)
        out.loc[folded.isin(_LEFT_TRUE).to_numpy()] = "true"
        out.loc[folded.isin(_LEFT_FALSE).to_numpy()] = "false"
        unknown = values.notna() & out.isna()
        lcodes, luniques = pd.factorize(values.where(unknown))
        self.more_unknown("left", export, luniques, lcodes, np.arange(len(luniques)))
        for value in pd.unique(values[unknown])[:MAX_VALUES_SHOWN]:
            self.unknown_label(
                "left",
                export,
                value,
                np.flatnonzero((values == value).to_numpy(dtype=bool, na_value=False)) + 1,
                what="Value",
                allowed="true, false",
                example="true",
            )
        return out

    def number(
        self, canonical: str, export: str, s: pd.Series, *, integer: bool = False
    ) -> pd.Series:
        parsed = parse_numbers(s, self.cmap.decimal_separator(self.table, canonical))
        if parsed.decimal_comma.any():
            rows = np.flatnonzero(parsed.decimal_comma) + 1
            self.q.add(
                self.table,
                "decimal_comma",
                "repaired",
                len(rows),
                "numbers written with a decimal comma and '.' as thousands separator "
                "(1.234,5) were read as such",
                file=self.label,
                column=export,
                rows=rows,
            )
        if parsed.ambiguous.any():
            first = str(s.iloc[int(np.flatnonzero(parsed.ambiguous)[0])]).strip()
            self.ld.fatal_values(
                self.table,
                self.label,
                export,
                s,
                parsed.ambiguous,
                "ambiguous_number",
                AMBIGUOUS_NUMBER,
                table=self.table,
                canonical=canonical,
                as_point=_reading(first, "."),
                as_comma=_reading(first, ","),
            )
        if parsed.reformatted.any():
            n = int(parsed.reformatted.sum())
            self.q.add(
                self.table,
                "number_format",
                "repaired",
                n,
                "numbers written with thousands separators or a currency sign were read "
                "without them",
                file=self.label,
                column=export,
                rows=np.flatnonzero(parsed.reformatted) + 1,
            )
        bad = parsed.bad
        values = parsed.values
        template, rule = BAD_NUMBERS, "bad_number"
        if integer:
            frac = values.notna() & (values != np.floor(values))
            bad = bad | frac.to_numpy()
            template, rule = BAD_GRADES, "bad_grade"
        if bad.any():
            self.ld.fatal_values(
                self.table, self.label, export, s, bad, rule, template, strip=False
            )
        return values

    def parse(self, col: Column, export: str, s: pd.Series) -> pd.Series:
        """One export column parsed by the kind of its canonical column."""
        if col.name == "left":
            return self.left(export, s)
        if col.kind == "str":
            return self.text(col.name, export, s)
        if col.kind == "category":
            return self.category(col, export, s)
        if col.kind == "float":
            return self.number(col.name, export, s)
        if col.kind == "int":
            return self.number(col.name, export, s, integer=True)
        return read_dates(self.ld, self.table, self.label, col.name, export, s, self.ids)


def canonical_table(ld: LoadContext, src: Source, frame: pd.DataFrame) -> pd.DataFrame | None:
    """Phase 1 for one table: columns renamed and parsed, ``row`` added.

    Parameters
    ----------
    ld
        The load, whose report receives every finding.
    src
        Where the table was read from.
    frame
        The raw table as read.

    Returns
    -------
    pandas.DataFrame or None
        The table's canonical columns (missing optional ones empty), ``grade`` where
        the map names a grade column, and ``row`` (1-based file order); the names of
        the columns found in the export are in ``attrs["present"]``. ``None`` when a
        required or mapped column is missing (reported as fatal).
    """
    cols_of = _Columns(ld, src)
    table = src.table
    resolved = cols_of.resolve(frame)
    if resolved is None:
        return None
    row_ids = resolved.get("employee_id") == ROW_ID
    if row_ids:  # employee_id = "@row": the row number (snapshots only)
        frame = frame.assign(**{ROW_ID: np.arange(1, len(frame) + 1).astype(str)})
    if "employee_id" in resolved:
        cols_of.ids = clean_text(frame[resolved["employee_id"]]).values
    cols: dict[str, Any] = {}
    for col in TABLES[table]:
        export = resolved.get(col.name)
        if export is None:
            cols[col.name] = empty_column(col.kind, len(frame))
        elif col.name in cols_of.derived:
            derived = cols_of.derive(col.name, export, frame[export])
            cols[col.name] = cols_of.parse(col, f"{export} ([derive.{col.name}])", derived)
        else:
            cols[col.name] = cols_of.parse(col, export, frame[export])
    if "grade" in resolved and table in ("history", "snapshot"):
        raw_grade = frame[resolved["grade"]]
        label = resolved["grade"]
        if ld.cmap.derive("grade") is not None:  # a grade made by a rule: [derive.grade]
            raw_grade = cols_of.text("grade", label, cols_of.derive("grade", label, raw_grade))
            label = f"{label} ([derive.grade])"
        cols["grade"] = cols_of.number("grade", label, raw_grade, integer=True)
    out = pd.DataFrame(cols, index=frame.index)
    out["row"] = np.arange(1, len(out) + 1, dtype="int64")
    out.attrs["present"] = sorted(resolved)
    return out
