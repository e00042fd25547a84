"""The EU report's parts: what each figure is (its definition) and how it is computed.

:data:`SPECS` lists the parts of :func:`~pathaudit.paygap.eu_pay_transparency` in report
order; ``docs/pay-gap-reporting.md`` carries the same definitions.
"""

from __future__ import annotations

from pathaudit.parts import PartSpec
from pathaudit.paygap._article10 import NO_LEAVE_RECORDS, article10
from pathaudit.paygap._eu_categories import categories, sensitivity
from pathaudit.paygap._eu_indicators import decomposition, pay_gaps, quartile_part, variable_shares
from pathaudit.paygap._eu_run import EURun
from pathaudit.paygap._plots import plot_category_gaps, plot_quartiles
from pathaudit.paygap._report import headcount_part, needs_gender

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

SPECS: tuple[PartSpec[EURun], ...] = (
    PartSpec(
        "headcount",
        "EU pay transparency: workers by sex group",
        DEFINITIONS["headcount"],
        "counts",
        headcount_part,
        groups=("scope", "sex"),
    ),
    PartSpec(
        "pay_gaps",
        "EU pay transparency: gender pay gaps, Art. 9(1)(a)-(d)",
        DEFINITIONS["pay_gaps"],
        GAP_METHOD,
        needs_gender(pay_gaps),
        groups=("indicator", "component", "basis", "scope", "statistic"),
    ),
    PartSpec(
        "variable_shares",
        "EU pay transparency: share receiving variable pay, Art. 9(1)(e)",
        DEFINITIONS["variable_shares"],
        "Wilson interval",
        needs_gender(variable_shares),
        groups=("scope", "sex"),
    ),
    PartSpec(
        "quartiles",
        "EU pay transparency: quartile pay bands, Art. 9(1)(f)",
        DEFINITIONS["quartiles"],
        "exact fractional split at ties (no interval)",
        needs_gender(quartile_part),
        groups=("basis", "scope", "quartile"),
        plotter=plot_quartiles,
    ),
    PartSpec(
        "categories",
        "EU pay transparency: gap by category of workers, Art. 9(1)(g)",
        DEFINITIONS["categories"],
        GAP_METHOD,
        needs_gender(categories),
        groups=("category", "component", "basis"),
        plotter=plot_category_gaps,
    ),
    PartSpec(
        "sensitivity",
        "EU pay transparency: categories under other groupings",
        DEFINITIONS["sensitivity"],
        GAP_METHOD,
        needs_gender(sensitivity),
        groups=("grouping", "group"),
    ),
    PartSpec(
        "decomposition",
        "EU pay transparency: gender gap from track and grade mix",
        DEFINITIONS["decomposition"],
        "Kitagawa (1955), pooled reference distribution",
        needs_gender(decomposition),
        groups=("basis", "part"),
    ),
    PartSpec(
        "article10",
        "EU pay transparency: Article 10 tracker",
        DEFINITIONS["article10"],
        GAP_METHOD,
        needs_gender(article10),
        groups=("category",),
        caveats=(NO_LEAVE_RECORDS,),
    ),
)
"""The parts of the EU report, in report order."""
