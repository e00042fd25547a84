"""Plots of the time-to-promotion results: incidence curves and hazard ratios (ax in, ax out)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from pathaudit.promotion._incidence import AJ, ESTIMATOR_LABELS, NAIVE_KM
from pathaudit.result import Result

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def plot_incidence(result: Result, ax: Axes, grade: int | None = None) -> Axes:
    """Draw promotion incidence curves by track (Aalen–Johansen solid, naive KM dashed).

    Parameters
    ----------
    result
        The ``incidence`` result of :func:`time_to_promotion`.
    ax
        Axes to draw on.
    grade
        One grade, or None for each track pooled over its grades.

    Returns
    -------
    matplotlib.axes.Axes
    """
    cur = result.tables["curves"]
    sel = cur["grade"].isna() if grade is None else cur["grade"] == grade
    cur = cur.loc[sel.fillna(False).to_numpy() & ~cur["suppressed"].to_numpy()]
    colours = {"IC": "tab:blue", "M": "tab:orange"}
    for (track, est), part in cur.groupby(["track", "estimator"], sort=True):
        c = colours.get(str(track), None)
        if est == AJ:
            ax.step(
                part["time"],
                part["estimate"],
                where="post",
                color=c,
                label=f"{track}: {ESTIMATOR_LABELS[AJ]}",
            )
            ax.fill_between(
                part["time"],
                part["ci_lower"],
                part["ci_upper"],
                step="post",
                color=c,
                alpha=0.2,
                linewidth=0,
            )
        else:
            ax.step(
                part["time"],
                part["estimate"],
                where="post",
                color=c,
                linestyle="--",
                linewidth=1,
                label=f"{track}: {ESTIMATOR_LABELS[NAIVE_KM]}",
            )
    where = "all grades" if grade is None else f"grade {grade}"
    ax.set_xlabel("years in level")
    ax.set_ylabel("probability of promotion")
    ax.set_title(f"Promotion by time in level, {where}")
    ax.set_ylim(0, 1)
    ax.legend(fontsize="small", loc="upper left")
    return ax


def plot_hazard_ratios(result: Result, ax: Axes) -> Axes:
    """Draw hazard ratios (IC vs M, pooled and per grade) with their intervals, log scale.

    Parameters
    ----------
    result
        The ``hazard`` result of :func:`time_to_promotion`.
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
    """
    tab = result.table
    tab = tab.loc[tab["term"].astype("str").str.contains(" vs ") & ~tab["suppressed"]]
    y = np.arange(len(tab))[::-1]
    est = tab["estimate"].to_numpy(dtype=float)
    lo = tab["ci_lower"].to_numpy(dtype=float)
    hi = tab["ci_upper"].to_numpy(dtype=float)
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="o", color="black", capsize=3)
    ax.axvline(1.0, color="grey", linestyle=":")
    ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels(tab["term"].astype("str"))
    ax.set_xlabel("hazard ratio of promotion (rate among those still in level)")
    ax.set_title(
        "Promotion hazard ratio, with 95% CI"
        if result.meta.get("alpha") == 0.05
        else "Promotion hazard ratio, with CI"
    )
    return ax
