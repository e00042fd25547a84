"""The sample audit's output equals the committed golden copy (tests/golden/README.md)."""

from pathlib import Path

from compare import assert_same_tree

from pathaudit.cli import main
from pathaudit.sample import sample_dir

GOLDEN = Path(__file__).resolve().parent / "golden" / "sample-audit"


def test_sample_audit_equals_the_golden_copy(tmp_path, capsys):
    sample = sample_dir()
    out = tmp_path / "audit"
    assert main(["audit", str(sample), "--map", str(sample / "map.toml"), "--out", str(out)]) == 0
    capsys.readouterr()
    assert_same_tree(GOLDEN, out)
