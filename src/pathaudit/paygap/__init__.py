"""Pay-gap reporting the law asks for: the EU Pay Transparency Directive and the UK regulations.

:func:`eu_pay_transparency` (Directive (EU) 2023/970 Art. 9 indicators (a)-(g), categories
of workers, the Article 10 tracker) and :func:`uk_gender_pay_gap` (SI 2017/172; public
bodies SI 2017/353) return the common analysis contract, each figure overall and within
each track, with its legal point value and a statistical reading beside it. The formula
core (``_formulas``) holds hand-checkable functions; ``_frame`` reads the pay the law counts
from the loaded data; ``_gaps`` builds gap rows; ``_report`` holds what both reports share
(arguments, run, headcount, quartile and decomposition tables, notes, the filing twin).
The EU report: ``_eu`` (entry), ``_eu_run``, ``_eu_specs``, ``_eu_indicators``,
``_eu_categories``, ``_article10``; the UK report: ``_uk`` (entry), ``_uk_parts``; the
returned bundles: ``_result``. Definitions and rules: ``docs/pay-gap-reporting.md``.
"""

from pathaudit.paygap._eu import eu_pay_transparency, reference_period
from pathaudit.paygap._formulas import (
    ARTICLE10_STATUSES,
    MEN,
    SEX_GROUPS,
    WOMEN,
    article10_status,
    bonus_figures,
    gap,
    gender_group,
    kitagawa,
    quartiles,
)
from pathaudit.paygap._result import (
    EU_PARTS,
    FILING_README,
    UK_PARTS,
    EUPayTransparencyResult,
    UKGenderPayGapResult,
)
from pathaudit.paygap._uk import snapshot_date, uk_gender_pay_gap

__all__ = [
    "ARTICLE10_STATUSES",
    "EU_PARTS",
    "FILING_README",
    "MEN",
    "SEX_GROUPS",
    "UK_PARTS",
    "WOMEN",
    "EUPayTransparencyResult",
    "UKGenderPayGapResult",
    "article10_status",
    "bonus_figures",
    "eu_pay_transparency",
    "gap",
    "gender_group",
    "kitagawa",
    "quartiles",
    "reference_period",
    "snapshot_date",
    "uk_gender_pay_gap",
]
