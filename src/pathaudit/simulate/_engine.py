"""The monthly loop of the simulated organisation (vectorised over people).

One Python iteration per calendar month; inside it every operation is a numpy
operation over the people employed that month. The loop returns a :class:`RawRun`
of plain arrays (job records, episodes, people, spells with their true start and
end, ratings, and the hazard sums the truth is computed from); turning them into
canonical tables is :mod:`pathaudit.simulate._tables`.

Order of things in month ``m`` (first day ``d0``, length ``L`` days):

1. The people employed on ``d0`` (hired in an earlier month) are at risk. Their
   monthly hazards (:func:`~pathaudit.simulate.config.monthly_hazards`) come from
   their state on ``d0``; one event or none is drawn per person, on a day drawn
   uniformly from ``1..L``.
2. Records dated ``d0``: units adopting this month (IC pay loses the penalty), the
   annual review (pay raise, rating) and reassignment of people whose manager left
   or stopped managing. A person whose event falls on ``d0`` gets no separate
   ``d0`` record: the event's record carries these changes.
3. Events: promotion (grade + 1), switch to M (same grade), switch to IC (same
   grade, or the IC top if lower), exits (termination date = the event day; some
   voluntary leavers are scheduled for rehire).
4. Hires (and rehires) on uniform days of the month; they are at risk from the
   next month.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from pathaudit.simulate.config import (
    EXIT_VOLUNTARY,
    NEVER,
    PROMOTION,
    TO_IC,
    TO_M,
    SimConfig,
    ic_top,
    monthly_hazards,
)

# record reasons (index into REASONS)
HIRE, REHIRE, R_PROMOTION, R_TO_M, R_TO_IC, REVIEW, ADOPTION, MANAGER = range(8)
REASONS: tuple[str, ...] = (
    "Hire",
    "Rehire",
    "Promotion",
    "Transfer to management",
    "Transfer to individual contributor",
    "Annual review",
    "Dual ladder adoption",
    "Manager change",
)
"""Export labels of the record reasons."""

CENSORED = 6
"""Spell end code for a spell still running on the last day."""

N_CELLS = 2 * 10 * 2 * 2 * 2 * 2
"""Risk cells: track x grade x stalled x post-switch x adopted x female."""


def risk_cell(track, grade, stalled, post, adopted, female):  # noqa: D103 - internal
    return (((((track * 10 + grade) * 2 + stalled) * 2 + post) * 2 + adopted) * 2) + female


class _Store:
    """Struct of growable numpy arrays (one row per slot)."""

    def __init__(self, spec: dict[str, tuple[type, object]], capacity: int):
        self._spec = spec
        self.n = 0
        self._capacity = max(int(capacity), 16)
        for name, (dtype, fill) in spec.items():
            setattr(self, name, np.full(self._capacity, fill, dtype=dtype))

    def add(self, k: int) -> np.ndarray:
        if self.n + k > self._capacity:
            new = max(2 * self._capacity, self.n + k)
            for name, (dtype, fill) in self._spec.items():
                old = getattr(self, name)
                arr: np.ndarray = np.full(new, fill, dtype=dtype)
                arr[: self.n] = old[: self.n]
                setattr(self, name, arr)
            self._capacity = new
        idx = np.arange(self.n, self.n + k)
        self.n += k
        return idx

    def trimmed(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name)[: self.n].copy() for name in self._spec}


_SLOT_SPEC: dict[str, tuple[type, object]] = {
    "pid": (np.int64, -1),
    "episode": (np.int64, 0),
    "active": (np.bool_, False),
    "hire_month": (np.int64, 0),
    "hire_day": (np.int64, 0),
    "term_day": (np.int64, -1),
    "term_code": (np.int64, -1),
    "track": (np.int64, 0),
    "grade": (np.int64, 0),
    "unit": (np.int64, 0),
    "family": (np.int64, 0),
    "location": (np.int64, 0),
    "female": (np.bool_, False),
    "fte": (np.float64, 1.0),
    "spell_month": (np.int64, 0),
    "spell_day": (np.int64, 0),
    "switch_month": (np.int64, -NEVER),
    "via_switch": (np.bool_, False),
    "n_reviews": (np.int64, 0),
    "E": (np.float64, 0.0),
    "logpay": (np.float64, 0.0),
    "cap": (np.float64, 0.0),
    "manager": (np.int64, -1),
}

_PERSON_SPEC: dict[str, tuple[type, object]] = {
    "u": (np.float64, 0.0),
    "a": (np.float64, 0.0),
    "prefer_m": (np.bool_, False),
    "prefer_m_p": (np.float64, 0.0),
    "responded": (np.bool_, False),
    "birth_day": (np.int64, 0),
    "last_slot": (np.int64, -1),
    "n_eps": (np.int64, 0),
}


class _Slots(_Store):
    """Slot columns, as declared in ``_SLOT_SPEC``."""

    pid: np.ndarray
    episode: np.ndarray
    active: np.ndarray
    hire_month: np.ndarray
    hire_day: np.ndarray
    term_day: np.ndarray
    term_code: np.ndarray
    track: np.ndarray
    grade: np.ndarray
    unit: np.ndarray
    family: np.ndarray
    location: np.ndarray
    female: np.ndarray
    fte: np.ndarray
    spell_month: np.ndarray
    spell_day: np.ndarray
    switch_month: np.ndarray
    via_switch: np.ndarray
    n_reviews: np.ndarray
    E: np.ndarray
    logpay: np.ndarray
    cap: np.ndarray
    manager: np.ndarray


class _Persons(_Store):
    """Person columns, as declared in ``_PERSON_SPEC``."""

    u: np.ndarray
    a: np.ndarray
    prefer_m: np.ndarray
    prefer_m_p: np.ndarray
    responded: np.ndarray
    birth_day: np.ndarray
    last_slot: np.ndarray
    n_eps: np.ndarray


@dataclass
class RawRun:
    """Everything the monthly loop produced, as plain arrays.

    Attributes
    ----------
    config, seed
        The inputs.
    month_start
        First day of every month (days since 1970-01-01), length ``n_months + 1``.
    stall_months
        The stall threshold per grade that was used.
    slots
        One entry per employment episode (see ``_SLOT_SPEC``; final state).
    persons
        One entry per person.
    records
        Job records: ``slot, day, reason, track, grade, E, logpay, manager``.
    spells
        True spells: ``slot, start_month, start_day, track, grade, unit, female,
        switch_month, end_month, end_day, end_code, delta_E, adopted_at_end``.
    ratings
        ``slot, day, rating``.
    risk
        Hazard sums over observed person-months at risk, by risk cell:
        ``n`` (person-months), ``h`` (expected events, ``(N_CELLS, 6)``), ``events``.
    days_by_track_grade
        Observed employed days by ``(track, grade)``.
    study
        Per ``(unit, month, track)``: ``vol_h`` (sum of voluntary hazards), ``vol_events``,
        ``days`` (employed days), ``n`` (person-months at risk).
    """

    config: SimConfig
    seed: int
    month_start: np.ndarray
    stall_months: np.ndarray
    slots: dict[str, np.ndarray]
    persons: dict[str, np.ndarray]
    records: dict[str, np.ndarray]
    spells: dict[str, np.ndarray]
    ratings: dict[str, np.ndarray]
    risk: dict[str, np.ndarray]
    days_by_track_grade: np.ndarray
    study: dict[str, np.ndarray]
    events: dict[str, int] = field(default_factory=dict)

    @property
    def hs_month(self) -> int:
        """Month index of ``history_start``."""
        return self.config.history_start_months

    @property
    def as_of_day(self) -> int:
        """Last simulated day (days since 1970-01-01)."""
        return int(self.month_start[-1] - 1)


class _Batches:
    """Column batches appended month by month and concatenated once."""

    def __init__(self, names: tuple[str, ...]):
        self.names = names
        self.parts: dict[str, list[np.ndarray]] = {n: [] for n in names}

    def add(self, **cols: np.ndarray) -> None:
        for n in self.names:
            self.parts[n].append(np.asarray(cols[n]))

    def done(self, dtypes: dict[str, type]) -> dict[str, np.ndarray]:
        return {
            n: (np.concatenate(p) if p else np.empty(0, dtype=dtypes.get(n, np.float64)))
            for n, p in self.parts.items()
        }


def _choice(rng: np.random.Generator, weights: ArrayLike, size: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    cum = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cum, rng.random(size), side="right"), len(p) - 1)


class _Engine:
    def __init__(self, config: SimConfig, seed: int, stall_months: np.ndarray):
        self.c = config
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.stall = np.asarray(stall_months, dtype=float)
        c = config
        start = np.datetime64(c.start, "M")
        self.M = c.n_months
        months = np.arange(start, start + np.timedelta64(self.M + 1, "M"))
        self.mstart = months.astype("datetime64[D]").astype(np.int64)
        self.mlen = np.diff(self.mstart)
        self.cal_month = (months[:-1].astype(np.int64) % 12) + 1
        self.adopt = c.adoption_array()
        self.n_units = len(c.units)
        expected = c.initial_headcount + c.target_headcount * 0.25 * c.years * 1.3
        self.S = _Slots(_SLOT_SPEC, int(expected))
        self.P = _Persons(_PERSON_SPEC, int(expected))
        self.records = _Batches(("slot", "day", "reason", "track", "grade", "E", "logpay",
                                 "manager"))
        self.spells = _Batches(("slot", "start_month", "start_day", "track", "grade", "unit",
                                "female", "switch_month", "end_month", "end_day", "end_code",
                                "delta_E", "adopted_at_end"))
        self.ratings = _Batches(("slot", "day", "rating"))
        self.rehire_due = np.empty(0, np.int64)
        self.rehire_pid = np.empty(0, np.int64)
        self.rehire_slot = np.empty(0, np.int64)
        self.risk_n = np.zeros(N_CELLS)
        self.risk_h = np.zeros((N_CELLS, 6))
        self.risk_events = np.zeros((N_CELLS, 6))
        self.days_tg = np.zeros((2, 10))
        self.study_vol_h = np.zeros((self.n_units, self.M, 2))
        self.study_vol_events = np.zeros((self.n_units, self.M, 2))
        self.study_days = np.zeros((self.n_units, self.M, 2))
        self.study_n = np.zeros((self.n_units, self.M, 2))
        # constant pay pieces
        self.log_mid = np.log(c.band_mid(np.arange(10)))
        self.fam_pay = np.asarray(c.job_family_pay, dtype=float)
        self.loc_pay = np.asarray(c.location_pay, dtype=float)
        # slots with an event or a record this month (team take-over leaves them alone)
        self.touched = np.zeros(0, dtype=bool)

    # -- pay --------------------------------------------------------------------------------
    def expected_log_pay(self, idx: np.ndarray, adopted_units: np.ndarray) -> np.ndarray:
        c, S = self.c, self.S
        ic = S.track[idx] == 0
        female = S.female[idx]
        gap = np.where(ic, c.gender_gap_ic, c.gender_gap_m)
        return (
            self.log_mid[S.grade[idx]]
            + np.log1p(-c.ic_pay_penalty) * (ic & ~adopted_units[S.unit[idx]])
            + np.log1p(-gap) * female
            + np.log1p(c.tenure_raise) * S.n_reviews[idx]
            + self.fam_pay[S.family[idx]]
            + self.loc_pay[S.location[idx]]
            + np.log1p(c.switch_raise) * (~ic & S.via_switch[idx])
        )

    def emit(self, idx: np.ndarray, day: np.ndarray, reason: np.ndarray,
             adopted_units: np.ndarray) -> np.ndarray:
        """Write records for slots ``idx``; returns the change in expected log pay."""
        S = self.S
        E = self.expected_log_pay(idx, adopted_units)
        delta = E - S.E[idx]
        logpay = E + self.P.u[S.pid[idx]] + self.rng.normal(0.0, self.c.record_sd, idx.size)
        S.E[idx] = E
        S.logpay[idx] = logpay
        self.records.add(
            slot=idx,
            day=np.broadcast_to(day, idx.shape),
            reason=np.broadcast_to(reason, idx.shape),
            track=S.track[idx], grade=S.grade[idx], E=E, logpay=logpay, manager=S.manager[idx],
        )
        return delta

    # -- managers ---------------------------------------------------------------------------
    def eligible_managers(self) -> np.ndarray:
        S = self.S
        n = S.n
        return np.flatnonzero(S.active[:n] & (S.track[:n] == 1) & (S.cap[:n] > 0))

    def assign(self, idx: np.ndarray, elig: np.ndarray) -> None:
        """Give each slot in ``idx`` a manager (same unit if possible), by span capacity."""
        S, rng = self.S, self.rng
        if idx.size == 0:
            return
        out = np.full(idx.size, -1, dtype=np.int64)
        # an IC reports to a manager of equal or higher grade, a manager to a higher grade
        grade = S.grade[idx] - (S.track[idx] == 0)
        unit = S.unit[idx]
        # same unit first, then the whole organisation
        groups = [(u, unit == u, elig[S.unit[elig] == u]) for u in range(self.n_units)]
        for _u, who_mask, mgr in [*groups, (-1, None, elig)]:
            who = np.flatnonzero(who_mask & (out < 0)) if who_mask is not None else (
                np.flatnonzero(out < 0))
            if who.size == 0 or mgr.size == 0:
                continue
            order = np.argsort(S.grade[mgr], kind="stable")
            mgr = mgr[order]
            mg = S.grade[mgr]
            cum = np.cumsum(S.cap[mgr])
            lo = np.searchsorted(mg, grade[who], side="right")
            ok = lo < mgr.size
            who, lo = who[ok], lo[ok]
            base = np.where(lo > 0, cum[np.maximum(lo - 1, 0)], 0.0)
            r = base + rng.random(who.size) * (cum[-1] - base)
            pick = np.minimum(np.searchsorted(cum, r, side="right"), mgr.size - 1)
            pick = np.maximum(pick, lo)
            out[who] = S.pid[mgr[pick]]
        S.manager[idx] = out

    def new_capacity(self, k: int) -> np.ndarray:
        nominal = self.rng.random(k) < self.c.nominal_manager_share
        return np.where(nominal, 0.0, self.rng.gamma(8.0, 0.125, k))

    def enter_m(self, mgrs: np.ndarray, day: np.ndarray, adopted_units: np.ndarray) -> None:
        """New managers with a span take a team over on the day they enter the M track."""
        if mgrs.size == 0:
            return
        moved, by = self.take_over(mgrs)
        if moved.size:
            when = dict(zip(mgrs.tolist(), np.asarray(day).tolist(), strict=True))
            days = np.array([when[int(b)] for b in by], dtype=np.int64)
            self.emit(moved, days, np.full(moved.size, MANAGER), adopted_units)

    def touch(self, idx: np.ndarray) -> None:
        """Mark slots as having an event or a record this month."""
        if self.touched.size < self.S.n:
            grown = np.zeros(max(2 * self.touched.size, self.S.n), dtype=bool)
            grown[: self.touched.size] = self.touched
            self.touched = grown
        self.touched[idx] = True

    def take_over(self, mgrs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Managers ``mgrs`` (slots with a span) with too few reports take some over.

        Returns the slots moved and, for each, the slot of its new manager. Candidates:
        people of the manager's unit who may report to them (ICs of equal or lower grade,
        managers of lower grade), not touched this month, with no manager first, then
        from the largest team with more than ``team_takeover_reports`` reports.
        """
        S, rng, r = self.S, self.rng, self.c.team_takeover_reports
        self.touch(np.empty(0, dtype=np.int64))
        act = np.flatnonzero(S.active[: S.n])
        cur = S.manager[act]
        counts = np.bincount(cur[cur >= 0], minlength=self.P.n).astype(np.int64)
        moved, new_mgr = [], []
        for s in mgrs:
            pid = S.pid[s]
            need = r - counts[pid]
            if need <= 0:
                continue
            g = S.grade[s]
            ok = (
                (S.unit[act] == S.unit[s]) & ~self.touched[act] & (act != s) & (cur != pid)
                & np.where(S.track[act] == 0, S.grade[act] <= g, S.grade[act] < g)
            )
            cand = np.flatnonzero(ok)
            for _ in range(int(need)):
                if cand.size == 0:
                    break
                donor = cur[cand]
                surplus = np.where(donor >= 0, counts[np.maximum(donor, 0)] - r, NEVER)
                best = np.flatnonzero(surplus == surplus.max())
                if surplus[best[0]] <= 0:
                    break
                j = cand[best[rng.integers(best.size)]]
                if cur[j] >= 0:
                    counts[cur[j]] -= 1
                counts[pid] += 1
                cur[j] = pid
                S.manager[act[j]] = pid
                moved.append(act[j])
                new_mgr.append(s)
                cand = cand[cand != j]
        out = np.asarray(moved, dtype=np.int64)
        self.touch(out)
        return out, np.asarray(new_mgr, dtype=np.int64)

    # -- hiring -----------------------------------------------------------------------------
    def hire(self, m: int, n_new: int, founders: bool) -> None:
        c, S, P, rng = self.c, self.S, self.P, self.rng
        d0, L = self.mstart[m], self.mlen[m]
        due = self.rehire_due == m
        r_pid, r_slot = self.rehire_pid[due], self.rehire_slot[due]
        keep = ~due
        self.rehire_due, self.rehire_pid, self.rehire_slot = (
            self.rehire_due[keep], self.rehire_pid[keep], self.rehire_slot[keep])
        k_re, k = r_pid.size, n_new
        idx = S.add(k_re + k)
        re, new = idx[:k_re], idx[k_re:]
        # rehires: same person, same job as at exit
        for name in ("track", "grade", "unit", "family", "location", "female", "fte"):
            getattr(S, name)[re] = getattr(S, name)[r_slot]
        S.pid[re] = r_pid
        S.episode[re] = P.n_eps[r_pid]
        # new people
        pid = P.add(k)
        if founders:
            m_share, ic_w, m_w = c.initial_m_share, c.initial_ic_weights, c.initial_m_weights
        else:
            m_share, ic_w, m_w = c.m_hire_share, c.ic_hire_weights, c.m_hire_weights
        is_m = rng.random(k) < m_share
        grade = np.where(is_m, _choice(rng, m_w, k), _choice(rng, ic_w, k))
        S.pid[new] = pid
        S.episode[new] = 0
        S.track[new] = is_m.astype(np.int64)
        S.grade[new] = grade
        S.unit[new] = _choice(rng, c.unit_weights, k)
        S.family[new] = _choice(rng, c.job_family_weights, k)
        S.location[new] = _choice(rng, c.location_weights, k)
        S.female[new] = rng.random(k) < np.where(is_m, c.female_share_m, c.female_share_ic)
        S.fte[new] = np.where(rng.random(k) < c.part_time_share, c.part_time_fte, 1.0)
        P.u[pid] = rng.normal(0.0, c.person_sd, k)
        P.a[pid] = rng.normal(0.0, c.rating_sd_person, k)
        P.prefer_m_p[pid] = np.where(is_m, c.prefer_m_m, c.prefer_m_ic)
        P.prefer_m[pid] = rng.random(k) < P.prefer_m_p[pid]
        P.responded[pid] = rng.random(k) < c.preference_response_rate
        age = np.maximum(20.0, 23.0 + 2.5 * (grade - 2) + rng.normal(0.0, 3.0, k))
        # common to both
        day = d0 + rng.integers(0, L, idx.size)
        S.active[idx] = True
        S.hire_month[idx] = m
        S.hire_day[idx] = day
        S.spell_month[idx] = m
        S.spell_day[idx] = day
        S.switch_month[idx] = -NEVER
        S.via_switch[idx] = False
        S.n_reviews[idx] = 0
        S.E[idx] = 0.0
        S.cap[idx] = np.where(S.track[idx] == 1, self.new_capacity(idx.size), 0.0)
        P.birth_day[pid] = day[k_re:] - np.round(age * 365.25).astype(np.int64)
        P.last_slot[S.pid[idx]] = idx
        P.n_eps[S.pid[idx]] += 1
        adopted_units = self.adopt <= m
        self.assign(idx, self.eligible_managers())
        reason = np.where(np.arange(idx.size) < k_re, REHIRE, HIRE)
        self.emit(idx, day, reason, adopted_units)
        if c.team_takeover_reports:
            self.touch(idx)
            lead = (S.track[idx] == 1) & (S.cap[idx] > 0)
            self.enter_m(idx[lead], day[lead], adopted_units)
        if m >= self.c.history_start_months:
            self.add_days(m, S.track[idx], S.grade[idx], S.unit[idx], self.mstart[m + 1] - day)

    def add_days(self, m: int, track: np.ndarray, grade: np.ndarray, unit: np.ndarray,
                 days: np.ndarray) -> None:
        """Add employed days in month ``m`` by (track, grade) and by (unit, track)."""
        days = days.astype(float)
        self.days_tg += np.bincount(track * 10 + grade, weights=days, minlength=20).reshape(2, 10)
        self.study_days[:, m, :] += np.bincount(
            unit * 2 + track, weights=days, minlength=2 * self.n_units).reshape(self.n_units, 2)

    # -- one month --------------------------------------------------------------------------
    def month(self, m: int) -> None:  # noqa: C901 - one linear step, documented in the module
        c, S, P, rng = self.c, self.S, self.P, self.rng
        d0, L = self.mstart[m], self.mlen[m]
        adopted_units = self.adopt <= m
        observed = m >= c.history_start_months
        act = np.flatnonzero(S.active[: S.n])
        elig = self.eligible_managers()
        self.touched[:] = False
        if act.size:
            tr, g, un = S.track[act], S.grade[act], S.unit[act]
            k = m - S.spell_month[act]
            since = m - S.switch_month[act]
            fem = S.female[act]
            ad = adopted_units[un]
            H = monthly_hazards(c, track=tr, grade=g, months_in_level=k, since_switch=since,
                                female=fem, adopted=ad, stall_months=self.stall,
                                months_adopted=m - self.adopt[un])
            u = rng.random(act.size)
            ev = (u[:, None] >= np.cumsum(H, axis=1)).sum(axis=1)
            day = rng.integers(1, L + 1, act.size)
            has = ev < 6
            if observed:
                stalled = (tr == 0) & (k > self.stall[g])
                post = (tr == 1) & (since >= 1) & (since <= c.switch_window_months)
                cell = risk_cell(tr, g, stalled.astype(int), post.astype(int), ad.astype(int),
                                 fem.astype(int))
                self.risk_n += np.bincount(cell, minlength=N_CELLS)
                for j in range(6):
                    self.risk_h[:, j] += np.bincount(cell, weights=H[:, j], minlength=N_CELLS)
                    self.risk_events[:, j] += np.bincount(cell[ev == j], minlength=N_CELLS)
                # employed days in the month by track (a switch splits the month)
                old_days = np.where(~has, L, np.where(ev >= 3, day, day - 1))
                new_days = np.where(has & (ev < 3), L - day + 1, 0)
                new_track = np.where(ev == TO_M, 1, np.where(ev == TO_IC, 0, tr))
                new_grade = np.where(ev == PROMOTION, g + 1, g)
                self.add_days(m, tr, g, un, old_days)
                self.add_days(m, new_track, new_grade, un, new_days)
                ut = un * 2 + tr
                shape = (self.n_units, 2)
                size = 2 * self.n_units
                self.study_vol_h[:, m, :] += np.bincount(
                    ut, weights=H[:, EXIT_VOLUNTARY], minlength=size).reshape(shape)
                self.study_vol_events[:, m, :] += np.bincount(
                    ut[ev == EXIT_VOLUNTARY], minlength=size).reshape(shape)
                self.study_n[:, m, :] += np.bincount(ut, minlength=size).reshape(shape)
            # records dated the first of the month
            reason1 = np.full(act.size, MANAGER)
            mgr = S.manager[act]
            ms = np.where(mgr >= 0, P.last_slot[np.maximum(mgr, 0)], 0)
            valid = S.active[ms] & (S.track[ms] == 1) & (S.cap[ms] > 0)
            invalid = (mgr >= 0) & ~valid
            rec1 = invalid.copy()
            if self.cal_month[m] == c.review_month and m > 0:
                tenure = m - S.hire_month[act]
                rev = tenure >= c.review_min_months
                S.n_reviews[act[rev]] += 1
                rec1 |= rev
                reason1[rev] = REVIEW
                rated = act[tenure >= c.rating_min_months]
                self.rate(rated, m)
            adopting = self.adopt == m
            if adopting.any():
                ad_rec = (tr == 0) & adopting[un]
                rec1 |= ad_rec
                reason1[ad_rec] = ADOPTION
            rec1 &= ~(has & (day == 1))
            self.assign(act[invalid & rec1], elig)
            if c.team_takeover_reports:
                self.touch(act[has])
                moved, _ = self.take_over(elig)
                rec1 |= np.isin(act, moved)
                self.touch(act[rec1])
            if rec1.any():
                self.emit(act[rec1], d0, reason1[rec1], adopted_units)
            if has.any():
                self.events(m, act[has], ev[has], day[has], adopted_units, elig)

        n_active = int(S.active[: S.n].sum())
        if m == 0:
            n_new = c.initial_headcount
        else:
            target = c.target_headcount * (1.0 + c.headcount_growth) ** (m / 12.0)
            n_due = int((self.rehire_due == m).sum())
            n_new = int(rng.poisson(max(target - n_active - n_due, 0.0)))
        self.hire(m, n_new, founders=(m == 0))

    def rate(self, idx: np.ndarray, m: int) -> None:
        c, S, rng = self.c, self.S, self.rng
        since = m - S.switch_month[idx]
        shifted = (S.track[idx] == 1) & S.via_switch[idx] & (since >= 1) & (
            since <= c.switch_window_months)
        latent = self.P.a[S.pid[idx]] + c.switch_rating_shift * shifted
        rating = np.clip(np.rint(3.0 + latent + rng.normal(0.0, c.rating_sd_noise, idx.size)),
                         1, 5)
        self.ratings.add(slot=idx, day=np.full(idx.size, self.mstart[m]), rating=rating)

    def events(self, m: int, idx: np.ndarray, ev: np.ndarray, day: np.ndarray,
               adopted_units: np.ndarray, elig: np.ndarray) -> None:
        c, S, rng = self.c, self.S, self.rng
        date = self.mstart[m] + day - 1
        spell_cols = dict(
            slot=idx, start_month=S.spell_month[idx], start_day=S.spell_day[idx],
            track=S.track[idx].copy(), grade=S.grade[idx].copy(), unit=S.unit[idx],
            female=S.female[idx], switch_month=S.switch_month[idx].copy(),
            end_month=np.full(idx.size, m), end_day=date, end_code=ev,
            adopted_at_end=adopted_units[S.unit[idx]],
        )
        delta = np.full(idx.size, np.nan)
        # exits
        ex = ev >= EXIT_VOLUNTARY
        e_idx = idx[ex]
        S.active[e_idx] = False
        S.term_day[e_idx] = date[ex]
        S.term_code[e_idx] = ev[ex] - EXIT_VOLUNTARY
        vol = e_idx[ev[ex] == EXIT_VOLUNTARY]
        back = vol[rng.random(vol.size) < c.rehire_share]
        lo, hi = c.rehire_gap_months
        due = m + rng.integers(lo, hi + 1, back.size)
        self.rehire_due = np.concatenate([self.rehire_due, due])
        self.rehire_pid = np.concatenate([self.rehire_pid, S.pid[back]])
        self.rehire_slot = np.concatenate([self.rehire_slot, back])
        # moves
        mv = ~ex
        m_idx, m_ev = idx[mv], ev[mv]
        if m_idx.size:
            promo = m_idx[m_ev == PROMOTION]
            S.grade[promo] += 1
            to_m = m_idx[m_ev == TO_M]
            S.track[to_m] = 1
            S.via_switch[to_m] = True
            S.switch_month[to_m] = m
            S.cap[to_m] = self.new_capacity(to_m.size)
            if c.prefer_m_switcher is not None:
                pid_m = S.pid[to_m]
                self.P.prefer_m_p[pid_m] = c.prefer_m_switcher
                self.P.prefer_m[pid_m] = rng.random(to_m.size) < c.prefer_m_switcher
            to_ic = m_idx[m_ev == TO_IC]
            top = ic_top(c, adopted_units[S.unit[to_ic]])
            S.track[to_ic] = 0
            S.grade[to_ic] = np.minimum(S.grade[to_ic], top)
            S.via_switch[to_ic] = False
            S.cap[to_ic] = 0.0
            S.spell_month[m_idx] = m
            S.spell_day[m_idx] = date[mv]
            self.assign(m_idx, elig)
            reason = np.choose(m_ev, [R_PROMOTION, R_TO_M, R_TO_IC])
            delta[mv] = self.emit(m_idx, date[mv], reason, adopted_units)
            if c.team_takeover_reports:
                self.touch(idx)
                lead = (m_ev == TO_M) & (S.cap[m_idx] > 0)
                self.enter_m(m_idx[lead], date[mv][lead], adopted_units)
        self.spells.add(**spell_cols, delta_E=delta)

    def run(self) -> RawRun:
        for m in range(self.M):
            self.month(m)
        S = self.S
        act = np.flatnonzero(S.active[: S.n])
        adopted_end = self.adopt <= self.M - 1
        self.spells.add(
            slot=act, start_month=S.spell_month[act], start_day=S.spell_day[act],
            track=S.track[act], grade=S.grade[act], unit=S.unit[act], female=S.female[act],
            switch_month=S.switch_month[act], end_month=np.full(act.size, self.M),
            end_day=np.full(act.size, self.mstart[-1]), end_code=np.full(act.size, CENSORED),
            delta_E=np.full(act.size, np.nan), adopted_at_end=adopted_end[S.unit[act]],
        )
        i8 = np.int64
        rec = self.records.done({"slot": i8, "day": i8, "reason": i8, "track": i8, "grade": i8,
                                 "manager": i8})
        order = np.lexsort((np.arange(rec["slot"].size), rec["day"], self.S.pid[rec["slot"]]))
        rec = {k: v[order] for k, v in rec.items()}
        spells = self.spells.done({})
        return RawRun(
            config=self.c,
            seed=self.seed,
            month_start=self.mstart,
            stall_months=self.stall,
            slots=S.trimmed(),
            persons=self.P.trimmed(),
            records=rec,
            spells=spells,
            ratings=self.ratings.done({"slot": i8, "day": i8}),
            risk={"n": self.risk_n, "h": self.risk_h, "events": self.risk_events},
            days_by_track_grade=self.days_tg,
            study={"vol_h": self.study_vol_h, "vol_events": self.study_vol_events,
                   "days": self.study_days, "n": self.study_n},
        )


def run(config: SimConfig, seed: int, stall_months: np.ndarray) -> RawRun:
    """Run the monthly loop.

    Parameters
    ----------
    config
        Simulation parameters.
    seed
        Seed of the random generator (PCG64).
    stall_months
        Stall threshold per grade (length 10, months).

    Returns
    -------
    RawRun
        The arrays the loop produced.
    """
    return _Engine(config, seed, stall_months).run()
