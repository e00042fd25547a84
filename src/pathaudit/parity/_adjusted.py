"""The adjusted track gap: IC vs M pay at equal grade with controls, and its sensitivity.

:func:`adjusted_gaps` fits, per pay component, one model with a track indicator (the
overall gap) and one with track x grade interactions (the per-grade gaps);
:func:`sensitivity` refits the overall base-pay gap with the IC <-> M grade equivalence
shifted. The estimation itself is in :mod:`pathaudit.stats.regression`, the reported gap and
its tests in :mod:`pathaudit.parity._gap`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from pathaudit.errors import PathauditError
from pathaudit.headline import information_shortfall
from pathaudit.parity._gap import gap_from_coef
from pathaudit.parity._population import LOG_MODEL_COMPONENTS
from pathaudit.stats import adjust_pvalues
from pathaudit.stats.regression import (
    ControlBlock,
    Fit,
    VcovType,
    build_design,
    fit_ols,
    fit_ppml,
)

DEFAULT_CATEGORICAL = ("job_family", "location", "gender", "ethnicity", "age_band")
"""Categorical controls used when present (besides grade)."""

DEFAULT_NUMERIC = ("tenure_years",)
"""Numeric controls used when present."""


def model_controls(
    pop: pd.DataFrame, controls: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    """Categorical and numeric controls present in the data (grade is always in).

    Parameters
    ----------
    pop
        The people compared.
    controls
        Control columns asked for; None: the defaults (:data:`DEFAULT_CATEGORICAL`,
        :data:`DEFAULT_NUMERIC`) that are present with two or more values.

    Returns
    -------
    (list of str, list of str)
        Categorical and numeric controls.

    Raises
    ------
    PathauditError
        A requested control is not a column, or a numeric control has missing values.
    """
    wanted = list(controls) if controls is not None else list(DEFAULT_CATEGORICAL) + list(
        DEFAULT_NUMERIC
    )
    cat, num = [], []
    for c in wanted:
        if c in ("grade", "track", "is_ic"):
            continue
        if c not in pop:
            if controls is not None:
                raise PathauditError(
                    f"Control {c!r} is not a column of the current-state table. Columns "
                    f"found: {sorted(pop.columns)}. Pass controls= with existing columns."
                )
            continue
        col = pop[c]
        if col.notna().sum() == 0:
            continue
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            if col.isna().any():
                raise PathauditError(
                    f"Numeric control {c!r} has {int(col.isna().sum())} missing values among "
                    "the people compared. Fill them or leave the control out (controls=)."
                )
            num.append(c)
        elif col.astype("string").nunique(dropna=False) > 1:
            cat.append(c)
    return cat, num


def _grades_with_both(frame: pd.DataFrame, grade_col: str) -> list[int]:
    both = frame.groupby(grade_col)["is_ic"].agg(["min", "max"])
    return [int(g) for g in both.index[(both["min"] == 0) & (both["max"] == 1)]]


def _fit(
    frame: pd.DataFrame,
    comp: str,
    *,
    track: Literal["overall", "by_grade", "none"],
    grade_col: str,
    controls: ControlBlock,
    clusters: np.ndarray | None,
    vcov: VcovType,
    cluster_name: str,
) -> Fit:
    design = build_design(
        frame,
        track=track,
        grade_col=grade_col,
        controls=controls,
        grades_with_both=_grades_with_both(frame, grade_col) if track == "by_grade" else None,
    )
    y = frame[comp].to_numpy(dtype="float64")
    if comp in LOG_MODEL_COMPONENTS:
        return fit_ols(np.log(y), design, clusters, vcov=vcov, cluster_name=cluster_name)
    return fit_ppml(y, design, clusters, vcov=vcov, cluster_name=cluster_name)


def _conclusion(p: float, p_eq: float, mde: float, alpha: float, margin: float) -> str:
    if not np.isfinite(p):
        return "not estimable (this pay is zero for a whole track here)"
    if p < alpha:
        return "difference associated with track"
    if np.isfinite(p_eq) and p_eq < alpha:
        return f"no gap beyond +/-{margin:.0%} (equivalence shown)"
    return f"inconclusive: gaps up to {mde:.1%} would likely go undetected"


def _component_frame(
    pop: pd.DataFrame,
    comp: str,
    controls: ControlBlock,
    clusters: np.ndarray | None,
    vcov: VcovType,
    cluster_name: str,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The rows a component's model uses (log models: positive pay) and the fit arguments."""
    frame_all = pop.assign(grade_model=pop["grade"])
    ok = frame_all[comp].notna().to_numpy()
    if comp in LOG_MODEL_COMPONENTS:
        ok = ok & (frame_all[comp] > 0).to_numpy()
    cl = clusters[ok] if clusters is not None else None
    if cl is not None:
        cl = pd.factorize(cl)[0]
    kw: dict[str, Any] = dict(
        grade_col="grade_model", controls=controls.take(ok), clusters=cl, vcov=vcov,
        cluster_name=cluster_name,
    )
    return frame_all.loc[ok], kw


def base_pay_fit(
    pop: pd.DataFrame,
    *,
    controls: ControlBlock,
    clusters: np.ndarray | None,
    vcov: VcovType,
    cluster_name: str,
    track: Literal["overall", "none"] = "overall",
) -> Fit:
    """The overall model of log FTE base pay alone (what :func:`adjusted_gaps` fits first).

    Used by the EU gaps and the remediation plans when the ``adjusted`` part is not asked
    for; the same fit, so the same numbers. ``track="none"`` leaves the track indicator
    out (data with one track only, where it is constant).
    """
    frame, kw = _component_frame(pop, "base", controls, clusters, vcov, cluster_name)
    return _fit(frame, "base", track=track, **kw)


def adjusted_gaps(
    pop: pd.DataFrame,
    components: Sequence[str],
    *,
    controls: ControlBlock,
    clusters: np.ndarray | None,
    vcov: VcovType,
    cluster_name: str,
    alpha: float,
    power: float,
    margin: float,
    p_adjust: str,
) -> tuple[pd.DataFrame, dict[str, Fit]]:
    """Overall and per-grade adjusted track gaps, per pay component.

    Returns
    -------
    (pandas.DataFrame, dict of str to Fit)
        ``component, scope, grade, estimate, ci_lower, ci_upper, n, n_ic, n_m, coef, se,
        df, df_resid, p_value, p_adjusted, mde, p_equivalence, conclusion, model, vcov,
        clusters`` (``df`` of the t reference; ``df_resid`` people minus parameters)
        (unsuppressed: a gap is shown only when both tracks have k people, when the result
        is built); and the overall fit of each component.
    """
    rows = []
    fits: dict[str, Fit] = {}
    for comp in components:
        frame, kw = _component_frame(pop, comp, controls, clusters, vcov, cluster_name)
        if comp not in LOG_MODEL_COMPONENTS and frame[comp].sum() <= 0:
            continue
        model = "OLS of log pay" if comp in LOG_MODEL_COMPONENTS else "Poisson PML"
        overall = _fit(frame, comp, track="overall", **kw)
        fits[comp] = overall
        n_ic = int(frame["is_ic"].sum())
        gap = gap_from_coef(
            overall.b("is_ic"), overall.se("is_ic"), overall.df,
            alpha=alpha, power=power, margin=margin,
        ) if "is_ic" in overall.design.names else gap_from_coef(np.nan, np.nan, overall.df)
        common = {
            "component": comp, "model": model, "vcov": overall.vcov_type,
            "clusters": overall.n_clusters,
        }
        rows.append(
            {
                **common, "scope": "overall", "grade": pd.NA,
                **_gap_row(gap), "n": len(frame), "n_ic": n_ic, "n_m": len(frame) - n_ic,
                "df_resid": _df_resid(overall), "p_adjusted": gap.p_value,
            }
        )
        by = _fit(frame, comp, track="by_grade", **kw)
        counts = frame.groupby("grade")["is_ic"].agg(["size", "sum"])
        grade_rows: list[dict[str, Any]] = []
        for g in _grades_with_both(frame, "grade_model"):
            name = f"is_ic:grade[{g}]"
            if name in by.design.names:
                gg = gap_from_coef(
                    by.b(name), by.se(name), by.df, alpha=alpha, power=power, margin=margin
                )
            else:  # PPML: nobody on one track has this pay at this grade (separation)
                gg = gap_from_coef(np.nan, np.nan, by.df)
            n_g, ic_g = int(counts.loc[g, "size"]), int(counts.loc[g, "sum"])
            grade_rows.append(
                {
                    **common, "scope": "grade", "grade": g, **_gap_row(gg),
                    "n": n_g, "n_ic": ic_g, "n_m": n_g - ic_g, "df_resid": _df_resid(by),
                }
            )
        padj = adjust_pvalues([r["p_value"] for r in grade_rows], method=p_adjust)
        for r, pa in zip(grade_rows, padj, strict=True):
            r["p_adjusted"] = float(pa)
        rows.extend(grade_rows)
    table = pd.DataFrame(rows)
    table["conclusion"] = [
        _conclusion(pa, pe, mde, alpha, margin)
        for pa, pe, mde in zip(table["p_adjusted"], table["p_equivalence"], table["mde"],
                               strict=True)
    ]
    table["grade"] = table["grade"].astype("Int64")
    cols = [
        "component", "scope", "grade", "estimate", "ci_lower", "ci_upper", "n", "n_ic", "n_m",
        "coef", "se", "df", "df_resid", "p_value", "p_adjusted", "mde", "p_equivalence",
        "conclusion", "model", "vcov", "clusters",
    ]
    return table[cols], fits


def _df_resid(fit: Fit) -> float:
    """Residual degrees of freedom of a fit: observations used minus parameters."""
    n, p = fit.design.X.shape
    if fit.rows is not None:
        n = int(np.count_nonzero(fit.rows))
    return float(n - p)


def _gap_row(gap: Any) -> dict[str, float]:
    return {
        "estimate": gap.estimate, "ci_lower": gap.ci_lower, "ci_upper": gap.ci_upper,
        "coef": gap.coef, "se": gap.se, "df": gap.df, "p_value": gap.p_value,
        "mde": gap.mde, "p_equivalence": gap.p_equivalence,
    }


def sensitivity(
    pop: pd.DataFrame,
    *,
    controls: ControlBlock,
    clusters: np.ndarray | None,
    vcov: VcovType,
    cluster_name: str,
    alpha: float,
    power: float,
    margin: float,
) -> pd.DataFrame:
    """Overall adjusted base-pay gap with IC grade g compared with M grade g + shift.

    Returns ``shift, comparison, estimate, ci_lower, ci_upper, coef, se, df, p_value, mde,
    p_equivalence, n, n_ic, n_m, grades_compared, df_resid, reason`` for shift -1, 0, +1.
    A shift whose model rests on less than the minimums of
    :data:`~pathaudit.headline.MINIMUMS` (people per track, residual degrees of freedom,
    clusters) keeps its counts and says why in ``reason``; its estimate, interval and tests
    are blank (not estimable), as the adjusted gap's headline is.
    """
    rows = []
    n_clusters = None if clusters is None else int(len(np.unique(clusters)))
    for shift in (-1, 0, 1):
        frame = pop.assign(grade_model=pop["grade"] + shift * pop["is_ic"])
        fit = _fit(
            frame, "base", track="overall", grade_col="grade_model", controls=controls,
            clusters=clusters, vcov=vcov, cluster_name=cluster_name,
        )
        gap = gap_from_coef(
            fit.b("is_ic"), fit.se("is_ic"), fit.df, alpha=alpha, power=power, margin=margin
        )
        n_ic = int(frame["is_ic"].sum())
        info: dict[str, Any] = {"people_per_track": {"IC": n_ic, "M": len(frame) - n_ic},
                                "residual_df": _df_resid(fit)}
        if n_clusters is not None:
            info["clusters"] = n_clusters
        reason = information_shortfall(info)
        figures = _gap_row(gap)
        if reason:
            figures = {key: (value if key == "df" else np.nan) for key, value in figures.items()}
        rows.append(
            {
                "shift": shift,
                "comparison": "as designed" if shift == 0 else
                f"IC grade g vs M grade g{shift:+d}",
                **figures,
                "n": len(frame), "n_ic": n_ic, "n_m": len(frame) - n_ic,
                "grades_compared": len(_grades_with_both(frame, "grade_model")),
                "df_resid": info["residual_df"], "reason": reason,
            }
        )
    return pd.DataFrame(rows)
