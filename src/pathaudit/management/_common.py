"""Shared pieces of the forced-into-management indicators.

Every indicator returns a :class:`~pathaudit.result.Result` whose table has the
same shape (:data:`INDICATOR_COLUMNS`): which indicator and which of its figures
(``measure``), the grouping (``by``, ``group``; ``"overall"``/``"all"`` for the
whole organisation), the grade where the figure is per grade, the estimate with
its interval, the counts it rests on (``numerator``, ``denominator``) and ``n``,
the distinct people behind it. An indicator whose input is missing returns the
same shape with no rows and says why in ``meta["note"]`` (``meta["available"]``
is False); it never raises and never invents a value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pathaudit.checks import check_alpha, check_columns, check_data, check_number
from pathaudit.derived.calendar import fiscal_year_ends
from pathaudit.derived.population import distinct_people, exposure_person_codes
from pathaudit.errors import ArgumentError
from pathaudit.result import Result, TableSpec, make_result

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from pathaudit.data import AuditData

INDICATOR_COLUMNS: tuple[str, ...] = (
    "indicator",
    "measure",
    "by",
    "group",
    "grade",
    "estimate",
    "ci_lower",
    "ci_upper",
    "numerator",
    "denominator",
    "n",
)
"""Columns of every indicator table (``suppressed`` is added when the result is built)."""

INDICATOR_GROUPS: tuple[str, ...] = ("indicator", "measure", "by", "group", "grade")
"""The group columns of every indicator table (an indicator may declare more)."""

OVERALL = "overall"
"""Value of ``by`` for figures on the whole organisation (``group`` is then ``"all"``)."""

ALL = "all"

NOT_COMPUTED = "Not computed: "
"""How ``meta["note"]`` of an indicator that could not be computed begins."""

SNAPSHOT_NOTE = (
    "this dataset is a snapshot-only export (one row per person), so no {what} can be "
    "observed. Load a history export (one row per person per change) to compute it."
)
"""Note of an indicator that needs dates of moves on a snapshot-only export."""


def empty_table(extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """Return an indicator table with no rows (used when an input is missing)."""
    cols = list(INDICATOR_COLUMNS) + list(extra)
    out = pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
    for c in ("indicator", "measure", "by", "group"):
        out[c] = out[c].astype("str")
    out["grade"] = out["grade"].astype("Int64")
    return out


def row(
    indicator: str,
    measure: str,
    by: str,
    group: object,
    *,
    grade: int | None = None,
    estimate: float = np.nan,
    ci_lower: float = np.nan,
    ci_upper: float = np.nan,
    numerator: float = np.nan,
    denominator: float = np.nan,
    n: float = np.nan,
    **extra: Any,
) -> dict[str, Any]:
    """One row of an indicator table as a dict (build tables from lists of these)."""
    out: dict[str, Any] = {
        "indicator": indicator,
        "measure": measure,
        "by": by,
        "group": str(group),
        "grade": grade,
        "estimate": float(estimate),
        "ci_lower": float(ci_lower),
        "ci_upper": float(ci_upper),
        "numerator": float(numerator),
        "denominator": float(denominator),
        "n": float(n),
    }
    out.update(extra)
    return out


def rows_frame(indicator: str, measure: str, by: str, group: str, **columns: Any) -> pd.DataFrame:
    """Many rows of one measure at once (columns as arrays or scalars), as a frame."""
    n = next((len(v) for v in columns.values() if np.ndim(v) > 0), 1)
    labels = {"indicator": indicator, "measure": measure, "by": by, "group": str(group)}
    return pd.DataFrame({
        **{c: (v if np.ndim(v) > 0 else [v] * n) for c, v in columns.items()},
        **{c: [v] * n for c, v in labels.items()},
    })


def to_table(
    rows: list[dict[str, Any] | pd.DataFrame], extra: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Rows (dicts from :func:`row`, or frames from :func:`rows_frame`) to an indicator table."""
    if not rows:
        return empty_table(extra)
    dicts = [r for r in rows if isinstance(r, dict)]
    frames = [r for r in rows if isinstance(r, pd.DataFrame) and len(r)]
    parts = ([pd.DataFrame(dicts)] if dicts else []) + frames
    if not parts:
        return empty_table(extra)
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    for c in INDICATOR_COLUMNS:
        if c not in out:
            out[c] = np.nan
    out["grade"] = pd.array(out["grade"], dtype="Int64")
    for c in ("indicator", "measure", "by", "group"):
        out[c] = out[c].astype("str")
    rest = [c for c in out.columns if c not in INDICATOR_COLUMNS]
    return out[list(INDICATOR_COLUMNS) + rest].reset_index(drop=True)


def indicator_result(
    indicator: str,
    table: pd.DataFrame,
    *,
    data: AuditData,
    definition: str,
    method: str,
    population: str,
    headline: str,
    alpha: float,
    groups: Sequence[str] = (),
    n_col: str | Sequence[str] = "n",
    tables: Mapping[str, TableSpec] | None = None,
    plotter: Callable[..., Axes] | None = None,
    note: str = "",
    **meta: Any,
) -> Result:
    """Build an indicator's :class:`Result` (suppression applied once, in ``make_result``).

    ``groups`` names the indicator's group columns besides :data:`INDICATOR_GROUPS`;
    ``n_col`` the people counts its figures rest on. ``meta["headline"]`` names the
    measure the profile reads; ``meta["available"]`` is True.
    """
    return make_result(
        table,
        groups=[*INDICATOR_GROUPS, *groups],
        n_col=n_col,
        analysis=indicator,
        definition=definition,
        method=method,
        population=population,
        data=data,
        alpha=alpha,
        tables=tables,
        plotter=plotter or plot_headline,
        indicator=indicator,
        headline=headline,
        available=True,
        note=note,
        **meta,
    )


def unavailable(
    indicator: str,
    reason: str,
    *,
    data: AuditData,
    definition: str,
    method: str,
    population: str,
    headline: str,
    alpha: float,
    **meta: Any,
) -> Result:
    """Return the result of an indicator that cannot be computed from this data.

    The table has the usual columns and no rows; ``meta["available"]`` is False
    and ``meta["note"]`` says what is missing and how to provide it.
    """
    return make_result(
        empty_table(),
        groups=INDICATOR_GROUPS,
        analysis=indicator,
        definition=definition,
        method=method,
        population=population,
        data=data,
        alpha=alpha,
        indicator=indicator,
        headline=headline,
        available=False,
        note=f"{NOT_COMPUTED}{reason}",
        **meta,
    )


By = str | Sequence[str] | None
"""A grouping request: one column, several (each on its own), or none."""


# ---------------------------------------------------------------------------
# Argument checks shared by the indicator functions
# ---------------------------------------------------------------------------


def grouping_columns(data: AuditData) -> list[str]:
    """The groupings ``by=`` accepts on ``data``: ``"year"`` and the attributes it has values of.

    The rule of :func:`pathaudit.checks.check_group`: a column without any value (e.g.
    ``ethnicity`` not in the export) is not a grouping, so ``by=`` naming it is an error.
    """
    tables = (data.history, data.people)
    has = [c for c in WORK_ATTRIBUTES if any(c in t.columns and t[c].notna().any() for t in tables)]
    return ["year", *has]


def check_by(by: Any, data: AuditData, *, extra: Sequence[str] = ()) -> By:
    """``by`` is None, one grouping or several, each among :func:`grouping_columns`.

    Examples
    --------
    >>> check_by("org_unit", data)  # doctest: +SKIP
    'org_unit'
    """
    if by is None:
        return None
    names = [by] if isinstance(by, str) else by
    if not isinstance(names, Sequence) or not all(isinstance(c, str) for c in names):
        raise ArgumentError(
            f"by must be None, a column name or a list of column names (e.g. 'org_unit'); "
            f"got {by!r}."
        )
    check_columns(list(names), "by", [*grouping_columns(data), *extra],
                  where="the groupings of this data")
    return by


def check_common(data: Any, function: str, alpha: Any, by: Any, **extra: Any) -> AuditData:
    """Check ``data``, ``alpha`` and ``by`` of an indicator function; return the data."""
    data = check_data(data, function)
    check_alpha(alpha)
    check_by(by, data, **extra)
    return data


def check_seed(seed: Any) -> int:
    """``seed`` is a whole number of at least 0 (the random generator's seed)."""
    return int(check_number(seed, "seed", low=0, integer=True))


def check_count(value: Any, name: str, *, low: int = 1) -> int:
    """``value`` is a whole number of at least ``low`` (months, people, draws)."""
    return int(check_number(value, name, low=low, integer=True))


def by_columns(by: By) -> list[str]:
    """Return the grouping columns of a ``by`` argument, as a list."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def groupings(frame: pd.DataFrame, by: By) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """Yield ``(by, group, subframe)``: the whole frame first, then each group of each ``by``.

    Several ``by`` columns are grouped one at a time (not crossed). Rows with a
    missing value count in the overall figure only. A ``by`` column the frame
    lacks yields nothing.
    """
    yield OVERALL, ALL, frame
    for col in by_columns(by):
        if col not in frame.columns:
            continue
        for value, sub in frame.groupby(col, sort=True, dropna=True, observed=True):
            yield col, str(value), sub


def stacked_rows(
    frame: pd.DataFrame, by: By
) -> tuple[list[tuple[str, str]], np.ndarray, np.ndarray]:
    """The groups of :func:`groupings` as row positions and group codes, for vectorised figures.

    Returns
    -------
    (labels, rows, codes)
        ``labels[i]`` is ``(by, group)`` of group ``i``, in the order
        :func:`groupings` yields them (the whole organisation first); ``rows`` are
        positions in ``frame`` (each row once for the whole organisation and once
        for each grouping it has a value of) and ``codes`` their group codes.
    """
    labels = [(OVERALL, ALL)]
    rows = [np.arange(len(frame))]
    codes = [np.zeros(len(frame), dtype=np.int64)]
    for col in by_columns(by):
        if col not in frame.columns:
            continue
        c, values = pd.factorize(frame[col], sort=True)
        rows.append(np.flatnonzero(c >= 0))
        codes.append(len(labels) + c[c >= 0].astype(np.int64))
        labels.extend((col, str(v)) for v in values)
    return labels, np.concatenate(rows), np.concatenate(codes)


def stacked_groupings(
    frame: pd.DataFrame, by: By, keys: list[str], sums: list[str],
    rows: np.ndarray | None = None,
) -> tuple[list[tuple[str, str]], pd.DataFrame]:
    """Each group's rows summed within ``keys``, every group in one frame, summed at once.

    ``rows`` (increasing positions; default every row) restricts the sums to those
    rows, as ``frame.iloc[rows]`` would, without copying them.

    Returns
    -------
    (labels, stacked)
        ``labels[i]`` is ``(by, group)`` of group ``i``, in the order
        :func:`groupings` yields them (the whole organisation first; a group whose
        rows all miss a key is left out); ``stacked`` has ``keys``, ``sums`` and
        ``group_code`` (``i``): each group's rows summed within ``keys``, the rows
        of one group in order of first appearance of their keys (as
        ``groupby(sort=False)``). Rows with a missing key are left out, as
        ``groupby`` does.

    Notes
    -----
    Aggregate before copying: the rows are summed once into the finest cells
    (``keys`` and every grouping column at once: one integer key, one hash,
    ``numpy.bincount``), and every scope (the organisation, each group of each
    grouping) is summed from those cells, which are far fewer than the rows. No
    copy of the rows is made per scope. Sums of integer columns are ``int64``.
    """
    cols = [c for c in by_columns(by) if c in frame.columns]
    key_coded = [_codes(frame[c]) for c in keys]
    by_coded = [_codes(frame[c]) for c in cols]
    if np.prod([len(u) + 1.0 for _, u in key_coded + by_coded]) >= 2.0**62:
        # a cell key too wide for int64
        return _stacked_by_groupby(frame if rows is None else frame.iloc[rows], by, keys, sums)
    ok = np.ones(len(frame), dtype=bool)  # as groupby: a row with a missing key counts nowhere
    if rows is not None:
        ok[:] = False
        ok[rows] = True
    for codes, _ in key_coded:
        ok &= codes >= 0
    # 1. sum the rows once, within keys and every grouping at the same time (the finest cells)
    rows = None if ok.all() else np.flatnonzero(ok)
    del ok
    finest = _row_keys(key_coded + by_coded, rows)
    cell, first = _cells_in_order(finest)
    del finest
    rep = first if rows is None else rows[first]  # a row of each finest cell, in order
    fine = {}
    for c in sums:
        values = frame[c].to_numpy(dtype=float)
        fine[c] = np.bincount(cell, weights=values if rows is None else values[rows],
                              minlength=len(rep))
    del cell, rows
    # 2. each scope's cells from the finest ones: the organisation, then each grouping
    fine_key = _row_keys(key_coded, rep)
    labels: list[tuple[str, str]] = [(OVERALL, ALL)]
    scope_of_fine = [np.zeros(len(rep), dtype=np.int64)]
    for col, (codes, values) in zip(cols, by_coded, strict=True):
        c = codes[rep].astype(np.int64)
        scope_of_fine.append(np.where(c >= 0, len(labels) + c, -1))
        labels.extend((col, str(v)) for v in values)
    width = int(fine_key.max(initial=-1)) + 1
    reps: list[np.ndarray] = []
    scopes: list[np.ndarray] = []
    totals: dict[str, list[np.ndarray]] = {c: [] for c in sums}
    for scope in scope_of_fine:
        sel = np.flatnonzero(scope >= 0)
        part, head = _cells_in_order(scope[sel] * width + fine_key[sel])
        reps.append(rep[sel[head]])
        scopes.append(scope[sel[head]])
        for c in sums:
            totals[c].append(np.bincount(part, weights=fine[c][sel], minlength=len(head)))
    group = np.concatenate(scopes)
    present = np.zeros(len(labels), dtype=bool)
    present[group] = True
    present[0] = True  # the organisation, even with no rows
    if not present.all():  # a group whose rows all miss a key is left out, as groupby does
        labels = [lab for lab, p in zip(labels, present, strict=True) if p]
        group = (np.cumsum(present) - 1)[group]
    out = frame[keys].iloc[np.concatenate(reps)].reset_index(drop=True)
    for c in sums:
        total = np.concatenate(totals[c])
        whole = pd.api.types.is_integer_dtype(frame[c].dtype)  # as groupby: int64 sums
        out[c] = np.rint(total).astype(np.int64) if whole else total
    out["group_code"] = group
    return labels, out


def _codes(column: pd.Series) -> tuple[np.ndarray, Any]:
    """Integer codes of a column (-1: missing) and its values, in sorted order.

    A categorical column gives its own codes (category order) and an integer column
    its offsets from its minimum, so neither is hashed; anything else is factorized.
    """
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), column.cat.categories
    if pd.api.types.is_integer_dtype(dtype) and len(column) and column.notna().any():
        low, high = int(column.min()), int(column.max())
        if high - low < 4 * len(column) + 1024:  # a dense range: no hash needed
            small = np.min_scalar_type(-(high - low) - 1)  # int8 .. int64, with room for -1
            codes = column.to_numpy(dtype=np.int64, na_value=low - 1) - low
            return codes.astype(small, copy=False), np.arange(low, high + 1)
    codes, uniques = pd.factorize(column, sort=True)
    return codes, uniques


def _row_keys(coded: list[tuple[np.ndarray, Any]], rows: np.ndarray | None) -> np.ndarray:
    """One integer per row (of ``rows``; all when None) naming its combination of codes."""
    n = len(coded[0][0]) if rows is None else len(rows)
    key = np.zeros(n, dtype=np.int64)
    for codes, uniques in coded:
        key *= len(uniques) + 1
        key += codes if rows is None else codes[rows]
        key += 1
    return key


def _cells_in_order(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell code of every row (``0 ..``, in order of first appearance) and each cell's first row.

    Rows come sorted by person, so equal keys mostly stand next to each other: only the
    first row of each run of equal keys is hashed (``pandas.factorize``), and every row
    takes its run's code. Same codes and first rows as factorizing every row.
    """
    n = len(key)
    head = np.flatnonzero(np.r_[n > 0, key[1:] != key[:-1]])
    run_cell = pd.factorize(key[head])[0].astype(np.int64, copy=False)
    cell = run_cell if len(head) == n else np.repeat(run_cell, np.diff(np.r_[head, n]))
    # codes are numbered as they first appear: a run is a cell's first where its code
    # exceeds every code before it
    seen = np.maximum.accumulate(run_cell)
    first = head[np.flatnonzero(np.r_[len(run_cell) > 0, seen[1:] > seen[:-1]])]
    return cell, first


def _stacked_by_groupby(
    frame: pd.DataFrame, by: By, keys: list[str], sums: list[str]
) -> tuple[list[tuple[str, str]], pd.DataFrame]:
    """:func:`stacked_groupings` by one ``groupby`` per grouping (keys too wide to code)."""

    def total(cols: list[str]) -> pd.DataFrame:
        return frame.groupby(cols, observed=True, sort=False)[sums].sum().reset_index()

    labels = [(OVERALL, ALL)]
    parts = [total(keys).assign(group_code=0)]
    for col in by_columns(by):
        if col not in frame.columns:
            continue
        agg = total([col, *keys])
        codes, values = pd.factorize(agg[col], sort=True)
        parts.append(agg.loc[codes >= 0, [*keys, *sums]].assign(
            group_code=len(labels) + codes[codes >= 0]))
        labels.extend((col, str(v)) for v in values)
    return labels, pd.concat(parts, ignore_index=True)


def single_track(data: AuditData) -> str | None:
    """The one track of the data when it has only one (``"IC"`` or ``"M"``), else None."""
    tracks = data.history["track"].dropna().astype(str).unique()
    return str(tracks[0]) if len(tracks) == 1 else None


def one_track_reason(track: str, what: str) -> str:
    """Why an indicator that needs both tracks is not computed on one-track data."""
    return f"only one track ({track}) in the data; {what} needs both tracks."


def has_values(frame: pd.DataFrame | None, column: str) -> bool:
    """Whether ``frame`` has ``column`` with at least one non-missing value."""
    return frame is not None and column in frame.columns and bool(frame[column].notna().any())


def year_ends(data: AuditData, first: pd.Timestamp | None = None) -> list[pd.Timestamp]:
    """Fiscal-year-end dates from the first full observed year up to ``as_of``.

    :func:`pathaudit.derived.calendar.fiscal_year_ends` from ``first`` (default
    ``history_start``); the last element is ``as_of`` itself when it is not a year
    end (the year so far).
    """
    first = data.history_start if first is None else first
    return fiscal_year_ends(first, data.as_of, data.fiscal_year_start_month)


def level_text(alpha: float) -> str:
    """The confidence level of ``alpha`` in words: ``level_text(0.05) == "95%"``."""
    return f"{round(100 * (1 - float(alpha)), 6):g}%"


def plot_headline(result: Result, ax: Axes, *, by: str | None = None) -> Axes:
    """Forest plot of an indicator's headline figure: the organisation, then each group.

    Parameters
    ----------
    result
        An indicator result (``meta["headline"]`` names the measure drawn).
    ax
        Axes to draw on.
    by
        Show only the organisation and the groups of this grouping (e.g.
        ``"org_unit"``); default every grouping of the result.

    Returns
    -------
    matplotlib.axes.Axes
        One row per group (pooled over grades): the estimate with its interval.
        Suppressed or missing figures are listed with a dash.

    Examples
    --------
    >>> audit.plot("switch_premium", by="year")  # doctest: +SKIP
    """
    t = result.table
    measure = result.meta.get("headline", "")
    sel = (t["measure"] == measure) & t["grade"].isna()
    if by is not None:
        present = sorted(set(t["by"]) - {OVERALL})
        if by not in present:
            raise ArgumentError(f"by must be one of the groupings of this part: {present}; "
                                f"got {by!r}.")
        sel &= t["by"].isin([OVERALL, by])
    rows = t.loc[sel].reset_index(drop=True)
    scope = rows["by"].to_numpy(dtype=object)
    labels = ["whole organisation" if b == OVERALL else f"{b} {g}"
              for b, g in zip(scope, rows["group"], strict=True)]
    if "category" in rows:
        labels = [f"{name} ({c} vs {r})" if isinstance(c, str) else name
                  for name, c, r in zip(labels, rows["category"], rows["reference"],
                                        strict=True)]
    # a few artists for all the rows: the intervals as one collection (drawn as the lines
    # were: square ends, under the dots) and the dots in one line per colour
    y = np.arange(len(rows) - 1, -1, -1, dtype=float)
    est = rows["estimate"].to_numpy(dtype=float)
    ok = np.isfinite(est)
    if ok.any():
        ax.hlines(y[ok], rows["ci_lower"].to_numpy(dtype=float)[ok],
                  rows["ci_upper"].to_numpy(dtype=float)[ok], color="#455a64", lw=2,
                  capstyle="projecting", zorder=2)
        org = scope == OVERALL
        for keep, colour in ((ok & org, "#263238"), (ok & ~org, "#607d8b")):
            if keep.any():
                ax.plot(est[keep], y[keep], "o", color=colour, linestyle="none")
    for missing in y[~ok]:
        ax.text(0.02, missing, "–", transform=ax.get_yaxis_transform(), va="center")
    ax.set_yticks(range(len(rows))[::-1], labels, fontsize=8)
    ax.set_title(f"{result.meta.get('analysis', '')}: {measure} "
                 f"({level_text(result.meta.get('alpha', 0.05))} CI)", fontsize=10, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


# ---------------------------------------------------------------------------
# Work tables shared by the indicators of one run
# ---------------------------------------------------------------------------

def cached(data: AuditData, key: object, make: Callable[[], Any]) -> Any:
    """``make()``, built once per dataset and ``key`` (the dataset's one cache, ``derived``)."""
    return data.derived(("management", key), make)


WORK_ATTRIBUTES: tuple[str, ...] = (
    "org_unit", "job_family", "location", "gender", "ethnicity", "age_band"
)


def work_exposure(data: AuditData) -> tuple[pd.DataFrame, pd.Index]:
    """``data.exposure``'s columns the indicators read, with the integer person code: no copy.

    Returns
    -------
    (frame, ids)
        ``frame`` has ``pid`` (the exposure table's person code,
        :func:`~pathaudit.derived.population.exposure_person_codes`; ``ids[pid]`` is the
        ID), ``episode``, ``spell_id``, ``grade``, ``track`` and ``event`` (categories),
        ``person_years``, ``time_in_spell``, ``year``, ``stop`` and the attributes
        ``org_unit``, ``job_family``, ``location``, ``gender``, ``ethnicity``, ``age_band``
        (as present, categories). Every column is the exposure table's own array (the
        derivation holds text as categories), so building it copies nothing; subsetting it
        is cheap because the person IDs stay out of it. Read-only.
    """
    return cached(data, "work_exposure", lambda: _work_exposure(data))


def _work_exposure(data: AuditData) -> tuple[pd.DataFrame, pd.Index]:
    exp = data.exposure
    pid, ids = exposure_person_codes(data)  # the one person code of the exposure table
    cols = ["episode", "spell_id", "grade", "track", "event", "person_years", "time_in_spell",
            "year", "stop", *(c for c in WORK_ATTRIBUTES if c in exp.columns)]
    out = pd.DataFrame({"pid": pid, **{c: _as_category(exp[c]) if c in _CATEGORIES else exp[c]
                                       for c in cols}}, copy=False)
    return out, pd.Index(ids)


_CATEGORIES = frozenset({"track", "event", *WORK_ATTRIBUTES})


def _as_category(column: pd.Series) -> pd.Series:
    """The column as a category (the derivation's own categorical, shared, when it is one)."""
    return column if isinstance(column.dtype, pd.CategoricalDtype) else column.astype("category")


PERSON_CELL_KEYS: tuple[str, ...] = (
    "pid", "episode", "grade", "track", "event", "year", *WORK_ATTRIBUTES
)
"""Columns of :func:`person_cells` (as present): everything the rate indicators group on."""


def person_cells(data: AuditData) -> pd.DataFrame | None:
    """The exposure rows summed within person and every column the rate indicators group on.

    Returns
    -------
    pandas.DataFrame or None
        One row per combination of :data:`PERSON_CELL_KEYS` (as present in the
        exposure; a missing value is a value of its own), in order of first appearance
        in the exposure table, with those columns (the exposure's own dtypes),
        ``person_years`` (summed) and ``rows`` (exposure rows in the cell). None when
        the combinations are too many to code in one 64-bit integer (the indicators
        then read the exposure rows).

    Notes
    -----
    Aggregate before you copy: the IC ceiling's promotion rates, who switches and the
    switch flows sum person-time and events within coarser cells (grade, track, event
    kind, unit, year, person), so they read these cells (about a third of the exposure
    rows) instead of every row. A coarser cell's rows appear in the same order of first
    appearance here as in the exposure table, so every grouping gives the same rows in
    the same order, and the same sums (up to the order of floating-point additions).
    Derived once per dataset; read-only.
    """
    return cached(data, "person_cells", lambda: _person_cells(data))


def exposure_cells(data: AuditData) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`person_cells` and the exposure rows in each, or the exposure rows themselves.

    Returns ``(frame, rows)``: the cells and their ``rows`` (int64), or, when there are
    no cells (:func:`person_cells` is None), :func:`work_exposure`'s frame and ones, so
    that an event count is ``flag * rows`` either way.
    """
    cells = person_cells(data)
    if cells is not None:
        return cells, cells["rows"].to_numpy(dtype=np.int64)
    exp, _ = work_exposure(data)
    return exp, np.ones(len(exp), dtype=np.int64)


def _person_cells(data: AuditData) -> pd.DataFrame | None:
    exp, _ = work_exposure(data)
    cols = [c for c in PERSON_CELL_KEYS if c in exp.columns]
    coded = [_codes(exp[c]) for c in cols]
    if np.prod([len(u) + 1.0 for _, u in coded]) >= 2.0**62:
        return None
    # a missing value keeps a code of its own (-1 + 1 = 0 in the key), so no row is lost
    cell, first = _cells_in_order(_row_keys(coded, None))
    del coded
    out = exp[cols].iloc[first].reset_index(drop=True)
    out["person_years"] = np.bincount(cell, weights=exp["person_years"].to_numpy(dtype=float),
                                      minlength=len(first))
    out["rows"] = np.bincount(cell, minlength=len(first)).astype(np.int64)
    return out


def equals(column: pd.Series, value: str) -> np.ndarray:
    """``column == value`` as a numpy bool array, a missing value False.

    A categorical column compares its codes (no text per row); anything else compares
    as it is, without converting the column to strings first.
    """
    return column.eq(value).to_numpy(dtype=bool, na_value=False)


def person_codes(ids: pd.Index, employee_id: pd.Series) -> np.ndarray:
    """Codes of ``employee_id`` values in ``ids`` (-1 for people not in it)."""
    text = pd.api.types.is_string_dtype(employee_id.dtype) and not isinstance(
        employee_id.dtype, pd.CategoricalDtype)
    return ids.get_indexer(employee_id if text else employee_id.astype(str))


def cell_totals(
    strata: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    events: np.ndarray,
    person_years: np.ndarray,
    person: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Events, person-time and distinct people per (stratum, group) cell, with numpy.

    Parameters
    ----------
    strata
        Stratum value of each row (e.g. grade).
    group
        Group code of each row, ``0 .. n_groups - 1``.
    n_groups
        Number of groups.
    events, person_years
        Row values to sum.
    person
        Integer person code of each row.

    Returns
    -------
    (levels, events, person_years, people, people_in_stratum)
        ``levels``: the sorted stratum values; the next three have shape
        ``(len(levels), n_groups)``; the last counts distinct people per stratum.
    """
    codes, levels = pd.factorize(pd.Series(strata), sort=True)
    k = len(levels)
    cell = codes.astype(np.int64) * n_groups + np.asarray(group, dtype=np.int64)
    size = k * n_groups
    ev = np.bincount(cell, weights=np.asarray(events, dtype=float), minlength=size)
    t = np.bincount(cell, weights=np.asarray(person_years, dtype=float), minlength=size)
    n = distinct_people(cell, person, size)
    n_s = distinct_people(codes, person, k)
    return (np.asarray(levels), ev.reshape(k, n_groups), t.reshape(k, n_groups),
            n.reshape(k, n_groups), n_s)
