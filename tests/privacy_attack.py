"""The attacker the publish stage is tested against (docs/privacy.md).

The attacker holds every table published together and knows every additive relation
between them that the published numbers show (margins within a table, totals across
tables: :func:`pathaudit.output.additive_relations`) and that counts and person-time are
never negative. For each suppressed cell it solves two linear programs (HiGHS): the
smallest and the largest value the cell can take under all those relations at once. The
cell is protected when the two are at least a protection width apart:

- a count (exits, events, promotions, ...): at least ``2 x 2`` (two people either way);
- an amount (person-time): at least 40% of the largest value it can take (±20%).

The attacker does not rely on the package's relation finder alone: :func:`declared_margins`
is its own, written from what the files declare (each table's group columns, its total
labels ``all`` / ``overall`` / ``total``) and from the meaning of the columns rather than
the package's list of additive columns: people counts (``n``, the per-arm ``n_ic``,
``n_m``, ``n_men``, ``n_women``, ``n_switchers``, ``n_controls``, ...), events and
person-time, and the sum ``mean x n`` behind a mean. A relation it finds is used only as
the published numbers confirm it (exact where every fully shown instance adds up, "at
least" where each total is at least its parts; unconfirmed ones are left out), so a relation
the package does not protect shows up as an exposed cell.
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
    Relation,
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


TOTALS = frozenset({"all", "overall", "total"})
"""Group labels the files use for a row of everyone the other rows split."""

MEAN_OF = {"mean": "n", "mean_ic": "n_ic", "mean_m": "n_m", "mean_pay": "n",
           "mean_basic_men": "n_men", "mean_basic_women": "n_women"}
"""A mean column and the count it averages over: ``mean x n`` is a sum (an amount)."""


def is_people_count(col: str) -> bool:
    """A column that counts people or events of people, by its name."""
    return col == "n" or (col.startswith("n_") and col not in ("n_rows",)) or any(
        w in col for w in ("events", "exits", "promot", "switches", "spells", "numerator",
                           "denominator", "at_risk")) or col in ("men", "women")


def is_amount(col: str) -> bool:
    """A column that is an additive amount, by its name (person-time, a sum behind a mean)."""
    return col.startswith(("person_years", "sum_of_")) or col.endswith("person_years") \
        or col == "eligible"


def _label(values: pd.Series) -> pd.Series:
    """Group values as text, numbers written alike (``7`` and ``7.0`` are one grade)."""
    num = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    text = values.astype(object).to_numpy()
    return pd.Series(
        [f"{x:g}" if np.isfinite(x) else "<NA>" if pd.isna(t) else str(t).strip()
         for x, t in zip(num, text, strict=True)], index=values.index, dtype=object)


def _keys(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    if not cols:
        return pd.Series(["*"] * len(frame), index=frame.index, dtype=object)
    parts = [_label(frame[c]) for c in cols]
    out = parts[0]
    for p in parts[1:]:
        out = out + " | " + p
    return out


def with_sums(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with ``sum_of_<mean>`` = mean x n for each mean whose count it shows."""
    out = frame
    for mean, n in MEAN_OF.items():
        if mean in frame.columns and n in frame.columns:
            out = out.assign(**{f"sum_of_{mean}": pd.to_numeric(frame[mean], errors="coerce")
                                * pd.to_numeric(frame[n], errors="coerce")})
    return out


def declared_margins(frames: Mapping[tuple[str, str], pd.DataFrame],
                     groups: Mapping[tuple[str, str], list[str]]) -> list[Relation]:
    """The attacker's own relations: margins a file declares and totals across files.

    Within a table, a row whose group value is a total label is the sum of the rows that
    agree with it on every other group column (management's ``by = overall`` row against
    each other ``by``). Across tables, also of different analyses, a table whose group
    columns are a strict subset of another's sums that table's rows. Columns: every
    people count and amount both tables show (:func:`is_people_count`, :func:`is_amount`),
    including ``sum_of_<mean>``. A table by year and one by quarter with the same other
    groups: a year's row is the sum of its quarters' rows. Each relation is kept per column
    only as the published numbers confirm it.
    """
    cands: list[tuple[Any, Relation]] = []
    keys = [k for k in frames if len(frames[k])]

    def cols_of(*ks: tuple[str, str]) -> tuple[str, ...]:
        common = set.intersection(*[set(frames[k].columns) for k in ks])
        return tuple(sorted(c for c in common if is_people_count(c) or is_amount(c)))

    for key in keys:
        f, g = frames[key], list(groups[key])
        cols = cols_of(key)
        if not cols:
            continue
        pairs = {"by", "group"} <= set(g)
        for col in g:
            if pairs and col == "group":
                continue
            lab = _label(f[col]).str.lower()
            tot = lab.isin(TOTALS) if not (pairs and col == "by") else lab.eq("overall")
            if not tot.any() or tot.all():
                continue
            rest = [c for c in g if c != col and not (pairs and col == "by" and c == "group")]
            k = _keys(f, rest)
            # each grouping of management's by = overall rows is its own margin, checked
            # on its own numbers (one grouping may add up exactly where another does not)
            blocks = {"": lab[~tot].index} if not (pairs and col == "by") else {
                b: lab.index[lab.eq(b)] for b in lab[~tot].unique()}
            for b, block in blocks.items():
                for t_label in tot.index[tot.to_numpy()]:
                    members = [m for m in block if k[m] == k[t_label]]
                    if members:
                        cands.append(((key, col, b),
                                      Relation((key, t_label), tuple((key, m) for m in members),
                                               cols)))
    for small in keys:
        for big in keys:
            gs, gb = list(groups[small]), list(groups[big])
            if small == big or not set(gs) < set(gb):
                continue
            cols = cols_of(small, big)
            fb = frames[big]
            if not cols or _keys(frames[small], gs).duplicated().any() \
                    or _keys(fb, gb).duplicated().any():
                continue
            extra = [c for c in gb if c not in gs]
            keep = ~np.column_stack([_label(fb[c]).str.lower().isin(TOTALS) for c in extra]) \
                .any(axis=1)
            kb = _keys(fb.loc[keep], gs)
            for t_label, t_key in _keys(frames[small], gs).items():
                members = list(kb.index[kb == t_key])
                if members:
                    cands.append(((small, big), Relation(
                        (small, t_label), tuple((big, m) for m in members), cols)))
    # a year and its quarters: the same groups, one table by year ("2021"), another by
    # quarter ("2021Q3"); the year's row is the sum of its quarters' rows (turnover)
    for year_t in keys:
        for quarter_t in keys:
            g = list(groups[year_t])
            if year_t == quarter_t or "period" not in g or set(g) != set(groups[quarter_t]):
                continue
            years = _label(frames[year_t]["period"])
            quarters = _label(frames[quarter_t]["period"])
            if not (years.str.fullmatch(r"\d{4}").all()
                    and quarters.str.fullmatch(r"\d{4}Q[1-4]").all()):
                continue
            cols = cols_of(year_t, quarter_t)
            rest = [c for c in g if c not in ("period", "months")]  # months: 12 vs 3
            ky = years + " | " + _keys(frames[year_t], rest)
            kq = quarters.str[:4] + " | " + _keys(frames[quarter_t], rest)
            for t_label, t_key in ky.items():
                members = list(kq.index[kq == t_key])
                if cols and members:
                    cands.append(((year_t, quarter_t), Relation(
                        (year_t, t_label), tuple((quarter_t, m) for m in members), cols)))
    return _confirmed(frames, cands)


def _confirmed(frames: Mapping[tuple[str, str], pd.DataFrame],
               cands: list[tuple[Any, Relation]]) -> list[Relation]:
    """Keep each (pattern, column) as exact, "at least", or not at all, as the numbers say."""
    num = {k: f.apply(pd.to_numeric, errors="coerce") for k, f in frames.items()}
    verdict: dict[tuple[Any, str], set[str]] = {}
    for pattern, rel in cands:
        for col in rel.columns:
            total = num[rel.total[0]].at[rel.total[1], col]
            parts = [num[m[0]].at[m[1], col] for m in rel.parts]
            if not (np.isfinite(total) and np.all(np.isfinite(parts))):
                continue
            diff = float(total) - float(np.sum(parts))
            tol = 1e-6 * max(1.0, abs(float(total)))
            verdict.setdefault((pattern, col), set()).add(
                "eq" if abs(diff) <= tol else "ge" if diff > 0 else "no")
    out = []
    for pattern, rel in cands:
        for exact in (True, False):
            cols = tuple(c for c in rel.columns if (v := verdict.get((pattern, c)))
                         and "no" not in v and (v == {"eq"}) == exact)
            if cols:
                out.append(rel._replace(columns=cols, exact=exact))
    return out


def attack(results: Mapping[str, Result], *, own: bool = True,
           package: bool = True) -> tuple[list[Exposure], int]:
    """Bounds of every suppressed additive cell; the exposed ones and how many were bounded.

    Parameters
    ----------
    results
        Results published together (name -> result); pass every analysis of an audit at
        once for relations across analyses.
    own
        Use the attacker's own relations (:func:`declared_margins`).
    package
        Use the package's relations (:func:`pathaudit.output.additive_relations`, which
        assumes "at least" where no instance can be checked: right within one analysis,
        not between analyses whose counts mean different things).

    Returns
    -------
    (list of Exposure, int)
        The suppressed cells whose feasible range is narrower than the protection width,
        and the number of suppressed cells that appear in at least one relation (the
        cells the attacker could work on).
    """
    frames, groups = tables_of(results)
    frames = {k: with_sums(f) for k, f in frames.items()}
    relations = additive_relations(frames, groups) if package else []
    if own:
        relations += declared_margins(frames, groups)
    exposed: list[Exposure] = []
    attacked = 0
    for col in sorted({c for r in relations for c in r.columns}):
        rels = [r for r in relations if col in r.columns]
        try:
            found, n = _bounds(frames, rels, col)
        except Infeasible:
            # an "at least" confirmed on the shown instances fails on a hidden one: the
            # equalities only (a contradiction there is an error of the published numbers)
            rels = [r for r in rels if r.exact]
            found, n = _bounds(frames, rels, col) if rels else ([], 0)
        exposed += found
        attacked += n
    return exposed, attacked


class Infeasible(AssertionError):
    """The published numbers contradict the relations on a column."""


def _bounds(frames: Mapping[tuple[str, str], pd.DataFrame], rels: list[Relation],
            col: str) -> tuple[list[Exposure], int]:
    """Exposed cells of one column under ``rels``, and the number of cells bounded."""
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
        return [], 0

    def dense(rows: list[dict[int, float]]) -> np.ndarray | None:
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
    exposed: list[Exposure] = []
    for (table, row), j in index.items():
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
                raise Infeasible(f"relations on {col} are infeasible: {fit.message}")
        low, high = bounds[0], bounds[1]
        width = high - low
        counted = col in COUNT_COLUMNS or (is_people_count(col) and not is_amount(col))
        need = 2 * COUNT_WIDTH if counted else AMOUNT_SHARE * high
        if np.isfinite(width) and width < need - 1e-6:
            exposed.append(Exposure(table, row, col, float(low), float(high)))
    return exposed, n
