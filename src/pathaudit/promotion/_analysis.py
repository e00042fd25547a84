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
into a :class:`PromotionAudit`. The building blocks take a spells frame and are
public too, so that other analyses and the tests can call them; each lives in a
module named for what it does, and every one is importable from here:

- :mod:`pathaudit.promotion._population`: the spells at risk and their causes;
- :mod:`pathaudit.promotion._incidence`: probability of promotion (Aalen–Johansen
  beside the naive Kaplan–Meier), medians, differences within grade;
- :mod:`pathaudit.promotion._hazard`: Cox hazard ratios, log-rank tests, rates;
- :mod:`pathaudit.promotion._velocity`: years from hire to first reach a grade;
- :mod:`pathaudit.promotion._parity`: parity by a demographic group, impact ratio;
- :mod:`pathaudit.promotion._snapshot`: what a snapshot-only export can show;
- :mod:`pathaudit.promotion._plots`: incidence curves and hazard ratios.

The numerics live in :mod:`pathaudit.stats.survival`; every interval comes from
:mod:`pathaudit.stats.intervals`. ``docs/promotion.md`` defines every figure.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pathaudit import stats
from pathaudit.data import AuditData
from pathaudit.errors import PathauditError, StatisticalWarning
from pathaudit.promotion._hazard import HR_CAVEAT as HR_CAVEAT
from pathaudit.promotion._hazard import logrank_by_track as logrank_by_track
from pathaudit.promotion._hazard import promotion_hazard_ratios as promotion_hazard_ratios
from pathaudit.promotion._hazard import promotion_rates as promotion_rates
from pathaudit.promotion._incidence import AJ as AJ
from pathaudit.promotion._incidence import ESTIMATOR_LABELS as ESTIMATOR_LABELS
from pathaudit.promotion._incidence import HORIZONS as HORIZONS
from pathaudit.promotion._incidence import NAIVE_KM as NAIVE_KM
from pathaudit.promotion._incidence import cif_difference as cif_difference
from pathaudit.promotion._incidence import cumulative_incidence as cumulative_incidence
from pathaudit.promotion._incidence import suppress_by_risk
from pathaudit.promotion._parity import FOUR_FIFTHS as FOUR_FIFTHS
from pathaudit.promotion._parity import impact_ratios as impact_ratios
from pathaudit.promotion._parity import parity_within_track
from pathaudit.promotion._plots import plot_hazard_ratios as plot_hazard_ratios
from pathaudit.promotion._plots import plot_incidence as plot_incidence
from pathaudit.promotion._population import CAUSES as CAUSES
from pathaudit.promotion._population import promotable_from as promotable_from
from pathaudit.promotion._population import promotion_spells as promotion_spells
from pathaudit.promotion._snapshot import SNAPSHOT_STATEMENT as SNAPSHOT_STATEMENT
from pathaudit.promotion._snapshot import time_since_promotion as time_since_promotion
from pathaudit.promotion._velocity import velocity as velocity
from pathaudit.result import Result, make_result
from pathaudit.stats import bootstrap_medians_exact as bootstrap_medians_exact

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "CAUSES",
    "PromotionAudit",
    "cif_difference",
    "cumulative_incidence",
    "impact_ratios",
    "logrank_by_track",
    "promotion_hazard_ratios",
    "promotion_rates",
    "promotion_spells",
    "time_since_promotion",
    "time_to_promotion",
    "velocity",
]

LABEL_COLUMNS: tuple[str, ...] = ("grade", "year", "horizon", "time", "df")
"""Numeric columns that label rows (kept when a row is suppressed)."""


@dataclass(frozen=True)
class PromotionAudit:
    """Every figure of the time-to-promotion analysis, each a :class:`~pathaudit.result.Result`.

    Attributes
    ----------
    headline
        IC - M difference in the probability of promotion within the headline
        horizon (3 years), standardised to the pooled grade mix, with its CI;
        per-grade differences in ``tables["by_grade"]``.
    incidence
        Probability of promotion within 1, 2, 3, 5 years by track and grade
        (Aalen–Johansen beside the naive Kaplan–Meier); ``tables``: ``median``,
        ``curves``. ``plot()`` draws the curves by track.
    hazard
        Cause-specific Cox hazard ratios (IC vs M pooled and per grade, and the
        controls); ``tables["logrank"]``. ``plot()`` draws the hazard ratios.
    rates
        Promotions per 100 person-years by track, grade and fiscal year.
    velocity
        Years from hire to first reach each grade, by track: cumulative
        incidence from hire (``table``) and among those who reach it
        (``tables["among_reached"]``).
    parity
        Demographic parity within track (``group`` column, e.g. gender):
        difference in 3-year probability vs the largest group, hazard ratios
        (``tables["hazard"]``), probabilities by group (``tables["probability"]``),
        and the four-fifths impact ratio (``tables["impact_ratio"]``,
        ``tables["impact_ratio_by_year"]``).
    snapshot
        For snapshot-only data, time since the last promotion by track and
        grade (the other parts are None).
    notes
        Plain statements the reader needs (e.g. what a snapshot cannot show).
    """

    headline: Result | None = None
    incidence: Result | None = None
    hazard: Result | None = None
    rates: Result | None = None
    velocity: Result | None = None
    parity: Result | None = None
    snapshot: Result | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def results(self) -> dict[str, Result]:
        """Name -> Result for every part computed (for the audit runner)."""
        names = ("headline", "incidence", "hazard", "rates", "velocity", "parity", "snapshot")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}

    def summary(self) -> str:
        """Return a readable text summary of every part."""
        parts = [*self.notes]
        for name, res in self.results().items():
            parts.append(f"== {name} ==\n{res.summary()}")
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.summary()

    def plot_incidence(self, ax: Axes | None = None, grade: int | None = None) -> Axes:
        """Promotion incidence curves by track (one grade, or pooled)."""
        import matplotlib.pyplot as plt

        if self.incidence is None:
            raise PathauditError(self.notes[0] if self.notes else "No incidence was computed.")
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        return plot_incidence(self.incidence, ax, grade)

    def plot_hazard_ratios(self, ax: Axes | None = None) -> Axes:
        """Hazard ratios IC vs M with their intervals."""
        if self.hazard is None:
            raise PathauditError(self.notes[0] if self.notes else "No hazard ratio was computed.")
        return self.hazard.plot(ax)

    def headline_figures(self) -> list[dict[str, Any]]:
        """Headline figures for ``summary.json``: name, estimate, CI, n, definition."""
        out = []
        if self.headline is not None:
            row = self.headline.table.iloc[0]
            out.append(
                {
                    "name": "IC - M difference in 3-year probability of promotion, within grade",
                    "estimate": row["estimate"],
                    "ci_lower": row["ci_lower"],
                    "ci_upper": row["ci_upper"],
                    "n": row["n"],
                    "definition": self.headline.meta["definition"],
                }
            )
        if self.hazard is not None:
            t = self.hazard.table
            r = t.loc[t["term"] == "IC vs M"]
            if len(r):
                r = r.iloc[0]
                out.append(
                    {
                        "name": "promotion hazard ratio IC vs M (cause-specific Cox)",
                        "estimate": r["estimate"],
                        "ci_lower": r["ci_lower"],
                        "ci_upper": r["ci_upper"],
                        "n": r["n"],
                        "definition": HR_CAVEAT,
                    }
                )
        if self.snapshot is not None:
            out.append(
                {
                    "name": "time to promotion",
                    "estimate": None,
                    "ci_lower": None,
                    "ci_upper": None,
                    "n": None,
                    "definition": SNAPSHOT_STATEMENT,
                }
            )
        return out


def time_to_promotion(
    data: AuditData,
    *,
    horizons: Sequence[float] = HORIZONS,
    headline_horizon: float = 3.0,
    controls: Sequence[str] = ("tenure_at_start", "job_family", "location", "gender"),
    group: str = "gender",
    alpha: float = 0.05,
    seed: int = stats.BOOTSTRAP_SEED,
    k: int | None = None,
) -> PromotionAudit:
    r"""Time to promotion by track, with exit and switch as competing events.

    Parameters
    ----------
    data
        Loaded dataset (:func:`pathaudit.io._load` or a simulation's ``.data``).
    horizons
        Years at which the probability of promotion is reported.
    headline_horizon
        Horizon of the headline difference (default 3 years).
    controls
        Covariates of the Cox model, used when present in the spells
        (``tenure_at_start``, ``job_family``, ``location`` at the spell's
        start; demographics such as ``gender``).
    group
        Demographic column for parity within track (default ``"gender"``);
        skipped when the data has none.
    alpha
        1 - confidence level of every interval.
    seed
        Seed of the bootstrap intervals (velocity medians).
    k
        Minimum cell size (default ``data.min_cell_size``).

    Returns
    -------
    PromotionAudit
        ``headline``, ``incidence``, ``hazard``, ``rates``, ``velocity``,
        ``parity`` (each a :class:`~pathaudit.result.Result`; see
        :class:`PromotionAudit`). For snapshot-only data only ``snapshot`` is
        set and ``notes`` says what needs history.

    Notes
    -----
    Population: spells below the top grade of their own track (the top in the
    spell's unit where the ladder is unit-specific). Clock: years since the
    spell's start (time in level); spells that began before ``history_start``
    enter late. Event: promotion (grade up within the track); competing:
    exit, track switch, demotion or lateral move; open spells censored at
    as-of. The headline is
    :math:`\sum_g w_g [F_{IC,g}(3) - F_{M,g}(3)]` over grades where both
    tracks have spells below their top, :math:`w_g` the grade's share of
    those spells, with a person-clustered variance
    (:func:`cif_difference`). Hazard ratios are rates among those still at
    risk, never probabilities. ``docs/promotion.md`` defines every figure.
    """
    k = data.min_cell_size if k is None else k
    if data.is_snapshot:
        tab = time_since_promotion(data, alpha=alpha, seed=seed)
        snap = make_result(
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
            method="median with percentile-bootstrap CI (B = 2000); Wilson CI for the share",
            population="people employed on as-of with a known last promotion date",
            data=data,
            alpha=alpha,
            k=k,
            label_cols=LABEL_COLUMNS,
        )
        return PromotionAudit(snapshot=snap, notes=(SNAPSHOT_STATEMENT,))

    sp, excluded = promotion_spells(data)
    population = (
        "spells below the top grade of their own track; time since the spell's start; "
        "spells begun before history_start enter late"
    )
    n_in = len(data.spells)
    if sp.empty:
        raise PathauditError(
            "No spell is below the top of its track, so no one can be promoted. Check that "
            "the ladder's grades rank levels (higher grade = more senior)."
        )
    common = {
        "data": data,
        "alpha": alpha,
        "k": k,
        "n_in": n_in,
        "excluded": excluded,
        "label_cols": LABEL_COLUMNS,
    }

    # --- incidence
    ci = cumulative_incidence(
        sp, ("track", "grade"), horizons, alpha, pooled=("grade",), min_at_risk=k
    )
    prob = suppress_by_risk(ci["probability"], k)
    prob["estimator_label"] = prob["estimator"].map(ESTIMATOR_LABELS)
    curves = ci["curves"]
    incidence = make_result(
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
        tables={"median": ci["median"], "curves": curves},
        plotter=plot_incidence,
        **common,
    )

    # --- headline: within grade (the answer), then pooled over grades (grade mix differs)
    diff = cif_difference(sp, "track", ("IC", "M"), headline_horizon, "grade", alpha)
    pooled_diff = cif_difference(sp, "track", ("IC", "M"), headline_horizon, None, alpha)
    head = pd.DataFrame(
        [
            {
                "comparison": label,
                "within_grade": within,
                "horizon": headline_horizon,
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
                ("IC - M, within grade", True, diff),
                ("IC - M, pooled over grades", False, pooled_diff),
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
        }
    )
    if len(by_grade):
        by_grade["grade"] = pd.array(by_grade["grade"], dtype="Int64")
        by_grade["n"] = np.minimum(by_grade["n_ic"], by_grade["n_m"])
    h = f"{headline_horizon:g}"
    headline = make_result(
        head,
        analysis="IC - M difference in the probability of promotion within 3 years",
        definition=(
            f"Sum over grades of w_g * [F_IC,g({h}) - F_M,g({h})]: "
            "the difference in the probability of promotion within "
            f"{h} years of entering a level, IC minus M, compared within grade "
            "and weighted by each grade's share of spells (grades where both tracks have spells "
            "below their top). Negative: ICs are promoted less often within the horizon. "
            "The second row pools each track over all its grades; it mixes the difference "
            "associated with track with the tracks' different grade mix."
        ),
        method=(
            "Aalen–Johansen per track and grade; person-clustered influence-function "
            "variance (a person with spells in several grades or both tracks is one cluster); "
            "Wald CI; mde = difference detectable with 80% power"
        ),
        population=population,
        tables={"by_grade": by_grade},
        **common,
    )

    # --- hazards
    not_estimable = ""
    try:
        hr = promotion_hazard_ratios(sp, controls, alpha)
    except PathauditError as err:  # e.g. no promotion at all in one track
        not_estimable = f"The Cox model could not be fitted: {err}"
        warnings.warn(not_estimable, StatisticalWarning, stacklevel=2)
        hr = pd.DataFrame(
            {"term": [], "estimate": [], "ci_lower": [], "ci_upper": [], "n": [], "grade": []}
        )
    lr = logrank_by_track(sp)
    hazard = make_result(
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
        tables={"logrank": lr},
        plotter=plot_hazard_ratios,
        caveat=HR_CAVEAT,
        not_estimable=not_estimable,
        **common,
    )

    # --- rates
    rt = promotion_rates(data.exposure, data.ladder, alpha)
    rates = make_result(
        rt,
        analysis="promotions per 100 person-years",
        definition=(
            "Promotions / person-years x 100 by track, grade and fiscal year, from the exposure "
            "table (observed time only), below the top of each track."
        ),
        method="exact Poisson (Garwood) CI",
        population="person-time below the top grade of the own track",
        **common,
    )

    # --- velocity
    vel = velocity(data.spells, data.history_start, alpha=alpha, seed=seed)
    velocity_res = make_result(
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
        tables={"among_reached": vel["among_reached"]},
        **common,
    )

    # --- parity
    parity = None
    if group in sp.columns and sp[group].notna().any():
        parity = parity_within_track(
            sp, group, headline_horizon, horizons, controls, alpha, data, common, population
        )
    notes = (HR_CAVEAT,)
    return PromotionAudit(
        headline=headline,
        incidence=incidence,
        hazard=hazard,
        rates=rates,
        velocity=velocity_res,
        parity=parity,
        notes=notes,
    )
