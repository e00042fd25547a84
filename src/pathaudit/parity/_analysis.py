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

The parts are computed in ``parity_population`` (who is compared), ``parity_describe``
(raw comparisons), ``parity_adjusted`` with ``parity_model`` and ``parity_gap`` (the
adjusted gap), ``parity_decompose``, ``parity_eu``, ``parity_remedy`` and ``parity_bands``;
the charts are in ``parity_plots`` and the bundle in ``parity_result``. The constants,
:class:`ParityResult` and :func:`ratio_of_means_ci` stay importable from here.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.errors import PathauditError, StatisticalWarning
from pathaudit.parity._adjusted import (
    DEFAULT_CATEGORICAL,
    DEFAULT_NUMERIC,
    SUPPRESSED_CONCLUSION,
    adjusted_gaps,
    model_controls,
    sensitivity,
)
from pathaudit.parity._bands import band_position, ladder_ceilings
from pathaudit.parity._decompose import EXPLAINED_BY_GRADE_CAVEAT, Reference, oaxaca_blinder
from pathaudit.parity._describe import by_grade_ratios, pay_distribution, ratio_of_means_ci
from pathaudit.parity._eu import MEN, WOMEN, eu_gaps
from pathaudit.parity._plots import plot_distribution, plot_gaps, plot_ratio
from pathaudit.parity._population import (
    COMPONENTS,
    LOG_MODEL_COMPONENTS,
    MIXED_CURRENCIES,
    NO_POPULATION,
    ONE_TRACK,
    parity_population,
)
from pathaudit.parity._remedy import remediation_plans
from pathaudit.parity._result import ParityResult
from pathaudit.result import make_result
from pathaudit.stats import BOOTSTRAP_B, BOOTSTRAP_SEED
from pathaudit.stats.regression import (
    NO_CLUSTERS,
    VcovType,
    build_design,
    cluster_codes,
    control_block,
)

__all__ = [
    "COMPONENTS",
    "DEFAULT_CATEGORICAL",
    "DEFAULT_NUMERIC",
    "DEFINITIONS",
    "LABEL_COLUMNS",
    "LOG_MODEL_COMPONENTS",
    "MEN",
    "MIXED_CURRENCIES",
    "NO_POPULATION",
    "ONE_TRACK",
    "SUPPRESSED_CONCLUSION",
    "WOMEN",
    "ParityResult",
    "pay_parity",
    "ratio_of_means_ci",
]

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


LABEL_COLUMNS = ("grade", "shift")
"""Numeric columns that label a row (kept when a row is suppressed)."""


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
    pop, excluded, cur_label, when = parity_population(data, as_of, currency)
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
    bandpos = band_position(data, pop, when)
    pop = pop.join(bandpos)
    cat, num = model_controls(pop, controls)
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

    dist = pay_distribution(pop, components, k)
    by_grade_tab = by_grade_ratios(
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
        plotter=plot_ratio,
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
        plotter=plot_distribution,
        **common,
    )

    block = control_block(pop, cat, num)
    adj_tab, fits = adjusted_gaps(
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
        plotter=plot_gaps,
        controls=["grade"] + cat + num,
        margin=margin,
        **common,
    )

    sens_tab = sensitivity(
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
    eu_tab, eu_other = eu_gaps(
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

    ceil_tab, band_mids, findings = ladder_ceilings(data, pop, when, data.config.get("fx") or {})
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
