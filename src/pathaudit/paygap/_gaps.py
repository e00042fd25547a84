"""Rows of gap tables: the legal point value with its statistical reading beside it.

Shared by the EU and UK reports: a gap of means (Fieller interval, permutation p-value and
minimum detectable gap) or of medians (percentile bootstrap within each sex), overall and
within each track, and the plumbing that builds every part twice when a filing output is
asked for (public: suppressed; filing: unsuppressed, marked restricted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.parts import PartSpec
from pathaudit.paygap._formulas import (
    gap,
    mean_gap_interval,
    median_gap_interval,
    permutation_test,
)
from pathaudit.result import Quantile, Result

SCOPES: tuple[str, ...] = ("overall", "IC", "M")
"""Every figure is given for everyone, within the IC track and within the M track."""

GAP_COUNTS: tuple[str, ...] = ("n", "n_men", "n_women")
"""The counts a gap rests on: shown only when men and women each number k."""

GAP_COLUMNS: tuple[str, ...] = ("estimate", "ci_lower", "ci_upper", *GAP_COUNTS)
"""A gap's point value, its interval and the counts it rests on."""

VALUES: tuple[str, ...] = ("men_value", "women_value")
"""The men's and women's figure a gap compares (means or medians)."""

READING: tuple[str, ...] = ("p_value", "mde")
"""The permutation reading of a mean gap: p-value and minimum detectable gap."""

MEDIAN_RULE: dict[str, Quantile] = {
    "estimate": Quantile(
        0.5,
        ("n_men", "n_women"),
        also=("ci_lower", "ci_upper", "men_value", "women_value"),
        where=("statistic", "median"),
    ),
}
"""A median gap reveals both medians: shown only with k people either side of each."""

RESTRICTED = (
    "RESTRICTED filing output: unsuppressed figures the law requires (Directive (EU) "
    "2023/970 Art. 12 lets access be limited to workers' representatives, the labour "
    "inspectorate and the equality body). Not for publication."
)
"""The marker every part of a filing output carries in its metadata."""


@dataclass
class Stats:
    """The statistical settings of a run."""

    alpha: float
    bootstrap: int
    permutations: int
    seed: int
    power: float = 0.8


def gap_row(
    men: np.ndarray, women: np.ndarray, statistic: str, st: Stats, salt: int
) -> dict[str, Any]:
    """One gap row: the point value, its interval and (means) the permutation reading."""
    row: dict[str, Any] = {
        "statistic": statistic,
        "n": len(men) + len(women),
        "n_men": len(men),
        "n_women": len(women),
    }
    if len(men) == 0 or len(women) == 0:
        return row | {
            "estimate": np.nan,
            "ci_lower": np.nan,
            "ci_upper": np.nan,
            "men_value": np.nan,
            "women_value": np.nan,
            "p_value": np.nan,
            "mde": np.nan,
        }
    if statistic == "mean":
        est, lo, hi = mean_gap_interval(men, women, st.alpha)
        pay = np.concatenate([men, women])
        who = np.r_[np.zeros(len(men), bool), np.ones(len(women), bool)]
        p, mde = permutation_test(
            pay,
            who,
            permutations=st.permutations,
            seed=st.seed + 7919 * salt,
            alpha=st.alpha,
            power=st.power,
        )
        mv, wv = float(np.mean(men)), float(np.mean(women))
    else:
        est, lo, hi = median_gap_interval(
            men, women, alpha=st.alpha, bootstrap=st.bootstrap, seed=st.seed + 7919 * salt
        )
        est = gap(men, women, "median")
        p, mde = np.nan, np.nan
        mv, wv = float(np.median(men)), float(np.median(women))
    return row | {
        "estimate": est,
        "ci_lower": lo,
        "ci_upper": hi,
        "men_value": mv,
        "women_value": wv,
        "p_value": p,
        "mde": mde,
    }


def flags(values: pd.Series) -> pd.Series:
    """A flag column as booleans, a blanked (suppressed) cell read as False."""
    return values.astype("boolean").fillna(False).astype(bool)


def split(frame: pd.DataFrame, value: str) -> tuple[np.ndarray, np.ndarray]:
    """Men's and women's values of ``value`` (missing values left out)."""
    ok = frame[value].notna().to_numpy()
    sex = frame["sex"].to_numpy()
    v = frame[value].to_numpy(dtype=float)
    return v[ok & (sex == "men")], v[ok & (sex == "women")]


def scoped(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """``(scope, people)`` for everyone, the IC track and the M track."""
    return [
        (s, frame if s == "overall" else frame.loc[(frame["track"] == s).to_numpy()])
        for s in SCOPES
    ]


def headcount_table(frame: pd.DataFrame) -> pd.DataFrame:
    """People per scope and sex group (women, men, other, unknown), with their share."""
    rows = []
    for scope, sub in scoped(frame):
        counts = sub["sex"].value_counts()
        total = len(sub)
        for sex in ("women", "men", "other", "unknown"):
            n = int(counts.get(sex, 0))
            rows.append(
                {
                    "scope": scope,
                    "sex": sex,
                    "estimate": n / total if total else np.nan,
                    "ci_lower": np.nan,
                    "ci_upper": np.nan,
                    "n": n,
                }
            )
    return pd.DataFrame(rows)


@dataclass
class Run:
    """What every part of a pay-gap report shares (the :class:`~pathaudit.parts.PartRun`)."""

    texts: Mapping[str, Any]
    common: Mapping[str, Any]
    filing: bool = False
    unsuppressed: dict[str, Result] = field(default_factory=dict)

    def build(self, spec: PartSpec[Any], table: pd.DataFrame, **extra: Any) -> Result:
        """The part's public Result; with a filing output, also its unsuppressed twin."""
        if self.filing:
            twin = _Twin(self.texts, {**self.common, "k": 0, "restricted": RESTRICTED})
            self.unsuppressed[spec.name] = spec.result(twin, table, **extra)
        return spec.result(self, table, **extra)


@dataclass
class _Twin:
    texts: Mapping[str, Any]
    common: Mapping[str, Any]
