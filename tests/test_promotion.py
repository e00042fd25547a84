"""Time to promotion: hand-built risk sets, statsmodels cross-checks, recovery of known truth."""

from __future__ import annotations

from functools import partial

import builders
import numpy as np
import pandas as pd
import pytest
from builders import PARALLEL_GRADES, RATES, YEAR, mini_org, true_cif, true_km
from coverage_tables import write_coverage_table
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import CumIncidenceRight, SurvfuncRight

from pathaudit import stats
from pathaudit.data import AuditData
from pathaudit.errors import ArgumentError, PathauditError
from pathaudit.promotion import PromotionAudit, time_to_promotion
from pathaudit.promotion._analysis import PARTS
from pathaudit.promotion._hazard import logrank_by_track, promotion_hazard_ratios, promotion_rates
from pathaudit.promotion._incidence import AJ, NAIVE_KM, cif_difference, cumulative_incidence
from pathaudit.promotion._parity import impact_ratios
from pathaudit.promotion._population import (
    CAUSES,
    n_people,
    promotable_from,
    promotion_spells,
)
from pathaudit.promotion._snapshot import SNAPSHOT_STATEMENT
from pathaudit.promotion._velocity import velocity
from pathaudit.result import Note
from pathaudit.stats.survival import step_at

# the hand-built cases: tracks numbered alike (IC3 = M3), jobs without pay, every leaver
# voluntary, observed from 2015 to 2020
LADDER = builders.ladder(PARALLEL_GRADES)
history = partial(builders.history, grades=PARALLEL_GRADES, with_pay=False)
people = partial(builders.people, exit_type="voluntary")
audit = partial(builders.audit, ladder=LADDER, start="2015-01-01", extract="2020-12-31", fy=None)


@pytest.fixture(scope="module")
def org() -> AuditData:
    return mini_org(6000, seed=3)


@pytest.fixture(scope="module")
def org_audit(org):
    return time_to_promotion(org)


# --------------------------------------------------------------------------- hand-built


def _delayed_entry_data() -> AuditData:
    # history_start 2015-01-01; as-of 2020-12-31 (censored spells stop 2021-01-01)
    h = history(
        ("a", "2012-01-01", "IC3"),  # IC3 from before history_start: enters late
        ("a", "2016-01-01", "IC4"),
        ("b", "2014-07-01", "IC3"),  # leaves 2015-06-30
        ("c", "2015-03-01", "IC3"),
        ("c", "2017-03-01", "IC4"),
        ("f", "2015-01-01", "IC5"),  # top of the IC track: never at risk
        ("g", "2015-06-01", "IC3"),  # still IC3 on as-of: censored
    )
    p = people(
        ("a", "2012-01-01"),
        ("b", "2014-07-01", "2015-06-30"),
        ("c", "2015-03-01"),
        ("f", "2015-01-01"),
        ("g", "2015-06-01"),
    )
    return audit(h, p)


def test_promotion_spells_delayed_entry_and_causes_by_hand():
    sp, excluded = promotion_spells(_delayed_entry_data())
    ic3 = sp.loc[sp["level"] == "IC3"].set_index("employee_id").sort_index()
    days = {
        "a": (1096, 1461, CAUSES["promotion"]),  # entry 2012-01-01 -> 2015-01-01
        "b": (184, 365, CAUSES["exit"]),
        "c": (0, 731, CAUSES["promotion"]),
        "g": (0, 2041, 0),
    }
    for eid, (entry, time, cause) in days.items():
        assert ic3.loc[eid, "entry"] == pytest.approx(entry / YEAR)
        assert ic3.loc[eid, "time"] == pytest.approx(time / YEAR)
        assert ic3.loc[eid, "cause"] == cause
    assert "f" not in set(sp["employee_id"])
    assert excluded["at_top_of_track"] == 1


def test_cumulative_incidence_delayed_entry_risk_sets_by_hand():
    sp, _ = promotion_spells(_delayed_entry_data())
    ic3 = sp.loc[sp["level"] == "IC3"]
    # Risk sets (entry < u <= time), in days since the spell's start:
    #   u=365  (b exits):    b, c, g   (a enters only at 1096)  n=3  S=2/3
    #   u=731  (c promoted): c, g                                n=2  F=2/3*1/2 = 1/3, S=1/3
    #   u=1461 (a promoted): a, g                                n=2  F=1/3 + 1/3*1/2 = 1/2
    out = cumulative_incidence(ic3, ("track",), (1.0, 2.0, 3.0, 5.0), pooled=())
    prob = out["probability"]
    aj = prob.loc[prob["estimator"] == AJ].set_index("horizon")
    np.testing.assert_allclose(aj["estimate"].to_numpy(), [0.0, 0.0, 1 / 3, 1 / 2])
    # at 3 years (1095.75 days) only g is at risk: a enters at day 1096
    assert aj.loc[3.0, "n_at_risk"] == 1
    assert aj.loc[1.0, "n_at_risk"] == 2  # b left at day 365, before 365.25
    km = prob.loc[prob["estimator"] == NAIVE_KM].set_index("horizon")
    # naive KM treats b's exit as censoring: 1 - (1/2)(1/2) = 3/4 at 5 years, not 1/2
    np.testing.assert_allclose(km["estimate"].to_numpy(), [0.0, 0.0, 0.5, 0.75])
    curve = out["curves"]
    curve = curve.loc[curve["estimator"] == AJ]
    assert curve["n_at_risk"].tolist() == [3.0, 3.0, 2.0, 2.0]
    med = out["median"].set_index("estimator")
    assert med.loc[AJ, "estimate"] == pytest.approx(1461 / YEAR)
    assert med.loc[NAIVE_KM, "estimate"] == pytest.approx(731 / YEAR)


def test_median_not_reached_is_not_extrapolated():
    sp, _ = promotion_spells(_delayed_entry_data())
    ic3 = sp.loc[sp["level"] == "IC3"]
    out = cumulative_incidence(ic3.loc[ic3["employee_id"] != "a"], ("track",), pooled=())
    med = out["median"].set_index("estimator")
    assert not med.loc[AJ, "reached"]
    assert np.isnan(med.loc[AJ, "estimate"])
    # the median is read only off the part of the curve that is shown (>= k at risk):
    # with everyone, F reaches 1/2 at day 1461 with 2 at risk; with k = 3 it is not shown
    full = cumulative_incidence(ic3, ("track",), pooled=(), min_at_risk=3)["median"]
    assert not full.set_index("estimator").loc[AJ, "reached"]


def test_ladder_adopted_later_counts_from_its_date():
    ladder = pd.concat(
        [
            LADDER.loc[LADDER["level"] != "IC5"],
            pd.DataFrame(
                {
                    "track": ["IC"],
                    "level": ["IC5"],
                    "grade": pd.array([5], dtype="Int64"),
                    "org_unit": ["U2"],
                    "valid_from": [pd.Timestamp("2018-01-01")],
                }
            ),
        ],
        ignore_index=True,
    )
    h = history(
        ("h", "2016-01-01", "IC4", "U2"),  # IC top until 2018-01-01, then promotable
        ("i", "2016-01-01", "IC4", "U1"),  # IC top in U1: never promotable
        ("j", "2019-01-01", "IC4", "U2"),  # promotable from its first day
    )
    p = people(("h", "2016-01-01"), ("i", "2016-01-01"), ("j", "2019-01-01"))
    d = audit(h, p, ladder=ladder)
    frm = promotable_from(ladder, d.spells)
    assert frm.isna().tolist() == [False, True, False]
    assert frm.iloc[0] == pd.Timestamp("2018-01-01")
    # spells: below the top on their first day only
    sp, excluded = promotion_spells(d)
    assert sp["employee_id"].tolist() == ["j"]
    assert excluded["at_top_of_track"] == 2
    # rates: h's person-time counts from 2018-01-01, i's never
    rates = promotion_rates(d.exposure, ladder)
    py = rates.groupby("year")["person_years"].sum()
    assert 2016 not in py.index and 2017 not in py.index
    assert py.loc[2018] == pytest.approx(365 / YEAR)
    assert py.loc[2019] == pytest.approx(2 * 365 / YEAR)


def test_impact_ratio_by_hand():
    def spell(eid, g, start, stop, cause):
        return {
            "employee_id": eid,
            "episode": 0,
            "track": "IC",
            "grade": 3,
            "gender": g,
            "start": pd.Timestamp(start),
            "stop": pd.Timestamp(stop),
            "cause": cause,
        }

    sp = pd.DataFrame(
        [
            spell("F1", "F", "2015-06-01", "2016-05-01", 1),  # 2016: promoted
            spell("F2", "F", "2015-01-01", "2018-01-01", 0),  # 2016, 2017: not
            spell("M1", "M", "2015-01-01", "2016-03-01", 1),  # 2016: promoted
            spell("M2", "M", "2015-01-01", "2017-01-01", 1),  # last day 2016-12-31: 2016
            spell("M3", "M", "2016-06-01", "2018-01-01", 0),  # 2017 only: not
        ]
    )
    out = impact_ratios(sp, "gender", "2016-01-01", "2017-12-31")
    pooled = out["pooled"].set_index("group")
    assert pooled.loc["F", "proportion"] == pytest.approx(1 / 3)
    assert pooled.loc["M", "proportion"] == pytest.approx(2 / 3)
    assert pooled.loc["F", "estimate"] == pytest.approx(0.5)
    assert pooled.loc["F", "eligible"] == 3 and pooled.loc["M", "eligible"] == 3
    assert pooled.loc["F", "below_four_fifths"]
    assert pooled.loc["F", "reference"] == "M"
    # person-clustered variance of each proportion (see impact_ratios Notes)
    se_f = np.sqrt(((2 / 3) ** 2 + (2 / 3) ** 2) / 9) / (1 / 3)
    se_m = np.sqrt((1 / 9 + 1 / 9 + 4 / 9) / 9) / (2 / 3)
    se = np.sqrt(se_f**2 + se_m**2)
    assert pooled.loc["F", "ci_lower"] == pytest.approx(0.5 * np.exp(-1.959963984540054 * se))
    assert pooled.loc["F", "ci_upper"] == pytest.approx(0.5 * np.exp(1.959963984540054 * se))
    assert not pooled.loc["F", "ci_below_four_fifths"]  # the interval is wide
    by_year = out["by_year"].set_index(["year", "group"])
    assert by_year.loc[(2016, "F"), "proportion"] == pytest.approx(1 / 2)
    assert by_year.loc[(2017, "M"), "proportion"] == 0.0


def test_velocity_by_hand():
    h = history(
        ("v1", "2015-01-01", "IC3"),
        ("v1", "2016-01-01", "IC4"),
        ("v1", "2018-01-01", "IC5"),
        ("v2", "2015-01-01", "M3"),
        ("v2", "2017-01-01", "M4"),
        ("v3", "2015-01-01", "IC3"),
    )
    p = people(("v1", "2015-01-01"), ("v2", "2015-01-01", "2019-12-31"), ("v3", "2015-01-01"))
    d = audit(h, p)
    out = velocity(d.spells, d.history_start, horizons=(5.0,), B=200)
    inc = out["incidence"].set_index(["grade", "track"])
    # grade 4: reached as IC at day 365 (n=3), as M at day 731 (n=2, S=2/3)
    assert inc.loc[(4, "IC"), "estimate"] == pytest.approx(1 / 3)
    assert inc.loc[(4, "M"), "estimate"] == pytest.approx(1 / 3)
    assert inc.loc[(4, "IC"), "n"] == 3
    med = out["among_reached"].set_index(["grade", "track"])
    assert med.loc[(4, "IC"), "estimate"] == pytest.approx(365 / YEAR)
    assert med.loc[(4, "M"), "estimate"] == pytest.approx(731 / YEAR)
    assert med.loc[(5, "IC"), "estimate"] == pytest.approx(1096 / YEAR)


def test_velocity_first_reach_after_a_demotion():
    # w1 reaches grade 4 in 2016, is demoted in 2017 and is back at 4 in 2018: grade 4 is
    # first reached in 2016 (365 days), grade 5 in 2019 (1461 days); w2 starts at grade 4,
    # so it is at risk of grade 5 only, which it reaches as M after 731 days
    h = history(
        ("w1", "2015-01-01", "IC3"),
        ("w1", "2016-01-01", "IC4"),
        ("w1", "2017-01-01", "IC3"),
        ("w1", "2018-01-01", "IC4"),
        ("w1", "2019-01-01", "IC5"),
        ("w2", "2015-01-01", "M4"),
        ("w2", "2017-01-01", "M5"),
    )
    d = audit(h, people(("w1", "2015-01-01"), ("w2", "2015-01-01")))
    out = velocity(d.spells, d.history_start, horizons=(5.0,), B=200)
    med = out["among_reached"].set_index(["grade", "track"])
    assert med.loc[(4, "IC"), "estimate"] == pytest.approx(365 / YEAR)
    assert med.loc[(5, "IC"), "estimate"] == pytest.approx(1461 / YEAR)
    assert med.loc[(5, "M"), "estimate"] == pytest.approx(731 / YEAR)
    inc = out["incidence"].set_index(["grade", "track"])
    assert inc.loc[(4, "IC"), "n"] == 1  # w2 began at grade 4: not at risk of reaching it
    assert inc.loc[(5, "IC"), "n"] == 2
    assert inc.loc[(5, "M"), "estimate"] == pytest.approx(1 / 2)


def test_n_people_counts_distinct_codes_both_ways():
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 50_000, 20_000)
    few = np.zeros(len(codes), dtype=bool)
    few[:40] = True  # a few people among many codes: counted by a hash table
    for sel in (None, few, codes < 100):
        picked = codes if sel is None else codes[sel]
        assert n_people(codes, sel) == len(set(picked.tolist()))
    assert n_people(codes, np.zeros(len(codes), dtype=bool)) == 0


def test_rates_the_same_on_text_columns(org):
    # the exposure's categorical columns are read by their codes; text columns give the same
    ex = org.exposure
    text = ex.assign(**{c: ex[c].astype("str") for c in ("employee_id", "track", "event")})
    pd.testing.assert_frame_equal(promotion_rates(text, org.ladder),
                                  promotion_rates(ex, org.ladder))


def test_snapshot_only_data_says_what_it_cannot_compute():
    snap = pd.DataFrame(
        {
            "employee_id": pd.array([f"s{i}" for i in range(12)], dtype="str"),
            "hire_date": pd.to_datetime(["2015-01-01"] * 12),
            "track": pd.array(["IC"] * 6 + ["M"] * 6, dtype="str"),
            "level": pd.array(["IC3"] * 6 + ["M3"] * 6, dtype="str"),
            "last_promotion_date": pd.to_datetime(
                ["2019-01-01", "2018-01-01", "2017-01-01", "2016-01-01", "2020-01-01", "2015-01-01"]
                * 2
            ),
        }
    )
    hist = pd.DataFrame(
        {
            "employee_id": snap["employee_id"],
            "effective_date": snap["last_promotion_date"],
            "track": snap["track"],
            "level": snap["level"],
            "grade": pd.array([3] * 12, dtype="Int64"),
        }
    )
    d = AuditData(
        history=hist,
        people=snap[["employee_id", "hire_date"]],
        ladder=LADDER,
        extract_date=pd.Timestamp("2020-12-31"),
        history_start=pd.Timestamp("2020-12-31"),
        is_snapshot=True,
        snapshot=snap,
    )
    res = time_to_promotion(d)
    assert res.incidence is None and res.difference is None
    assert Note("caveat", SNAPSHOT_STATEMENT, "snapshot") in res.notes
    assert set(res.not_computed()) == set(PARTS) - {"snapshot"}
    assert all("snapshot" in why for why in res.not_computed().values())
    head = res.headline().set_index("key")
    assert (head["status"] == "not computed").all()
    assert head.loc["promotion_probability_difference", "primary"]
    with pytest.raises(PathauditError, match="snapshot"):
        res.part("incidence")
    assert SNAPSHOT_STATEMENT in res.snapshot.meta["definition"]
    tab = res.snapshot.table.set_index("track")
    # years since promotion on 2020-12-31: 1.99, 2.99, 3.99, 4.99, 1.0, 5.99 -> median 3.49
    expected = np.median((pd.Timestamp("2020-12-31") - snap["last_promotion_date"][:6]).dt.days)
    assert tab.loc["IC", "estimate"] == pytest.approx(expected / YEAR)
    assert tab.loc["IC", "share_over_3y"] == pytest.approx(3 / 6)


# --------------------------------------------------------------------------- statsmodels


def test_estimates_equal_statsmodels_without_delayed_entry():
    # history complete from the first hire: no spell enters late
    d = mini_org(1500, seed=5, start="2008-01-01")
    sp, _ = promotion_spells(d)
    assert (sp["entry"] == 0).all()
    out = cumulative_incidence(sp, ("track",), (1.0, 2.0, 3.0, 5.0), pooled=())
    prob = out["probability"]
    for track in ("IC", "M"):
        s = sp.loc[sp["track"] == track]
        t = s["time"].to_numpy()
        c = s["cause"].to_numpy()
        hz = np.array([1.0, 2.0, 3.0, 5.0])
        ref = CumIncidenceRight(t, c)
        got = prob.loc[(prob["track"] == track) & (prob["estimator"] == AJ)]
        np.testing.assert_allclose(got["estimate"], step_at(ref.times, ref.cinc[0], hz))
        np.testing.assert_allclose(got["se"], step_at(ref.times, ref.cinc_se[0], hz))
        km = SurvfuncRight(t, (c == 1).astype(float))
        got = prob.loc[(prob["track"] == track) & (prob["estimator"] == NAIVE_KM)]
        np.testing.assert_allclose(got["estimate"], 1 - step_at(km.surv_times, km.surv_prob, hz, 1))


@pytest.mark.parametrize("complete_history", [True, False])
def test_hazard_ratio_equals_phreg(complete_history):
    d = mini_org(1500, seed=6, start="2008-01-01" if complete_history else "2015-01-01")
    sp, _ = promotion_spells(d)
    hr = promotion_hazard_ratios(sp, controls=("tenure_at_start",), per_stratum=False)
    row = hr.set_index("term").loc["IC vs M"]
    t = sp["time"].to_numpy()
    e = sp["entry"].to_numpy()
    status = (sp["cause"] == 1).to_numpy()
    grade = sp["grade"].to_numpy()
    ten = sp["tenure_at_start"].to_numpy()
    X = np.column_stack([sp["is_ic"].to_numpy(), ten - ten.mean()])
    # rows whose (entry, time] holds no promotion time of their grade add nothing to the
    # partial likelihood; PHReg's robust covariance mishandles them, so they are left out.
    # PHReg counts a row at risk at a failure time equal to its entry; we do not (as
    # SurvfuncRight and R): entries are passed to it a hair later (times are whole days).
    keep = np.ones(len(t), dtype=bool)
    for g in np.unique(grade):
        m = grade == g
        ft = np.unique(t[m & status])
        keep[
            np.flatnonzero(m)[
                np.searchsorted(ft, t[m], "right") <= np.searchsorted(ft, e[m], "right")
            ]
        ] = False
    ref = PHReg(
        t[keep],
        X[keep],
        status=status[keep].astype(float),
        entry=e[keep] + np.where(e[keep] > 0, 0.1 / YEAR, 0.0),
        strata=grade[keep],
        ties="breslow",
    ).fit(groups=sp["employee_id"].to_numpy()[keep])
    assert row["log_hr"] == pytest.approx(ref.params[0], abs=1e-8)
    assert row["se"] == pytest.approx(ref.bse[0], abs=1e-8)


# --------------------------------------------------------------------------- recovery


def test_cumulative_incidence_recovers_truth(org_audit):
    prob = org_audit.incidence.table
    pooled = prob.loc[prob["grade"].isna() & (prob["estimator"] == AJ)]
    # eight comparisons: |z| < 3.3 keeps the family-wise false-alarm rate below 1%
    for row in pooled.itertuples():
        truth = true_cif(row.track, row.horizon)
        assert abs(row.estimate - truth) < 3.3 * row.se, (row.track, row.horizon)
        assert row.ci_lower <= row.estimate <= row.ci_upper


def test_headline_and_hazard_ratio_recover_truth(org_audit):
    head = org_audit.difference.table.iloc[0]
    truth = true_cif("IC", 3.0) - true_cif("M", 3.0)
    assert abs(head["estimate"] - truth) < 3 * head["se"]
    hr = org_audit.hazard.table.set_index("term")
    true_hr = RATES["IC"]["promotion"] / RATES["M"]["promotion"]
    assert abs(hr.loc["IC vs M", "log_hr"] - np.log(true_hr)) < 3 * hr.loc["IC vs M", "se"]
    per_grade = hr.loc[hr["grade"].notna()]
    assert len(per_grade) == 4  # grades 3..6 are below both tracks' top
    # the simulated hazards do not depend on grade: each grade's log HR is the truth's, and
    # |z| < 3.3 over the four grades keeps the family-wise false-alarm rate below 0.5%
    z = (per_grade["log_hr"] - np.log(true_hr)) / per_grade["se"]
    assert (z.abs() < 3.3).all(), z
    assert ((per_grade["ci_lower"] <= per_grade["estimate"])
            & (per_grade["estimate"] <= per_grade["ci_upper"])).all()


def test_naive_km_overstates_promotion_where_exits_are_frequent():
    rates = {
        "IC": {"promotion": 0.2, "exit": 0.35, "switch": 0.05},
        "M": {"promotion": 0.3, "exit": 0.25, "switch": 0.03},
    }
    d = mini_org(5000, seed=8, rates=rates)
    sp, _ = promotion_spells(d)
    prob = cumulative_incidence(sp, ("track",), (3.0, 5.0), pooled=())["probability"]
    for row in prob.itertuples():
        truth = true_cif(row.track, row.horizon, rates)
        if row.estimator == AJ:
            assert abs(row.estimate - truth) < 3 * row.se
        else:
            # KM estimates 1 - exp(-p t), the probability in a world without exits
            assert row.estimate - truth > 5 * row.se
            assert abs(row.estimate - true_km(row.track, row.horizon, rates)) < 3 * row.se


def test_difference_ci_uses_person_clusters(org):
    sp, _ = promotion_spells(org)
    d = cif_difference(sp, at=3.0)
    assert d["ci_lower"] < d["estimate"] < d["ci_upper"]
    # per-grade rows add up to the standardised estimate
    bg = d["by_stratum"]
    assert (bg["weight"] * bg["difference"]).sum() == pytest.approx(d["estimate"])
    assert bg["weight"].sum() == pytest.approx(1.0)


def _zero_event_org():
    """Grade 3: six ICs never promoted (all still in level at six years) against eight
    managers, three promoted within three years; no one leaves or is censored before."""
    ic = [(f"i{j}", "2015-01-01", "IC3") for j in range(6)]
    m = [(f"m{j}", "2015-01-01", "M3") for j in range(8)]
    m += [(f"m{j}", "2016-06-01", "M4") for j in range(3)]
    h = history(*ic, *m)
    p = people(*[(e, "2015-01-01") for e in sorted({r[0] for r in ic + m})])
    return audit(h, p, k=1)


def test_zero_event_track_keeps_its_uncertainty_by_hand():
    from statsmodels.stats.proportion import confint_proportions_2indep

    d = _zero_event_org()
    sp, _ = promotion_spells(d)
    row = cif_difference(sp, at=3.0)["by_stratum"].set_index("stratum").loc[3]
    # no censoring before 3 years: F_IC = 0/6, F_M = 3/8, the influence SE is binomial, so
    # the interval is Newcombe's hybrid score interval for 0/6 - 3/8 (method 10)
    lo, hi = confint_proportions_2indep(0, 6, 3, 8, method="newcomb", compare="diff")
    assert (row["estimate_a"], row["estimate_b"]) == (0.0, 3 / 8)
    assert row["ci_lower"] == pytest.approx(lo, abs=1e-12)  # -0.6943
    assert row["ci_upper"] == pytest.approx(hi, abs=1e-12)  # 0.0823
    assert (row["promotions_a"], row["at_risk_a"], row["promotions_b"]) == (0, 6, 3)
    # the IC track with no promotion still has its Wilson upper limit z^2 / (6 + z^2)
    z2 = 1.959963984540054**2
    assert row["ci_upper"] - row["difference"] == pytest.approx(
        np.hypot(z2 / (6 + z2), 3 / 8 - stats.wilson_ci(3, 8)[0]), abs=1e-12)
    # the interval contains 0, so the p-value is above alpha: one test
    assert row["ci_upper"] > 0 and row["p_value"] > 0.05
    # one grade: the standardised difference is the grade's
    whole = cif_difference(sp, at=3.0)
    assert (whole["ci_lower"], whole["ci_upper"]) == pytest.approx((lo, hi), abs=1e-12)
    # the part says it is a sampling zero, and the status follows the interval
    bg = time_to_promotion(d, parts=["difference"]).difference.tables["by_grade"]
    g3 = bg.set_index("grade").loc[3]
    assert g3["status"] == "inconclusive"
    assert "no promotion observed within 3 years (IC: 6 spells still at risk at 3 years): " \
        "a sampling zero" in g3["reason"]


def test_standardised_difference_keeps_each_grades_floor():
    d = _zero_event_org()
    sp, _ = promotion_spells(d)
    by = cif_difference(sp, at=3.0, standardise_by=None)
    within = cif_difference(sp, at=3.0)
    # one usable grade: both readings agree, and neither is degenerate
    assert by["ci_upper"] - by["ci_lower"] > 0.5
    assert within["ci_upper"] - within["ci_lower"] > 0.5
    assert within["se_clustered"] > 0  # the M track's variance alone


def test_weighted_sum_of_two_grades_is_mover_by_hand():
    from pathaudit.promotion._incidence import _weighted_sum

    s, lo, hi = _weighted_sum(np.array([0.25, 0.75]), np.array([0.0, 0.4]),
                              np.array([0.0, 0.3]), np.array([0.2, 0.5]))
    assert s == pytest.approx(0.3)
    assert lo == pytest.approx(0.3 - np.hypot(0.25 * 0.0, 0.75 * 0.1))
    assert hi == pytest.approx(0.3 + np.hypot(0.25 * 0.2, 0.75 * 0.1))


def test_grade_at_the_top_of_a_track_is_a_structural_zero():
    from pathaudit.promotion._population import structural_zeros

    grades = {"IC3": 3, "IC4": 4, "M3": 3, "M4": 4, "M5": 5}  # IC4 is the IC top
    lad = builders.ladder(grades)
    h = builders.history(
        *[(f"i{j}", "2015-01-01", "IC4") for j in range(5)],
        *[(f"m{j}", "2015-01-01", "M4") for j in range(5)],
        ("m0", "2016-01-01", "M5"),
        *[(f"a{j}", "2015-01-01", "IC3") for j in range(5)],
        *[(f"b{j}", "2015-01-01", "M3") for j in range(5)],
        ("a0", "2016-01-01", "IC4"), ("b0", "2016-01-01", "M4"),
        grades=grades, with_pay=False,
    )
    ids = sorted(set(h["employee_id"]))
    d = audit(h, people(*[(e, "2015-01-01") for e in ids]), ladder=lad, k=1)
    zeros = structural_zeros(d)
    assert zeros[["track", "grade", "spells", "top_levels"]].values.tolist() == [
        ["IC", 4, 6, "IC4"], ["M", 5, 1, "M5"]]
    bg = time_to_promotion(d, parts=["difference"]).difference.tables["by_grade"]
    bg = bg.set_index("grade")
    assert list(bg.index) == [3, 4]  # grade 5 has no IC spell: nothing to compare
    g4 = bg.loc[4]
    assert g4["status"] == "not estimable" and np.isnan(g4["estimate"])
    assert g4["reason"] == (
        "grade 4 is the top of the IC track (IC4) in every unit on the dates its spells "
        "began: no promotion is possible there (a structural zero)")
    assert (g4["n_ic"], g4["n_m"]) == (6, 6)
    # grade 3 is estimable: one promotion in each track
    assert bg.loc[3, "status"] in {"flagged", "clear", "inconclusive"}


def test_rates_match_spells(org, org_audit):
    rates = org_audit.rates.table
    sp, _ = promotion_spells(org)
    assert rates["events"].sum() == (sp["cause"] == 1).sum()
    assert rates["person_years"].sum() == pytest.approx((sp["time"] - sp["entry"]).sum())
    row = rates.iloc[0]
    assert row["estimate"] == pytest.approx(100 * row["events"] / row["person_years"])
    assert row["ci_lower"] <= row["estimate"] <= row["ci_upper"]
    direct = promotion_rates(org.exposure, org.ladder)
    pd.testing.assert_series_equal(direct["events"], rates["events"], check_dtype=False)


def test_parity_table_without_a_gap(org_audit):
    # the mini organisation has no gender difference in promotion
    # (the null itself is tested by its rejection rate over 200 organisations:
    # test_null_rejection_rate_of_gender_parity)
    par = org_audit.parity.table
    assert set(par["track"]) == {"IC", "M"}
    assert par["p_adjusted"].between(0, 1).all() and (par["p_adjusted"] >= par["p_value"]).all()
    imp = org_audit.parity.tables["impact_ratio"]
    assert set(imp.columns) >= {"estimate", "ci_lower", "ci_upper", "below_four_fifths"}
    assert (imp.loc[imp["group"] != imp["reference"], "estimate"] > 0.8).all()


# --------------------------------------------------------------------------- privacy, alpha


def test_small_cells_are_suppressed_and_curves_stop(org):
    res = time_to_promotion(org, k=400)
    prob = res.incidence.table
    small = prob["suppressed"]
    assert small.any() and (~small).any()
    assert prob.loc[small, "estimate"].isna().all()
    assert prob.loc[small, "grade"].notna().any()  # labels survive suppression
    assert (prob.loc[~small, "n"] >= 400).all() and (prob.loc[~small, "n_at_risk"] >= 400).all()
    cur = res.incidence.tables["curves"]
    shown = cur.loc[~cur["suppressed"]]
    assert (shown["n_at_risk"] >= 400).all()
    assert "employee_id" not in prob.columns and "employee_id" not in cur.columns


def test_smaller_alpha_widens_intervals(org):
    sp, _ = promotion_spells(org)
    a = cumulative_incidence(sp, ("track",), (3.0,), alpha=0.05, pooled=())["probability"]
    b = cumulative_incidence(sp, ("track",), (3.0,), alpha=0.01, pooled=())["probability"]
    assert ((b["ci_upper"] - b["ci_lower"]) > (a["ci_upper"] - a["ci_lower"])).all()


def test_plots_and_summary(org_audit):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = org_audit.plot("incidence")
    assert len(ax.lines) == 4  # two tracks x two estimators
    ax2 = org_audit.plot("hazard")
    assert len(ax2.get_yticklabels()) == 5  # pooled + four grades
    assert ax2.get_title() == "Promotion hazard ratio, with 95% CI"
    ax3 = org_audit.plot("difference")
    # within grade, pooled, and the four grades where both tracks have spells
    assert len(ax3.get_yticklabels()) == 2 + len(org_audit.difference.tables["by_grade"])
    ax4 = org_audit.plot("parity")
    imp = org_audit.parity.tables["impact_ratio"]
    compared = imp.loc[imp["group"] != imp["reference"]]  # the highest group is the reference
    assert [t.get_text() for t in ax4.get_yticklabels()] == [
        f"{t}: {g} vs {r}" for t, g, r in compared[["track", "group", "reference"]].to_numpy()
    ]
    assert len(compared) == 2  # one comparison per track
    plt.close("all")
    for part in ("rates", "velocity"):
        with pytest.raises(PathauditError, match="without a chart"):
            org_audit.plot(part)
    with pytest.raises(ArgumentError, match=r"grade must be one of the grades with curves"):
        org_audit.plot("incidence", grade=99)
    text = org_audit.summary()
    assert "rate among people still" in text or "still in their spell" in text
    heads = org_audit.headline()
    assert heads.loc[heads["primary"], "key"].tolist() == ["promotion_probability_difference"]


# --------------------------------------------------------------------------- coverage study


@pytest.fixture(scope="module", params=["small", "small_delayed"])
def coverage_runs(request):
    """Every estimate and its truth over the 200 shared simulated organisations: the
    whole history observed, and the same organisations observed from month 24 (spells
    in force then enter late)."""
    from pathaudit.simulate import cached_organisations
    from pathaudit.simulate.config import PRESETS

    cells, diffs, hrs, grades = [], [], [], []
    for i, sim in enumerate(cached_organisations(200, PRESETS[request.param]())):
        truth = sim.truth["promotion"]
        sp, _ = promotion_spells(sim.data)
        prob = cumulative_incidence(
            sp, ("track", "grade"), (1.0, 2.0, 3.0, 5.0), pooled=("grade",), curves=False
        )["probability"]
        prob = prob.loc[prob["estimator"] == AJ]
        for r in prob.itertuples():
            h = f"{r.horizon:g}"
            if pd.isna(r.grade):
                g, target = "all", truth["cif_pooled"][r.track][h]
            else:
                g = str(int(r.grade))
                target = truth["cif"].get(r.track, {}).get(g, {}).get(h, np.nan)
            cells.append((i, r.track, g, h, r.estimate, r.ci_lower, r.ci_upper, target,
                          r.n_at_risk))
        within = cif_difference(sp, at=3.0)
        bs = within["by_stratum"]
        for r in bs.itertuples():
            g = str(int(r.stratum))
            target = truth["cif"]["IC"][g]["3"] - truth["cif"]["M"][g]["3"]
            grades.append((i, g, r.difference, r.ci_lower, r.ci_upper, target,
                           min(r.promotions_a, r.promotions_b) == 0))
        # the within-grade difference targets the same weighted sum of the true per-grade CIFs
        target = sum(
            w * (truth["cif"]["IC"][str(int(g))]["3"] - truth["cif"]["M"][str(int(g))]["3"])
            for g, w in zip(bs["stratum"], bs["weight"], strict=True)
        )
        pooled = cif_difference(sp, at=3.0, standardise_by=None)
        diffs.append(
            (within["estimate"], within["ci_lower"], within["ci_upper"], target)
            + (pooled["estimate"], pooled["ci_lower"], pooled["ci_upper"], truth["cif_3y_diff"])
        )
        hr = promotion_hazard_ratios(sp, per_stratum=False).set_index("term").loc["IC vs M"]
        hrs.append((hr["log_hr"], hr["ci_lower"], hr["ci_upper"], truth["hr_ic_vs_m"]))
    cells = pd.DataFrame(
        cells, columns=["org", "track", "grade", "h", "est", "lo", "hi", "truth", "at_risk"]
    )
    cells["covered"] = (cells["lo"] <= cells["truth"]) & (cells["truth"] <= cells["hi"])
    grades = pd.DataFrame(grades, columns=["org", "grade", "est", "lo", "hi", "truth", "zero"])
    grades["covered"] = (grades["lo"] <= grades["truth"]) & (grades["truth"] <= grades["hi"])
    return cells, np.array(diffs), np.array(hrs), grades


def _within_mc_error(err: np.ndarray) -> bool:
    """Mean error within 3 Monte-Carlo standard errors of zero."""
    return abs(err.mean()) < 3 * err.std(ddof=1) / np.sqrt(len(err))


BIG_AT_RISK = 50
"""A cell (track, grade, horizon) is big when at least this many spells are still at risk at
the horizon in the average draw: the information the pointwise log(-log) interval rests on
at that time (spells counted at entry say nothing about a horizon few of them reach). Big
cells are held to the asymptotic band [0.90, 0.99]; the others to the small-cell rule."""

SMALL_WIDTH_RATIO = 2.5
"""The small-cell rule's upper bound: a small cell's interval may be conservative (coverage
up to 1), but its mean width is at most this many times the width ``2 z SD`` that the spread
of the estimates over the draws calls for (an interval wide enough to say nothing fails)."""


@pytest.mark.coverage_study
def test_coverage_of_cumulative_incidence(coverage_runs, request):
    """Aalen–Johansen per track, grade and horizon over the 200 draws, by rules fixed above.

    A cell is assessed where it exists in all 200 draws. IC grades from the top of the IC
    track before adoption (7) up to below the adopted top (so 7 and 8) are below the top
    only where an adopted unit has ICs there: they are reported and left out (fewer than 200
    draws), so no coverage rests on fewer draws.
    Every other cell is big (``BIG_AT_RISK``: [0.90, 0.99] and recovery within Monte-Carlo
    error) or small (coverage at least 0.90 and width at most ``SMALL_WIDTH_RATIO`` times
    the spread). Every per-grade M cell is assessed.
    """
    from pathaudit.simulate.config import PRESETS

    shared = request.node.callspec.params["coverage_runs"]
    cells, _, _, _ = coverage_runs
    cells = cells.assign(width=cells["hi"] - cells["lo"])
    summary = cells.groupby(["track", "grade", "h"]).agg(
        coverage=("covered", "mean"), at_risk=("at_risk", "mean"), draws=("covered", "size"),
        width=("width", "mean"), sd=("est", "std"),
    )
    summary["width_ratio"] = summary["width"] / (2 * 1.959963984540054 * summary["sd"])
    summary["kind"] = np.where(summary["at_risk"] >= BIG_AT_RISK, "big", "small")
    # cells in fewer than 200 draws: reported, left out, and only the adopted IC grades
    partial = summary.loc[summary["draws"] < 200]
    summary.loc[partial.index, "kind"] = "fewer than 200 draws"
    config = PRESETS[shared]()
    adopted_only = {("IC", g) for g in range(config.ic_grades[1], config.adopted_ic_top)}
    assert {(t, int(g)) for t, g, _ in partial.index} <= adopted_only, partial
    write_coverage_table(f"promotion_cif_{shared}", summary.reset_index())
    done = summary.loc[summary["kind"] != "fewer than 200 draws"]
    m_grades = [g for t, g, _ in done.index if t == "M" and g != "all"]
    assert len(m_grades) == 5 * 4, m_grades  # M grades 4-8, four horizons each
    big = done.loc[done["kind"] == "big"]
    small = done.loc[done["kind"] == "small"]
    assert len(big) >= 3, done  # the pooled IC track at 1, 2 and 3 years at least
    assert big["coverage"].between(0.90, 0.99).all(), big
    assert (small["coverage"] >= 0.90).all(), small.loc[small["coverage"] < 0.90]
    assert (small["width_ratio"] <= SMALL_WIDTH_RATIO).all(), small.sort_values("width_ratio")
    # recovery: the average estimate is the truth, within Monte-Carlo error, in big cells
    for key in big.index:
        part = cells.loc[(cells["track"] == key[0]) & (cells["grade"] == key[1])
                         & (cells["h"] == key[2])]
        assert _within_mc_error((part["est"] - part["truth"]).to_numpy()), key


@pytest.mark.coverage_study
def test_coverage_of_the_differences_and_hazard_ratio(coverage_runs):
    # (one test, so that the two xdist workers do not each build the shared fixture)
    _, diffs, hrs, grades = coverage_runs
    assert len(diffs) == len(hrs) == 200
    for est, lo, hi, truth in (diffs[:, 0:4].T, diffs[:, 4:8].T):
        coverage = np.mean((lo <= truth) & (truth <= hi))
        assert 0.90 <= coverage <= 0.99, coverage
        assert _within_mc_error(est - truth)
    log_hr, lo, hi, truth = hrs.T
    coverage = np.mean((lo <= truth) & (truth <= hi))
    assert 0.90 <= coverage <= 0.99, coverage
    assert _within_mc_error(log_hr - np.log(truth))
    # IC - M at 3 years in each grade where both tracks have spells below their top,
    # against truth.json's per-track per-grade incidences. Grade 8 exists where an adopted
    # unit has ICs there (124 of the 200 organisations); every other grade in at least 196.
    summary = grades.groupby("grade").agg(coverage=("covered", "mean"),
                                          draws=("covered", "size"), zero=("zero", "sum"))
    assert list(summary.index) == ["4", "5", "6", "7", "8"], summary
    assert (summary["draws"] >= 120).all(), summary
    assert summary["coverage"].between(0.90, 0.99).all(), summary
    # where a track has no promotion within 3 years (a sampling zero: mostly IC at grades
    # 7 and 8, about 300 cells), the interval still covers
    zero = grades.loc[grades["zero"]]
    assert len(zero) >= 200, len(zero)
    assert zero["covered"].mean() >= 0.90, zero["covered"].mean()


@pytest.fixture(scope="module")
def null_promotion_runs():
    """The promotion tests over 200 organisations whose IC and M promotion hazards are
    equal in every grade (``promotion_hr_ic = 1``; everything else as in ``small``)."""
    from pathaudit.simulate import cached_organisations
    from pathaudit.simulate.config import small

    config = small(promotion_hr_ic=1.0)
    out, gender = [], []
    for sim in cached_organisations(200, config):
        assert sim.truth["promotion"]["hr_ic_vs_m"] == 1.0
        sp, _ = promotion_spells(sim.data)
        hr = promotion_hazard_ratios(sp, per_stratum=False).set_index("term").loc["IC vs M"]
        lr = logrank_by_track(sp)
        out.append((hr["p_value"], lr.loc[lr["grade"].isna(), "p_value"].iloc[0]))
        gender.append(_gender_null_pvalues(sp))
    return np.array(out), pd.DataFrame(gender)


def _gender_null_pvalues(sp: pd.DataFrame) -> dict[str, float]:
    """p-values of the gender comparisons promotion parity makes, women vs men, where the
    simulator's promotion hazard does not depend on gender: the cause-specific hazard ratio
    in each track, and the difference in the probability of promotion within 3 years in
    the M track. (In the IC track women switch to M less, ``switch_hr_female``: a competing
    event, so their probability of promotion is not exactly men's; not a null there.)"""
    out = {}
    for track in ("IC", "M"):
        part = sp.loc[(sp["track"] == track) & sp["gender"].notna()]
        part = part.assign(gender=part["gender"].astype(str))
        # tenure the one control: with job family and location as well, a control level
        # of a few managers diverges in some draws (the audit then drops the hazard row)
        hr = promotion_hazard_ratios(part, ("tenure_at_start",),
                                     compare="gender", levels=("Female", "Male"),
                                     per_stratum=False, label="Female vs Male")
        out[f"hazard ratio, {track}"] = float(
            hr.loc[hr["term"] == "Female vs Male", "p_value"].iloc[0])
        if track == "M":
            d = cif_difference(part, "gender", ("Female", "Male"), 3.0, "grade")
            out["difference at 3 years, M"] = float(d["p_value"])
    return out


@pytest.mark.coverage_study
def test_null_rejection_rate_of_the_promotion_tests(null_promotion_runs):
    # at 5%, over all 200 draws: within 3 Monte-Carlo standard errors of 0.05
    tracks, gender = null_promotion_runs
    assert tracks.shape == (200, 2)
    mc = 3 * np.sqrt(0.05 * 0.95 / 200)
    for name, p in zip(("Cox IC vs M", "stratified log-rank"), tracks.T, strict=True):
        rate = np.mean(p < 0.05)
        assert abs(rate - 0.05) <= mc, (name, rate)
    # and the p-values are uniform: no decile holds more than twice its share
    counts = np.histogram(tracks[:, 0], bins=10, range=(0, 1))[0]
    assert counts.max() <= 40, counts


@pytest.mark.coverage_study
def test_null_rejection_rate_of_gender_parity(null_promotion_runs):
    # promotion parity's gender tests where the simulator has no gender effect on
    # promotion: rejection at 5% over all 200 draws within 3 Monte-Carlo SEs of 0.05
    _, gender = null_promotion_runs
    assert gender.notna().all().all() and len(gender) == 200, gender.isna().sum()
    rates = (gender < 0.05).mean()
    write_coverage_table("promotion_null_gender", pd.DataFrame(
        {"test": rates.index, "draws": len(gender), "rejection_rate": rates.to_numpy()}))
    mc = 3 * np.sqrt(0.05 * 0.95 / 200)
    assert ((rates - 0.05).abs() <= mc).all(), rates


def test_exact_bootstrap_median_matches_resampling():
    from pathaudit import stats
    from pathaudit.stats import bootstrap_medians_exact

    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 40, 301):
        x = np.round(rng.exponential(2.0, n) * 12) / 12  # ties, as with day-dated times
        a = bootstrap_medians_exact(x, 20000, np.random.default_rng(1))
        b = stats.bootstrap_medians(x, 20000, np.random.default_rng(2))
        # the same distribution: two-sample Kolmogorov–Smirnov distance within its 0.1% bound
        grid = np.union1d(a, b)
        fa = np.searchsorted(np.sort(a), grid, side="right") / len(a)
        fb = np.searchsorted(np.sort(b), grid, side="right") / len(b)
        assert np.abs(fa - fb).max() < 1.95 * np.sqrt(2 / 20000)
        assert set(np.unique(a)) <= set(np.unique(b)) | set((x[:, None] + x[None, :]).ravel() / 2)


# --------------------------------------------------------------------------- the contract


def test_headline_rows_judge_the_difference_against_the_margin(org, org_audit):
    head = org_audit.headline().set_index("key")
    assert list(head.index) == [
        "promotion_probability_difference",
        "promotion_probability_difference_pooled",
        "promotion_probability_ic",
        "promotion_probability_m",
        "promotion_hazard_ratio",
    ]
    row = org_audit.difference.table.iloc[0]
    primary = head.loc["promotion_probability_difference"]
    assert primary["primary"] and head["primary"].sum() == 1
    assert primary["estimate"] == row["estimate"] and primary["ci_upper"] == row["ci_upper"]
    assert primary["threshold"] == "flagged outside -0.05 to 0.05"
    assert head.loc["promotion_hazard_ratio", "threshold"] == "flagged outside 0.8 to 1.25"
    assert head.loc["promotion_probability_ic", "estimate"] == row["probability_ic"]
    assert (head["question"] == "promotion").all()
    assert set(head.loc[head.index.str.endswith(("_pooled", "_ic", "_m")), "status"]) == {
        "descriptive"
    }
    # the mini organisation: IC 3-year probability 0.20/0.37 (1 - e^-1.11) = 0.363 against
    # 0.30/0.41 (1 - e^-1.23) = 0.517 for M, a difference of about -0.15: wholly beyond 0.05
    assert primary["status"] == "flagged"
    assert primary["reason"] == "the whole interval lies outside -0.05 to 0.05"
    # the true hazard ratio 0.2 / 0.3 = 0.67 lies below 0.8
    assert head.loc["promotion_hazard_ratio", "status"] == "flagged"
    # a margin wider than the whole interval makes the same figure clear
    wide = time_to_promotion(org, parts=["difference"], margin=0.5).headline()
    assert wide.loc[0, "status"] == "clear"
    assert wide.loc[0, "threshold"] == "flagged outside -0.5 to 0.5"
    pd.testing.assert_frame_equal(
        time_to_promotion(org, parts=["difference"], margin=0.5).difference.table,
        org_audit.difference.table,
    )


def test_headline_horizon_and_alpha_reach_every_text(org):
    res = time_to_promotion(org, parts=["difference", "hazard"], horizons=(1, 2),
                            headline_horizon=2, alpha=0.1)
    head = res.headline().set_index("key")
    assert "within 2 years" in head.loc["promotion_probability_difference", "label"]
    assert res.difference.meta["analysis"].endswith("within 2 years")
    assert "3 years" not in res.difference.meta["definition"]
    assert res.difference.table["horizon"].eq(2.0).all()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert res.plot("hazard").get_title() == "Promotion hazard ratio, with 90% CI"
    assert res.plot("difference").get_title() == "IC − M difference, with 90% CI"
    plt.close("all")


def test_parts_computes_only_the_parts_asked(org, org_audit):
    res = time_to_promotion(org, parts=["rates", "hazard"])
    assert list(res.results()) == ["hazard", "rates"]
    assert res.difference is None and res.incidence is None and res.parity is None
    pd.testing.assert_frame_equal(res.rates.table, org_audit.rates.table)
    head = res.headline().set_index("key")
    assert head.loc["promotion_probability_difference", "status"] == "not computed"
    assert "not asked for" in head.loc["promotion_probability_difference", "reason"]
    assert head.loc["promotion_hazard_ratio", "status"] == "flagged"
    with pytest.raises(PathauditError, match="was not computed: it was not asked for"):
        res.part("velocity")


def test_not_computed_parts_say_why(org_audit):
    # history data: the snapshot part is for snapshot-only exports
    assert set(org_audit.results()) == set(PARTS) - {"snapshot"}
    assert "snapshot-only" in org_audit.not_computed()["snapshot"]
    kinds = {(n.kind, n.part) for n in org_audit.notes}
    assert ("caveat", "hazard") in kinds
    assert all(isinstance(n, Note) for n in org_audit.notes)


def test_parity_without_the_default_group_is_a_note(org):
    from dataclasses import replace

    d = replace(org, people=org.people.drop(columns="gender"))
    assert d.spells["gender"].isna().all()
    res = time_to_promotion(d, parts=["parity"])
    assert res.parity is None
    assert res.not_computed()["parity"] == (
        "the data has no 'gender' values; pass group= one of ['org_unit', 'job_family', "
        "'location'] to compare promotion by another group"
    )


def test_repr_is_the_summary_not_the_tables(org_audit):
    text = repr(org_audit)
    assert text == org_audit.summary()
    assert len(text) < 4000 and "PromotionAudit(" not in text
    page = org_audit._repr_html_()
    assert page.startswith("<div>") and "Time to promotion by track" in page


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"group": "gendr"}, "group must name a grouping column of the spells (attributes at "
         "each spell's start): ['gender', 'org_unit', 'job_family', 'location']; not found: "
         "['gendr']. Did you mean 'gender'?"),
        ({"group": "ethnicity"}, "group must name a grouping column of the spells (attributes "
         "at each spell's start): ['gender', 'org_unit', 'job_family', 'location']; not found: "
         "['ethnicity']. Without values in this data: ['ethnicity'] (map the column in the "
         "column map to group by it)."),
        ({"group": ["gender"]}, "group must be one column name (a str); got ['gender']."),
        ({"controls": ["tenure", "job_family"]}, "controls must name columns of the spells "
         "(covariates at each spell's start): ['gender', 'job_family', 'location', "
         "'org_unit', 'start_pay', 'tenure_at_start']; not found: ['tenure']."),
        ({"horizons": 3}, "horizons must be a list of years above 0, e.g. (1, 2, 3, 5); "
         "got 3."),
        ({"horizons": ()}, "horizons must hold at least one number of years above 0, e.g. "
         "(1, 2, 3, 5); got an empty list."),
        ({"horizons": (1, -2)}, "each of horizons (years) must be a number above 0; got -2."),
        ({"horizons": (1, 3, 3)}, "horizons must not repeat a value; got [1, 3, 3] (3 "
         "repeated). Give each horizon once."),
        ({"headline_horizon": 4}, "headline_horizon must be one of horizons (1, 2, 3, 5), so "
         "that the incidence table shows the probabilities the headline difference compares; "
         "got 4. Pick one of them or add 4 to horizons."),
        ({"headline_horizon": 0}, "headline_horizon (years) must be a number above 0; got 0."),
        ({"margin": 0}, "margin must be a number above 0 and at most 1; got 0."),
        ({"margin": "5%"}, "margin must be a number above 0 and at most 1; got '5%'."),
        ({"seed": -1}, "seed must be a whole number at least 0; got -1."),
        ({"seed": 1.5}, "seed must be a whole number at least 0; got 1.5."),
        ({"k": 0}, "k (the minimum cell size) must be a whole number at least 1; got 0."),
        ({"alpha": 0.5}, "alpha must be a number between 0 and 0.5 (0.05 gives 95% "
         "intervals); got 0.5."),
        ({"parts": ["headline"]}, "parts must name items of ['difference', 'incidence', "
         "'hazard', 'rates', 'velocity', 'parity', 'snapshot']; unknown: ['headline']."),
    ],
)
def test_invalid_arguments_say_what_must_hold(org, kwargs, message):
    with pytest.raises(ArgumentError) as err:
        time_to_promotion(org, **kwargs)
    assert str(err.value) == message


def test_data_must_be_loaded():
    with pytest.raises(ArgumentError, match=r"time_to_promotion takes loaded data"):
        time_to_promotion(pd.DataFrame())


def test_valid_arguments_are_accepted(org):
    res = time_to_promotion(org, parts=["hazard", "parity"], controls=["tenure_at_start"],
                            group="location", seed=np.int64(7), horizons=[3.0])
    terms = set(res.hazard.table["term"])
    assert "tenure_at_start" in terms and not any(t.startswith("job_family") for t in terms)
    assert res.parity.meta["analysis"] == "promotion parity by location within track"
    assert isinstance(res, PromotionAudit)


def test_one_track_data_compares_no_tracks_and_computes_the_rest(sample_data):
    import dataclasses
    import warnings

    h, p = sample_data.history, sample_data.people
    ever_m = set(h.loc[h["track"] == "M", "employee_id"])
    keep_h = ~h["employee_id"].isin(ever_m)
    data = dataclasses.replace(sample_data, history=h.loc[keep_h],
                               people=p.loc[~p["employee_id"].isin(ever_m)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no Cox fit of a constant track term is attempted
        res = time_to_promotion(data)
    assert res.difference is None and res.hazard is None
    for part in ("difference", "hazard"):
        assert res.not_computed()[part] == "only one track (IC) in the data"
    assert res.incidence is not None and set(res.incidence.table["track"]) == {"IC"}
    head = res.headline().set_index("key")
    for key in ("promotion_probability_difference", "promotion_hazard_ratio"):
        assert head.loc[key, "status"] == "not computed"
        assert np.isnan(head.loc[key, "estimate"])
        assert "only one track (IC)" in head.loc[key, "reason"]


def test_promotable_from_per_distinct_cell_equals_every_row(sample_data):
    from pathaudit.derived.ladder import promotable_from
    from pathaudit.promotion._population import promotable_from_rows

    for frame in (sample_data.spells, sample_data.exposure):
        for ladder in (sample_data.ladder, None):
            pd.testing.assert_series_equal(
                promotable_from_rows(ladder, frame), promotable_from(ladder, frame)
            )
