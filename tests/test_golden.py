"""The sample audit's output equals the committed golden copy (tests/golden/README.md)."""

import json
from pathlib import Path

from compare import assert_same_file, assert_same_json

GOLDEN = Path(__file__).resolve().parent / "golden" / "sample-audit"

ENVIRONMENT_KEYS = ("python", "numpy", "pandas")
"""Manifest keys that record the machine's library versions (they differ by design)."""


def test_sample_audit_equals_the_golden_copy(sample_audit):
    out, _ = sample_audit
    expected = sorted(p.name for p in GOLDEN.iterdir())
    assert sorted(p.name for p in out.iterdir()) == expected
    for name in expected:
        if name == "manifest.json":
            e, a = (json.loads((d / name).read_text()) for d in (GOLDEN, out))
            for key in ENVIRONMENT_KEYS:
                e.pop(key, None)
                a.pop(key, None)
            assert_same_json(e, a, name)
        else:
            assert_same_file(GOLDEN / name, out / name)
