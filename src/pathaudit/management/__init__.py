"""Forced-into-management indicators: whether people are pushed into management."""

from pathaudit.management._analysis import (
    INDICATORS,
    ManagementAudit,
    forced_management,
    ic_ceiling,
    nominal_managers,
    peter_principle,
    post_switch_attrition,
    preference_mismatch,
    stalled_then_switched,
    switch_back,
    switch_flows,
    switch_premium,
    who_switches,
)

__all__ = [
    "INDICATORS",
    "ManagementAudit",
    "forced_management",
    "ic_ceiling",
    "nominal_managers",
    "peter_principle",
    "post_switch_attrition",
    "preference_mismatch",
    "stalled_then_switched",
    "switch_back",
    "switch_flows",
    "switch_premium",
    "who_switches",
]
