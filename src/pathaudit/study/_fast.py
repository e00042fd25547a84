"""Point estimates of the unconditional Callaway–Sant'Anna ATT, fast and engine-free.

Used where the engine cannot or need not run: data with too few units for its intervals
(the engine refuses a never-treated group under 5 units, as R ``did`` does), and the
hundreds of refits of randomisation inference over adoption dates and of the power
simulation, vectorised over draws (a leading axis of ``Y`` or ``G``). No covariates; a unit
enters a cell when it is observed in both periods of the cell. On a balanced panel the
estimates equal the engine's (``tests/test_study_did.py`` checks every aggregation on
``mpdta``, weighted and unweighted).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def wide(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    weight: str | None,
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


def _cells(
    periods: np.ndarray, groups: np.ndarray, anticipation: int, base_period: str
) -> list[tuple[int, int, int]]:
    """(group, time, base period) of every ATT(g, t) R did estimates."""
    have = set(int(t) for t in periods)
    out = []
    for g in groups:
        for t in periods[1:]:
            post = t >= g - anticipation
            base = g - 1 - anticipation if (post or base_period == "universal") else t - 1
            if base in have and base != t:
                out.append((int(g), int(t), int(base)))
    return out


def cell_estimates(
    Y: np.ndarray,
    periods: np.ndarray,
    G: np.ndarray,
    w: np.ndarray,
    *,
    control_group: str = "never",
    anticipation: int = 0,
    base_period: str = "varying",
) -> tuple[pd.DataFrame, np.ndarray]:
    """ATT(g, t): weighted mean change of cohort g minus that of the controls.

    ``Y`` is ``(units, periods)`` or ``(draws, units, periods)``; ``G`` is ``(units,)`` or
    ``(draws, units)`` (permuted adoption dates keep the set of cohorts). Returns the cells
    (``group``, ``time``) and the estimates, shape ``(draws, cells)`` (NaN where a side has
    no unit).
    """
    Y3 = Y[None] if Y.ndim == 2 else Y
    G2 = G[None] if G.ndim == 1 else G
    S = max(Y3.shape[0], G2.shape[0])
    col = {int(t): j for j, t in enumerate(periods)}
    groups = np.unique(G2[G2 > 0])
    groups = groups[groups > periods.min()]
    cells = _cells(periods, groups, anticipation, base_period)
    est = np.full((S, len(cells)), np.nan)
    for c, (g, t, base) in enumerate(cells):
        dy = Y3[:, :, col[t]] - Y3[:, :, col[base]]
        ok = np.isfinite(dy)
        dy = np.where(ok, dy, 0.0)
        treated = ok & (G2 == g)
        if control_group == "never":
            control = ok & (G2 == 0)
        else:
            control = ok & ((G2 == 0) | (G2 > max(t, base) + anticipation)) & (G2 != g)
        wt, wc = treated * w, control * w
        with np.errstate(invalid="ignore", divide="ignore"):
            est[:, c] = (wt * dy).sum(-1) / wt.sum(-1) - (wc * dy).sum(-1) / wc.sum(-1)
    frame = pd.DataFrame([(g, t) for g, t, _ in cells], columns=["group", "time"], dtype=np.int64)
    return frame, est


def aggregate_draws(
    cells: pd.DataFrame, est: np.ndarray, G: np.ndarray, w: np.ndarray
) -> dict[str, np.ndarray]:
    """The four aggregations of R ``did::aggte`` per draw, weights ``P(G = g)``.

    Returns ``{kind: (draws, rows)}`` for group / dynamic / calendar, the row values under
    ``kind + "_values"``, and ``{kind + "_overall": (draws,)}`` for all four.
    """
    G2 = G[None] if G.ndim == 1 else G
    S = est.shape[0]
    g_cell = cells["group"].to_numpy()
    t_cell = cells["time"].to_numpy()
    e_cell = t_cell - g_cell
    groups = np.unique(g_cell)
    pg = np.stack([(w * (G2 == g)).sum(-1) for g in groups], axis=-1) / w.sum()
    pg = np.broadcast_to(pg, (S, len(groups)))
    p_cell = pg[:, np.searchsorted(groups, g_cell)]
    ok = np.isfinite(est)
    val = np.where(ok, est, 0.0)

    def wmean(mask: np.ndarray, weights: np.ndarray) -> np.ndarray:
        ww = weights * (mask[None, :] & ok)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (ww * val).sum(-1) / ww.sum(-1)

    post = t_cell >= g_cell
    out: dict[str, np.ndarray] = {"simple_overall": wmean(post, p_cell)}
    ones = np.ones_like(p_cell)
    by_g = np.stack([wmean(post & (g_cell == g), ones) for g in groups], axis=-1)
    out["group"], out["group_values"] = by_g, groups
    pg_ok = np.where(np.isfinite(by_g), pg, 0.0)
    out["group_overall"] = (np.nan_to_num(by_g) * pg_ok).sum(-1) / pg_ok.sum(-1)
    es = np.unique(e_cell)
    dyn = np.stack([wmean(e_cell == e, p_cell) for e in es], axis=-1)
    out["dynamic"], out["dynamic_values"] = dyn, es
    out["dynamic_overall"] = np.nanmean(np.where(es >= 0, dyn, np.nan), axis=-1)
    ts = np.unique(t_cell[post])
    cal = np.stack([wmean(post & (t_cell == t), p_cell) for t in ts], axis=-1)
    out["calendar"], out["calendar_values"] = cal, ts
    out["calendar_overall"] = np.nanmean(cal, axis=-1)
    return out


def att_gt_points(
    Y: np.ndarray, periods: np.ndarray, G: np.ndarray, w: np.ndarray, **options: object
) -> pd.DataFrame:
    """ATT(g, t) point estimates of one panel: ``group``, ``time``, ``estimate``."""
    cells, est = cell_estimates(Y, periods, G, w, **options)  # type: ignore[arg-type]
    return cells.assign(estimate=est[0])


def aggregate_points(
    cells: pd.DataFrame, G: np.ndarray, w: np.ndarray, periods: np.ndarray
) -> dict[str, pd.DataFrame | float]:
    """The four aggregations of one panel: ``{kind: table}`` and ``{kind_overall: float}``."""
    draws = aggregate_draws(cells[["group", "time"]], cells["estimate"].to_numpy()[None], G, w)
    out: dict[str, pd.DataFrame | float] = {}
    for kind in ("simple", "group", "dynamic", "calendar"):
        out[f"{kind}_overall"] = float(draws[f"{kind}_overall"][0])
        if kind != "simple":
            out[kind] = pd.DataFrame(
                {
                    "value": draws[f"{kind}_values"].astype(np.int64),
                    "estimate": draws[kind][0],
                }
            )
    return out
