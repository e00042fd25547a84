"""Pay-band parity across tracks: is an IC paid like a manager at the same grade.

:func:`pay_parity` answers DOMAIN.md analysis 1 on the people employed on one
date, from current pay only (so it runs on snapshot exports too). It returns a
:class:`ParityResult` (an :class:`~pathaudit.result.AnalysisResult`): one
:class:`~pathaudit.result.Result` per part, the notes, and the headline figures
(``res.headline()``). The parts, in report order (``parts=`` picks some):

``by_grade``
    Per grade present in both tracks: headcount, median and mean pay by track,
    IC / M ratio of medians with a percentile-bootstrap CI, compa-ratio and range
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
``remediation``
    Headcount and cost of two plans that close the adjusted gap.
``ceilings``
    The top of each ladder (designed and realised), pay at the top, and the
    IC band mid / M band mid per grade (``tables["band_mids"]``).

The parts are computed in ``_population`` (who is compared), ``_describe`` (raw
comparisons), ``_adjusted`` with :mod:`pathaudit.stats.regression` and ``_gap`` (the
adjusted gap), ``_decompose``, ``_remedy`` and ``_bands``; the charts are in
``_plots`` and the bundle and its headline in ``_result``. :data:`SPECS` declares
the parts (a :class:`~pathaudit.parts.PartSpec` each), so :func:`pay_parity` reads:
check the arguments, find the people compared, compute the parts asked for (each
shared input once), assemble. The gender pay gaps the pay-transparency laws ask for
are in :mod:`pathaudit.paygap`. The constants, :class:`ParityResult` and
:func:`ratio_of_means_ci` stay importable from here.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from pathaudit.checks import (
    check_alpha,
    check_choice,
    check_choices,
    check_columns,
    check_data,
    check_k,
    check_number,
    check_parts,
)
from pathaudit.data import AuditData
from pathaudit.derived.population import PEOPLE_COLUMNS
from pathaudit.errors import ArgumentError, StatisticalWarning
from pathaudit.headline import information_shortfall, one_track_reason
from pathaudit.parity._adjusted import (
    DEFAULT_CATEGORICAL,
    DEFAULT_NUMERIC,
    adjusted_gaps,
    base_pay_fit,
    model_controls,
    sensitivity,
)
from pathaudit.parity._bands import band_position, ladder_ceilings
from pathaudit.parity._decompose import EXPLAINED_BY_GRADE_CAVEAT, Reference, oaxaca_blinder
from pathaudit.parity._describe import by_grade_ratios, pay_distribution, ratio_of_means_ci
from pathaudit.parity._plots import (
    plot_decomposition,
    plot_distribution,
    plot_gaps,
    plot_ratio,
    plot_sensitivity,
)
from pathaudit.parity._population import (
    COMPONENTS,
    LOG_MODEL_COMPONENTS,
    MIXED_CURRENCIES,
    NO_POPULATION,
    one_track,
    parity_population,
)
from pathaudit.parity._remedy import RemediationPlans, remediation_plans
from pathaudit.parity._result import PARTS, ParityResult, model_information
from pathaudit.parts import NotComputed, PartSpec, compute_parts
from pathaudit.result import Note, Quantile, Result, Table
from pathaudit.stats import BOOTSTRAP_B, BOOTSTRAP_SEED
from pathaudit.stats.regression import (
    FEW_CLUSTERS,
    NO_CLUSTERS,
    Fit,
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
    "LOG_MODEL_COMPONENTS",
    "MIXED_CURRENCIES",
    "NO_POPULATION",
    "PARTS",
    "VCOV_TYPES",
    "ParityResult",
    "pay_parity",
    "ratio_of_means_ci",
]

DEFINITIONS: dict[str, str] = {
    "by_grade": (
        "Per grade with both tracks: IC / M ratio of median FTE {component} (estimate), "
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
    "remediation": (
        "Annual base-pay cost of closing the adjusted track gap: min_cost = cheapest "
        "raises to the disadvantaged track after which the re-estimated gap is zero "
        "(nobody above predicted pay); to_predicted = everyone on that track below "
        "their predicted pay (smearing-corrected) raised to it."
    ),
    "ceilings": (
        "Top grade of each ladder as designed overall (ladder rows in force on as-of, "
        "organisation-wide rows plus each unit's own: the tops of the unit with the widest "
        "gap M - IC among units with people employed) and as realised (the highest grade "
        "held by at least k people on the track on as-of, so that no top describes one "
        "person); median FTE base pay at the realised top. band_mids: IC band mid / M band "
        "mid per grade."
    ),
}


TRACK_COUNTS: tuple[str, ...] = ("n", "n_ic", "n_m")

BY_GRADE_QUANTILES: dict[str, Quantile] = {
    "median_ic": Quantile(0.5, "n_ic"),
    "median_m": Quantile(0.5, "n_m"),
    # a ratio of medians (and its bootstrap interval) reveals both medians
    "estimate": Quantile(0.5, ("n_ic", "n_m"), also=("ci_lower", "ci_upper"),
                         where=("measure", "ratio of medians")),
}
"""The quantiles of the by-grade table (the rule of :class:`~pathaudit.result.Quantile`)."""

DISTRIBUTION_QUANTILES: dict[str, Quantile] = {
    "median": Quantile(0.5), "estimate": Quantile(0.5),
    "p10": Quantile(0.1), "p25": Quantile(0.25), "p75": Quantile(0.75), "p90": Quantile(0.9),
    "compa_ratio_median": Quantile(0.5, "n_banded"),
}
"""The quantiles of the distribution table."""
"""The people counts an IC vs M comparison rests on: it is shown only when both tracks
have at least k people."""

VCOV_TYPES: tuple[str, ...] = ("auto", "CRV1", "CRV3", "HC1")
"""Values ``vcov=`` takes."""

P_ADJUST: tuple[str, ...] = ("holm", "fdr_bh")
"""Values ``p_adjust=`` takes."""

REFERENCES: tuple[str, ...] = ("neumark", "pooled")
"""Values ``reference=`` takes."""

DEFAULT_CLUSTER = "org_unit"
"""Default cluster column; an export without it falls back to HC1 errors with a warning."""

POWER_RANGE = "power must be a number above 0 and below 1 (0.8 is usual); got {value!r}."
"""Error text for a power outside (0, 1)."""

COMPONENT_MISSING = (
    "components names pay the export does not have: {missing}. Components available: "
    "{available}. Pass components= with those, or map the pay column (variable_pay, equity) "
    "in the column map."
)
"""Error text for a pay component the export does not have."""

CURRENCY_NOT_FOUND = (
    "currency must be one of the currencies in the export: {found}; got {value!r}. Pass one "
    "of them, or leave currency out when an [fx] table converts pay."
)
"""Error text for a currency nobody in the export is paid in."""


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
    reference: Reference = "neumark",
    currency: str | None = None,
    person_level: bool = False,
    parts: Sequence[str] | None = None,
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
        Resamples for the ratio-of-medians and median-gap intervals, a whole number
        of at least 0 (0 skips them).
    seed
        Bootstrap seed, a whole number of at least 0.
    controls
        Control columns besides grade, among the columns of the people's current
        state (history and person columns, ``tenure_years``, ``years_in_job``);
        default: job_family, location, gender, ethnicity, age_band, tenure_years,
        each when present with two or more values.
    cluster
        Cluster column for robust errors (default ``org_unit``; an export without an
        org unit falls back to HC1 errors with a :class:`StatisticalWarning`, any other
        name must be a column).
    vcov
        ``"auto"`` (CRV3 with t(G-1) under 30 clusters, else CRV1), ``"CRV3"``,
        ``"CRV1"`` or ``"HC1"``.
    components
        Pay components to analyse, among ``base``, ``variable``, ``equity``,
        ``total`` that the export has (default: all of those).
    margin
        Equivalence margin, above 0 and at most 1 (0.05 = +/-5%): the equivalence
        test of every adjusted gap and the band the headline gaps are judged against.
    power
        Power for the minimum detectable gap, above 0 and below 1.
    p_adjust
        Multiplicity adjustment across grades and cells: ``"holm"`` or ``"fdr_bh"``.
    reference
        Decomposition reference: ``"neumark"`` (pooled model without a track
        indicator, default) or ``"pooled"`` (with one, Jann 2008).
    currency
        Restrict to people paid in this currency (needed when currencies are mixed
        and the map has no fx table).
    person_level
        Also return the person-level remediation list (``ParityResult.people``);
        True or False.
    parts
        Parts to compute (default: all of :data:`PARTS`); the others are skipped, not
        computed and discarded, and have a note of kind ``"not computed"``.

    Returns
    -------
    ParityResult
        An :class:`~pathaudit.result.AnalysisResult`: one Result per part, ``notes``
        and ``headline()`` (keys ``adjusted_gap_base`` (primary),
        ``adjusted_gap_variable``, ``adjusted_gap_equity``, ``adjusted_gap_total``,
        ``unexplained_log_gap``,
        ``remediation_cost_min_cost``, ``remediation_cost_to_predicted``; see
        ``docs/parity.md``). Columns of each main table:

        ``by_grade``: ``component, grade, estimate`` (IC / M ratio of medians),
        ``ci_lower, ci_upper`` (percentile bootstrap within track), ``n, n_ic, n_m,
        median_ic, median_m, mean_ic, mean_m, ratio_of_means, compa_ratio_ic,
        compa_ratio_m, range_penetration_ic, range_penetration_m, suppressed``.

        ``distribution``: ``component, grade, track, n, mean, median`` (=
        ``estimate``), ``p10, p25, p75, p90, n_banded, compa_ratio_mean,
        compa_ratio_median, range_penetration_mean, ci_lower, ci_upper`` (missing),
        ``suppressed``.

        ``adjusted``: ``component, scope`` (overall / grade), ``grade, estimate``
        (exp(b) - 1), ``ci_lower, ci_upper, n, n_ic, n_m, coef, se, df, p_value,
        p_adjusted`` (Holm/BH across grades; the raw p for overall), ``mde`` (minimum
        detectable gap at ``power``), ``p_equivalence`` (TOST against ``margin``),
        ``conclusion, model, vcov, clusters, suppressed``.

        ``sensitivity``: ``shift, comparison, estimate, ci_lower, ci_upper, coef, se,
        df, p_value, mde, p_equivalence, n, n_ic, n_m, grades_compared``.

        ``decomposition``: ``part, estimate`` (log points), ``se, ci_lower, ci_upper,
        p_value, share, df, n``.

        ``remediation``: ``plan, track_raised, estimate`` (total annual cost), ``n``
        (people raised), ``cost_share, mean_raise_pct, gap_before, gap_after,
        caps_binding``.

        ``ceilings``: ``track, top_grade_designed_overall, top_grade_realised, estimate``
        (median pay at the realised top), ``mean_pay, n``; ``tables["band_mids"]``:
        ``grade, ic_band_mid, m_band_mid, estimate`` (IC mid / M mid), ``band_keys``.

    Raises
    ------
    ArgumentError
        An invalid argument (what must hold, what was found, the fix): data that is
        not loaded, alpha, k, bootstrap, seed, a control or cluster that is not a
        column, vcov, components, margin, power, p_adjust, reference,
        a currency nobody is paid in, person_level, parts.
    PathauditError
        Mixed currencies without an fx table, or nobody in scope.

    Notes
    -----
    With one track only among the people compared, the parts that compare the tracks
    (``by_grade``, ``adjusted``, ``sensitivity``, ``decomposition``, ``remediation``) are
    not computed and their headline figures are not estimable, with the reason "only one
    track (IC) in the data"; the distribution and the ladder tops are computed.

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

    Examples
    --------
    >>> import pathaudit
    >>> data = pathaudit.load("data/sample", "data/sample/map.toml")  # doctest: +SKIP
    >>> res = pathaudit.pay_parity(data)  # doctest: +SKIP
    >>> res.headline()[["key", "estimate", "ci_lower", "ci_upper", "status"]]  # doctest: +SKIP
    >>> res.plot("adjusted", component="base")  # doctest: +SKIP
    >>> pathaudit.pay_parity(data, parts=["adjusted"]).results().keys()  # doctest: +SKIP
    dict_keys(['adjusted'])
    """
    data = check_data(data, "pay_parity")
    checked = _check_arguments(
        data, alpha=alpha, k=k, bootstrap=bootstrap, seed=seed, controls=controls,
        cluster=cluster, vcov=vcov, components=components, margin=margin, power=power,
        p_adjust=p_adjust, reference=reference, currency=currency,
        person_level=person_level, parts=parts,
    )
    run = _prepare(data, as_of, currency, checked)
    out, part_notes = compute_parts(SPECS, run.want, run)
    return _bundle(run, out, part_notes)


def _check_arguments(data: AuditData, **args: Any) -> dict[str, Any]:
    """The arguments of :func:`pay_parity`, checked (in the order its docstring lists them)."""
    alpha = check_alpha(args["alpha"])
    k = check_k(args["k"], data)
    bootstrap = int(check_number(args["bootstrap"], "bootstrap", low=0, integer=True))
    seed = int(check_number(args["seed"], "seed", low=0, integer=True))
    controls, cluster, components = args["controls"], args["cluster"], args["components"]
    available = state_columns(data)
    where = "the people's current state (history and person columns, tenure_years, years_in_job)"
    if controls is not None:
        controls = list(check_columns(controls, "controls", available, where=where))
    if not isinstance(cluster, str):
        raise ArgumentError(
            f"cluster must name one column of {where}; got {cluster!r}. Pass e.g. "
            f"cluster={DEFAULT_CLUSTER!r}."
        )
    if cluster != DEFAULT_CLUSTER:
        check_columns(cluster, "cluster", available, where=where)
    vcov = check_choice(args["vcov"], "vcov", VCOV_TYPES)
    asked = check_choices(components, "components", list(COMPONENTS))
    if asked is not None and not asked:
        raise ArgumentError(
            f"components must name at least one pay component of {list(COMPONENTS)}; got "
            f"{components!r}. Leave it out to analyse every component the export has."
        )
    margin = float(check_number(args["margin"], "margin", low=0, high=1, low_open=True))
    power = args["power"]
    try:
        if check_number(power, "power", low=0, high=1, low_open=True) >= 1:
            raise ArgumentError(POWER_RANGE.format(value=power))
    except ArgumentError as err:
        raise ArgumentError(POWER_RANGE.format(value=power)) from err
    p_adjust = check_choice(args["p_adjust"], "p_adjust", P_ADJUST)
    reference = check_choice(args["reference"], "reference", REFERENCES)
    if args["currency"] is not None:
        _check_currency(data, args["currency"])
    person_level = bool(check_choice(args["person_level"], "person_level", [False, True]))
    want = frozenset(check_parts(args["parts"], PARTS))
    return dict(
        alpha=alpha, k=k, bootstrap=bootstrap, seed=seed, controls=controls, cluster=cluster,
        vcov=vcov, asked=asked, margin=margin, power=float(power), p_adjust=p_adjust,
        reference=reference, person_level=person_level, want=want,
    )


def _prepare(data: AuditData, as_of: object | None, currency: str | None,
             checked: dict[str, Any]) -> _Parity:
    """The run: the people compared, the components, the clusters and the texts."""
    want, asked, cluster = checked["want"], checked["asked"], checked["cluster"]
    pop, excluded, cur_label, when = parity_population(data, as_of, currency)
    single = one_track(pop)
    comps_present = [c for c in COMPONENTS if c in pop]
    if asked is None:
        components = comps_present
    else:
        missing = [c for c in asked if c not in comps_present]
        if missing:
            raise ArgumentError(COMPONENT_MISSING.format(missing=missing,
                                                         available=comps_present))
        components = list(dict.fromkeys(asked))
    cat, num = model_controls(pop, checked["controls"])
    clusters = cluster_codes(pop[cluster]) if cluster in pop else None
    n_clusters = 0 if clusters is None else int(clusters.max()) + 1
    vcov = checked["vcov"]
    notes: list[Note] = []
    if n_clusters < 2:
        clusters, vcov = None, "HC1"
        if want & MODEL_PARTS:
            text = NO_CLUSTERS.format(col=cluster, g=n_clusters)
            warnings.warn(text, StatisticalWarning, stacklevel=3)
            notes.append(Note("caveat", text, "adjusted" if "adjusted" in want else ""))
    return _Parity(
        data=data, pop=pop, excluded=excluded, cur_label=cur_label, when=when,
        components=components, comps_present=comps_present, cat=cat, num=num,
        clusters=clusters, n_clusters=n_clusters, notes=tuple(notes), one_track=single,
        **{**checked, "vcov": vcov},
    )


MODEL_PARTS = frozenset({"adjusted", "sensitivity", "decomposition", "remediation"})
"""The parts that fit a pay model (and so need clusters and the control block)."""


@dataclass(frozen=True)
class _Parity:
    """One call of :func:`pay_parity`.

    Its checked arguments, the people compared, and the inputs several parts share
    (each computed once, when the first part that needs it runs).
    """

    data: AuditData
    pop: pd.DataFrame
    excluded: dict[str, int]
    cur_label: str | None
    when: pd.Timestamp
    components: list[str]
    comps_present: list[str]
    cat: list[str]
    num: list[str]
    clusters: np.ndarray | None
    n_clusters: int
    notes: tuple[Note, ...]
    want: frozenset[str]
    asked: Any
    alpha: float
    k: int
    bootstrap: int
    seed: int
    controls: list[str] | None
    cluster: str
    vcov: VcovType
    margin: float
    power: float
    p_adjust: str
    reference: str
    person_level: bool
    one_track: str | None = None

    @cached_property
    def common(self) -> dict[str, Any]:
        """The ``make_result`` arguments every part shares."""
        population = (
            f"people employed on {self.when.date()} (hire date <= as-of <= termination date), "
            f"last job record dated on or before as-of, fte > 0, positive FTE base pay"
            + (f", pay in {self.cur_label}" if self.cur_label else "")
        )
        common: dict[str, Any] = dict(
            data=self.data, alpha=self.alpha, k=self.k, population=population,
            n_in=len(self.pop), excluded=self.excluded, as_of=str(self.when.date()),
        )
        if self.cur_label:
            common["currency"] = self.cur_label
        return common

    @cached_property
    def texts(self) -> dict[str, Any]:
        """The values the definition and method templates name."""
        return dict(
            k=self.k, bootstrap=self.bootstrap, seed=self.seed, p_adjust=self.p_adjust,
            power=self.power, margin=self.margin,
            cluster=self.cluster, component="pay (per component)",
            model="log pay (base, total) or pay (variable, equity; Poisson PML)",
            controls=", ".join(["grade"] + self.cat + self.num),
            vcov=_vcov_text(self.vcov, self.clusters, self.n_clusters, self.cluster),
            reference=REFERENCE_TEXTS[self.reference],
        )

    @cached_property
    def banded(self) -> pd.DataFrame:
        """The people compared with their position in their pay band."""
        return self.pop.join(band_position(self.data, self.pop, self.when))

    @cached_property
    def dist(self) -> pd.DataFrame:
        """Pay distribution per component, grade and track (the ``distribution`` table)."""
        return pay_distribution(self.banded, self.components, self.k)

    @cached_property
    def fit_args(self) -> dict[str, Any]:
        """The arguments of every pay model: controls, clusters, standard errors."""
        block = control_block(self.pop, self.cat, self.num)
        return dict(controls=block, clusters=self.clusters, vcov=self.vcov,
                    cluster_name=self.cluster)

    @cached_property
    def adjusted_fits(self) -> tuple[pd.DataFrame, dict[str, Fit]]:
        """The adjusted gaps and the overall fit of each component (none with one track)."""
        if self.one_track is not None:
            return pd.DataFrame(), {}
        return adjusted_gaps(
            self.pop, self.components, alpha=self.alpha, power=self.power, margin=self.margin,
            p_adjust=self.p_adjust, **self.fit_args,
        )

    @cached_property
    def base_fit(self) -> Fit | None:
        """The base-pay model.

        The adjusted part's when it was fitted; else fitted alone when the remediation
        plans need it.
        """
        fit = self.adjusted_fits[1].get("base") if "adjusted" in self.want else None
        if fit is None and "remediation" in self.want:
            track: Literal["overall", "none"] = (
                "none" if self.one_track is not None else "overall")
            fit = base_pay_fit(self.pop, track=track, **self.fit_args)
        return fit

    @cached_property
    def plans(self) -> RemediationPlans | None:
        """The two remediation plans (None without a base-pay model or with one track)."""
        if self.base_fit is None or self.one_track is not None:
            return None
        return remediation_plans(
            self.base_fit, self.pop["base"].to_numpy(dtype="float64"),
            self.pop["is_ic"].to_numpy() == 1,
        )

    @cached_property
    def ceilings(self) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
        """The tops of the ladders, the band mids and the findings they give."""
        return ladder_ceilings(self.data, self.pop, self.when, self.data.config.get("fx") or {})


REFERENCE_TEXTS = {
    "neumark": "without a track indicator (Neumark 1988)",
    "pooled": "with a track indicator (Jann 2008)",
}
"""How the decomposition's method names its reference coefficients."""


# --------------------------------------------------------------------------- the parts


def _by_grade(run: _Parity, spec: PartSpec[_Parity]) -> Result:
    table = by_grade_ratios(run.banded, run.dist, run.components, bootstrap=run.bootstrap,
                            alpha=run.alpha, seed=run.seed)
    return spec.result(run, table, n_col=TRACK_COUNTS, complementary_by=["component"],
                       quantiles=BY_GRADE_QUANTILES, bootstrap=run.bootstrap, seed=run.seed)


def _distribution(run: _Parity, spec: PartSpec[_Parity]) -> Result:
    table = run.dist.assign(estimate=run.dist["median"], ci_lower=np.nan, ci_upper=np.nan)
    return spec.result(run, table, complementary_by=["component", "track"],
                       quantiles=DISTRIBUTION_QUANTILES)


def _adjusted(run: _Parity, spec: PartSpec[_Parity]) -> Result:
    return spec.result(run, run.adjusted_fits[0], n_col=TRACK_COUNTS,
                       controls=["grade"] + run.cat + run.num,
                       margin=run.margin, power=run.power, p_adjust=run.p_adjust)


def _sensitivity(run: _Parity, spec: PartSpec[_Parity]) -> Result:
    table = sensitivity(run.pop, alpha=run.alpha, power=run.power, margin=run.margin,
                        **run.fit_args)
    return spec.result(run, table, n_col=TRACK_COUNTS)


def _decomposition(run: _Parity, spec: PartSpec[_Parity]) -> Result:
    frame = run.pop.assign(grade_model=run.pop["grade"])
    dec_design = build_design(
        frame, track="none" if run.reference == "neumark" else "overall",
        grade_col="grade_model", controls=run.fit_args["controls"],
    )
    dec = oaxaca_blinder(
        np.log(frame["base"].to_numpy(dtype="float64")),
        frame["is_ic"].to_numpy() == 1,
        dec_design,
        run.clusters,
        alpha=run.alpha,
        track_columns=dec_design.groups.get("track"),
    ).assign(n=len(frame))
    # the raw gap compares the tracks' mean log pay: each track needs k people
    n_ic = int((frame["is_ic"] == 1).sum())
    dec = dec.assign(n_ic=n_ic, n_m=len(frame) - n_ic)
    return spec.result(run, dec, n_col=TRACK_COUNTS, caveat=EXPLAINED_BY_GRADE_CAVEAT)


def _remediation(run: _Parity, spec: PartSpec[_Parity]) -> Result | None:
    if run.plans is None:
        return None
    table = run.plans.table.rename(columns={"total_cost": "estimate"}).assign(
        ci_lower=np.nan, ci_upper=np.nan
    )
    columns = ["plan", "track_raised", "estimate", "ci_lower", "ci_upper", "n", "cost_share",
               "mean_raise_pct", "gap_before", "gap_after", "caps_binding"]
    return spec.result(run, table[columns], currency_of_costs=run.cur_label)


def _ceilings(run: _Parity, spec: PartSpec[_Parity]) -> Result:
    table, band_mids, _ = run.ceilings
    # the band mids are the designed ladder, not figures about people
    # the estimate is the median pay of the people at the top of a track
    return spec.result(run, table, quantiles={"estimate": Quantile(0.5)},
                       tables={"band_mids": Table(band_mids, ["grade"], n_col=None)})


def _compares_tracks(
    compute: Callable[[_Parity, PartSpec[_Parity]], Result | NotComputed | None],
) -> Callable[[_Parity, PartSpec[_Parity]], Result | NotComputed | None]:
    """A part that compares the tracks: not computed when the people compared hold one."""

    def part(run: _Parity, spec: PartSpec[_Parity]) -> Result | NotComputed | None:
        if run.one_track is not None:
            return NotComputed(one_track_reason(run.one_track))
        return compute(run, spec)

    return part


SPECS: tuple[PartSpec[_Parity], ...] = (
    PartSpec(
        "by_grade", "pay parity: IC vs M pay by grade", DEFINITIONS["by_grade"],
        "ratio of medians with percentile bootstrap within track (B = {bootstrap}, seed "
        "{seed}); for variable pay and equity (often zero) the ratio of means with a "
        "delta-method CI; a grade shows no pay figure unless both tracks have k = {k} people",
        _compares_tracks(_by_grade), needs=("banded", "dist"),
        groups=("component", "grade", "measure"),
        plotter=plot_ratio,
    ),
    PartSpec(
        "distribution", "pay parity: pay distribution by grade and track",
        DEFINITIONS["distribution"],
        "empirical quantiles (linear interpolation); compa-ratio and range penetration only "
        "where at least k = {k} people have a band",
        _distribution, needs=("dist",), groups=("component", "grade", "track"),
        plotter=plot_distribution,
    ),
    PartSpec(
        "adjusted", "pay parity: adjusted track gap", DEFINITIONS["adjusted"],
        "{vcov}; per-grade p-values adjusted by {p_adjust}; minimum detectable gap at "
        "{power:.0%} power; equivalence (TOST) against +/-{margin:.0%}",
        _compares_tracks(_adjusted), needs=("adjusted_fits",),
        groups=("component", "scope", "grade", "model", "vcov"), plotter=plot_gaps,
    ),
    PartSpec(
        "sensitivity", "pay parity: sensitivity to the IC <-> M grade equivalence",
        DEFINITIONS["sensitivity"], "as the adjusted gap ({vcov})",
        _compares_tracks(_sensitivity), needs=("fit_args",), groups=("shift", "comparison"),
        plotter=plot_sensitivity,
    ),
    PartSpec(
        "decomposition", "pay parity: Oaxaca-Blinder decomposition of the IC − M log-pay gap",
        DEFINITIONS["decomposition"],
        "twofold, pooled reference coefficients {reference}; delta-method SEs on influence "
        "functions clustered by {cluster}, t(G-1)",
        _compares_tracks(_decomposition), needs=("fit_args",), groups=("part",),
        plotter=plot_decomposition,
        caveats=(EXPLAINED_BY_GRADE_CAVEAT,),
    ),
    PartSpec(
        "remediation", "pay parity: cost of closing the adjusted gap", DEFINITIONS["remediation"],
        "OLS is linear in log pay: raises delta change the gap by c'delta; min_cost solves the "
        "convex programme exactly (KKT, bisection); predicted pay back-transformed with Duan's "
        "smearing factor",
        _compares_tracks(_remediation), needs=("base_fit", "plans"),
        groups=("plan", "track_raised"),
    ),
    PartSpec(
        "ceilings", "pay parity: top of each ladder and band structure", DEFINITIONS["ceilings"],
        "designed overall = derived.ladder.designed_overall_on (widest gap); realised = "
        "derived.ladder.realised_tops (highest grade held by at least k people)",
        _ceilings, needs=("ceilings",),
        groups=("track", "top_grade_designed_overall", "top_grade_realised"),
    ),
)
"""The parts of pay parity, in report order (:data:`PARTS`): what each is and how it is made."""


def _bundle(run: _Parity, out: dict[str, Result], part_notes: list[Note]) -> ParityResult:
    """The result: the parts, the findings, the notes, the people list and the settings."""
    notes = list(run.notes) + part_notes
    ceiling_findings = run.ceilings[2] if "ceilings" in run.want else []
    if run.one_track is not None and ceiling_findings:
        # an IC ceiling below the M ceiling compares the tracks: with one track among the
        # people there is no finding to make (the designed tops stay in the table)
        ceiling_findings = []
        notes.append(Note("caveat", "The IC and M ceilings are not compared: "
                          f"{one_track_reason(run.one_track)}; the table keeps the top of "
                          "each ladder as designed.", "ceilings"))
    settings = {
        "alpha": run.alpha, "k": run.k, "margin": run.margin,
        "components": None if run.asked is None else tuple(run.components),
        "components_available": tuple(run.comps_present), "currency": run.cur_label,
        "one_track": run.one_track,
        "people_per_track": {t: int((run.pop["track"] == t).sum()) for t in ("IC", "M")},
        "clusters": run.n_clusters if run.clusters is not None else None,
    }
    findings = _findings(out, ceiling_findings, alpha=run.alpha,
                         settings=settings)
    computed_or_noted = {n.part for n in notes if n.kind == "not computed"}
    skipped = [
        Note("not computed", f"not asked for (parts={sorted(run.want, key=PARTS.index)})", p)
        for p in PARTS
        if p not in out and p not in computed_or_noted
    ]
    people = None
    if run.person_level and run.base_fit is not None and run.plans is not None:
        people = _people(run.pop, run.plans)
    return ParityResult(
        **out,
        notes=tuple(findings + notes + skipped),
        people=people,
        settings=settings,
    )


def _people(pop: pd.DataFrame, plans: RemediationPlans) -> pd.DataFrame:
    """The person-level remediation list: everyone a plan raises."""
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
    return people.reset_index(drop=True)



def state_columns(data: AuditData) -> list[str]:
    """Columns of the people's current state that ``controls=`` and ``cluster=`` can name.

    The history columns, the person columns carried into the current state,
    ``tenure_years`` and ``years_in_job``; not ``employee_id`` or the file row.

    Examples
    --------
    >>> "org_unit" in state_columns(data)  # doctest: +SKIP
    True
    """
    cols = set(data.history.columns) | {c for c in PEOPLE_COLUMNS if c in data.people.columns}
    return sorted((cols | {"tenure_years", "years_in_job"}) - {"employee_id", "row"})


def _check_currency(data: AuditData, currency: Any) -> None:
    hist = data.history
    if "currency" not in hist or hist["currency"].notna().sum() == 0:
        raise ArgumentError(
            f"currency={currency!r} was given, but the export has no currency column: every "
            "pay is in one currency. Leave currency out."
        )
    found = sorted(hist["currency"].dropna().astype(str).unique())
    if currency not in found:
        raise ArgumentError(CURRENCY_NOT_FOUND.format(found=found, value=currency))


def _vcov_text(vcov: str, clusters: np.ndarray | None, n_clusters: int, cluster: str) -> str:
    """The standard errors the base-pay model uses, in words (as the fit resolves ``vcov``)."""
    if clusters is None or vcov == "HC1":
        return "HC1 heteroskedasticity-robust (no clusters)"
    kind = vcov if vcov != "auto" else "CRV3" if n_clusters < FEW_CLUSTERS else "CRV1"
    if kind == "CRV3":
        return f"CRV3 (leave-one-{cluster}-out jackknife), t({n_clusters - 1})"
    return f"CRV1 clustered by {cluster}, t({n_clusters - 1})"


def _findings(
    out: dict[str, Result],
    ceiling_findings: list[str],
    *,
    alpha: float,
    settings: dict[str, Any],
) -> list[Note]:
    """The plain-language findings, as notes of kind ``"finding"``.

    An adjusted gap resting on less information than ``headline.MINIMUMS`` asks gives no
    finding (the headline says it is not estimable, and why).
    """
    notes: list[Note] = []
    adjusted = out.get("adjusted")
    t = adjusted.table if adjusted is not None else None
    if t is not None:
        over_rows = t.loc[(t["component"] == "base") & (t["scope"] == "overall")]
        if len(over_rows) and information_shortfall(model_information(
                settings, float(over_rows["df_resid"].iloc[0]))):
            t = None
    if t is not None and ((t["component"] == "base") & (t["scope"] == "overall")
                          & ~t["suppressed"]).any():
        over = t.loc[(t["component"] == "base") & (t["scope"] == "overall")].iloc[0]
        notes.append(Note(
            "finding",
            f"Adjusted IC vs M gap in FTE base pay: {over['estimate']:+.1%} "
            f"({1 - alpha:.0%} CI {over['ci_lower']:+.1%} to {over['ci_upper']:+.1%}), "
            f"{over['conclusion']}.",
            "adjusted",
        ))
    notes += [Note("finding", text, "ceilings") for text in ceiling_findings]
    if t is not None:
        flagged = t.loc[
            (t["scope"] == "grade") & (t["component"] == "base") & ~t["suppressed"]
            & (t["p_adjusted"] < alpha)
        ]
        if len(flagged):
            notes.append(Note(
                "finding",
                "Grades with a gap in base pay after multiplicity adjustment: "
                + ", ".join(f"{int(g)} ({e:+.1%})" for g, e in zip(
                    flagged["grade"], flagged["estimate"], strict=True))
                + ".",
                "adjusted",
            ))
    return notes
