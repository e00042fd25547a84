"""Forced-into-management indicators: hand-built cases with exact answers, graceful
degradation, the profile, and (on simulated organisations) recovery of the truth and
the healthy-vs-broken flag rates."""

from __future__ import annotations

from functools import partial

import builders
import numpy as np
import pandas as pd
import pytest
from builders import YEAR, stack
from builders import person as P
from coverage_tables import write_coverage_table

from pathaudit.data import AuditData

LADDER = {
    "IC2": 2, "IC3": 3, "IC4": 4, "IC5": 5,
    "M1": 3, "M2": 4, "M3": 5, "M4": 6,
}
"""Level -> grade of the hand-built ladder: IC tops out at 5, M at 6."""


# --------------------------------------------------------------------------- builders


build = partial(builders.persons_audit, grades=LADDER)
"""AuditData from ``P`` people on the hand-built ladder."""


D0 = pd.Timestamp("2019-01-01")


def day(n: int) -> pd.Timestamp:
    return D0 + pd.Timedelta(days=n)


def pick(result, measure: str, *, by: str = "overall", group: str = "all", grade=None,
         **where) -> pd.Series:
    t = result.table
    sel = (t["measure"] == measure) & (t["by"] == by) & (t["group"] == group)
    sel &= t["grade"].isna() if grade is None else (t["grade"] == grade)
    for c, v in where.items():
        sel &= t[c] == v
    hits = t.loc[sel]
    assert len(hits) == 1, hits
    return hits.iloc[0]


# --------------------------------------------------------------------------- IC ceiling

from pathaudit.errors import ArgumentError  # noqa: E402
from pathaudit.headline import Threshold  # noqa: E402
from pathaudit.management._analysis import (  # noqa: E402
    DEFAULT_THRESHOLDS,
    INDICATORS,
    forced_management,
    ic_ceiling,
    nominal_managers,
    peter_principle,
    post_switch_attrition,
    preference_mismatch,
    profile,
    resolve_thresholds,
    scores,
    stalled_then_switched,
    switch_back,
    switch_premium,
    who_switches,
)


def ceiling_data(k: int = 1) -> AuditData:
    # grade 4: two ICs (one promoted on day 500) and two managers (one promoted on day 250)
    persons = [
        P("i1", D0, [(D0, "IC4"), (day(500), "IC5")]),
        P("i2", D0, [(D0, "IC4")]),
        P("m1", D0, [(D0, "M2"), (day(250), "M3")]),
        P("m2", D0, [(D0, "M2")]),
        P("i3", D0, [(D0, "IC3")]),
    ]
    return build(persons, extract="2020-12-31", k=k)


def test_ic_ceiling_designed_realised_and_promotion_ratio_exact():
    res = ic_ceiling(ceiling_data())
    d = pick(res, "designed_gap")
    assert (d["estimate"], d["top_ic_grade"], d["top_m_grade"]) == (1.0, 5.0, 6.0)
    assert d["ci_lower"] == d["ci_upper"] == 1.0
    # employed on as-of: ICs at grades 5, 4, 3; managers at 5 and 4 -> realised tops 5 and 5
    r = pick(res, "realised_gap")
    assert (r["top_ic_grade"], r["top_m_grade"], r["estimate"]) == (5.0, 5.0, 0.0)
    s = pick(res, "share_at_top_ic")
    assert (s["numerator"], s["denominator"]) == (1.0, 3.0)
    # grade 4: IC 1 promotion in 500 + 731 days, M 1 promotion in 250 + 731 days
    pr = pick(res, "promotion_rate_ratio")
    assert pr["estimate"] == pytest.approx((1 / 1231) / (1 / 981), rel=1e-9)
    per_grade = pick(res, "promotion_rate_ratio", grade=4)
    assert per_grade["estimate"] == pytest.approx(981 / 1231, rel=1e-12)
    assert (per_grade["numerator"], per_grade["denominator"]) == (1.0, 1.0)


def test_ic_ceiling_realised_needs_k_people_per_grade():
    res = ic_ceiling(ceiling_data(k=2))
    r = pick(res, "realised_gap")
    # with k = 2 no grade holds two ICs or two managers: no realised top, and too few people
    assert np.isnan(r["estimate"])


def test_ic_ceiling_unit_ladder_and_widest_gap():
    data = ceiling_data()
    extra = pd.DataFrame({"track": ["IC"], "level": ["IC6"], "grade": [6], "org_unit": ["U2"],
                          "valid_from": [pd.Timestamp("2020-06-01")]})
    lad = data.ladder.assign(org_unit=pd.NA, valid_from=pd.NaT)
    lad = pd.concat([lad, extra], ignore_index=True)
    lad["grade"] = lad["grade"].astype("Int64")
    data.ladder = lad
    data.history.loc[data.history["employee_id"] == "i3", "org_unit"] = "U2"
    res = ic_ceiling(data, by="org_unit")
    assert pick(res, "designed_gap", by="org_unit", group="U2")["estimate"] == 0.0
    assert pick(res, "designed_gap", by="org_unit", group="U1")["estimate"] == 1.0
    overall = pick(res, "designed_gap")
    assert (overall["estimate"], overall["units_with_gap"]) == (1.0, 1.0)
    # a second unit on the organisation-wide ladder is a second unit with the gap
    # tables are replaced, never edited in place: the dataset's cache sees a new table
    h = data.history.copy()
    h.loc[h["employee_id"] == "m2", "org_unit"] = "U3"
    data.history = h
    again = ic_ceiling(data)
    assert pick(again, "designed_gap")["units_with_gap"] == 2.0
    # before the unit's IC6 took effect, U2 had the gap too
    early = ic_ceiling(data.with_as_of("2020-03-31"), by="org_unit")
    assert pick(early, "designed_gap", by="org_unit", group="U2")["estimate"] == 1.0


# --------------------------------------------------------------------------- switch premium


def premium_data() -> AuditData:
    persons = []
    move = day(400)
    for i, p in enumerate([110, 115, 120, 125, 130]):
        persons.append(P(f"s3_{i}", D0, [(D0, "IC3", 100), (move, "M1", p)]))
    for i, p in enumerate([102, 105, 108, 111, 114]):
        persons.append(P(f"p3_{i}", D0, [(D0, "IC3", 100), (move, "IC4", p)]))
    for i in range(10):
        persons.append(P(f"s2_{i}", D0, [(D0, "IC2", 100), (move, "M1", 105)]))
    for i in range(5):
        persons.append(P(f"p2_{i}", D0, [(D0, "IC2", 100), (move, "IC3", 110)]))
    persons.append(P("nopay", D0, [(D0, "IC3", 0.0), (move, "M1", 120)]))
    return build(persons, extract="2021-12-31")


def test_switch_premium_exact_per_grade_and_pooled():
    res = switch_premium(premium_data())
    g3 = pick(res, "premium", grade=3)
    assert g3["estimate"] == pytest.approx(0.20 - 0.08, abs=1e-12)
    assert (g3["numerator"], g3["denominator"]) == (5.0, 5.0)
    assert pick(res, "median_raise_switch", grade=3)["estimate"] == pytest.approx(0.20)
    assert pick(res, "median_raise_promotion", grade=3)["estimate"] == pytest.approx(0.08)
    g2 = pick(res, "premium", grade=2)
    assert g2["estimate"] == pytest.approx(-0.05, abs=1e-12)
    assert g2["ci_lower"] == pytest.approx(-0.05) and g2["ci_upper"] == pytest.approx(-0.05)
    pooled = pick(res, "premium")
    # weighted by switches: (5 * 0.12 + 10 * -0.05) / 15
    assert pooled["estimate"] == pytest.approx((5 * 0.12 - 10 * 0.05) / 15, abs=1e-12)
    assert pooled["ci_lower"] <= pooled["estimate"] <= pooled["ci_upper"]
    assert (pooled["numerator"], pooled["denominator"]) == (15.0, 10.0)
    assert res.meta["excluded"] == {"moves without pay before and after": 1}


def test_switch_premium_grade_below_minimum_is_left_out_of_pooled():
    data = premium_data()
    keep = ~data.people["employee_id"].str.startswith("p2_")
    data.people = data.people.loc[keep].reset_index(drop=True)
    data.history = data.history.loc[~data.history["employee_id"].str.startswith("p2_")]
    res = switch_premium(data)
    # grade 2 now has no promotions: the pooled figure is grade 3's alone
    assert pick(res, "premium")["estimate"] == pytest.approx(0.12, abs=1e-12)


# --------------------------------------------------------------------------- stalled


def stall_data() -> AuditData:
    persons = [
        P("A", D0, [(D0, "IC3"), (day(400), "IC4")]),
        P("B", D0, [(D0, "IC3"), (day(800), "IC4")]),
        P("C", D0, [(D0, "IC3"), (day(1200), "M1")]),
        P("D", D0, [(D0, "IC3"), (day(600), "M1")]),
    ]
    return build(persons, extract="2023-12-31")


def test_stall_threshold_hazard_ratio_and_share_exact():
    data = stall_data()
    res = stalled_then_switched(data)
    thr = res.tables["thresholds"].set_index("grade")
    # Aalen-Johansen: F(400) = 1/4, S = 3/4; switch at 600: S = 1/2; F(800) = 1/4 + 1/2 * 1/2
    assert thr.loc[3, "threshold"] == pytest.approx(800 / YEAR)
    assert thr.loc[3, "rule"] == "median"
    # nobody is promoted from grade 4: it takes grade 3's threshold
    assert thr.loc[4, "rule"] == "grade_below"
    assert thr.loc[4, "threshold"] == pytest.approx(800 / YEAR)
    hr = pick(res, "hazard_ratio")
    # stalled: 1 switch in 400 days (C); progressing: 1 switch in 400+800+800+600 days at grade 3
    assert hr["estimate"] == pytest.approx((1 / 400) / (1 / 2600), rel=1e-7)
    assert (hr["numerator"], hr["denominator"]) == (1.0, 1.0)
    # grade 4 time: A 1426 days (800 progressing), B 1026 days (800 progressing)
    assert hr["stalled_person_years"] == pytest.approx((400 + 626 + 226) / YEAR)
    assert hr["progressing_person_years"] == pytest.approx((2600 + 1600) / YEAR)
    share = pick(res, "share_stalled")
    assert (share["estimate"], share["numerator"], share["denominator"]) == (0.5, 1.0, 2.0)
    g3 = pick(res, "rate_ratio", grade=3)
    assert g3["estimate"] == pytest.approx(6.5, rel=1e-12)


# --------------------------------------------------------------------------- who switches


def who_data() -> AuditData:
    persons = [P(f"F{i}", D0, [(D0, "IC3")], gender="F") for i in range(4)]
    persons[0] = P("F0", D0, [(D0, "IC3"), (day(500), "M1")], gender="F")
    persons[1] = P("F1", D0, [(D0, "IC3"), (day(1000), "M1")], gender="F")
    persons += [P(f"M{i}", D0, [(D0, "IC3")], gender="M") for i in range(5)]
    persons[4] = P("M0", D0, [(D0, "IC3"), (day(300), "M1")], gender="M")
    return build(persons, extract="2021-12-31")  # as-of is day 1095, stop day 1096


def test_who_switches_rates_and_ratio_exact():
    res = who_switches(who_data())
    py_f, py_m = (500 + 1000 + 2 * 1096) / YEAR, (300 + 4 * 1096) / YEAR
    rr = pick(res, "rate_ratio", attribute="gender", category="F")
    assert rr["reference"] == "M"  # the group with the most IC person-time
    assert rr["estimate"] == pytest.approx((2 / py_f) / (1 / py_m), rel=1e-7)
    assert (rr["numerator"], rr["denominator"]) == (2.0, 1.0)
    within = pick(res, "rate_ratio_within_grade", grade=3, category="F")
    assert within["estimate"] == pytest.approx((2 / py_f) / (1 / py_m), rel=1e-12)
    rate = pick(res, "switch_rate", grade=3, category="F")
    assert rate["estimate"] == pytest.approx(100 * 2 / py_f)
    assert rate["denominator"] == pytest.approx(py_f)


# --------------------------------------------------------------------------- switch-back


def switch_back_data() -> AuditData:
    sw = day(100)
    persons = [
        P("S1", D0, [(D0, "IC3"), (sw, "M1"), (sw + pd.Timedelta(days=183), "IC3")]),
        P("S2", D0, [(D0, "IC3"), (sw, "M1")], term=sw + pd.Timedelta(days=364)),
        P("S3", D0, [(D0, "IC3"), (sw, "M1"), (sw + pd.Timedelta(days=548), "IC3")]),
        # a promotion within M does not end follow-up
        P("S4", D0, [(D0, "IC3"), (sw, "M1"), (sw + pd.Timedelta(days=300), "M2")]),
        P("S5", D0, [(D0, "IC3"), (sw, "M1"), (sw + pd.Timedelta(days=913), "IC3")]),
        # a manager hired as such never switched: not in the population
        P("H1", D0, [(D0, "M1")]),
    ]
    return build(persons, extract="2023-12-31")


def test_switch_back_cumulative_incidence_exact():
    res = switch_back(switch_back_data())
    cif = pick(res, "cif")
    # back at 183 d: 1/5; exit at 365 d: S = 4/5 * 3/4; back at 548 d: + 3/5 * 1/3
    assert cif["estimate"] == pytest.approx(0.4, abs=1e-12)
    assert (cif["numerator"], cif["denominator"], cif["n"]) == (2.0, 5.0, 5.0)
    assert cif["at_risk_at_horizon"] == 2.0
    assert cif["ci_lower"] < 0.4 < cif["ci_upper"]
    ex = pick(res, "exit_cif")
    assert ex["estimate"] == pytest.approx(0.2, abs=1e-12)
    # the 913-day switch-back is after the 24-month horizon: not counted
    assert pick(switch_back(switch_back_data(), horizon_months=36), "cif")["estimate"] == \
        pytest.approx(0.4 + 0.4 * 1 / 2, abs=1e-12)


def test_switch_back_matches_statsmodels():
    from statsmodels.duration.survfunc import CumIncidenceRight

    from pathaudit.management._rates import cif_at

    rng = np.random.default_rng(3)
    t = np.round(rng.exponential(2.0, 300), 2)
    s = rng.choice([0, 1, 2], size=300, p=[0.4, 0.3, 0.3])
    est, se, _, curve = cif_at(t, s, 1.5, cause=1)
    ref = CumIncidenceRight(t, s)
    j = np.searchsorted(ref.times, 1.5, side="right") - 1
    assert est == pytest.approx(ref.cinc[0][j], rel=1e-10)
    assert se == pytest.approx(ref.cinc_se[0][j], rel=1e-8)


# --------------------------------------------------------------------------- post-switch


def attrition_data(k: int = 1) -> AuditData:
    sw = day(400)
    persons = [
        P("S1", D0, [(D0, "IC3", 100, "U1"), (sw, "M1", 100, "U1")], term=day(499)),
        P("C1", D0, [(D0, "IC3", 100, "U1")]),
        P("S2", D0, [(D0, "IC3", 100, "U2"), (sw, "M1", 100, "U2")], term=day(599)),
        P("C2", D0, [(D0, "IC3", 100, "U2")]),
        P("S3", D0, [(D0, "IC3", 100, "U3"), (sw, "M1", 100, "U3")]),
        P("C3", D0, [(D0, "IC3", 100, "U3")], term=day(549)),
    ]
    return build(persons, extract="2021-12-31", k=k)


def test_post_switch_attrition_matched_pairs_exact():
    res = post_switch_attrition(attrition_data(), by="org_unit")
    hr = pick(res, "hazard_ratio")
    # matched pairs: the switcher leaves first in two sets, the control in one -> HR = 2
    assert hr["estimate"] == pytest.approx(2.0, rel=1e-5)
    assert (hr["numerator"], hr["denominator"], hr["n_sets"]) == (2.0, 1.0, 3.0)
    sw = pick(res, "exit_rate_switchers")
    assert sw["numerator"] == 2.0
    # one set per unit: each unit alone has one discordant pair, no finite ratio
    u1 = pick(res, "hazard_ratio", by="org_unit", group="U1")
    assert np.isnan(u1["estimate"])


@pytest.mark.parametrize("k", [3, 4])
def test_post_switch_hazard_ratio_hidden_when_either_side_is_below_k(k):
    # 6 people in the model, 3 switchers and 3 controls: with k = 4 the ratio and its event
    # counts would show the exits of 3 switchers, so the row is suppressed though n >= k
    hr = pick(post_switch_attrition(attrition_data(k=k)), "hazard_ratio")
    assert hr["suppressed"] == (k > 3)
    shown = ["estimate", "ci_lower", "ci_upper", "numerator", "denominator", "p_value",
             "expected_focal", "expected_reference"]
    if k > 3:
        assert hr[shown].isna().all()
    else:
        assert hr["estimate"] == pytest.approx(2.0, rel=1e-5)
        assert hr[shown].notna().all()


# --------------------------------------------------------------------------- roles


def roles_data(with_manager: bool = True, with_pref: bool = True) -> AuditData:
    persons = [
        P("X", D0, [(D0, "M2")], pref="IC"),
        P("Y", D0, [(D0, "M2")], pref="M"),
        P("Z", D0, [(D0, "M1")], pref=None),
        P("r1", D0, [(D0, "IC3", 100, "U1", "X")], pref="M"),
        P("r2", D0, [(D0, "IC3", 100, "U1", "X")], pref="IC"),
        P("r3", D0, [(D0, "IC3", 100, "U1", "X")]),
        # r4 reported to X, then to Y
        P("r4", D0, [(D0, "IC3", 100, "U1", "X"), (day(300), "IC3", 105, "U1", "Y")]),
        # r5 reported to Z but left before as-of
        P("r5", D0, [(D0, "IC3", 100, "U1", "Z")], term=day(200)),
    ]
    return build(persons, extract="2020-12-31", with_manager=with_manager, with_pref=with_pref)


def test_nominal_managers_exact():
    res = nominal_managers(roles_data())
    share = pick(res, "share")
    # X has r1, r2, r3; Y has r4; Z has nobody employed
    assert (share["numerator"], share["denominator"]) == (2.0, 3.0)
    assert share["estimate"] == pytest.approx(2 / 3)
    assert pick(res, "share_no_reports")["estimate"] == pytest.approx(1 / 3)
    assert pick(nominal_managers(roles_data(), min_reports=4), "share")["numerator"] == 3.0
    # one year earlier (2019 year end) r4 still reported to X... and r5 had left already
    yearly = nominal_managers(roles_data(), by="year")
    y19 = pick(yearly, "share", by="year", group="2019")
    assert (y19["numerator"], y19["denominator"]) == (2.0, 3.0)


def test_preference_mismatch_exact():
    res = preference_mismatch(roles_data())
    share = pick(res, "share")
    assert (share["numerator"], share["denominator"]) == (1.0, 2.0)
    assert pick(res, "coverage")["estimate"] == pytest.approx(2 / 3)
    ic = pick(res, "share_ic_preferring_m")
    assert (ic["numerator"], ic["denominator"]) == (1.0, 2.0)


# --------------------------------------------------------------------------- Peter principle


def peter_data() -> tuple[AuditData, list[tuple]]:
    move = pd.Timestamp("2020-07-01")
    persons, ratings = [], []
    before, after = pd.Timestamp("2020-04-01"), pd.Timestamp("2021-04-01")
    for i, (b, a) in enumerate([(3, 2), (4, 3), (3, 3)]):
        persons.append(P(f"s{i}", D0, [(D0, "IC3"), (move, "M1")]))
        ratings += [(f"s{i}", before, b), (f"s{i}", after, a)]
    for i, (b, a) in enumerate([(3, 3), (3, 4), (2, 2)]):
        persons.append(P(f"p{i}", D0, [(D0, "IC3"), (move, "IC4")]))
        ratings += [(f"p{i}", before, b), (f"p{i}", after, a)]
    # too soon after the move (3 months): not the rating after, even though it is the first
    ratings.append(("s0", pd.Timestamp("2020-10-01"), 5))
    return build(persons, extract="2021-12-31", ratings=ratings), ratings


def test_peter_principle_exact():
    data, ratings = peter_data()
    res = peter_principle(data)
    diff = pick(res, "difference")
    assert diff["estimate"] == pytest.approx(-2 / 3 - 1 / 3, abs=1e-12)
    assert (diff["numerator"], diff["denominator"]) == (3.0, 3.0)
    sd = np.std([r[2] for r in ratings], ddof=1)
    assert pick(res, "std_difference")["estimate"] == pytest.approx(-1 / sd, abs=1e-12)
    assert pick(res, "mean_change_switch")["estimate"] == pytest.approx(-2 / 3)
    assert pick(res, "mean_change_promotion")["estimate"] == pytest.approx(1 / 3)


# --------------------------------------------------------------------------- degradation


def snapshot_of(data: AuditData) -> AuditData:
    last = data.history.drop_duplicates("employee_id", keep="last").reset_index(drop=True)
    data2 = AuditData(history=last, people=data.people, ladder=data.ladder,
                      extract_date=data.extract_date, history_start=data.history_start,
                      is_snapshot=True, config=data.config)
    return data2


@pytest.mark.parametrize("name", list(INDICATORS))
def test_every_indicator_says_what_it_cannot_compute_on_a_snapshot(name):
    data = snapshot_of(roles_data())
    res = INDICATORS[name](data)
    needs_history = name not in ("nominal_managers", "preference_mismatch", "ic_ceiling")
    if needs_history:
        assert res.meta["available"] is False
        assert "snapshot" in res.meta["note"]
        assert len(res.table) == 0
        assert {"estimate", "ci_lower", "ci_upper", "numerator", "denominator", "n"} <= set(
            res.table.columns)
    else:
        assert res.meta["available"] is True
        assert len(res.table) > 0


def test_cross_sections_work_on_a_snapshot():
    data = snapshot_of(roles_data())
    assert pick(nominal_managers(data), "share")["estimate"] == pytest.approx(2 / 3)
    assert pick(preference_mismatch(data), "share")["estimate"] == pytest.approx(1 / 2)
    res = ic_ceiling(data)
    assert pick(res, "designed_gap")["estimate"] == 1.0
    assert "promotion_rate_ratio" not in set(res.table["measure"])


@pytest.mark.parametrize(
    ("fn", "data", "phrase"),
    [
        (nominal_managers, lambda: roles_data(with_manager=False), "manager_id"),
        (preference_mismatch, lambda: roles_data(with_pref=False), "career_preference"),
        (peter_principle, lambda: stall_data(), "ratings"),
        (who_switches, lambda: stall_data().__class__(
            history=stall_data().history, people=stall_data().people.drop(columns="gender"),
            ladder=stall_data().ladder, extract_date=pd.Timestamp("2023-12-31"),
            history_start=D0), "gender"),
    ],
)
def test_missing_inputs_are_reported_not_raised(fn, data, phrase):
    res = fn(data())
    assert res.meta["available"] is False
    assert phrase in res.meta["note"]
    assert "Not computed" in res.meta["note"]


def test_switch_premium_without_pay_is_reported():
    data = stall_data()
    data.history = data.history.assign(pay=np.nan)
    res = switch_premium(data)
    assert res.meta["available"] is False and "pay" in res.meta["note"]


def org_rows(audit) -> pd.DataFrame:
    p = audit.part("profile").table
    return p.loc[(p["by"] == "overall") & (p["group"] == "all")].reset_index(drop=True)


def test_forced_management_on_a_snapshot_runs_and_says_what_is_missing():
    audit = forced_management(snapshot_of(roles_data()))
    prof = org_rows(audit).set_index("key")
    assert prof.loc["switch_premium", "status"] == "not computed"
    assert "snapshot" in prof.loc["switch_premium", "reason"]
    # promotion rates need history even where the ceiling itself is computed
    assert prof.loc["ic_promotion_rate_ratio", "status"] == "not computed"
    assert prof.loc["nominal_manager_share", "status"] in ("flagged", "clear", "inconclusive")
    assert audit.switch_flows is None and audit.switch_premium is None
    missing = audit.not_computed()
    assert set(missing) == {"switch_premium", "stalled_then_switched", "who_switches",
                            "switch_back", "post_switch_attrition", "peter_principle",
                            "switch_flows"}
    assert all("snapshot" in why and not why.startswith("Not computed") for why in
               missing.values())
    assert "not computed (switch_flows)" in audit.summary()
    head = audit.headline().set_index("key")
    assert head.loc["switch_premium", "status"] == "not computed"
    assert "snapshot" in head.loc["switch_premium", "reason"]


# --------------------------------------------------------------------------- profile


def test_threshold_status_in_each_direction():
    above = Threshold("a", "m", "A", "above", 1.0, "ratio", "")
    assert above.status(2.0, 1.5, 2.5)[0] == "flagged"
    assert above.status(2.0, 0.9, 2.5)[0] == "inconclusive"
    assert above.status(0.5, 0.2, 1.0)[0] == "clear"
    assert above.status(np.nan, np.nan, np.nan)[0] == "not estimable"
    below = Threshold("a", "m", "A", "below", -0.2, "SD", "")
    assert below.status(-0.5, -0.7, -0.3)[0] == "flagged"
    assert below.status(-0.1, -0.3, 0.1)[0] == "inconclusive"
    assert below.status(0.0, -0.2, 0.2)[0] == "clear"
    band = Threshold("a", "m", "A", "outside", (0.8, 1.25), "ratio", "")
    assert band.status(0.6, 0.5, 0.7)[0] == "flagged"
    assert band.status(1.5, 1.3, 1.7)[0] == "flagged"
    assert band.status(1.0, 0.9, 1.1)[0] == "clear"
    assert band.status(1.0, 0.7, 1.4)[0] == "inconclusive"
    # an exact figure (interval = value) exactly at the threshold is not flagged
    gap = next(t for t in DEFAULT_THRESHOLDS if t.measure == "designed_gap")
    assert gap.status(0.0, 0.0, 0.0)[0] == "clear"
    assert gap.status(1.0, 1.0, 1.0) == ("flagged", "the whole interval lies above 0")
    # a ratio on too few events is not estimable, with the reason
    hr = next(t for t in DEFAULT_THRESHOLDS if t.key == "stalled_then_switched.hazard_ratio")
    assert hr.status(3.0, 1.5, 6.0, 4, 20)[0] == "not estimable"


def test_thresholds_are_configurable_and_unknown_keys_refused():
    ths = resolve_thresholds({"switch_premium.premium": 0.05})
    t = next(t for t in ths if t.key == "switch_premium.premium")
    assert t.value == 0.05
    assert len(ths) == len(DEFAULT_THRESHOLDS)
    known = [t.key for t in DEFAULT_THRESHOLDS]
    with pytest.raises(ArgumentError) as err:
        resolve_thresholds({"switch_premium.premiun": 1.0})
    assert str(err.value) == (
        f"thresholds must name default thresholds as 'indicator.measure': {known}; unknown: "
        "['switch_premium.premiun']. Did you mean 'switch_premium.premium'? Pass e.g. "
        "{'switch_premium.premium': 0.03}, or a list of Threshold to replace them all.")
    mine = (Threshold("nominal_managers", "share", "x", "above", 0.5, "share", "why"),)
    assert resolve_thresholds(mine) == mine


@pytest.mark.parametrize(
    ("thresholds", "phrase"),
    [
        ({"switch_premium.premium": "high"}, "thresholds['switch_premium.premium'] must be a "
                                             "number; got 'high'."),
        ({"who_switches.rate_ratio": 0.8}, "is a band: it must be a pair (low, high)"),
        ({"who_switches.rate_ratio": (1.25, 0.8)}, "with low < high"),
        ("switch_premium.premium=0.03", "thresholds must be None, a mapping"),
        ([("switch_premium", 0.03)], "must hold pathaudit.headline.Threshold objects; found "
                                     "tuple"),
        ([Threshold("nope", "m", "x", "above", 1.0, "ratio", "")], "each threshold must name "
                                                                   "an indicator"),
    ],
)
def test_bad_thresholds_are_refused_with_the_fix(thresholds, phrase):
    with pytest.raises(ArgumentError) as err:
        resolve_thresholds(thresholds)
    assert phrase in str(err.value)


def test_profile_flags_only_when_the_whole_interval_is_beyond():
    results = {"stalled_then_switched": stalled_then_switched(stall_data()),
               "switch_back": switch_back(switch_back_data())}
    ths = (
        Threshold("stalled_then_switched", "hazard_ratio", "stall", "above", 1.25, "ratio", ""),
        Threshold("switch_back", "cif", "back", "above", 0.05, "share", ""),
        Threshold("switch_back", "cif", "back", "above", 0.9, "share", ""),
    )
    # read alone, the switch-back share (0.4, interval 0.052-0.753) is flagged: its whole
    # interval lies above 0.05 (one-sided p = 0.0238 <= 0.025)
    alone = profile(results, ths[1:2])
    assert list(alone["status"]) == ["flagged"]
    assert alone.loc[0, "p_adjusted"] == pytest.approx(alone.loc[0, "p_value"])
    # read with two more figures, Benjamini-Hochberg: 3 x 0.0238 = 0.071 > 0.025
    prof = profile(results, ths)
    assert list(prof["status"]) == ["inconclusive", "inconclusive", "clear"]
    assert list(prof["flagged"]) == [False, False, False]
    assert "not after adjusting for the 3 figures" in prof.loc[1, "reason"]
    assert prof.loc[1, "p_adjusted"] == pytest.approx(3 * prof.loc[1, "p_value"])
    sc = scores(prof)
    assert sc.loc[0, ["flagged", "assessed", "clear", "inconclusive"]].tolist() == [0, 3, 1, 2]


def test_suppressed_figures_are_never_flagged_and_never_shown():
    data = switch_back_data()
    data.config = {"privacy": {"min_cell_size": 10}}
    audit = forced_management(data, by="org_unit")
    prof = audit.part("profile").table
    assert prof["suppressed"].any()
    assert not (prof["flagged"] & prof["suppressed"]).any()
    hidden = prof.loc[prof["suppressed"]]
    assert (hidden["status"] == "not estimable").all()
    assert (hidden["reason"] == "suppressed: fewer than 10 people").all()
    assert hidden["estimate"].isna().all()
    for name in INDICATORS:
        res = getattr(audit, name)
        if res is None:
            continue
        t = res.table
        shown = ~t["suppressed"].astype(bool)
        assert (t.loc[shown, "n"] >= 10).all()
        assert t.loc[~shown, "estimate"].isna().all()


def test_forced_management_units_years_and_score():
    from pathaudit.headline import STATUSES

    data = attrition_data()
    audit = forced_management(data, by="org_unit", over_time=True)
    prof = audit.part("profile").table
    assert set(prof["by"]) >= {"overall", "org_unit", "year"}
    sc = audit.part("scores").table
    assert set(sc.loc[sc["by"] == "org_unit", "group"]) == {"U1", "U2", "U3"}
    assert set(prof.loc[prof["by"] == "year", "group"]) >= {"2020", "2021"}
    assert prof["status"].isin(STATUSES).all() and sc["status"].isin(STATUSES).all()
    head = audit.headline()
    primary = head.loc[head["primary"]].iloc[0]
    assert primary["key"] == "flagged_indicators"
    assert primary["estimate"] == int(org_rows(audit)["flagged"].sum())
    org = sc.loc[sc["by"] == "overall"].iloc[0]
    assert (primary["estimate"], primary["status"], primary["reason"]) == (
        org["flagged"], org["status"], org["reason"])
    assert list(head["key"][1:]) == list(org_rows(audit)["key"])
    assert "employee_id" not in "".join(
        ",".join(r.table.columns) for r in audit.results().values())


def test_plots_draw_on_the_given_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    audit = forced_management(attrition_data(), by="org_unit")
    fig, ax = plt.subplots()
    assert audit.plot("profile", ax=ax) is ax
    # a grid of the organisation and each unit (rows) by figures (columns)
    prof = audit.part("profile").table
    n_figures = prof["key"].nunique()
    assert len(ax.get_xticklabels()) == n_figures
    assert [t.get_text() for t in ax.get_yticklabels()] == ["whole organisation", "U1", "U2",
                                                           "U3"]
    for options in ({"by": "year"}, {"figure": "switch_back_share", "by": "year"},
                    {"figure": "nominal_managers"}):
        fig, ax = plt.subplots()
        assert audit.plot("profile", ax=ax, **options) is ax
    fig, ax = plt.subplots()
    assert audit.plot("switch_flows", ax=ax).get_ylabel() == "moves per 100 person-years"
    assert "95% exact CI" in ax.get_title()
    fig, ax = plt.subplots()
    assert audit.plot("scores", ax=ax, by="year") is ax
    fig, ax = plt.subplots()
    assert audit.plot("switch_back", ax=ax, by="org_unit") is ax
    with pytest.raises(ArgumentError, match="figure must be a key of the profile"):
        audit.plot("profile", figure="nope")
    with pytest.raises(ArgumentError, match="by must be one of the groupings"):
        audit.plot("scores", by="location")
    plt.close("all")


def test_plots_do_not_import_the_bundle():
    import ast
    from pathlib import Path

    import pathaudit.management._plots as plots

    tree = ast.parse(Path(plots.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not imported & {"pathaudit.management._analysis", "pathaudit.management._flow"}


# --------------------------------------------------------------------------- the contract


def test_headline_keys_labels_and_the_primary_figure():
    audit = forced_management(attrition_data(), by="org_unit")
    head = audit.headline()
    assert head["key"].tolist() == [
        "flagged_indicators", "ic_ceiling_designed_gap", "ic_promotion_rate_ratio",
        "switch_premium", "stalled_switch_hazard_ratio", "who_switches_rate_ratio",
        "switch_back_share", "post_switch_exit_hazard_ratio", "nominal_manager_share",
        "preference_mismatch_share", "peter_principle_rating_change"]
    assert head["primary"].tolist() == [True] + [False] * 10
    assert (head["question"] == "management").all()
    h = head.set_index("key")
    # the designed gap is one grade: flagged, and the strongest flag (threshold 0: in grades)
    assert (h.loc["ic_ceiling_designed_gap", "estimate"],
            h.loc["ic_ceiling_designed_gap", "status"]) == (1.0, "flagged")
    assert h.loc["flagged_indicators", "status"] == "flagged"
    assert "[ic_ceiling_designed_gap]" in h.loc["flagged_indicators", "reason"]
    assert h.loc["flagged_indicators", "threshold"] == "flagged above 0"
    assert h.loc["switch_back_share", "label"] == (
        "Switchers back on the IC track within 24 months")
    # no ratings in this data: not computed, with the reason
    assert h.loc["peter_principle_rating_change", "status"] == "not computed"
    assert "ratings" in h.loc["peter_principle_rating_change", "reason"]


def profile_of(statuses: list[str], excess: list[float] | None = None) -> pd.DataFrame:
    n = len(statuses)
    return pd.DataFrame({
        "by": "overall", "group": "all", "key": [f"f{i}" for i in range(n)],
        "label": [f"figure {i}" for i in range(n)], "detail": "", "status": statuses,
        "reason": [f"why {i}" for i in range(n)],
        "excess": excess if excess is not None else [np.nan] * n,
    })


@pytest.mark.parametrize(
    ("statuses", "excess", "status", "reason"),
    [
        (["flagged", "clear", "flagged", "not estimable"], [0.5, np.nan, 1.5, np.nan],
         "flagged", "2 of 3 assessed figures flagged; the strongest is figure 2 [f2]: why 2"),
        (["clear", "clear", "not computed"], None, "clear",
         "none of the 2 assessed figures is flagged and every one is clear; 1 not assessed "
         "(not estimable or not computed)"),
        (["clear", "inconclusive"], None, "inconclusive",
         "none of the 2 assessed figures is flagged, but 1 is inconclusive (the interval "
         "straddles the threshold)"),
        (["not estimable", "not computed"], None, "not estimable",
         "no figure could be assessed (2 not estimable or not computed)"),
    ],
)
def test_the_score_and_its_status(statuses, excess, status, reason):
    sc = scores(profile_of(statuses, excess)).iloc[0]
    assert (sc["status"], sc["reason"]) == (status, reason)
    assert sc["flagged"] == statuses.count("flagged")
    assert sc["assessed"] == sum(s in ("flagged", "clear", "inconclusive") for s in statuses)


def test_strongest_flag_is_furthest_beyond_relative_to_the_threshold():
    results = {"switch_back": switch_back(switch_back_data()),
               "stalled_then_switched": stalled_then_switched(stall_data())}
    ths = (Threshold("switch_back", "cif", "back", "above", 0.05, "share", ""),
           Threshold("stalled_then_switched", "hazard_ratio", "stall", "above", 0.5,
                     "ratio", ""))
    prof = profile(results, ths)
    row = prof.set_index("key").loc["switch_back_share"]
    assert row["status"] == "flagged"
    assert row["excess"] == pytest.approx((row["ci_lower"] - 0.05) / 0.05)
    assert row["reason"].endswith(f"(by {row['excess']:.0%} of the threshold)")


def test_parts_computes_only_what_is_asked():
    data = attrition_data()
    audit = forced_management(data, parts=["switch_back", "ic_ceiling"])
    assert list(audit.results()) == ["ic_ceiling", "switch_back"]  # report order
    assert audit.switch_premium is None and audit.profile is None
    head = audit.headline().set_index("key")
    assert head.loc["switch_premium", "status"] == "not computed"
    assert head.loc["switch_premium", "reason"] == "not asked for (see parts=)"
    assert head.loc["switch_back_share", "status"] != "not computed"
    # the profile reads every indicator, so it is computed with them, but only it is returned
    only = forced_management(data, parts=["profile"])
    assert list(only.results()) == ["profile"]
    full = forced_management(data)
    pd.testing.assert_frame_equal(only.part("profile").table, full.part("profile").table)
    pd.testing.assert_frame_equal(only.headline(), full.headline())
    # indicators= is an alias of parts= for indicator names
    alias = forced_management(data, indicators=["switch_back"])
    assert list(alias.results()) == ["switch_back"]


def test_a_part_not_computed_says_why():
    audit = forced_management(attrition_data(), parts=["peter_principle", "switch_back"])
    assert list(audit.results()) == ["switch_back"]
    assert "ratings" in audit.not_computed()["peter_principle"]
    with pytest.raises(Exception, match="was not computed: the export has no performance"):
        audit.part("peter_principle")


def test_texts_follow_alpha_and_the_horizon():
    audit = forced_management(attrition_data(), alpha=0.1,
                              options={"switch_back": {"horizon_months": 12}})
    text = audit.summary()
    assert "90% confidence interval" in text and "95%" not in text
    head = audit.headline().set_index("key")
    assert head.loc["switch_back_share", "label"] == (
        "Switchers back on the IC track within 12 months")
    prof = audit.part("profile")
    assert "90% confidence interval" in prof.meta["definition"]
    assert set(prof.table.loc[prof.table["indicator"] == "switch_back", "label"]) == {
        "Switchers return to IC within 12 months"}
    assert audit.part("switch_back").meta["alpha"] == 0.1


# --------------------------------------------------------------------------- argument checks


def test_unknown_indicator_names_the_known_ones():
    with pytest.raises(ArgumentError) as err:
        forced_management(attrition_data(), indicators=["nope"])
    assert str(err.value) == f"indicators must name items of {list(INDICATORS)}; unknown: ['nope']."
    with pytest.raises(ArgumentError, match="Did you mean 'switch_back'"):
        forced_management(attrition_data(), parts=["switch_bak"])
    with pytest.raises(ArgumentError, match="give parts= or its alias indicators=, not both"):
        forced_management(attrition_data(), parts=["switch_back"], indicators=["switch_back"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "unit"}, "by must name columns of the groupings of this data: ['gender', "
                         "'job_family', 'location', 'org_unit', 'year']; not found: ['unit']. "
                         "Did you mean 'org_unit'?"),
        ({"by": ["org_unit"]}, "by must be None or one column name (e.g. 'org_unit'); got "
                               "['org_unit']."),
        ({"seed": -1}, "seed must be a whole number at least 0; got -1."),
        ({"seed": 1.5}, "seed must be a whole number at least 0; got 1.5."),
        ({"over_time": "yes"}, "over_time must be True or False; got 'yes'."),
        ({"alpha": 0.5}, "alpha must be a number between 0 and 0.5 (0.05 gives 95% "
                         "intervals); got 0.5."),
        ({"options": {"nope": {}}}, "options must name items of"),
        ({"options": {"nominal_managers": {"min_report": 3}}},
         "options['nominal_managers'] takes ['min_reports']; unknown: ['min_report']. by, "
         "alpha and seed are forced_management's own arguments and apply to every indicator."),
        ({"options": {"switch_back": {"horizon_months": 0}}},
         "options['switch_back']['horizon_months'] must be a whole number at least 1; got 0."),
        ({"options": {"switch_back": 12}}, "options['switch_back'] must be a mapping"),
        ({"options": [("switch_back", {})]}, "options must map indicator names"),
        ({"thresholds": {"nope.x": 1}}, "thresholds must name default thresholds"),
    ],
)
def test_forced_management_checks_its_arguments(kwargs, message):
    with pytest.raises(ArgumentError) as err:
        forced_management(attrition_data(), **kwargs)
    assert message in str(err.value)


@pytest.mark.parametrize("fn", [*INDICATORS.values(), forced_management],
                         ids=[*INDICATORS, "forced_management"])
def test_every_function_checks_data_alpha_and_by(fn):
    from pathaudit.management import switch_flows

    with pytest.raises(ArgumentError, match="takes loaded data"):
        fn("data/sample")
    with pytest.raises(ArgumentError, match="alpha must be a number between 0 and 0.5"):
        fn(attrition_data(), alpha=1.5)
    with pytest.raises(ArgumentError, match=r"by must name columns .* not found: \['nope'\]"):
        fn(attrition_data(), by="nope")
    with pytest.raises(ArgumentError, match="takes loaded data"):
        switch_flows(pd.DataFrame())
    with pytest.raises(ArgumentError, match="by must name columns"):
        switch_flows(attrition_data(), by=["year", "nope"])


@pytest.mark.parametrize(
    ("fn", "kwargs", "message"),
    [
        (switch_premium, {"B": 0}, "B (bootstrap resamples) must be a whole number at least 1"),
        (switch_premium, {"seed": "0"}, "seed must be a whole number at least 0; got '0'."),
        (switch_back, {"horizon_months": -6}, "horizon_months must be a whole number at least 1"),
        (post_switch_attrition, {"horizon_months": 2.5}, "horizon_months must be a whole number"),
        (post_switch_attrition, {"n_controls": 0}, "n_controls must be a whole number at least 1"),
        (post_switch_attrition, {"seed": -3}, "seed must be a whole number at least 0"),
        (post_switch_attrition, {"matched": [1, 2]}, "matched must be None or the matched "
                                                     "design (a DataFrame"),
        (nominal_managers, {"min_reports": 0}, "min_reports must be a whole number at least 1"),
        (peter_principle, {"window_months": 0}, "window_months must be a whole number at least 1"),
        (peter_principle, {"settle_months": -1}, "settle_months must be a whole number at least 0"),
        (who_switches, {"attributes": ()}, "attributes must name people columns to compare"),
        (who_switches, {"attributes": [1]}, "attributes must name people columns to compare"),
        (stalled_then_switched, {"threshold_by": "year"},
         "threshold_by must name columns of the spells: ['job_family', 'location', "
         "'org_unit']; not found: ['year']."),
        (stalled_then_switched, {"threshold_by": ["org_unit"]},
         "threshold_by must be None or one column name"),
    ],
)
def test_indicator_arguments_are_checked(fn, kwargs, message):
    with pytest.raises(ArgumentError) as err:
        fn(attrition_data(), **kwargs)
    assert message in str(err.value)


def test_stall_thresholds_and_profile_check_their_arguments():
    from pathaudit.management._stall import stall_thresholds

    with pytest.raises(ArgumentError, match="stall_thresholds takes loaded data"):
        stall_thresholds(None)
    with pytest.raises(ArgumentError, match="by must name columns of the spells"):
        stall_thresholds(stall_data(), by="grade")
    with pytest.raises(ArgumentError, match="results must map indicator names"):
        profile([switch_back(switch_back_data())])
    with pytest.raises(ArgumentError, match="thresholds must be a list"):
        profile({}, {"switch_back.cif": 0.1})
    with pytest.raises(ArgumentError, match="prof must be a profile table"):
        scores(pd.DataFrame({"status": ["flagged"]}))


# --------------------------------------------------------------------------- numerics


def test_bootstrap_median_draws_match_full_enumeration():
    import itertools

    from pathaudit.management._pay import bootstrap_median_draws

    rng = np.random.default_rng(11)
    for n in (1, 2, 3, 4, 5, 6):
        x = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0][:n])
        exact: dict[float, float] = {}
        for idx in itertools.product(range(n), repeat=n):
            m = float(np.median(x[list(idx)]))
            exact[m] = exact.get(m, 0.0) + n ** -n
        draws = bootstrap_median_draws(x, 400_000, rng)
        vals, counts = np.unique(draws, return_counts=True)
        assert set(vals) <= set(exact)
        for v, c in zip(vals, counts, strict=True):
            p = exact[float(v)]
            assert c / len(draws) == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / len(draws))
                                                   + 1e-9)


def test_bootstrap_median_draws_agree_with_resampling():
    from pathaudit import stats
    from pathaudit.management._pay import bootstrap_median_draws

    rng = np.random.default_rng(5)
    x = rng.lognormal(size=200)
    fast = bootstrap_median_draws(x, 20_000, rng)
    slow = stats.bootstrap_medians(x, 20_000, rng)
    q = [0.025, 0.25, 0.5, 0.75, 0.975]
    np.testing.assert_allclose(np.quantile(fast, q), np.quantile(slow, q), rtol=0.02)


def test_stratified_rate_ratio_equals_person_level_glm():
    import statsmodels.api as sm

    from pathaudit.management._rates import stratified_rate_ratio

    rng = np.random.default_rng(2)
    n = 3000
    frame = pd.DataFrame({
        "employee_id": rng.integers(0, 600, n).astype(str),
        "grade": rng.integers(2, 6, n),
        "focal": rng.integers(0, 2, n),
        "person_years": rng.uniform(0.05, 0.25, n),
    })
    rate = 0.3 * np.exp(0.4 * frame["focal"] + 0.1 * frame["grade"])
    frame["events"] = rng.poisson(rate * frame["person_years"])
    res = stratified_rate_ratio(frame, focal="focal", strata="grade", cluster="employee_id")
    X = np.column_stack([frame["focal"], pd.get_dummies(frame["grade"]).to_numpy(float)])
    fit = sm.GLM(frame["events"].to_numpy(), X, family=sm.families.Poisson(),
                 offset=np.log(frame["person_years"].to_numpy())).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["employee_id"])[0],
                                      "use_correction": False})
    g = frame["employee_id"].nunique()
    b, se = np.asarray(fit.params)[0], np.asarray(fit.bse)[0] * np.sqrt(g / (g - 1))
    assert res.loc[0, "estimate"] == pytest.approx(np.exp(b), rel=1e-8)
    lo = np.exp(b - 1.959963984540054 * se)
    assert res.loc[0, "ci_lower"] == pytest.approx(lo, rel=1e-8)
    # aggregated rows give the same interval as the person-level ones
    assert res.loc[0, "ci_upper"] == pytest.approx(np.exp(b + 1.959963984540054 * se), rel=1e-8)


def test_stratified_rate_ratio_several_groups_equals_glm():
    import statsmodels.api as sm

    from pathaudit.management._rates import stratified_rate_ratio

    rng = np.random.default_rng(8)
    n = 2000
    person = rng.integers(0, 400, n)
    cat = rng.integers(0, 3, 400)[person]  # a person's group is fixed
    frame = pd.DataFrame({"pid": person, "grade": rng.integers(2, 5, n),
                          "a": (cat == 1).astype(int), "b": (cat == 2).astype(int),
                          "person_years": rng.uniform(0.1, 0.3, n)})
    frame["events"] = rng.poisson(0.4 * np.exp(0.3 * frame["a"] - 0.5 * frame["b"])
                                  * frame["person_years"])
    res = stratified_rate_ratio(frame, focal=["a", "b"], strata="grade", cluster="pid")
    X = np.column_stack([frame[["a", "b"]].to_numpy(float),
                         pd.get_dummies(frame["grade"]).to_numpy(float)])
    fit = sm.GLM(frame["events"].to_numpy(), X, family=sm.families.Poisson(),
                 offset=np.log(frame["person_years"].to_numpy())).fit(
        cov_type="cluster", cov_kwds={"groups": frame["pid"].to_numpy(), "use_correction": False})
    g = frame["pid"].nunique()
    se = np.asarray(fit.bse)[:2] * np.sqrt(g / (g - 1))
    np.testing.assert_allclose(res["estimate"], np.exp(np.asarray(fit.params)[:2]), rtol=1e-8)
    np.testing.assert_allclose(res["ci_upper"],
                               np.exp(np.asarray(fit.params)[:2] + 1.959963984540054 * se),
                               rtol=1e-7)


def test_grouped_rate_ratio_equals_one_model_per_group():
    from pathaudit.management._rates import grouped_rate_ratio, stratified_rate_ratio

    rng = np.random.default_rng(11)
    n = 3000
    frame = pd.DataFrame({"grp": rng.integers(0, 12, n), "pid": rng.integers(0, 600, n),
                          "grade": rng.integers(2, 6, n), "x": rng.integers(0, 2, n),
                          "person_years": rng.uniform(0.0, 0.4, n)})
    rate = np.where(frame["grp"] < 3, 0.05, 0.6) * np.exp(0.4 * frame["x"])
    frame["events"] = rng.poisson(rate * frame["person_years"])
    # edge cases: no focal events; a single person; no rows at all (group 12)
    frame.loc[(frame["grp"] == 4) & (frame["x"] == 1), "events"] = 0
    frame.loc[frame["grp"] == 5, "pid"] = 7
    res = grouped_rate_ratio(frame["grp"], frame["grade"], frame["x"], frame["events"],
                             frame["person_years"], frame["pid"], 13)
    assert len(res) == 13 and res.iloc[12].isna()[["estimate", "ci_lower"]].all()
    for g in range(12):
        one = stratified_rate_ratio(frame.loc[frame["grp"] == g], focal="x", strata="grade",
                                    cluster="pid").iloc[0]
        for col in res.columns:
            assert res.loc[g, col] == pytest.approx(one[col], rel=1e-9, nan_ok=True), (g, col)
    assert np.isnan(res.loc[4, "estimate"]) and np.isnan(res.loc[5, "ci_lower"])
    assert np.isfinite(res.loc[[3, 6, 7, 8, 9, 10, 11], "ci_lower"]).all()


def test_stacked_groupings_are_the_groupings_in_one_frame():
    from pathaudit.management._common import (
        ALL,
        OVERALL,
        _stacked_by_groupby,
        by_columns,
        groupings,
        stacked_groupings,
        stacked_rows,
    )

    def summed_groupings(frame, by, keys, sums):  # the reference: one groupby per group
        def total(f, cols):
            return f.groupby(cols, observed=True, sort=False)[sums].sum().reset_index()

        yield OVERALL, ALL, total(frame, keys)
        for col in by_columns(by):
            if col in frame.columns:
                for value, sub in frame.groupby(col, sort=True, observed=True):
                    if len(summed := total(sub, keys)):
                        yield col, str(value), summed

    rng = np.random.default_rng(5)
    n = 400
    frame = pd.DataFrame({
        "pid": rng.integers(0, 60, n), "grade": rng.integers(2, 5, n),
        "unit": pd.Categorical(rng.choice(["b", "a", "c"], n), categories=["c", "b", "a", "z"]),
        "year": pd.array(rng.choice([2020, 2021, None], n), dtype="Int64"),
        "team": pd.array(rng.choice(["x", "y", None], n), dtype="str"),
        "events": rng.integers(0, 2, n), "person_years": rng.uniform(0, 1, n)})
    # a missing key leaves its row out of every group; unit "c" only has such rows
    frame["level"] = pd.array(rng.choice(["L1", "L2", None], n), dtype="str")
    frame.loc[frame["unit"] == "c", "level"] = None
    by = ["unit", "year", "team", "absent"]
    sums = ["events", "person_years"]
    for keys in (["pid", "grade"], ["pid", "level", "grade"]):
        expected = list(summed_groupings(frame, by, keys, sums))
        for make in (stacked_groupings, _stacked_by_groupby):
            labels, stacked = make(frame, by, keys, sums)
            assert labels == [(b, g) for b, g, _ in expected]
            for i, (_, _, sub) in enumerate(expected):
                mine = stacked.loc[stacked["group_code"] == i, keys + sums].reset_index(drop=True)
                pd.testing.assert_frame_equal(mine, sub[keys + sums].reset_index(drop=True),
                                              check_exact=False, rtol=1e-12)
    assert ("unit", "c") not in labels
    labels, rows, codes = stacked_rows(frame, by)
    expected = list(groupings(frame, by))
    assert labels == [(b, g) for b, g, _ in expected]
    for i, (_, _, sub) in enumerate(expected):
        pd.testing.assert_frame_equal(frame.iloc[rows[codes == i]], sub)


def test_within_grade_difference_equals_statsmodels_ols():
    import statsmodels.api as sm

    from pathaudit.management._pay import within_grade_difference

    rng = np.random.default_rng(4)
    n = 500
    strata = rng.integers(0, 4, n)
    cluster = rng.integers(0, 150, n)
    x = rng.integers(0, 2, n).astype(float)
    y = 0.3 * x + 0.2 * strata + rng.normal(size=n)
    b, se, g = within_grade_difference(y, x, strata, cluster)
    X = np.column_stack([x, pd.get_dummies(strata).to_numpy(float)])
    fit = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": cluster})
    assert b == pytest.approx(np.asarray(fit.params)[0], rel=1e-10)
    assert se == pytest.approx(np.asarray(fit.bse)[0], rel=1e-10)
    assert g == len(np.unique(cluster))


def test_ic_ceiling_tops_are_the_ladder_modules():
    from pathaudit.derived.ladder import designed_overall_on, realised_tops_on

    data = ceiling_data()
    t = ic_ceiling(data).table.set_index("measure")
    t_ic, t_m, _ = designed_overall_on(data, data.as_of)
    assert (t.loc["designed_gap", "top_ic_grade"], t.loc["designed_gap", "top_m_grade"]) == (
        t_ic, t_m)
    realised = realised_tops_on(data, data.as_of)
    assert t.loc["realised_gap", "top_ic_grade"] == realised["IC"]
    assert t.loc["realised_gap", "top_m_grade"] == realised["M"]
    assert t.loc["designed_gap", "top"] == "designed overall"
    assert t.loc["realised_gap", "top"] == "realised"
    by_unit = ic_ceiling(data, by="org_unit").table
    unit_rows = (by_unit["by"] == "org_unit") & (by_unit["measure"] == "designed_gap")
    assert unit_rows.any() and set(by_unit.loc[unit_rows, "top"]) == {"designed per unit"}


# ------------------------------------------------------------------- simulated organisations
#
# The 200 organisations of a study are stacked into one dataset: each organisation's IDs
# and units are prefixed with its number and its number is put in ``location``, so every
# indicator run with ``by="location"`` gives one figure per organisation in one vectorised
# pass (matching stays within an organisation because units are prefixed). The stall
# thresholds are set per organisation with ``threshold_by="location"`` where a per-
# organisation figure is wanted. ``test_stacked_run_equals_separate_runs`` checks that
# the stacked figures are those of separate runs.


def per_org(result, measure: str, n: int, **where) -> np.ndarray:
    t = result.table
    sel = (t["by"] == "location") & (t["measure"] == measure) & t["grade"].isna()
    for c, v in where.items():
        sel &= t[c] == v
    return t.loc[sel].set_index("group")["estimate"].reindex([str(i) for i in range(n)]) \
        .to_numpy(dtype=float)


def within_mc_error(estimates, truths, *, log: bool = False) -> tuple[float, float]:
    """Mean error and its Monte-Carlo standard error over the draws with an estimate."""
    est = np.asarray(estimates, dtype=float)
    tru = np.broadcast_to(np.asarray(truths, dtype=float), est.shape)
    ok = np.isfinite(est) & np.isfinite(tru) & ((est > 0) if log else True)
    d = (np.log(est[ok]) - np.log(tru[ok])) if log else (est[ok] - tru[ok])
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(ok.sum()))


@pytest.fixture(scope="module")
def shared_set():
    """The 200 shared organisations and their stack (loaded only by the tests that use them)."""
    from pathaudit.simulate import cached_organisations

    sims = cached_organisations(200)
    return sims, stack(sims)


def test_stacked_run_equals_separate_runs():
    from pathaudit.simulate import cached_organisations

    sims = cached_organisations(2)  # the first two of the shared set (same seeds)
    two = stack(sims)
    stacked = {
        "premium": switch_premium(two, by="location"),
        "stall": stalled_then_switched(two, by="location", threshold_by="location"),
        "who": who_switches(two, by="location", attributes=("gender",)),
        "back": switch_back(two, by="location"),
        "ceiling": ic_ceiling(two, by="location"),
        "peter": peter_principle(two, by="location"),
    }
    for i in range(2):
        data = stack(sims[i:i + 1])
        alone = {
            "premium": switch_premium(data), "stall": stalled_then_switched(data),
            "who": who_switches(data, attributes=("gender",)), "back": switch_back(data),
            "ceiling": ic_ceiling(data), "peter": peter_principle(data),
        }
        for key, measure in [("premium", "premium"), ("stall", "hazard_ratio"),
                             ("who", "rate_ratio"), ("back", "cif"),
                             ("ceiling", "promotion_rate_ratio"), ("ceiling", "designed_gap"),
                             ("peter", "difference")]:
            a = pick(alone[key], measure)["estimate"]
            b = pick(stacked[key], measure, by="location", group=str(i))["estimate"]
            assert a == pytest.approx(b, rel=1e-9, nan_ok=True), (key, measure, i)


def per_org_interval(result, measure: str, n: int, **where) -> pd.DataFrame:
    """Estimate and interval of one figure per organisation (rows ``0 .. n - 1``)."""
    t = result.table
    sel = (t["by"] == "location") & (t["measure"] == measure) & t["grade"].isna()
    for c, v in where.items():
        sel &= t[c] == v
    cols = ["estimate", "ci_lower", "ci_upper"]
    return t.loc[sel].set_index("group")[cols].reindex([str(i) for i in range(n)])


def interval_coverage(found: pd.DataFrame, truths) -> tuple[float, int]:
    """Share of the draws with an interval whose interval holds the truth, and their number."""
    tru = np.broadcast_to(np.asarray(truths, dtype=float), (len(found),))
    ok = found[["ci_lower", "ci_upper"]].notna().all(axis=1).to_numpy() & np.isfinite(tru)
    hit = (found["ci_lower"].to_numpy() <= tru) & (tru <= found["ci_upper"].to_numpy())
    return float(hit[ok].mean()), int(ok.sum())


MIN_ESTIMABLE = 150
"""Coverage is computed over the draws where a figure has an interval, at least this many
of the 200 (fixed before the studies were run, as in the attrition study)."""

STALL_PSEUDO_TRUE_ORGS = 200
"""Organisations of the counterfactual run that gives the stall hazard ratio's target under
per-organisation thresholds (seeds apart from the shared set's). Its standard error on the
log scale is about a tenth of one organisation's."""


@pytest.fixture(scope="module")
def stall_pseudo_true() -> float:
    """The value the stall hazard ratio users get targets: each organisation sets its own
    stall thresholds (noisy in a 300-person organisation, which attenuates the ratio: a
    stalled-by-threshold IC is not always stalled in the simulator's sense), so the target
    is the ratio of a large run of other organisations of the same size, each with its own
    thresholds, pooled into one fit: the solution of the estimating equation the users'
    estimator solves, averaged over organisations of this size (its pseudo-true value)."""
    from pathaudit.simulate import cached_organisations
    from pathaudit.simulate.config import small

    other = cached_organisations(STALL_PSEUDO_TRUE_ORGS, small(), seed0=100_000, truth=False)
    res = stalled_then_switched(stack(other), threshold_by="location")
    return float(pick(res, "hazard_ratio")["estimate"])


@pytest.mark.coverage_study
def test_indicators_recover_the_simulated_truth(shared_set, stall_pseudo_true):
    """Each estimator's mean error over 200 organisations is within 3 Monte-Carlo SEs, and
    the intervals users get cover the target of the estimator users run."""
    sims, data = shared_set
    n = len(sims)
    truth = [s.truth["management"] for s in sims]
    premium = switch_premium(data, by="location")
    # thresholds from the pooled organisations: a well-estimated stall definition, which
    # recovers the simulator's hazard ratio (per-organisation thresholds of 300-person
    # organisations are noisy, which dilutes the hazard ratio toward 1: tested below
    # against its own target; see docs/management.md)
    stall = stalled_then_switched(data, by="location")
    back = switch_back(data, by="location")
    attrition = post_switch_attrition(data, by="location")
    who = who_switches(data, by="location", attributes=("gender",))
    peter = peter_principle(data, by="location")
    checks = {
        "switch_premium": (per_org(premium, "premium", n),
                           [t["switch_premium"] for t in truth], False),
        "stall_switch_hr": (per_org(stall, "hazard_ratio", n),
                            [t["stall_switch_hr"] for t in truth], True),
        "switch_back_cif_24m": (per_org(back, "cif", n),
                                [t["switch_back_cif_24m"] for t in truth], False),
        "post_switch_exit_hr": (per_org(attrition, "hazard_ratio", n),
                                [t["post_switch_exit_hr"] for t in truth], True),
        "switch_hr_female": (per_org(who, "rate_ratio", n, category="Female"),
                             [t["switch_hr_female"] for t in truth], True),
        "rating_change": (per_org(peter, "difference", n),
                          [t["rating_change_switch_minus_promotion"] for t in truth], False),
    }
    for key, (est, tru, log) in checks.items():
        assert np.isfinite(est).mean() > 0.9, key
        bias, mcse = within_mc_error(est, tru, log=log)
        assert abs(bias) <= 3 * mcse + 1e-9, (key, bias, mcse)
    # the intervals users get: per-organisation stall thresholds against their pseudo-true
    # value, the other figures against truth.json
    own = stalled_then_switched(data, by="location", threshold_by="location")
    intervals = {
        "stall hazard ratio, own thresholds": (
            per_org_interval(own, "hazard_ratio", n), stall_pseudo_true),
        "switch premium": (per_org_interval(premium, "premium", n),
                           [t["switch_premium"] for t in truth]),
        "switch-back within 24 months": (per_org_interval(back, "cif", n),
                                         [t["switch_back_cif_24m"] for t in truth]),
        "post-switch exit hazard ratio": (per_org_interval(attrition, "hazard_ratio", n),
                                          [t["post_switch_exit_hr"] for t in truth]),
        "switch rate ratio, women": (
            per_org_interval(who, "rate_ratio", n, category="Female"),
            [t["switch_hr_female"] for t in truth]),
        "rating change, switch minus promotion": (
            per_org_interval(peter, "difference", n),
            [t["rating_change_switch_minus_promotion"] for t in truth]),
    }
    # held to [0.90, 0.99]; the rating change is reported, not held: it covers 0.89 (a
    # Wald interval on a difference of mean ratings on a five-point scale; see docs/testing.md)
    held = {k for k in intervals if not k.startswith("rating change")}
    rows = []
    for name, (found, target) in intervals.items():
        coverage, draws = interval_coverage(found, target)
        rows.append({"figure": name, "draws": draws, "coverage": coverage,
                     "band": "[0.90, 0.99]" if name in held else "reported"})
    write_coverage_table("management_small", pd.DataFrame(rows))
    for row in rows:
        assert row["draws"] >= MIN_ESTIMABLE, row
        if row["figure"] in held:
            assert 0.90 <= row["coverage"] <= 0.99, row


@pytest.mark.coverage_study
def test_manager_shares_cover_the_process_probability():
    """Nominal managers and preference mismatch over 200 organisations whose teams form by
    take-over and whose switchers state a preference drawn at the switch: the simulator
    then draws each manager's state from a probability (``nominal_manager_share``; the
    probability an answer is IC), which truth.json states. The Wilson intervals users get
    cover that probability, not only the count of the same draw (which would be the
    estimate itself)."""
    from pathaudit.simulate import cached_organisations
    from pathaudit.simulate.config import small

    sims = cached_organisations(200, small(team_takeover_reports=3, prefer_m_switcher=0.85))
    data = stack(sims)
    truth = [s.truth["management"] for s in sims]
    assert all("nominal_manager_share_realised" in t for t in truth)
    assert all("preference_mismatch_share_realised" in t for t in truth)
    rows = []
    for name, fn, key in [("nominal managers", nominal_managers, "nominal_manager_share"),
                          ("preference mismatch", preference_mismatch,
                           "preference_mismatch_share")]:
        found = per_org_interval(fn(data, by="location"), "share", len(sims))
        target = np.array([t[key] for t in truth], dtype=float)
        coverage, draws = interval_coverage(found, target)
        rows.append({"figure": name, "draws": draws, "coverage": coverage,
                     "band": "[0.90, 0.99]"})
        # recovery: the mean share is the process probability within Monte-Carlo error
        bias, mcse = within_mc_error(found["estimate"].to_numpy(float), target)
        assert abs(bias) <= 3 * mcse, (name, bias, mcse)
    write_coverage_table("management_processes", pd.DataFrame(rows))
    for row in rows:
        assert row["draws"] >= MIN_ESTIMABLE and 0.90 <= row["coverage"] <= 0.99, row


def test_designed_ceiling_matches_the_simulated_ladder():
    """Organisation by organisation (a deterministic check, not a study: the first 20 of the
    shared set cover ladders with and without adopted IC levels)."""
    from pathaudit.simulate import cached_organisations

    sims = cached_organisations(20)
    data = stack(sims)
    res = ic_ceiling(data, by="location")
    n = len(sims)
    for i in range(n):
        t = sims[i].truth["management"]
        units = t["top_ic_grade_by_unit"]
        widest = t["top_m_grade"] - min(units.values())
        assert pick(res, "designed_gap", by="location", group=str(i))["estimate"] == widest


MEDIUM = dict(years=6, initial_headcount=420, target_headcount=450,
              units=("North", "South", "East", "West"), unit_weights=(1.0, 1.0, 1.0, 1.0),
              adoption_months=(None, 24, 36, 48))
"""The organisations of the healthy-vs-broken study: about 900 (healthy) to 1,000 (broken)
people ever employed over 6 years, three times the shared small ones. The broken ladder's
share of flagged figure-draws grows with size: 36% at the small size, 49% at twice it, 53% at
2.5 times, 58% at three times (``python tests/test_management.py 2.5`` prints the table for
any multiple); three times keeps "most" off a thin margin at almost no extra cost (the
simulator's cost is per month, not per person)."""

STUDY_FIGURES = ("ic_ceiling", "switch_premium", "stalled_then_switched", "who_switches",
                 "switch_back", "post_switch_attrition", "nominal_managers",
                 "preference_mismatch", "peter_principle")
"""Indicators whose healthy and broken values the simulator sets: every indicator. The
healthy preset forms teams by take-over (a manager enters the M track with a team of three,
none is nominal) and draws a switcher's stated preference at the switch (85% prefer
management, as hired managers do); the broken one keeps the capacity-driven teams (25% of
new managers nominal, switchers starting without a team) and switchers stating the IC
preference at the IC hires' rate (docs/simulation.md, "Managers", "Career preference")."""


def flag_profile(config) -> pd.DataFrame:
    """The profile of the study figures of 200 organisations, one audit each (k = 5)."""
    from pathaudit.simulate import cached_organisations

    # the list is dropped once stacked; the study reads the tables only, not the truth
    data = stack(cached_organisations(200, config=config, truth=False), k=5)
    results = {}
    for name in STUDY_FIGURES:
        kw: dict = {"by": "location"}
        if name == "stalled_then_switched":
            kw["threshold_by"] = "location"
        if name == "who_switches":
            kw["attributes"] = ("gender",)
        results[name] = INDICATORS[name](data, **kw)
    ths = [t for t in DEFAULT_THRESHOLDS if t.indicator in STUDY_FIGURES]
    return profile(results, ths, by="location")


def flag_rates(prof: pd.DataFrame) -> pd.DataFrame:
    """Share of organisations in which each figure has each status (and is flagged)."""
    key = ["indicator", "measure"]
    out = prof.groupby(key)["status"].value_counts(normalize=True).unstack(fill_value=0.0)
    return out.assign(flagged=prof.groupby(key)["flagged"].mean())


@pytest.mark.coverage_study
def test_healthy_ladder_is_rarely_flagged_and_broken_ladder_is():
    """200 audits of a healthy and of a broken dual ladder, about 1,000 people each.

    Share of organisations in which each figure is flagged (whole interval beyond the
    threshold), as measured::

        figure                               healthy  broken
        IC ceiling, designed gap               0.0%   100.0%
        IC/M promotion rate ratio              0.0%    93.5%
        switch premium                         0.0%   100.0%
        stalled-vs-progressing switch HR       1.0%    82.0%
        switch rate ratio by gender            0.5%     5.0%
        switch-back within 24 months           0.0%     6.0%
        post-switch exit HR                    0.5%    40.5%
        nominal managers                       0.0%   100.0%
        preference mismatch                    0.0%    86.5%
        Peter signal                           0.0%    36.5%
        all figure-draws                       0.2%    65.0%
    """
    from pathaudit.simulate.config import broken, healthy

    ok = flag_profile(healthy(**MEDIUM))
    bad = flag_profile(broken(**MEDIUM))
    assert ok["group"].nunique() == bad["group"].nunique() == 200
    key = ["indicator", "measure"]
    # healthy: at most about 5% of figure-draws flagged, and no single figure often
    rate_ok = ok.groupby(key)["flagged"].mean()
    assert ok["flagged"].mean() <= 0.05, rate_ok
    assert (rate_ok <= 0.10).all(), rate_ok
    # broken: most figure-draws flagged; every organisation has at least one flag; the
    # ceiling, the premium, the promotion ratio and the stall ratio nearly always
    rate_bad = bad.groupby(key)["flagged"].mean()
    assert bad["flagged"].mean() > 0.5, rate_bad
    score_bad = bad.groupby("group")["flagged"].sum()
    assert (score_bad >= 1).all()
    for figure in [("ic_ceiling", "designed_gap"), ("switch_premium", "premium"),
                   ("ic_ceiling", "promotion_rate_ratio"),
                   ("stalled_then_switched", "hazard_ratio")]:
        assert rate_bad[figure] >= 0.75, rate_bad
    # no figure is flagged less often than in the healthy ladder, and where a figure is
    # assessed in the broken ladder it points the broken way (never "clear")
    assert (rate_bad >= rate_ok.reindex(rate_bad.index)).all(), (rate_ok, rate_bad)
    assessed = bad["status"].isin(["flagged", "clear", "inconclusive"])
    assert (bad.loc[assessed, "status"] != "clear").mean() >= 0.99


def test_row_order_does_not_matter_and_intervals_are_ordered():
    import dataclasses

    data = who_data()
    shuffled = dataclasses.replace(
        data,
        history=data.history.sample(frac=1.0, random_state=3).sort_values(
            ["employee_id", "effective_date"], kind="stable").reset_index(drop=True),
        people=data.people.sample(frac=1.0, random_state=4).reset_index(drop=True))
    a = pick(who_switches(data), "rate_ratio", category="F")
    b = pick(who_switches(shuffled), "rate_ratio", category="F")
    assert a["estimate"] == pytest.approx(b["estimate"], rel=1e-12)
    audit = forced_management(attrition_data())
    for res in audit.results().values():
        if not {"estimate", "ci_lower", "ci_upper"} <= set(res.table.columns):
            continue
        t = res.table.dropna(subset=["estimate", "ci_lower", "ci_upper"])
        assert (t["ci_lower"] <= t["estimate"] + 1e-12).all()
        assert (t["estimate"] <= t["ci_upper"] + 1e-12).all()


def test_a_smaller_alpha_widens_every_interval():
    data = who_data()
    keys = ["measure", "grade", "category"]
    wide = who_switches(data, alpha=0.01).table
    narrow = who_switches(data, alpha=0.10).table[keys + ["ci_lower", "ci_upper"]]
    both = wide.merge(narrow, on=keys, suffixes=("", "_n")).dropna(
        subset=["ci_lower", "ci_lower_n"])
    assert len(both)
    assert (both["ci_lower"] <= both["ci_lower_n"] + 1e-12).all()
    assert (both["ci_upper"] >= both["ci_upper_n"] - 1e-12).all()


if __name__ == "__main__":  # the table of the healthy-vs-broken study, for any size
    import sys

    from pathaudit.simulate.config import broken, healthy

    times = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    size = dict(MEDIUM, initial_headcount=round(140 * times),
                target_headcount=round(150 * times))
    profiles = {"healthy": flag_profile(healthy(**size)), "broken": flag_profile(broken(**size))}
    both = pd.concat({k: flag_rates(v)["flagged"] for k, v in profiles.items()}, axis=1)
    both.loc[("all figure-draws", ""), :] = [v["flagged"].mean() for v in profiles.values()]
    print(both.round(3).to_string())


def test_split_at_stall_cuts_each_row_at_its_threshold():
    from pathaudit.management._stall import split_at_stall

    rng = np.random.default_rng(11)
    n = 300
    ic = pd.DataFrame({
        "pid": np.arange(n), "grade": rng.integers(2, 5, n),
        "event": pd.Categorical(rng.choice(["none", "switch_to_M", "promotion"], n)),
        "person_years": rng.uniform(0.01, 1, n), "time_in_spell": rng.uniform(0, 4, n)})
    thr = rng.uniform(0, 4, n)
    thr[rng.random(n) < 0.1] = np.nan  # no threshold: left out
    pieces = split_at_stall(ic, thr)
    assert list(pieces.columns) == ["pid", "grade", "event", "time_in_spell", "stalled",
                                    "person_years", "switch"]
    ok = np.isfinite(thr)
    # the pieces of a row add up to it; progressing pieces come first, in row order
    total = pieces.groupby("pid")["person_years"].sum()
    assert np.allclose(total.to_numpy(), ic.loc[ok, "person_years"].to_numpy())
    assert pieces["stalled"].is_monotonic_increasing
    a, py = ic["time_in_spell"].to_numpy(), ic["person_years"].to_numpy()
    for r in pieces.itertuples():
        start, end = a[r.pid], a[r.pid] + py[r.pid]
        expected = min(end, thr[r.pid]) - start if r.stalled == 0 else end - max(start, thr[r.pid])
        assert r.person_years == pytest.approx(expected, abs=1e-12)
    # a switch counts once, on the piece that ends the row
    switched = ic.loc[ok & (ic["event"] == "switch_to_M").to_numpy(), "pid"]
    assert pieces.groupby("pid")["switch"].sum().reindex(switched).eq(1).all()
    assert pieces.loc[~pieces["pid"].isin(switched), "switch"].eq(0).all()
