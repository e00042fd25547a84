"""The one result type every analysis returns, and the one place suppression happens."""

from __future__ import annotations

import html
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

import numpy as np
import pandas as pd

from pathaudit._version import __version__
from pathaudit.errors import PathauditError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

ESTIMATE_COLUMNS: tuple[str, ...] = ("estimate", "ci_lower", "ci_upper")
"""Columns every result table has (plus the group columns, ``n`` and ``suppressed``)."""

SUPPRESSED_MARK = "–"
"""How a suppressed cell is shown (never as zero)."""

SUPPRESSED_NOTE = "– suppressed: fewer than {k} people in the cell (or a complementary cell)."


class Quantile(NamedTuple):
    """A column that holds a quantile of the people of its row (the quantile rule).

    A quantile of a few values is one person's value in disguise (the median of five
    salaries is the third person's salary). With linear interpolation the ``q``-quantile
    of ``n`` values lies between the order statistics ``floor(h)`` and ``ceil(h)`` (0-based,
    ``h = (n - 1) q``); it is shown only where at least ``k`` people lie strictly below
    (``floor(h) >= k``) and at least ``k`` strictly above (``n - 1 - ceil(h) >= k``) in every
    count of ``n_col`` (:func:`quantile_shown`). Elsewhere the cell, and the cells named in
    ``also`` (figures computed from it), are blanked; the row itself stays.

    Attributes
    ----------
    q
        The probability of the quantile (0.5: the median).
    n_col
        The count(s) of the values it is a quantile of (a ratio of two medians: both arms).
    also
        Columns derived from the quantile (a ratio of medians, its bootstrap interval),
        blanked with it.
    where
        ``(column, value)``: the rule applies only to rows where ``column == value`` (the
        estimate of a table whose rows are ratios of medians for some measures only).

    Examples
    --------
    >>> Quantile(0.5, "n").q
    0.5
    """

    q: float
    n_col: str | Sequence[str] = "n"
    also: Sequence[str] = ()
    where: tuple[str, Any] | None = None


def quantile_shown(n: Any, q: float, k: int) -> np.ndarray:
    """Whether the ``q``-quantile of ``n`` values rests on at least ``k`` people either side.

    Examples
    --------
    >>> quantile_shown([5, 10, 11, 21], 0.5, 5).tolist()
    [False, False, True, True]
    >>> quantile_shown([20, 21, 41], 0.25, 5).tolist()
    [False, True, True]
    """
    n = np.asarray(pd.to_numeric(pd.Series(n), errors="coerce"), dtype="float64")
    h = (n - 1) * q
    below = np.floor(h + 1e-9)
    above = n - 1 - np.ceil(h - 1e-9)
    with np.errstate(invalid="ignore"):
        return (below >= k) & (above >= k) & np.isfinite(n)


def _hide_quantiles(out: pd.DataFrame, quantiles: Mapping[str, Quantile], k: int) -> None:
    """Blank, in place, every quantile cell (and what derives from it) that breaks the rule."""
    for column, spec in quantiles.items():
        if column not in out.columns:
            continue
        shown = np.ones(len(out), dtype=bool)
        for c in _count_columns(spec.n_col):
            shown &= quantile_shown(out[c], spec.q, k)
        hide = ~shown
        if spec.where is not None:
            hide &= (out[spec.where[0]] == spec.where[1]).to_numpy(dtype=bool)
        if hide.any():
            for c in [column, *spec.also]:
                out[c] = out[c].astype("float64").where(~hide, np.nan)


class Table(NamedTuple):
    """An extra table of a :class:`Result` and what its rows describe.

    Attributes
    ----------
    frame
        The table, unsuppressed.
    groups
        Its group columns: what each row describes (``track``, ``grade``, ``time``, ...).
        They are kept on a suppressed row; every other column is blanked.
    n_col
        The people count(s) each row rests on (see :func:`suppress`); None for a table
        that describes no people (e.g. the designed pay bands of the ladder).
    complementary_by
        Group columns within which the complementary rule runs (see :func:`suppress`).
    curve
        The time column of a curve table: a curve stops where fewer than k remain.
    quantiles
        Column -> :class:`Quantile`: cells that are quantiles of the row's people.

    Examples
    --------
    >>> import pandas as pd
    >>> t = Table(pd.DataFrame({"track": ["IC"], "time": [0.5], "estimate": [0.1], "n": [3]}),
    ...           ["track", "time"])
    >>> t.groups
    ['track', 'time']
    """

    frame: pd.DataFrame
    groups: Sequence[str]
    n_col: str | Sequence[str] | None = "n"
    complementary_by: Sequence[str] | None = None
    curve: str | None = None
    quantiles: Mapping[str, Quantile] | None = None


TableSpec = Table | tuple[pd.DataFrame, Sequence[str]]
"""An extra table given to :func:`make_result`: a :class:`Table`, or ``(frame, groups)``."""


def _count_columns(n_col: str | Sequence[str] | None) -> list[str]:
    if n_col is None:
        return []
    return [n_col] if isinstance(n_col, str) else list(n_col)


def suppress(
    table: pd.DataFrame,
    k: int,
    *,
    groups: Sequence[str],
    n_col: str | Sequence[str] | None = "n",
    complementary_by: Sequence[str] | None = None,
    curve: str | None = None,
    quantiles: Mapping[str, Quantile] | None = None,
) -> pd.DataFrame:
    """Primary suppression: blank every figure of a row that rests on fewer than ``k`` people.

    Parameters
    ----------
    table
        Result table with a people count in ``n_col``.
    k
        Minimum cell size.
    groups
        The group columns: what each row describes. A suppressed row keeps them and loses
        every other value (counts, figures, intervals, p-values, flags and words derived
        from them, e.g. a conclusion).
    n_col
        Column(s) holding the number of distinct people (or spells at risk) behind each
        row. A row is small when any of them is below ``k`` or missing: a comparison rests
        on its smaller side, a curve on the number still at risk. None: the table holds no
        count of its own (it describes no people, or its figures come from results already
        suppressed): it is returned as built, with the ``suppressed`` column it carries
        (if any) as its source set it.
    complementary_by
        Group columns within which a displayed total would let a reader recover a single
        suppressed cell. Where exactly one row of such a group is suppressed, the
        next-smallest row of the group is suppressed too.
    curve
        For a curve table, its time column (rows in time order within each curve, a curve
        being the rows that share every other group column): from the point where the
        number at risk, past its peak, first falls below ``k``, the rest of the curve is
        suppressed (a curve stops where fewer than k remain at risk).
    quantiles
        Column -> :class:`Quantile`: a quantile cell of a displayed row is blanked (with
        the cells derived from it) unless at least ``k`` of the row's people lie below it
        and at least ``k`` above (:func:`quantile_shown`). The row is not marked
        ``suppressed``: its other figures rest on enough people.

    Returns
    -------
    pandas.DataFrame
        A copy with a boolean ``suppressed`` column (a ``suppressed`` column already in
        ``table``, carried from a result suppressed earlier, is kept). Numeric value
        columns become float64 (NaN where suppressed), flags nullable booleans, text and
        dates missing.
    """
    missing = [c for c in groups if c not in table.columns]
    if missing and len(table):
        raise ValueError(f"group columns {missing} are not in the table {list(table.columns)}.")
    counts = _count_columns(n_col)
    if not counts:
        return table.copy()
    if [c for c in counts if c not in table.columns]:
        if len(table):
            raise ValueError(f"count column(s) {counts} are not in the table "
                             f"{list(table.columns)}; pass n_col=None for a table of no people.")
        counts = [c for c in counts if c in table.columns]  # an empty table: nothing to hide
        if not counts:
            return table.copy()
    out = table.copy()
    small = pd.Series(False, index=out.index)
    for c in counts:
        n = pd.to_numeric(out[c], errors="coerce")
        small |= (n < k) | n.isna()
    if curve is not None and len(out):
        small |= _curve_stops(out, [g for g in groups if g != curve], counts, k)
    if "suppressed" in out:
        small |= out["suppressed"].astype(bool)
    if complementary_by:
        n = pd.to_numeric(out[counts[0]], errors="coerce")
        ranks = n.where(~small, -np.inf)
        group = out.groupby(list(complementary_by), dropna=False, sort=False).ngroup()
        n_small = small.groupby(group).transform("sum")
        size = group.map(group.value_counts())
        lone = (n_small == 1) & (size > 1) & ~small
        if lone.any():
            # within each such group, the smallest displayed cell goes too
            first = ranks[lone].groupby(group[lone]).idxmin()
            small.loc[first.to_numpy()] = True
    out = blank_rows(out, small.to_numpy(dtype=bool), groups)
    if quantiles:
        _hide_quantiles(out, quantiles, k)
    return out


def blank_rows(table: pd.DataFrame, rows: Any, groups: Sequence[str]) -> pd.DataFrame:
    """A copy of ``table`` whose ``rows`` (a boolean mask) keep their group columns only.

    Every other value is blanked (numbers NaN, flags missing, text and dates missing) and
    ``suppressed`` is True on them (it keeps any True it had). The one blanking step of
    primary (:func:`suppress`) and secondary (:func:`pathaudit.output.publish`) suppression.
    """
    out = table.copy()
    small = pd.Series(np.asarray(rows, dtype=bool), index=out.index)
    if "suppressed" in out:
        small |= out["suppressed"].astype(bool)
    keep = ~small
    for c in out.columns:
        if c in groups or c == "suppressed":
            continue
        col = out[c]
        if pd.api.types.is_bool_dtype(col):
            out[c] = col.astype("boolean").where(keep, pd.NA)
        elif pd.api.types.is_numeric_dtype(col):
            out[c] = col.astype("float64").where(keep, np.nan)
        elif small.any():
            out[c] = col.where(keep)
    out["suppressed"] = small.to_numpy()
    return out


def _curve_stops(frame: pd.DataFrame, keys: list[str], counts: list[str], k: int) -> pd.Series:
    """Rows past the point where a curve, after its peak at risk, first has fewer than k."""
    n = frame[counts].apply(pd.to_numeric, errors="coerce").min(axis=1).fillna(-np.inf)
    values = n.to_numpy()
    curve = (frame.groupby(keys, dropna=False, sort=False).ngroup().to_numpy() if keys
             else np.zeros(len(frame), dtype=np.int64))
    stop = np.zeros(len(frame), dtype=bool)
    for c in np.unique(curve):
        pos = np.flatnonzero(curve == c)
        v = values[pos]
        peak = int(np.argmax(v))
        stop[pos[peak:]] = np.maximum.accumulate(v[peak:] < k)
    return pd.Series(stop, index=frame.index)


@dataclass(frozen=True)
class Result:
    """A disaggregated result: one tidy table and its metadata.

    Attributes
    ----------
    table
        One row per estimate: the group columns, ``estimate``, ``ci_lower``,
        ``ci_upper``, ``n``, ``suppressed`` and extras such as ``p_value``.
        Suppression has already been applied (see :func:`suppress`).
    meta
        ``analysis``, ``definition``, ``method``, ``alpha``, ``as_of``,
        ``population``, ``n_in``, ``excluded`` (reason -> count), ``k``,
        ``data_quality`` and ``version``; analyses may add more keys.
    tables
        Further named tables (e.g. a curve, a decomposition); suppressed too.
    plotter
        ``plotter(result, ax, **options) -> ax`` used by :meth:`plot`; None for a part
        that is a table only.
    """

    table: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    plotter: Callable[..., Axes] | None = None

    def plot(self, ax: Axes | None = None, **options: Any) -> Axes:
        """Draw the result on ``ax`` (a new one if None) and return it.

        ``options`` go to the part's plot function (e.g. ``component="base"``).
        """
        if self.plotter is None:
            raise PathauditError(
                f"The part {self.meta.get('analysis', '?')!r} has no chart; it is a table "
                "(see .table or .summary())."
            )
        ax = new_axes(ax, figsize=(7, 4))
        return self.plotter(self, ax, **options)

    def display_table(self, digits: int = 3) -> pd.DataFrame:
        """The table rounded for display, suppressed cells shown as a dash."""
        shown = self.table.copy()
        sup = shown["suppressed"].astype(bool) if "suppressed" in shown else None
        for c in shown.columns:
            if pd.api.types.is_float_dtype(shown[c]):
                vals = shown[c].round(digits).astype(object)
                if sup is not None:
                    vals[sup & shown[c].isna()] = SUPPRESSED_MARK
                shown[c] = vals
        return shown

    def summary(self) -> str:
        """A readable text summary: what was measured, on whom, and the table."""
        m = self.meta
        head = [
            f"{m.get('analysis', 'result')}",
            f"  definition: {m.get('definition', '')}",
            f"  method: {m.get('method', '')}",
            f"  population: {m.get('population', '')}",
            f"  as of: {m.get('as_of', '')}; alpha = {m.get('alpha', '')}; "
            f"minimum cell size k = {m.get('k', '')}",
        ]
        if m.get("excluded"):
            head.append(f"  excluded: {m['excluded']}")
        body = self.display_table().to_string(index=False)
        foot = SUPPRESSED_NOTE.format(k=m.get("k", "k")) if self.table.get(
            "suppressed", pd.Series(dtype=bool)
        ).any() else ""
        return "\n".join(head + ["", body] + ([foot] if foot else []))

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_html(self, max_rows: int | None = None) -> str:
        """HTML of the metadata and the display table (its first ``max_rows`` rows if given)."""
        m = self.meta
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(key))}</th>"
            f"<td style='text-align:left'>{html.escape(str(m[key]))}</td></tr>"
            for key in ("definition", "method", "population", "as_of", "alpha", "k")
            if key in m
        )
        shown = self.display_table()
        more = ""
        if max_rows is not None and len(shown) > max_rows:
            more = (f"<p><small>First {max_rows} of {len(shown):,} rows; "
                    "<code>.table</code> holds them all.</small></p>")
            shown = shown.head(max_rows)
        table = shown.to_html(index=False, escape=True)
        return (
            f"<div><h4>{html.escape(str(m.get('analysis', 'result')))}</h4>"
            f"<table>{rows}</table>{table}{more}"
            f"<p><small>{html.escape(SUPPRESSED_NOTE.format(k=m.get('k', 'k')))}</small></p></div>"
        )


def make_result(
    table: pd.DataFrame,
    *,
    groups: Sequence[str],
    analysis: str,
    definition: str,
    method: str,
    population: str,
    data: Any = None,
    alpha: float = 0.05,
    k: int | None = None,
    n_col: str | Sequence[str] | None = "n",
    complementary_by: Sequence[str] | None = None,
    curve: str | None = None,
    quantiles: Mapping[str, Quantile] | None = None,
    tables: Mapping[str, TableSpec] | None = None,
    plotter: Callable[..., Axes] | None = None,
    **extra_meta: Any,
) -> Result:
    """Build a :class:`Result`, applying primary suppression once, here.

    Parameters
    ----------
    table
        Unsuppressed estimates with a people count in ``n_col``.
    groups
        The group columns of ``table``: what each row describes (``track``, ``grade``,
        ``year``, ``kind``, ``horizon``, ...). A row resting on fewer than ``k`` people
        keeps them and loses every other value (:func:`suppress`).
    analysis, definition, method, population
        Metadata strings (definition: numerator, denominator, population, censoring).
    data
        The :class:`~pathaudit.data.AuditData` analysed; supplies ``as_of``,
        ``k`` (when ``k`` is None) and the data-quality summary.
    alpha
        Significance level of the intervals.
    k
        Minimum cell size; default ``data.min_cell_size`` or 5.
    n_col, complementary_by, curve, quantiles
        Passed to :func:`suppress` for ``table``.
    tables
        Extra named tables, each a :class:`Table` (or ``(frame, groups)``) declaring its
        own group columns and counts; each is suppressed with the same ``k``.
    plotter
        Plot function for :meth:`Result.plot`.
    **extra_meta
        Further metadata (e.g. ``excluded``, ``n_in``).

    Returns
    -------
    Result
        ``meta["groups"]`` holds the group columns of ``table`` and
        ``meta["table_groups"]`` those of each extra table, for the publish stage
        (:func:`pathaudit.output.publish`).
    """
    if k is None:
        k = data.min_cell_size if data is not None else 5
    specs = {name: spec if isinstance(spec, Table) else Table(spec[0], list(spec[1]))
             for name, spec in (tables or {}).items()}
    meta: dict[str, Any] = {
        "analysis": analysis,
        "definition": definition,
        "method": method,
        "population": population,
        "alpha": alpha,
        "k": k,
        "version": __version__,
        "groups": list(groups),
    }
    if specs:
        meta["table_groups"] = {name: list(spec.groups) for name, spec in specs.items()}
    if data is not None:
        meta["as_of"] = str(data.as_of.date())
        meta["data_quality"] = data.quality.summary()
    meta.update(extra_meta)
    return Result(
        table=suppress(table, k, groups=groups, n_col=n_col,
                       complementary_by=complementary_by, curve=curve, quantiles=quantiles),
        meta=meta,
        tables={
            name: suppress(spec.frame, k, groups=spec.groups, n_col=spec.n_col,
                           complementary_by=spec.complementary_by, curve=spec.curve,
                           quantiles=spec.quantiles)
            for name, spec in specs.items()
        },
        plotter=plotter,
    )


# --------------------------------------------------------------------------- the analysis contract


@dataclass(frozen=True)
class Note:
    """One note of an analysis: a caveat, a finding, or a part not computed and why.

    Attributes
    ----------
    kind
        ``"caveat"`` (changes how a figure reads), ``"finding"`` (a plain-language
        result) or ``"not computed"`` (a part the data cannot give; ``text`` says why).
    text
        The note in words.
    part
        The part it concerns ("" for the whole analysis).
    """

    kind: Literal["caveat", "finding", "not computed"]
    text: str
    part: str = ""

    def __post_init__(self) -> None:
        if self.kind not in NOTE_KINDS:
            raise ValueError(f"Note kind must be one of {NOTE_KINDS}; got {self.kind!r}.")

    def __str__(self) -> str:
        if self.kind == "not computed":
            return f"not computed ({self.part}): {self.text}" if self.part else self.text
        return self.text


NOTE_KINDS: tuple[str, ...] = ("caveat", "finding", "not computed")
"""Kinds of :class:`Note`."""


class AnalysisResult(ABC):
    """The contract every analysis returns: named parts, notes and one headline table.

    Subclasses are frozen dataclasses with one :class:`Result` field per part (None when a
    part was not asked for or cannot be computed: a :class:`Note` of kind ``"not computed"``
    then says why) and a ``notes`` field, and they implement :meth:`_headline_rows`.

    - :meth:`results`: name -> :class:`Result` of every computed part, in report order;
    - :meth:`headline`: a DataFrame with :data:`~pathaudit.headline.HEADLINE_COLUMNS`, the
      same columns for every analysis;
    - :meth:`summary` (one screen), an HTML view in notebooks, :meth:`plot` for every part
      that has a chart;
    - :meth:`to_json`: the versioned output schema (:data:`OUTPUT_SCHEMA_VERSION`).

    Examples
    --------
    >>> import pathaudit
    >>> data = pathaudit.load(pathaudit.sample.sample_dir())  # doctest: +SKIP
    >>> res = pathaudit.attrition(data, parts=["rates", "rate_ratio"])  # doctest: +SKIP
    >>> res.headline()[["key", "estimate", "status"]]  # doctest: +SKIP
    """

    ANALYSIS: ClassVar[str] = ""
    """Stable name of the analysis (file names, ``summary.json``)."""
    TITLE: ClassVar[str] = ""
    """Heading of the summary and report section."""
    PARTS: ClassVar[tuple[str, ...]] = ()
    """Every part the analysis can compute, in report order (the values ``parts=`` takes)."""
    DEFAULT_PLOT: ClassVar[str | None] = None
    """The part :meth:`plot` draws when no part is named (default: the first with a chart)."""

    notes: tuple[Note, ...]

    def results(self) -> dict[str, Result]:
        """Name -> :class:`Result` of every computed part, in report order."""
        out: dict[str, Result] = {}
        for name in self.PARTS:
            value = getattr(self, name, None)
            if isinstance(value, Result):
                out[name] = value
        return out

    def part(self, name: str) -> Result:
        """The part ``name``; a clear error for a part not computed or unknown."""
        if name not in self.PARTS:
            raise PathauditError(
                f"{self.ANALYSIS} has no part {name!r}; its parts are {list(self.PARTS)}."
            )
        value = getattr(self, name, None)
        if not isinstance(value, Result):
            why = self.not_computed().get(name, "it was not asked for (see parts=)")
            raise PathauditError(f"Part {name!r} of {self.ANALYSIS} was not computed: {why}")
        return value

    def published(self) -> dict[str, Result]:
        """The computed parts as published: through :func:`pathaudit.output.publish`.

        Every view (:meth:`headline`, :meth:`summary`, the HTML view, :meth:`to_json`) and
        every writer reads these, so a notebook shows what the command line writes.
        """
        from pathaudit.output import publish

        # the parts are immutable: publish once per result object and reuse (the publish
        # stage is the costly step of every view)
        cached = self.__dict__.get("_published")
        if cached is not None:
            return dict(cached)
        results = self.results()
        if not results:
            return {}
        shown = publish(results, max(int(r.meta.get("k", 5)) for r in results.values()))
        self.__dict__["_published"] = shown
        return dict(shown)

    def _as_published(self) -> AnalysisResult:
        """A copy of the analysis whose computed parts are their published versions."""
        import dataclasses

        shown = self.published()
        if not shown or not dataclasses.is_dataclass(self):
            return self
        copy = dataclasses.replace(self, **shown)
        copy.__dict__["_published"] = shown  # already published: not again
        return copy

    def not_computed(self) -> dict[str, str]:
        """Part -> why it was not computed (from the notes)."""
        return {n.part: n.text for n in self.notes if n.kind == "not computed"}

    @abstractmethod
    def _headline_rows(self) -> list[dict[str, Any]]:
        """The headline rows (each built by :func:`~pathaudit.headline.headline_row`)."""

    def headline(self) -> pd.DataFrame:
        """The headline figures: one row each, :data:`~pathaudit.headline.HEADLINE_COLUMNS`."""
        from pathaudit.headline import headline_frame

        return headline_frame(self._as_published()._headline_rows())

    def plottable(self) -> list[str]:
        """Parts that have a chart (:meth:`plot` draws them)."""
        return [name for name, res in self.results().items() if res.plotter is not None]

    def plot(self, part: str | None = None, ax: Axes | None = None, **options: Any) -> Axes:
        """Draw one part (default: the first part with a chart) and return the axes."""
        names = self.plottable()
        if part is None:
            if not names:
                raise PathauditError(f"No part of {self.ANALYSIS} computed here has a chart.")
            part = self.DEFAULT_PLOT if self.DEFAULT_PLOT in names else names[0]
        res = self.published().get(part) or self.part(part)
        if res.plotter is None:
            raise PathauditError(
                f"Part {part!r} of {self.ANALYSIS} is a table without a chart; parts with "
                f"charts: {names}."
            )
        return res.plot(ax, **options)

    def summary(self) -> str:
        """One screen: the headline figures with status, then the notes and the parts."""
        head = self.headline()
        lines = [self.TITLE, ""]
        for _, r in head.iterrows():
            lines.append(f"{'*' if r['primary'] else '-'} {r['label']}: {_figure_text(r)}"
                         f" [{r['status']}{': ' + r['reason'] if r['reason'] else ''}]")
        notes = [str(n) for n in self.notes]
        if notes:
            lines += ["", "Notes:"] + [f"  {n}" for n in notes]
        lines += ["", "Parts (res.part(name).summary() for the table): "
                  + ", ".join(self.published())]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        head = self.headline()
        rows = "".join(
            f"<tr><td>{'<b>' if r['primary'] else ''}{html.escape(str(r['label']))}"
            f"{'</b>' if r['primary'] else ''}</td><td>{html.escape(_figure_text(r))}</td>"
            f"<td>{html.escape(str(r['status']))}</td><td>{html.escape(str(r['reason']))}</td></tr>"
            for _, r in head.iterrows()
        )
        notes = "".join(f"<li>{html.escape(str(n))}</li>" for n in self.notes)
        parts = "".join(
            f"<details><summary>{html.escape(name)}</summary>{res.to_html(max_rows=12)}</details>"
            for name, res in self.published().items()
        )
        return (
            f"<div><h3>{html.escape(self.TITLE)}</h3><table><thead><tr><th>figure</th>"
            f"<th>estimate (CI)</th><th>status</th><th>reason</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>" + (f"<ul>{notes}</ul>" if notes else "")
            + parts + "</div>"
        )

    def to_json(self) -> dict[str, Any]:
        """The analysis in the versioned output schema (JSON-safe; tables are written apart).

        Keys: ``schema_version``, ``analysis``, ``title``, ``headline`` (records of
        :meth:`headline`), ``notes`` (kind, part, text) and ``parts`` (name -> ``meta`` and
        the names of its extra tables).
        """
        from pathaudit.output import json_safe

        return json_safe({
            "schema_version": OUTPUT_SCHEMA_VERSION,
            "analysis": self.ANALYSIS,
            "title": self.TITLE,
            "headline": self.headline().to_dict(orient="records"),
            "notes": [{"kind": n.kind, "part": n.part, "text": n.text} for n in self.notes],
            "parts": {
                name: {"meta": res.meta, "tables": sorted(res.tables)}
                for name, res in self.published().items()
            },
        })


OUTPUT_SCHEMA_VERSION = 1
"""Version of the output schema (:meth:`AnalysisResult.to_json` and the audit folder).
Raised whenever a key or table name changes meaning; ``CHANGELOG.md`` lists each change."""


def _figure_text(row: Mapping[str, Any]) -> str:
    est = row["estimate"]
    if not np.isfinite(est):
        return SUPPRESSED_MARK
    text = f"{est:.3g}"
    if np.isfinite(row["ci_lower"]) and np.isfinite(row["ci_upper"]):
        text += f" ({row['ci_lower']:.3g} to {row['ci_upper']:.3g})"
    if np.isfinite(row["n"]):
        text += f", n={int(row['n']):,}"
    return text


# --------------------------------------------------------------------------- charts


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (8, 4.5)) -> Axes:
    """Return ``ax``, or the axes of a new figure of size ``figsize`` when ``ax`` is None."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def ratio_axis(ax: Axes, axis: str = "x") -> None:
    """Put a ratio axis on a log scale labelled with plain numbers (0.5, 1, 2).

    The default log-scale labels (``10^0``, ``2×10^-1``) are typeset as mathematics,
    which is slower to draw and harder to read than the ratio itself.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> _ = ax.plot([0.5, 2.0], [0, 1])
    >>> ratio_axis(ax)
    >>> ax.get_xscale()
    'log'
    """
    from matplotlib.ticker import LogFormatter

    class _Plain(LogFormatter):
        """Matplotlib's choice of which log ticks to label, each as a plain number."""

        def _num_to_string(self, x: float, vmin: float, vmax: float) -> str:
            return f"{x:.3g}"

    getattr(ax, f"set_{axis}scale")("log")
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_formatter(_Plain())
    target.set_minor_formatter(_Plain(labelOnlyBase=False, minor_thresholds=(1, 0.4)))
