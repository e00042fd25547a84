"""pathaudit: audit career-path equity on a dual career ladder from anonymized HR exports."""

from __future__ import annotations

from pathaudit._version import __version__
from pathaudit.attrition import AttritionResult, attrition
from pathaudit.data import AuditData
from pathaudit.io import load, validate
from pathaudit.management import ManagementAudit, forced_management
from pathaudit.parity import ParityResult, pay_parity
from pathaudit.promotion import PromotionAudit, time_to_promotion
from pathaudit.quality import DataQualityReport
from pathaudit.result import AnalysisResult, Note, Result
from pathaudit.study import aggregate, att_gt

__all__ = [
    "AnalysisResult",
    "AttritionResult",
    "AuditData",
    "DataQualityReport",
    "ManagementAudit",
    "Note",
    "ParityResult",
    "PromotionAudit",
    "Result",
    "__version__",
    "aggregate",
    "att_gt",
    "attrition",
    "forced_management",
    "load",
    "pay_parity",
    "time_to_promotion",
    "validate",
]
