"""The EU report's gaps by category of workers: Art. 9(1)(g) and its sensitivity view.

The mean gap per category (:func:`category_gaps`) also feeds the Article 10 tracker.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.parts import PartSpec
from pathaudit.paygap._eu_run import BASES, EURun
from pathaudit.paygap._gaps import GAP_COLUMNS, GAP_COUNTS, READING, VALUES, Stats, gap_row
from pathaudit.result import Result


def category_gaps(
    frame: pd.DataFrame, key: str | list[str], value: str, stats: Stats, salt0: int = 0
) -> pd.DataFrame:
    """The mean gap of ``value`` per category (``key``), with its reading."""
    rows = []
    keys = [key] if isinstance(key, str) else key
    grouped = frame.groupby(keys, sort=True, observed=True)
    labels = grouped.size().index
    code = grouped.ngroup().to_numpy()
    order = np.argsort(code, kind="stable")
    bounds = np.searchsorted(code[order], np.arange(len(labels) + 1))
    v = frame[value].to_numpy(dtype=float)
    sex = frame["sex"].to_numpy()
    for i, cat in enumerate(labels):
        idx = order[bounds[i] : bounds[i + 1]]
        vi, si = v[idx], sex[idx]
        ok = np.isfinite(vi)
        row = gap_row(vi[ok & (si == "men")], vi[ok & (si == "women")], "mean", stats, salt0 + i)
        label = cat if isinstance(cat, tuple) else (cat,)
        rows.append(dict(zip(keys, label, strict=True)) | row)
    return pd.DataFrame(rows)


def at_or_above(frames: list[pd.DataFrame], threshold: float) -> pd.DataFrame:
    """The category gaps, each flagged when its size reaches ``threshold``."""
    table = pd.concat(frames, ignore_index=True)
    table["at_or_above"] = table["estimate"].abs() >= threshold - 1e-12
    return table


def categories(run: EURun, spec: PartSpec[EURun]) -> Result:
    """Art. 9(1)(g): the mean gap per category in total, basic and variable pay."""
    frames = []
    for b, basis in enumerate(BASES):
        for c, component in enumerate(("total", "basic", "variable")):
            value = run.value(basis, component)
            t = category_gaps(run.compared, "category", value, run.stats, 1000 * (1 + 3 * b + c))
            frames.append(t.assign(component=component, basis=basis))
    table = at_or_above(frames, run.threshold)
    cols = ["category", "component", "basis", *GAP_COLUMNS, *VALUES, *READING, "at_or_above"]
    return run.run.build(spec, table[cols], n_col=GAP_COUNTS, threshold=run.threshold)


def sensitivity(run: EURun, spec: PartSpec[EURun]) -> Result:
    """The mean total-pay gap per category under the grouping used and two others."""
    d = run.compared.copy()
    value = run.value(run.basis, "total")
    g = d["grade"].astype(float)
    low = np.floor((g - g.min()) / 2) * 2 + g.min()
    d["grade x track"] = "grade " + d["grade"].astype("Int64").astype(str) + " " + d["track"]
    d["two-grade band"] = (
        "grades " + low.astype(int).astype(str) + "-" + (low + 1).astype(int).astype(str)
    )
    frames = []
    for i, grouping in enumerate(("category", "grade x track", "two-grade band")):
        t = category_gaps(d, grouping, value, run.stats, salt0=50000 + 1000 * i)
        frames.append(t.rename(columns={grouping: "group"}).assign(grouping=grouping))
    table = at_or_above(frames, run.threshold)
    cols = ["grouping", "group", *GAP_COLUMNS, *READING, "at_or_above"]
    return run.run.build(spec, table[cols], n_col=GAP_COUNTS)
