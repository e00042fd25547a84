"""The sample audit's output equals the committed golden copy (tests/golden/README.md)."""

import json
from pathlib import Path

from compare import assert_same_file, assert_same_json

from pathaudit.cli import main
from pathaudit.sample import sample_dir

GOLDEN = Path(__file__).resolve().parent / "golden" / "sample-audit"

ENVIRONMENT_KEYS = ("python", "numpy", "pandas")
"""Manifest keys that record the machine's library versions (they differ by design)."""


def test_sample_audit_equals_the_golden_copy(tmp_path, capsys):
    sample = sample_dir()
    out = tmp_path / "audit"
    assert main(["audit", str(sample), "--map", str(sample / "map.toml"), "--out", str(out)]) == 0
    capsys.readouterr()
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
