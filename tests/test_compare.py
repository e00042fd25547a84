"""The comparison rule for generated files: floats to a tolerance, everything else exactly."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from compare import assert_same_file, assert_same_json, assert_same_tree, floats_close, perturb

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def test_floats_close_rule():
    assert floats_close(1.0, 1.0 * (1 + 1e-13))
    assert not floats_close(1.0, 1.0 + 1e-8)
    assert floats_close(0.0, 1e-13) and not floats_close(0.0, 1e-11)
    assert floats_close(float("nan"), float("nan")) and not floats_close(float("nan"), 0.0)
    assert floats_close(float("inf"), float("inf")) and not floats_close(float("inf"), 1e308)


def test_truth_json_perturbed_in_the_last_digits_is_the_same(tmp_path):
    truth = json.loads((SAMPLE / "truth.json").read_text())
    n_floats = json.dumps(truth).count(".")
    assert n_floats > 50  # a file that really holds floats
    for factor, same in ((1 + 1e-13, True), (1 - 1e-13, True), (1 + 1e-6, False)):
        path = tmp_path / "truth.json"
        path.write_text(json.dumps(perturb(truth, factor), indent=2))
        if same:
            assert_same_file(SAMPLE / "truth.json", path)
        else:
            with pytest.raises(AssertionError):
                assert_same_file(SAMPLE / "truth.json", path)


def test_json_structure_and_text_are_exact():
    assert_same_json({"a": [1, "x", 0.5]}, {"a": [1, "x", 0.5 * (1 + 1e-13)]})
    for other in ({"a": [1, "y", 0.5]}, {"a": [2, "x", 0.5]}, {"b": [1, "x", 0.5]},
                  {"a": [1, "x"]}, {"a": [1, "x", "0.5"]}):
        with pytest.raises(AssertionError):
            assert_same_json({"a": [1, "x", 0.5]}, other)


def test_csv_floats_to_tolerance_ids_and_dates_exactly(tmp_path):
    frame = pd.DataFrame({"employee_id": ["007", "12"], "date": ["2024-01-31", "2024-02-29"],
                          "pay": [51234.56789012345, 0.1 + 0.2], "n": [3, 4]})
    a, b = tmp_path / "a" / "t.csv", tmp_path / "b" / "t.csv"
    a.parent.mkdir()
    b.parent.mkdir()
    frame.to_csv(a, index=False)
    frame.assign(pay=frame["pay"] * (1 + 1e-13)).to_csv(b, index=False)
    assert a.read_bytes() != b.read_bytes()
    assert_same_file(a, b)
    assert_same_tree(a.parent, b.parent)
    for changed in (frame.assign(employee_id=["7", "12"]), frame.assign(n=[3, 5]),
                    frame.assign(date=["2024-01-30", "2024-02-29"]),
                    frame.assign(pay=frame["pay"] * (1 + 1e-7))):
        changed.to_csv(b, index=False)
        with pytest.raises(AssertionError):
            assert_same_file(a, b)


def test_parquet_and_xlsx(tmp_path):
    frame = pd.DataFrame({"id": ["a", "b"], "x": [1 / 3, 2 / 3],
                          "d": pd.to_datetime(["2024-01-01", "2024-06-30"])})
    near = frame.assign(x=frame["x"] * (1 + 1e-13))
    far = frame.assign(x=frame["x"] * (1 + 1e-6))
    for ext, write in ((".parquet", lambda f, p: f.to_parquet(p)),
                       (".xlsx", lambda f, p: f.to_excel(p, index=False))):
        a, b, c = (tmp_path / f"{name}{ext}" for name in "abc")
        write(frame, a)
        write(near, b)
        write(far, c)
        assert_same_file(a, b)
        with pytest.raises(AssertionError):
            assert_same_file(a, c)


def test_tree_with_a_missing_file_differs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(SAMPLE, a)
    shutil.copytree(SAMPLE, b)
    assert_same_tree(a, b)
    (b / "ratings.csv").unlink()
    with pytest.raises(AssertionError, match="ratings.csv"):
        assert_same_tree(a, b)
