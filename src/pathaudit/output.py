"""Publishing results: the publish-stage privacy step, JSON-safe values, the versioned output.

Suppression happens in two stages. **Primary** suppression happens when a
:class:`~pathaudit.result.Result` is built (:func:`~pathaudit.result.make_result`: every
group below the minimum cell size k). **Secondary** (complementary) suppression happens
here, at publish time, across everything published together: a bundle's summary and HTML,
an audit folder, a report. :func:`publish` is that one interface; every writer and every
view calls it, so a notebook user sees the same protection as the command line.

An audit folder holds, per analysis, ``<analysis>.json`` (:meth:`AnalysisResult.to_json`:
the versioned schema), ``tables/<analysis>__<part>[__<table>].csv`` (rounded for display)
and ``data/<analysis>__<part>[__<table>].parquet`` (full precision); :func:`read_output`
reads such a folder back (the report compares with last quarter's).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from pathaudit.errors import InputError
from pathaudit.result import OUTPUT_SCHEMA_VERSION, AnalysisResult, Result, blank_rows


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
        The same results, with further rows suppressed where a published additive
        relation (:func:`additive_relations`: a total row of a table and its parts, a
        table whose groups are a subset of another's and the sums of that table's rows)
        would let a reader recover a suppressed cell. Secondary rows are chosen by a
        heuristic iterated to a fixpoint across linked tables
        (:func:`complementary_suppression`); ``docs/privacy.md`` states the attacker it
        is tested against and what it does not cover.

    Raises
    ------
    ValueError
        When ``k`` is below 1, or a result does not declare its group columns (it was not
        built by :func:`~pathaudit.result.make_result`).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1; got {k}.")
    frames: dict[tuple[str, str], pd.DataFrame] = {}
    groups: dict[tuple[str, str], list[str]] = {}
    for name, res in results.items():
        for table, cols in published_groups(name, res).items():
            frames[(name, table)] = res.table if table == "" else res.tables[table]
            groups[(name, table)] = cols
    shown = complementary_suppression(frames, groups)
    out = {}
    for name, res in results.items():
        out[name] = replace(res, table=shown[(name, "")],
                            tables={t: shown[(name, t)] for t in res.tables})
    return out


TOTAL_LABELS: frozenset[str] = frozenset({"all", "overall", "total"})
"""Group values that name a margin: the row of everyone the other rows split."""

COUNT_COLUMNS: tuple[str, ...] = (
    "events", "exits", "numerator", "denominator", "promoted", "promotions", "spells",
    "switches", "events_ic", "events_m", "events_switchers", "events_controls",
    "regretted_exits", "voluntary_exits",
    "n", "n_ic", "n_m", "n_men", "n_women", "n_switchers", "n_controls", "n_reference",
    "n_group",
)
"""Additive columns that count people (or events of people): they sum over a margin. The
people counts (:data:`PEOPLE_COLUMNS`) are among them: a group's size recovered from a
margin is a small cell too."""

PEOPLE_COLUMNS: frozenset[str] = frozenset(
    {"n", "n_ic", "n_m", "n_men", "n_women", "n_switchers", "n_controls", "n_reference",
     "n_group"})
"""Counts of distinct people. A person can be in two groups of a margin (a switcher in both
tracks), so the total can be below the sum of its parts: a relation on these columns is
kept only where the published numbers show it (never assumed "at least")."""

AMOUNT_COLUMNS: tuple[str, ...] = ("person_years", "eligible", "person_years_ic",
                                   "person_years_m")
"""Additive columns that are amounts (person-time): they sum over a margin."""

ADDITIVE_COLUMNS: tuple[str, ...] = COUNT_COLUMNS + AMOUNT_COLUMNS

COUNT_WIDTH = 2.0
"""A suppressed count must stay uncertain by at least this many people either way."""


class Relation(NamedTuple):
    """One published additive relation: ``total`` = (or >=) the sum of ``parts``.

    Each member is ``(table key, row label)``; a table key is ``(result, table)`` with
    ``""`` for a result's main table. ``exact``: the relation is an equality in
    ``columns``; otherwise the total is at least the sum (a margin with an unpublished
    part, e.g. exits of kind "other" in an "all" row).
    """

    total: tuple[tuple[str, str], Any]
    parts: tuple[tuple[tuple[str, str], Any], ...]
    columns: tuple[str, ...]
    exact: bool = True


class _Texts:
    """The group columns of tables published together, as text: converted once each.

    Rows of different tables are matched on the text of their group values (``"<NA>"`` for
    a missing value), so that ``2021`` in one table and ``"2021"`` in another agree. Every
    relation reads the same few columns many times: each column is converted once, each
    key (a tuple of columns joined) built once.
    """

    def __init__(self, frames: Mapping[Any, pd.DataFrame]) -> None:
        self.frames = frames
        self._columns: dict[tuple[Any, str], np.ndarray] = {}
        self._keys: dict[tuple[Any, tuple[str, ...]], np.ndarray] = {}
        self._totals: dict[tuple[Any, str], np.ndarray] = {}
        self._unique: dict[tuple[Any, tuple[str, ...]], bool] = {}
        self._parts: dict[tuple[Any, tuple[str, ...], tuple[str, ...]], dict[Any, list[int]]] = {}

    def column(self, key: Any, col: str) -> np.ndarray:
        """The column as an object array of ``str`` (``"<NA>"`` where missing)."""
        if (key, col) not in self._columns:
            text = self.frames[key][col].astype("string").fillna("<NA>")
            self._columns[(key, col)] = text.to_numpy(dtype=object)
        return self._columns[(key, col)]

    def key(self, key: Any, cols: list[str] | tuple[str, ...]) -> np.ndarray:
        """Each row's group values joined by a unit separator (``"*"`` for no columns)."""
        cols = tuple(cols)
        if (key, cols) not in self._keys:
            if not cols:
                joined = np.full(len(self.frames[key]), "*", dtype=object)
            else:
                joined = self.column(key, cols[0])
                for col in cols[1:]:
                    joined = joined + "\x1f" + self.column(key, col)
            self._keys[(key, cols)] = joined
        return self._keys[(key, cols)]

    def total(self, key: Any, col: str) -> np.ndarray:
        """Where the column names a margin (:data:`TOTAL_LABELS`, any case)."""
        if (key, col) not in self._totals:
            text = self.column(key, col)
            # each distinct value lower-cased once; a missing value is no margin
            labels = [t for t in set(text.tolist()) if t.lower() in TOTAL_LABELS]
            total = np.zeros(len(text), dtype=bool)
            if labels:
                total = (pd.Series(text).isin(labels).to_numpy(bool)
                         & self.frames[key][col].notna().to_numpy(bool))
            self._totals[(key, col)] = total
        return self._totals[(key, col)]

    def parts(self, key: Any, cols: list[str], other: list[str]) -> dict[Any, list[int]]:
        """Key on ``cols`` -> positions of the rows holding it (the parts of another table).

        Rows where one of the ``other`` group columns names a margin are left out.
        """
        memo = (key, tuple(cols), tuple(other))
        if memo not in self._parts:
            keep = np.ones(len(self.frames[key]), dtype=bool)
            for c in other:
                keep &= ~self.total(key, c)
            self._parts[memo] = _positions(self.key(key, cols), np.flatnonzero(keep))
        return self._parts[memo]

    def one_per_group(self, key: Any, cols: list[str]) -> bool:
        """Whether the table has one row per group (a curve over time has not)."""
        memo = (key, tuple(cols))
        if memo not in self._unique:
            k = self.key(key, cols)
            self._unique[memo] = len(set(k.tolist())) == len(k)
        return self._unique[memo]


def _positions(keys: np.ndarray, rows: np.ndarray) -> dict[Any, list[int]]:
    """Key -> positions (among ``rows``, in order) of the rows holding it."""
    out: dict[Any, list[int]] = {}
    for i, k in zip(rows.tolist(), keys[rows].tolist(), strict=True):
        out.setdefault(k, []).append(i)
    return out


def _within(key: tuple[str, str], frame: pd.DataFrame, groups: list[str],
            columns: tuple[str, ...], texts: _Texts) -> Iterator[tuple[Any, Relation]]:
    """Margins inside one table: a row whose group value is a total and the rows it splits."""
    pairs = [("by", "group")] if {"by", "group"} <= set(groups) else []
    singles = [g for g in groups if g not in {"by", "group"} or not pairs]
    labels = frame.index.tolist()
    for g in singles:
        total = texts.total(key, g)
        if not total.any() or total.all():
            continue
        k = texts.key(key, [c for c in groups if c != g])
        rows_of = _positions(k, np.flatnonzero(~total))
        for t in np.flatnonzero(total).tolist():
            members = rows_of.get(k[t], [])
            if members:
                yield (key, g), Relation((key, labels[t]), tuple((key, labels[m]) for m in members),
                                         columns)
    for by, grp in pairs:
        total = np.array([t.lower() == "overall" for t in texts.column(key, by)], dtype=bool)
        total &= frame[by].notna().to_numpy(bool)
        if not total.any() or total.all():
            continue
        k = texts.key(key, [c for c in groups if c not in (by, grp)])
        totals = np.flatnonzero(total).tolist()
        for b in frame.loc[~total, by].dropna().unique():
            rows_of = _positions(k, np.flatnonzero((frame[by] == b).to_numpy(bool)))
            for t in totals:
                members = rows_of.get(k[t], [])
                if members:
                    # each grouping is its own pattern: a reader checks whether the rows of
                    # one grouping add up to the overall rows on that grouping's numbers
                    yield (key, by, b), Relation((key, labels[t]),
                                                 tuple((key, labels[m]) for m in members),
                                                 columns)


def _across(small: tuple[str, str], big: tuple[str, str], frames: Mapping[Any, pd.DataFrame],
            groups: Mapping[Any, list[str]], texts: _Texts) -> Iterator[tuple[Any, Relation]]:
    """A table whose groups are a strict subset of another's: each row sums the other's rows."""
    gs, gb = groups[small], groups[big]
    if not set(gs) < set(gb):
        return
    columns = tuple(c for c in ADDITIVE_COLUMNS
                    if c in frames[small].columns and c in frames[big].columns)
    if not columns:
        return
    if not (texts.one_per_group(small, list(gs)) and texts.one_per_group(big, list(gb))):
        return  # rows not one per group (a curve over time): no table of totals
    rows_of = texts.parts(big, list(gs), [c for c in gb if c not in gs])
    big_labels, small_labels = frames[big].index.tolist(), frames[small].index.tolist()
    for t, tkey in enumerate(texts.key(small, list(gs)).tolist()):
        members = rows_of.get(tkey, [])
        if members:
            yield (small, big), Relation((small, small_labels[t]),
                                         tuple((big, big_labels[m]) for m in members), columns)


_YEAR = re.compile(r"\d{4}")
_QUARTER = re.compile(r"\d{4}Q[1-4]")


def _year_of_quarters(
    years: tuple[str, str], quarters: tuple[str, str], frames: Mapping[Any, pd.DataFrame],
    groups: Mapping[Any, list[str]], texts: _Texts,
) -> Iterator[tuple[Any, Relation]]:
    """A table by year and one by quarter, same groups: a year's row sums its quarters' rows.

    The period labels differ (``2021`` and ``2021Q3``), so no group subset shows the
    relation; ``months`` (12 and 3), where a group, is the window, not a group to match.
    """
    g = list(groups[years])
    if "period" not in g or set(g) != set(groups[quarters]):
        return
    fy, fq = frames[years], frames[quarters]
    columns = tuple(c for c in ADDITIVE_COLUMNS if c in fy.columns and c in fq.columns)
    if not columns:
        return
    py, pq = texts.column(years, "period"), texts.column(quarters, "period")
    if not (fy["period"].notna().all() and fq["period"].notna().all()
            and all(_YEAR.fullmatch(p) for p in py)
            and all(_QUARTER.fullmatch(p) for p in pq)):
        return
    rest = [c for c in g if c not in ("period", "months")]
    ky = py + "\x1f" + texts.key(years, rest)
    kq = np.array([p[:4] for p in pq], dtype=object) + "\x1f" + texts.key(quarters, rest)
    rows_of = _positions(kq, np.arange(len(kq)))
    labels_y, labels_q = fy.index.tolist(), fq.index.tolist()
    for t, tkey in enumerate(ky.tolist()):
        members = rows_of.get(tkey, [])
        if members:
            yield (years, quarters), Relation((years, labels_y[t]),
                                              tuple((quarters, labels_q[m]) for m in members),
                                              columns)


def additive_relations(
    frames: Mapping[tuple[str, str], pd.DataFrame], groups: Mapping[tuple[str, str], list[str]]
) -> list[Relation]:
    """Every additive relation a reader can derive from tables published together.

    Parameters
    ----------
    frames
        ``(result, table)`` -> the published table.
    groups
        ``(result, table)`` -> its group columns.

    Returns
    -------
    list of Relation
        Margins within a table (a row whose group value is ``all``, ``overall`` or
        ``total``, and the rows with the same other groups; management's ``by`` =
        ``overall`` against each other ``by``), totals across tables (a table whose
        group columns are a strict subset of another's: each of its rows is the sum of the
        other's rows that agree on those columns) and a year against its quarters (a
        table by year and one by quarter with the same other groups), on the additive
        columns both hold
        (:data:`ADDITIVE_COLUMNS`). A candidate is kept, per column, only as the
        published numbers show it: exact where every instance with all its members
        displayed adds up, "at least" where each total is at least the sum of its parts
        (and where no instance can be checked), dropped otherwise (person-time repeated
        for each kind of exit is not a sum).
    """
    candidates: list[tuple[Any, Relation]] = []
    keys = list(frames)
    texts = _Texts(frames)
    for key in keys:
        frame = frames[key]
        columns = tuple(c for c in ADDITIVE_COLUMNS if c in frame.columns)
        if columns and len(frame):
            candidates += list(_within(key, frame, groups[key], columns, texts))
    for small in keys:
        for big in keys:
            if small != big and len(frames[small]) and len(frames[big]):
                candidates += list(_across(small, big, frames, groups, texts))
                candidates += list(_year_of_quarters(small, big, frames, groups, texts))
    # each column as {row label: number} once: a relation reads its cells by label
    numbers = {
        key: {
            c: dict(zip(f.index, pd.to_numeric(f[c], errors="coerce").to_numpy(
                dtype=float, na_value=np.nan), strict=True))
            for c in ADDITIVE_COLUMNS if c in f.columns
        }
        for key, f in frames.items()
    }

    def get(member: tuple[tuple[str, str], Any], col: str) -> float:
        return float(numbers[member[0]][col][member[1]])

    verdict: dict[tuple[Any, str], str] = {}
    for pattern, rel in candidates:
        for col in rel.columns:
            total = get(rel.total, col)
            parts = [get(m, col) for m in rel.parts]
            if not (np.isfinite(total) and np.all(np.isfinite(parts))):
                continue
            diff = total - float(np.sum(parts))
            tol = 1e-6 * max(1.0, abs(total))
            now = "eq" if abs(diff) <= tol else ("ge" if diff > 0 else "no")
            before = verdict.get((pattern, col), "eq")
            verdict[(pattern, col)] = "no" if "no" in (now, before) else (
                "ge" if "ge" in (now, before) else "eq")
    out: list[Relation] = []
    for pattern, rel in candidates:
        kinds = {c: verdict.get((pattern, c), "no" if c in PEOPLE_COLUMNS else "ge")
                 for c in rel.columns}
        for exact in (True, False):
            cols = tuple(c for c, v in kinds.items() if v == ("eq" if exact else "ge"))
            if cols:
                out.append(rel._replace(columns=cols, exact=exact))
    return out


def complementary_suppression(
    frames: Mapping[tuple[str, str], pd.DataFrame], groups: Mapping[tuple[str, str], list[str]]
) -> dict[tuple[str, str], pd.DataFrame]:
    """Secondary suppression across linked tables, iterated to a fixpoint.

    For every relation of :func:`additive_relations`: where exactly one member is
    suppressed, the smallest displayed part (by ``n``, then by its counts) goes too (the
    total when no part is displayed); where the total is displayed, parts are added, the
    smallest first, until the suppressed parts hide at least ``2 x COUNT_WIDTH`` in every
    count column (so no suppressed count is known to within two people). Suppressing a row
    can break another relation, so the pass repeats until nothing changes. An optimal
    choice (fewest cells) is NP-hard; this heuristic is not optimal and is checked by the
    linear-programming attacker of the tests (``docs/privacy.md``).
    """
    out = {key: frame.copy() for key, frame in frames.items()}
    sup = {key: (frame["suppressed"].astype(bool).to_numpy().copy() if "suppressed" in frame
                 else np.zeros(len(frame), dtype=bool)) for key, frame in out.items()}
    pos = {key: {label: i for i, label in enumerate(frame.index)} for key, frame in out.items()}
    relations = [r for r in additive_relations(out, groups)
                 if all("suppressed" in out[m[0]] for m in (r.total, *r.parts))]

    def hidden(member: tuple[tuple[str, str], Any]) -> bool:
        return bool(sup[member[0]][pos[member[0]][member[1]]])

    numeric: dict[tuple[tuple[str, str], str], pd.Series | None] = {}

    def number(member: tuple[tuple[str, str], Any], col: str) -> float:
        """The cell as a number (NaN when missing or not a number); columns converted once."""
        key = member[0]
        if (key, col) not in numeric:
            frame = out[key]
            numeric[(key, col)] = (
                pd.to_numeric(frame[col], errors="coerce").astype("float64")
                if col in frame.columns else None
            )
        values = numeric[(key, col)]
        return np.nan if values is None else float(values.loc[member[1]])

    def size(member: tuple[tuple[str, str], Any]) -> float:
        n = number(member, "n")
        return n if np.isfinite(n) else np.inf

    def value(member: tuple[tuple[str, str], Any], col: str) -> float:
        v = number(member, col)
        return v if np.isfinite(v) else np.nan

    def hide(member: tuple[tuple[str, str], Any]) -> None:
        sup[member[0]][pos[member[0]][member[1]]] = True

    as_total: dict[tuple[tuple[str, str], Any], list[Relation]] = {}
    for rel in relations:
        as_total.setdefault(rel.total, []).append(rel)

    def floor(member: tuple[tuple[str, str], Any], col: str) -> float:
        """What a hidden total is known to be at least: the sum of its displayed parts."""
        best = 0.0
        for rel in as_total.get(member, []):
            if col in rel.columns:
                known = [value(m, col) for m in rel.parts if not hidden(m)]
                best = max(best, float(np.nansum(known)))
        return best

    changed = True
    while changed:
        changed = False
        for rel in relations:
            members = [rel.total, *rel.parts]
            n_hidden = sum(hidden(m) for m in members)
            if n_hidden == 0:
                continue
            shown_parts = sorted((m for m in rel.parts if not hidden(m)), key=size)
            if rel.exact and n_hidden == 1 and len(members) > 1:
                hide(shown_parts[0] if shown_parts else rel.total)
                changed = True
                continue
            if hidden(rel.total):
                continue
            counts = [c for c in rel.columns if c in COUNT_COLUMNS]
            for c in counts:
                # what the hidden parts share beyond what each is known to hold at least
                rest = (value(rel.total, c) - sum(value(m, c) for m in shown_parts)
                        - sum(floor(m, c) for m in rel.parts if hidden(m)))
                while np.isfinite(rest) and rest < 2 * COUNT_WIDTH and shown_parts:
                    m = shown_parts.pop(0)
                    hide(m)
                    rest += value(m, c) - floor(m, c)
                    changed = True
                if np.isfinite(rest) and rest < 2 * COUNT_WIDTH and not shown_parts:
                    hide(rel.total)
                    changed = True
                    break
    result = {}
    for key, frame in out.items():
        if "suppressed" not in frame or not (sup[key] & ~frame["suppressed"].astype(bool)
                                             .to_numpy()).any():
            result[key] = frame
            continue
        result[key] = blank_rows(frame, sup[key], groups[key])
    return result


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


TABLES_DIR = "tables"
"""Folder of the CSV tables (rounded for display) in an output folder."""
DATA_DIR = "data"
"""Folder of the same tables at full precision (Parquet) in an output folder."""

DISPLAY_DIGITS = 4
"""Significant digits a non-integer figure keeps in a display CSV (values of 1,000 or more
are rounded to whole units). Full precision stays in the Parquet copy."""


def display_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A table rounded for display: whole-number columns as integers, other figures rounded.

    A float column whose values are all whole numbers (counts, grades, years) becomes a
    nullable integer column; any other float keeps :data:`DISPLAY_DIGITS` significant
    digits, and a value of 1,000 or more (money) is rounded to whole units. Missing values
    (suppressed cells included) stay missing. The full-precision table is the Parquet copy.

    Parameters
    ----------
    df
        A published table.

    Returns
    -------
    pandas.DataFrame
        A rounded copy; the columns and rows are unchanged.

    Examples
    --------
    >>> frame = pd.DataFrame({"n": [12.0, None], "estimate": [0.0612345, 85234.56]})
    >>> display_frame(frame)["estimate"].tolist()
    [0.06123, 85235.0]
    >>> display_frame(frame)["n"].tolist()
    [12, <NA>]
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if not pd.api.types.is_float_dtype(s):
            continue
        v = s.to_numpy(dtype=float)
        finite = np.isfinite(v)
        if finite.any() and np.all(v[finite] == np.round(v[finite])) and np.all(
            np.abs(v[finite]) < 2**53
        ):
            ints = pd.array(np.where(finite, v, 0).astype("int64"), dtype="Int64")
            ints[~finite] = pd.NA
            out[col] = ints
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            mag = np.floor(np.log10(np.abs(np.where(finite & (v != 0), v, 1.0))))
        digits = np.clip(DISPLAY_DIGITS - 1 - mag, 0, 15).astype(int)
        rounded = v.copy()
        for d in np.unique(digits[finite]):  # one pass per number of decimals, not per value
            sel = finite & (digits == d)
            rounded[sel] = np.round(v[sel], int(d))
        out[col] = rounded + 0.0  # no "-0.0"
    return out


def write_table(df: pd.DataFrame, path: Path, *, display: bool = False) -> None:
    """Write one table as CSV, formula-safe (no cell can start a spreadsheet formula).

    With ``display=True`` the table is rounded first (:func:`display_frame`).
    """
    from pathaudit.io.privacy import safe_for_spreadsheet

    safe_for_spreadsheet(display_frame(df) if display else df).to_csv(path, index=False)


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write one table at full precision as Parquet (text columns kept as text).

    A column of mixed Python objects (numbers and text) is written as text.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "t.parquet"
    >>> write_parquet(pd.DataFrame({"n": [12], "estimate": [0.0612345]}), path)
    >>> pd.read_parquet(path)["estimate"].iloc[0]
    np.float64(0.0612345)
    """
    frame = df.copy()
    for col in frame.columns:
        if frame[col].dtype == object:
            values = frame[col]
            kinds = {type(x) for x in values.dropna()}
            if len(kinds) > 1 or (kinds and not kinds <= {str, bool}):
                frame[col] = values.map(lambda x: None if pd.isna(x) else str(x))
    frame.to_parquet(path, index=False)


def write_analysis(result: AnalysisResult, folder: str | Path, k: int) -> list[Path]:
    """Write one analysis into ``folder`` in the versioned output schema; return the files.

    ``<analysis>.json`` goes into ``folder``, each published table twice:
    ``tables/<analysis>__<part>[__<table>].csv`` rounded for display
    (:func:`display_frame`) and ``data/<analysis>__<part>[__<table>].parquet`` at full
    precision.
    """
    folder = Path(folder)
    tables_dir, data_dir = folder / TABLES_DIR, folder / DATA_DIR
    tables_dir.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    written = []
    parts = result.results()
    # the publish stage once per result: published() keeps it for the JSON, headline and
    # charts, so write from it when it was run with the same k
    same_k = bool(parts) and k == max(int(r.meta.get("k", 5)) for r in parts.values())
    shown = result.published() if same_k else publish(parts, k)
    for name, res in shown.items():
        stem = f"{result.ANALYSIS}__{name}"
        frames = {stem: res.table, **{f"{stem}__{t}": f for t, f in res.tables.items()}}
        for file_stem, frame in frames.items():
            write_table(frame, tables_dir / f"{file_stem}.csv", display=True)
            write_parquet(frame, data_dir / f"{file_stem}.parquet")
            written += [tables_dir / f"{file_stem}.csv", data_dir / f"{file_stem}.parquet"]
    path = folder / f"{result.ANALYSIS}.json"
    path.write_text(json.dumps(result.to_json(), indent=2, sort_keys=True) + "\n",
                    encoding="utf-8")
    written.append(path)
    return written


def _read_table(folder: Path, stem: str) -> pd.DataFrame:
    """A table of an output folder: the full-precision Parquet, else the CSV (older layouts)."""
    for path in (folder / DATA_DIR / f"{stem}.parquet", folder / TABLES_DIR / f"{stem}.csv"):
        if path.is_file():
            return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    return pd.read_csv(folder / f"{stem}.csv")  # the flat layout of schema-1 folders


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
            table = _read_table(folder, stem)
            tables = {t: _read_table(folder, f"{stem}__{t}") for t in spec["tables"]}
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
