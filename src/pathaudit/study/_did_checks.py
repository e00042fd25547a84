"""The panel att_gt takes, checked and given fixed column names."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pathaudit.checks import check_columns
from pathaudit.errors import ArgumentError


def clean_panel(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    covariates: Sequence[str],
    weights: str | None,
) -> pd.DataFrame:
    """The panel with fixed column names, checked: numbers, one row per unit and time."""
    if not isinstance(panel, pd.DataFrame):
        raise ArgumentError(f"panel must be a pandas DataFrame; got {type(panel).__name__}.")
    needed = [outcome, unit, time, first_treated, *covariates, *([weights] if weights else [])]
    check_columns(needed, "the panel columns", panel.columns, where="panel")
    out = pd.DataFrame(
        {
            "y": panel[outcome],
            "id": panel[unit],
            "t": panel[time],
            "g": panel[first_treated],
        }
    )
    for i, c in enumerate(covariates):
        out[f"x{i}"] = panel[c]
    if weights:
        out["w"] = panel[weights]
    for col, name in [
        ("y", outcome),
        ("t", time),
        ("g", first_treated),
        *[(f"x{i}", c) for i, c in enumerate(covariates)],
        *([("w", weights)] if weights else []),
    ]:
        values = pd.to_numeric(out[col], errors="coerce")
        bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            rows = list(out.index[bad][:5])
            raise ArgumentError(
                f"panel column {name!r} must hold finite numbers; {int(bad.sum())} rows do not "
                f"(rows {rows}). Drop or fill them before estimating."
            )
        out[col] = values.astype(float)
    for col, name in [("t", time), ("g", first_treated)]:
        if (out[col] != np.round(out[col])).any():
            raise ArgumentError(
                f"panel column {name!r} must hold whole periods (e.g. 2004 or a quarter "
                "number); found fractions. Number the periods 1, 2, 3, ..."
            )
        out[col] = out[col].astype(np.int64)
    if weights and (out["w"] <= 0).any():
        raise ArgumentError(f"weights column {weights!r} must be positive; found values <= 0.")
    dup = out.duplicated(["id", "t"])
    if dup.any():
        first = out.loc[dup].iloc[0]
        raise ArgumentError(
            f"panel must have one row per {unit} and {time}; {int(dup.sum())} duplicates "
            f"(first: {unit}={first['id']!r}, {time}={first['t']}). Aggregate them first."
        )
    g_per_unit = out.groupby("id")["g"].nunique()
    if (g_per_unit > 1).any():
        raise ArgumentError(
            f"{first_treated!r} must be constant within a unit; it varies for "
            f"{list(g_per_unit.index[g_per_unit > 1][:5])}."
        )
    if weights:
        w_per_unit = out.groupby("id")["w"].nunique()
        if (w_per_unit > 1).any():
            raise ArgumentError(
                f"weights column {weights!r} must be constant within a unit (one weight per "
                f"unit, as the estimator requires); it varies for "
                f"{list(w_per_unit.index[w_per_unit > 1][:5])}."
            )
    if not (out["g"] == 0).any() and not (out["g"] > out["t"].max()).any():
        pass  # not-yet-treated controls may still exist; the engine checks per cell
    # the engine wants numeric unit ids
    out["id"] = pd.factorize(out["id"], sort=True)[0].astype(np.int64) + 1
    return out.reset_index(drop=True)
