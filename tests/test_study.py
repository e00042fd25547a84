"""dual_ladder_study: the panel, the contract, few units, the sensitivity bounds by hand."""

from __future__ import annotations

import dataclasses

import matplotlib
import numpy as np
import pandas as pd
import pytest

import pathaudit
from pathaudit.errors import ArgumentError, InputError
from pathaudit.headline import HEADLINE_COLUMNS
from pathaudit.result import AnalysisResult
from pathaudit.study._honest import breakdown_mbar, relative_magnitude_set
from pathaudit.study._panel import study_panel

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def study(sample_data):
    return pathaudit.dual_ladder_study(sample_data, placebo_draws=99, power_draws=50, bootstrap=99)


def test_panel_adds_up_to_the_exposure_table(sample_data):
    panel, left_out = study_panel(sample_data)
    assert not left_out
    ex = sample_data.exposure
    full = ex[(ex["start"] >= "2018-01-01") & (ex["stop"] <= "2026-01-01")]
    assert panel["person_years"].sum() == pytest.approx(full["person_years"].sum(), rel=1e-12)
    assert panel["voluntary"].sum() == (full["event"] == "exit_voluntary").sum()
    assert panel["involuntary"].sum() == (full["event"] == "exit_involuntary").sum()
    assert panel.groupby("org_unit").size().eq(32).all()  # 2018Q1..2025Q4, balanced
    g = panel.groupby("org_unit")["first_treated"].first()
    # Search adopts on 2020-07-01, the first day of 2020Q3: period 11 (2018Q1 = 1)
    assert g["Search"] == 11 and g["Platform"] == 0 and g["Growth"] == 25
    # the weight: average quarterly person-time before the first adoption (period 11)
    s = panel[panel["org_unit"] == "Payments"]
    assert s["weight"].iloc[0] == pytest.approx(s.loc[s["period"] < 11, "person_years"].mean())
    r = panel["voluntary_per_100py"]
    assert np.allclose(r, 100 * panel["voluntary"] / panel["person_years"])


def test_mid_quarter_adoption_is_left_out_or_treated(sample_data):
    adoption = sample_data.adoption.copy()
    adoption.loc[adoption["org_unit"] == "Search", "adoption_date"] = pd.Timestamp("2020-08-15")
    data = dataclasses.replace(sample_data, adoption=adoption)
    left, _ = study_panel(data, "leave_out")
    treated, _ = study_panel(data, "treated")
    g_left = left.groupby("org_unit")["first_treated"].first()["Search"]
    g_treat = treated.groupby("org_unit")["first_treated"].first()["Search"]
    assert (g_left, g_treat) == (12, 11)
    res = pathaudit.dual_ladder_study(data, parts=["att"])
    assert any("adopted mid-quarter (Search)" in n.text for n in res.notes)


def test_the_study_returns_the_contract(study):
    assert isinstance(study, AnalysisResult)
    assert set(study.results()) == set(study.PARTS)
    for name, part in study.results().items():
        assert part.meta.get("definition"), name
        assert "suppressed" in part.table.columns, name
    head = study.headline()
    assert tuple(head.columns) == HEADLINE_COLUMNS and head["key"].is_unique
    assert head.loc[head["primary"], "key"].tolist() == ["adoption_effect_voluntary_per_100py"]
    for part in study.plottable():
        study.plot(part)
    assert study.summary()


def test_few_units_give_no_intervals_and_randomisation_inference(study):
    # the sample has one unit per adoption cohort: below the minimum of 5
    assert "fewer than 5 units" in study.few_units
    att = study.att.table
    assert att["estimate"].notna().all()
    assert att[["se", "ci_lower", "ci_upper"]].isna().all().all()
    assert (att["inference"] == "randomisation over adoption dates").all()
    head = study.headline().set_index("key").loc["adoption_effect_voluntary_per_100py"]
    assert np.isnan(head["ci_lower"]) and "interval not estimable" in head["reason"]
    assert "randomisation p =" in head["reason"]
    placebo = study.placebo_dates
    draws = placebo.tables["draws"]
    assert (draws.groupby("kind").size() == 99).all()
    p = placebo.table.set_index("kind")["p_value"]
    assert ((p > 0) & (p <= 1)).all()
    # the observed simple estimate is the one in att
    simple = att[(att["weighting"] == "person-time") & (att["kind"] == "simple")]
    assert placebo.table.set_index("kind").loc["simple", "estimate"] == pytest.approx(
        simple["estimate"].iloc[0]
    )
    assert any(n.kind == "caveat" and "randomisation" in n.text for n in study.notes)


def test_units_below_k_are_not_shown(sample_data):
    res = pathaudit.dual_ladder_study(sample_data, parts=["panel", "att"], k=270)
    panel = res.panel.table
    hidden = panel[panel["suppressed"]]
    assert set(hidden["org_unit"]) == {
        "Data",
        "Growth",
        "Infrastructure",
        "Mobile",
        "Search",
        "Security",
    }
    assert hidden["estimate"].isna().all()
    grp = res.att.table.query("kind == 'group' and value != 'overall'")
    assert grp["suppressed"].all()


def test_relative_magnitude_bounds_match_a_hand_worked_set():
    # event times -3, -2 (pre, against -1 = 0) and 0, 1, 2 (post)
    pre = np.array([0.3, -0.1])
    post = np.array([1.0, 2.0, 0.5])
    # largest pre-period step: |-0.1 - 0.3| = 0.4; with Mbar = 0.5 each post step <= 0.2,
    # so delta_0 <= 0.2, delta_1 <= 0.4, delta_2 <= 0.6 (and as low below zero)
    lo, hi = relative_magnitude_set(pre, post, 0.5)
    theta = (1.0 + 2.0 + 0.5) / 3
    assert (lo, hi) == pytest.approx((theta - 0.4, theta + 0.4), abs=1e-9)
    lo0, hi0 = relative_magnitude_set(pre, post, 0.5, l_vec=np.array([1.0, 0.0, 0.0]))
    assert (lo0, hi0) == pytest.approx((0.8, 1.2), abs=1e-9)
    assert relative_magnitude_set(pre, post, 0.0) == pytest.approx((theta, theta))
    # the set reaches 0 when Mbar * 0.4 * 2 = 7/6: Mbar = 1.458...
    mbar = breakdown_mbar(pre, post)
    assert mbar == pytest.approx(theta / 0.8, abs=1e-9)
    assert relative_magnitude_set(pre, post, mbar)[0] == pytest.approx(0, abs=1e-9)


def test_data_without_adoption_or_bad_arguments_are_refused(sample_data):
    with pytest.raises(InputError, match="needs the adoption table"):
        pathaudit.dual_ladder_study(dataclasses.replace(sample_data, adoption=None))
    with pytest.raises(ArgumentError, match="control_group must be one of"):
        pathaudit.dual_ladder_study(sample_data, control_group="nevertreated")
    with pytest.raises(ArgumentError, match="parts must name items"):
        pathaudit.dual_ladder_study(sample_data, parts=["event"])
    with pytest.raises(ArgumentError, match="takes loaded data"):
        pathaudit.dual_ladder_study("data/sample")


def test_study_preset_and_its_truth():
    import json
    from pathlib import Path

    from pathaudit.simulate import simulate
    from pathaudit.simulate.config import adoption_ratio, default, study

    # the ramp parameters are written only when set: the sample keeps its key
    sample = Path(__file__).resolve().parents[1] / "data" / "sample" / "truth.json"
    assert default().key() == json.loads(sample.read_text())["config_key"]
    assert "adoption_hr_final" not in default().to_dict()
    c = study()
    g = c.adoption_array()
    assert len(c.units) >= 40 and (g > c.n_months).sum() == 8
    assert sorted(np.unique(g[g < c.n_months], return_counts=True)[1]) == [8, 8, 8, 8]
    assert adoption_ratio(c, [0, 12, 24, 60]).round(4).tolist() == pytest.approx(
        [0.85, 0.85 * (0.55 / 0.85) ** 0.5, 0.55, 0.55], abs=1e-4
    )
    t = simulate(c, seed=5).truth["study"]
    targets = t["cs_targets"]["person-time"]
    assert set(targets) == {
        "simple",
        "group",
        "dynamic",
        "calendar",
        "group_by",
        "dynamic_by",
        "calendar_by",
    }
    # the effect grows with time since adoption, and is zero before it
    dyn = {int(k): v for k, v in targets["dynamic_by"].items()}
    assert all(v == 0 for e, v in dyn.items() if e < 0)
    assert dyn[0] > dyn[4] > dyn[8] and dyn[0] < 0
    assert t["cox_hr_pseudo_true"] == pytest.approx(0.7178)
    null = simulate(study(adoption_hr=1.0, adoption_hr_final=1.0), seed=5).truth["study"]
    assert null["cs_targets"]["person-time"]["simple"] == 0 and null["cox_hr_pseudo_true"] == 1
