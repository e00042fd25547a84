"""pathaudit: audit career-path equity on a dual career ladder from anonymized HR exports."""

from __future__ import annotations

from pathaudit._version import __version__
from pathaudit.attrition import AttritionResult, attrition
from pathaudit.data import AuditData
from pathaudit.io import explain_map, load, validate
from pathaudit.management import ManagementAudit, forced_management
from pathaudit.parity import ParityResult, pay_parity
from pathaudit.paygap import (
    EUPayTransparencyResult,
    UKGenderPayGapResult,
    eu_pay_transparency,
    uk_gender_pay_gap,
)
from pathaudit.promotion import PromotionAudit, time_to_promotion
from pathaudit.quality import DataQualityReport
from pathaudit.report import Report, build_report
from pathaudit.result import AnalysisResult, Note, Result
from pathaudit.stats.tools import CoxTable, cox, cumulative_incidence, survival_table
from pathaudit.study import StudyResult, aggregate, att_gt, dual_ladder_study

__all__ = [
    "AnalysisResult",
    "AttritionResult",
    "AuditData",
    "CoxTable",
    "DataQualityReport",
    "EUPayTransparencyResult",
    "ManagementAudit",
    "Note",
    "ParityResult",
    "PromotionAudit",
    "Report",
    "Result",
    "StudyResult",
    "UKGenderPayGapResult",
    "__version__",
    "aggregate",
    "att_gt",
    "attrition",
    "dual_ladder_study",
    "build_report",
    "cox",
    "cumulative_incidence",
    "eu_pay_transparency",
    "explain_map",
    "forced_management",
    "load",
    "pay_parity",
    "survival_table",
    "time_to_promotion",
    "uk_gender_pay_gap",
    "validate",
]
