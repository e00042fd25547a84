"""The UK gender pay gap report: :func:`uk_gender_pay_gap`.

The six figures of the Equality Act 2010 (Gender Pay Gap Information) Regulations 2017
(SI 2017/172; public bodies: SI 2017/353), overall and within each track, with a Kitagawa
decomposition of the mean hourly gap. Definitions: ``docs/pay-gap-reporting.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.checks import (
    check_alpha,
    check_choice,
    check_data,
    check_k,
    check_number,
    check_parts,
)
from pathaudit.data import AuditData
from pathaudit.errors import ArgumentError
from pathaudit.parts import NotComputed, PartSpec, compute_parts
from pathaudit.paygap._eu import NO_GENDER
from pathaudit.paygap._formulas import bonus_figures, kitagawa, quartiles
from pathaudit.paygap._frame import Assumptions, has_values, uk_frame
from pathaudit.paygap._gaps import (
    GAP_COUNTS,
    MEDIAN_RULE,
    Run,
    Stats,
    gap_row,
    headcount_table,
    scoped,
    split,
)
from pathaudit.paygap._plots import plot_hourly_gaps, plot_quartiles
from pathaudit.paygap._result import UK_PARTS, UKGenderPayGapResult
from pathaudit.result import Note, Result
from pathaudit.stats import BOOTSTRAP_B, BOOTSTRAP_SEED, wilson_ci

REPORTING_THRESHOLD = 250
"""Relevant employees on the snapshot date from which an employer must report (reg 1(2))."""

NO_BONUS = (
    "the export has no bonus_paid with bonus_paid_date (bonus pay actually paid, reg 4); a "
    "target bonus (variable_pay) is not what the regulations count. Map the bonus payments "
    "to compute the bonus figures"
)
"""Why the bonus figures are not computed without bonuses paid."""

DEFINITIONS: dict[str, str] = {
    "headcount": (
        "Relevant employees (employed on the snapshot date {snapshot}) by scope and sex "
        "group; estimate = share of the scope. Full-pay relevant employees (not on "
        "reduced-pay leave in the relevant pay period) enter the hourly figures; all "
        "relevant employees the bonus figures."
    ),
    "pay_gaps": (
        "Regs 8-9: (men's - women's) mean/median hourly pay as a share of men's, over "
        "full-pay relevant employees. Hourly pay (regs 3-6): ordinary pay plus bonus paid "
        "in the relevant pay period (the calendar month of the snapshot date), pro-rated "
        "to a week as relating to a year, over weekly hours."
    ),
    "bonus": (
        "Regs 10-11: mean and median bonus gap among relevant employees paid a bonus in "
        "the 12 months ending on the snapshot date; reg 12: the share of each sex paid a "
        "bonus, over that sex's relevant employees."
    ),
    "quartiles": (
        "Reg 13: full-pay relevant employees ranked by hourly pay into four quartile pay "
        "bands of N/4 people each (fractions kept); people with the same hourly rate across "
        "a boundary are split with their own male/female mix (reg 13(2)); estimate = "
        "share of women in the band."
    ),
    "decomposition": (
        "Kitagawa decomposition of the mean hourly gap (share of men's mean) over "
        "track x grade cells: within = the gap at the pooled distribution over cells with "
        "both sexes; composition = total - within. Means only."
    ),
}
"""The definition of every part."""

GAP_METHOD = (
    "mean gap: Fieller interval (t, Welch df), permutation of gender within scope "
    "({permutations} permutations, seed {seed}) for the p-value and the minimum detectable "
    "gap; median gap: percentile bootstrap within sex (B = {bootstrap}); the legal figure is "
    "the point value"
)


@dataclass
class _UK:
    data: AuditData
    snapshot: pd.Timestamp
    assume: Assumptions
    stats: Stats
    employer: str | None
    run: Run

    @property
    def texts(self) -> Mapping[str, Any]:
        return self.run.texts

    @property
    def common(self) -> Mapping[str, Any]:
        return self.run.common

    @cached_property
    def relevant(self) -> pd.DataFrame:
        f = uk_frame(self.data, self.snapshot, self.assume)
        if self.employer is not None:
            f = f.loc[(f["legal_employer"] == self.employer).fillna(False).to_numpy()]
        return f.loc[(f["base"] > 0).to_numpy() & (f["weekly_hours"] > 0).to_numpy()]

    @cached_property
    def compared(self) -> pd.DataFrame:
        r = self.relevant
        return r.loc[r["sex"].isin(["men", "women"]).to_numpy()]

    @cached_property
    def full_pay(self) -> pd.DataFrame:
        return self.compared.loc[self.compared["full_pay"].to_numpy()]


def _headcount(run: _UK, spec: PartSpec[_UK]) -> Result:
    return run.run.build(spec, headcount_table(run.relevant), complementary_by=["scope"])


def _pay_gaps(run: _UK, spec: PartSpec[_UK]) -> Result:
    rows, salt = [], 0
    for scope, sub in scoped(run.full_pay):
        men, women = split(sub, "hourly")
        for stat in ("mean", "median"):
            salt += 1
            rows.append({"scope": scope} | gap_row(men, women, stat, run.stats, salt))
    return run.run.build(spec, pd.DataFrame(rows), n_col=GAP_COUNTS, quantiles=MEDIAN_RULE)


def _bonus(run: _UK, spec: PartSpec[_UK]) -> Result | NotComputed:
    if not has_values(run.data, "bonus_paid"):
        return NotComputed(NO_BONUS)
    rows, salt = [], 100
    for scope, sub in scoped(run.compared):
        paid = sub.loc[(sub["bonus_12m"] > 0).to_numpy()]
        men, women = split(paid, "bonus_12m")
        for stat in ("mean", "median"):
            salt += 1
            row = gap_row(men, women, stat, run.stats, salt)
            rows.append({"scope": scope, "measure": f"{stat} bonus gap"} | row)
        f = bonus_figures(sub["bonus_12m"], (sub["sex"] == "women").to_numpy())
        for sex in ("women", "men"):
            got, n = f[f"{sex}_paid"], f[sex]
            lo, hi = wilson_ci(got, n, alpha=run.stats.alpha)
            rows.append(
                {
                    "scope": scope,
                    "measure": f"share of {sex} paid a bonus",
                    "statistic": "share",
                    "estimate": f[f"share_{sex}"],
                    "ci_lower": float(lo),
                    "ci_upper": float(hi),
                    "n": int(n),
                    # a share is about one sex: its headcount is the count it rests on
                    "n_men": int(n),
                    "n_women": int(n),
                }
            )
    table = pd.DataFrame(rows)
    cols = [
        "scope",
        "measure",
        "statistic",
        "estimate",
        "ci_lower",
        "ci_upper",
        "n",
        "n_men",
        "n_women",
        "men_value",
        "women_value",
        "p_value",
        "mde",
    ]
    # a gap needs k men and k women paid a bonus; a share, k people of its sex
    return run.run.build(spec, table[cols], n_col=GAP_COUNTS, quantiles=MEDIAN_RULE)


def _quartiles(run: _UK, spec: PartSpec[_UK]) -> Result:
    frames = []
    for scope, sub in scoped(run.full_pay):
        if sub.empty:
            continue
        q = quartiles(sub["hourly"], (sub["sex"] == "women").to_numpy())
        frames.append(q.drop(columns=["lower_rate", "upper_rate"]).assign(scope=scope))
    table = pd.concat(frames, ignore_index=True)
    table = table.assign(estimate=table["share_women"], ci_lower=np.nan, ci_upper=np.nan)
    cols = [
        "scope",
        "quartile",
        "estimate",
        "ci_lower",
        "ci_upper",
        "n",
        "women",
        "men",
        "share_women",
        "share_men",
    ]
    return run.run.build(spec, table[cols])


def _decomposition(run: _UK, spec: PartSpec[_UK]) -> Result:
    d = run.full_pay.assign(is_woman=(run.full_pay["sex"] == "women").to_numpy())
    parts = kitagawa(d, cell=["track", "grade"], pay="hourly")
    n_w = int(d["is_woman"].sum())
    rows = [
        {
            "part": p,
            "estimate": parts[p],
            "ci_lower": np.nan,
            "ci_upper": np.nan,
            "n": len(d),
            "n_men": len(d) - n_w,
            "n_women": n_w,
            "cells_both": parts["cells_both"],
        }
        for p in ("total", "composition", "within")
    ]
    return run.run.build(spec, pd.DataFrame(rows), n_col=GAP_COUNTS)


def _needs_gender(compute: Any) -> Any:
    def part(run: _UK, spec: PartSpec[_UK]) -> Result | NotComputed:
        if run.full_pay.empty or run.full_pay["sex"].nunique() < 2:
            return NotComputed(
                NO_GENDER
                if run.relevant["sex"].isin(["unknown"]).all()
                else "no full-pay relevant men or no women on the snapshot date"
            )
        return compute(run, spec)

    return part


SPECS: tuple[PartSpec[_UK], ...] = (
    PartSpec(
        "headcount",
        "UK gender pay gap: relevant employees by sex group",
        DEFINITIONS["headcount"],
        "counts",
        _headcount,
        groups=("scope", "sex"),
    ),
    PartSpec(
        "pay_gaps",
        "UK gender pay gap: hourly pay gaps (regs 8-9)",
        DEFINITIONS["pay_gaps"],
        GAP_METHOD,
        _needs_gender(_pay_gaps),
        groups=("scope", "statistic"),
        plotter=plot_hourly_gaps,
    ),
    PartSpec(
        "bonus",
        "UK gender pay gap: bonus gaps and bonus shares (regs 10-12)",
        DEFINITIONS["bonus"],
        GAP_METHOD + "; shares: Wilson interval",
        _needs_gender(_bonus),
        groups=("scope", "measure", "statistic"),
    ),
    PartSpec(
        "quartiles",
        "UK gender pay gap: quartile pay bands (reg 13)",
        DEFINITIONS["quartiles"],
        "exact fractional split at ties (no interval)",
        _needs_gender(_quartiles),
        groups=("scope", "quartile"),
        plotter=plot_quartiles,
    ),
    PartSpec(
        "decomposition",
        "UK gender pay gap: gap from track and grade mix",
        DEFINITIONS["decomposition"],
        "Kitagawa (1955), pooled reference distribution",
        _needs_gender(_decomposition),
        groups=("part",),
    ),
)
"""The parts of the UK report, in report order."""


def snapshot_date(as_of: pd.Timestamp, public_body: bool = False) -> pd.Timestamp:
    """The latest snapshot date on or before ``as_of``: 5 April (31 March for public bodies).

    Examples
    --------
    >>> snapshot_date(pd.Timestamp("2025-12-31"))
    Timestamp('2025-04-05 00:00:00')
    >>> snapshot_date(pd.Timestamp("2025-04-01"), public_body=True)
    Timestamp('2025-03-31 00:00:00')
    """
    month, day = (3, 31) if public_body else (4, 5)
    this = pd.Timestamp(as_of.year, month, day)
    return this if this <= as_of else pd.Timestamp(as_of.year - 1, month, day)


def uk_gender_pay_gap(
    data: AuditData,
    *,
    snapshot: Any = None,
    public_body: bool = False,
    legal_employer: str | None = None,
    full_time_hours: float = 37.5,
    threshold: float = 0.05,
    alpha: float = 0.05,
    k: int | None = None,
    bootstrap: int = BOOTSTRAP_B,
    permutations: int = 999,
    seed: int = BOOTSTRAP_SEED,
    filing: bool = False,
    parts: Sequence[str] | None = None,
) -> UKGenderPayGapResult:
    """The six figures of the UK gender pay gap regulations, track-aware.

    Parameters
    ----------
    data
        Loaded dataset (history or snapshot).
    snapshot
        Snapshot date; default the latest 5 April (31 March with ``public_body``) on or
        before as-of.
    public_body
        A listed public authority (SI 2017/353: snapshot 31 March); True or False.
    legal_employer
        The legal employer to report on (a value of ``legal_employer``); needed when the
        export holds several. Without the column the export is taken as one employer.
    full_time_hours
        Weekly hours of a full-time employee, used as ``fte * full_time_hours`` where the
        export has no ``contracted_hours``.
    threshold
        The band the gaps are read against (the UK sets none; default the EU's 0.05).
    alpha, k, bootstrap, permutations, seed
        Interval level, minimum cell size, bootstrap resamples, permutations, seed.
    filing
        Also build the unsuppressed filing output (``res.filing``, marked restricted).
    parts
        Parts to compute (default: all of :data:`~pathaudit.paygap.UK_PARTS`).

    Returns
    -------
    UKGenderPayGapResult
        The parts, notes and ``headline()`` (keys ``uk_mean_hourly_gap`` (primary),
        ``uk_median_hourly_gap``, ``uk_mean_bonus_gap``, ``uk_median_bonus_gap``,
        ``uk_bonus_share_women``, ``uk_bonus_share_men``,
        ``uk_upper_quartile_share_women``).

    Raises
    ------
    ArgumentError
        An invalid argument (what must hold, what was found, the fix).

    Examples
    --------
    >>> res = pathaudit.uk_gender_pay_gap(data)  # doctest: +SKIP
    >>> res.part("quartiles").table  # doctest: +SKIP
    """
    data = check_data(data, "uk_gender_pay_gap")
    alpha = check_alpha(alpha)
    k = check_k(k, data)
    threshold = float(check_number(threshold, "threshold", low=0, high=1, low_open=True))
    hours = float(check_number(full_time_hours, "full_time_hours", low=0, high=168, low_open=True))
    bootstrap = int(check_number(bootstrap, "bootstrap", low=0, integer=True))
    permutations = int(check_number(permutations, "permutations", low=0, integer=True))
    seed = int(check_number(seed, "seed", low=0, integer=True))
    check_choice(public_body, "public_body", (True, False))
    check_choice(filing, "filing", (True, False))
    want = check_parts(parts, UK_PARTS)
    if snapshot is None:
        when = snapshot_date(data.as_of, bool(public_body))
    else:
        try:
            when = pd.Timestamp(snapshot).normalize()
        except (TypeError, ValueError) as err:
            raise ArgumentError(f"snapshot must be a date; got {snapshot!r}.") from err
        if when > data.as_of:
            raise ArgumentError(
                f"snapshot {when.date()} is after the data's as-of {data.as_of.date()}; pass "
                "a date on or before it."
            )
    employers = (
        sorted(data.history["legal_employer"].dropna().astype(str).unique())
        if "legal_employer" in data.history
        else []
    )
    if legal_employer is not None:
        check_choice(legal_employer, "legal_employer", employers)
    elif len(employers) > 1:
        raise ArgumentError(
            f"The export holds {len(employers)} legal employers ({employers[:5]}); each "
            "reports on its own. Pass legal_employer= with one of them."
        )
    texts = {
        "k": k,
        "snapshot": str(when.date()),
        "bootstrap": bootstrap,
        "permutations": permutations,
        "seed": seed,
    }
    population = f"relevant employees: employed on the snapshot date {when.date()}"
    common = {"data": data, "alpha": alpha, "k": k, "population": population}
    run = _UK(
        data,
        when,
        Assumptions(hours, False),
        Stats(alpha, bootstrap, permutations, seed),
        legal_employer,
        Run(texts, common, filing),
    )
    out, notes = compute_parts(SPECS, want, run)
    notes = _assumption_notes(run) + notes
    notes += [
        Note("not computed", f"not asked for (parts={list(want)})", p)
        for p in UK_PARTS
        if p not in out and p not in {n.part for n in notes if n.kind == "not computed"}
    ]
    settings = {
        "alpha": alpha,
        "k": k,
        "threshold": threshold,
        "snapshot": str(when.date()),
        "relevant_employees": len(run.relevant),
    }
    twin = None
    if filing:
        twin = UKGenderPayGapResult(
            **dict[str, Any](run.run.unsuppressed),
            notes=tuple(notes),
            settings=settings | {"restricted": True},
        )
    return UKGenderPayGapResult(
        **dict[str, Any](out), notes=tuple(notes), filing=twin, settings=settings
    )


def _assumption_notes(run: _UK) -> list[Note]:
    data, notes = run.data, []
    n = len(run.relevant)
    if n < REPORTING_THRESHOLD:
        notes.append(
            Note(
                "caveat",
                (
                    f"{n} relevant employees on the snapshot date: below the {REPORTING_THRESHOLD} "
                    "from which an employer must report (the figures are shown all the same)."
                ),
                "",
            )
        )
    if not has_values(data, "legal_employer"):
        notes.append(
            Note(
                "caveat",
                (
                    "The export has no legal_employer: everyone in it is taken as employed by one "
                    "relevant employer (in Great Britain)."
                ),
                "",
            )
        )
    if not has_values(data, "contracted_hours"):
        notes.append(
            Note(
                "caveat",
                (
                    "Weekly hours: the export has no contracted_hours, so they are taken as fte x "
                    f"{run.assume.full_time_hours:g} (full_time_hours); the gaps and quartiles "
                    "do not "
                    "depend on that value."
                ),
                "pay_gaps",
            )
        )
    if not has_values(data, "reduced_pay_leave"):
        notes.append(
            Note(
                "caveat",
                (
                    "Full-pay relevant employees: the export has no reduced_pay_leave flag, so "
                    "every "
                    "relevant employee is taken as on full pay in the relevant pay period."
                ),
                "pay_gaps",
            )
        )
    if not has_values(data, "bonus_paid"):
        notes.append(
            Note(
                "caveat",
                (
                    "Hourly pay holds no bonus: the export has no bonus_paid (taken as none paid "
                    "in "
                    "the relevant pay period)."
                ),
                "pay_gaps",
            )
        )
    if data.is_snapshot:
        notes.append(
            Note(
                "caveat",
                (
                    "Snapshot export: each employee's current job and pay are taken as in force "
                    "on the "
                    "snapshot date (since the later of hire and last promotion)."
                ),
                "",
            )
        )
    others = int(run.relevant["sex"].isin(["other", "unknown"]).sum())
    if others:
        notes.append(
            Note(
                "caveat",
                (
                    f"{others} relevant employees with a gender other than female or male (or none "
                    "recorded) are counted in headcount and left out of the figures, which compare "
                    "women and men."
                ),
                "headcount",
            )
        )
    return notes
