"""Charts of pay parity: ax in, ax out."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from pathaudit.checks import check_choice
from pathaudit.parity._population import COMPONENTS
from pathaudit.result import Result
from pathaudit.stats.labels import TRACK_COLOURS

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _component(result: Result, component: str) -> str:
    """``component`` is one the part computed (a clear error otherwise)."""
    present = set(result.table["component"].astype(str)) if len(result.table) else set()
    return check_choice(component, "component", [c for c in COMPONENTS if c in present])


def plot_distribution(result: Result, ax: Axes, component: str = "base") -> Axes:
    """Pay by grade and track: median, interquartile range, 10th-90th percentiles.

    Examples
    --------
    >>> res.plot("distribution", component="base")  # doctest: +SKIP
    """
    _component(result, component)
    t = result.table
    t = t.loc[(t["component"] == component) & ~t["suppressed"].astype(bool)]
    for track, offset in (("IC", -0.17), ("M", 0.17)):
        color = TRACK_COLOURS[track]
        s = t.loc[t["track"] == track]
        x = s["grade"].to_numpy(dtype=float) + offset
        ax.vlines(x, s["p10"], s["p90"], color=color, lw=1.2)
        ax.vlines(x, s["p25"], s["p75"], color=color, lw=7, alpha=0.8, label=track)
        ax.scatter(x, s["median"], color="white", edgecolor="black", zorder=3, s=18)
    ax.set_xlabel("grade")
    ax.set_ylabel(COMPONENTS.get(component, component))
    k = result.meta.get("k", 5)
    ax.set_title(
        f"{COMPONENTS.get(component, component)} by grade and track\n"
        f"dot = median, bar = 25th–75th, line = 10th–90th percentile; cells under {k} "
        "people not shown",
        fontsize=9,
    )
    ax.set_xticks(sorted(t["grade"].astype(int).unique()))
    ax.legend(title="track", frameon=False, loc="upper left")
    return ax


def plot_ratio(result: Result, ax: Axes, component: str = "base") -> Axes:
    """IC / M ratio of medians per grade with its CI (raw, no controls).

    Examples
    --------
    >>> res.plot("by_grade", component="base")  # doctest: +SKIP
    """
    _component(result, component)
    t = result.table
    t = t.loc[(t["component"] == component) & ~t["suppressed"].astype(bool)]
    x = t["grade"].to_numpy(dtype=float)
    y = t["estimate"].to_numpy(dtype=float)
    err = np.vstack([y - t["ci_lower"].to_numpy(float), t["ci_upper"].to_numpy(float) - y])
    ax.errorbar(x, y, yerr=np.nan_to_num(err), fmt="o", color="C0", capsize=3)
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xticks(sorted(t["grade"].astype(int).unique()))
    ax.set_xlabel("grade")
    ax.set_ylabel("IC median / M median")
    ax.set_title(f"IC / M ratio of median {COMPONENTS.get(component, component)} (raw)", fontsize=9)
    return ax


def plot_gaps(result: Result, ax: Axes, component: str = "base") -> Axes:
    """Adjusted gap per grade with its CI, and the overall gap as a band.

    Examples
    --------
    >>> res.plot("adjusted", component="base")  # doctest: +SKIP
    """
    from matplotlib.ticker import PercentFormatter

    _component(result, component)
    t = result.table.loc[result.table["component"] == component]
    per = t.loc[(t["scope"] == "grade") & ~t["suppressed"].astype(bool)]
    over = t.loc[t["scope"] == "overall"]
    if len(over):
        o = over.iloc[0]
        ax.axhspan(o["ci_lower"], o["ci_upper"], color="grey", alpha=0.2, lw=0)
        ax.axhline(o["estimate"], color="grey", lw=1.5, label="overall (with CI)")
    x = per["grade"].to_numpy(dtype=float)
    y = per["estimate"].to_numpy(dtype=float)
    err = np.vstack([y - per["ci_lower"].to_numpy(float), per["ci_upper"].to_numpy(float) - y])
    ax.errorbar(x, y, yerr=err, fmt="o", color="C0", capsize=3, label="per grade")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(sorted(per["grade"].astype(int).unique()))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("grade")
    ax.set_ylabel("adjusted IC vs M gap")
    alpha = result.meta.get("alpha", 0.05)
    ax.set_title(
        f"Adjusted gap in {COMPONENTS.get(component, component)}, {1 - alpha:.0%} CI "
        "(below 0: ICs paid less)",
        fontsize=9,
    )
    ax.legend(frameon=False)
    return ax


def plot_sensitivity(result: Result, ax: Axes) -> Axes:
    """Overall adjusted base-pay gap with its CI for each shift of the grade equivalence.

    Examples
    --------
    >>> res.plot("sensitivity")  # doctest: +SKIP
    """
    from matplotlib.ticker import PercentFormatter

    t = result.table.sort_values("shift")
    x = t["shift"].to_numpy(dtype=float)
    y = t["estimate"].to_numpy(dtype=float)
    err = np.vstack([y - t["ci_lower"].to_numpy(float), t["ci_upper"].to_numpy(float) - y])
    ax.errorbar(x, y, yerr=np.nan_to_num(err), fmt="o", color="C0", capsize=3)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, [f"{int(v):+d}" if v else "0 (as designed)" for v in x])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("IC grade g compared with M grade g + shift")
    ax.set_ylabel("adjusted IC vs M gap")
    alpha = result.meta.get("alpha", 0.05)
    ax.set_title(f"Adjusted gap in FTE base pay by grade equivalence, {1 - alpha:.0%} CI",
                 fontsize=9)
    return ax


def plot_decomposition(result: Result, ax: Axes) -> Axes:
    """The parts of the raw IC − M log-pay gap with their CIs (horizontal bars).

    Examples
    --------
    >>> res.plot("decomposition")  # doctest: +SKIP
    """
    t = result.table.iloc[::-1]
    y = np.arange(len(t))
    est = t["estimate"].to_numpy(dtype=float)
    err = np.vstack([est - t["ci_lower"].to_numpy(float), t["ci_upper"].to_numpy(float) - est])
    colors = ["C1" if p == "unexplained" else "C0" if p.startswith("explained") else "grey"
              for p in t["part"]]
    ax.barh(y, est, xerr=np.nan_to_num(err), color=colors, capsize=3)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, t["part"].tolist())
    ax.set_xlabel("log points (IC minus M)")
    alpha = result.meta.get("alpha", 0.05)
    ax.set_title(f"Oaxaca-Blinder decomposition of the mean log base-pay gap, {1 - alpha:.0%} "
                 "CI", fontsize=9)
    return ax
