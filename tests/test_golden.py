"""The sample audit's output equals the committed golden copy (tests/golden/README.md)."""

import json
from pathlib import Path

from compare import assert_same_file, assert_same_json

GOLDEN = Path(__file__).resolve().parent / "golden" / "sample-audit"

ENVIRONMENT_KEYS = ("python", "numpy", "pandas")
"""Manifest keys that record the machine's library versions (they differ by design)."""


RENDERED = (".png", ".svg", ".html")
"""Files drawn by matplotlib or a template (fonts and library versions change their bytes):
not kept in the golden copy (their numbers are in the tables and summary.json; README.txt,
which is compared, lists each of them, and tests/test_output_folder.py checks them)."""


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and not p.name.endswith(RENDERED))


def test_sample_audit_equals_the_golden_copy(sample_audit):
    out, _ = sample_audit
    expected = _files(GOLDEN)
    assert _files(out) == expected
    for name in expected:
        if name == "manifest.json":
            e, a = (json.loads((d / name).read_text()) for d in (GOLDEN, out))
            for key in ENVIRONMENT_KEYS:
                e.pop(key, None)
                a.pop(key, None)
            assert_same_json(e, a, name)
        else:
            assert_same_file(GOLDEN / name, out / name)
