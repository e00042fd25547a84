"""Charts of the pay-gap reports (``ax`` in, ``ax`` out; suppressed cells not drawn)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from pathaudit.result import Result
from pathaudit.stats.labels import TRACK_COLOURS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

SCOPE_COLOURS: dict[str, str] = {"overall": "#444444", **TRACK_COLOURS}
"""One colour per scope: everyone (grey) and each track (the package's track colours)."""


def _shown(result: Result) -> Any:
    t = result.table
    return t.loc[~t["suppressed"].astype("boolean").fillna(False).to_numpy(dtype=bool)]


def plot_category_gaps(result: Result, ax: Axes, basis: str = "hourly") -> Axes:
    """Mean gap in total pay per category with its interval, and the 5% lines.

    Examples
    --------
    >>> res.plot("categories", basis="annual")  # doctest: +SKIP
    """
    from matplotlib.ticker import PercentFormatter

    t = _shown(result)
    t = t.loc[((t["component"] == "total") & (t["basis"] == basis)).to_numpy()]
    y = t["estimate"].to_numpy(dtype=float)
    x = np.arange(len(t))
    err = np.vstack([y - t["ci_lower"].to_numpy(float), t["ci_upper"].to_numpy(float) - y])
    ax.errorbar(x, y, yerr=np.abs(np.nan_to_num(err)), fmt="o", color="#444444", capsize=3)
    threshold = result.meta.get("threshold")
    if threshold is not None:
        for v in (threshold, -threshold):
            ax.axhline(v, color="grey", lw=0.8, ls="--")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, t["category"].astype(str).tolist(), rotation=30, ha="right")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("(men's mean - women's mean) / men's mean")
    alpha = float(result.meta.get("alpha", 0.05))
    ax.set_title(
        f"Mean gender pay gap by category ({basis} pay), {1 - alpha:.0%} interval; dashed: "
        "the Article 10 line",
        fontsize=9,
    )
    return ax


def plot_quartiles(result: Result, ax: Axes, basis: str = "hourly") -> Axes:
    """Share of women in each quartile pay band, for everyone and within each track.

    Examples
    --------
    >>> res.plot("quartiles")  # doctest: +SKIP
    """
    from matplotlib.ticker import PercentFormatter

    t = _shown(result)
    if "basis" in t:
        t = t.loc[(t["basis"] == basis).to_numpy()]
    for i, scope in enumerate(("overall", "IC", "M")):
        s = t.loc[(t["scope"] == scope).to_numpy()]
        ax.bar(
            s["quartile"].to_numpy(float) + (i - 1) * 0.27,
            s["share_women"].to_numpy(float),
            width=0.27,
            color=SCOPE_COLOURS[scope],
            label=scope,
        )
    ax.set_xticks([1, 2, 3, 4], ["lower", "lower middle", "upper middle", "upper"])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("share of women in the band")
    ax.set_title(
        "Women in each quartile pay band of hourly pay (ties split, reg 13(2))", fontsize=9
    )
    if ax.get_legend_handles_labels()[1]:  # every group suppressed: nothing to name
        ax.legend(frameon=False)
    return ax


def plot_hourly_gaps(result: Result, ax: Axes) -> Axes:
    """Mean and median hourly gap, for everyone and within each track, with intervals.

    Examples
    --------
    >>> res.plot("pay_gaps")  # doctest: +SKIP
    """
    from matplotlib.ticker import PercentFormatter

    t = _shown(result)
    for j, stat in enumerate(("mean", "median")):
        s = t.loc[(t["statistic"] == stat).to_numpy()]
        for i, scope in enumerate(("overall", "IC", "M")):
            r = s.loc[(s["scope"] == scope).to_numpy()]
            if r.empty:
                continue
            y = float(r["estimate"].iloc[0])
            lo, hi = float(r["ci_lower"].iloc[0]), float(r["ci_upper"].iloc[0])
            err = np.abs(np.nan_to_num([[y - lo], [hi - y]]))
            ax.errorbar(
                j + (i - 1) * 0.2,
                y,
                yerr=err,
                fmt="o",
                capsize=3,
                color=SCOPE_COLOURS[scope],
                label=scope if j == 0 else None,
            )
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks([0, 1], ["mean", "median"])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("(men's - women's) / men's hourly pay")
    alpha = float(result.meta.get("alpha", 0.05))
    ax.set_title(f"Gender pay gap in hourly pay, {1 - alpha:.0%} interval", fontsize=9)
    if ax.get_legend_handles_labels()[1]:  # every group suppressed: nothing to name
        ax.legend(frameon=False)
    return ax
