"""pathaudit: audit career-path equity on a dual career ladder from anonymized HR exports."""

from __future__ import annotations

__version__ = "0.1.0"

from pathaudit.data import AuditData
from pathaudit.load import load, validate
from pathaudit.quality import DataQualityReport
from pathaudit.result import Result

__all__ = ["AuditData", "DataQualityReport", "Result", "__version__", "load", "validate"]
