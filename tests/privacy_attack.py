"""The attacker the publish stage is tested against (docs/privacy.md).

The attacker holds every table published together and knows every additive relation
between them that the published numbers show (margins within a table, totals across
tables: :func:`pathaudit.output.additive_relations`) and that counts and person-time are
never negative. For each suppressed cell it solves two linear programs (HiGHS): the
smallest and the largest value the cell can take under all those relations at once. The
cell is protected when the two are at least a protection width apart:

- a count (exits, events, promotions, ...): at least ``2 x 2`` (two people either way);
- an amount (person-time): at least 40% of the largest value it can take (±20%).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from pathaudit.output import (
    COUNT_COLUMNS,
    COUNT_WIDTH,
    additive_relations,
    published_groups,
)
from pathaudit.result import Result

AMOUNT_SHARE = 0.4
"""An amount is protected when its feasible range is at least this share of its maximum."""


@dataclass(frozen=True)
class Exposure:
    """A suppressed cell the attacker pins down too closely."""

    table: tuple[str, str]
    row: Any
    column: str
    low: float
    high: float


def tables_of(results: Mapping[str, Result]) -> tuple[dict, dict]:
    """``(result, table)`` -> frame and -> group columns, for results published together."""
    frames, groups = {}, {}
    for name, res in results.items():
        for table, cols in published_groups(name, res).items():
            frames[(name, table)] = res.table if table == "" else res.tables[table]
            groups[(name, table)] = cols
    return frames, groups


def attack(results: Mapping[str, Result]) -> tuple[list[Exposure], int]:
    """Bounds of every suppressed additive cell; the exposed ones and how many were bounded.

    Returns
    -------
    (list of Exposure, int)
        The suppressed cells whose feasible range is narrower than the protection width,
        and the number of suppressed cells that appear in at least one relation (the
        cells the attacker could work on).
    """
    frames, groups = tables_of(results)
    relations = additive_relations(frames, groups)
    exposed: list[Exposure] = []
    attacked = 0
    columns = sorted({c for r in relations for c in r.columns})
    for col in columns:
        rels = [r for r in relations if col in r.columns]
        index: dict[tuple, int] = {}
        rows_eq, rhs_eq, rows_ub, rhs_ub = [], [], [], []
        for r in rels:
            coef: dict[int, float] = {}
            const = 0.0
            usable = True
            for sign, member in [(1.0, r.total)] + [(-1.0, m) for m in r.parts]:
                frame = frames[member[0]]
                value = pd.to_numeric(pd.Series([frame.loc[member[1], col]]),
                                      errors="coerce").iloc[0]
                if bool(frame.loc[member[1], "suppressed"]) and not np.isfinite(value):
                    j = index.setdefault((member[0], member[1]), len(index))
                    coef[j] = coef.get(j, 0.0) + sign
                elif np.isfinite(value):
                    const += sign * float(value)
                else:  # a displayed row without this figure: the relation says nothing
                    usable = False
            if not coef or not usable:
                continue
            # total - sum(parts) = 0 (exact) or >= 0: sum(coef x) + const (=, >=) 0
            if r.exact:
                rows_eq.append(coef)
                rhs_eq.append(-const)
            else:
                rows_ub.append({j: -v for j, v in coef.items()})
                rhs_ub.append(const)
        n = len(index)
        if n == 0:
            continue

        def dense(rows: list[dict[int, float]], n: int = n) -> np.ndarray | None:
            if not rows:
                return None
            a = np.zeros((len(rows), n))
            for i, row in enumerate(rows):
                for j, v in row.items():
                    a[i, j] = v
            return a

        a_eq, a_ub = dense(rows_eq), dense(rows_ub)
        b_eq = np.array(rhs_eq) if rows_eq else None
        b_ub = np.array(rhs_ub) if rows_ub else None
        for (table, row), j in index.items():
            attacked += 1
            c = np.zeros(n)
            c[j] = 1.0
            bounds = []
            for sense in (1.0, -1.0):
                fit = linprog(sense * c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                              bounds=[(0, None)] * n, method="highs")
                if fit.status == 3:  # unbounded
                    bounds.append(np.inf)
                elif fit.status == 0:
                    bounds.append(sense * fit.fun)
                else:  # infeasible: the published numbers contradict the relation
                    raise AssertionError(f"relations on {col} are infeasible: {fit.message}")
            low, high = bounds[0], bounds[1]
            width = high - low
            need = 2 * COUNT_WIDTH if col in COUNT_COLUMNS else AMOUNT_SHARE * high
            if np.isfinite(width) and width < need - 1e-6:
                exposed.append(Exposure(table, row, col, float(low), float(high)))
    return exposed, attacked
