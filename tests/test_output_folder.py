"""The audit's output folder: hygiene (refuse, replace, swap), the index, display tables, docs.

docs/audit-output.md is generated from the sample audit's metadata; regenerate it after a
change of an output file or key with ``python tests/test_output_folder.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pathaudit.audit as audit
from pathaudit.audit import (
    MANIFEST,
    OutputFolderError,
    describe_files,
    output_doc,
    run_audit,
    undocumented_keys,
)
from pathaudit.cli import main
from pathaudit.sample import sample_dir

DOC = Path(__file__).resolve().parents[1] / "docs" / "audit-output.md"
SAMPLE = sample_dir()


def _quick(data, out, **kw):
    """A small audit (one fast analysis, no charts, no report) into ``out``."""
    return run_audit(data, out, analyses=["pay_parity"], charts=False, report=False, **kw)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in folder.rglob("*") if p.is_file()}


def _leftovers(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


# --------------------------------------------------------------------------- hygiene


def test_a_previous_output_is_replaced_and_no_stale_file_survives(sample_data, tmp_path):
    out = tmp_path / "audit"
    _quick(sample_data, out)
    (out / "stale.csv").write_text("old\n")
    (out / "tables" / "attrition__rates.csv").write_text("old\n")
    before = set(_files(out))
    _quick(sample_data, out)
    after = set(_files(out))
    assert "stale.csv" not in after and "tables/attrition__rates.csv" not in after
    assert after == before - {"stale.csv", "tables/attrition__rates.csv"}
    assert _leftovers(tmp_path, "audit") == []


def test_a_foreign_folder_is_refused_without_overwrite_and_replaced_with_it(sample_data,
                                                                            tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    (out / "my-notes.txt").write_text("mine\n")
    with pytest.raises(OutputFolderError) as err:
        _quick(sample_data, out)
    text = str(err.value)
    assert str(out) in text and "my-notes.txt" in text and "--overwrite" in text
    assert "manifest.json" in text
    assert _files(out) == {"my-notes.txt": b"mine\n"}  # untouched
    _quick(sample_data, out, overwrite=True)
    assert "my-notes.txt" not in _files(out) and (out / MANIFEST).is_file()


def test_a_manifest_not_written_by_pathaudit_does_not_make_a_folder_ours(sample_data,
                                                                         tmp_path):
    out = tmp_path / "other"
    out.mkdir()
    (out / MANIFEST).write_text('{"tool": "something else"}')
    with pytest.raises(OutputFolderError):
        _quick(sample_data, out)


def test_an_empty_folder_and_a_file_as_out(sample_data, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    _quick(sample_data, out)
    assert (out / MANIFEST).is_file()
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(OutputFolderError, match="is a file"):
        _quick(sample_data, tmp_path / "a-file")


@pytest.mark.parametrize("exc", [KeyboardInterrupt, RuntimeError])
def test_an_interrupted_run_keeps_the_previous_output_and_leaves_nothing_partial(
    sample_data, tmp_path, monkeypatch, exc
):
    out = tmp_path / "audit"
    _quick(sample_data, out)
    previous = _files(out)
    real = audit.write_analysis

    def write_then_stop(result, folder, k):
        real(result, folder, k)  # half of the new folder is on disk when it stops
        raise exc("stopped mid-write")

    monkeypatch.setattr(audit._run, "write_analysis", write_then_stop)  # where it is used
    with pytest.raises(exc):
        _quick(sample_data, out)
    assert _files(out) == previous
    assert _leftovers(tmp_path, "audit") == []
    # and with no previous output: no folder at all
    with pytest.raises(exc):
        _quick(sample_data, tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists() and _leftovers(tmp_path, "fresh") == []


def test_ctrl_c_in_the_audit_command_exits_130_with_one_line(tmp_path, monkeypatch, capsys):
    out = tmp_path / "audit"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(audit, "run_audit", interrupted)
    code = main(["audit", str(SAMPLE), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 130
    assert err == f"interrupted (Ctrl-C); {out} is as it was\n"


def test_the_command_refuses_a_foreign_folder_with_exit_code_2(tmp_path, capsys):
    out = tmp_path / "results"
    out.mkdir()
    (out / "budget.xlsx").write_text("x")
    code = main(["audit", str(SAMPLE), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "budget.xlsx" in err and "--overwrite" in err


def test_an_output_folder_holding_the_export_is_refused(tmp_path, capsys, monkeypatch):
    import shutil

    export = tmp_path / "work" / "export"
    shutil.copytree(SAMPLE, export)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    for out in (export, export.parent):
        code = main(["audit", str(export), "--out", str(out), "--overwrite"])
        assert code == 2, out
        assert "holds the export or the column map" in capsys.readouterr().err
    assert (export / "history.csv").is_file()


def test_the_current_folder_is_refused_as_out(sample_data, tmp_path, monkeypatch):
    (tmp_path / "inner").mkdir()
    monkeypatch.chdir(tmp_path / "inner")
    for out in (".", "..", str(tmp_path)):
        with pytest.raises(OutputFolderError, match="is the current folder"):
            _quick(sample_data, out)
    assert Path.cwd() == tmp_path / "inner" and list((tmp_path / "inner").iterdir()) == []
    _quick(sample_data, "audit-out")  # a folder of its own, given relative to the current one
    assert (tmp_path / "inner" / "audit-out" / MANIFEST).is_file()


# --------------------------------------------------------------------------- what is in it


def test_readme_lists_every_file_present_and_nothing_else(sample_audit):
    out, _ = sample_audit
    text = (out / "README.txt").read_text(encoding="utf-8")
    listed = text.split("\nFiles (", 1)[1].splitlines()[2:]
    names = [line for line in listed if line and not line.startswith(" ")]
    present = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert sorted(names) == present
    assert len(names) == len(set(names))
    assert f"Files ({len(present)})" in text
    # every description comes from the results' metadata: a table names its definition
    meta = json.loads((out / "attrition.json").read_text())["parts"]["rates"]["meta"]
    assert " ".join(meta["definition"].split())[:60] in " ".join(text.split())


def test_layout_tables_data_and_charts(sample_audit):
    out, _ = sample_audit
    for name in ("README.txt", "summary.json", MANIFEST, "data_quality.csv"):
        assert (out / name).is_file(), name
    csvs = sorted(p.stem for p in (out / "tables").glob("*.csv"))
    parquets = sorted(p.stem for p in (out / "data").glob("*.parquet"))
    assert csvs and parquets == sorted([*csvs, "data_quality"])
    assert not list(out.glob("*__*.csv"))  # no table left at the top level
    stored = {n: json.loads((out / f"{n}.json").read_text()) for n in audit.ANALYSES}
    charts = {p.name for p in (out / "charts").iterdir()}
    assert charts, "no chart written"
    for name in charts:
        part = name.rsplit(".", 1)[0].split("__", 1)
        assert part[1] in stored[part[0]]["parts"], name
        data = (out / "charts" / name).read_bytes()
        assert data.startswith(b"\x89PNG") if name.endswith(".png") else b"<svg" in data[:2000]


def test_display_csv_has_integer_counts_and_rounded_figures_full_precision_in_parquet(
    sample_audit,
):
    out, _ = sample_audit
    checked = 0
    for path in sorted((out / "tables").glob("*.csv")):
        shown = pd.read_csv(path, dtype=str, keep_default_na=False)
        full = pd.read_parquet(out / "data" / f"{path.stem}.parquet")
        assert list(shown.columns) == list(full.columns), path.name
        assert len(shown) == len(full), path.name
        for col in full.columns:  # whole numbers (counts) are written as integers
            values = full[col]
            if pd.api.types.is_float_dtype(values) and values.notna().any():
                whole = bool((values.dropna() == values.dropna().round()).all())
                if whole:
                    assert not shown[col].str.contains(r"[.e]").any(), f"{path.name}.{col}"
                    checked += col == "n"
        if "estimate" in full.columns and pd.api.types.is_float_dtype(full["estimate"]):
            exact = full["estimate"].to_numpy(dtype=float)
            rounded = pd.to_numeric(shown["estimate"], errors="coerce").to_numpy(dtype=float)
            ok = np.isfinite(exact)
            assert np.array_equal(np.isfinite(rounded), ok), path.name
            # at most 4 significant digits, and within rounding of the exact value
            rel = np.abs(rounded[ok] - exact[ok]) <= 5e-4 * np.maximum(np.abs(exact[ok]), 1e-12)
            assert (rel | (np.abs(exact[ok]) >= 1000)).all(), path.name
            assert (np.abs(rounded[ok] - exact[ok]) <= 0.5 + 1e-9).all(), path.name
            checked += 1
    assert checked > 10


def test_docs_audit_output_is_generated_from_the_metadata(sample_audit):
    out, _ = sample_audit
    assert undocumented_keys(out) == [], "document these keys in pathaudit.audit"
    assert DOC.read_text(encoding="utf-8") == output_doc(out), (
        "docs/audit-output.md is out of date: regenerate it with "
        "`python tests/test_output_folder.py`"
    )


def test_a_file_no_result_describes_is_an_error(tmp_path, sample_data):
    out = tmp_path / "audit"
    _quick(sample_data, out)
    assert {p for p, _ in describe_files(out)} == set(_files(out))
    (out / "unexplained.csv").write_text("x\n")
    with pytest.raises(Exception, match="unexplained.csv"):
        describe_files(out)


if __name__ == "__main__":  # regenerate docs/audit-output.md from a fresh sample audit
    import tempfile

    import pathaudit

    folder = Path(tempfile.mkdtemp()) / "audit"
    run_audit(pathaudit.load(SAMPLE, SAMPLE / "map.toml"), folder)
    DOC.write_text(output_doc(folder), encoding="utf-8")
    print(f"wrote {DOC}", file=sys.stderr)
