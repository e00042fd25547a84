"""The one result type every analysis returns, and the one place suppression happens."""

from __future__ import annotations

import html
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

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


def suppress(
    table: pd.DataFrame,
    k: int,
    *,
    n_col: str = "n",
    value_cols: Sequence[str] | None = None,
    complementary_by: Sequence[str] | None = None,
    label_cols: Sequence[str] = (),
) -> pd.DataFrame:
    """Blank every figure that rests on fewer than ``k`` people.

    Parameters
    ----------
    table
        Result table with a people count in ``n_col``.
    k
        Minimum cell size.
    n_col
        Column holding the number of distinct people behind each row. Rows with
        ``n < k`` are suppressed.
    value_cols
        Columns to blank in suppressed rows. Default: every numeric column
        except ``n_col`` (so counts of events, person-time, means and CIs all go).
    complementary_by
        Group columns within which a displayed total would let a reader recover a
        single suppressed cell. Where exactly one row of such a group is
        suppressed, the next-smallest row of the group is suppressed too.
    label_cols
        Numeric columns that label a row (e.g. ``grade``, ``year``) and are never
        blanked; only used when ``value_cols`` is None.

    Returns
    -------
    pandas.DataFrame
        A copy with a boolean ``suppressed`` column; suppressed rows have their
        value columns set to NaN and ``n_col`` kept only as ``NaN`` as well (the
        count itself can identify a small group).
    """
    out = table.copy()
    n = pd.to_numeric(out[n_col], errors="coerce")
    small = (n < k) | n.isna()
    if "suppressed" in out:
        small |= out["suppressed"].astype(bool)
    if complementary_by:
        ranks = n.where(~small, -np.inf)
        group = out.groupby(list(complementary_by), dropna=False, sort=False).ngroup()
        n_small = small.groupby(group).transform("sum")
        size = group.map(group.value_counts())
        lone = (n_small == 1) & (size > 1) & ~small
        if lone.any():
            # within each such group, the smallest displayed cell goes too
            first = ranks[lone].groupby(group[lone]).idxmin()
            small.loc[first.to_numpy()] = True
    if value_cols is None:
        value_cols = [
            c
            for c in out.columns
            if c not in (n_col, "suppressed", *label_cols)
            and pd.api.types.is_numeric_dtype(out[c])
            and not pd.api.types.is_bool_dtype(out[c])
        ]
    for c in list(value_cols) + [n_col]:
        if c in out:
            out[c] = out[c].astype("float64").where(~small, np.nan)
    out["suppressed"] = small.to_numpy()
    return out


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
    analysis: str,
    definition: str,
    method: str,
    population: str,
    data: Any = None,
    alpha: float = 0.05,
    k: int | None = None,
    n_col: str = "n",
    value_cols: Sequence[str] | None = None,
    complementary_by: Sequence[str] | None = None,
    tables: dict[str, pd.DataFrame] | None = None,
    plotter: Callable[..., Axes] | None = None,
    label_cols: Sequence[str] = (),
    **extra_meta: Any,
) -> Result:
    """Build a :class:`Result`, applying suppression once, here.

    Parameters
    ----------
    table
        Unsuppressed estimates with a people count in ``n_col``.
    analysis, definition, method, population
        Metadata strings (definition: numerator, denominator, population, censoring).
    data
        The :class:`~pathaudit.data.AuditData` analysed; supplies ``as_of``,
        ``k`` (when ``k`` is None) and the data-quality summary.
    alpha
        Significance level of the intervals.
    k
        Minimum cell size; default ``data.min_cell_size`` or 5.
    n_col, value_cols, complementary_by
        Passed to :func:`suppress`.
    tables
        Extra named tables. Each must carry its own ``n`` column (people) and is
        suppressed with the same ``k``; a table without ``n`` must hold no
        person-level figure.
    plotter
        Plot function for :meth:`Result.plot`.
    label_cols
        Numeric columns that label rows (e.g. ``grade``, ``year``, ``horizon``),
        kept in suppressed rows of ``table`` and of every extra table.
    **extra_meta
        Further metadata (e.g. ``excluded``, ``n_in``).

    Returns
    -------
    Result
    """
    if k is None:
        k = data.min_cell_size if data is not None else 5
    meta: dict[str, Any] = {
        "analysis": analysis,
        "definition": definition,
        "method": method,
        "population": population,
        "alpha": alpha,
        "k": k,
        "version": __version__,
    }
    if data is not None:
        meta["as_of"] = str(data.as_of.date())
        meta["data_quality"] = data.quality.summary()
    meta.update(extra_meta)
    sup_tables = {
        name: suppress(t, k, n_col="n", label_cols=label_cols) if "n" in t.columns else t.copy()
        for name, t in (tables or {}).items()
    }
    return Result(
        table=suppress(
            table,
            k,
            n_col=n_col,
            value_cols=value_cols,
            complementary_by=complementary_by,
            label_cols=label_cols,
        ),
        meta=meta,
        tables=sup_tables,
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

    def not_computed(self) -> dict[str, str]:
        """Part -> why it was not computed (from the notes)."""
        return {n.part: n.text for n in self.notes if n.kind == "not computed"}

    @abstractmethod
    def _headline_rows(self) -> list[dict[str, Any]]:
        """The headline rows (each built by :func:`~pathaudit.headline.headline_row`)."""

    def headline(self) -> pd.DataFrame:
        """The headline figures: one row each, :data:`~pathaudit.headline.HEADLINE_COLUMNS`."""
        from pathaudit.headline import headline_frame

        return headline_frame(self._headline_rows())

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
        res = self.part(part)
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
                  + ", ".join(self.results())]
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
            for name, res in self.results().items()
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
                for name, res in self.results().items()
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
