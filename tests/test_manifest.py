"""Run manifest: reproducible, complete, no timestamps or machine paths."""

from __future__ import annotations

import json

from builders import export_history as history
from builders import write_export

from pathaudit._version import __version__
from pathaudit.io import load
from pathaudit.io._parse import file_sha256
from pathaudit.io.manifest import run_manifest, write_manifest


def test_manifest_content(tmp_path) -> None:
    h = __import__("pandas").concat([history(), history().iloc[[0]]], ignore_index=True)
    path = write_export(tmp_path, history_df=h)
    data = load(tmp_path, path)
    m = run_manifest(data, seed=7, extra={"analyses": ["parity"]})
    assert m["version"] == __version__
    assert m["kind"] == "history"
    assert m["seed"] == 7
    assert m["min_cell_size"] == 5
    assert m["as_of"] == "2024-12-31"
    assert m["extract_date"] == "2024-12-31"
    assert m["history_start"] == "2020-01-01"
    assert m["inputs"] == {
        name: file_sha256(tmp_path / name) for name in ("history.csv", "ladder.csv", "people.csv")
    }
    assert m["rows"]["history"] == {"in": 10, "used": 9, "excluded": 1, "repaired": 0}
    assert m["rows"]["people"] == {"in": 6, "used": 6, "excluded": 0, "repaired": 0}
    assert m["map"]["columns"]["people"]["hire_date"] == "Hire Date"
    assert m["quality"]["history:duplicate_rows"] == {"action": "excluded", "n_rows": 1}
    assert m["extra"] == {"analyses": ["parity"]}
    text = json.dumps(m)
    assert str(tmp_path) not in text  # no machine paths


def test_manifest_is_reproducible(tmp_path) -> None:
    path = write_export(tmp_path)
    a = write_manifest(tmp_path / "out" / "a.json", load(tmp_path, path), seed=1)
    b = write_manifest(tmp_path / "out" / "b.json", load(tmp_path, path), seed=1)
    assert a.read_text() == b.read_text()
    assert json.loads(a.read_text())["seed"] == 1


def test_rows_left_out_after_loading_are_reported_apart(tmp_path) -> None:
    data = load(tmp_path, write_export(tmp_path))
    data.quality.add("history", "change_on_termination_date", "excluded", 2, "derivation")
    rows = run_manifest(data)["rows"]["history"]
    assert rows == {"in": 9, "used": 9, "excluded": 0, "excluded_later": 2, "repaired": 0}
