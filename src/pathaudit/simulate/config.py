"""Configuration of the simulated organisation, and the hazard model it runs on.

:class:`SimConfig` holds every parameter of :func:`pathaudit.simulate.simulate`
(one frozen dataclass, every field with a default). :func:`monthly_hazards` is the
one place the monthly transition probabilities are computed: the simulation loop
and the truth computations (:mod:`pathaudit.simulate.truth`) both call it, so the
truth is computed from exactly the hazards that generated the data.

Per-grade parameters are tuples indexed by grade (entry ``g`` is grade ``g``);
grades outside a track's range are ignored. Hazards are *monthly* probabilities:
in each calendar month a person has at most one event, chosen with these
probabilities from the state they had on the first day of the month.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

# event columns of the hazard matrix, in the order events are drawn
PROMOTION, TO_M, TO_IC, EXIT_VOLUNTARY, EXIT_INVOLUNTARY, EXIT_OTHER = range(6)
EVENT_NAMES: tuple[str, ...] = (
    "promotion",
    "switch_to_M",
    "switch_to_IC",
    "exit_voluntary",
    "exit_involuntary",
    "exit_other",
)
"""Names of the hazard columns (canonical spell end reasons)."""

NEVER = 10**6
"""Month index standing for "never" (a unit that does not adopt, a person who never switched)."""

MAX_SUPERPOPULATION_HEADCOUNT = 300_000
"""Largest ``superpopulation_headcount`` (the run's time and memory grow with it: about 4 s of
CPU and 0.6 GB at 120,000 over the study preset's five years)."""


def _grades(*pairs: tuple[int, float]) -> tuple[float, ...]:
    out = [0.0] * 10
    for g, v in pairs:
        out[g] = v
    return tuple(out)


@dataclass(frozen=True)
class SimConfig:
    """Every parameter of the simulated organisation.

    Time runs in calendar months from ``start`` for ``years`` years; the data are
    extracted on the last day of the last month. All hazards are monthly
    probabilities. The IC-vs-M contrasts are single multiplicative hazard ratios, so
    a model that conditions on the other multipliers has one true value.

    Attributes
    ----------
    years
        Length of the simulation in years (whole months: ``12 * years``).
    start
        First day of the simulation (ISO date, must be the first of a month). The
        organisation is founded on it: the founding cohort is hired during the first
        month.
    history_start_months
        Months after ``start`` from which the exported history is complete. 0 (the
        default) exports everything; a positive value drops what happened earlier and
        keeps, for each episode employed on that date, its record in force dated at
        the start of its spell (delayed entry / left truncation).
    initial_headcount
        Size of the founding cohort.
    target_headcount
        Headcount the organisation hires towards in the first month; it grows by
        ``headcount_growth`` a year. Each month ``Poisson(max(target - headcount, 0))``
        people are hired, besides scheduled rehires.
    headcount_growth
        Annual growth of the target headcount.
    units
        Organisational units.
    unit_weights
        Relative share of hires going to each unit.
    adoption_months
        For each unit, the month (after ``start``) whose first day the unit's dual
        ladder takes effect, or ``None`` if it never adopts within the simulation.
        Adoption adds IC grades up to ``adopted_ic_top``, removes the IC pay penalty
        and multiplies voluntary exit hazards in the unit by ``adoption_hr``.
    job_families, job_family_weights, job_family_pay
        Job families, their share of hires, and their log-pay effect.
    locations, location_weights, location_pay
        Locations, their share of hires, and their log-pay effect.
    currency
        Currency of every pay figure.
    female_share_ic, female_share_m
        Share of women among hires into the IC and the M track (the gender mix
        differs by track).
    part_time_share, part_time_fte
        Share of hires who work part time, and their FTE.
    ic_grades, m_grades
        Lowest and highest grade of each track before adoption. The IC ceiling is
        ``ic_grades[1]``; it lies below the M ceiling ``m_grades[1]`` unless equal.
        IC->M switches are possible from IC grades within ``m_grades``.
    adopted_ic_top
        Top IC grade in a unit once it has adopted the dual ladder.
    m_hire_share
        Share of (non-founding) hires into the M track.
    ic_hire_weights, m_hire_weights
        Grade distribution of hires into each track (indexed by grade).
    initial_m_share, initial_ic_weights, initial_m_weights
        The same for the founding cohort.
    promotion_hazard
        Monthly hazard of promotion from grade ``g`` (to ``g + 1``) for the M track.
    promotion_hr_ic
        The one IC-vs-M promotion hazard ratio: an IC's hazard is
        ``promotion_hazard[g] * promotion_hr_ic``.
    promotion_min_months
        No promotion in the first ``promotion_min_months`` months after entering a
        level (the month of entry not counted).
    switch_hazard
        Monthly hazard of an IC at grade ``g`` switching to the M track (same grade).
    stall_switch_hr
        Hazard ratio of switching for a stalled IC vs one not stalled.
    switch_hr_female
        Hazard ratio of switching for women vs men (who is moved into management).
    stall_months
        Per-grade stall threshold in months (indexed by grade), or ``None`` to derive
        it: an IC is *stalled* in month ``m`` when ``m - (month the spell started)``
        exceeds the threshold of their grade. The derived threshold is the DOMAIN
        definition computed from the simulator's own hazards: the IC median time to
        promotion from that grade (from the cumulative incidence with exit and switch
        competing, pre-adoption ladder, men and women mixed as at IC hire), or the
        75th percentile among those promoted where the median is not reached; since
        being stalled changes the competing hazards, it is found as a fixed point. At
        and above the IC ceiling the threshold of the grade below applies.
    switch_back_hazard
        Monthly hazard of an M-track person switching to the IC track (at the same
        grade, or the IC top grade if lower).
    switch_back_early_hr
        Hazard ratio of switching back within ``switch_window_months`` of an IC->M
        switch.
    switch_window_months
        Length of the post-switch window (months) for switch-back and exit effects.
    voluntary_hazard, involuntary_hazard, other_exit_hazard
        Monthly exit hazards of the M track (other exits: retirement and the like,
        the same on both tracks).
    voluntary_hr_ic, involuntary_hr_ic
        The IC-vs-M hazard ratios of voluntary and involuntary exit.
    stall_exit_hr
        Hazard ratio of voluntary exit for a stalled IC.
    post_switch_exit_hr
        Within ``switch_window_months`` of an IC->M switch, a switcher's exit hazards (each
        type) are the IC hazards (same unit, same date) times this ratio: the target of the
        matched post-switch design when ``stall_exit_hr`` is 1.
    adoption_hr
        Voluntary exit hazard ratio of the dual ladder being in force in a unit.
    rehire_share
        Share of voluntary leavers rehired later (a second episode, same ID).
    rehire_gap_months
        Range (inclusive) of months between exit and rehire.
    band_mid_base, band_mid_step
        Band midpoint of the lowest grade, and the relative step between grades
        (``mid[g + 1] = mid[g] * (1 + step)``): the raise at a promotion.
    band_spread
        Band min/max are ``mid * (1 -/+ band_spread)``.
    ic_band_discount
        IC band midpoints are ``(1 - ic_band_discount)`` times the M band midpoint of
        the same grade (0: the bands declare parity).
    ic_pay_penalty
        Pay of an IC is ``(1 - ic_pay_penalty)`` times that of a manager at equal
        grade and otherwise equal attributes, until the IC's unit adopts.
    switch_raise
        An M-track person who came by an IC->M switch (in this episode) is paid
        ``(1 + switch_raise)`` times a hired manager: the raise at a switch on top of
        the removed IC penalty.
    gender_gap_ic, gender_gap_m
        Women are paid ``(1 - gap)`` times men within each track.
    tenure_raise
        Raise at each annual review (the tenure slope of pay).
    review_month
        Calendar month of the annual review (pay raise and rating), effective on its
        first day.
    review_min_months
        Minimum months since hire to get a review raise.
    person_sd
        SD of the person effect on log pay (fixed per person).
    record_sd
        SD of the log-pay noise drawn at each pay record.
    bonus_ic, bonus_m
        Target bonus as a share of base pay: ``bonus * (grade - 1)``.
    equity_from_grade, equity_share
        Annualised equity of ``equity_share * (grade - equity_from_grade + 1)`` times
        base pay from this grade up.
    nominal_manager_share
        Share of people entering the M track given no span of control (their direct
        reports come only from other managers' fallbacks: they are nominal managers).
    rating_sd_person, rating_sd_noise
        SD of the person's latent performance and of the yearly rating noise. The
        rating is ``clip(round(3 + latent + noise), 1, 5)``.
    switch_rating_shift
        Shift of the latent rating in the first ``switch_window_months`` after an
        IC->M switch (the Peter-principle signal).
    rating_min_months
        Minimum months since hire to be rated at a review.
    preference_response_rate
        Share of people who answered the career-preference survey (others missing).
    prefer_m_ic, prefer_m_m
        Share stating a preference for management among IC and M hires.
    team_takeover_reports
        How teams form. 0 (the default): a manager's direct reports come only from
        hires, moves and reassignments, chosen by span capacity, so a manager who came
        by a switch starts with no team and junior managers compete with senior ones
        for junior reports. A positive ``r``: a manager with a span of control (not
        nominal) who has fewer than ``r`` direct reports takes reports over, up to
        ``r``, on entering the M track (hire, rehire or switch, dated that day) and on
        the first of every month: first people of the unit with no manager, then
        people of the largest teams of the unit with more than ``r`` reports (the
        grade rule of reassignment holds; people with an event in the month, or
        hired, moved or given a record on its first day, are not moved). With
        ``r >= 2`` a manager then has fewer than two reports only when nominal, when
        reports leave or move within the month, or when the unit has no one to hand
        over: the share of managers with fewer than two reports is about
        ``nominal_manager_share``, which ``truth["management"]`` states.
    prefer_m_switcher
        How a stated career preference relates to switching into management. ``None``
        (the default): a switcher keeps the answer drawn at hire (so switchers state
        the IC preference at the IC hires' rate, ``1 - prefer_m_ic``). A share: the
        answer of a person who switches IC->M is drawn again at the switch, preferring
        management with this probability: those who switch are, in this share, those
        who want to manage. No hazard depends on the answer, so no other truth moves;
        ``truth["management"]["preference_mismatch_share"]`` states the probability of
        an IC answer the simulator drew each responding manager's answer with.

    adoption_hr_final, adoption_ramp_months
        An adoption effect that grows with time since adoption. ``None`` (the default):
        the voluntary exit hazard ratio is ``adoption_hr`` from the adoption month on. A
        ratio: it moves log-linearly from ``adoption_hr`` in the adoption month to
        ``adoption_hr_final`` after ``adoption_ramp_months`` months and stays there
        (:func:`adoption_ratio`).
    superpopulation_headcount
        Not a parameter of the organisation but of its truth. 0 (the default): none. A
        headcount ``H``: ``truth["pay"]`` also states the superpopulation gap, the
        probability limit of the adjusted gap's estimator for this configuration: the
        truth design fitted to the noise-free pay of one run of the configuration with
        target headcount ``max(H, target_headcount)`` and the initial headcount scaled by
        the same factor (same units, adoption dates, hazards and pay model; a fixed seed),
        computed once per configuration and cached on disk
        (:func:`pathaudit.simulate.truth.superpopulation_pay_gap`). The draws themselves
        do not depend on it.

    ``team_takeover_reports``, ``prefer_m_switcher``, the adoption ramp and
    ``superpopulation_headcount`` came after the shipped sample:
    :meth:`to_dict` (``truth.json``'s ``config``) and :meth:`key` include them only when
    they differ from their defaults, so the configurations that existed before them keep
    their key and their files.
    """

    # time
    years: int = 8
    start: str = "2018-01-01"
    history_start_months: int = 0
    # size
    initial_headcount: int = 800
    target_headcount: int = 840
    headcount_growth: float = 0.03
    # organisation
    units: tuple[str, ...] = (
        "Platform",
        "Payments",
        "Search",
        "Data",
        "Mobile",
        "Infrastructure",
        "Security",
        "Growth",
    )
    unit_weights: tuple[float, ...] = (1.4, 1.2, 1.0, 1.0, 1.0, 0.9, 0.8, 0.7)
    adoption_months: tuple[int | None, ...] = (None, None, 30, 36, 42, 51, 60, 72)
    job_families: tuple[str, ...] = ("Engineering", "Data Science", "Product", "Design")
    job_family_weights: tuple[float, ...] = (0.55, 0.15, 0.2, 0.1)
    job_family_pay: tuple[float, ...] = (0.0, 0.03, 0.02, -0.05)
    locations: tuple[str, ...] = ("Berlin", "Amsterdam", "Lisbon", "Remote")
    location_weights: tuple[float, ...] = (0.4, 0.25, 0.2, 0.15)
    location_pay: tuple[float, ...] = (0.0, 0.06, -0.18, -0.05)
    currency: str = "EUR"
    female_share_ic: float = 0.28
    female_share_m: float = 0.40
    part_time_share: float = 0.06
    part_time_fte: float = 0.8
    # ladder and hiring
    ic_grades: tuple[int, int] = (2, 7)
    m_grades: tuple[int, int] = (4, 9)
    adopted_ic_top: int = 9
    m_hire_share: float = 0.12
    ic_hire_weights: tuple[float, ...] = _grades(
        (2, 0.36), (3, 0.26), (4, 0.2), (5, 0.12), (6, 0.05), (7, 0.01)
    )
    m_hire_weights: tuple[float, ...] = _grades(
        (4, 0.3), (5, 0.3), (6, 0.2), (7, 0.12), (8, 0.06), (9, 0.02)
    )
    initial_m_share: float = 0.18
    initial_ic_weights: tuple[float, ...] = _grades(
        (2, 0.22), (3, 0.24), (4, 0.22), (5, 0.16), (6, 0.1), (7, 0.06)
    )
    initial_m_weights: tuple[float, ...] = _grades(
        (4, 0.28), (5, 0.26), (6, 0.2), (7, 0.14), (8, 0.08), (9, 0.04)
    )
    # promotion
    promotion_hazard: tuple[float, ...] = _grades(
        (2, 0.045), (3, 0.035), (4, 0.026), (5, 0.019), (6, 0.013), (7, 0.009), (8, 0.006)
    )
    promotion_hr_ic: float = 0.75
    promotion_min_months: int = 6
    # switching
    switch_hazard: tuple[float, ...] = _grades((4, 0.0035), (5, 0.0045), (6, 0.005), (7, 0.006))
    stall_switch_hr: float = 2.0
    switch_hr_female: float = 0.8
    stall_months: tuple[float, ...] | None = None
    switch_back_hazard: float = 0.001
    switch_back_early_hr: float = 4.0
    switch_window_months: int = 24
    # exits
    voluntary_hazard: float = 0.008
    voluntary_hr_ic: float = 1.3
    involuntary_hazard: float = 0.002
    involuntary_hr_ic: float = 1.0
    other_exit_hazard: float = 0.0004
    stall_exit_hr: float = 1.0
    post_switch_exit_hr: float = 1.5
    adoption_hr: float = 0.75
    rehire_share: float = 0.05
    rehire_gap_months: tuple[int, int] = (6, 36)
    # pay
    band_mid_base: float = 42000.0
    band_mid_step: float = 0.12
    band_spread: float = 0.2
    ic_band_discount: float = 0.0
    ic_pay_penalty: float = 0.06
    switch_raise: float = 0.15
    gender_gap_ic: float = 0.03
    gender_gap_m: float = 0.05
    tenure_raise: float = 0.02
    review_month: int = 4
    review_min_months: int = 6
    person_sd: float = 0.08
    record_sd: float = 0.02
    bonus_ic: float = 0.012
    bonus_m: float = 0.02
    equity_from_grade: int = 6
    equity_share: float = 0.08
    # managers, ratings, preferences
    nominal_manager_share: float = 0.12
    rating_sd_person: float = 0.6
    rating_sd_noise: float = 0.5
    switch_rating_shift: float = -0.3
    rating_min_months: int = 3
    preference_response_rate: float = 0.6
    prefer_m_ic: float = 0.25
    prefer_m_m: float = 0.75
    # team formation and preference-driven switching (written only when not the default)
    team_takeover_reports: int = dataclasses.field(default=0, metadata={"if_set": True})
    prefer_m_switcher: float | None = dataclasses.field(default=None, metadata={"if_set": True})
    # an adoption effect that grows with time since adoption (written only when set)
    adoption_hr_final: float | None = dataclasses.field(default=None, metadata={"if_set": True})
    adoption_ramp_months: int = dataclasses.field(default=0, metadata={"if_set": True})
    # the truth's superpopulation run (written only when set)
    superpopulation_headcount: int = dataclasses.field(default=0, metadata={"if_set": True})

    def __post_init__(self) -> None:
        problems = []
        n_units = len(self.units)
        if len(self.unit_weights) != n_units or len(self.adoption_months) != n_units:
            problems.append("units, unit_weights and adoption_months must have one entry per unit")
        for name, levels in (("job_family", self.job_families), ("location", self.locations)):
            if not (len(levels) == len(getattr(self, f"{name}_weights")) == len(
                getattr(self, f"{name}_pay")
            )):
                problems.append(f"{name}s, {name}_weights and {name}_pay must have equal lengths")
        lo, hi = self.ic_grades
        mlo, mhi = self.m_grades
        if not (0 <= lo <= hi <= self.adopted_ic_top <= 9 and 0 <= mlo <= mhi <= 9):
            problems.append("grades must satisfy 0 <= ic low <= ic top <= adopted_ic_top <= 9")
        if mhi < mlo + 1:
            problems.append("the M track needs at least two grades")
        for name in (
            "ic_hire_weights",
            "m_hire_weights",
            "initial_ic_weights",
            "initial_m_weights",
            "promotion_hazard",
            "switch_hazard",
        ):
            if len(getattr(self, name)) != 10:
                problems.append(f"{name} must have 10 entries (indexed by grade 0..9)")
        if self.stall_months is not None and len(self.stall_months) != 10:
            problems.append("stall_months must have 10 entries (indexed by grade 0..9)")
        start = np.datetime64(self.start, "D")
        if start != np.datetime64(self.start, "M").astype("datetime64[D]"):
            problems.append(f"start must be the first day of a month; found {self.start}")
        if not 0 <= self.history_start_months < 12 * self.years:
            problems.append("history_start_months must lie within the simulated months")
        worst = max(self.promotion_hazard) * max(1.0, self.promotion_hr_ic) + max(
            self.switch_hazard
        ) * max(1.0, self.stall_switch_hr) + self.voluntary_hazard * max(
            1.0, self.voluntary_hr_ic
        ) * max(1.0, self.stall_exit_hr, self.post_switch_exit_hr * self.voluntary_hr_ic)
        if worst > 0.5:
            problems.append("monthly hazards are too large (their sum may exceed 0.5)")
        if not (isinstance(self.team_takeover_reports, int)
                and 0 <= self.team_takeover_reports <= 20):
            problems.append("team_takeover_reports must be a whole number from 0 to 20")
        if self.prefer_m_switcher is not None and not 0.0 <= self.prefer_m_switcher <= 1.0:
            problems.append("prefer_m_switcher must be None or a share between 0 and 1")
        if not (isinstance(self.superpopulation_headcount, int)
                and 0 <= self.superpopulation_headcount <= MAX_SUPERPOPULATION_HEADCOUNT):
            problems.append("superpopulation_headcount must be a whole number from 0 to "
                            f"{MAX_SUPERPOPULATION_HEADCOUNT}; found "
                            f"{self.superpopulation_headcount!r}")
        if problems:
            raise ValueError("Invalid SimConfig: " + "; ".join(problems))

    # -- derived ------------------------------------------------------------------------------
    @property
    def n_months(self) -> int:
        """Number of simulated months."""
        return 12 * self.years

    def band_mid(self, grade: np.ndarray | int) -> np.ndarray:
        """Band midpoint of a grade (before the IC band discount)."""
        lo = min(self.ic_grades[0], self.m_grades[0])
        return self.band_mid_base * (1.0 + self.band_mid_step) ** (np.asarray(grade) - lo)

    def adoption_array(self) -> np.ndarray:
        """Adoption month per unit (``NEVER`` when the unit does not adopt)."""
        return np.array([NEVER if a is None else int(a) for a in self.adoption_months])

    def to_dict(self) -> dict[str, Any]:
        """Every parameter as a JSON-friendly dict (tuples become lists)."""
        out = {}
        for f in dataclasses.fields(self):
            if f.name.startswith("_"):
                continue
            value = getattr(self, f.name)
            if f.metadata.get("if_set") and value == f.default:
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def key(self) -> str:
        """A short hash of every parameter (for caches)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def replace(self, **changes: Any) -> SimConfig:
        """Return a copy with some parameters changed."""
        return dataclasses.replace(self, **changes)


# -- presets ----------------------------------------------------------------------------------


def default() -> SimConfig:
    """The default organisation (the one ``data/sample/`` ships): about 2,000 people, 8 years."""
    return SimConfig()


PEOPLE_PER_HEADCOUNT = 2.9
"""People ever employed per unit of target headcount over 10 years (default hazards)."""


def sized(people_ever: int, years: int = 10) -> SimConfig:
    """The default organisation scaled to about ``people_ever`` people ever employed.

    Used by the benchmarks: the target headcount is ``people_ever / PEOPLE_PER_HEADCOUNT``
    (at least 50), the founding headcount 95% of it, over ``years`` years (the ratio is
    measured for 10 years).
    """
    h = max(int(people_ever / PEOPLE_PER_HEADCOUNT), 50)
    return default().replace(years=years, initial_headcount=int(0.95 * h), target_headcount=h)


def healthy(**changes: Any) -> SimConfig:
    """A dual ladder that works: no IC ceiling, no pay penalty, no stall pressure, all HRs 1.

    Units still "adopt" at staggered dates, with no effect (``adoption_hr = 1``): the null
    configuration for the turnover study. Managers are real and want to manage: none is
    nominal, a manager takes over a team of three on entering the M track
    (``team_takeover_reports = 3``), and 85% of hired managers and of switchers prefer
    management (``prefer_m_m = prefer_m_switcher = 0.85``), so about 15% of managers state
    an IC preference and almost none has fewer than two reports.
    """
    base = SimConfig(
        ic_grades=(2, 9),
        adopted_ic_top=9,
        ic_hire_weights=_grades(
            (2, 0.36), (3, 0.26), (4, 0.2), (5, 0.11), (6, 0.05), (7, 0.015), (8, 0.005)
        ),
        promotion_hr_ic=1.0,
        stall_switch_hr=1.0,
        switch_hr_female=1.0,
        switch_back_early_hr=1.0,
        voluntary_hr_ic=1.0,
        involuntary_hr_ic=1.0,
        stall_exit_hr=1.0,
        post_switch_exit_hr=1.0,
        adoption_hr=1.0,
        ic_pay_penalty=0.0,
        switch_raise=0.0,
        gender_gap_ic=0.0,
        gender_gap_m=0.0,
        switch_rating_shift=0.0,
        nominal_manager_share=0.0,
        team_takeover_reports=3,
        prefer_m_m=0.85,
        prefer_m_switcher=0.85,
    )
    return base.replace(**changes)


def broken(**changes: Any) -> SimConfig:
    """A dual ladder on paper only: strong IC ceiling, pay penalty, stall pressure, switch raise."""
    base = SimConfig(
        ic_grades=(2, 6),
        ic_hire_weights=_grades((2, 0.38), (3, 0.28), (4, 0.2), (5, 0.1), (6, 0.04)),
        initial_ic_weights=_grades((2, 0.24), (3, 0.26), (4, 0.24), (5, 0.16), (6, 0.1)),
        switch_hazard=_grades((4, 0.004), (5, 0.005), (6, 0.007)),
        promotion_hr_ic=0.55,
        stall_switch_hr=3.0,
        switch_hr_female=0.7,
        voluntary_hr_ic=1.6,
        stall_exit_hr=1.5,
        post_switch_exit_hr=2.0,
        adoption_hr=0.6,
        ic_pay_penalty=0.10,
        ic_band_discount=0.05,
        switch_raise=0.20,
        gender_gap_ic=0.05,
        gender_gap_m=0.07,
        switch_rating_shift=-0.5,
        nominal_manager_share=0.25,
    )
    return base.replace(**changes)


def small(**changes: Any) -> SimConfig:
    """A small organisation for coverage studies: about 300 people ever employed, 6 years."""
    base = SimConfig(
        years=6,
        initial_headcount=140,
        target_headcount=150,
        units=("North", "South", "East", "West"),
        unit_weights=(1.0, 1.0, 1.0, 1.0),
        adoption_months=(None, 24, 36, 48),
    )
    return base.replace(**changes)


DELAYED_ENTRY_MONTHS = 24
"""Months of unobserved history in :func:`small_delayed` (two of its six years)."""


def small_delayed(**changes: Any) -> SimConfig:
    """:func:`small` with the history complete only from month 24: delayed entry.

    The same organisations as :func:`small` draw for draw (``history_start_months`` changes
    what is exported, not what is simulated): the export starts two years after the
    organisation, every spell and employment in force then enters late, and the truth
    is that of the observed window. The coverage studies run on both shared sets.
    """
    return small(history_start_months=DELAYED_ENTRY_MONTHS).replace(**changes)


STUDY_UNITS = 40
"""Units of the :func:`study` preset."""

STUDY_SUPERPOPULATION_HEADCOUNT = 120_000
"""``superpopulation_headcount`` of the :func:`study` preset: 300 times its target headcount
(about 139,000 people employed on as-of), which states the gap with a standard error near
0.00044 on the log scale, under half the Monte-Carlo standard error (0.001) of the mean error
in a 200-draw coverage study of the adjusted gap on the preset."""


def study(**changes: Any) -> SimConfig:
    """Many units for the turnover study: 40 units, four adoption cohorts of 8, 8 never adopt.

    About 800 people ever employed over 5 years; units adopt on the first day of months
    15, 24, 33 and 42 (fiscal quarter starts), and the adoption effect grows with time since
    adoption: the voluntary exit hazard ratio moves from 0.85 in the adoption month to 0.55
    two years later (``adoption_hr_final``, ``adoption_ramp_months``). The voluntary exit
    hazard is the same on both tracks and after a switch, and switching does not depend on
    stalling (``voluntary_hr_ic = post_switch_exit_hr = stall_switch_hr = 1``), so adoption
    reaches voluntary exits only through that ratio and the hazard-based targets of
    ``truth["study"]`` are the estimands. The null version
    is ``study(adoption_hr=1.0, adoption_hr_final=1.0)``. ``truth["study"]`` then states the
    target of each Callaway–Sant'Anna aggregation (``cs_targets``).

    The pay model is the default one (the IC penalty removed unit by unit as units adopt,
    the switch raise, gender gaps by track), and with 40 units and about 460 people
    employed on as-of (some 12 per unit) the preset is also the shared set of the pay
    parity study with many clusters: ``truth["pay"]`` of the preset as it is (no
    overrides) states its superpopulation gap (``superpopulation_headcount``,
    :data:`STUDY_SUPERPOPULATION_HEADCOUNT`). A variant (the null, another headcount) does
    not pay for that run unless it sets ``superpopulation_headcount`` itself.
    """
    n = STUDY_UNITS
    cohorts = (15, 24, 33, 42)
    adoption: tuple[int | None, ...] = tuple(
        [None] * (n - 8 * len(cohorts)) + [m for m in cohorts for _ in range(8)]
    )
    base = SimConfig(
        years=5,
        initial_headcount=380,
        target_headcount=400,
        units=tuple(f"Unit{i + 1:02d}" for i in range(n)),
        unit_weights=(1.0,) * n,
        adoption_months=adoption,
        voluntary_hazard=0.012,
        adoption_hr=0.85,
        adoption_hr_final=0.55,
        adoption_ramp_months=24,
        # adoption lifts the IC ceiling, so ICs stall and switch less; were the voluntary
        # hazard to differ by track or after a switch, adoption would also move exits
        # through who is on which track, an effect the hazard-based targets do not count
        # (about a fifth of the effect on this design). Here it moves them through
        # adoption_hr alone.
        stall_switch_hr=1.0,
        voluntary_hr_ic=1.0,
        post_switch_exit_hr=1.0,
        superpopulation_headcount=0 if changes else STUDY_SUPERPOPULATION_HEADCOUNT,
    )
    return base.replace(**changes)


PRESETS = {
    "sample": default,
    "default": default,
    "healthy": healthy,
    "broken": broken,
    "small": small,
    "small_delayed": small_delayed,
    "study": study,
}
"""Preset constructors by name."""


# -- the hazard model -------------------------------------------------------------------------


def ic_top(config: SimConfig, adopted: np.ndarray) -> np.ndarray:
    """Top IC grade given whether the unit has adopted the dual ladder."""
    return np.where(adopted, config.adopted_ic_top, config.ic_grades[1])


def adoption_ratio(config: SimConfig, months_adopted: ArrayLike) -> np.ndarray:
    """Voluntary exit hazard ratio of the dual ladder ``months_adopted`` months after adoption.

    ``adoption_hr`` without a ramp; with one, ``adoption_hr * (adoption_hr_final /
    adoption_hr) ** min(months_adopted / adoption_ramp_months, 1)``.

    Examples
    --------
    >>> c = SimConfig(adoption_hr=0.9, adoption_hr_final=0.6, adoption_ramp_months=24)
    >>> adoption_ratio(c, [0, 24, 48]).round(3).tolist()
    [0.9, 0.6, 0.6]
    """
    c = config
    m = np.asarray(months_adopted, dtype=float)
    if c.adoption_hr_final is None:
        return np.full(m.shape, float(c.adoption_hr))
    ramp = max(int(c.adoption_ramp_months), 1)
    share = np.clip(m / ramp, 0.0, 1.0)
    return c.adoption_hr * (c.adoption_hr_final / c.adoption_hr) ** share


def monthly_hazards(
    config: SimConfig,
    *,
    track: ArrayLike,
    grade: ArrayLike,
    months_in_level: ArrayLike,
    since_switch: ArrayLike,
    female: ArrayLike,
    adopted: ArrayLike,
    stall_months: ArrayLike,
    months_adopted: ArrayLike | None = None,
) -> np.ndarray:
    """Monthly event probabilities of people in a given state.

    Parameters
    ----------
    config
        The simulation parameters.
    track
        0 for IC, 1 for M.
    grade
        Current grade.
    months_in_level
        ``m - (month the current spell started)``, at least 1 for people at risk.
    since_switch
        ``m - (month of the last IC->M switch in this episode)``; ``NEVER`` or more if
        none. Only used for the M track.
    female
        Whether the person is a woman.
    adopted
        Whether the person's unit has adopted the dual ladder by month ``m``.
    stall_months
        Stall threshold per grade (length 10, months).
    months_adopted
        ``m - (adoption month of the person's unit)``; used only with an adoption ramp
        (``adoption_hr_final``), where the ratio depends on it (:func:`adoption_ratio`).

    Returns
    -------
    numpy.ndarray
        Shape ``(n, 6)``: probabilities of promotion, switch to M, switch to IC,
        voluntary, involuntary and other exit in the month (columns as in
        :data:`EVENT_NAMES`). Arrays may broadcast (e.g. ``(P, K)`` inputs give
        ``(P, K, 6)``).

    Notes
    -----
    With ``ic = track == 0``, ``stalled = ic & (months_in_level > stall_months[grade])``
    and ``post = ~ic & (1 <= since_switch <= switch_window_months)``::

        promotion = promotion_hazard[g] * promotion_hr_ic**ic
                    * (months_in_level > promotion_min_months) * (g < top of track)
        to_M      = ic * (g in M grades) * switch_hazard[g]
                    * stall_switch_hr**stalled * switch_hr_female**female
        to_IC     = ~ic * switch_back_hazard * switch_back_early_hr**post
        voluntary = voluntary_hazard * adoption_hr**adopted
                    * (ic ? voluntary_hr_ic * stall_exit_hr**stalled
                          : (post ? voluntary_hr_ic * post_switch_exit_hr : 1))
        involuntary = involuntary_hazard
                    * (ic ? involuntary_hr_ic
                          : (post ? involuntary_hr_ic * post_switch_exit_hr : 1))
        other     = other_exit_hazard * (post ? post_switch_exit_hr : 1)
    """
    c = config
    track, grade, k, since, female, adopted = np.broadcast_arrays(
        np.asarray(track), np.asarray(grade), np.asarray(months_in_level),
        np.asarray(since_switch), np.asarray(female, dtype=bool), np.asarray(adopted, dtype=bool),
    )
    ic = track == 0
    g = grade.astype(np.int64)
    stalled = ic & (k > np.asarray(stall_months)[g])
    post = ~ic & (since >= 1) & (since <= c.switch_window_months)
    top = np.where(ic, ic_top(c, adopted), c.m_grades[1])
    out = np.empty((*g.shape, 6))
    out[..., PROMOTION] = (
        np.asarray(c.promotion_hazard)[g]
        * np.where(ic, c.promotion_hr_ic, 1.0)
        * (k > c.promotion_min_months)
        * (g < top)
    )
    in_m = (g >= c.m_grades[0]) & (g <= c.m_grades[1])
    out[..., TO_M] = (
        ic
        * in_m
        * np.asarray(c.switch_hazard)[g]
        * np.where(stalled, c.stall_switch_hr, 1.0)
        * np.where(female, c.switch_hr_female, 1.0)
    )
    out[..., TO_IC] = ~ic * c.switch_back_hazard * np.where(post, c.switch_back_early_hr, 1.0)
    vol_track = np.where(
        ic,
        c.voluntary_hr_ic * np.where(stalled, c.stall_exit_hr, 1.0),
        np.where(post, c.voluntary_hr_ic * c.post_switch_exit_hr, 1.0),
    )
    if c.adoption_hr_final is None or months_adopted is None:
        ratio: Any = c.adoption_hr
    else:
        ratio = adoption_ratio(c, np.broadcast_to(np.asarray(months_adopted), adopted.shape))
    out[..., EXIT_VOLUNTARY] = (
        c.voluntary_hazard * vol_track * np.where(adopted, ratio, 1.0)
    )
    out[..., EXIT_INVOLUNTARY] = c.involuntary_hazard * np.where(
        ic, c.involuntary_hr_ic, np.where(post, c.involuntary_hr_ic * c.post_switch_exit_hr, 1.0)
    )
    out[..., EXIT_OTHER] = c.other_exit_hazard * np.where(post, c.post_switch_exit_hr, 1.0)
    return out

