import json

import pandas as pd
import pytest

import pathaudit
from pathaudit.cli import main
from pathaudit.io.privacy import FORMULA_PREFIXES
from pathaudit.sample import sample_dir

SAMPLE = sample_dir()


@pytest.fixture(scope="module")
def audit_out(sample_audit):
    return sample_audit[0]


def test_validate_sample_exits_zero(capsys):
    assert main(["validate", str(SAMPLE), "--map", str(SAMPLE / "map.toml")]) == 0
    assert "Data-quality report" in capsys.readouterr().out


def test_validate_reports_a_broken_export_and_exits_one(tmp_path, capsys):
    for f in SAMPLE.glob("*.csv"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    people = (tmp_path / "people.csv").read_text().splitlines()
    header = people[0].split(",")
    # drop the hire-date column: a fatal, named problem
    col = next(i for i, h in enumerate(header) if "hire" in h.lower())
    rows = [",".join(c for i, c in enumerate(r.split(",")) if i != col) for r in people]
    (tmp_path / "people.csv").write_text("\n".join(rows) + "\n")
    code = main(["validate", str(tmp_path), "--map", str(SAMPLE / "map.toml")])
    err = capsys.readouterr().err
    assert code == 1
    assert "people.csv" in err and header[col] in err


def test_audit_writes_every_analysis_and_the_manifest(audit_out):
    from pathaudit.headline import HEADLINE_COLUMNS, STATUSES
    from pathaudit.output import read_output

    summary = json.loads((audit_out / "summary.json").read_text())
    assert summary["schema_version"] >= 1
    assert list(summary["analyses"]) == [
        "pay_parity",
        "time_to_promotion",
        "forced_management",
        "attrition",
    ]
    stored = read_output(audit_out)
    for name, part in summary["analyses"].items():
        assert part["status"] == "computed", name
        assert part["headline"], name
        assert sum(h["primary"] for h in part["headline"]) == 1, name
        for h in part["headline"]:
            assert list(h) == list(HEADLINE_COLUMNS), name
            assert h["status"] in STATUSES, (name, h["key"])
            if h.get("ci_lower") is not None and h.get("estimate") is not None:
                assert h["ci_lower"] <= h["estimate"] <= h["ci_upper"], (name, h["key"])
        # summary.json and <analysis>.json carry the same headline
        assert stored[name].headline["key"].tolist() == [h["key"] for h in part["headline"]]
    manifest = json.loads((audit_out / "manifest.json").read_text())
    assert manifest["version"] == pathaudit.__version__
    assert (audit_out / "data_quality.csv").exists()


def test_printed_headline_shows_status_for_every_figure(sample_audit):
    out, printed = sample_audit
    summary = json.loads((out / "summary.json").read_text())
    for part in summary["analyses"].values():
        for h in part["headline"]:
            assert f"{h['label']}: " in printed and f"[{h['status']}" in printed


def test_audit_outputs_hold_no_identifiers_and_no_formulas(audit_out):
    data = pathaudit.load(SAMPLE, SAMPLE / "map.toml")
    ids = set(data.people["employee_id"]) | set(data.history["manager_id"].dropna())
    for path in audit_out.glob("*.csv"):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        cells = set(table.to_numpy().ravel()) | set(table.columns)
        assert not (cells & ids), f"{path.name} holds employee identifiers"
        text = [c for c in cells if c and not _is_number(c)]
        assert not [c for c in text if c.startswith(FORMULA_PREFIXES)], path.name


def test_audit_respects_the_minimum_cell_size(audit_out):
    for path in audit_out.glob("*.csv"):
        table = pd.read_csv(path)
        if {"n", "suppressed"} <= set(table.columns):
            shown = table.loc[~table["suppressed"].astype(bool), "n"].dropna()
            assert (shown >= 5).all(), path.name


def test_snapshot_audit_says_what_needs_history(tmp_path):
    code = main(
        ["audit", str(SAMPLE), "--map", str(SAMPLE / "map_snapshot.toml"), "--out", str(tmp_path)]
    )
    assert code == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["dataset"]["kind"] == "snapshot"
    assert summary["analyses"]["pay_parity"]["status"] == "computed"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- internal errors


def _validate_raises(monkeypatch, exc: BaseException) -> None:
    import pathaudit.io

    def boom(*args, **kwargs):
        raise exc

    monkeypatch.setattr(pathaudit.io, "validate", boom)


def test_an_internal_error_prints_one_line_and_writes_the_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _validate_raises(monkeypatch, ValueError("salary 123456 of person 007"))
    code = main(["validate", str(SAMPLE), "--map", str(SAMPLE / "map.toml")])
    assert code == 3
    captured = capsys.readouterr()
    log = tmp_path / "pathaudit-error.log"
    assert captured.err == (
        "internal error (ValueError): pathaudit stopped on a problem it does not handle; please "
        f"report it. The full traceback is in {log}; it may hold values from your data, so "
        "read it before you share it.\n"
    )
    assert "Traceback" not in captured.err and "123456" not in captured.err
    text = log.read_text()
    assert text.startswith("Traceback (most recent call last):")
    assert "ValueError: salary 123456 of person 007" in text


def test_an_internal_error_in_audit_writes_the_traceback_into_the_output_folder(
    tmp_path, monkeypatch, capsys
):
    import pathaudit.audit

    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(tmp_path)

    def boom(*args, **kwargs):
        raise KeyError("grade")

    monkeypatch.setattr(pathaudit.audit, "run_audit", boom)
    code = main(["audit", str(SAMPLE), "--map", str(SAMPLE / "map.toml"), "--out", str(out)])
    assert code == 3
    assert f"The full traceback is in {out / 'pathaudit-error.log'};" in capsys.readouterr().err
    assert "KeyError: 'grade'" in (out / "pathaudit-error.log").read_text()
    assert not (tmp_path / "pathaudit-error.log").exists()


def test_ctrl_c_prints_one_line_and_exits_130(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _validate_raises(monkeypatch, KeyboardInterrupt())
    code = main(["validate", str(SAMPLE), "--map", str(SAMPLE / "map.toml")])
    assert code == 130
    assert capsys.readouterr().err == "interrupted; outputs may be incomplete\n"
    assert not (tmp_path / "pathaudit-error.log").exists()


def test_exit_codes_are_in_the_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "exit codes:" in out
    assert "3    internal error" in out and "130  interrupted" in out


def _ic_only_export(folder):
    """The sample restricted to the people who were on the IC track in every history row."""
    import shutil

    history = pd.read_csv(SAMPLE / "history.csv", dtype=str, keep_default_na=False)
    people = pd.read_csv(SAMPLE / "people.csv", dtype=str, keep_default_na=False)
    ever_m = set(history.loc[history["Career Track"] != "Individual Contributor", "Worker ID"])
    history = history[~history["Worker ID"].isin(ever_m)]
    people = people[people["Worker ID"].isin(set(history["Worker ID"]))]
    folder.mkdir()
    history.to_csv(folder / "history.csv", index=False)
    people.to_csv(folder / "people.csv", index=False)
    for name in ("ladder.csv", "bands.csv", "ratings.csv", "adoption.csv", "map.toml"):
        shutil.copy(SAMPLE / name, folder / name)
    return folder


def test_audit_of_a_one_track_export_exits_zero_and_says_why(tmp_path, capsys):
    data = _ic_only_export(tmp_path / "ic_only")
    out = tmp_path / "out"
    code = main(["audit", str(data), "--map", str(data / "map.toml"), "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "Pay parity compares tracks" not in printed.err
    reason = "only one track (IC) in the data"
    assert f"Adjusted IC vs M gap in FTE base pay: – [not estimable: {reason}]" in printed.out
    assert f"IC / M voluntary exit rate ratio: – [not estimable: {reason}]" in printed.out
    summary = json.loads((out / "summary.json").read_text())
    assert all(part["status"] == "computed" for part in summary["analyses"].values())
    # what the track alone can tell is there
    assert (out / "attrition__rates.csv").exists() and (out / "pay_parity__eu_gaps.csv").exists()
    assert not (out / "pay_parity__adjusted.csv").exists()
