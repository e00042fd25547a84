"""Time to promotion by track: competing risks, hazards, rates, velocity and parity.

DOMAIN.md, analysis 2: do individual contributors (IC) get promoted as fast as
managers (M) from equivalent grades? The unit of analysis is a **spell**: the
continuous time one person spends in one (track, level) within one
employment episode (``data.spells``). The population is every spell below the
top grade of its own track; time runs from the spell's start and ends at

- a **promotion** (the event of interest, cause 1),
- an **exit** from the organisation (competing, cause 2),
- a **switch** of track (competing, cause 3),
- another change of level -- a demotion or a lateral move (competing, cause 4),
- or the as-of date (**censored**).

A spell that began before ``history_start`` enters the analysis late (delayed
entry, left truncation): it is counted at risk only from the time it is first
observed.

The public entry point is :func:`time_to_promotion`, which assembles the parts
into a :class:`PromotionAudit`. The building blocks live in modules named for
what they do:

- :mod:`pathaudit.promotion._population`: the spells at risk and their causes;
- :mod:`pathaudit.promotion._incidence`: probability of promotion (Aalen–Johansen
  beside the naive Kaplan–Meier), medians, differences within grade;
- :mod:`pathaudit.promotion._hazard`: Cox hazard ratios, log-rank tests, rates;
- :mod:`pathaudit.promotion._velocity`: years from hire to first reach a grade;
- :mod:`pathaudit.promotion._parity`: parity by a demographic group, impact ratio;
- :mod:`pathaudit.promotion._snapshot`: what a snapshot-only export can show;
- :mod:`pathaudit.promotion._plots`: the charts of the parts.

The numerics live in :mod:`pathaudit.stats.survival`; every interval comes from
:mod:`pathaudit.stats.intervals`. ``docs/promotion.md`` defines every figure.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypedDict

import numpy as np
import pandas as pd

from pathaudit import stats
from pathaudit.checks import (
    check_alpha,
    check_columns,
    check_data,
    check_group,
    check_k,
    check_number,
    check_parts,
)
from pathaudit.data import AuditData
from pathaudit.errors import ArgumentError, PathauditError, StatisticalWarning
from pathaudit.headline import Threshold, headline_row, one_track_reason
from pathaudit.promotion._hazard import (
    HR_CAVEAT,
    logrank_by_track,
    promotion_hazard_ratios,
    promotion_rates,
)
from pathaudit.promotion._incidence import (
    ESTIMATOR_LABELS,
    HORIZONS,
    cif_difference,
    cumulative_incidence,
)
from pathaudit.promotion._parity import parity_within_track
from pathaudit.promotion._plots import (
    plot_difference,
    plot_hazard_ratios,
    plot_impact_ratios,
    plot_incidence,
)
from pathaudit.promotion._population import promotion_spells, structural_zeros
from pathaudit.promotion._snapshot import SNAPSHOT_STATEMENT, time_since_promotion
from pathaudit.promotion._velocity import velocity
from pathaudit.result import AnalysisResult, Note, Quantile, Result, Table, make_result

__all__ = [
    "DEFAULT_CONTROLS",
    "DEFAULT_GROUP",
    "HR_EQUIVALENCE",
    "MARGIN",
    "PARTS",
    "PromotionAudit",
    "difference_threshold",
    "hazard_ratio_threshold",
    "time_to_promotion",
]

PARTS: tuple[str, ...] = (
    "difference",
    "incidence",
    "hazard",
    "rates",
    "velocity",
    "parity",
    "snapshot",
)
"""Every part of the analysis, in report order (the values ``parts=`` takes)."""

HISTORY_PARTS: tuple[str, ...] = PARTS[:-1]
"""Parts that need effective-dated history (all but ``snapshot``)."""

TRACK_COUNTS: tuple[str, ...] = ("n", "n_ic", "n_m")
"""The counts an IC vs M comparison rests on: both tracks need k people."""

DEFAULT_CONTROLS: tuple[str, ...] = ("tenure_at_start", "job_family", "location", "gender")
"""Covariates of the Cox model when ``controls`` is None (those the spells have)."""

DEFAULT_GROUP = "gender"
"""Demographic column of the parity part when ``group`` is None (where the data has it)."""

MARGIN = 0.05
"""Default equivalence margin of the headline difference: five percentage points."""

HR_EQUIVALENCE: tuple[float, float] = (0.8, 1.25)
"""Band of the promotion hazard ratio judged healthy: the four-fifths rule both ways."""

_STRUCTURAL = frozenset(
    {
        "employee_id", "episode", "spell_id", "track", "level", "grade", "start", "stop",
        "entry", "duration", "end_reason", "next_track", "next_level", "next_grade",
        "end_pay", "next_pay", "hire_date", "start_imputed",
    }
)
"""Spell columns that are not covariates: keys, the clock, the outcome, what comes after."""

_NEEDS_HISTORY = (
    "needs effective-dated job history, and this export is a snapshot (one row per person); "
    "load a history export to compute it"
)

_MARGIN_REASON = (
    "five percentage points: at the three-year promotion probabilities of a typical ladder "
    "(30-50%) a gap of this size is a relative difference of a tenth to a sixth, about the "
    "smallest a promotion budget would be adjusted for; smaller differences are treated as "
    "equivalent"
)


def difference_threshold(margin: float = MARGIN) -> Threshold:
    """The equivalence margin of the headline difference, as a :class:`Threshold`.

    Parameters
    ----------
    margin
        Half-width of the band (a difference in probability): the difference is
        ``clear`` when its whole interval lies within ``(-margin, margin)``.

    Returns
    -------
    Threshold
        Direction ``"outside"``, value ``(-margin, margin)``.

    Examples
    --------
    >>> difference_threshold(0.05).status(-0.01, -0.04, 0.02)
    ('clear', 'the whole interval lies within -0.05 to 0.05')
    """
    why = _MARGIN_REASON if margin == MARGIN else (
        f"{margin:g} as set by margin= (the default {MARGIN:g} is {_MARGIN_REASON})"
    )
    return Threshold(
        "time_to_promotion",
        "difference",
        "IC − M difference in the probability of promotion, within grade",
        "outside",
        (-margin, margin),
        "difference in probability",
        f"Equivalence margin {margin:g} ({margin:.0%} points): {why}.",
    )


def hazard_ratio_threshold() -> Threshold:
    """The band of the promotion hazard ratio IC vs M, as a :class:`Threshold`.

    Returns
    -------
    Threshold
        Direction ``"outside"``, value :data:`HR_EQUIVALENCE` (0.8 to 1.25).

    Examples
    --------
    >>> hazard_ratio_threshold().status(0.7, 0.6, 0.78)[0]
    'flagged'
    """
    lo, hi = HR_EQUIVALENCE
    return Threshold(
        "time_to_promotion",
        "hazard",
        "promotion rate among those still in level, IC vs M (hazard ratio)",
        "outside",
        HR_EQUIVALENCE,
        "hazard ratio",
        f"The four-fifths rule in both directions ({lo:g} to {hi:g} = 1/{lo:g}): ICs "
        "promoted at less than four fifths of the managers' rate, or managers at less than "
        "four fifths of the ICs', among people still in their level. A rate, not a "
        "probability.",
    )


@dataclass(frozen=True, repr=False)
class PromotionAudit(AnalysisResult):
    """Every figure of the time-to-promotion analysis, one :class:`~pathaudit.result.Result` a part.

    Attributes
    ----------
    difference
        IC − M difference in the probability of promotion within the headline
        horizon: within grade (standardised to the pooled grade mix) and pooled
        over grades, with CIs; per-grade differences in ``tables["by_grade"]``.
        Chart: the differences with the equivalence margin.
    incidence
        Probability of promotion within each horizon by track and grade
        (Aalen–Johansen beside the naive Kaplan–Meier); ``tables``: ``median``,
        ``curves``. Chart: the curves by track (``grade=`` for one grade).
    hazard
        Cause-specific Cox hazard ratios (IC vs M pooled and per grade, and the
        controls); ``tables["logrank"]``. Chart: the hazard ratios.
    rates
        Promotions per 100 person-years by track, grade and fiscal year (a table).
    velocity
        Years from hire to first reach each grade, by track: cumulative
        incidence from hire (``table``) and among those who reach it
        (``tables["among_reached"]``) (a table).
    parity
        Demographic parity within track (``group`` column, e.g. gender):
        difference in the probability within the headline horizon vs the
        largest group, hazard ratios (``tables["hazard"]``), probabilities by
        group (``tables["probability"]``), and the four-fifths impact ratio
        (``tables["impact_ratio"]``, ``tables["impact_ratio_by_year"]``). Chart:
        the impact ratios.
    snapshot
        For snapshot-only data, time since the last promotion by track and
        grade (the other parts are then not computed).
    notes
        Caveats (how a hazard ratio reads; what a snapshot cannot show) and the
        parts not computed, each with the reason.
    headline_horizon, margin, alpha
        The horizon (years) of the headline difference, its equivalence margin,
        and 1 - the confidence level, as passed to :func:`time_to_promotion`.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> res = pathaudit.time_to_promotion(data)  # doctest: +SKIP
    >>> res.headline()[["key", "estimate", "status"]]  # doctest: +SKIP
    >>> res.plot("incidence", grade=5)  # doctest: +SKIP
    """

    ANALYSIS: ClassVar[str] = "time_to_promotion"
    TITLE: ClassVar[str] = "Time to promotion by track"
    PARTS: ClassVar[tuple[str, ...]] = PARTS

    difference: Result | None = None
    incidence: Result | None = None
    hazard: Result | None = None
    rates: Result | None = None
    velocity: Result | None = None
    parity: Result | None = None
    snapshot: Result | None = None
    notes: tuple[Note, ...] = field(default_factory=tuple)
    headline_horizon: float = 3.0
    margin: float = MARGIN
    alpha: float = 0.05

    def __repr__(self) -> str:
        return self.summary()

    def _why_missing(self, part: str) -> str:
        return self.not_computed().get(part, "it was not asked for (see parts=)")

    def _headline_rows(self) -> list[dict[str, Any]]:
        h = f"{self.headline_horizon:g}"
        return [
            *self._difference_rows(h),
            self._hazard_row(),
        ]

    def _difference_rows(self, h: str) -> list[dict[str, Any]]:
        q = "promotion"
        keys = (
            ("promotion_probability_difference",
             f"IC − M difference in the probability of promotion within {h} years, within grade"),
            ("promotion_probability_difference_pooled",
             f"IC − M difference in the probability of promotion within {h} years, pooled "
             "over grades (mixes track with the tracks' grade mix)"),
            ("promotion_probability_ic",
             f"Probability of promotion within {h} years, IC (grade mix of the comparison)"),
            ("promotion_probability_m",
             f"Probability of promotion within {h} years, M (grade mix of the comparison)"),
        )
        unit = ("difference in probability", "difference in probability", "probability",
                "probability")
        if self.difference is None:
            why = self._why_missing("difference")
            return [
                headline_row(key, label, q, unit=u, primary=i == 0,
                             threshold=difference_threshold(self.margin) if i == 0 else None,
                             status="not computed", reason=why)
                for i, ((key, label), u) in enumerate(zip(keys, unit, strict=True))
            ]
        table = self.difference.table
        k = self.difference.meta.get("k", "k")
        within = table.loc[table["within_grade"].astype(bool)].iloc[0]
        pooled = table.loc[~table["within_grade"].astype(bool)].iloc[0]
        rows = []
        for i, ((key, label), u) in enumerate(zip(keys, unit, strict=True)):
            r = within if i != 1 else pooled
            status, reason = None, ""
            if bool(r["suppressed"]):
                status, reason = "not estimable", f"suppressed: fewer than {k} people"
            elif not np.isfinite(float(r["estimate"])):
                status, reason = "not estimable", (
                    "no grade has spells of both tracks below their top"
                )
            fig: dict[str, Any]
            if i < 2:
                fig = {"estimate": r["estimate"], "ci_lower": r["ci_lower"],
                       "ci_upper": r["ci_upper"], "n": r["n"]}
            else:
                col, n_col = ("probability_ic", "n_ic") if i == 2 else ("probability_m", "n_m")
                fig = {"estimate": r[col], "n": r[n_col]}
            if status is None and i > 0:
                status = "descriptive"
            rows.append(headline_row(
                key, label, q, unit=u, primary=i == 0,
                threshold=difference_threshold(self.margin) if i == 0 else None,
                status=status, reason=reason, **fig,
            ))
        return rows

    def _hazard_row(self) -> dict[str, Any]:
        key = "promotion_hazard_ratio"
        label = "Promotion rate among those still in level, IC vs M (hazard ratio, within grade)"
        thr = hazard_ratio_threshold()
        common: dict[str, Any] = {"unit": "hazard ratio", "threshold": thr}
        if self.hazard is None:
            return headline_row(key, label, "promotion", status="not computed",
                                reason=self._why_missing("hazard"), **common)
        t = self.hazard.table
        rows = t.loc[t["term"].astype("str") == "IC vs M"] if len(t) else t
        if rows.empty:
            why = self.hazard.meta.get("not_estimable") or "the Cox model could not be fitted"
            return headline_row(key, label, "promotion", status="not estimable", reason=why,
                                **common)
        r = rows.iloc[0]
        if bool(r["suppressed"]):
            k = self.hazard.meta.get("k", "k")
            return headline_row(key, label, "promotion", status="not estimable",
                                reason=f"suppressed: fewer than {k} people", **common)
        information = (
            {"events_per_arm": {"IC": r["events_a"], "M": r["events_b"]}}
            if "events_a" in r.index else None
        )
        return headline_row(key, label, "promotion", estimate=r["estimate"],
                            ci_lower=r["ci_lower"], ci_upper=r["ci_upper"], n=r["n"],
                            information=information, **common)


class _Parts(TypedDict, total=False):
    """The computed parts of a :class:`PromotionAudit`, by field name."""

    difference: Result | None
    incidence: Result | None
    hazard: Result | None
    rates: Result | None
    velocity: Result | None
    parity: Result | None


def _covariates(data: AuditData, *, categorical: bool = False) -> list[str]:
    """Spell columns usable as a control (or, ``categorical``, as a parity group)."""
    sp = data.spells
    cols = [c for c in sp.columns if c not in _STRUCTURAL and bool(sp[c].notna().any())]
    if categorical:
        cols = [c for c in cols if not pd.api.types.is_float_dtype(sp[c])]
    return cols


def _check_horizons(horizons: Any) -> tuple[float, ...]:
    if isinstance(horizons, str) or not isinstance(horizons, Iterable):
        raise ArgumentError(
            f"horizons must be a list of years above 0, e.g. (1, 2, 3, 5); got {horizons!r}."
        )
    hz = tuple(
        float(check_number(h, "each of horizons (years)", low=0, low_open=True))
        for h in horizons
    )
    if not hz:
        raise ArgumentError(
            "horizons must hold at least one number of years above 0, e.g. (1, 2, 3, 5); "
            "got an empty list."
        )
    dup = sorted({h for h in hz if hz.count(h) > 1})
    if dup:
        raise ArgumentError(
            f"horizons must not repeat a value; got {list(horizons)!r} "
            f"({', '.join(f'{h:g}' for h in dup)} repeated). Give each horizon once."
        )
    return hz


def _check_headline_horizon(value: Any, horizons: tuple[float, ...]) -> float:
    h = float(check_number(value, "headline_horizon (years)", low=0, low_open=True))
    if h not in horizons:
        shown = ", ".join(f"{x:g}" for x in horizons)
        raise ArgumentError(
            f"headline_horizon must be one of horizons ({shown}), so that the incidence table "
            f"shows the probabilities the headline difference compares; got {value!r}. Pick "
            f"one of them or add {h:g} to horizons."
        )
    return h


ONE_TRACK_PARTS: tuple[str, ...] = ("difference", "hazard")
"""Parts that compare IC with M: not computed when the data holds one track only."""


def time_to_promotion(
    data: AuditData,
    *,
    horizons: Sequence[float] = HORIZONS,
    headline_horizon: float = 3.0,
    margin: float = MARGIN,
    controls: Sequence[str] | None = None,
    group: str | None = None,
    alpha: float = 0.05,
    seed: int = stats.BOOTSTRAP_SEED,
    k: int | None = None,
    parts: Sequence[str] | None = None,
) -> PromotionAudit:
    r"""Time to promotion by track, with exit and switch as competing events.

    Parameters
    ----------
    data
        Loaded dataset (:func:`pathaudit.load` or a simulation's ``.data``).
    horizons
        Years at which the probability of promotion is reported (each above 0,
        no repeats).
    headline_horizon
        Horizon of the headline difference (default 3 years); one of ``horizons``.
    margin
        Equivalence margin of the headline difference, a difference in
        probability in (0, 1] (default 0.05, five percentage points): the
        difference is ``clear`` when its whole interval lies within
        ``(-margin, margin)``, ``flagged`` when it lies wholly outside.
    controls
        Covariates of the Cox model: spell columns (covariates at the spell's
        start, e.g. ``tenure_at_start``, ``job_family``, ``location``,
        ``gender``). Default: those of :data:`DEFAULT_CONTROLS` the data has.
    group
        Demographic column for parity within track. Default: ``"gender"``
        where the data has it (else ``parity`` is not computed, with a note).
    alpha
        1 - confidence level of every interval, in (0, 0.5).
    seed
        Seed of the bootstrap intervals (velocity and snapshot medians), a
        whole number of at least 0.
    k
        Minimum cell size (default ``data.min_cell_size``).
    parts
        Parts to compute, among :data:`PARTS` (default all); only those are
        computed.

    Returns
    -------
    PromotionAudit
        ``difference``, ``incidence``, ``hazard``, ``rates``, ``velocity``,
        ``parity`` (each a :class:`~pathaudit.result.Result`; see
        :class:`PromotionAudit`), ``notes`` and :meth:`~PromotionAudit.headline`.
        For snapshot-only data only ``snapshot`` is computed and a note says
        why each other part is not.

    Raises
    ------
    ArgumentError
        When an argument is invalid: ``data`` not loaded, ``alpha``, ``k``,
        ``seed``, ``horizons``, ``headline_horizon`` or ``margin`` out of
        range, ``controls`` or ``group`` not columns of the spells, ``parts``
        unknown.

    Notes
    -----
    Population: spells below the top grade of their own track (the top in the
    spell's unit where the ladder is unit-specific). Clock: years since the
    spell's start (time in level); spells that began before ``history_start``
    enter late. Event: promotion (grade up within the track); competing:
    exit, track switch, demotion or lateral move; open spells censored at
    as-of. The headline is
    :math:`\sum_g w_g [F_{IC,g}(h) - F_{M,g}(h)]` at ``h = headline_horizon``
    over grades where both tracks have spells below their top, :math:`w_g` the
    grade's share of those spells, with a person-clustered variance
    (:func:`~pathaudit.promotion._incidence.cif_difference`), judged against
    the equivalence band ``(-margin, margin)``. Hazard ratios are rates among
    those still at risk, never probabilities; the IC vs M ratio is judged
    against 0.8 to 1.25. ``docs/promotion.md`` defines every figure.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> res = pathaudit.time_to_promotion(data, parts=["difference"])  # doctest: +SKIP
    >>> res.headline().loc[0, ["key", "status"]]  # doctest: +SKIP
    >>> pathaudit.time_to_promotion(data, group="gendr")  # doctest: +SKIP
    Traceback (most recent call last):
    ...
    pathaudit.errors.ArgumentError: group must name a grouping column of the spells ...
    """
    data = check_data(data, "time_to_promotion")
    chosen = check_parts(parts, PARTS)
    alpha = check_alpha(alpha)
    k = check_k(k, data)
    seed = int(check_number(seed, "seed", low=0, integer=True))
    hz = _check_horizons(horizons)
    headline_horizon = _check_headline_horizon(headline_horizon, hz)
    margin = float(check_number(margin, "margin", low=0, high=1, low_open=True))
    where = "the spells (covariates at each spell's start)"
    if controls is None:
        ctl = tuple(c for c in DEFAULT_CONTROLS if c in data.spells.columns)
    else:
        ctl = check_columns(controls, "controls", _covariates(data), where=where)
    check_group(group, "group", data.spells, where="the spells (attributes at each spell's start)")

    notes: list[Note] = []
    if data.is_snapshot:
        notes += [Note("not computed", _NEEDS_HISTORY, p) for p in chosen if p != "snapshot"]
        snap = None
        if "snapshot" in chosen:
            snap = _snapshot_part(data, alpha, seed, k)
            notes.insert(0, Note("caveat", SNAPSHOT_STATEMENT, "snapshot"))
        return PromotionAudit(snapshot=snap, notes=tuple(notes),
                              headline_horizon=headline_horizon, margin=margin, alpha=alpha)

    sp, excluded = promotion_spells(data)
    population = (
        "spells below the top grade of their own track; time since the spell's start; "
        "spells begun before history_start enter late"
    )
    if sp.empty:
        raise PathauditError(
            "No spell is below the top of its track, so no one can be promoted. Check that "
            "the ladder's grades rank levels (higher grade = more senior)."
        )
    common = {
        "data": data,
        "alpha": alpha,
        "k": k,
        "n_in": len(data.spells),
        "excluded": excluded,
    }
    out: _Parts = {}
    tracks = data.spells["track"].dropna().unique()
    if len(tracks) == 1:  # IC vs M cannot be compared: say so, compute the rest
        notes += [Note("not computed", one_track_reason(str(tracks[0])), part)
                  for part in ONE_TRACK_PARTS if part in chosen]
        chosen = tuple(p for p in chosen if p not in ONE_TRACK_PARTS)
    if "difference" in chosen:
        out["difference"] = _difference_part(sp, headline_horizon, margin, alpha, population,
                                             common)
    if "incidence" in chosen:
        out["incidence"] = _incidence_part(sp, hz, alpha, k, population, common)
    if "hazard" in chosen:
        out["hazard"] = hazard = _hazard_part(sp, ctl, alpha, population, common)
        notes.append(Note("caveat", HR_CAVEAT, "hazard"))
        if hazard.meta.get("not_estimable"):
            notes.append(Note("caveat", hazard.meta["not_estimable"], "hazard"))
    if "rates" in chosen:
        out["rates"] = _rates_part(data, alpha, common)
    if "velocity" in chosen:
        out["velocity"] = _velocity_part(data, alpha, seed, common)
    if "parity" in chosen:
        grp = group if group is not None else DEFAULT_GROUP
        if grp in sp.columns and sp[grp].notna().any():
            out["parity"] = parity_within_track(
                sp, grp, headline_horizon, hz, ctl, alpha, data, common, population,
                plotter=plot_impact_ratios,
            )
            parity = out["parity"]
            if parity is not None and parity.meta.get("not_estimable"):
                notes.append(Note("caveat", parity.meta["not_estimable"], "parity"))
        else:
            has = data.spells.columns.intersection(_covariates(data, categorical=True))
            others = [c for c in has if c != grp and data.spells[c].notna().any()]
            if grp in data.spells.columns and data.spells[grp].notna().any():
                why = f"no spell below the top of its track has a value of {grp!r}"
            else:
                why = f"the data has no {grp!r} values"
            notes.append(Note(
                "not computed",
                f"{why}; pass group= one of {others} to compare promotion by another group",
                "parity",
            ))
    if "snapshot" in chosen:
        notes.append(Note(
            "not computed",
            "the data has effective-dated history, from which time to promotion itself is "
            "computed; time since the last promotion is only shown for snapshot-only exports",
            "snapshot",
        ))
    return PromotionAudit(**out, notes=tuple(notes), headline_horizon=headline_horizon,
                          margin=margin, alpha=alpha)


def _snapshot_part(data: AuditData, alpha: float, seed: int, k: int) -> Result:
    tab = time_since_promotion(data, alpha=alpha, seed=seed)
    return make_result(
        tab
        if len(tab)
        else pd.DataFrame(
            {"track": [], "grade": [], "estimate": [], "ci_lower": [], "ci_upper": [], "n": []}
        ),
        analysis="time since last promotion (snapshot)",
        definition=(
            "Median years since the last promotion (or level entry) of people employed "
            "on as-of, by track and grade; share in level more than 3 years. "
            + SNAPSHOT_STATEMENT
        ),
        method=(
            f"median with percentile-bootstrap CI (B = {stats.BOOTSTRAP_B}); Wilson CI for "
            "the share"
        ),
        population="people employed on as-of with a known last promotion date",
        groups=["track", "grade"],
        data=data,
        alpha=alpha,
        k=k,
    )


def _difference_part(
    sp: pd.DataFrame,
    horizon: float,
    margin: float,
    alpha: float,
    population: str,
    common: dict[str, Any],
) -> Result:
    """Within grade (the answer), then pooled over grades (the grade mix differs)."""
    diff = cif_difference(sp, "track", ("IC", "M"), horizon, "grade", alpha)
    pooled_diff = cif_difference(sp, "track", ("IC", "M"), horizon, None, alpha)
    head = pd.DataFrame(
        [
            {
                "comparison": label,
                "within_grade": within,
                "horizon": horizon,
                "estimate": d["estimate"],
                "ci_lower": d["ci_lower"],
                "ci_upper": d["ci_upper"],
                "se": d["se"],
                "p_value": d["p_value"],
                "mde": d["mde"],
                "probability_ic": d["estimate_a"],
                "probability_m": d["estimate_b"],
                "n": d["n"],
                "n_ic": d["n_a"],
                "n_m": d["n_b"],
            }
            for label, within, d in (
                ("IC − M, within grade", True, diff),
                ("IC − M, pooled over grades", False, pooled_diff),
            )
        ]
    )
    by_grade = diff["by_stratum"].rename(
        columns={
            "stratum": "grade",
            "estimate_a": "probability_ic",
            "estimate_b": "probability_m",
            "difference": "estimate",
            "n_a": "n_ic",
            "n_b": "n_m",
            "promotions_a": "promotions_ic",
            "promotions_b": "promotions_m",
            "at_risk_a": "at_risk_ic",
            "at_risk_b": "at_risk_m",
        }
    )
    h = f"{horizon:g}"
    if len(by_grade):
        by_grade["n"] = np.minimum(by_grade["n_ic"], by_grade["n_m"])
        judged = [_grade_status(r, h, margin) for r in by_grade.itertuples()]
        by_grade["status"] = [j[0] for j in judged]
        by_grade["reason"] = [j[1] for j in judged]
    by_grade = _with_structural_zeros(by_grade, sp, structural_zeros(common["data"]))
    if len(by_grade):
        by_grade["grade"] = pd.array(by_grade["grade"], dtype="Int64")
    return make_result(
        head,
        analysis=f"IC − M difference in the probability of promotion within {h} years",
        definition=(
            f"Sum over grades of w_g * [F_IC,g({h}) - F_M,g({h})]: "
            "the difference in the probability of promotion within "
            f"{h} years of entering a level, IC minus M, compared within grade "
            "and weighted by each grade's share of spells (grades where both tracks have spells "
            "below their top). Negative: ICs are promoted less often within the horizon. "
            "The second row pools each track over all its grades; it mixes the difference "
            "associated with track with the tracks' different grade mix. Judged against the "
            f"equivalence margin -{margin:g} to {margin:g}."
        ),
        method=(
            "Aalen–Johansen per track and grade; each track's probability gets Wilson limits "
            "on its effective sample size F(1-F)/se^2 (person-clustered influence-function "
            "SE; with no promotion by the horizon, the spells still at risk then), combined "
            "into the difference by MOVER (Newcombe; Zou–Donner), over grades on the "
            "standardised tracks; se and p from the interval's half-width on the side of "
            "zero; mde = difference detectable with 80% power. Per grade: a grade at the top "
            "of a track is not estimable (no promotion possible); a track with no promotion "
            "observed keeps its uncertainty"
        ),
        population=population,
        groups=["comparison", "within_grade", "horizon"],
        n_col=TRACK_COUNTS,  # a difference compares the tracks: each needs k people
        tables={"by_grade": Table(by_grade, ["grade"], n_col=TRACK_COUNTS)},
        plotter=plot_difference,
        horizon=horizon,
        margin=margin,
        **common,
    )


def _grade_status(r: Any, h: str, margin: float) -> tuple[str, str]:
    """Status of one grade's difference against the margin; a sampling zero said in words."""
    status, reason = difference_threshold(margin).status(r.estimate, r.ci_lower, r.ci_upper)
    zero = [f"{t}: {n} spells still at risk at {h} years"
            for t, p, n in (("IC", r.promotions_ic, r.at_risk_ic),
                            ("M", r.promotions_m, r.at_risk_m))
            if p == 0]
    if zero:
        reason += (
            f"; no promotion observed within {h} years ({'; '.join(zero)}): a sampling zero, "
            "whose interval keeps the uncertainty of the track with no promotion"
        )
    return status, reason


def _with_structural_zeros(
    by_grade: pd.DataFrame, sp: pd.DataFrame, zeros: pd.DataFrame
) -> pd.DataFrame:
    """Add a ``not estimable`` row per grade that is the top of a track.

    No promotion is possible there (a structural zero); a row is added where the other
    track has spells at that grade.
    """
    rows = []
    cells = sp[["track", "grade"]].drop_duplicates()
    have = {(str(t), int(g)) for t, g in zip(cells["track"], cells["grade"], strict=True)}
    for g, part in zeros.groupby("grade", sort=True):
        g = int(g)
        tracks = sorted(part["track"].astype(str))
        others = [t for t in ("IC", "M") if t not in tracks]
        if any((t, g) not in have for t in others):
            continue  # the other track has no spell at this grade: nothing to compare
        n = {t: int(part.loc[part["track"] == t, "n"].sum()) for t in tracks}
        for t in others:
            n[t] = int(sp.loc[(sp["track"] == t) & (sp["grade"] == g), "employee_id"].nunique())
        which = "both tracks" if not others else f"the {tracks[0]} track"
        levels = ", ".join(part["top_levels"].astype(str))
        rows.append({
            "grade": g, "n_ic": n.get("IC", 0), "n_m": n.get("M", 0),
            "n": min(n.get("IC", 0), n.get("M", 0)),
            "status": "not estimable",
            "reason": (
                f"grade {g} is the top of {which} ({levels}) in every unit on the dates its "
                "spells began: no promotion is possible there (a structural zero)"
            ),
        })
    if not rows:
        return by_grade
    out = pd.concat([by_grade, pd.DataFrame(rows)], ignore_index=True) if len(by_grade) else (
        pd.DataFrame(rows))
    return out.sort_values("grade", kind="stable").reset_index(drop=True)


def _incidence_part(
    sp: pd.DataFrame,
    horizons: tuple[float, ...],
    alpha: float,
    k: int,
    population: str,
    common: dict[str, Any],
) -> Result:
    ci = cumulative_incidence(
        sp, ("track", "grade"), horizons, alpha, pooled=("grade",), min_at_risk=k
    )
    prob = ci["probability"]
    prob["estimator_label"] = prob["estimator"].map(ESTIMATOR_LABELS)
    return make_result(
        prob,
        analysis="probability of promotion by time in level",
        definition=(
            "Probability that a spell ends in promotion within t years of its start, with "
            "exit, track switch and other level changes as competing events (Aalen–Johansen); "
            "the naive Kaplan–Meier, which censors leavers and switchers as if they could "
            "still be promoted, is shown beside it and overstates promotion."
        ),
        method=(
            "Aalen–Johansen with delayed entry; pointwise log(-log) CI from the delta-method "
            "variance; naive KM with Greenwood variance; median = first time the curve "
            "reaches 0.5, else not reached"
        ),
        population=population,
        groups=["track", "grade", "horizon", "estimator", "estimator_label"],
        n_col=("n", "n_at_risk"),  # a curve's figure rests on the spells still at risk
        tables={
            "median": (ci["median"], ["track", "grade", "estimator"]),
            "curves": (ci["curves"], ["track", "grade", "estimator", "time"]),
        },
        plotter=plot_incidence,
        **common,
    )


def _hazard_part(
    sp: pd.DataFrame,
    controls: tuple[str, ...],
    alpha: float,
    population: str,
    common: dict[str, Any],
) -> Result:
    not_estimable = ""
    try:
        hr = promotion_hazard_ratios(sp, controls, alpha)
    except PathauditError as err:  # e.g. no promotion at all in one track
        not_estimable = f"The Cox model could not be fitted: {err}"
        warnings.warn(not_estimable, StatisticalWarning, stacklevel=3)
        hr = pd.DataFrame(
            {"term": [], "estimate": [], "ci_lower": [], "ci_upper": [], "n": [], "grade": []}
        )
    lr = logrank_by_track(sp)
    return make_result(
        hr,
        analysis="promotion hazard ratio, IC vs M (cause-specific Cox)",
        definition=HR_CAVEAT,
        method=(
            "Cox proportional hazards for promotion (exit, switch and other changes "
            "censor), stratified by grade, Breslow ties, delayed entry; sandwich SE "
            "clustered by person; Holm-adjusted p for the per-grade ratios; log-rank tests "
            "(stratified by grade and per grade)"
        ),
        population=population,
        groups=["term", "model", "grade"],
        tables={"logrank": (lr, ["test", "grade", "df"])},
        plotter=plot_hazard_ratios,
        caveat=HR_CAVEAT,
        not_estimable=not_estimable,
        **common,
    )


def _rates_part(data: AuditData, alpha: float, common: dict[str, Any]) -> Result:
    rt = promotion_rates(data.exposure, data.ladder, alpha)
    return make_result(
        rt,
        analysis="promotions per 100 person-years",
        definition=(
            "Promotions / person-years x 100 by track, grade and fiscal year, from the exposure "
            "table (observed time only), below the top of each track."
        ),
        method="exact Poisson (Garwood) CI",
        population="person-time below the top grade of the own track",
        groups=["track", "grade", "year"],
        **common,
    )


def _velocity_part(data: AuditData, alpha: float, seed: int, common: dict[str, Any]) -> Result:
    vel = velocity(data.spells, data.history_start, alpha=alpha, seed=seed)
    return make_result(
        vel["incidence"]
        if len(vel["incidence"])
        else pd.DataFrame(
            {"grade": [], "track": [], "estimate": [], "ci_lower": [], "ci_upper": [], "n": []}
        ),
        analysis="years from hire to first reach each grade",
        definition=(
            "Probability of having first reached grade g (or above) on each track within t "
            "years of hire, among employment episodes below g when first observed; exit "
            "competes. The median among those who reached it conditions on reaching it."
        ),
        method="Aalen–Johansen from hire with delayed entry; bootstrap CI for medians",
        population="employment episodes below the grade when first observed",
        groups=["grade", "track", "horizon"],
        tables={"among_reached": Table(
            vel["among_reached"], ["grade", "track"],
            # each figure is a quantile of the years the people took
            quantiles={"estimate": Quantile(0.5, also=("ci_lower", "ci_upper")),
                       "p25": Quantile(0.25), "p75": Quantile(0.75)},
        )},
        **common,
    )
