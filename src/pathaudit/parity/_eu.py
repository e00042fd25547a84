"""Gender pay gaps within track and grade, as the EU Pay Transparency Directive counts them.

Directive (EU) 2023/970 reports, per category of workers doing work of equal value, the
difference between men's and women's mean and median pay as a share of men's; a gap of 5%
or more not justified by objective criteria calls for a joint pay assessment. Here a
category is a track and grade.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.stats import adjust_pvalues, bootstrap_ratio_of_medians, wald

MEN = frozenset({"m", "male", "man", "men"})
"""Gender values read as men (lower case)."""

WOMEN = frozenset({"f", "female", "woman", "women", "w"})
"""Gender values read as women (lower case)."""


def gender_group(values: pd.Series) -> pd.Series:
    """``"men"``, ``"women"``, or missing for any other or unknown gender value."""
    low = values.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    out[low.isin(MEN).fillna(False)] = "men"
    out[low.isin(WOMEN).fillna(False)] = "women"
    return out


def eu_gaps(
    pop: pd.DataFrame,
    *,
    resid_var: np.ndarray,
    alpha: float,
    bootstrap: int,
    seed: int,
    threshold: float,
    p_adjust: str,
) -> tuple[pd.DataFrame, int]:
    """Mean and median gender pay gaps per track and grade with both men and women.

    Parameters
    ----------
    pop
        The people compared (``track``, ``grade``, ``base``, ``gender``).
    resid_var
        Per person, the variance of their idiosyncratic pay (squared residual of the
        adjusted base-pay model, HC1-scaled), aligned with ``pop``.
    alpha, bootstrap, seed
        Interval level, bootstrap resamples (0 skips the median-gap CI) and seed.
    threshold
        Mean gap that flags a cell (a suppressed cell's flag is blanked with its gap).
    p_adjust
        Multiplicity adjustment across cells.

    Returns
    -------
    (pandas.DataFrame, int)
        ``track, grade, estimate`` (mean gap), ``ci_lower, ci_upper, n, n_men, n_women,
        mean_men, mean_women, median_men, median_women, median_gap, median_gap_ci_lower,
        median_gap_ci_upper, p_value, p_adjusted, flag`` (unsuppressed: a cell is shown only
        when men and women each number k, when the result is built); and the number of
        people whose gender is neither men nor women (left out).
    """
    cols = [
        "track", "grade", "estimate", "ci_lower", "ci_upper", "n", "n_men", "n_women",
        "mean_men", "mean_women", "median_men", "median_women", "median_gap",
        "median_gap_ci_lower", "median_gap_ci_upper", "p_value", "p_adjusted", "flag",
    ]
    if "gender" not in pop or pop["gender"].notna().sum() == 0:
        return pd.DataFrame(columns=cols), 0
    grp = gender_group(pop["gender"])
    other = int(grp.isna().sum())
    d = pop.assign(_g=grp, _v=resid_var).loc[
        grp.notna().to_numpy(), ["track", "grade", "_g", "base", "_v"]
    ]
    stats = d.groupby(["track", "grade", "_g"])["base"].agg(["size", "mean", "median"])
    stats = stats.unstack("_g")
    rows = []
    for i, ((track, grade), s) in enumerate(stats.iterrows()):
        n_m = int(np.nan_to_num(s.get(("size", "men"), 0.0)))
        n_w = int(np.nan_to_num(s.get(("size", "women"), 0.0)))
        if n_m == 0 or n_w == 0:
            continue
        mm, mw = float(s[("mean", "men")]), float(s[("mean", "women")])
        cell = d.loc[(d["track"] == track) & (d["grade"] == grade)]
        is_w = (cell["_g"] == "women").to_numpy()
        women = cell["base"].to_numpy()[is_w]
        men = cell["base"].to_numpy()[~is_w]
        v = cell["_v"].to_numpy()
        # delta method conditional on the cell's composition: d log(mean) / d eta_i is
        # person i's share of the group's pay; Var(eta_i) from the model's residuals
        var = np.sum((women / women.sum()) ** 2 * v[is_w]) + np.sum(
            (men / men.sum()) ** 2 * v[~is_w]
        )
        lr = float(np.log(mw / mm))
        se = float(np.sqrt(var))
        lo_l, hi_l, p_l = wald(lr, se, alpha=alpha)
        est, lo, hi = 1 - mw / mm, 1 - float(np.exp(hi_l)), 1 - float(np.exp(lo_l))
        p = float(p_l)
        if bootstrap > 0:
            r, rlo, rhi = bootstrap_ratio_of_medians(
                women, men, B=bootstrap, alpha=alpha, seed=seed + 7919 + i
            )
            med_gap, mlo, mhi = 1 - r, 1 - rhi, 1 - rlo
        else:
            med_gap, mlo, mhi = 1 - np.median(women) / np.median(men), np.nan, np.nan
        rows.append(
            {
                "track": track, "grade": int(grade), "estimate": est, "ci_lower": lo,
                "ci_upper": hi, "n": n_m + n_w, "n_men": n_m, "n_women": n_w,
                "mean_men": mm, "mean_women": mw,
                "median_men": float(s[("median", "men")]),
                "median_women": float(s[("median", "women")]),
                "median_gap": med_gap, "median_gap_ci_lower": mlo, "median_gap_ci_upper": mhi,
                "p_value": p, "flag": bool(abs(est) >= threshold),
            }
        )
    out = pd.DataFrame(rows, columns=[c for c in cols if c != "p_adjusted"])
    out.insert(cols.index("p_adjusted"), "p_adjusted",
               adjust_pvalues(out["p_value"].to_numpy(dtype=float), method=p_adjust))
    return out[cols], other
