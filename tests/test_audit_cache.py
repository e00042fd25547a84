"""The audit releases derived tables once no analysis still to run reads them."""

from __future__ import annotations

import dataclasses

from pathaudit.audit import run_audit


def _families(data) -> set[str]:
    cache = data.__dict__.get("_derived", {})
    return {str(k[0] if isinstance(k, tuple) else k) for k in cache}


def test_cross_section_tables_are_released_before_attrition_and_the_design_kept(
    sample_data, tmp_path
):
    data = dataclasses.replace(sample_data)  # a copy with its own, empty cache
    seen: dict[str, set[str]] = {}
    run_audit(
        data,
        tmp_path / "out",
        analyses=["forced_management", "attrition"],
        charts=False,
        report=False,
        progress=lambda step: seen.update({step: _families(data)}),
    )
    assert "forced management" in seen and "attrition" in seen
    before_attrition = seen["attrition"]
    # management's current states, record order, ladder tops and work tables are gone ...
    for family in ("state", "history_record_order", "designed_tops", "management"):
        assert family not in before_attrition, family
    # ... and the sorted arrays the matched design was built from (attrition derives them
    # again for its M->IC design, after its Cox model); the IC->M design is kept
    assert "matching_prepared" not in before_attrition
    for family in ("post_switch_matched", "exposure", "spells"):
        assert family in before_attrition, family
    # after the last analysis nothing of the released families is left
    assert not _families(data) & {"state", "management", "history_record_order"}


def test_a_later_cross_section_analysis_keeps_the_current_states(sample_data, tmp_path):
    data = dataclasses.replace(sample_data)
    seen: dict[str, set[str]] = {}
    run_audit(
        data,
        tmp_path / "out",
        analyses=["pay_parity", "forced_management"],
        charts=False,
        report=False,
        progress=lambda step: seen.update({step: _families(data)}),
    )
    assert "state" in seen["forced management"]
