"""The EU report's parts: what each figure is (its definition) and how it is computed.

:data:`SPECS` lists the parts of :func:`~pathaudit.paygap.eu_pay_transparency` in report
order; ``docs/pay-gap-reporting.md`` carries the same definitions.
"""

from __future__ import annotations

from functools import partial

from pathaudit.parts import PartSpec
from pathaudit.paygap._article10 import NO_LEAVE_RECORDS, article10
from pathaudit.paygap._eu_categories import categories, sensitivity
from pathaudit.paygap._eu_indicators import decomposition, pay_gaps, quartile_part, variable_shares
from pathaudit.paygap._eu_run import EURun
from pathaudit.paygap._plots import plot_category_gaps, plot_quartiles
from pathaudit.paygap._report import (
    KITAGAWA_METHOD,
    QUARTILE_METHOD,
    headcount_part,
    part_spec,
)

DEFINITIONS: dict[str, str] = {
    "headcount": (
        "Workers employed on any day of the reference period, by scope and sex group "
        "(women, men, other stated gender, unknown); estimate = share of the scope. Only "
        "women and men enter the gaps (the Directive compares them); the others are "
        "counted here."
    ),
    "pay_gaps": (
        "Art. 9(1)(a)/(c): (men's - women's) mean/median pay as a share of men's, all pay "
        "(basic + complementary or variable, Art. 3(1)); (b)/(d): the same for the "
        "complementary or variable components among the workers who receive them. Annual "
        "pay: actual (not FTE) base pay averaged over the days employed in the period, plus "
        "variable pay; hourly: annual pay / annual hours."
    ),
    "variable_shares": (
        "Art. 9(1)(e): the share of women and the share of men receiving complementary or "
        "variable pay in the reference period, each over its own sex's headcount."
    ),
    "quartiles": (
        "Art. 9(1)(f): the share of women and of men in each quartile of hourly and of "
        "annual pay; ties "
        "across a boundary split with the tie block's own sex mix (as SI 2017/172 reg "
        "13(2)); each quartile holds N/4 people (fractions kept)."
    ),
    "categories": (
        "Art. 9(1)(g): per category of workers ({grouping}), the mean gap "
        "(men's - women's) / men's in total pay, ordinary basic pay and complementary or "
        "variable pay (everyone in the category, zeros included); at_or_above: |gap| >= "
        "{threshold:.0%}."
    ),
    "sensitivity": (
        "The mean {basis} total-pay gap per category under three groupings: the categories "
        "used ({grouping}), grade x track (narrower) and bands of two grades (broader); "
        "at_or_above: |gap| >= {threshold:.0%}."
    ),
    "decomposition": (
        "Kitagawa decomposition of the overall mean gap (share of men's mean pay) over "
        "track x grade cells: within = the gap at the pooled distribution of workers over "
        "cells with both sexes; composition = total - within (men and women spread "
        "differently over tracks and grades). Means only."
    ),
    "article10": (
        "Art. 10: per category, the mean {basis} total-pay gap, whether it is {threshold:.0%} "
        "or more, the employer's justification (objective, gender-neutral criterion), the "
        "earlier report's gap, and the status (justified / remedied within 6 months of "
        "submission / joint pay assessment required / open / below threshold); the Art. "
        "10(2) content: shares of women and men, mean basic and variable pay by sex and "
        "their gaps."
    ),
}
"""The definition of every part (numerator, denominator, population)."""

GAP_METHOD = (
    "mean gap: Fieller interval for mean(women) / mean(men) (t, Welch df), permutation of "
    "gender within the scope ({permutations} permutations, seed {seed}) for the p-value and "
    "the minimum detectable gap at 80% power; median gap: percentile bootstrap within sex "
    "(B = {bootstrap}); intervals describe the pay-setting process, the legal figure is the "
    "point value"
)

_part = partial(part_spec, "EU pay transparency", DEFINITIONS)

SPECS: tuple[PartSpec[EURun], ...] = (
    _part("headcount", "workers by sex group", "counts", headcount_part, ("scope", "sex")),
    _part(
        "pay_gaps",
        "gender pay gaps, Art. 9(1)(a)-(d)",
        GAP_METHOD,
        pay_gaps,
        ("indicator", "component", "basis", "scope", "statistic"),
    ),
    _part(
        "variable_shares",
        "share receiving variable pay, Art. 9(1)(e)",
        "Wilson interval",
        variable_shares,
        ("scope", "sex"),
    ),
    _part(
        "quartiles",
        "quartile pay bands, Art. 9(1)(f)",
        QUARTILE_METHOD,
        quartile_part,
        ("basis", "scope", "quartile"),
        plotter=plot_quartiles,
    ),
    _part(
        "categories",
        "gap by category of workers, Art. 9(1)(g)",
        GAP_METHOD,
        categories,
        ("category", "component", "basis"),
        plotter=plot_category_gaps,
    ),
    _part(
        "sensitivity",
        "categories under other groupings",
        GAP_METHOD,
        sensitivity,
        ("grouping", "group"),
    ),
    _part(
        "decomposition",
        "gender gap from track and grade mix",
        KITAGAWA_METHOD,
        decomposition,
        ("basis", "part"),
    ),
    _part(
        "article10",
        "Article 10 tracker",
        GAP_METHOD,
        article10,
        ("category",),
        caveats=(NO_LEAVE_RECORDS,),
    ),
)
"""The parts of the EU report, in report order."""
