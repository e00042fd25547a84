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
    from pathaudit.audit import ANALYSES

    assert list(summary["analyses"]) == list(ANALYSES)
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


def test_printed_headline_is_short_with_the_period_and_every_primary_figure(sample_audit):
    from pathaudit.headline import QUESTIONS

    out, printed = sample_audit
    summary = json.loads((out / "summary.json").read_text())
    dataset = summary["dataset"]
    assert printed.startswith(
        f"Audit of {dataset['people']:,} people, as of {dataset['as_of']}, covering "
        f"{dataset['history_start']} to {dataset['as_of']} (history export).\n"
    )
    quality = pd.read_csv(out / "data_quality.csv")
    manifest = json.loads((out / "manifest.json").read_text())
    read = sum(t["in"] for t in manifest["rows"].values() if "in" in t)
    assert printed.splitlines()[1].startswith(f"Data: {read:,} rows read, ")
    assert len(quality.columns) > 0
    for part in summary["analyses"].values():
        for h in part["headline"]:
            line = f"{h['label']}: "
            if h["primary"]:
                assert line in printed and f"[{h['status']}" in printed
                assert QUESTIONS[h["question"]] in printed
            else:
                assert line not in printed  # --verbose prints them
    figures = [line.split(" [", 1)[0] for line in printed.splitlines() if line.startswith("  *")]
    assert len(figures) == len(summary["analyses"])
    assert not [f for f in figures if "e+0" in f or "-0.0" in f], figures
    assert printed.rstrip().endswith(
        f"Wrote the audit to {out}/: {out / 'report.html'} (start here), README.txt (what "
        "every file holds), summary.json, tables/, charts/."
    ) or "report.html" not in {p.name for p in out.iterdir()}
    assert len(printed.splitlines()) < 40


def test_audit_outputs_hold_no_identifiers_and_no_formulas(audit_out):
    data = pathaudit.load(SAMPLE, SAMPLE / "map.toml")
    ids = set(data.people["employee_id"]) | set(data.history["manager_id"].dropna())
    for path in audit_out.rglob("*.csv"):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        cells = set(table.to_numpy().ravel()) | set(table.columns)
        assert not (cells & ids), f"{path.name} holds employee identifiers"
        text = [c for c in cells if c and not _is_number(c)]
        assert not [c for c in text if c.startswith(FORMULA_PREFIXES)], path.name


def test_audit_respects_the_minimum_cell_size(audit_out):
    for path in audit_out.rglob("*.csv"):
        table = pd.read_csv(path)
        if {"n", "suppressed"} <= set(table.columns):
            shown = table.loc[~table["suppressed"].astype(bool), "n"].dropna()
            assert (shown >= 5).all(), path.name


def test_snapshot_audit_says_what_needs_history_and_warns_beside_the_figure(tmp_path, capsys):
    code = main(
        ["audit", str(SAMPLE), "--map", str(SAMPLE / "map_snapshot.toml"), "--out", str(tmp_path)]
    )
    printed = capsys.readouterr().out
    assert code == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["dataset"]["kind"] == "snapshot"
    assert summary["analyses"]["pay_parity"]["status"] == "computed"
    assert "from a snapshot export (one row per person on 2025-12-31" in printed.splitlines()[0]
    # the caveat that changes the reading of the rate ratio is printed right under it
    lines = printed.splitlines()
    at = next(i for i, line in enumerate(lines) if "IC / M voluntary exit rate ratio:" in line)
    caveat = next(n["text"] for n in summary["analyses"]["attrition"]["notes"]
                  if n["part"] == "rate_ratio" and n["kind"] == "caveat")
    assert lines[at + 1].strip().startswith("! " + caveat.split()[0])
    assert caveat.split()[-1] in " ".join(lines[at + 1:at + 6])


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

    monkeypatch.setattr(pathaudit.io, "load", boom)


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
    assert capsys.readouterr().err == "interrupted (Ctrl-C); nothing was written\n"
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
    tables = out / "tables"
    assert (tables / "attrition__rates.csv").exists()
    assert (tables / "eu_pay_transparency__pay_gaps.csv").exists()
    assert not (tables / "pay_parity__adjusted.csv").exists()


# --------------------------------------------------------------------------- the command line


def test_validate_prints_the_as_of_date_and_history_start(capsys):
    assert main(["validate", str(SAMPLE), "--as-of", "2024-06-30"]) == 0
    out = capsys.readouterr().out
    assert ("As of 2024-06-30 (extract date 2025-12-31); history complete from 2018-01-01; "
            "history export of") in out


def test_as_of_accepts_iso_dates_only(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["validate", str(SAMPLE), "--as-of", "01/06/2025"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "'01/06/2025' is not a date in the form YYYY-MM-DD" in err
    assert "2025-06-01 for 1 June 2025" in err
    with pytest.raises(SystemExit):
        main(["validate", str(SAMPLE), "--as-of", "2025-02-30"])
    assert "is not a valid date" in capsys.readouterr().err
    # the library refuses it too
    with pytest.raises(pathaudit.errors.InputError, match="is not a date in ISO form"):
        pathaudit.load(SAMPLE, SAMPLE / "map.toml", as_of="01/06/2025")


def test_the_map_is_found_in_the_data_folder(tmp_path, capsys):
    assert main(["validate", str(SAMPLE)]) == 0
    capsys.readouterr()
    (tmp_path / "history.csv").write_text("x\n")
    assert main(["validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"--map is not given and {tmp_path} holds no map.toml" in err


def test_json_prints_one_machine_readable_result(capsys):
    assert main(["validate", str(SAMPLE), "--json"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["command"] == "validate" and doc["exit_code"] == 0
    assert doc["dataset"]["as_of"] == "2025-12-31"
    assert doc["quality"]["rows_in"]["history"] > 0
    assert "Data-quality report" in captured.err  # the words go to stderr
    assert main(["validate", str(SAMPLE / "nowhere"), "--map", str(SAMPLE / "map.toml"),
                 "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["exit_code"] == 1 and "does not exist" in doc["error"]


def test_json_on_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["validate", str(SAMPLE), "--as-of", "31.12.2025", "--json"])
    assert stop.value.code == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["exit_code"] == 2
    assert "is not a date in the form YYYY-MM-DD" in captured.err


def test_quiet_prints_nothing_on_success(capsys):
    assert main(["validate", str(SAMPLE), "-q"]) == 0
    assert capsys.readouterr().out == ""


def test_help_shows_defaults_and_no_doubled_percent(capsys):
    from pathaudit.audit import DEFAULT_SEED

    for command in ("audit", "report", "validate", "simulate"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert "%%" not in text and "(default: None)" not in text, command
        assert "exit codes" in text, command
        if command in ("audit", "report"):
            assert f"(default: {DEFAULT_SEED})" in text, command


def test_the_cli_and_the_library_use_one_default_seed():
    import inspect

    from pathaudit.audit import DEFAULT_SEED, run_audit
    from pathaudit.stats import BOOTSTRAP_SEED

    assert DEFAULT_SEED == BOOTSTRAP_SEED
    from pathaudit.report import build_report

    for fn in (run_audit, build_report, pathaudit.pay_parity, pathaudit.time_to_promotion,
               pathaudit.forced_management, pathaudit.attrition):
        assert inspect.signature(fn).parameters["seed"].default == DEFAULT_SEED, fn.__name__


def test_a_missing_folder_is_named_with_what_is_there(tmp_path, capsys):
    (tmp_path / "export-2025").mkdir()
    code = main(["validate", str(tmp_path / "export-2052"), "--map", str(SAMPLE / "map.toml")])
    err = capsys.readouterr().err
    assert code == 1
    assert f"The data folder '{tmp_path / 'export-2052'}' does not exist." in err
    assert f"'{tmp_path}' holds: export-2025." in err
    assert f"Did you mean '{tmp_path / 'export-2025'}'?" in err


def test_a_missing_file_gets_the_closest_file_of_the_folder(tmp_path, capsys):
    import shutil

    for f in SAMPLE.glob("*.csv"):
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "history.csv").rename(tmp_path / "job_history_2025.csv")
    code = main(["validate", str(tmp_path), "--map", str(SAMPLE / "map.toml")])
    err = capsys.readouterr().err
    assert code == 1
    assert "Files there: adoption.csv, bands.csv, job_history_2025.csv" in err
    assert "Did you mean 'job_history_2025.csv'?" in err
    assert '[files] history = "job_history_2025.csv"' in err
    assert '[files] history = "history.csv"' not in err


def test_a_misspelt_track_label_is_mapped_to_the_track_it_resembles(tmp_path, capsys):
    import shutil

    for f in SAMPLE.glob("*.csv"):
        shutil.copy(f, tmp_path / f.name)
    history = (tmp_path / "history.csv").read_text()
    (tmp_path / "history.csv").write_text(history.replace("People Manager", "People Managers"))
    code = main(["validate", str(tmp_path), "--map", str(SAMPLE / "map.toml")])
    err = capsys.readouterr().err
    assert code == 1
    assert '[values.track] "People Managers" = "M"' in err


def test_verbose_prints_every_figure(tmp_path, capsys, sample_audit):
    from pathaudit.cli import headline_lines

    summary = json.loads((sample_audit[0] / "summary.json").read_text())
    text = "\n".join(headline_lines(summary, verbose=True))
    for part in summary["analyses"].values():
        for h in part["headline"]:
            assert f"{h['label']}: " in text and f"[{h['status']}" in text


# --------------------------------------------------------------------------- pathaudit report


@pytest.fixture()
def quick_report(monkeypatch):
    """``build_report`` without the 8 quarters of trends (the report's own tests run them);
    records the arguments the command passed."""
    import pathaudit.report as report

    calls: dict = {}
    real = report.build_report

    def quick(data, **kwargs):
        calls.update(kwargs)
        return real(data, **{**kwargs, "trends": False})

    monkeypatch.setattr(report, "build_report", quick)
    return calls


def test_report_command_writes_one_file_and_says_where(tmp_path, capsys, quick_report):
    from pathaudit.audit import DEFAULT_SEED

    out = tmp_path / "q3" / "report.html"
    code = main(["report", str(SAMPLE), "--quarter", "2025Q3", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert quick_report == {"quarter": "2025Q3", "previous": None, "seed": DEFAULT_SEED}
    assert "<html" in out.read_text(encoding="utf-8")[:300].lower()
    assert printed.splitlines() == ["2025Q3 report, as of 2025-09-30.",
                                    f"Wrote the report to {out}"]
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # nothing left beside


def test_report_command_interrupted_leaves_no_file(tmp_path, capsys, monkeypatch):
    import pathaudit.report as report
    from pathaudit.report import Report

    page = Report(html="<html><body>report</body></html>", quarter="2025Q4",
                  as_of=pd.Timestamp("2025-12-31"), verdicts=pd.DataFrame(),
                  trends=pd.DataFrame())
    monkeypatch.setattr(report, "build_report", lambda data, **kwargs: page)
    real = Report.write

    def write_then_stop(self, path, **kwargs):
        real(self, path, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(Report, "write", write_then_stop)
    out = tmp_path / "report.html"
    code = main(["report", str(SAMPLE), "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 130
    assert captured.err.splitlines()[-1] == "interrupted (Ctrl-C); no report was written"
    assert json.loads(captured.out)["exit_code"] == 130
    assert list(tmp_path.iterdir()) == []


def test_report_command_refuses_a_folder_as_out(tmp_path, capsys):
    code = main(["report", str(SAMPLE), "--out", str(tmp_path)])
    assert code == 2
    assert "is a folder; name the HTML file to write" in capsys.readouterr().err


def test_a_misspelt_map_gets_the_toml_files_beside_it(capsys):
    code = main(["validate", str(SAMPLE), "--map", str(SAMPLE / "mapp.toml")])
    err = capsys.readouterr().err
    assert code == 1
    assert "TOML files there: map.toml, map_snapshot.toml, map_xlsx.toml." in err
    assert f"Did you mean '{SAMPLE / 'map.toml'}'?" in err


def test_report_command_a_quarter_not_ended_is_a_usage_error(tmp_path, capsys):
    code = main(["report", str(SAMPLE), "--quarter", "2031Q1", "--out", str(tmp_path / "r.html")])
    assert code == 2
    assert "2031Q1 ends on 2031-03-31, after the as-of date" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
