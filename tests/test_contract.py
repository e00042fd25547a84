"""The one analysis contract, checked over every analysis on the sample."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest

import pathaudit
from pathaudit.errors import ArgumentError, PathauditError
from pathaudit.headline import HEADLINE_COLUMNS, QUESTIONS, STATUSES
from pathaudit.output import read_output, write_analysis
from pathaudit.result import AnalysisResult, Note, Result

matplotlib.use("Agg")

ANALYSES = {
    "pay_parity": pathaudit.pay_parity,
    "time_to_promotion": pathaudit.time_to_promotion,
    "forced_management": pathaudit.forced_management,
    "attrition": pathaudit.attrition,
    "eu_pay_transparency": pathaudit.eu_pay_transparency,
    "uk_gender_pay_gap": pathaudit.uk_gender_pay_gap,
    "dual_ladder_study": pathaudit.dual_ladder_study,
}


@pytest.fixture(scope="module")
def data(sample_data):
    return sample_data


@pytest.fixture(scope="module")
def results(data):
    return {name: fn(data) for name, fn in ANALYSES.items()}


@pytest.mark.parametrize("name", ANALYSES)
def test_every_analysis_returns_the_contract(results, name):
    res = results[name]
    assert isinstance(res, AnalysisResult)
    assert res.ANALYSIS == name and res.TITLE and res.PARTS
    assert all(isinstance(n, Note) for n in res.notes)
    parts = res.results()
    assert parts and set(parts) <= set(res.PARTS)
    assert list(parts) == [p for p in res.PARTS if p in parts]  # report order
    for part, r in parts.items():
        assert isinstance(r, Result), part
        assert r.meta.get("definition"), f"{name}.{part} has no definition"
        assert r.meta.get("alpha") == 0.05, part
        assert "suppressed" in r.table.columns, part
    for part in set(res.PARTS) - set(parts):
        assert part in res.not_computed(), f"{name}.{part} missing without a reason"


@pytest.mark.parametrize("name", ANALYSES)
def test_headline_has_the_same_columns_everywhere(results, name):
    head = results[name].headline()
    assert tuple(head.columns) == HEADLINE_COLUMNS
    assert len(head) >= 1 and head["key"].is_unique
    assert head["key"].str.fullmatch(r"[a-z][a-z0-9_]*").all(), head["key"].tolist()
    assert set(head["status"]) <= set(STATUSES)
    assert set(head["question"]) <= set(QUESTIONS)
    assert head["primary"].sum() == 1, "one primary figure per analysis"
    need_reason = head["status"].isin(["not estimable", "not computed"])
    assert (head.loc[need_reason, "reason"].str.len() > 0).all()
    ok = head[["estimate", "ci_lower", "ci_upper"]].notna().all(axis=1)
    assert (head.loc[ok, "ci_lower"] <= head.loc[ok, "estimate"] + 1e-12).all()
    assert (head.loc[ok, "estimate"] <= head.loc[ok, "ci_upper"] + 1e-12).all()


@pytest.mark.parametrize("name", ANALYSES)
def test_summary_fits_a_screen_and_html_exists(results, name):
    res = results[name]
    text = res.summary()
    assert res.TITLE in text and len(text.splitlines()) <= 60
    page = res._repr_html_()
    assert page.startswith("<div>") and res.TITLE in page


@pytest.mark.parametrize("name", ANALYSES)
def test_every_chart_draws_and_tables_say_they_have_none(results, name):
    import matplotlib.pyplot as plt

    res = results[name]
    for part, r in res.results().items():
        if r.plotter is None:
            with pytest.raises(PathauditError, match="without a chart"):
                res.plot(part)
        else:
            fig, ax = plt.subplots()
            assert res.plot(part, ax=ax) is ax
            plt.close(fig)
    assert res.plottable(), f"{name} has no chart at all"


@pytest.mark.parametrize("name", ANALYSES)
def test_output_is_written_and_read_back(results, name, tmp_path):
    res = results[name]
    write_analysis(res, tmp_path, k=5)
    doc = json.loads((tmp_path / f"{name}.json").read_text())
    assert doc["schema_version"] >= 1 and doc["analysis"] == name
    back = read_output(tmp_path)[name]
    pd.testing.assert_frame_equal(back.headline, res.headline(), check_dtype=False)
    assert set(back.parts) == set(res.results())
    for part, r in res.results().items():
        assert back.parts[part].meta["definition"] == r.meta["definition"]
        assert len(back.parts[part].table) == len(r.table)


@pytest.mark.parametrize("name", ANALYSES)
def test_parts_computes_only_what_is_asked(data, results, name):
    res = results[name]
    first = next(iter(res.results()))
    some = ANALYSES[name](data, parts=[first])
    assert list(some.results()) == [first]
    a, b = some.part(first).table, res.part(first).table
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ArgumentError, match="parts"):
        ANALYSES[name](data, parts=["no_such_part"])


@pytest.mark.parametrize("name", ANALYSES)
@pytest.mark.parametrize("alpha", [0, 0.5, 1.5, 5, "0.05", None, np.nan])
def test_alpha_is_checked(data, name, alpha):
    with pytest.raises(ArgumentError, match="alpha"):
        ANALYSES[name](data, alpha=alpha)


@pytest.mark.parametrize("name", ANALYSES)
def test_data_must_be_loaded(name):
    with pytest.raises(ArgumentError, match="pathaudit.load"):
        ANALYSES[name]("data/sample")
