"""The declarative part tables (pathaudit.parts) and the analyses that declare theirs."""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from pathaudit.parity import _analysis as parity_analysis
from pathaudit.parity._result import PARTS as PARITY_PARTS
from pathaudit.parts import NotComputed, PartSpec, compute_parts
from pathaudit.result import Note, Result


class _Run:
    texts = {"k": 5}
    common: dict = {}

    def __init__(self) -> None:
        self.computed: list[str] = []

    @cached_property
    def shared(self) -> int:
        self.computed.append("shared")
        return 1


def _result(name: str) -> Result:
    return Result(table=pd.DataFrame({"estimate": [1.0]}), meta={"part": name})


def _spec(name: str, compute, **kw) -> PartSpec:
    return PartSpec(name, f"heading of {name}", "k = {k}", "method", compute, **kw)


def test_compute_parts_runs_only_what_is_asked_in_table_order():
    run = _Run()

    def a(r, spec):
        r.computed.append(spec.name)
        return _result(spec.name)

    def b(r, spec):
        r.computed.append(spec.name)
        return NotComputed("the data cannot give it")

    specs = (_spec("a", a, needs=("shared",), caveats=("read with care",)),
             _spec("b", b, needs=("shared",)),
             _spec("c", a, needs=("shared",)))
    out, notes = compute_parts(specs, {"c", "b", "a"} - {"c"}, run)
    assert list(out) == ["a"]
    assert run.computed == ["shared", "a", "b"]  # the shared input once, before its first part
    assert notes == [Note("caveat", "read with care", "a"),
                     Note("not computed", "the data cannot give it", "b")]
    assert specs[0].text(specs[0].definition, run) == "k = 5"


def test_nothing_is_computed_when_nothing_is_asked():
    run = _Run()
    assert compute_parts((_spec("a", lambda r, s: _result("a"), needs=("shared",)),), set(),
                         run) == ({}, [])
    assert run.computed == []


def test_parity_declares_every_part_in_report_order_with_inputs_its_run_has():
    assert tuple(s.name for s in parity_analysis.SPECS) == PARITY_PARTS
    for spec in parity_analysis.SPECS:
        assert spec.definition == parity_analysis.DEFINITIONS[spec.name]
        for need in spec.needs:
            assert hasattr(parity_analysis._Parity, need), (spec.name, need)
