"""Point estimates of the unconditional Callaway–Sant'Anna ATT, fast and engine-free.

Used where the engine cannot or need not run: data with too few units for its intervals
(the engine refuses a never-treated group under 5 units, as R ``did`` does), and the
hundreds of refits of randomisation inference over adoption dates. No covariates; a unit
enters a cell when it is observed in both periods of the cell. On a balanced panel the
estimates equal the engine's (``tests/test_study.py`` checks every aggregation on ``mpdta``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def wide(
    panel: pd.DataFrame, outcome: str, unit: str, time: str, first_treated: str, weight: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Outcome matrix (units x periods, NaN where unobserved), periods, groups, weights."""
    y = panel.pivot(index=unit, columns=time, values=outcome).sort_index(axis=1)
    first = panel.groupby(unit)[first_treated].first().reindex(y.index)
    w = (
        panel.groupby(unit)[weight].first().reindex(y.index).to_numpy(dtype=float)
        if weight
        else np.ones(len(y))
    )
    return (
        y.to_numpy(dtype=float),
        y.columns.to_numpy(dtype=np.int64),
        first.to_numpy(dtype=np.int64),
        w,
    )


def att_gt_points(
    Y: np.ndarray,
    periods: np.ndarray,
    G: np.ndarray,
    w: np.ndarray,
    *,
    control_group: str = "never",
    anticipation: int = 0,
    base_period: str = "varying",
) -> pd.DataFrame:
    """ATT(g, t) point estimates: weighted mean change of cohort g minus that of controls.

    Returns ``group``, ``time``, ``estimate`` (NaN where a side has no unit).
    """
    col = {int(t): j for j, t in enumerate(periods)}
    groups = np.unique(G[G > 0])
    groups = groups[groups > periods.min()]
    rows: list[tuple[int, int, float]] = []
    for g in groups:
        for t in periods[1:]:
            post = t >= g - anticipation
            base = g - 1 - anticipation if (post or base_period == "universal") else t - 1
            if base not in col or base == t:
                continue
            dy = Y[:, col[int(t)]] - Y[:, col[int(base)]]
            ok = np.isfinite(dy)
            treated = ok & (G == g)
            if control_group == "never":
                control = ok & (G == 0)
            else:
                control = ok & ((G == 0) | (G > max(t, base) + anticipation)) & (G != g)
            if treated.any() and control.any():
                est = np.average(dy[treated], weights=w[treated]) - np.average(
                    dy[control], weights=w[control]
                )
            else:
                est = np.nan
            rows.append((int(g), int(t), float(est)))
    return pd.DataFrame(rows, columns=["group", "time", "estimate"])


def aggregate_points(
    cells: pd.DataFrame, G: np.ndarray, w: np.ndarray, periods: np.ndarray
) -> dict[str, pd.DataFrame | float]:
    """The four aggregations of R ``did::aggte`` (point estimates), weights ``P(G = g)``.

    Returns ``{kind: table}`` with ``value`` and ``estimate`` and ``{kind + "_overall":
    float}``.
    """
    pg = pd.Series({g: w[G == g].sum() / w.sum() for g in np.unique(G[G > 0])})
    c = cells.dropna(subset=["estimate"]).copy()
    c["pg"] = c["group"].map(pg)
    c["e"] = c["time"] - c["group"]
    post = c[c["time"] >= c["group"]]
    out: dict[str, pd.DataFrame | float] = {}
    out["simple_overall"] = float(np.average(post["estimate"], weights=post["pg"]))
    by_g = post.groupby("group")["estimate"].mean()
    out["group"] = pd.DataFrame({"value": by_g.index.astype(np.int64), "estimate": by_g.to_numpy()})
    out["group_overall"] = float(np.average(by_g.to_numpy(), weights=pg[by_g.index]))
    dyn = c.groupby("e").apply(
        lambda d: np.average(d["estimate"], weights=d["pg"]), include_groups=False
    )
    out["dynamic"] = pd.DataFrame(
        {"value": dyn.index.astype(np.int64), "estimate": dyn.to_numpy(dtype=float)}
    )
    out["dynamic_overall"] = float(dyn[dyn.index >= 0].mean())
    cal = post.groupby("time").apply(
        lambda d: np.average(d["estimate"], weights=d["pg"]), include_groups=False
    )
    out["calendar"] = pd.DataFrame(
        {"value": cal.index.astype(np.int64), "estimate": cal.to_numpy(dtype=float)}
    )
    out["calendar_overall"] = float(cal.mean())
    return out
