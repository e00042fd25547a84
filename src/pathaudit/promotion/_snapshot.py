"""What a snapshot-only export can say about promotion: time since the last promotion.

A snapshot holds one row per current employee. It shows how long people still
here have been in their level, not how long it takes to be promoted
(:data:`SNAPSHOT_STATEMENT`): people promoted quickly have moved on and people
who left are missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit import stats
from pathaudit.data import AuditData
from pathaudit.io.schema import DAYS_PER_YEAR

SNAPSHOT_STATEMENT = (
    "This is a snapshot-only export: it shows how long current employees have been in "
    "their level since their last promotion, not how long it takes to be promoted. True "
    "time to promotion needs effective-dated history (who was promoted, who left or "
    "switched before being promoted, and when); load a history export to compute it."
)
"""What a snapshot can and cannot say about promotion."""


def time_since_promotion(
    data: AuditData, alpha: float = 0.05, seed: int = stats.BOOTSTRAP_SEED
) -> pd.DataFrame:
    """Time since the last promotion of current employees, by track and grade (snapshot data).

    Parameters
    ----------
    data
        A snapshot-only :class:`~pathaudit.data.AuditData`.
    alpha
        1 - confidence level.
    seed
        Bootstrap seed of the median's interval.

    Returns
    -------
    pandas.DataFrame
        ``track``, ``grade``, ``estimate`` (median years since the last
        promotion), ``ci_lower``, ``ci_upper`` (percentile bootstrap),
        ``p25``, ``p75``, ``share_over_3y`` (share in level more than three
        years) with ``share_lower``, ``share_upper`` (Wilson), ``n``.

    Notes
    -----
    Years since the last promotion: ``years_since_promotion`` when exported,
    else ``(as_of - last_promotion_date) / 365.25``. Population: people
    employed on ``as_of`` with a known last promotion (or level entry) date.
    This is time *in* level for those still here -- not time *to* promotion:
    people promoted quickly have moved on, people who left are missing.
    """
    snap = data.snapshot if data.snapshot is not None else pd.DataFrame()
    if snap.empty:
        return pd.DataFrame()
    s = snap.copy()
    years = pd.Series(np.nan, index=s.index)
    if "years_since_promotion" in s:
        years = pd.to_numeric(s["years_since_promotion"], errors="coerce")
    if "last_promotion_date" in s:
        fill = (data.as_of - s["last_promotion_date"]).dt.days / DAYS_PER_YEAR
        years = years.fillna(fill)
    s["years"] = years
    employed = pd.Series(True, index=s.index)
    if "termination_date" in s:
        employed &= s["termination_date"].isna() | (s["termination_date"] > data.as_of)
    if "left" in s:
        employed &= ~s["left"].astype("str").str.lower().isin(["true", "1", "yes", "y"])
    s = s.loc[employed & s["years"].notna()]
    if "grade" not in s.columns:
        grades = data.history[["employee_id", "grade"]].drop_duplicates("employee_id", keep="last")
        s = s.merge(grades, on="employee_id", how="left")
    s = s.loc[s["grade"].notna()]
    rng = np.random.default_rng(seed)
    rows = []
    for (tr, gr), part in s.groupby([s["track"].astype("str"), "grade"], sort=True):
        x = part["years"].to_numpy(dtype=float)
        meds = stats.bootstrap_medians_exact(x, stats.BOOTSTRAP_B, rng)
        lo, hi = np.quantile(meds, [alpha / 2, 1 - alpha / 2])
        over = float((x > 3).sum())
        slo, shi = stats.wilson_ci(over, len(x), alpha)
        rows.append(
            {
                "track": tr,
                "grade": int(gr),
                "estimate": float(np.median(x)),
                "ci_lower": float(lo),
                "ci_upper": float(hi),
                "p25": float(np.quantile(x, 0.25)),
                "p75": float(np.quantile(x, 0.75)),
                "share_over_3y": over / len(x),
                "share_lower": float(slo),
                "share_upper": float(shi),
                "n": int(part["employee_id"].nunique()),
            }
        )
    out = pd.DataFrame(rows)
    if len(out):
        out["grade"] = pd.array(out["grade"], dtype="Int64")
    return out
