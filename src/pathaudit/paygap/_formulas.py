"""The formula core of the pay-gap reports: hand-checkable functions on one frame of people.

Every function here takes plain arrays or a frame with one row per person and returns the
legal figure exactly as the law defines it (the fixtures in ``tests/test_paygap.py`` hold
hand-worked values for each). The reading of the data into those frames is in ``_frame``;
the analyses that assemble them into parts are in ``_eu`` and ``_uk``.

Sex groups
    ``gender_group`` reads a gender value as ``"men"``, ``"women"``, ``"other"`` (any other
    stated value: non-binary, diverse, ...) or ``"unknown"`` (missing). The legal figures
    compare men and women; the other two groups are counted and reported beside them,
    never silently dropped.

Gaps
    A gap is ``(men - women) / men`` of a mean or a median: positive when men are paid more
    (Directive (EU) 2023/970 Art. 3(1); SI 2017/172 regs 8-11).

Quartiles (regulation 13)
    Rank by hourly pay; every person is one unit of length on the ranked line, the line
    ``[0, N)`` is cut at ``N/4, N/2, 3N/4`` (so each quartile holds exactly ``N/4`` people,
    a fraction when ``N`` is not a multiple of 4), and the people who share one rate
    (a tie block ``[a, a + s)``) are spread over the quartiles their block overlaps with
    the block's own male/female mix (regulation 13(2)): a quartile's overlap ``o`` with the
    block holds ``o * men / s`` men and ``o * women / s`` women. Fractions are kept exact
    (never rounded to whole people) until display.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from pathaudit.stats import bootstrap_ratio_of_medians, fieller_ratio_of_means, mde_normal

MEN = frozenset({"m", "male", "man", "men"})
"""Gender values read as men (lower case, stripped)."""

WOMEN = frozenset({"f", "female", "woman", "women", "w"})
"""Gender values read as women (lower case, stripped)."""

SEX_GROUPS: tuple[str, ...] = ("women", "men", "other", "unknown")
"""The groups every person is counted in (``gender_group``)."""

ARTICLE10_STATUSES: tuple[str, ...] = (
    "below threshold",
    "justified",
    "open: remedy within 6 months",
    "remedied",
    "joint pay assessment required",
)
"""Status of a category under Article 10 of Directive (EU) 2023/970 (``article10_status``)."""


def gender_group(values: pd.Series) -> pd.Series:
    """Each gender value as ``"men"``, ``"women"``, ``"other"`` or ``"unknown"``.

    Parameters
    ----------
    values
        Gender values as exported (case and surrounding spaces ignored).

    Returns
    -------
    pandas.Series
        String series aligned with ``values``: men (:data:`MEN`), women (:data:`WOMEN`),
        other (any other stated value) or unknown (missing or blank).

    Examples
    --------
    >>> gender_group(pd.Series(["Female", " M", "non-binary", None])).tolist()
    ['women', 'men', 'other', 'unknown']
    """
    low = values.astype("string").str.strip().str.lower()
    out = pd.Series("other", index=values.index, dtype="string")
    out[(low.isna() | (low == "")).fillna(True).to_numpy()] = "unknown"
    out[low.isin(MEN).fillna(False).to_numpy()] = "men"
    out[low.isin(WOMEN).fillna(False).to_numpy()] = "women"
    return out


def gap(men: ArrayLike, women: ArrayLike, stat: str = "mean") -> float:
    """The pay gap ``(men's - women's) / men's`` of the mean or the median.

    Parameters
    ----------
    men, women
        Pay of the men and of the women compared.
    stat
        ``"mean"`` or ``"median"``.

    Returns
    -------
    float
        NaN when either group is empty or men's figure is zero.

    Examples
    --------
    >>> gap([20, 20, 20, 40], [15, 25])
    0.2
    >>> gap([20, 20, 20, 40], [15, 25], "median")
    0.0
    """
    m = np.asarray(men, dtype=float)
    w = np.asarray(women, dtype=float)
    if len(m) == 0 or len(w) == 0:
        return float("nan")
    f = np.mean if stat == "mean" else np.median
    fm, fw = float(f(m)), float(f(w))
    return (fm - fw) / fm if fm != 0 else float("nan")


def quartiles(rate: ArrayLike, is_woman: ArrayLike) -> pd.DataFrame:
    """Women and men in each quartile of pay, ties split by regulation 13(2).

    Parameters
    ----------
    rate
        Hourly pay of every man and woman compared (one value each).
    is_woman
        True for a woman, False for a man.

    Returns
    -------
    pandas.DataFrame
        One row per quartile (1 = lower, 4 = upper): ``quartile``, ``n`` (= N/4), ``women``,
        ``men`` (fractional where a tie block straddles a boundary), ``share_women``,
        ``share_men`` (of ``n``), ``lower_rate``, ``upper_rate`` (lowest and highest rate
        of anyone with a share in the quartile). The rule is in the module docstring.

    Examples
    --------
    >>> q = quartiles([10, 10, 10, 20, 20, 30], [True, True, False, False, True, False])
    >>> q["women"].round(4).tolist()
    [1.0, 1.0, 0.75, 0.25]
    """
    r = np.asarray(rate, dtype=float)
    w = np.asarray(is_woman, dtype=bool)
    n = len(r)
    cols = ["quartile", "n", "women", "men", "share_women", "share_men", "lower_rate", "upper_rate"]
    if n == 0:
        return pd.DataFrame(columns=cols)
    values, inverse = np.unique(r, return_inverse=True)
    size = np.bincount(inverse, minlength=len(values)).astype(float)
    women = np.bincount(inverse, weights=w.astype(float), minlength=len(values))
    start = np.concatenate([[0.0], np.cumsum(size)[:-1]])
    stop = start + size
    edges = np.arange(5) * n / 4.0
    # overlap of every tie block (rows) with every quartile (columns)
    overlap = np.clip(
        np.minimum(stop[:, None], edges[None, 1:]) - np.maximum(start[:, None], edges[None, :-1]),
        0.0,
        None,
    )
    q_women = (overlap * (women / size)[:, None]).sum(axis=0)
    q_men = (overlap * ((size - women) / size)[:, None]).sum(axis=0)
    present = overlap > 0
    lower = np.array([values[present[:, j]].min() for j in range(4)])
    upper = np.array([values[present[:, j]].max() for j in range(4)])
    quarter = n / 4.0
    return pd.DataFrame(
        {
            "quartile": np.arange(1, 5),
            "n": np.full(4, quarter),
            "women": q_women,
            "men": q_men,
            "share_women": q_women / quarter,
            "share_men": q_men / quarter,
            "lower_rate": lower,
            "upper_rate": upper,
        }
    )


def bonus_figures(bonus: ArrayLike, is_woman: ArrayLike) -> dict[str, float]:
    """The bonus figures: gaps among those paid a bonus, and who is paid one.

    Parameters
    ----------
    bonus
        Bonus pay of every man and woman counted (0 for someone paid none).
    is_woman
        True for a woman, False for a man.

    Returns
    -------
    dict
        ``mean_gap``, ``median_gap`` (among those with a bonus above 0; SI 2017/172 regs
        10-11, Art. 9(1)(b), (d)), ``share_women``, ``share_men`` (the share of each sex
        paid a bonus, over that sex's headcount; reg 12, Art. 9(1)(e)), ``women_paid``,
        ``men_paid``, ``women``, ``men`` (counts).

    Examples
    --------
    >>> f = bonus_figures([0, 100, 300, 0, 200], [False, False, False, True, True])
    >>> f["mean_gap"], f["median_gap"], f["share_women"], f["share_men"]
    (0.0, 0.0, 0.5, 0.6666666666666666)
    """
    b = np.asarray(bonus, dtype=float)
    w = np.asarray(is_woman, dtype=bool)
    paid = b > 0
    bm, bw = b[paid & ~w], b[paid & w]
    n_w, n_m = int(w.sum()), int((~w).sum())
    return {
        "mean_gap": gap(bm, bw, "mean"),
        "median_gap": gap(bm, bw, "median"),
        "share_women": len(bw) / n_w if n_w else float("nan"),
        "share_men": len(bm) / n_m if n_m else float("nan"),
        "women_paid": float(len(bw)),
        "men_paid": float(len(bm)),
        "women": float(n_w),
        "men": float(n_m),
    }


def _as_gap(ratio: float, lower: float, upper: float) -> tuple[float, float, float]:
    """The gap ``1 - ratio`` (women's over men's) and its interval (the bounds swap)."""
    return 1 - ratio, 1 - upper, 1 - lower


def mean_gap_interval(
    men: ArrayLike, women: ArrayLike, alpha: float = 0.05
) -> tuple[float, float, float]:
    """The mean gap ``1 - mean(women) / mean(men)`` with Fieller's interval.

    Each person's pay is read as a draw from the pay-setting process for their sex (everyone
    is observed: the interval is about the process, not about sampling people).

    Examples
    --------
    >>> g, lo, hi = mean_gap_interval([19, 20, 21], [9, 10, 11])
    >>> round(g, 3), lo < g < hi
    (0.5, True)
    """
    return _as_gap(*fieller_ratio_of_means(women, men, alpha))


def median_gap_interval(
    men: ArrayLike,
    women: ArrayLike,
    *,
    alpha: float = 0.05,
    bootstrap: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """The median gap with a percentile-bootstrap interval (resampling within each sex).

    Examples
    --------
    >>> g, lo, hi = median_gap_interval([20, 20, 20, 40], [15, 25], bootstrap=200)
    >>> g
    0.0
    """
    if bootstrap <= 0:
        return gap(men, women, "median"), float("nan"), float("nan")
    return _as_gap(*bootstrap_ratio_of_medians(women, men, B=bootstrap, alpha=alpha, seed=seed))


def permutation_test(
    pay: ArrayLike,
    is_woman: ArrayLike,
    *,
    permutations: int = 999,
    seed: int = 0,
    alpha: float = 0.05,
    power: float = 0.8,
) -> tuple[float, float]:
    """Permutation p-value of the mean gap and the minimum detectable gap.

    Gender is permuted among the people compared (within one category), keeping each sex's
    headcount; the statistic is the mean gap.

    Returns
    -------
    (p_value, mde) : tuple of float
        ``p = (1 + #{|gap*| >= |gap|}) / (1 + permutations)`` (two-sided) and the minimum
        detectable gap ``(z_{1-alpha/2} + z_power) * sd(gap*)`` (normal approximation to the
        permutation distribution). NaN without both sexes or with ``permutations = 0``.

    Examples
    --------
    >>> p, mde = permutation_test([10, 11, 12, 20, 21, 22], [1, 1, 1, 0, 0, 0], seed=1)
    >>> p < 0.2, mde > 0
    (True, True)
    """
    x = np.asarray(pay, dtype=float)
    w = np.asarray(is_woman, dtype=bool)
    n_w = int(w.sum())
    if permutations <= 0 or n_w == 0 or n_w == len(x):
        return float("nan"), float("nan")
    observed = gap(x[~w], x[w])
    if not np.isfinite(observed):
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    # each row: n_w women drawn without replacement, ``argsort(keys) < n_w`` for uniform
    # keys; in blocks of rows (the same stream of keys, the same row sums)
    sum_w = np.empty(permutations)
    step = max(1, _BLOCK // len(x))
    for first in range(0, permutations, step):
        rows = min(step, permutations - first)
        perm_w = _first_of_sorted(rng.random((rows, len(x))), n_w)
        sum_w[first : first + rows] = (perm_w * x).sum(axis=1)
    mean_w = sum_w / n_w
    mean_m = (x.sum() - sum_w) / (len(x) - n_w)
    with np.errstate(divide="ignore", invalid="ignore"):
        perm = 1 - mean_w / mean_m
    p = (1 + int((np.abs(perm) >= abs(observed) - 1e-12).sum())) / (1 + permutations)
    finite = perm[np.isfinite(perm)]
    sd = float(finite.std(ddof=1)) if len(finite) > 1 else float("nan")
    return float(p), float(mde_normal(sd, alpha=alpha, power=power))


_BLOCK = 1 << 16
"""Keys drawn at once by :func:`permutation_test` (512 kB, at least a row): rows are drawn and
summed by block, the block in cache."""

_LOW = np.uint64(1)


def _first_of_sorted(keys: np.ndarray, k: int) -> np.ndarray:
    """``np.argsort(keys, axis=1) < k`` for keys in [0, 1), without an argsort.

    Each key's lowest bit is replaced by whether it is among the row's first ``k`` columns,
    and the keys are sorted as numbers (non-negative floats order as their bit patterns):
    position j then says whether the j-th smallest key is one of the first ``k``, which is
    what the argsort comparison says. Two keys that differed in that bit only (or were
    equal) could swap; a row holding such a pair is ranked by its argsort instead, so the
    result is the argsort's in every case.
    """
    marked = keys.view(np.uint64) & ~_LOW
    marked[:, :k] |= _LOW
    marked.view(np.float64).sort(axis=1)
    out = (marked & _LOW).astype(bool)
    marked |= _LOW
    close = np.flatnonzero((marked[:, 1:] == marked[:, :-1]).any(axis=1))
    if len(close):  # not seen with 53-bit uniform keys: those rows ranked by their sort
        out[close] = np.argsort(keys[close], axis=1) < k
    return out


def kitagawa(
    frame: pd.DataFrame, *, cell: str | list[str], pay: str, is_woman: str = "is_woman"
) -> dict[str, float]:
    """Kitagawa decomposition of the gap in means into composition and within-cell parts.

    Parameters
    ----------
    frame
        One row per man or woman: the cell columns, ``pay`` and ``is_woman``.
    cell
        The cell column(s) (track and grade).
    pay, is_woman
        Column names.

    Returns
    -------
    dict
        ``total = (M - F) / M`` (men's and women's overall means), ``within = (M* - F*) / M``
        with ``M* = sum_c w_c m_c`` and ``F* = sum_c w_c f_c`` at the pooled distribution
        ``w_c`` (share of everyone compared in cell c, over the cells that have both sexes),
        ``composition = total - within`` (the part from men and women being spread
        differently over the cells, including people in cells with one sex only), and
        ``cells_both`` (cells with both sexes).

    Examples
    --------
    >>> f = pd.DataFrame({"c": [1, 1, 2, 2, 2, 2], "pay": [10, 10, 20, 20, 20, 20],
    ...                   "is_woman": [True, True, True, False, False, False]})
    >>> {k: round(v, 4) for k, v in kitagawa(f, cell="c", pay="pay").items()}
    {'total': 0.3333, 'within': 0.0, 'composition': 0.3333, 'cells_both': 1.0}
    """
    keys = [cell] if isinstance(cell, str) else list(cell)
    d = frame.assign(_w=frame[is_woman].astype(bool))
    m_all = float(d.loc[~d["_w"], pay].mean())
    f_all = float(d.loc[d["_w"], pay].mean())
    total = (m_all - f_all) / m_all
    stats = d.groupby(keys + ["_w"], observed=True)[pay].agg(["mean", "size"]).unstack("_w")
    both = stats[("size", True)].notna() & stats[("size", False)].notna()
    s = stats.loc[both.to_numpy()]
    weight = (s[("size", True)] + s[("size", False)]).to_numpy(dtype=float)
    weight = weight / weight.sum() if weight.sum() > 0 else weight
    m_star = float((weight * s[("mean", False)].to_numpy(dtype=float)).sum())
    f_star = float((weight * s[("mean", True)].to_numpy(dtype=float)).sum())
    within = (m_star - f_star) / m_all if len(s) else 0.0
    return {
        "total": total,
        "within": within,
        "composition": total - within,
        "cells_both": float(len(s)),
    }


def article10_status(
    gaps: pd.DataFrame,
    *,
    threshold: float = 0.05,
    justified: Mapping[str, str] | None = None,
    previous: pd.DataFrame | None = None,
    submitted: date | None = None,
    measured: date | None = None,
) -> pd.DataFrame:
    """Status of every category under Article 10 of Directive (EU) 2023/970.

    Parameters
    ----------
    gaps
        The current report: ``category`` (text) and ``mean_gap``.
    threshold
        The gap (in absolute value) at which Article 10(1)(a) applies (0.05).
    justified
        Category -> the objective, gender-neutral criterion that justifies its gap
        (Art. 10(1)(b)), as the employer states it.
    previous
        The earlier report's categories (``category``, ``mean_gap``), read back from its
        versioned output; None when this is the first report.
    submitted, measured
        The earlier report's submission date and the date of this (later) extract; a gap
        the earlier report had is remedied when it is below the threshold now and
        ``measured`` is within 6 months of ``submitted`` (Art. 10(1)(c)).

    Returns
    -------
    pandas.DataFrame
        ``gaps`` with ``at_or_above`` (|gap| >= threshold now), ``previous_gap``,
        ``previous_at_or_above``, ``criterion`` and ``status`` (one of
        :data:`ARTICLE10_STATUSES`):

        - ``justified``: at or above now (or before) and a criterion is given;
        - ``remedied``: at or above in the earlier report, below now, measured within
          6 months of its submission;
        - ``joint pay assessment required``: at or above in the earlier report and neither
          justified nor remedied in time (still at or above, or measured too late);
        - ``open: remedy within 6 months``: at or above now, in no earlier report, not
          justified (the employer has 6 months from submission);
        - ``below threshold``: otherwise.

    Examples
    --------
    >>> now = pd.DataFrame({"category": ["4", "5"], "mean_gap": [0.02, 0.07]})
    >>> article10_status(now)["status"].tolist()
    ['below threshold', 'open: remedy within 6 months']
    """
    justified = dict(justified or {})
    out = gaps.copy()
    out["category"] = out["category"].astype(str)
    out["at_or_above"] = out["mean_gap"].abs() >= threshold - 1e-12
    if previous is not None:
        prev = previous.assign(category=previous["category"].astype(str))
        prev = prev.set_index("category")["mean_gap"]
        out["previous_gap"] = out["category"].map(prev).astype(float)
    else:
        out["previous_gap"] = np.nan
    out["previous_at_or_above"] = out["previous_gap"].abs() >= threshold - 1e-12
    out["criterion"] = out["category"].map(justified).astype("string")
    in_time = (
        submitted is not None and measured is not None and measured <= _add_months(submitted, 6)
    )
    has_reason = out["criterion"].notna().to_numpy()
    now, before = out["at_or_above"].to_numpy(), out["previous_at_or_above"].to_numpy()
    status = np.select(
        [
            (now | before) & has_reason,
            before & ~now & in_time,
            before,
            now,
        ],
        ["justified", "remedied", "joint pay assessment required", "open: remedy within 6 months"],
        default="below threshold",
    )
    out["status"] = status
    return out


def _add_months(day: date, months: int) -> date:
    """``day`` plus whole months (the last day of a shorter month when it overflows)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)).day
    return date(year, month, min(day.day, last))
