"""Management flags: one-sided tests against thresholds, Benjamini-Hochberg across the
profile, FCR-adjusted intervals; the ceiling of an inferred ladder; nominal managers in
another ID space; one-track data."""

from __future__ import annotations

import dataclasses
from functools import partial

import builders
import numpy as np
import pandas as pd
import pytest
import scipy.stats as sps
from builders import person as P

from pathaudit import stats
from pathaudit.headline import Threshold
from pathaudit.management._analysis import (
    forced_management,
    ic_ceiling,
    nominal_managers,
    preference_mismatch,
    switch_premium,
)
from pathaudit.management._flags import adjust_families, figure_test, one_sided_p
from pathaudit.management._roles import MIN_MANAGER_MATCH, manager_match_rate

LADDER = {"IC2": 2, "IC3": 3, "IC4": 4, "IC5": 5, "M1": 3, "M2": 4, "M3": 5, "M4": 6}
build = partial(builders.persons_audit, grades=LADDER)
D0 = pd.Timestamp("2019-01-01")


def day(n: int) -> pd.Timestamp:
    return D0 + pd.Timedelta(days=n)


def above(value: float, unit: str = "ratio") -> Threshold:
    return Threshold("x", "y", "x", "above", value, unit, "")


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_log_scale_test_inverts_the_wald_interval(alpha):
    # a ratio 2 with se 0.3 on the log scale: the p-value at the lower bound is alpha / 2
    z = sps.norm.ppf(1 - alpha / 2)
    lo, hi = 2 * np.exp(-z * 0.3), 2 * np.exp(z * 0.3)
    r = {"estimate": 2.0, "ci_lower": lo, "ci_upper": hi}
    kind, (p_beyond, interval) = figure_test("post_switch_attrition", "hazard_ratio", r, alpha)
    assert kind == "log"
    assert p_beyond(lo, +1) == pytest.approx(alpha / 2)
    assert p_beyond(hi, -1) == pytest.approx(alpha / 2)
    assert interval(alpha) == pytest.approx((lo, hi))
    # against 1.25: z = log(2 / 1.25) / 0.3
    assert p_beyond(1.25, +1) == pytest.approx(sps.norm.sf(np.log(1.6) / 0.3))
    lo2, hi2 = interval(0.01)
    assert lo2 == pytest.approx(2 * np.exp(-sps.norm.ppf(0.995) * 0.3))


def test_score_test_is_the_one_the_wilson_interval_inverts():
    # 9 of 20 managers nominal, threshold 0.2: z = (0.45 - 0.2) / sqrt(0.2 * 0.8 / 20)
    lo, hi = stats.wilson_ci(9, 20, 0.05)
    r = {"estimate": 0.45, "ci_lower": float(lo), "ci_upper": float(hi), "numerator": 9.0,
         "denominator": 20.0}
    kind, (p_beyond, interval) = figure_test("nominal_managers", "share", r, 0.05)
    assert kind == "score"
    z = 0.25 / np.sqrt(0.2 * 0.8 / 20)
    assert p_beyond(0.2, +1) == pytest.approx(sps.norm.sf(z))
    # at the Wilson lower bound the one-sided p-value is exactly alpha / 2
    assert p_beyond(float(lo), +1) == pytest.approx(0.025)
    assert interval(0.05) == pytest.approx((float(lo), float(hi)))


def test_loglog_test_inverts_the_cumulative_incidence_interval():
    lo, hi = stats.loglog_ci(0.3, 0.08, 0.05)
    r = {"estimate": 0.3, "ci_lower": float(lo), "ci_upper": float(hi)}
    kind, (p_beyond, interval) = figure_test("switch_back", "cif", r, 0.05)
    assert kind == "loglog"
    assert p_beyond(float(lo), +1) == pytest.approx(0.025)
    assert interval(0.05) == pytest.approx((float(lo), float(hi)))
    a, b = interval(0.01)
    lo1, hi1 = stats.loglog_ci(0.3, 0.08, 0.01)
    assert (a, b) == pytest.approx((float(lo1), float(hi1)))
    # no switch-back observed: Wilson for 0 of the 30 whose status is known
    w = stats.wilson_ci(0, 30, 0.05)
    r0 = {"estimate": 0.0, "ci_lower": 0.0, "ci_upper": float(w[1]), "known": 30.0}
    kind, (p0, i0) = figure_test("switch_back", "cif", r0, 0.05)
    assert kind == "score"
    assert p0(0.05, +1) == pytest.approx(sps.norm.sf(-0.05 / np.sqrt(0.05 * 0.95 / 30)))
    assert i0(0.05)[1] == pytest.approx(float(w[1]))


def test_t_test_uses_the_degrees_of_freedom_of_the_interval():
    q = sps.t.ppf(0.975, 4)
    r = {"estimate": -0.5, "ci_lower": -0.5 - q * 0.2, "ci_upper": -0.5 + q * 0.2, "df": 4.0}
    kind, (p_beyond, _) = figure_test("peter_principle", "std_difference", r, 0.05)
    assert kind == "t"
    assert p_beyond(-0.2, -1) == pytest.approx(sps.t.sf(0.3 / 0.2, 4))


def test_bootstrap_p_value_is_the_share_of_draws_on_the_healthy_side():
    draws = np.linspace(-0.01, 0.09, 2001)
    r = {"by": "overall", "group": "all", "estimate": 0.04, "ci_lower": 0.0, "ci_upper": 0.08}
    kind, (p_beyond, interval) = figure_test("switch_premium", "premium", r, 0.05,
                                         {("overall", "all"): draws})
    assert kind == "bootstrap"
    assert p_beyond(0.02, +1) == pytest.approx(np.mean(draws <= 0.02))
    assert interval(0.05) == pytest.approx(tuple(np.quantile(draws, [0.025, 0.975])))
    # without the draws: a normal approximation to the percentile interval
    kind, _ = figure_test("switch_premium", "premium", r, 0.05)
    assert kind == "normal"


def test_a_band_takes_the_smaller_one_sided_p_value():
    t = Threshold("who_switches", "rate_ratio", "x", "outside", (0.8, 1.25), "ratio", "")
    r = {"estimate": 0.6, "ci_lower": 0.6 * np.exp(-1.96 * 0.1),
         "ci_upper": 0.6 * np.exp(1.96 * 0.1)}
    _, (p_beyond, _) = figure_test("who_switches", "rate_ratio", r, 0.05)
    expected = sps.norm.sf(np.log(0.8 / 0.6) / (1.96 * 0.1 / sps.norm.ppf(0.975)))
    assert one_sided_p(t, p_beyond) == pytest.approx(expected)


def test_benjamini_hochberg_by_family_and_fcr_intervals():
    # four figures in the whole period, p = 0.001, 0.02, 0.03, 0.5, every raw interval
    # beyond except the last; one year with p = 0.02 alone
    p = [0.001, 0.02, 0.03, 0.5, 0.02]
    prof = pd.DataFrame({
        "period": ["whole period"] * 4 + ["year 2020"],
        "p_value": p,
        "status": ["flagged"] * 3 + ["inconclusive", "flagged"],
        "flagged": [True] * 3 + [False, True],
        "excess": [1.0] * 3 + [np.nan, 1.0],
        "reason": [""] * 5,
        "fcr_lower": np.nan, "fcr_upper": np.nan,
    })
    levels: list[list[float]] = [[] for _ in p]

    def recorder(i):
        def interval(a):
            levels[i].append(a)
            return (i - a, i + a)
        return interval

    out = adjust_families(prof, [recorder(i) for i in range(5)], alpha=0.05)
    # BH within the whole period: 0.004, 0.04, 0.04, 0.5; flagged at <= 0.025: only the first
    assert out["p_adjusted"].tolist() == pytest.approx([0.004, 0.04, 0.04, 0.5, 0.02])
    assert out["status"].tolist() == ["flagged", "inconclusive", "inconclusive",
                                      "inconclusive", "flagged"]
    assert "not after adjusting for the 4 figures" in out.loc[1, "reason"]
    assert out["family_size"].tolist() == [4, 4, 4, 4, 1]
    # FCR level 1 - R alpha / m: R = 1 of m = 4; the year alone: 1 - 0.05
    assert out["fcr_level"].tolist() == pytest.approx([1 - 0.05 / 4] * 4 + [0.95])
    assert levels[0] == [pytest.approx(0.0125)] and levels[4] == [pytest.approx(0.05)]


def ceiling_data() -> object:
    persons = [
        P("i1", D0, [(D0, "IC4"), (day(500), "IC5")]),
        P("i2", D0, [(D0, "IC4")]),
        P("m1", D0, [(D0, "M2"), (day(250), "M3")]),
        P("m2", D0, [(D0, "M2")]),
        P("i3", D0, [(D0, "IC3")]),
    ]
    return build(persons, extract="2020-12-31", k=1)


def test_the_designed_gap_is_a_fact_not_a_test():
    audit = forced_management(ceiling_data(), by=None, over_time=False)
    p = audit.profile.table
    row = p.loc[p["measure"] == "designed_gap"].iloc[0]
    assert row["status"] == "flagged"
    assert np.isnan(row["p_value"]) and np.isnan(row["p_adjusted"])
    assert (row["fcr_lower"], row["fcr_upper"]) == (1.0, 1.0)


def test_flagged_figures_have_fcr_intervals_beyond_the_threshold():
    import pathaudit
    from pathaudit.sample import sample_dir

    data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")
    audit = forced_management(data, over_time=False)
    p = audit.profile.table
    tested = p.loc[p["p_value"].notna()]
    flagged = tested.loc[tested["flagged"]]
    assert len(flagged) > 0
    ths = {(t.indicator, t.measure): t for t in audit.thresholds}
    for r in flagged.itertuples(index=False):
        t = ths[(r.indicator, r.measure)]
        assert r.p_adjusted <= 0.025
        if t.direction == "above":
            assert r.fcr_lower > t.value
        elif t.direction == "below":
            assert r.fcr_upper < t.value
    # the FCR interval is never narrower than the raw one
    assert (tested["fcr_lower"] <= tested["ci_lower"] + 1e-12).all()
    assert (tested["fcr_upper"] >= tested["ci_upper"] - 1e-12).all()
    # one family of m figures and one FCR level in the whole period
    assert tested["family_size"].nunique() == 1
    m = int(tested["family_size"].iloc[0])
    assert m == len(tested)
    r_flags = int(tested["flagged"].sum())
    assert tested["fcr_level"].iloc[0] == pytest.approx(1 - max(r_flags, 1) * 0.05 / m)
    # the score a leader reads is the number of flags after the adjustment
    sc = audit.scores.table
    org = p.loc[(p["by"] == "overall")]
    assert sc.loc[sc["by"] == "overall", "flagged"].item() == int(org["flagged"].sum())
    # the premium's draws serve the test but are not published
    assert "bootstrap_draws" not in audit.switch_premium.meta


def test_switch_premium_keeps_its_draws_only_when_asked():
    import pathaudit
    from pathaudit.sample import sample_dir

    data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")
    plain = switch_premium(data)
    kept = switch_premium(data, keep_draws=True)
    assert "bootstrap_draws" not in plain.meta
    draws = kept.meta["bootstrap_draws"][("overall", "all")]
    assert len(draws) == 2000
    row = kept.table.query("measure == 'premium' and grade.isna() and by == 'overall'").iloc[0]
    assert np.quantile(draws, [0.025, 0.975]) == pytest.approx([row["ci_lower"], row["ci_upper"]])
    pd.testing.assert_frame_equal(plain.table, kept.table)


# --------------------------------------------------------------------------- inferred ladder


def test_an_inferred_ladder_has_a_realised_not_a_designed_ceiling():
    data = ceiling_data()
    inferred = dataclasses.replace(data, config={**data.config,
                                                 "grade": {"column": "Global Grade"}})
    res = ic_ceiling(inferred)
    t = res.table
    assert not (t["measure"] == "designed_gap").any()
    gap = t.loc[(t["measure"] == "inferred_ladder_gap") & (t["by"] == "overall")].iloc[0]
    assert gap["estimate"] == 1.0 and gap["top"].startswith("realised")
    assert res.meta["ladder_inferred"] is True
    audit = forced_management(inferred, by=None, over_time=False)
    row = audit.profile.table.query("measure == 'designed_gap'").iloc[0]
    assert row["status"] == "not computed"
    assert "inferred from the data's grade column" in row["reason"]
    # a ladder file: designed, as before
    assert ic_ceiling(data).meta["ladder_inferred"] is False


def test_a_loaded_map_with_a_grade_column_is_read_as_inferred(tmp_path):
    from pathaudit.management._pay import ladder_inferred

    data = ceiling_data()
    assert not ladder_inferred(data)
    assert ladder_inferred(dataclasses.replace(data, config={"grade": {"column": "G"}}))


# --------------------------------------------------------------------------- nominal managers


def managers_with(ids: dict[str, str]) -> object:
    """Two managers and four reports; ``ids`` maps each person to the manager_id recorded."""
    persons = [P(e, D0, [(D0, lvl, 100, "U1", ids.get(e))])
               for e, lvl in [("A", "M2"), ("B", "M2"), ("r1", "IC3"), ("r2", "IC3"),
                              ("r3", "IC3"), ("r4", "IC3")]]
    return build(persons, extract="2020-12-31")


def test_nominal_managers_in_another_id_space_are_not_computed():
    # manager IDs are position numbers: no record names an employee
    other = managers_with({"A": "P-900", "B": "P-900", "r1": "P-1", "r2": "P-1",
                           "r3": "P-2", "r4": "P-2"})
    assert manager_match_rate(other) == (0.0, "M-track people's job records")
    res = nominal_managers(other)
    assert res.meta["available"] is False
    assert "only 0% of M-track people's job records with a manager_id" in res.meta["note"]
    assert f"at least {MIN_MANAGER_MATCH:.0%}" in res.meta["note"]
    # the same people with employee IDs: A has r1-r3, B has r4 alone (nominal): 1 of 2
    same = managers_with({"A": "X-1", "r1": "A", "r2": "A", "r3": "A", "r4": "B"})
    assert manager_match_rate(same)[0] == 0.0  # A's own manager is outside the export ...
    assert nominal_managers(same).meta["available"] is False
    same = managers_with({"A": "B", "r1": "A", "r2": "A", "r3": "A", "r4": "A"})
    assert manager_match_rate(same)[0] == 1.0  # ... here inside it: B has A, A has four
    share = nominal_managers(same).table.query("measure == 'share' and by == 'overall'")
    assert share[["numerator", "denominator"]].iloc[0].tolist() == [1.0, 2.0]


def test_match_rate_reads_every_record_when_no_manager_has_a_manager():
    data = managers_with({"r1": "A", "r2": "A", "r3": "X-1", "r4": "B"})
    assert manager_match_rate(data) == (0.75, "job records")
    assert nominal_managers(data).meta["available"] is True


# --------------------------------------------------------------------------- one track


def one_track_data(level: str, ids: dict[str, str] | None = None) -> object:
    persons = [P(f"p{j}", D0, [(D0, level, 100, "U1", (ids or {}).get(f"p{j}"))],
                 gender="F" if j % 2 else "M", pref="IC")
               for j in range(8)]
    persons.append(P("q", D0, [(D0, level, 100, "U1"), (day(300), level[:-1] + "3", 110)]))
    return build(persons, extract="2020-12-31")


BOTH_TRACKS = ("ic_ceiling", "switch_premium", "stalled_then_switched", "who_switches",
               "switch_back", "post_switch_attrition", "peter_principle")


def test_one_track_ic_data_is_not_computed_with_the_reason():
    audit = forced_management(one_track_data("IC2"))
    p = audit.profile.table
    assert set(p["status"]) == {"not computed"}
    reasons = p.drop_duplicates("indicator").set_index("indicator")["reason"]
    for name in (*BOTH_TRACKS, "nominal_managers", "preference_mismatch"):
        assert reasons[name].startswith("only one track (IC) in the data"), (name, reasons[name])
    head = audit.headline()
    assert head.loc[head["primary"], "status"].item() == "not estimable"


def test_one_track_m_data_still_reads_managers():
    ids = {f"p{j}": "p0" for j in range(1, 8)}
    data = one_track_data("M2", ids)
    for name in BOTH_TRACKS:
        res = forced_management(data, parts=[name], by=None, over_time=False)
        assert getattr(res, name) is None
        assert any(n.text.startswith("only one track (M) in the data") for n in res.notes)
    nominal = nominal_managers(data)
    share = nominal.table.query("measure == 'share' and by == 'overall'").iloc[0]
    # p0 has 7 reports; p1-p7 and q have none: 8 of 9
    assert (share["numerator"], share["denominator"]) == (8.0, 9.0)
    mismatch = preference_mismatch(data).table.query("measure == 'share' and by == 'overall'")
    assert mismatch["denominator"].item() == 8.0
