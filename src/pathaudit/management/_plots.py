"""Charts of the forced-into-management indicators.

- :func:`plot_profile`: the one-page profile of one unit (or the organisation);
- :func:`plot_flows`: switch and exit flows by grade (ax in, ax out);
- :func:`plot_over_time`: each headline figure per fiscal year.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pathaudit.management._common import ALL, OVERALL
from pathaudit.result import Result

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from pathaudit.management._analysis import ManagementAudit, Threshold

STATUS_COLOURS = {
    "flagged": "#c0392b",
    "clear": "#2e7d32",
    "inconclusive": "#e69f00",
    "too few events": "#9e9e9e",
    "suppressed": "#9e9e9e",
    "not estimable": "#9e9e9e",
    "not available": "#9e9e9e",
}
"""Colour of each profile status (colour-blind-safe red / green / orange, grey)."""

FLOW_COLOURS = {"IC->M": "#0072b2", "M->IC": "#56b4e9", "IC exit": "#d55e00", "M exit": "#e69f00"}


def _threshold_of(audit: ManagementAudit, indicator: str, measure: str) -> Threshold | None:
    for t in audit.thresholds:
        if t.indicator == indicator and t.measure == measure:
            return t
    return None


def _draw_threshold(ax: Axes, t: Threshold) -> None:
    if t.direction == "outside":
        lo, hi = t.value  # type: ignore[misc]
        ax.axvspan(lo, hi, color="#2e7d32", alpha=0.08, lw=0)
        ax.axvline(lo, color="k", ls="--", lw=0.8)
        ax.axvline(hi, color="k", ls="--", lw=0.8)
    else:
        ax.axvline(float(t.value), color="k", ls="--", lw=0.8)  # type: ignore[arg-type]


def plot_profile(audit: ManagementAudit, group: str = ALL, by: str = OVERALL) -> Figure:
    """One page: every headline figure of one scope against its threshold.

    Parameters
    ----------
    audit
        The output of :func:`pathaudit.forced_management`.
    group, by
        The scope: the organisation (default) or one unit (``group="Unit A"``,
        ``by`` defaulting to the unit grouping of the audit).

    Returns
    -------
    matplotlib.figure.Figure
        One small panel per figure: the estimate (dot) with its confidence
        interval (bar), the threshold (dashed line; the healthy band shaded for
        two-sided thresholds) and, for a unit, the organisation's value (grey
        diamond). Colours: red flagged, green clear, orange inconclusive, grey
        suppressed or not available. The title gives the score.
    """
    import matplotlib.pyplot as plt

    p = audit.unit_profile(group, by)
    org = audit.unit_profile()
    n = max(len(p), 1)
    ncols = 3
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(11, 1.7 * nrows + 1.2), squeeze=False)
    for ax in axes.ravel()[len(p):]:
        ax.set_visible(False)
    for ax, r in zip(axes.ravel(), p.itertuples(index=False), strict=False):
        t = _threshold_of(audit, r.indicator, r.measure)
        colour = STATUS_COLOURS.get(r.status, "#9e9e9e")
        title = r.label + (f"\n({r.detail})" if r.detail else "")
        ax.set_title(title, fontsize=8.5, loc="left")
        ax.set_yticks([])
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        if t is not None:
            _draw_threshold(ax, t)
        finite = all(np.isfinite([r.estimate, r.ci_lower, r.ci_upper]))
        if finite and r.status != "suppressed":
            ax.plot([r.ci_lower, r.ci_upper], [0, 0], color=colour, lw=3, solid_capstyle="butt")
            ax.plot([r.estimate], [0], "o", color=colour, ms=7)
            ax.text(0.99, 0.92, f"{r.status}", transform=ax.transAxes, ha="right", va="top",
                    fontsize=8, color=colour)
        else:
            ax.text(0.5, 0.5, "suppressed (fewer than k people)" if r.status == "suppressed"
                    else r.status, transform=ax.transAxes, ha="center", va="center",
                    fontsize=8, color="#616161")
        if by != OVERALL or group != ALL:
            o = org.loc[(org["indicator"] == r.indicator) & (org["measure"] == r.measure)
                        & (org["detail"] == r.detail)]
            if len(o) and np.isfinite(o["estimate"].iloc[0]):
                ax.plot([o["estimate"].iloc[0]], [0.35], "D", color="#757575", ms=5)
        ax.set_ylim(-1, 1)
        ax.tick_params(axis="x", labelsize=7.5)
        ax.set_xlabel(r.unit, fontsize=7.5)
    s = audit.scores
    row = s.loc[(s["by"] == (p["by"].iloc[0] if len(p) else by)) & (s["group"] == group)]
    flagged = int(row["flagged"].iloc[0]) if len(row) else 0
    assessed = int(row["assessed"].iloc[0]) if len(row) else 0
    name = "Whole organisation" if group == ALL else str(group)
    fig.suptitle(f"{name}: {flagged} of {assessed} figures flagged "
                 f"(as of {audit.meta.get('as_of', '')})", fontsize=12, x=0.01, ha="left")
    fig.text(0.01, 0.005, "Dot: estimate; bar: 95% CI; dashed: threshold; grey diamond: "
             "whole organisation. Flagged only when the whole CI is beyond the threshold.",
             fontsize=7.5, color="#616161")
    fig.tight_layout(rect=(0, 0.03, 1, 0.95))
    return fig


def plot_flows(
    flows: Result, ax: Axes | None = None, group: str = ALL, by: str = OVERALL
) -> Axes:
    """Switch and exit flows by grade: moves per 100 person-years with 95% CIs.

    Parameters
    ----------
    flows
        The result of :func:`pathaudit.management._flow.switch_flows` (suppressed).
    ax
        Axes to draw on (a new one if None).
    group, by
        Scope (default: the whole organisation).

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    t = flows.table
    t = t.loc[(t["by"] == by) & (t["group"] == group)]
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
        ax.bar(pos, np.nan_to_num(est), width, color=FLOW_COLOURS[lab], label=lab)
        err = np.vstack([np.clip(est - lo, 0, None), np.clip(hi - est, 0, None)])
        ok = np.isfinite(est)
        ax.errorbar(pos[ok], est[ok], yerr=err[:, ok], fmt="none", ecolor="#424242", lw=0.8)
        for px, e in zip(pos, est, strict=True):
            if not np.isfinite(e):
                ax.text(px, 0, "–", ha="center", va="bottom", fontsize=8, color="#616161")
    ax.set_xticks(x, [str(g) for g in grades])
    ax.set_xlabel("grade (of the track left)")
    ax.set_ylabel("moves per 100 person-years")
    ax.set_title("Switches and exits by grade" + ("" if group == ALL else f": {group}"))
    ax.legend(frameon=False, fontsize=8, ncols=4)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def plot_over_time(audit: ManagementAudit) -> Figure:
    """Each headline figure of the organisation per fiscal year, against its threshold.

    Returns
    -------
    matplotlib.figure.Figure
        One small panel per figure: estimate per year (line and dots, coloured by
        status) with its confidence interval (band) and the threshold (dashed).
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    p = audit.over_time()
    keys = p[["indicator", "measure", "detail", "label"]].drop_duplicates()
    n = max(len(keys), 1)
    ncols = 3
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(11, 2.1 * nrows + 0.8), squeeze=False)
    for ax in axes.ravel()[len(keys):]:
        ax.set_visible(False)
    for ax, k in zip(axes.ravel(), keys.itertuples(index=False), strict=False):
        sel = p.loc[(p["indicator"] == k.indicator) & (p["measure"] == k.measure)
                    & (p["detail"] == k.detail)].copy()
        sel["year"] = pd.to_numeric(sel["group"], errors="coerce")
        sel = sel.sort_values("year")
        ok = np.isfinite(sel["estimate"].to_numpy(dtype=float))
        ax.fill_between(sel["year"][ok], sel["ci_lower"][ok], sel["ci_upper"][ok],
                        color="#90a4ae", alpha=0.35, lw=0)
        ax.plot(sel["year"][ok], sel["estimate"][ok], color="#455a64", lw=1)
        ax.scatter(sel["year"][ok], sel["estimate"][ok],
                   c=[STATUS_COLOURS.get(s, "#9e9e9e") for s in sel["status"][ok]], s=18,
                   zorder=3)
        t = _threshold_of(audit, k.indicator, k.measure)
        if t is not None:
            vals = t.value if t.direction == "outside" else (t.value,)
            for v in vals:  # type: ignore[union-attr]
                ax.axhline(float(v), color="k", ls="--", lw=0.8)
        ax.set_title(k.label + (f" ({k.detail})" if k.detail else ""), fontsize=8.5, loc="left")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelsize=7.5)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.suptitle("Forced-into-management figures per fiscal year", fontsize=12, x=0.01,
                 ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig
