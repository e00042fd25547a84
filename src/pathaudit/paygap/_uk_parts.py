"""The UK report's parts: the six figures of SI 2017/172 and the Kitagawa decomposition.

Each figure overall and within each track; :data:`SPECS` lists the parts of
:func:`~pathaudit.paygap.uk_gender_pay_gap` in report order with their definitions
(``docs/pay-gap-reporting.md`` carries the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, partial
from typing import ClassVar

import pandas as pd

from pathaudit.parts import NotComputed, PartSpec
from pathaudit.paygap._formulas import bonus_figures
from pathaudit.paygap._frame import has_values, uk_frame
from pathaudit.paygap._gaps import (
    GAP_COLUMNS,
    GAP_COUNTS,
    MEDIAN_RULE,
    READING,
    VALUES,
    gap_row,
    scoped,
    split,
)
from pathaudit.paygap._plots import plot_hourly_gaps, plot_quartiles
from pathaudit.paygap._report import (
    KITAGAWA_METHOD,
    QUARTILE_METHOD,
    Report,
    decomposition_rows,
    headcount_part,
    part_spec,
    quartile_bands,
    scope_quartiles,
)
from pathaudit.result import Result
from pathaudit.stats import wilson_ci

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
class UKRun(Report):
    """The UK report's run: the snapshot date, the legal employer and its employees."""

    snapshot: pd.Timestamp
    employer: str | None

    # headcount: every relevant employee; the figures: full-pay men and women
    COUNTED: ClassVar[str] = "relevant"
    GENDERED: ClassVar[str] = "full_pay"
    NO_PAIR: ClassVar[str] = "no full-pay relevant men or no women on the snapshot date"

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


def pay_gaps(run: UKRun, spec: PartSpec[UKRun]) -> Result:
    """Regs 8-9: the mean and median gaps in hourly pay of full-pay relevant employees."""
    rows, salt = [], 0
    for scope, sub in scoped(run.full_pay):
        men, women = split(sub, "hourly")
        for stat in ("mean", "median"):
            salt += 1
            rows.append({"scope": scope} | gap_row(men, women, stat, run.stats, salt))
    return run.run.build(spec, pd.DataFrame(rows), n_col=GAP_COUNTS, quantiles=MEDIAN_RULE)


def bonus(run: UKRun, spec: PartSpec[UKRun]) -> Result | NotComputed:
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
    cols = ["scope", "measure", "statistic", *GAP_COLUMNS, *VALUES, *READING]
    # a gap needs k men and k women paid a bonus; a share, k people of its sex
    return run.run.build(spec, table[cols], n_col=GAP_COUNTS, quantiles=MEDIAN_RULE)


def quartile_part(run: UKRun, spec: PartSpec[UKRun]) -> Result:
    """Reg 13: the share of women and men in each quartile pay band of hourly pay."""
    frames = [
        scope_quartiles(sub, "hourly").assign(scope=scope)
        for scope, sub in scoped(run.full_pay)
        if not sub.empty
    ]
    return run.run.build(spec, quartile_bands(frames, ["scope"]))


def decomposition(run: UKRun, spec: PartSpec[UKRun]) -> Result:
    """Kitagawa decomposition of the mean hourly gap over track x grade cells."""
    rows = decomposition_rows(run.full_pay, "hourly")
    return run.run.build(spec, pd.DataFrame(rows), n_col=GAP_COUNTS)


_part = partial(part_spec, "UK gender pay gap", DEFINITIONS)

SPECS: tuple[PartSpec[UKRun], ...] = (
    _part(
        "headcount", "relevant employees by sex group", "counts", headcount_part, ("scope", "sex")
    ),
    _part(
        "pay_gaps",
        "hourly pay gaps (regs 8-9)",
        GAP_METHOD,
        pay_gaps,
        ("scope", "statistic"),
        plotter=plot_hourly_gaps,
    ),
    _part(
        "bonus",
        "bonus gaps and bonus shares (regs 10-12)",
        GAP_METHOD + "; shares: Wilson interval",
        bonus,
        ("scope", "measure", "statistic"),
    ),
    _part(
        "quartiles",
        "quartile pay bands (reg 13)",
        QUARTILE_METHOD,
        quartile_part,
        ("scope", "quartile"),
        plotter=plot_quartiles,
    ),
    _part(
        "decomposition", "gap from track and grade mix", KITAGAWA_METHOD, decomposition, ("part",)
    ),
)
"""The parts of the UK report, in report order."""
