"""Charts of attrition: ax in, ax out."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from pathaudit.errors import PathauditError
from pathaudit.io.schema import TRACKS
from pathaudit.result import Result

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def plot_rates_over_time(result: Result, ax: Axes, kind: str = "voluntary") -> Axes:
    """Exits per 100 person-years by track over time, exact CIs as bands (suppressed = gaps)."""
    t = result.table
    t = t.loc[t["kind"] == kind]
    colours = {"IC": "#1b9e77", "M": "#7570b3"}
    for track in TRACKS:
        s = t.loc[t["track"] == track].sort_values("period_start")
        x = s["period_start"]
        ax.plot(x, s["estimate"], marker="o", ms=3, color=colours[track], label=track)
        ax.fill_between(x, s["ci_lower"], s["ci_upper"], alpha=0.2, color=colours[track],
                        linewidth=0)
    ax.set_ylabel(f"{kind} exits per 100 person-years")
    ax.set_xlabel(f"{result.meta.get('freq', 'period')} (start)")
    ax.set_title(f"{kind.capitalize()} exits by track, {int(100 * (1 - result.meta['alpha']))}% "
                 "exact CI")
    ax.set_ylim(bottom=0)
    ax.legend(title="track")
    return ax


def plot_retention(result: Result, ax: Axes, curve: str = "tenure") -> Axes:
    """Kaplan–Meier retention by track, pointwise log(-log) CIs; curves stop below k at risk."""
    c = result.tables.get(curve)
    if c is None:
        raise PathauditError(f"No {curve!r} retention curve in this result; "
                             f"available: {sorted(result.tables)}.")
    colours = {"IC": "#1b9e77", "M": "#7570b3"}
    for track in TRACKS:
        s = c.loc[(c["track"] == track) & ~c["suppressed"].astype(bool)]
        if s.empty:
            continue
        x = np.r_[0.0, s["time"].to_numpy(float)]
        y = np.r_[1.0, s["estimate"].to_numpy(float)]
        ax.step(x, y, where="post", color=colours[track], label=track)
        ax.fill_between(x, np.r_[1.0, s["ci_lower"].to_numpy(float)],
                        np.r_[1.0, s["ci_upper"].to_numpy(float)], step="post", alpha=0.2,
                        color=colours[track], linewidth=0)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("years since hire" if curve == "tenure" else "years since entering the track")
    ax.set_ylabel("still employed (Kaplan–Meier)")
    ax.set_title("Retention by track" + (" (tenure)" if curve == "tenure"
                                          else " (time in current track)"))
    ax.legend(title="track")
    return ax


def plot_retention_default(result: Result, ax: Axes) -> Axes:
    """Retention over tenure (the plotter of the retention Result)."""
    return plot_retention(result, ax)


def plot_over_time_default(result: Result, ax: Axes) -> Axes:
    """Voluntary exit rates over time (the plotter of the over-time Result)."""
    return plot_rates_over_time(result, ax)
