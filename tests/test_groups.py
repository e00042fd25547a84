"""Every analysis groups by any grouping column the data has (gender, ethnicity, age band, ...).

One check (``checks.check_group``) decides what ``group=`` and the group columns of ``by=``
accept: a column of the table with at least one value. Ethnicity and age band reach the spells
and exposure tables from ``people``, so every analysis can use them.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from builders import mini_org, random_org, true_cif

import pathaudit
from pathaudit.checks import GROUP_COLUMNS, check_group
from pathaudit.errors import ArgumentError


def _with_groups(data, seed=0):
    """``data`` with a random ethnicity and age band per person (independent of everything)."""
    rng = np.random.default_rng(seed)
    ids = data.people["employee_id"].drop_duplicates()
    eth = pd.Series(rng.choice(["A", "B", "C"], len(ids), p=[0.5, 0.3, 0.2]), index=ids)
    age = pd.Series(rng.choice(["<30", "30-39", "40+"], len(ids)), index=ids)
    p = data.people.assign(
        ethnicity=data.people["employee_id"].map(eth).to_numpy(),
        age_band=data.people["employee_id"].map(age).to_numpy(),
    )
    return replace(data, people=p)


@pytest.fixture(scope="module")
def org():
    return _with_groups(random_org(n=3000, seed=5, k=1))


@pytest.fixture(scope="module")
def promo():
    return _with_groups(mini_org(n=3000, seed=1), seed=1)


def test_ethnicity_and_age_band_reach_spells_and_exposure(org):
    people = org.people.set_index(["employee_id", "episode"])
    for table in (org.spells, org.exposure):
        key = pd.MultiIndex.from_frame(table[["employee_id", "episode"]])
        for col in ("gender", "ethnicity", "age_band"):
            assert table[col].tolist() == people.loc[key, col].tolist()


def test_retention_by_gender_is_retention_of_each_gender_alone(org):
    # the group curve of (track, gender) is the plain retention curve of the data restricted
    # to that gender: the grouping partitions, nothing else changes
    res = pathaudit.attrition(org, parts=["retention"], group="gender")
    assert list(res.retention.table.columns[:4]) == ["curve", "track", "gender", "years"]
    for g in ("F", "M"):
        ids = org.people.loc[org.people["gender"] == g, "employee_id"]
        sub = replace(org, history=org.history[org.history["employee_id"].isin(ids)],
                      people=org.people[org.people["employee_id"].isin(ids)])
        alone = pathaudit.attrition(sub, parts=["retention"]).retention
        for curve in ("tenure", "time_in_track"):
            ours = res.retention.tables[curve]
            ours = ours[ours["gender"] == g].drop(columns="gender").reset_index(drop=True)
            ref = alone.tables[curve].reset_index(drop=True)
            pd.testing.assert_frame_equal(ours, ref)
        summary = res.retention.table
        summary = summary[summary["gender"] == g].drop(columns="gender")
        pd.testing.assert_frame_equal(summary.reset_index(drop=True),
                                      alone.table.reset_index(drop=True))


def test_retention_by_gender_recovers_the_true_survival(org):
    # random_org's exit hazards depend on the track only (IC 0.15, M 0.11 per year), so every
    # gender's tenure curve estimates exp(-rate * t); a run that switches track is censored
    res = pathaudit.attrition(org, parts=["retention"], group="gender")
    t = res.retention.table
    t = t[t["curve"] == "tenure"]
    rate = {"IC": 0.12 + 0.03, "M": 0.08 + 0.03}
    z = []
    for _, row in t.iterrows():
        truth = np.exp(-rate[row["track"]] * row["years"])
        se = (row["ci_upper"] - row["ci_lower"]) / (2 * 1.96)
        z.append((row["estimate"] - truth) / se)
    assert len(z) == 16 and np.max(np.abs(z)) < 3


def test_retention_by_group_stops_where_fewer_than_k_are_at_risk(org):
    data = replace(org, config={**org.config, "privacy": {"min_cell_size": 40}})
    res = pathaudit.attrition(data, parts=["retention"], group="age_band")
    curves = res.published()["retention"].tables["tenure"]
    shown = curves.loc[~curves["suppressed"].astype(bool)]
    assert len(shown) and (shown["n"] >= 40).all()
    assert set(shown["age_band"]) == {"<30", "30-39", "40+"}


def test_promotion_incidence_by_age_band_recovers_the_truth(promo):
    # mini_org's hazards depend on the track only: each age band's cumulative incidence of
    # promotion estimates true_cif(track, t)
    res = pathaudit.time_to_promotion(promo, group="age_band", parts=["parity"])
    prob = res.parity.tables["probability"]
    aj = prob[prob["estimator"] == "aalen_johansen"]
    assert set(aj["age_band"]) == {"<30", "30-39", "40+"}
    z = [(r["estimate"] - true_cif(r["track"], r["horizon"])) / r["se"]
         for _, r in aj.iterrows()]
    assert len(z) == 2 * 3 * 4 and np.max(np.abs(z)) < 3
    assert set(res.parity.table["group"]) <= {"<30", "30-39", "40+"}


def test_impact_ratios_by_ethnicity_are_those_of_the_same_labels_by_gender(promo):
    # grouping by a column is grouping by its values: ethnicity set equal to gender gives the
    # gender figures exactly, whatever the column is called
    # (no controls: gender, a default control, would be collinear with this ethnicity)
    data = replace(promo, people=promo.people.assign(ethnicity=promo.people["gender"]))
    kw = {"parts": ["parity"], "controls": []}
    by_eth = pathaudit.time_to_promotion(data, group="ethnicity", **kw).parity
    by_gen = pathaudit.time_to_promotion(data, group="gender", **kw).parity
    assert len(by_gen.tables["hazard"]) == 2
    pd.testing.assert_frame_equal(by_eth.table, by_gen.table)
    for name in by_gen.tables:
        a = by_eth.tables[name].rename(columns={"ethnicity": "gender"})
        pd.testing.assert_frame_equal(a, by_gen.tables[name])


def test_impact_ratios_by_ethnicity(promo):
    res = pathaudit.time_to_promotion(promo, group="ethnicity", parts=["parity"]).parity
    impact = res.tables["impact_ratio"]
    assert {"A", "B", "C"} >= set(impact["group"].dropna())
    # hazards do not depend on ethnicity: every impact ratio's interval holds 1 or lies near it
    ok = impact.dropna(subset=["ci_lower"])  # the reference group has no interval
    assert len(ok) == 4 and ((ok["ci_lower"] < 1.05) & (ok["ci_upper"] > 0.95)).all()


def test_rates_by_ethnicity_and_age_band(org):
    res = pathaudit.attrition(org, parts=["rates_by"], by=["ethnicity", "age_band"])
    t = res.rates_by.table
    assert {"track", "ethnicity", "age_band", "kind"} <= set(t.columns)
    assert len(t) == 2 * 3 * 3 * 3  # track x ethnicity x age band x kind


def test_a_misspelt_or_absent_group_is_an_error_naming_the_choices():
    data = random_org(n=300, seed=2)  # no ethnicity, no age band
    with pytest.raises(ArgumentError, match=r"group must name a grouping column of the spells "
                       r".*not found: \['gendr'\]. Did you mean 'gender'\?"):
        pathaudit.time_to_promotion(data, group="gendr")
    with pytest.raises(ArgumentError, match=r"not found: \['ethnicity'\]. Without values in "
                       r"this data: \['ethnicity'\]"):
        pathaudit.time_to_promotion(data, group="ethnicity")
    with pytest.raises(ArgumentError, match=r"group must name a grouping column of the "
                       r"exposure table: \['gender', 'org_unit', 'job_family', 'location'\]; "
                       r"not found: \['gendr'\]"):
        pathaudit.attrition(data, group="gendr")
    with pytest.raises(ArgumentError, match=r"by must name columns .*not found: \['age_band'\]"):
        pathaudit.forced_management(data, by="age_band")


def test_check_group_takes_only_columns_with_values():
    t = pd.DataFrame({"gender": ["F", None], "ethnicity": [None, None], "pay": [1.0, 2.0]})
    assert check_group(None, "group", t) == ()
    assert check_group("gender", "group", t) == ("gender",)
    assert check_group(["gender"], "by", t, many=True) == ("gender",)
    with pytest.raises(ArgumentError, match=r"must name a grouping column of the data: "
                       r"\['gender'\]; not found: \['pay'\]"):
        check_group("pay", "group", t)
    with pytest.raises(ArgumentError, match="group must be one column name"):
        check_group(["gender"], "group", t)
    assert GROUP_COLUMNS == ("gender", "ethnicity", "age_band", "org_unit", "job_family",
                             "location")


def test_a_hazard_ratio_left_out_of_parity_is_named_with_its_reason(promo):
    # ethnicity equal to gender, with gender among the default controls: the Cox model cannot
    # separate them, so the group hazard ratio is left out, and a caveat says which and why
    data = replace(promo, people=promo.people.assign(ethnicity=promo.people["gender"]))
    res = pathaudit.time_to_promotion(data, group="ethnicity", parts=["parity"])
    assert len(res.parity.tables["hazard"]) == 0
    (note,) = [n for n in res.notes if n.part == "parity"]
    assert note.kind == "caveat"
    assert note.text.startswith("no hazard ratio for IC, F vs M: ")
    assert "collinear" in note.text and "M, F vs M" in note.text
    assert res.parity.meta["not_estimable"] == note.text
