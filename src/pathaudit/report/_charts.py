"""Charts of the report: matplotlib figures embedded as SVG data URIs, each with alt text.

Every chart is drawn from published tables only (:meth:`AnalysisResult.published`, the
published trend table): a suppressed cell has no value to draw. The track colours are the
package's (:data:`pathaudit.stats.labels.TRACK_COLOURS`).
"""

from __future__ import annotations

import base64
import io
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pathaudit.report._format import Formatter, unit_kind
from pathaudit.stats.labels import STATUS_COLOURS

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class Chart:
    """One embedded chart.

    Attributes
    ----------
    title
        Caption shown above the chart.
    alt
        Alternative text: what the chart shows, in words.
    uri
        ``data:image/svg+xml;base64,...`` (self-contained; no external reference).
    """

    title: str
    alt: str
    uri: str


PART_SIZE = (7.0, 4.0)
"""Size in inches of an analysis part's chart (``charts/`` of an audit and the report)."""


def _new_figure(size: tuple[float, float]) -> Figure:
    """A figure outside pyplot (no figure manager to close), drawn by Agg."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=size)


def fit_margins(fig: Figure) -> None:
    """Fit the margins to the drawn text once (a tight layout), then leave no layout engine.

    The margins are ``Figure.tight_layout``'s (the same figures: the tight box of the Axes,
    its labels, title and legend, plus the default padding), measured with a renderer kept
    for the process (:func:`_measuring_renderer`): a text measured for one chart is not
    measured again for the next. A figure other than one plain Axes gets
    ``Figure.tight_layout`` itself.

    ``Figure.tight_layout`` leaves a placeholder layout engine on the figure, and ``savefig``
    draws a figure that has a layout engine twice (a dry pass, then the file): no layout
    engine is left, so the file is drawn once, with the margins fitted here.
    """
    from matplotlib import rc_context

    margins = _tight_margins(fig)
    if margins is None:
        fig.tight_layout()
    else:
        fig.subplots_adjust(**margins)
    with rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)


TIGHT_PAD = 1.08
"""Padding around the tight box, in font sizes (``Figure.tight_layout``'s default)."""


def _tight_margins(fig: Figure) -> dict[str, float] | None:
    """``Figure.tight_layout``'s subplot parameters for a figure of one plain Axes, else None.

    None (``tight_layout`` decides, and warns where it cannot fit) for several Axes, an
    Axes placed otherwise than by its subplot spec, a figure title or label, or margins
    that leave no room for the Axes.
    """
    from contextlib import nullcontext

    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties
    from matplotlib.gridspec import GridSpec

    if len(fig.axes) != 1 or fig.get_layout_engine() is not None:
        return None
    ax = fig.axes[0]
    spec = ax.get_subplotspec()
    if spec is None or ax.get_axes_locator() is not None or not ax.get_visible():
        return None
    spec = spec.get_topmost_subplotspec()
    grid = spec.get_gridspec()
    if (not isinstance(grid, GridSpec) or grid.locally_modified_subplot_params()
            or fig.get_suptitle() or fig.get_supxlabel() or fig.get_supylabel()):
        return None
    renderer = _measuring_renderer(fig)
    with getattr(renderer, "_draw_disabled", nullcontext)():
        raw = ax.get_tightbbox(renderer, for_layout_only=True)
    if raw is None:
        return None
    box = spec.get_position(fig)
    tight = fig.transFigure.inverted().transform_bbox(raw)
    width, height = fig.get_size_inches()
    pad = TIGHT_PAD * FontProperties(size=rcParams["font.size"]).get_size_in_points() / 72
    left = max(box.xmin - tight.xmin, 0) + pad / width
    right = max(tight.xmax - box.xmax, 0) + pad / width
    top = max(tight.ymax - box.ymax, 0) + pad / height
    bottom = max(box.ymin - tight.ymin, 0) + pad / height
    if left + right >= 1 or bottom + top >= 1:
        return None
    return {"left": left, "right": 1 - right, "bottom": bottom, "top": 1 - top}


_MEASURING: dict[tuple[float, float, float], Any] = {}
"""Renderers that measure text for :func:`_tight_margins`, by figure size and dpi."""


def _measuring_renderer(fig: Figure) -> Any:
    """An Agg renderer of the figure's size and dpi, the same one for every such figure.

    The renderer a tight layout asks the figure for is new for every figure, and so is its
    cache of text extents; this one lives as long as the process, so each text (a tick
    label, a title) is measured once however many charts show it.
    """
    from matplotlib.backends.backend_agg import RendererAgg

    width, height = fig.bbox.size
    key = (float(width), float(height), float(fig.dpi))
    if key not in _MEASURING:
        if len(_MEASURING) >= 8:  # a few sizes recur; each holds a pixel buffer
            _MEASURING.pop(next(iter(_MEASURING)))
        _MEASURING[key] = RendererAgg(width, height, fig.dpi)
    return _MEASURING[key]


def svg_bytes(fig: Figure) -> bytes:
    """The figure as SVG (deterministic: no date, fixed hash salt)."""
    from matplotlib import rc_context

    buf = io.BytesIO()
    # a fixed hash salt (the same chart gives the same file); text kept as text
    with rc_context({"svg.hashsalt": "pathaudit", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def svg_uri(svg: bytes) -> str:
    """``data:image/svg+xml;base64,...`` of an SVG document."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def part_svg(
    result: Any, part: str, options: dict[str, Any] | None = None,
    size: tuple[float, float] = PART_SIZE,
) -> bytes:
    """The SVG of one part's chart, drawn once per result and reused.

    The audit's ``charts/<analysis>__<part>.svg`` and the report's chart of the same part
    are one drawing: the first caller draws it from the published part
    (:meth:`~pathaudit.result.AnalysisResult.published`) and the SVG is kept on the result
    (its parts are immutable), so the report embeds the file the audit wrote instead of
    drawing it again.

    Parameters
    ----------
    result
        A computed analysis (:class:`~pathaudit.result.AnalysisResult`).
    part
        One of ``result.plottable()``.
    options
        Passed to the part's plot function (e.g. ``{"by": "org_unit"}``).
    size
        Figure size in inches.

    Returns
    -------
    bytes
        The SVG document.

    Examples
    --------
    >>> svg = part_svg(pathaudit.attrition(data, parts=["rates"]), "rates")  # doctest: +SKIP
    >>> svg.startswith(b"<?xml")  # doctest: +SKIP
    True
    """
    memo = result.__dict__.setdefault("_part_svg", {})
    key = _memo_key(part, options, size)
    if key not in memo:
        memo[key] = draw_part(shown_part(result, part), options, size)
    return bytes(memo[key])


def _memo_key(
    part: str, options: dict[str, Any] | None, size: tuple[float, float]
) -> tuple[Any, ...]:
    return (part, tuple(size), repr(sorted((options or {}).items())))


def shown_part(result: Any, part: str) -> Any:
    """The part :meth:`~pathaudit.result.AnalysisResult.plot` draws: its published version."""
    return result.published().get(part) or result.part(part)


def draw_part(
    part: Any, options: dict[str, Any] | None = None, size: tuple[float, float] = PART_SIZE
) -> bytes:
    """The SVG of one part's chart, drawn from the part itself (a published ``Result``).

    What :func:`part_svg` draws, as a function of picklable arguments (the audit draws
    parts in a second process while the analyses run: ``pathaudit.audit._worker``).
    """
    fig = _new_figure(size)
    ax = fig.subplots()
    with warnings.catch_warnings():
        # a part whose groups are all suppressed draws no labelled artist: its empty
        # legend is expected, not a problem
        warnings.filterwarnings("ignore", message="No artists with labels found",
                                category=UserWarning)
        part.plot(ax, **(options or {}))
        fit_margins(fig)
    return svg_bytes(fig)


def remember_part_svg(
    result: Any, part: str, svg: bytes, options: dict[str, Any] | None = None,
    size: tuple[float, float] = PART_SIZE,
) -> None:
    """Keep ``svg`` (:func:`draw_part` of the published part) as the drawing of ``part``."""
    result.__dict__.setdefault("_part_svg", {})[_memo_key(part, options, size)] = bytes(svg)


def trend_args(rows: pd.DataFrame, margin: Any = None) -> tuple[Any, ...] | None:
    """The arguments of :func:`trend_svg` for one figure's rows (None: no point to draw)."""
    rows = rows.reset_index(drop=True)
    est = rows["estimate"].to_numpy(dtype=float)
    if not np.isfinite(est).any():
        return None
    unit = str(rows["unit"].iloc[0])
    lo = rows["ci_lower"].to_numpy(dtype=float)
    hi = rows["ci_upper"].to_numpy(dtype=float)
    periods = rows["period"].astype(str).tolist()
    scale = 100.0 if unit_kind(unit) in ("percent", "points") else 1.0
    ylab = {"percent": "%", "points": "percentage points"}.get(unit_kind(unit), unit)
    return (est, lo, hi, periods, scale, None if margin is None else tuple(margin), ylab)


def trend_chart(
    rows: pd.DataFrame, fmt: Formatter, margin: Any = None, drawing: Any = None
) -> Chart | None:
    """One figure over the quarters: estimate (line), interval (band), healthy band shaded.

    ``rows`` are the published trend rows of one figure, oldest first; a suppressed or
    not estimable point (no estimate) is not drawn. None when no point can be drawn.
    ``drawing``: the SVG already asked for elsewhere (an object whose ``result()`` is
    :func:`trend_svg` of :func:`trend_args`; the audit's second process); default drawn here.
    """
    args = trend_args(rows, margin)
    if args is None:
        return None
    svg = drawing.result() if drawing is not None else trend_svg(*args)
    rows = rows.reset_index(drop=True)
    est = args[0]
    label = str(rows["label"].iloc[0])
    unit = str(rows["unit"].iloc[0])
    periods = args[3]
    shown = np.isfinite(est)
    first, last = int(np.flatnonzero(shown)[0]), int(np.flatnonzero(shown)[-1])
    missing = int((~shown).sum())
    alt = (f"Line chart of {label} for {len(rows)} periods, {periods[0]} to {periods[-1]}: "
           f"{fmt.figure(est[first], unit)} in {periods[first]}, "
           f"{fmt.figure(est[last], unit)} in {periods[last]}, with its interval as a band"
           + (" and the equivalence margin shaded" if margin is not None else "")
           + (f"; {missing} period(s) not drawn (suppressed or not estimable)" if missing
              else "") + ".")
    return Chart(f"{label}: trend", alt, svg_uri(svg))


TREND_SIZE = (7.0, 2.8)
"""Size in inches of a trend chart."""


def trend_svg(
    est: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    periods: list[str],
    scale: float,
    margin: tuple[float, float] | None,
    ylab: str,
) -> bytes:
    """The SVG of a trend chart (:func:`trend_chart`), from picklable arguments."""
    x = np.arange(len(est))
    shown = np.isfinite(est)
    fig = _new_figure(TREND_SIZE)
    ax = fig.subplots()
    if margin is not None:
        a, b = margin
        ax.axhspan(a * scale, b * scale, color=STATUS_COLOURS["clear"], alpha=0.10, lw=0,
                   label="equivalence margin")
    band = shown & np.isfinite(lo) & np.isfinite(hi)
    if band.any():
        ax.fill_between(x, np.where(band, lo, np.nan) * scale,
                        np.where(band, hi, np.nan) * scale, color="#555555", alpha=0.2,
                        lw=0, label="interval")
    ax.plot(x[shown], est[shown] * scale, marker="o", color="#222222", lw=1.5,
            label="estimate")
    ax.set_xticks(x, periods, rotation=0, fontsize=8)
    ax.set_xlim(-0.5, len(x) - 0.5)
    ax.set_ylabel(ylab)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=7, frameon=False, loc="best")
    fit_margins(fig)  # margins fitted once: no second, cropping pass when saved
    return svg_bytes(fig)


def part_chart(result: Any, part: str, title: str, options: dict[str, Any] | None = None,
               size: tuple[float, float] = PART_SIZE) -> Chart | None:
    """An analysis part's own chart (its published table), or None when it has none.

    At the default size and options this is the drawing of the audit's
    ``charts/<analysis>__<part>.svg`` (:func:`part_svg`): drawn once.
    """
    if part not in result.plottable():
        return None
    meta = result.published()[part].meta
    alt = (f"Chart of {title}. It shows: {meta.get('definition', '')}. Population: "
           f"{meta.get('population', '')}. Cells with fewer than {meta.get('k', 5)} people "
           "are not drawn.")
    return Chart(title, alt, svg_uri(part_svg(result, part, options, size)))
