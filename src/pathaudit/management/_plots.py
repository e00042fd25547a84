"""Charts of the forced-into-management indicators: ``plot_*(result, ax, **options) -> ax``.

Each function is the plotter of one part of :class:`~pathaudit.management.ManagementAudit`
and takes only that part's :class:`~pathaudit.result.Result` (never the bundle), so
``audit.plot("profile", ax=ax)`` and ``audit.part("profile").plot(ax)`` draw the same:

- :func:`plot_profile` (``profile``): a grid of scopes (the organisation and each unit, or
  each fiscal year) by figures, each cell coloured by its status; or, with ``figure=``, one
  figure across the scopes with its interval and threshold (per year: a line over time);
- :func:`plot_scores` (``scores``): flagged, inconclusive and clear figures per scope;
- :func:`plot_flows` (``switch_flows``): switch and exit flows by grade.

The indicator parts are drawn by :func:`pathaudit.management._common.plot_headline`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pathaudit.errors import ArgumentError
from pathaudit.management._common import ALL, OVERALL, level_text
from pathaudit.result import SUPPRESSED_MARK, Result
from pathaudit.stats.labels import STATUS_COLOURS as _STATUS_COLOURS
from pathaudit.stats.labels import display_direction

if TYPE_CHECKING:
    from matplotlib.axes import Axes

STATUS_COLOURS: dict[str, str] = _STATUS_COLOURS
"""Colour of each status (:data:`pathaudit.stats.labels.STATUS_COLOURS`)."""

FLOW_COLOURS = {"IC->M": "#0072b2", "M->IC": "#56b4e9", "IC exit": "#d55e00", "M exit": "#e69f00"}
"""Colour of each flow of :func:`plot_flows`."""


def _despine(ax: Axes, sides: tuple[str, ...] = ("top", "right")) -> None:
    for side in sides:
        ax.spines[side].set_visible(False)


def _scope_by(result: Result, by: str | None) -> str:
    """The grouping a chart shows: ``by``, else the unit grouping of the run, else overall."""
    t = result.table
    present = [b for b in pd.unique(t["by"]) if b != OVERALL]
    if by is None:
        unit = result.meta.get("by_unit")
        by = unit if unit in present else (present[0] if present else OVERALL)
    if by != OVERALL and by not in present:
        raise ArgumentError(
            f"by must be one of the groupings of this part: {[OVERALL, *present]}; got {by!r}."
        )
    return str(by)


def _scopes(t: pd.DataFrame, by: str) -> pd.DataFrame:
    """The rows of the organisation and of every group of ``by`` (the organisation first)."""
    org = t.loc[(t["by"] == OVERALL) & (t["group"] == ALL)]
    if by == OVERALL:
        return org
    rows = t.loc[t["by"] == by]
    if by == "year":
        rows = rows.assign(_y=pd.to_numeric(rows["group"], errors="coerce")).sort_values(
            "_y", kind="stable").drop(columns="_y")
    return pd.concat([org, rows])


def _cell_text(est: float, unit: str, status: str) -> str:
    if status == "not computed":
        return "n/c"
    if not np.isfinite(est):
        return SUPPRESSED_MARK
    if unit in ("share", "pay change"):
        return f"{est:.0%}"
    if unit == "grades":
        return f"{est:+.0f}"
    return f"{est:.2f}"


def plot_profile(
    result: Result, ax: Axes, *, by: str | None = None, figure: str | None = None
) -> Axes:
    """Every figure of every scope against its threshold, on one Axes.

    Parameters
    ----------
    result
        The ``profile`` part of :func:`pathaudit.forced_management`.
    ax
        Axes to draw on.
    by
        The scopes shown beside the organisation: a grouping of the profile
        (``"org_unit"``, ``"year"``, ...); default the unit grouping of the run, or
        the organisation alone.
    figure
        None: a grid of scopes (rows) by figures (columns), each cell coloured by its
        status (red flagged, orange inconclusive, green clear, grey not assessed) and
        labelled with its estimate (a dash where suppressed or missing, ``n/c`` where
        not computed). A figure's ``key`` (e.g. ``"switch_premium"``) or indicator
        name: that figure for each scope, its estimate (dot) with its interval (bar)
        and the threshold (dashed; the healthy band shaded for two-sided thresholds);
        with ``by="year"`` a line over the fiscal years.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> audit = pathaudit.forced_management(data)  # doctest: +SKIP
    >>> audit.plot("profile", by="year")  # doctest: +SKIP
    >>> audit.plot("profile", figure="switch_premium", by="year")  # doctest: +SKIP
    """
    by = _scope_by(result, by)
    t = _scopes(result.table, by)
    if figure is not None:
        return _plot_figure(result, ax, t, by, figure)
    figs = t[["key", "label", "unit"]].drop_duplicates("key")
    scopes = t[["by", "group"]].drop_duplicates()
    index = {k: j for j, k in enumerate(figs["key"])}
    rows = {(b, g): i for i, (b, g) in enumerate(zip(scopes["by"], scopes["group"], strict=True))}
    from matplotlib.colors import to_rgb

    grid = np.ones((len(rows), len(index), 3))
    for r in t.itertuples(index=False):
        i, j = rows[(r.by, r.group)], index[r.key]
        grid[i, j] = to_rgb(STATUS_COLOURS.get(r.status, "#ffffff"))
        dark = r.status in ("flagged", "clear")
        # inside its cell: no part of the margins (not measured by the layout)
        ax.text(j, i, _cell_text(r.estimate, r.unit, r.status), ha="center", va="center",
                fontsize=7, color="white" if dark else "#212121", in_layout=False)
    ax.imshow(grid, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(index)), list(index), rotation=40, ha="right", fontsize=7.5)
    names = ["whole organisation" if b == OVERALL else str(g) for b, g in rows]
    ax.set_yticks(range(len(rows)), names, fontsize=8)
    ax.set_xticks(np.arange(len(index) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(rows) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", lw=1.5)
    ax.tick_params(which="minor", length=0)
    _despine(ax, ("top", "right", "left", "bottom"))
    from matplotlib.patches import Patch

    shown = [s for s in STATUS_COLOURS if s in set(t["status"])]
    ax.legend(handles=[Patch(color=STATUS_COLOURS[s], label=s) for s in shown],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=7.5)
    where = "each fiscal year" if by == "year" else (f"each {by}" if by != OVERALL else "")
    ax.set_title("Figures against their thresholds" + (f": the organisation and {where}"
                                                       if where else ""),
                 fontsize=10, loc="left")
    return ax


def _threshold_of(result: Result, indicator: str, measure: str) -> Mapping[str, Any] | None:
    for t in result.meta.get("thresholds", []):
        if t["indicator"] == indicator and t["measure"] == measure:
            return t
    return None


def _plot_figure(result: Result, ax: Axes, t: pd.DataFrame, by: str, figure: str) -> Axes:
    keys = list(pd.unique(t["key"]))
    key = figure if figure in keys else next(
        (k for k, i in zip(t["key"], t["indicator"], strict=True) if i == figure), None)
    if key is None:
        raise ArgumentError(f"figure must be a key of the profile: {keys}; got {figure!r}.")
    rows = t.loc[t["key"] == key].reset_index(drop=True)
    first = rows.iloc[0]
    th = _threshold_of(result, first["indicator"], first["measure"])
    colours = [STATUS_COLOURS.get(s, "#9e9e9e") for s in rows["status"]]
    est = rows["estimate"].to_numpy(dtype=float)
    lo = rows["ci_lower"].to_numpy(dtype=float)
    hi = rows["ci_upper"].to_numpy(dtype=float)
    ok = np.isfinite(est)
    horizontal = by != "year"
    if horizontal:
        pos = np.arange(len(rows))[::-1].astype(float)
        ax.hlines(pos[ok], lo[ok], hi[ok], color=[c for c, o in zip(colours, ok, strict=True)
                                                   if o], lw=3)
        ax.scatter(est[ok], pos[ok], c=[c for c, o in zip(colours, ok, strict=True) if o],
                   zorder=3)
        names = ["whole organisation" if b == OVERALL else str(g)
                 for b, g in zip(rows["by"], rows["group"], strict=True)]
        ax.set_yticks(pos, names, fontsize=8)
        for p, o in zip(pos, ok, strict=True):
            if not o:
                ax.text(0.01, p, SUPPRESSED_MARK, transform=ax.get_yaxis_transform(),
                        va="center", color="#616161")
        ax.set_xlabel(str(first["unit"]))
    else:
        years = rows.loc[rows["by"] == "year"]
        x = pd.to_numeric(years["group"], errors="coerce").to_numpy(dtype=float)
        sel = (rows["by"] == "year").to_numpy() & ok
        xs = pd.to_numeric(rows.loc[sel, "group"], errors="coerce").to_numpy(dtype=float)
        ax.fill_between(xs, lo[sel], hi[sel], color="#90a4ae", alpha=0.35, lw=0)
        ax.plot(xs, est[sel], color="#455a64", lw=1)
        ax.scatter(xs, est[sel], c=[c for c, s in zip(colours, sel, strict=True) if s], s=18,
                   zorder=3)
        if len(x):
            ax.set_xticks(x, [str(int(v)) for v in x], fontsize=8)
        ax.set_xlabel("fiscal year")
        ax.set_ylabel(str(first["unit"]))
    if th is not None:
        line = ax.axvline if horizontal else ax.axhline
        band = ax.axvspan if horizontal else ax.axhspan
        if th["direction"] == "outside":
            low, high = th["value"]
            band(low, high, color="#2e7d32", alpha=0.08, lw=0)
            line(low, color="k", ls="--", lw=0.8)
            line(high, color="k", ls="--", lw=0.8)
        else:
            line(float(th["value"]), color="k", ls="--", lw=0.8)
    level = level_text(result.meta.get("alpha", 0.05))
    ax.set_title(f"{first['label']}" + (f" ({first['detail']})" if first["detail"] else "")
                 + f"\ndot: estimate; bar: {level} CI; dashed: threshold", fontsize=9,
                 loc="left")
    _despine(ax)
    return ax


def plot_scores(result: Result, ax: Axes, *, by: str | None = None) -> Axes:
    """Flagged, inconclusive and clear figures of each scope, as stacked bars.

    Parameters
    ----------
    result
        The ``scores`` part of :func:`pathaudit.forced_management`.
    ax
        Axes to draw on.
    by
        The scopes shown beside the organisation (default the unit grouping of the
        run; ``"year"`` for the score over time).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> audit.plot("scores", by="year")  # doctest: +SKIP
    """
    by = _scope_by(result, by)
    t = _scopes(result.table, by).reset_index(drop=True)
    pos = np.arange(len(t))[::-1]
    left = np.zeros(len(t))
    for status, col in (("flagged", "flagged"), ("inconclusive", "inconclusive"),
                        ("clear", "clear"), ("not estimable", "not_estimable"),
                        ("not computed", "not_computed")):
        width = t[col].to_numpy(dtype=float)
        ax.barh(pos, width, left=left, color=STATUS_COLOURS[status], label=status, height=0.7)
        left += width
    names = ["whole organisation" if b == OVERALL else str(g)
             for b, g in zip(t["by"], t["group"], strict=True)]
    ax.set_yticks(pos, names, fontsize=8)
    ax.set_xlabel("figures")
    ax.set_title("Flagged figures (the score) per scope", fontsize=10, loc="left")
    ax.legend(frameon=False, fontsize=7.5, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _despine(ax)
    return ax


def plot_flows(result: Result, ax: Axes, *, group: str = ALL, by: str = OVERALL) -> Axes:
    """Switch and exit flows by grade: moves per 100 person-years with their intervals.

    Parameters
    ----------
    result
        The ``switch_flows`` part (:func:`pathaudit.management.switch_flows`).
    ax
        Axes to draw on.
    group, by
        Scope (default: the whole organisation), e.g. ``by="org_unit", group="Data"``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> audit.plot("switch_flows", by="org_unit", group="Data")  # doctest: +SKIP
    """
    t = result.table
    t = t.loc[(t["by"] == by) & (t["group"] == group)]
    if len(t) == 0 and len(result.table):
        scopes = sorted({(b, g) for b, g in zip(result.table["by"], result.table["group"],
                                                 strict=True)})
        raise ArgumentError(f"(by, group) must be one of the scopes of switch_flows, e.g. "
                            f"{scopes[:3]}; got {(by, group)!r}.")
    grades = sorted(int(g) for g in t["grade"].dropna().unique())
    labels = list(FLOW_COLOURS)
    width = 0.8 / len(labels)
    x = np.arange(len(grades))
    for i, lab in enumerate(labels):
        f = t.loc[t["flow"] == lab].set_index(t.loc[t["flow"] == lab, "grade"].astype(int))
        f = f.reindex(grades)
        est = f["estimate"].to_numpy(dtype=float)
        lo = f["ci_lower"].to_numpy(dtype=float)
        hi = f["ci_upper"].to_numpy(dtype=float)
        pos = x - 0.4 + width * (i + 0.5)
        ax.bar(pos, np.nan_to_num(est), width, color=FLOW_COLOURS[lab],
               label=display_direction(lab))
        err = np.vstack([np.clip(est - lo, 0, None), np.clip(hi - est, 0, None)])
        ok = np.isfinite(est)
        ax.errorbar(pos[ok], est[ok], yerr=err[:, ok], fmt="none", ecolor="#424242", lw=0.8)
        for px, e in zip(pos, est, strict=True):
            if not np.isfinite(e):
                ax.text(px, 0, SUPPRESSED_MARK, ha="center", va="bottom", fontsize=8,
                        color="#616161")
    ax.set_xticks(x, [str(g) for g in grades])
    ax.set_xlabel("grade (of the track left)")
    ax.set_ylabel("moves per 100 person-years")
    level = level_text(result.meta.get("alpha", 0.05))
    ax.set_title("Switches and exits by grade" + ("" if group == ALL else f": {group}")
                 + f" ({level} exact CI)")
    ax.legend(frameon=False, fontsize=8, ncols=4)
    _despine(ax)
    return ax
