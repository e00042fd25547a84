"""Attrition by track: whether individual contributors leave more than managers, and when."""

from pathaudit.attrition._analysis import AttritionResult, attrition

__all__ = ["AttritionResult", "attrition"]
