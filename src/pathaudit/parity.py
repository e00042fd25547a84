"""Pay-band parity across tracks: is an IC paid like a manager at the same grade.

:func:`pay_parity` answers DOMAIN.md analysis 1 on the people employed on one
date, from current pay only (so it runs on snapshot exports too). It returns a
:class:`ParityResult`, a small frozen bundle of :class:`~pathaudit.result.Result`
objects, one per part:

``by_grade``
    Per grade present in both tracks: headcount, median and mean pay by track,
    IC/M ratio of medians with a percentile-bootstrap CI, compa-ratio and range
    penetration by track.
``distribution``
    Per grade and track: headcount, mean, median, 10th/25th/75th/90th percentiles,
    compa-ratio and range penetration.
``adjusted``
    The adjusted track gap (log-pay regression with controls, cluster-robust),
    overall and per grade, with multiplicity-adjusted p-values, minimum
    detectable gap and equivalence test.
``sensitivity``
    The overall adjusted gap with the IC <-> M equivalence shifted by -1, 0, +1.
``decomposition``
    Oaxaca–Blinder twofold decomposition of the raw mean log-pay gap.
``eu_gaps``
    Within-track gender pay gaps per grade as the EU Pay Transparency Directive counts them.
``remediation``
    Headcount and cost of two plans that close the adjusted gap.
``ceilings``
    The top of each ladder (designed and realised), pay at the top, and the
    IC band mid / M band mid per grade (``tables["band_mids"]``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats as sps

from pathaudit.data import AuditData
from pathaudit.errors import PathauditError, StatisticalWarning
from pathaudit.parity_decompose import EXPLAINED_BY_GRADE_CAVEAT, Reference, oaxaca_blinder
from pathaudit.parity_model import (
    NO_CLUSTERS,
    ControlBlock,
    Fit,
    VcovType,
    build_design,
    cluster_codes,
    control_block,
    fit_ols,
    fit_ppml,
    gap_from_coef,
)
from pathaudit.parity_remedy import remediation_plans
from pathaudit.population import current_state, fte_filled
from pathaudit.result import Result, make_result
from pathaudit.stats import (
    BOOTSTRAP_B,
    BOOTSTRAP_SEED,
    adjust_pvalues,
    bootstrap_ratio_of_medians,
    t_ci,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

COMPONENTS: dict[str, str] = {
    "base": "FTE base pay",
    "variable": "variable pay (bonus, commission), FTE basis",
    "equity": "equity (annualised grant value), FTE basis",
    "total": "total compensation (base + variable + equity), FTE basis",
}
"""Pay components, in report order, with their labels."""

LOG_MODEL_COMPONENTS = ("base", "total")
"""Components modelled by OLS on log pay; the others (which can be zero) by PPML."""

DEFAULT_CATEGORICAL = ("job_family", "location", "gender", "ethnicity", "age_band")
"""Categorical controls used when present (besides grade)."""

DEFAULT_NUMERIC = ("tenure_years",)
"""Numeric controls used when present."""

MEN = frozenset({"m", "male", "man", "men"})
WOMEN = frozenset({"f", "female", "woman", "women", "w"})

MIXED_CURRENCIES = (
    "Pay comparisons never pool currencies without an fx table: the people employed on "
    "{as_of} are paid in {found}. Add an [fx] table to the column map (reporting_currency "
    "and one rate per currency), or pass currency='{first}' to analyse one currency."
)

NO_POPULATION = (
    "No one is left to compare on {as_of}: {n} people employed, {kept} with fte > 0, "
    "positive base pay and a grade. Check as_of and the pay columns."
)

ONE_TRACK = (
    "Pay parity compares tracks, but everyone employed on {as_of} is on track {track}. "
    "Check the track mapping in [values.track] of the column map."
)

DEFINITIONS: dict[str, str] = {
    "by_grade": (
        "Per grade with both tracks: IC/M ratio of median FTE {component} (estimate), "
        "medians, means, compa-ratio (pay / own band midpoint) and range penetration "
        "((pay - band min) / (band max - band min)) by track."
    ),
    "distribution": (
        "Per component, grade and track: headcount, mean, median (estimate) and "
        "10th/25th/75th/90th percentiles of FTE pay; compa-ratio and range penetration "
        "of base pay against the person's own band."
    ),
    "adjusted": (
        "exp(b) - 1, b = coefficient of IC (vs M) in a regression of {model} on track, "
        "grade and controls ({controls}); per grade from one model with track x grade "
        "interactions. Negative = ICs paid less than comparable managers."
    ),
    "sensitivity": (
        "Overall adjusted gap in FTE base pay when each IC grade g is compared with M "
        "grade g + shift (shift = 0 is the ladder as designed)."
    ),
    "decomposition": (
        "Mean log FTE base pay of ICs minus that of managers (log points), split into "
        "composition (explained, valued at pooled coefficients) and unexplained parts."
    ),
    "eu_gaps": (
        "Within each track and grade (a category of workers): (men's mean - women's "
        "mean) / men's mean FTE base pay, and the same with medians (EU Directive "
        "2023/970). Base pay only. Flag: |mean gap| >= {threshold:.0%} and at least "
        "k = {k} men and k women."
    ),
    "remediation": (
        "Annual base-pay cost of closing the adjusted track gap: min_cost = cheapest "
        "raises to the disadvantaged track after which the re-estimated gap is zero "
        "(nobody above predicted pay); to_predicted = everyone on that track below "
        "their predicted pay (smearing-corrected) raised to it."
    ),
    "ceilings": (
        "Top grade of each ladder as designed (ladder rows valid on as-of) and as "
        "realised (highest grade with anyone in it); median FTE base pay at the "
        "realised top. band_mids: IC band mid / M band mid per grade."
    ),
}


@dataclass(frozen=True)
class ParityResult:
    """Everything :func:`pay_parity` computes, one :class:`Result` per part.

    Attributes
    ----------
    by_grade, distribution, adjusted, sensitivity, decomposition, eu_gaps, remediation, ceilings
        See the module docstring; each Result's ``meta["definition"]`` says what
        its numbers are.
    findings
        Plain-language findings (ceilings, flagged grades and cells).
    people
        Person-level remediation list (``employee_id``, ``track``, ``grade``, ``pay``,
        ``predicted_pay``, ``raise_min_cost``, ``raise_to_predicted``) only when
        ``person_level=True`` was asked for; else None.
    """

    by_grade: Result
    distribution: Result
    adjusted: Result
    sensitivity: Result
    decomposition: Result
    eu_gaps: Result
    remediation: Result
    ceilings: Result
    findings: tuple[str, ...] = ()
    people: pd.DataFrame | None = field(default=None, repr=False)

    def results(self) -> dict[str, Result]:
        """Name -> Result, in report order (what ``pathaudit audit`` writes)."""
        return {
            "by_grade": self.by_grade,
            "distribution": self.distribution,
            "adjusted": self.adjusted,
            "sensitivity": self.sensitivity,
            "decomposition": self.decomposition,
            "eu_gaps": self.eu_gaps,
            "remediation": self.remediation,
            "ceilings": self.ceilings,
        }

    def overall_gap(self, component: str = "base") -> pd.Series:
        """Return the overall adjusted-gap row of one component."""
        t = self.adjusted.table
        rows = t.loc[(t["component"] == component) & (t["scope"] == "overall")]
        if rows.empty:
            raise PathauditError(
                f"No adjusted gap for component {component!r}; computed: "
                f"{sorted(t['component'].unique())}."
            )
        return rows.iloc[0]

    def headline(self) -> list[dict[str, Any]]:
        """Headline figures for ``summary.json`` (name, estimate, CI, n, definition)."""
        out: list[dict[str, Any]] = []
        for _, r in self.adjusted.table.loc[self.adjusted.table["scope"] == "overall"].iterrows():
            out.append(
                {
                    "name": f"adjusted_gap_{r['component']}",
                    "estimate": r["estimate"],
                    "ci_lower": r["ci_lower"],
                    "ci_upper": r["ci_upper"],
                    "n": r["n"],
                    "p_value": r["p_value"],
                    "conclusion": r["conclusion"],
                    "definition": f"IC vs M adjusted gap in {COMPONENTS[r['component']]}, "
                    "exp(b) - 1",
                }
            )
        dec = self.decomposition.table.set_index("part")
        if "unexplained" in dec.index:
            r = dec.loc["unexplained"]
            out.append(
                {
                    "name": "unexplained_log_gap",
                    "estimate": r["estimate"],
                    "ci_lower": r["ci_lower"],
                    "ci_upper": r["ci_upper"],
                    "n": r["n"],
                    "definition": "Oaxaca-Blinder unexplained part of the mean IC-M log "
                    "base-pay gap (pooled coefficients)",
                }
            )
        eu = self.eu_gaps.table
        out.append(
            {
                "name": "eu_gap_cells_flagged",
                "estimate": int(eu["flag"].sum()) if "flag" in eu else 0,
                "ci_lower": None,
                "ci_upper": None,
                "n": int((~eu["suppressed"]).sum()) if len(eu) else 0,
                "definition": "track-grade cells with a mean gender pay gap of 5% or more "
                "(EU 2023/970 style), of the cells shown",
            }
        )
        for _, r in self.remediation.table.iterrows():
            out.append(
                {
                    "name": f"remediation_{r['plan']}_cost",
                    "estimate": r["estimate"],
                    "ci_lower": None,
                    "ci_upper": None,
                    "n": r["n"],
                    "definition": f"annual base-pay cost of plan {r['plan']}",
                }
            )
        return out

    def summary(self) -> str:
        """Readable summary: the findings, then every part."""
        lines = ["Pay-band parity across tracks", ""]
        lines += [f"* {f}" for f in self.findings] or ["* no findings"]
        for name, res in self.results().items():
            lines += ["", f"== {name} ==", res.summary()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        import html

        items = "".join(f"<li>{html.escape(f)}</li>" for f in self.findings)
        return f"<div><h3>Pay-band parity across tracks</h3><ul>{items}</ul>" + "".join(
            res._repr_html_() for res in self.results().values()
        ) + "</div>"

    def plot_distribution(self, ax: Axes | None = None, component: str = "base") -> Axes:
        """Plot pay by grade and track: median, interquartile range and 10th–90th percentiles."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4.5))
        return _plot_distribution(self.distribution, ax, component)

    def plot_gaps(self, ax: Axes | None = None, component: str = "base") -> Axes:
        """Plot the adjusted gap per grade with its CI, and the overall gap as a band."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4.5))
        return _plot_gaps(self.adjusted, ax, component)


# --------------------------------------------------------------------------- population

SUPPRESSED_CONCLUSION = "suppressed: fewer than k people on a track"
"""Conclusion shown for a suppressed per-grade gap."""

LABEL_COLUMNS = ("grade", "shift")
"""Numeric columns that label a row (kept when a row is suppressed)."""


def ratio_of_means_ci(
    a: np.ndarray, b: np.ndarray, *, alpha: float = 0.05
) -> tuple[float, float, float, float]:
    r"""Ratio of means ``mean(a) / mean(b)`` with a delta-method interval and p-value.

    Parameters
    ----------
    a, b
        Values of the two groups (non-negative pay).
    alpha
        1 - confidence level.

    Returns
    -------
    (ratio, lower, upper, p_value) : tuple of float
        NaN bounds when a group has fewer than two people or a mean is zero.

    Notes
    -----
    On the log scale, :math:`\mathrm{se}^2 = s_a^2/(n_a\bar a^2) + s_b^2/(n_b\bar b^2)`
    with Welch–Satterthwaite degrees of freedom
    :math:`(u_a+u_b)^2/(u_a^2/(n_a-1)+u_b^2/(n_b-1))`; bounds
    :math:`\exp(\log(\bar a/\bar b) \pm t\,\mathrm{se})`; p-value of
    :math:`\bar a = \bar b`.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    ma, mb = float(a.mean()), float(b.mean())
    nan = float("nan")
    if mb <= 0:
        return nan, nan, nan, nan
    ratio = ma / mb
    if len(a) < 2 or len(b) < 2 or ma <= 0:
        return ratio, nan, nan, nan
    ua = a.var(ddof=1) / len(a) / ma**2
    ub = b.var(ddof=1) / len(b) / mb**2
    se = float(np.sqrt(ua + ub))
    if not se > 0:
        return ratio, nan, nan, nan
    df = (ua + ub) ** 2 / (ua**2 / (len(a) - 1) + ub**2 / (len(b) - 1))
    q = float(sps.t.ppf(1 - alpha / 2, df))
    lr = np.log(ratio)
    p = float(2 * sps.t.sf(abs(lr) / se, df))
    return ratio, float(np.exp(lr - q * se)), float(np.exp(lr + q * se)), p



def _population(
    data: AuditData, as_of: object | None, currency: str | None
) -> tuple[pd.DataFrame, dict[str, int], str, pd.Timestamp]:
    """People in scope with FTE pay components, controls and band position."""
    report: dict[str, int] = {}
    pop = current_state(data, as_of, report=report)
    when = pd.Timestamp(as_of).normalize() if as_of is not None else pd.Timestamp(data.as_of)
    excluded: dict[str, int] = {}
    if report["no_job_record"]:
        excluded["no_job_record_on_as_of"] = report["no_job_record"]
    fx = data.config.get("fx") or {}
    label = str(fx.get("reporting_currency", "")) if fx else ""
    if "currency" in pop and pop["currency"].notna().any():
        found = sorted(pop["currency"].dropna().astype(str).unique())
        if currency is not None:
            keep = pop["currency"].astype("string").fillna(currency) == currency
            excluded["other_currency"] = int((~keep).sum())
            pop = pop.loc[keep.to_numpy()]
            label = currency
        elif len(found) > 1 and not fx:
            raise PathauditError(
                MIXED_CURRENCIES.format(as_of=when.date(), found=", ".join(found), first=found[0])
            )
        elif not label:
            label = found[0]
    fte = fte_filled(pop)
    bad_fte = ~(fte > 0)
    excluded["fte_not_positive"] = int(bad_fte.sum())
    pay = pop["pay"].astype("float64") if "pay" in pop else pd.Series(np.nan, index=pop.index)
    bad_pay = ~(pay > 0) & ~bad_fte
    excluded["pay_missing_or_not_positive"] = int(bad_pay.sum())
    bad_grade = pop["grade"].isna() & ~bad_fte & ~bad_pay
    excluded["grade_missing"] = int(bad_grade.sum())
    keep = ~(bad_fte | bad_pay | bad_grade)
    n_before = len(pop)
    pop = pop.loc[keep.to_numpy()].copy()
    excluded = {k: v for k, v in excluded.items() if v}
    if pop.empty:
        raise PathauditError(NO_POPULATION.format(as_of=when.date(), n=n_before, kept=0))
    pop["grade"] = pop["grade"].astype("int64")
    pop["track"] = pop["track"].astype(str)
    pop["is_ic"] = (pop["track"] == "IC").astype("int64")
    if pop["is_ic"].nunique() < 2:
        raise PathauditError(ONE_TRACK.format(as_of=when.date(), track=pop["track"].iloc[0]))
    pop["base"] = pay.loc[pop.index]
    # the loader's conversion of base salary to FTE reporting-currency pay, applied to the rest
    if "base_salary" in pop:
        factor = (pop["base"] / pop["base_salary"].astype("float64")).where(
            pop["base_salary"] > 0
        )
    else:
        factor = pd.Series(np.nan, index=pop.index)
    extra = []
    for comp, col in (("variable", "variable_pay"), ("equity", "equity")):
        if col in pop and pop[col].notna().any():
            pop[comp] = (pop[col].astype("float64").fillna(0.0) * factor).clip(lower=0.0)
            extra.append(comp)
    if extra:
        pop["total"] = pop["base"] + pop[extra].fillna(0.0).sum(axis=1)
    return pop, excluded, label, when


def _band_position(data: AuditData, pop: pd.DataFrame, when: pd.Timestamp) -> pd.DataFrame:
    """Compa-ratio and range penetration of each person against their own band.

    The band is the most specific row for the person's track and level (location
    and currency matched where the band row names them), latest effective date on
    or before ``when``. Pay is the person's FTE base pay in their own currency.
    """
    out = pd.DataFrame(
        {"compa_ratio": np.nan, "range_penetration": np.nan}, index=pop.index, dtype="float64"
    )
    bands = data.bands
    if bands is None or bands.empty:
        return out
    b = bands.copy()
    if "effective_date" in b:
        b = b.loc[b["effective_date"].isna() | (b["effective_date"] <= when)]
        b = b.assign(_eff=b["effective_date"].fillna(pd.Timestamp("1678-01-01")))
    else:
        b = b.assign(_eff=pd.Timestamp("1678-01-01"))
    for c in ("location", "currency"):
        if c not in b:
            b[c] = pd.NA
    b = b.astype({"track": str, "level": str})
    salary_basis = str(data.config.get("export", {}).get("salary_basis", "fte"))
    local = pop["base_salary"].astype("float64") if "base_salary" in pop else pop["base"]
    if salary_basis == "actual":
        local = local / fte_filled(pop)
    left = pd.DataFrame(
        {
            "_pos": np.arange(len(pop)),
            "track": pop["track"].astype(str).to_numpy(),
            "level": pop["level"].astype(str).to_numpy(),
            "_loc": pop["location"].astype("string").to_numpy() if "location" in pop else pd.NA,
            "_cur": pop["currency"].astype("string").to_numpy() if "currency" in pop else pd.NA,
            "_pay": local.to_numpy(dtype="float64"),
        }
    )
    m = left.merge(
        b[["track", "level", "location", "currency", "band_min", "band_mid", "band_max", "_eff"]],
        on=["track", "level"],
        how="inner",
    )
    loc_ok = m["location"].isna() | (m["location"].astype("string") == m["_loc"]).fillna(False)
    cur_ok = m["currency"].isna() | (m["currency"].astype("string") == m["_cur"]).fillna(False)
    m = m.loc[(loc_ok & cur_ok).to_numpy()]
    m = m.assign(_score=2 * m["location"].notna() + m["currency"].notna())
    m = m.sort_values(["_pos", "_score", "_eff"]).drop_duplicates("_pos", keep="last")
    pos = m["_pos"].to_numpy()
    width = (m["band_max"] - m["band_min"]).to_numpy(dtype="float64")
    compa = (m["_pay"] / m["band_mid"]).to_numpy(dtype="float64")
    pen = np.where(width > 0, (m["_pay"] - m["band_min"]).to_numpy(dtype="float64") / width, np.nan)
    out.iloc[pos, 0] = compa
    out.iloc[pos, 1] = pen
    return out


# --------------------------------------------------------------------------- descriptive


def _distribution(pop: pd.DataFrame, components: Sequence[str], k: int) -> pd.DataFrame:
    """Per component, grade and track: n, mean, median, quantiles, band position."""
    long = pop.melt(
        id_vars=["grade", "track", "compa_ratio", "range_penetration"],
        value_vars=list(components),
        var_name="component",
        value_name="value",
    ).dropna(subset=["value"])
    g = long.groupby(["component", "grade", "track"], sort=True)
    t = g["value"].agg(n="size", mean="mean", median="median")
    q = g["value"].quantile([0.1, 0.25, 0.75, 0.9]).unstack()
    q.columns = ["p10", "p25", "p75", "p90"]
    band = g.agg(
        n_banded=("compa_ratio", "count"),
        compa_ratio_mean=("compa_ratio", "mean"),
        compa_ratio_median=("compa_ratio", "median"),
        range_penetration_mean=("range_penetration", "mean"),
    )
    out = t.join(q).join(band).reset_index()
    base = out["component"] == "base"
    band_cols = ["compa_ratio_mean", "compa_ratio_median", "range_penetration_mean"]
    out.loc[~base, band_cols + ["n_banded"]] = np.nan
    out.loc[out["n_banded"] < k, band_cols] = np.nan  # band figures on too few people
    out.loc[out["n"] < 2 * k, ["p10", "p90"]] = np.nan  # near-extremes of a small cell
    out["component"] = pd.Categorical(out["component"], categories=list(COMPONENTS))
    return out.sort_values(["component", "grade", "track"]).reset_index(drop=True).assign(
        component=lambda d: d["component"].astype(str)
    )


def _by_grade(
    pop: pd.DataFrame,
    dist: pd.DataFrame,
    components: Sequence[str],
    *,
    bootstrap: int,
    alpha: float,
    seed: int,
    k: int,
) -> pd.DataFrame:
    """Per component and grade with both tracks: the IC/M comparison row."""
    rows = []
    wide = dist.pivot_table(
        index=["component", "grade"],
        columns="track",
        values=["n", "median", "mean", "compa_ratio_mean", "range_penetration_mean"],
        observed=True,
    )
    for i, comp in enumerate(components):
        vals = pop[["grade", "is_ic", comp]].dropna()
        by = {g: part for g, part in vals.groupby("grade", sort=True)}
        for j, (grade, part) in enumerate(by.items()):
            ic = part.loc[part["is_ic"] == 1, comp].to_numpy()
            m = part.loc[part["is_ic"] == 0, comp].to_numpy()
            if len(ic) == 0 or len(m) == 0:
                continue
            med_m = float(np.median(m))
            if comp not in LOG_MODEL_COMPONENTS:
                # pay that can be zero: ratio of means, delta-method CI
                est, lo, hi, _ = ratio_of_means_ci(ic, m, alpha=alpha)
            elif bootstrap > 0:
                est, lo, hi = bootstrap_ratio_of_medians(
                    ic, m, B=bootstrap, alpha=alpha, seed=seed + 1000 * i + j
                )
            else:
                est, lo, hi = float(np.median(ic) / med_m), np.nan, np.nan
            w = wide.loc[(comp, grade)]
            rows.append(
                {
                    "component": comp,
                    "grade": int(grade),
                    "measure": "ratio of medians" if comp in LOG_MODEL_COMPONENTS
                    else "ratio of means",
                    "estimate": est,
                    "ci_lower": lo,
                    "ci_upper": hi,
                    "n": len(ic) + len(m),
                    "n_ic": len(ic),
                    "n_m": len(m),
                    "median_ic": float(np.median(ic)),
                    "median_m": med_m,
                    "mean_ic": float(ic.mean()),
                    "mean_m": float(m.mean()),
                    "ratio_of_means": float(ic.mean() / m.mean()) if m.mean() > 0 else np.nan,
                    "compa_ratio_ic": w.get(("compa_ratio_mean", "IC"), np.nan),
                    "compa_ratio_m": w.get(("compa_ratio_mean", "M"), np.nan),
                    "range_penetration_ic": w.get(("range_penetration_mean", "IC"), np.nan),
                    "range_penetration_m": w.get(("range_penetration_mean", "M"), np.nan),
                    "suppressed": min(len(ic), len(m)) < k,
                }
            )
    cols = [
        "component", "grade", "measure", "estimate", "ci_lower", "ci_upper", "n", "n_ic", "n_m",
        "median_ic", "median_m", "mean_ic", "mean_m", "ratio_of_means", "compa_ratio_ic",
        "compa_ratio_m", "range_penetration_ic", "range_penetration_m", "suppressed",
    ]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------- models


def _controls(pop: pd.DataFrame, controls: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """Categorical and numeric controls present in the data (grade is always in)."""
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


def _adjusted(
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
    k: int,
) -> tuple[pd.DataFrame, dict[str, Fit]]:
    rows = []
    fits: dict[str, Fit] = {}
    frame_all = pop.assign(grade_model=pop["grade"])
    for comp in components:
        ok = frame_all[comp].notna().to_numpy()
        if comp in LOG_MODEL_COMPONENTS:
            ok = ok & (frame_all[comp] > 0).to_numpy()
        frame = frame_all.loc[ok]
        cl = clusters[ok] if clusters is not None else None
        if cl is not None:
            cl = pd.factorize(cl)[0]
        if comp not in LOG_MODEL_COMPONENTS and frame[comp].sum() <= 0:
            continue
        model = "OLS of log pay" if comp in LOG_MODEL_COMPONENTS else "Poisson PML"
        kw: dict[str, Any] = dict(
            grade_col="grade_model", controls=controls.take(ok), clusters=cl, vcov=vcov,
            cluster_name=cluster_name,
        )
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
                "p_adjusted": gap.p_value, "suppressed": False,
            }
        )
        by = _fit(frame, comp, track="by_grade", **kw)
        counts = frame.groupby("grade")["is_ic"].agg(["size", "sum"])
        grade_rows = []
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
                    "n": n_g, "n_ic": ic_g, "n_m": n_g - ic_g,
                    "suppressed": min(ic_g, n_g - ic_g) < k,
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
    # a suppressed row says nothing about its gap, not even in words
    table.loc[table["suppressed"].astype(bool), "conclusion"] = SUPPRESSED_CONCLUSION
    table["grade"] = table["grade"].astype("Int64")
    cols = [
        "component", "scope", "grade", "estimate", "ci_lower", "ci_upper", "n", "n_ic", "n_m",
        "coef", "se", "df", "p_value", "p_adjusted", "mde", "p_equivalence", "conclusion",
        "model", "vcov", "clusters", "suppressed",
    ]
    return table[cols], fits


def _gap_row(gap: Any) -> dict[str, float]:
    return {
        "estimate": gap.estimate, "ci_lower": gap.ci_lower, "ci_upper": gap.ci_upper,
        "coef": gap.coef, "se": gap.se, "df": gap.df, "p_value": gap.p_value,
        "mde": gap.mde, "p_equivalence": gap.p_equivalence,
    }


def _sensitivity(
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
    rows = []
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
        rows.append(
            {
                "shift": shift,
                "comparison": "as designed" if shift == 0 else
                f"IC grade g vs M grade g{shift:+d}",
                **_gap_row(gap),
                "n": len(frame), "n_ic": n_ic, "n_m": len(frame) - n_ic,
                "grades_compared": len(_grades_with_both(frame, "grade_model")),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- EU gaps


def _gender_group(values: pd.Series) -> pd.Series:
    low = values.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    out[low.isin(MEN).fillna(False)] = "men"
    out[low.isin(WOMEN).fillna(False)] = "women"
    return out


def _eu_gaps(
    pop: pd.DataFrame,
    *,
    resid_var: np.ndarray,
    alpha: float,
    bootstrap: int,
    seed: int,
    k: int,
    threshold: float,
    p_adjust: str,
) -> tuple[pd.DataFrame, int]:
    cols = [
        "track", "grade", "estimate", "ci_lower", "ci_upper", "n", "n_men", "n_women",
        "mean_men", "mean_women", "median_men", "median_women", "median_gap",
        "median_gap_ci_lower", "median_gap_ci_upper", "p_value", "p_adjusted", "flag",
        "suppressed",
    ]
    if "gender" not in pop or pop["gender"].notna().sum() == 0:
        return pd.DataFrame(columns=cols), 0
    grp = _gender_group(pop["gender"])
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
        lo_l, hi_l = t_ci(lr, se, None, alpha)
        est, lo, hi = 1 - mw / mm, 1 - float(np.exp(hi_l)), 1 - float(np.exp(lo_l))
        p = float(2 * sps.norm.sf(abs(lr) / se)) if se > 0 else np.nan
        if bootstrap > 0:
            r, rlo, rhi = bootstrap_ratio_of_medians(
                women, men, B=bootstrap, alpha=alpha, seed=seed + 7919 + i
            )
            med_gap, mlo, mhi = 1 - r, 1 - rhi, 1 - rlo
        else:
            med_gap, mlo, mhi = 1 - np.median(women) / np.median(men), np.nan, np.nan
        small = min(n_m, n_w) < k
        rows.append(
            {
                "track": track, "grade": int(grade), "estimate": est, "ci_lower": lo,
                "ci_upper": hi, "n": n_m + n_w, "n_men": n_m, "n_women": n_w,
                "mean_men": mm, "mean_women": mw,
                "median_men": float(s[("median", "men")]),
                "median_women": float(s[("median", "women")]),
                "median_gap": med_gap, "median_gap_ci_lower": mlo, "median_gap_ci_upper": mhi,
                "p_value": p, "flag": bool(abs(est) >= threshold and not small),
                "suppressed": small,
            }
        )
    out = pd.DataFrame(rows, columns=[c for c in cols if c != "p_adjusted"])
    out.insert(cols.index("p_adjusted"), "p_adjusted",
               adjust_pvalues(out["p_value"].to_numpy(dtype=float), method=p_adjust))
    return out[cols], other


# --------------------------------------------------------------------------- ceilings


def _ceilings(
    data: AuditData, pop: pd.DataFrame, when: pd.Timestamp, fx: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    from pathaudit.ladder import assign_grades, top_grades

    findings: list[str] = []
    designed = (
        top_grades(data.ladder, on=when).set_index("track")["top_grade"]
        if data.ladder is not None and not data.ladder.empty
        else pd.Series(dtype="Int64")
    )
    realised = pop.groupby("track")["grade"].max()
    rows = []
    for track in ("IC", "M"):
        top_r = realised.get(track, np.nan)
        at_top = pop.loc[(pop["track"] == track) & (pop["grade"] == top_r), "base"]
        rows.append(
            {
                "track": track,
                "top_grade_designed": designed.get(track, pd.NA),
                "top_grade_realised": top_r if pd.notna(top_r) else pd.NA,
                "estimate": float(at_top.median()) if len(at_top) else np.nan,
                "ci_lower": np.nan,
                "ci_upper": np.nan,
                "mean_pay": float(at_top.mean()) if len(at_top) else np.nan,
                "n": len(at_top),
            }
        )
    table = pd.DataFrame(rows).astype(
        {"top_grade_designed": "Int64", "top_grade_realised": "Int64"}
    )
    d_ic, d_m = designed.get("IC", pd.NA), designed.get("M", pd.NA)
    if pd.notna(d_ic) and pd.notna(d_m) and d_ic < d_m:
        findings.append(
            f"IC ceiling below M ceiling as designed: the IC ladder tops out at grade {d_ic}, "
            f"the M ladder at grade {d_m}."
        )
    r_ic, r_m = realised.get("IC", np.nan), realised.get("M", np.nan)
    if pd.notna(r_ic) and pd.notna(r_m) and r_ic < r_m:
        findings.append(
            f"IC ceiling below M ceiling as realised: nobody on the IC track is above grade "
            f"{int(r_ic)}; managers reach grade {int(r_m)}."
        )
    band_cols = ["grade", "ic_band_mid", "m_band_mid", "estimate", "band_keys"]
    bands = data.bands
    if bands is None or bands.empty:
        return table, pd.DataFrame(columns=band_cols), findings
    b = bands.copy()
    if "effective_date" in b:
        b = b.loc[b["effective_date"].isna() | (b["effective_date"] <= when)]
        b = b.sort_values("effective_date", na_position="first")
    for c in ("location", "currency"):
        if c not in b:
            b[c] = pd.NA
    b = b.drop_duplicates(["track", "level", "location", "currency"], keep="last")
    b = b.assign(_date=when)
    b["grade"] = assign_grades(b, data.ladder, date_column="_date")
    b = b.loc[b["grade"].notna()]
    rates = {str(c): float(v) for c, v in fx.items() if c != "reporting_currency"}
    cur = b["currency"].astype("string")
    if rates and cur.notna().any():
        b["band_mid"] = b["band_mid"] * cur.map(rates).astype("float64").fillna(
            1.0 if cur.isna().all() else np.nan
        )
    b["_key"] = b["location"].astype("string").fillna("") + "|" + cur.fillna("")
    per = b.groupby(["_key", "grade", "track"], observed=True)["band_mid"].mean().unstack("track")
    if "IC" not in per or "M" not in per:
        return table, pd.DataFrame(columns=band_cols), findings
    per = per.dropna(subset=["IC", "M"]).reset_index()
    per["ratio"] = per["IC"] / per["M"]
    one_currency = rates or cur.nunique() <= 1
    agg = per.groupby("grade").agg(
        ic_band_mid=("IC", "mean"), m_band_mid=("M", "mean"), estimate=("ratio", "median"),
        band_keys=("_key", "size"),
    ).reset_index()
    if not one_currency:
        agg[["ic_band_mid", "m_band_mid"]] = np.nan
    low = agg.loc[agg["estimate"] < 1, "grade"].tolist()
    if low:
        findings.append(
            "IC band midpoint below the M band midpoint at grade(s) "
            + ", ".join(str(int(g)) for g in low)
            + " (as designed in the pay bands)."
        )
    return table, agg[band_cols].astype({"grade": "int64"}), findings


# --------------------------------------------------------------------------- plots


def _plot_distribution(result: Result, ax: Axes, component: str = "base") -> Axes:
    t = result.table
    t = t.loc[(t["component"] == component) & ~t["suppressed"].astype(bool)]
    for track, offset, color in (("IC", -0.17, "C0"), ("M", 0.17, "C1")):
        s = t.loc[t["track"] == track]
        x = s["grade"].to_numpy(dtype=float) + offset
        ax.vlines(x, s["p10"], s["p90"], color=color, lw=1.2)
        ax.vlines(x, s["p25"], s["p75"], color=color, lw=7, alpha=0.8, label=track)
        ax.scatter(x, s["median"], color="white", edgecolor="black", zorder=3, s=18)
    ax.set_xlabel("grade")
    ax.set_ylabel(COMPONENTS.get(component, component))
    k = result.meta.get("k", 5)
    ax.set_title(
        f"{COMPONENTS.get(component, component)} by grade and track\n"
        f"dot = median, bar = 25th–75th, line = 10th–90th percentile; cells under {k} "
        "people not shown",
        fontsize=9,
    )
    ax.set_xticks(sorted(t["grade"].astype(int).unique()))
    ax.legend(title="track", frameon=False, loc="upper left")
    return ax


def _plot_ratio(result: Result, ax: Axes, component: str = "base") -> Axes:
    t = result.table
    t = t.loc[(t["component"] == component) & ~t["suppressed"].astype(bool)]
    x = t["grade"].to_numpy(dtype=float)
    y = t["estimate"].to_numpy(dtype=float)
    err = np.vstack([y - t["ci_lower"].to_numpy(float), t["ci_upper"].to_numpy(float) - y])
    ax.errorbar(x, y, yerr=np.nan_to_num(err), fmt="o", color="C0", capsize=3)
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xticks(sorted(t["grade"].astype(int).unique()))
    ax.set_xlabel("grade")
    ax.set_ylabel("IC median / M median")
    ax.set_title(f"IC/M ratio of median {COMPONENTS.get(component, component)} (raw)", fontsize=9)
    return ax


def _plot_gaps(result: Result, ax: Axes, component: str = "base") -> Axes:
    from matplotlib.ticker import PercentFormatter

    t = result.table.loc[result.table["component"] == component]
    per = t.loc[(t["scope"] == "grade") & ~t["suppressed"].astype(bool)]
    over = t.loc[t["scope"] == "overall"]
    if len(over):
        o = over.iloc[0]
        ax.axhspan(o["ci_lower"], o["ci_upper"], color="grey", alpha=0.2, lw=0)
        ax.axhline(o["estimate"], color="grey", lw=1.5, label="overall (with CI)")
    x = per["grade"].to_numpy(dtype=float)
    y = per["estimate"].to_numpy(dtype=float)
    err = np.vstack([y - per["ci_lower"].to_numpy(float), per["ci_upper"].to_numpy(float) - y])
    ax.errorbar(x, y, yerr=err, fmt="o", color="C0", capsize=3, label="per grade")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(sorted(per["grade"].astype(int).unique()))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("grade")
    ax.set_ylabel("adjusted IC vs M gap")
    alpha = result.meta.get("alpha", 0.05)
    ax.set_title(
        f"Adjusted gap in {COMPONENTS.get(component, component)}, {1 - alpha:.0%} CI "
        "(below 0: ICs paid less)",
        fontsize=9,
    )
    ax.legend(frameon=False)
    return ax


# --------------------------------------------------------------------------- entry point


def pay_parity(
    data: AuditData,
    as_of: object | None = None,
    *,
    alpha: float = 0.05,
    k: int | None = None,
    bootstrap: int = BOOTSTRAP_B,
    seed: int = BOOTSTRAP_SEED,
    controls: Sequence[str] | None = None,
    cluster: str = "org_unit",
    vcov: VcovType = "auto",
    components: Sequence[str] | None = None,
    margin: float = 0.05,
    power: float = 0.8,
    p_adjust: Literal["holm", "fdr_bh"] = "holm",
    eu_threshold: float = 0.05,
    reference: Reference = "neumark",
    currency: str | None = None,
    person_level: bool = False,
) -> ParityResult:
    r"""Pay-band parity across tracks: IC vs M pay at equal grade, raw and adjusted.

    Parameters
    ----------
    data
        Loaded dataset (history or snapshot; only current pay is used).
    as_of
        Date of the comparison (default ``data.as_of``).
    alpha
        1 - confidence level of every interval and the test level.
    k
        Minimum cell size (default ``data.min_cell_size``).
    bootstrap
        Resamples for the ratio-of-medians and median-gap intervals (0 skips them).
    seed
        Bootstrap seed.
    controls
        Control columns besides grade (default: job_family, location, gender,
        ethnicity, age_band, tenure_years, each when present with two or more values).
    cluster
        Cluster column for robust errors (default ``org_unit``).
    vcov
        ``"auto"`` (CRV3 with t(G-1) under 30 clusters, else CRV1), ``"CRV3"``,
        ``"CRV1"`` or ``"HC1"``.
    components
        Pay components to analyse (default: ``base`` and, where the export has them,
        ``variable``, ``equity``, ``total``).
    margin
        Equivalence margin for the "no gap" test (0.05 = +/-5%).
    power
        Power for the minimum detectable gap.
    p_adjust
        Multiplicity adjustment across grades and cells: ``"holm"`` or ``"fdr_bh"``.
    eu_threshold
        Mean gender gap that flags a cell (0.05, as in the EU Directive).
    reference
        Decomposition reference: ``"neumark"`` (pooled model without a track
        indicator, default) or ``"pooled"`` (with one, Jann 2008).
    currency
        Restrict to people paid in this currency (needed when currencies are mixed
        and the map has no fx table).
    person_level
        Also return the person-level remediation list (``ParityResult.people``).

    Returns
    -------
    ParityResult
        Frozen bundle of Results. Columns of each main table:

        ``by_grade``: ``component, grade, estimate`` (IC/M ratio of medians),
        ``ci_lower, ci_upper`` (percentile bootstrap within track), ``n, n_ic, n_m,
        median_ic, median_m, mean_ic, mean_m, ratio_of_means, compa_ratio_ic,
        compa_ratio_m, range_penetration_ic, range_penetration_m, suppressed``;
        ``tables["by_track"]``: ``component, grade, track, n, mean, median, p10, p25,
        p75, p90, n_banded, compa_ratio_mean, compa_ratio_median,
        range_penetration_mean, suppressed``.

        ``adjusted``: ``component, scope`` (overall / grade), ``grade, estimate``
        (exp(b) - 1), ``ci_lower, ci_upper, n, n_ic, n_m, coef, se, df, p_value,
        p_adjusted`` (Holm/BH across grades; the raw p for overall), ``mde`` (minimum
        detectable gap at ``power``), ``p_equivalence`` (TOST against ``margin``),
        ``conclusion, model, vcov, clusters, suppressed``.

        ``sensitivity``: ``shift, comparison, estimate, ci_lower, ci_upper, coef, se,
        df, p_value, mde, p_equivalence, n, n_ic, n_m, grades_compared``.

        ``decomposition``: ``part, estimate`` (log points), ``se, ci_lower, ci_upper,
        p_value, share, df, n``.

        ``eu_gaps``: ``track, grade, estimate`` (mean gap), ``ci_lower, ci_upper, n,
        n_men, n_women, mean_men, mean_women, median_men, median_women, median_gap,
        median_gap_ci_lower, median_gap_ci_upper, p_value, p_adjusted, flag``.

        ``remediation``: ``plan, track_raised, estimate`` (total annual cost), ``n``
        (people raised), ``cost_share, mean_raise_pct, gap_before, gap_after,
        caps_binding``.

        ``ceilings``: ``track, top_grade_designed, top_grade_realised, estimate``
        (median pay at the realised top), ``mean_pay, n``; ``tables["band_mids"]``:
        ``grade, ic_band_mid, m_band_mid, estimate`` (IC mid / M mid), ``band_keys``.

    Raises
    ------
    PathauditError
        Mixed currencies without an fx table, nobody in scope, only one track,
        or a requested control that does not exist.

    Notes
    -----
    Population: people employed on ``as_of`` (hire date <= as_of <= termination
    date, both inclusive), their last job record dated on or before ``as_of``, with
    fte > 0 (missing = 1), positive FTE base pay and a grade; one currency or an fx
    table. Grades are compared as the ladder defines them (equal grade = equal
    value). Adjusted gap: :math:`\log p_i = \alpha_{grade} + b\,IC_i + x_i'\gamma +
    e_i`, reported as :math:`\exp(b)-1` with :math:`\exp(b \pm t_{G-1}se)-1`;
    ``se`` cluster-robust by ``cluster`` (CRV3 jackknife under 30 clusters, else
    CRV1). Per-grade gaps: one model with :math:`b_g\,IC_i 1[grade_i=g]` for every
    grade with both tracks. Variable pay and equity (zeros allowed) use Poisson
    PML, so :math:`\exp(b)-1` is the proportional gap in mean pay. Missing variable
    pay or equity counts as zero when the export has the column.
    """
    k = data.min_cell_size if k is None else int(k)
    pop, excluded, cur_label, when = _population(data, as_of, currency)
    comps_present = [c for c in COMPONENTS if c in pop]
    if components is None:
        components = comps_present
    else:
        missing = [c for c in components if c not in comps_present]
        if missing:
            raise PathauditError(
                f"Pay component(s) {missing} are not in this export; available: "
                f"{comps_present}."
            )
    components = list(components)
    bandpos = _band_position(data, pop, when)
    pop = pop.join(bandpos)
    cat, num = _controls(pop, controls)
    clusters = cluster_codes(pop[cluster]) if cluster in pop else None
    n_clusters = 0 if clusters is None else int(clusters.max()) + 1
    if n_clusters < 2:
        warnings.warn(
            NO_CLUSTERS.format(col=cluster, g=n_clusters), StatisticalWarning, stacklevel=2
        )
        clusters, vcov = None, "HC1"
    population = (
        f"people employed on {when.date()} (hire date <= as-of <= termination date), "
        f"last job record dated on or before as-of, fte > 0, positive FTE base pay"
        + (f", pay in {cur_label}" if cur_label else "")
    )
    common: dict[str, Any] = dict(
        data=data, alpha=alpha, k=k, population=population, n_in=len(pop),
        excluded=excluded, as_of=str(when.date()),
    )
    if cur_label:
        common["currency"] = cur_label
    ctrl_text = ", ".join(["grade"] + cat + num)

    dist = _distribution(pop, components, k)
    by_grade_tab = _by_grade(
        pop, dist, components, bootstrap=bootstrap, alpha=alpha, seed=seed, k=k
    )
    by_grade = make_result(
        by_grade_tab,
        analysis="pay parity: IC vs M pay by grade",
        definition=DEFINITIONS["by_grade"].format(component="pay (per component)"),
        method=f"ratio of medians with percentile bootstrap within track (B = {bootstrap}, "
        f"seed {seed}); for variable pay and equity (often zero) the ratio of means with a "
        f"delta-method CI; a grade shows no pay figure unless both tracks have k = {k} people",
        label_cols=LABEL_COLUMNS,
        complementary_by=["component"],
        plotter=_plot_ratio,
        **common,
    )
    distribution = make_result(
        dist.assign(estimate=dist["median"], ci_lower=np.nan, ci_upper=np.nan),
        analysis="pay parity: pay distribution by grade and track",
        definition=DEFINITIONS["distribution"],
        method="empirical quantiles (linear interpolation); compa-ratio and range "
        f"penetration only where at least k = {k} people have a band",
        label_cols=LABEL_COLUMNS,
        complementary_by=["component", "track"],
        plotter=_plot_distribution,
        **common,
    )

    block = control_block(pop, cat, num)
    adj_tab, fits = _adjusted(
        pop, components, controls=block, clusters=clusters, vcov=vcov,
        cluster_name=cluster, alpha=alpha, power=power, margin=margin, p_adjust=p_adjust, k=k,
    )
    base_fit = fits["base"]
    vcov_text = {
        "CRV3": f"CRV3 (leave-one-{cluster}-out jackknife), t({base_fit.n_clusters - 1})",
        "CRV1": f"CRV1 clustered by {cluster}, t({base_fit.n_clusters - 1})",
        "HC1": "HC1 heteroskedasticity-robust (no clusters)",
    }[base_fit.vcov_type]
    adjusted = make_result(
        adj_tab,
        analysis="pay parity: adjusted track gap",
        definition=DEFINITIONS["adjusted"].format(
            model="log pay (base, total) or pay (variable, equity; Poisson PML)",
            controls=ctrl_text,
        ),
        method=f"{vcov_text}; per-grade p-values adjusted by {p_adjust}; minimum detectable "
        f"gap at {power:.0%} power; equivalence (TOST) against +/-{margin:.0%}",
        label_cols=LABEL_COLUMNS,
        plotter=_plot_gaps,
        controls=["grade"] + cat + num,
        margin=margin,
        **common,
    )

    sens_tab = _sensitivity(
        pop, controls=block, clusters=clusters, vcov=vcov, cluster_name=cluster,
        alpha=alpha, power=power, margin=margin,
    )
    sens = make_result(
        sens_tab,
        label_cols=LABEL_COLUMNS,
        analysis="pay parity: sensitivity to the IC <-> M grade equivalence",
        definition=DEFINITIONS["sensitivity"],
        method=f"as the adjusted gap ({vcov_text})",
        **common,
    )

    frame = pop.assign(grade_model=pop["grade"])
    dec_design = build_design(
        frame, track="none" if reference == "neumark" else "overall", grade_col="grade_model",
        controls=block,
    )
    dec = oaxaca_blinder(
        np.log(frame["base"].to_numpy(dtype="float64")),
        frame["is_ic"].to_numpy() == 1,
        dec_design,
        clusters,
        alpha=alpha,
        track_columns=dec_design.groups.get("track"),
    ).assign(n=len(frame))
    decomposition = make_result(
        dec,
        analysis="pay parity: Oaxaca-Blinder decomposition of the IC - M log-pay gap",
        definition=DEFINITIONS["decomposition"],
        method=(
            "twofold, pooled reference coefficients "
            + ("without a track indicator (Neumark 1988)" if reference == "neumark"
               else "with a track indicator (Jann 2008)")
            + f"; delta-method SEs on influence functions clustered by {cluster}, t(G-1)"
        ),
        caveat=EXPLAINED_BY_GRADE_CAVEAT,
        **common,
    )

    # Var(eta_i): squared residuals of the base-pay model, HC1-scaled
    n_fit, k_fit = base_fit.design.X.shape
    resid_var = base_fit.resid**2 * n_fit / max(n_fit - k_fit, 1)
    eu_tab, eu_other = _eu_gaps(
        pop, resid_var=resid_var, alpha=alpha, bootstrap=bootstrap, seed=seed, k=k,
        threshold=eu_threshold, p_adjust=p_adjust,
    )
    eu = make_result(
        eu_tab,
        label_cols=LABEL_COLUMNS,
        analysis="pay parity: gender pay gap within track and grade (EU 2023/970 style)",
        definition=DEFINITIONS["eu_gaps"].format(threshold=eu_threshold, k=k),
        method="mean gap: delta method on the log ratio of means, conditional on the cell's "
        "composition (each person's idiosyncratic pay variance from the squared residual of "
        "the adjusted base-pay model, HC1-scaled), normal quantiles; median gap: percentile "
        f"bootstrap within group (B = {bootstrap}); p-values adjusted by {p_adjust} across cells",
        gender_not_man_or_woman=eu_other,
        **common,
    )

    plans = remediation_plans(
        base_fit, pop["base"].to_numpy(dtype="float64"), pop["is_ic"].to_numpy() == 1
    )
    rem_tab = plans.table.rename(columns={"total_cost": "estimate"}).assign(
        ci_lower=np.nan, ci_upper=np.nan
    )
    remediation = make_result(
        rem_tab[["plan", "track_raised", "estimate", "ci_lower", "ci_upper", "n", "cost_share",
                 "mean_raise_pct", "gap_before", "gap_after", "caps_binding"]],
        analysis="pay parity: cost of closing the adjusted gap",
        definition=DEFINITIONS["remediation"],
        method="OLS is linear in log pay: raises delta change the gap by c'delta; "
        "min_cost solves the convex programme exactly (KKT, bisection); predicted pay "
        "back-transformed with Duan's smearing factor",
        currency_of_costs=cur_label,
        **common,
    )

    ceil_tab, band_mids, findings = _ceilings(data, pop, when, data.config.get("fx") or {})
    ceilings = make_result(
        ceil_tab,
        analysis="pay parity: top of each ladder and band structure",
        definition=DEFINITIONS["ceilings"],
        method="ladder rows valid on as-of; realised = highest grade with anyone employed",
        value_cols=["estimate", "mean_pay"],
        tables={"band_mids": band_mids},
        **common,
    )

    findings = list(findings)
    over = adjusted.table.loc[
        (adjusted.table["component"] == "base") & (adjusted.table["scope"] == "overall")
    ].iloc[0]
    findings.insert(
        0,
        f"Adjusted IC vs M gap in FTE base pay: {over['estimate']:+.1%} "
        f"(CI {over['ci_lower']:+.1%} to {over['ci_upper']:+.1%}), {over['conclusion']}.",
    )
    flagged = adjusted.table.loc[
        (adjusted.table["scope"] == "grade") & (adjusted.table["component"] == "base")
        & ~adjusted.table["suppressed"] & (adjusted.table["p_adjusted"] < alpha)
    ]
    if len(flagged):
        findings.append(
            "Grades with a gap in base pay after multiplicity adjustment: "
            + ", ".join(f"{int(g)} ({e:+.1%})" for g, e in zip(flagged["grade"],
                                                              flagged["estimate"], strict=True))
            + "."
        )
    if "flag" in eu.table and eu.table["flag"].any():
        findings.append(
            f"{int(eu.table['flag'].sum())} track-grade cell(s) with a mean gender pay gap of "
            f"{eu_threshold:.0%} or more (EU 2023/970 style, base pay)."
        )

    people = None
    if person_level:
        people = pd.DataFrame(
            {
                "employee_id": pop["employee_id"].to_numpy(),
                "track": pop["track"].to_numpy(),
                "grade": pop["grade"].to_numpy(),
                "pay": pop["base"].to_numpy(),
                "predicted_pay": plans.predicted,
                "raise_min_cost": plans.raise_min_cost,
                "raise_to_predicted": plans.raise_to_predicted,
            }
        )
        people = people.loc[(people["raise_min_cost"] > 0) | (people["raise_to_predicted"] > 0)]
        people = people.reset_index(drop=True)

    return ParityResult(
        by_grade=by_grade,
        distribution=distribution,
        adjusted=adjusted,
        sensitivity=sens,
        decomposition=decomposition,
        eu_gaps=eu,
        remediation=remediation,
        ceilings=ceilings,
        findings=tuple(findings),
        people=people,
    )
