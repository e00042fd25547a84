"""Charts of attrition: ``plot_*(result, ax, **options) -> ax``, the plotters of the parts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pathaudit.attrition._frame import KINDS
from pathaudit.checks import check_choice
from pathaudit.io.schema import TRACKS
from pathaudit.result import Result, ratio_axis
from pathaudit.stats.labels import TRACK_COLOURS, display_direction

if TYPE_CHECKING:
    from matplotlib.axes import Axes

COLOURS: dict[str, str] = TRACK_COLOURS
"""One colour per track, the package's (:data:`pathaudit.stats.labels.TRACK_COLOURS`)."""


def _level(result: Result) -> str:
    """The confidence level of the result's intervals in words (``"95%"``)."""
    return f"{100 * (1 - float(result.meta.get('alpha', 0.05))):g}%"


def plot_rates(result: Result, ax: Axes) -> Axes:
    """Exits per 100 person-years by track and kind, with exact intervals (``rates`` part)."""
    t = result.table
    kinds = list(KINDS)
    width = 0.35
    for j, track in enumerate(TRACKS):
        s = t.loc[t["track"] == track].set_index("kind").reindex(kinds)
        x = np.arange(len(kinds)) + (j - 0.5) * width
        est = s["estimate"].to_numpy(float)
        err = np.vstack([est - s["ci_lower"].to_numpy(float), s["ci_upper"].to_numpy(float) - est])
        ax.errorbar(x, est, yerr=err, fmt="o", color=COLOURS[track], capsize=3, label=track)
    ax.set_xticks(np.arange(len(kinds)), kinds)
    ax.set_ylabel("exits per 100 person-years")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Exits by track, {_level(result)} exact CI")
    ax.legend(title="track")
    return ax


def plot_rates_over_time(result: Result, ax: Axes, kind: str = "voluntary") -> Axes:
    """Exits per 100 person-years by track over time, exact CIs as bands (suppressed = gaps).

    The plotter of the ``over_time`` part; ``kind`` is one of ``voluntary``,
    ``involuntary``, ``all``.

    Examples
    --------
    >>> res.plot("over_time", kind="all")  # doctest: +SKIP
    """
    kind = check_choice(kind, "kind", KINDS)
    t = result.table
    t = t.loc[t["kind"] == kind]
    for track in TRACKS:
        s = t.loc[t["track"] == track].sort_values("period_start")
        x = s["period_start"]
        ax.plot(x, s["estimate"], marker="o", ms=3, color=COLOURS[track], label=track)
        ax.fill_between(x, s["ci_lower"], s["ci_upper"], alpha=0.2, color=COLOURS[track],
                        linewidth=0)
    ax.set_ylabel(f"{kind} exits per 100 person-years")
    ax.set_xlabel(f"{result.meta.get('freq', 'period')} (start)")
    ax.set_title(f"{kind.capitalize()} exits by track, {_level(result)} exact CI")
    ax.set_ylim(bottom=0)
    ax.legend(title="track")
    return ax


def plot_retention(result: Result, ax: Axes, curve: str = "tenure") -> Axes:
    """Kaplan–Meier retention by track, pointwise log(-log) CIs; curves stop below k at risk.

    The plotter of the ``retention`` part; ``curve`` is ``"tenure"`` or
    ``"time_in_track"`` (the latter needs history).

    Examples
    --------
    >>> res.plot("retention", curve="time_in_track")  # doctest: +SKIP
    """
    curve = check_choice(curve, "curve", sorted(result.tables))
    c = result.tables[curve]
    # with attrition(group=...), one curve per track and group (line style per group)
    extra = [col for col in c.columns if col not in _CURVE_COLUMNS]
    group = extra[0] if extra else None
    values = sorted(c[group].dropna().unique(), key=str) if group else [None]
    for track in TRACKS:
        for i, value in enumerate(values):
            keep = (c["track"] == track) & ~c["suppressed"].astype(bool)
            if group:
                keep &= c[group] == value
            s = c.loc[keep]
            if s.empty:
                continue
            x = np.r_[0.0, s["time"].to_numpy(float)]
            y = np.r_[1.0, s["estimate"].to_numpy(float)]
            style = ("-", "--", ":", "-.")[i % 4]
            label = track if group is None else f"{track}, {value}"
            ax.step(x, y, where="post", color=COLOURS[track], label=label, linestyle=style)
            ax.fill_between(x, np.r_[1.0, s["ci_lower"].to_numpy(float)],
                            np.r_[1.0, s["ci_upper"].to_numpy(float)], step="post",
                            alpha=0.2 if group is None else 0.1, color=COLOURS[track],
                            linewidth=0)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("years since hire" if curve == "tenure" else "years since entering the track")
    ax.set_ylabel("still employed (Kaplan–Meier)")
    ax.set_title("Retention by track" + (" (tenure)" if curve == "tenure"
                                          else " (time in current track)"))
    ax.legend(title="track" if group is None else f"track, {group}")
    return ax


_CURVE_COLUMNS = frozenset(
    {"time", "track", "estimate", "ci_lower", "ci_upper", "n", "events", "suppressed"}
)
"""Columns of a retention curve table; any other is the ``group`` of ``attrition``."""


def _forest(ax: Axes, labels: list[str], t: pd.DataFrame, xlabel: str, title: str,
            band: tuple[float, float] | None = None) -> Axes:
    """Estimates with intervals on a log axis, one row per label, 1 marked."""
    y = np.arange(len(labels))[::-1]
    est = t["estimate"].to_numpy(float)
    lo, hi = t["ci_lower"].to_numpy(float), t["ci_upper"].to_numpy(float)
    if band is not None:
        ax.axvspan(band[0], band[1], color="0.9", zorder=0,
                   label=f"margin {band[0]:g} to {band[1]:g}")
    ax.axvline(1.0, color="0.4", linewidth=0.8)
    ax.errorbar(est, y, xerr=np.vstack([est - lo, hi - est]), fmt="o", color="#333333",
                capsize=3)
    ax.set_yticks(y, labels)
    shown = np.r_[est, lo, hi]
    shown = shown[np.isfinite(shown)]
    if len(shown) and (shown > 0).all():
        ratio_axis(ax)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    if band is not None:
        ax.legend(loc="best")
    return ax


def plot_rate_ratio(result: Result, ax: Axes, kind: str | None = None) -> Axes:
    """IC / M rate ratios with exact intervals, the equivalence margin shaded.

    The plotter of the ``rate_ratio`` and ``rate_ratio_by`` parts: one row per kind (and
    group); ``kind`` keeps one kind (default: every kind for ``rate_ratio``, voluntary
    exits for ``rate_ratio_by``).
    """
    t = result.table
    groups = [c for c in t.columns if c not in _RATIO_COLUMNS]
    if kind is None and groups:
        kind = "voluntary"
    if kind is not None:
        kind = check_choice(kind, "kind", KINDS)
        t = t.loc[t["kind"] == kind]
    label_cols = groups if (kind is not None and groups) else [*groups, "kind"]
    labels = [
        ", ".join(f"{c} {v}" if c in groups else str(v)
                  for c, v in zip(label_cols, row, strict=True))
        for row in t[label_cols].itertuples(index=False)
    ]
    margin = result.meta.get("margin")
    title = f"IC / M {kind + ' ' if kind else ''}exit rate ratio, {_level(result)} exact CI"
    return _forest(ax, labels, t, "IC rate / M rate (log scale)", title,
                   tuple(margin) if margin is not None else None)


_RATIO_COLUMNS = frozenset({
    "kind", "events_ic", "events_m", "person_years_ic", "person_years_m", "n_ic", "n_m",
    "estimate", "ci_lower", "ci_upper", "p_value", "mde", "p_adjusted", "n", "suppressed",
})


def plot_cox(result: Result, ax: Axes) -> Axes:
    """Hazard ratios of voluntary exit, one row per term (the ``cox`` part's plotter)."""
    t = result.table
    margin = result.meta.get("margin")
    return _forest(ax, t["term"].astype(str).tolist(), t, "hazard ratio (log scale)",
                   f"Voluntary exit: hazard ratios, {_level(result)} CI",
                   tuple(margin) if margin is not None else None)


def plot_post_switch(result: Result, ax: Axes) -> Axes:
    """Post-switch exit hazard ratios by direction and kind (the ``post_switch`` plotter)."""
    t = result.table
    labels = [f"{display_direction(d)}, {k} exits"
              for d, k in zip(t["direction"], t["kind"], strict=True)]
    months = result.meta.get("horizon_months", "")
    return _forest(ax, labels, t, "hazard ratio, switchers / matched stayers (log scale)",
                   f"Exits in the {months} months after a switch, {_level(result)} CI")
