"""Charts of the time-to-promotion parts (``plotter(result, ax, **options) -> ax``).

- :func:`plot_difference`: the IC − M differences with the equivalence margin (``difference``);
- :func:`plot_incidence`: promotion curves by track (``incidence``);
- :func:`plot_hazard_ratios`: hazard ratios IC vs M (``hazard``);
- :func:`plot_impact_ratios`: the four-fifths impact ratios by group (``parity``).

Each is the ``plotter`` of its part, so ``res.plot("incidence", grade=5)`` draws it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from pathaudit.errors import ArgumentError
from pathaudit.promotion._incidence import AJ, ESTIMATOR_LABELS, NAIVE_KM
from pathaudit.promotion._parity import FOUR_FIFTHS
from pathaudit.result import Result, ratio_axis
from pathaudit.stats.labels import TRACK_COLOURS

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

    Examples
    --------
    >>> res = pathaudit.time_to_promotion(data, parts=["incidence"])  # doctest: +SKIP
    >>> res.plot("incidence", grade=5)  # doctest: +SKIP
    """
    cur = result.tables["curves"]
    if grade is not None:
        grades = sorted(int(g) for g in cur["grade"].dropna().unique())
        if grade not in grades:
            raise ArgumentError(
                f"grade must be one of the grades with curves, {grades}, or None for each "
                f"track over all grades; got {grade!r}."
            )
    sel = cur["grade"].isna() if grade is None else cur["grade"] == grade
    cur = cur.loc[sel.fillna(False).to_numpy() & ~cur["suppressed"].to_numpy()]
    colours = TRACK_COLOURS
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

    Examples
    --------
    >>> res = pathaudit.time_to_promotion(data, parts=["hazard"])  # doctest: +SKIP
    >>> res.plot("hazard")  # doctest: +SKIP
    """
    tab = result.table
    tab = tab.loc[tab["term"].astype("str").str.contains(" vs ") & ~tab["suppressed"]]
    y = np.arange(len(tab))[::-1]
    est = tab["estimate"].to_numpy(dtype=float)
    lo = tab["ci_lower"].to_numpy(dtype=float)
    hi = tab["ci_upper"].to_numpy(dtype=float)
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="o", color="black", capsize=3)
    ax.axvline(1.0, color="grey", linestyle=":")
    ratio_axis(ax)
    ax.set_yticks(y)
    ax.set_yticklabels(tab["term"].astype("str"))
    ax.set_xlabel("hazard ratio of promotion (rate among those still in level)")
    ax.set_title(f"Promotion hazard ratio, with {_level(result)} CI")
    return ax


def plot_difference(result: Result, ax: Axes) -> Axes:
    """Draw the IC − M differences (within grade, pooled, per grade) with the margin band.

    Parameters
    ----------
    result
        The ``difference`` result of :func:`time_to_promotion`.
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> res = pathaudit.time_to_promotion(data, parts=["difference"])  # doctest: +SKIP
    >>> res.plot("difference")  # doctest: +SKIP
    """
    head = result.table.loc[~result.table["suppressed"].astype(bool)]
    labels = head["comparison"].astype("str").tolist()
    est = head["estimate"].to_numpy(dtype=float)
    lo = head["ci_lower"].to_numpy(dtype=float)
    hi = head["ci_upper"].to_numpy(dtype=float)
    by = result.tables.get("by_grade")
    if by is not None and len(by):
        by = by.loc[~by["suppressed"].astype(bool)]
        labels += [f"grade {int(g)}" for g in by["grade"]]
        est = np.concatenate([est, by["estimate"].to_numpy(dtype=float)])
        lo = np.concatenate([lo, by["ci_lower"].to_numpy(dtype=float)])
        hi = np.concatenate([hi, by["ci_upper"].to_numpy(dtype=float)])
    y = np.arange(len(labels))[::-1]
    margin = result.meta.get("margin")
    if margin is not None:
        ax.axvspan(-margin, margin, color="tab:green", alpha=0.12, linewidth=0,
                   label=f"equivalence margin ±{margin:g}")
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="o", color="black", capsize=3)
    ax.axvline(0.0, color="grey", linestyle=":")
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    h = result.meta.get("horizon")
    within = f" within {h:g} years" if h is not None else ""
    ax.set_xlabel(f"IC − M difference in the probability of promotion{within}")
    ax.set_title(f"IC − M difference, with {_level(result)} CI")
    if margin is not None:
        ax.legend(fontsize="small", loc="best")
    return ax


def plot_impact_ratios(result: Result, ax: Axes) -> Axes:
    """Draw each group's impact ratio (promotion proportion over the highest group's).

    Parameters
    ----------
    result
        The ``parity`` result of :func:`time_to_promotion`.
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        The ratios with their intervals, log scale, the four-fifths line at 0.8.

    Examples
    --------
    >>> res = pathaudit.time_to_promotion(data, parts=["parity"])  # doctest: +SKIP
    >>> res.plot("parity")  # doctest: +SKIP
    """
    imp = result.tables.get("impact_ratio")
    if imp is None or imp.empty:
        ax.text(0.5, 0.5, "no group to compare", ha="center", va="center",
                transform=ax.transAxes)
        return ax
    imp = imp.loc[(imp["group"] != imp["reference"]) & ~imp["suppressed"].astype(bool)]
    labels = [f"{t}: {g} vs {r}" for t, g, r in zip(imp["track"], imp["group"],
                                                    imp["reference"], strict=True)]
    y = np.arange(len(labels))[::-1]
    est = imp["estimate"].to_numpy(dtype=float)
    lo = imp["ci_lower"].to_numpy(dtype=float)
    hi = imp["ci_upper"].to_numpy(dtype=float)
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="o", color="black", capsize=3)
    ax.axvline(FOUR_FIFTHS, color="tab:red", linestyle="--", label=f"four-fifths ({FOUR_FIFTHS:g})")
    ax.axvline(1.0, color="grey", linestyle=":")
    ratio_axis(ax)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.set_xlabel("impact ratio: annual promotion proportion over the highest group's")
    ax.set_title(f"Promotion impact ratio within track, with {_level(result)} CI")
    ax.legend(fontsize="small", loc="best")
    return ax


def _level(result: Result) -> str:
    """The confidence level of the result's intervals in words, e.g. ``"95%"``."""
    alpha = float(result.meta.get("alpha", 0.05))
    return f"{100 * (1 - alpha):g}%"
