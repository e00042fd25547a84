"""Time to promotion by track, with exit and switch as competing events."""

from pathaudit.promotion._analysis import PromotionAudit, time_to_promotion

__all__ = ["PromotionAudit", "time_to_promotion"]
