"""Charts of the report: matplotlib figures embedded as SVG data URIs, each with alt text.

Every chart is drawn from published tables only (:meth:`AnalysisResult.published`, the
published trend table): a suppressed cell has no value to draw. The track colours are the
package's (:data:`pathaudit.stats.labels.TRACK_COLOURS`).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pathaudit.report._format import Formatter, unit_kind
from pathaudit.stats.labels import STATUS_COLOURS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
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


def figure_uri(fig: Figure) -> str:
    """The figure as a base64 SVG data URI (deterministic: no date, fixed hash salt)."""
    import matplotlib.pyplot as plt
    from matplotlib import rc_context

    buf = io.BytesIO()
    with rc_context({"svg.hashsalt": "pathaudit", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def draw(draw_on: Callable[[Axes], Any], title: str, alt: str,
         size: tuple[float, float] = (7.0, 3.6)) -> Chart:
    """A chart drawn by ``draw_on(ax)`` on a new figure of ``size`` inches."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    ax = fig.subplots()
    draw_on(ax)
    fig.tight_layout()
    return Chart(title, alt, figure_uri(fig))


def trend_chart(rows: pd.DataFrame, fmt: Formatter, margin: Any = None) -> Chart | None:
    """One figure over the quarters: estimate (line), interval (band), healthy band shaded.

    ``rows`` are the published trend rows of one figure, oldest first; a suppressed or
    not estimable point (no estimate) is not drawn. None when no point can be drawn.
    """
    rows = rows.reset_index(drop=True)
    est = rows["estimate"].to_numpy(dtype=float)
    if not np.isfinite(est).any():
        return None
    label = str(rows["label"].iloc[0])
    unit = str(rows["unit"].iloc[0])
    lo = rows["ci_lower"].to_numpy(dtype=float)
    hi = rows["ci_upper"].to_numpy(dtype=float)
    periods = rows["period"].astype(str).tolist()
    x = np.arange(len(rows))
    scale = 100.0 if unit_kind(unit) in ("percent", "points") else 1.0
    shown = np.isfinite(est)

    def on(ax: Axes) -> None:
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
        ylab = {"percent": "%", "points": "percentage points"}.get(unit_kind(unit), unit)
        ax.set_ylabel(ylab)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(fontsize=7, frameon=False, loc="best")

    first, last = int(np.flatnonzero(shown)[0]), int(np.flatnonzero(shown)[-1])
    missing = int((~shown).sum())
    alt = (f"Line chart of {label} for {len(rows)} periods, {periods[0]} to {periods[-1]}: "
           f"{fmt.figure(est[first], unit)} in {periods[first]}, "
           f"{fmt.figure(est[last], unit)} in {periods[last]}, with its interval as a band"
           + (" and the equivalence margin shaded" if margin is not None else "")
           + (f"; {missing} period(s) not drawn (suppressed or not estimable)" if missing
              else "") + ".")
    return draw(on, f"{label}: trend", alt, size=(7.0, 2.8))


def part_chart(result: Any, part: str, title: str, options: dict[str, Any] | None = None,
               size: tuple[float, float] = (7.0, 3.8)) -> Chart | None:
    """An analysis part's own chart (its published table), or None when it has none."""
    if part not in result.plottable():
        return None
    res = result.published()[part]
    meta = res.meta

    def on(ax: Axes) -> None:
        result.plot(part, ax=ax, **(options or {}))

    alt = (f"Chart of {title}. It shows: {meta.get('definition', '')}. Population: "
           f"{meta.get('population', '')}. Cells with fewer than {meta.get('k', 5)} people "
           "are not drawn.")
    return draw(on, title, alt, size=size)
