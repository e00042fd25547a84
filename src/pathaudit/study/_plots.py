"""Charts of the study: the event study and the placebo distribution (ax in, ax out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from pathaudit.result import new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from pathaudit.result import Result


def plot_event_study(result: Result, ax: Axes | None = None, **options: Any) -> Axes:
    """Effect by quarters since adoption: points, pointwise intervals and the uniform band."""
    ax = new_axes(ax)
    t = result.table[~result.table["suppressed"].astype(bool)]
    e = t["event_time"].to_numpy(dtype=float)
    est = t["estimate"].to_numpy(dtype=float)
    if np.isfinite(t["band_lower"]).any():
        ax.fill_between(
            e,
            t["band_lower"],
            t["band_upper"],
            alpha=0.15,
            color="C0",
            step="mid",
            label="simultaneous band",
        )
    if np.isfinite(t["ci_lower"]).any():
        ax.errorbar(
            e,
            est,
            yerr=[est - t["ci_lower"], t["ci_upper"] - est],
            fmt="none",
            ecolor="C0",
            capsize=2,
        )
    pre = e < 0
    ax.plot(e[pre], est[pre], "o", color="grey", label="before adoption")
    ax.plot(e[~pre], est[~pre], "o", color="C0", label="after adoption")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axvline(-0.5, color="black", linestyle=":", linewidth=0.8)
    p = result.meta.get("pretest_p_value")
    title = "Voluntary exits per 100 person-years: effect by quarters since adoption"
    if p is not None:
        title += f"\n(joint pre-trend test p = {p:.3f})"
    ax.set_title(options.get("title", title))
    ax.set_xlabel("quarters since adoption")
    ax.set_ylabel("difference per 100 person-years")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_placebo(result: Result, ax: Axes | None = None, **options: Any) -> Axes:
    """Placebo effects from reassigned adoption dates, with the estimate marked."""
    ax = new_axes(ax)
    kind = options.get("kind", "simple")
    d = result.tables["draws"]
    d = d[(d["kind"] == kind) & ~d["suppressed"].astype(bool)]
    ax.hist(d["placebo"].dropna(), bins=30, color="lightgrey", edgecolor="grey")
    row = result.table[result.table["kind"] == kind]
    if len(row) and np.isfinite(row["estimate"].iloc[0]):
        ax.axvline(
            row["estimate"].iloc[0],
            color="C3",
            label=f"estimate (p = {row['p_value'].iloc[0]:.3f})",
        )
        ax.legend(loc="best", fontsize="small")
    ax.set_title(f"Placebo adoption dates: {kind} aggregation")
    ax.set_xlabel("placebo effect per 100 person-years")
    ax.set_ylabel("draws")
    return ax
