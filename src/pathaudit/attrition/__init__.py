"""Attrition by track: whether individual contributors leave more than managers, and when."""

from pathaudit.attrition._analysis import attrition
from pathaudit.attrition._result import AttritionResult

__all__ = ["AttritionResult", "attrition"]
