"""Attrition by track: exact hand-built cases, cross-checks against statsmodels, recovery."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from attrition_builders import YEAR, audit, days, history, people, random_org
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight

from pathaudit import stats
from pathaudit.attrition import attrition
from pathaudit.errors import NeedsHistoryError, PathauditError, StatisticalWarning

matplotlib.use("Agg")


def quiet(data, **kw):
    """attrition() on tiny data, where the Cox model cannot converge (it warns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        return attrition(data, **kw)


def mid_quarter():
    """X switches IC->M on 2020-02-15 and leaves on 2020-03-20; Y stays IC all quarter."""
    h = history(
        ("X", "2020-01-01", "IC4"),
        ("X", "2020-02-15", "M1"),
        ("Y", "2019-10-01", "IC4"),
    )
    p = people(("X", "2020-01-01", "2020-03-20", "voluntary"), ("Y", "2019-10-01"))
    return audit(h, p, extract="2020-06-30", start="2020-01-01")


# --------------------------------------------------------------------------- person-time


def test_switcher_mid_quarter_person_time_split_exactly():
    res = quiet(mid_quarter(), by=None, freq="quarter")
    ot = res.over_time.table
    q1 = ot[(ot["period"] == "2020Q1") & (ot["kind"] == "voluntary")].set_index("track")
    # X: IC on [Jan 1, Feb 15) = 45 days, M on [Feb 15, Mar 21) = 35 days; Y: IC 91 days
    assert q1.loc["IC", "person_years"] == pytest.approx((45 + 91) / YEAR, abs=1e-12)
    assert q1.loc["M", "person_years"] == pytest.approx(35 / YEAR, abs=1e-12)
    assert q1.loc["IC", "events"] == 0 and q1.loc["M", "events"] == 1
    assert q1.loc["M", "estimate"] == pytest.approx(100 / (35 / YEAR))
    q2 = ot[(ot["period"] == "2020Q2") & (ot["kind"] == "voluntary")].set_index("track")
    assert q2.loc["IC", "person_years"] == pytest.approx(91 / YEAR)
    assert "M" not in q2.index or q2.loc["M", "person_years"] == 0
    rates = res.rates.table.set_index(["track", "kind"])
    assert rates.loc[("IC", "voluntary"), "person_years"] == pytest.approx((45 + 91 + 91) / YEAR)
    assert rates.loc[("M", "voluntary"), "n"] == 1  # X counts in both tracks
    assert rates.loc[("IC", "voluntary"), "n"] == 2


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hire=st.integers(0, 400), to_switch=st.integers(1, 500), to_exit=st.integers(2, 500),
    leaves=st.booleans(),
)
def test_switcher_person_time_split_property(hire, to_switch, to_exit, leaves):
    # one switcher and one stayer; every day of the switcher counts once, on the right track
    # (a switch dated on the termination date itself is not a switch: the exit wins)
    t0 = pd.Timestamp("2020-01-01")
    h = t0 + pd.Timedelta(days=hire)
    s = h + pd.Timedelta(days=to_switch)
    e = s + pd.Timedelta(days=to_exit - 1)  # last day employed (inclusive)
    d = audit(
        history(("X", h, "IC4"), ("X", s, "M1"), ("Y", "2019-06-01", "IC3")),
        people(("X", h, e if leaves else None, "voluntary" if leaves else None),
               ("Y", "2019-06-01")),
        extract="2022-12-31", start="2020-01-01",
    )
    res = quiet(d, by=None, freq="quarter")
    end = (e + pd.Timedelta(days=1)) if leaves else pd.Timestamp("2023-01-01")
    ot = res.over_time.table
    ot = ot[ot["kind"] == "all"]
    m_py = ot.loc[ot["track"] == "M", "person_years"].sum()
    ic_py = ot.loc[ot["track"] == "IC", "person_years"].sum()
    assert m_py == pytest.approx((end - s).days / YEAR, abs=1e-9)
    y_days = (pd.Timestamp("2023-01-01") - pd.Timestamp("2020-01-01")).days
    assert ic_py == pytest.approx(((s - h).days + y_days) / YEAR, abs=1e-9)
    assert ot.loc[ot["track"] == "M", "events"].sum() == int(leaves)
    assert ot.loc[ot["track"] == "IC", "events"].sum() == 0


def test_person_time_of_all_groups_adds_up():
    d = random_org(1500, seed=3)
    res = attrition(d, by=["grade", "org_unit"], freq="quarter")
    total = d.exposure["person_years"].sum()
    for part in (res.rates, res.rates_by, res.over_time):
        t = part.table
        for kind in ("voluntary", "all"):
            sel = t[t["kind"] == kind]
            assert not sel["suppressed"].any()
            assert sel["person_years"].sum() == pytest.approx(total, rel=1e-12)
    ev = d.exposure["event"].astype(str)
    r = res.rates.table
    assert r[r["kind"] == "all"]["events"].sum() == ev.str.startswith("exit_").sum()
    assert r[r["kind"] == "voluntary"]["events"].sum() == (ev == "exit_voluntary").sum()


def test_rates_and_exact_intervals_by_hand():
    d = random_org(800, seed=5)
    res = attrition(d, by=None, alpha=0.1)
    ex = d.exposure
    for track in ("IC", "M"):
        sel = ex[ex["track"] == track]
        e = int((sel["event"] == "exit_voluntary").sum())
        py = sel["person_years"].sum()
        lo, hi = stats.poisson_rate_ci(e, py, alpha=0.1)
        row = res.rates.table.set_index(["track", "kind"]).loc[(track, "voluntary")]
        assert row["events"] == e
        assert row["estimate"] == pytest.approx(100 * e / py)
        assert row["ci_lower"] == pytest.approx(100 * lo) and row["ci_upper"] == pytest.approx(
            100 * hi
        )
        assert row["n"] == sel["employee_id"].nunique()
    t = res.rates.table.set_index(["track", "kind"])
    rr = res.rate_ratio.table.set_index("kind").loc["voluntary"]
    ratio, lo, hi, p = stats.rate_ratio_ci(
        t.loc[("IC", "voluntary"), "events"], t.loc[("IC", "voluntary"), "person_years"],
        t.loc[("M", "voluntary"), "events"], t.loc[("M", "voluntary"), "person_years"], alpha=0.1,
    )
    assert (rr["estimate"], rr["ci_lower"], rr["ci_upper"], rr["p_value"]) == pytest.approx(
        (float(ratio), float(lo), float(hi), float(p))
    )


def test_turnover_averages_month_end_headcounts():
    d = mid_quarter()
    res = quiet(d, by=None)
    tq = res.turnover_quarterly.table.set_index(["period", "track", "kind"])
    # month-ends of 2020Q1: Jan 31 (X IC, Y IC), Feb 29 (X M, Y IC), Mar 31 (Y IC)
    row = tq.loc[("2020Q1", "all", "voluntary")]
    assert row["average_headcount"] == pytest.approx((2 + 2 + 1) / 3)
    assert row["exits"] == 1 and row["months"] == 3
    assert row["turnover_rate"] == pytest.approx(100 / (5 / 3))
    assert row["estimate"] == pytest.approx(4 * 100 / (5 / 3))  # annualised
    ic = tq.loc[("2020Q1", "IC", "voluntary")]
    assert ic["average_headcount"] == pytest.approx((2 + 1 + 1) / 3) and ic["exits"] == 0
    m = tq.loc[("2020Q1", "M", "voluntary")]
    assert m["average_headcount"] == pytest.approx(1 / 3) and m["exits"] == 1
    y = res.turnover.table.set_index(["period", "track", "kind"]).loc[("2020", "all", "voluntary")]
    # Jan-Jun observed: headcounts 2, 2, 1, 1, 1, 1
    assert y["months"] == 6 and y["average_headcount"] == pytest.approx(8 / 6)
    assert y["estimate"] == pytest.approx(100 / (8 / 6) * 2)


# --------------------------------------------------------------------------- retention


@pytest.mark.parametrize("start", ["2015-01-01", "2019-01-01"])
def test_tenure_retention_equals_survfunc(start):
    # no switches: each person's tenure is one run; with a later history start people
    # hired before it enter at their tenure on that day (delayed entry)
    d = random_org(1200, seed=7, switch_share=0.0, start=start)
    res = attrition(d, by=None)
    ex = d.exposure
    g = ex.groupby("employee_id").agg(
        track=("track", "first"), t0=("tenure", "first"), py=("person_years", "sum"),
        ev=("event", "last"),
    )
    for track in ("IC", "M"):
        s = g[g["track"] == track]
        t0 = np.rint(s["t0"] * YEAR)
        t1 = t0 + np.rint(s["py"] * YEAR)
        sf = SurvfuncRight(t1.to_numpy(), s["ev"].str.startswith("exit_").to_numpy(float),
                           entry=t0.to_numpy())
        c = res.retention.tables["tenure"]
        c = c[(c["track"] == track) & ~c["suppressed"]]
        n = len(c)
        assert n > 20
        np.testing.assert_allclose(c["time"], sf.surv_times[:n] / YEAR)
        np.testing.assert_allclose(c["estimate"], sf.surv_prob[:n])
        lo, hi = stats.loglog_ci(sf.surv_prob[:n], sf.surv_prob_se[:n])
        np.testing.assert_allclose(c["ci_lower"], lo)
        np.testing.assert_allclose(c["ci_upper"], hi)


def test_retention_curves_stop_below_k_and_switchers_move():
    d = random_org(1500, seed=11, k=20)
    res = attrition(d, by=None)
    for name, c in res.retention.tables.items():
        shown = c[~c["suppressed"]]
        assert (shown["n"] >= 20).all(), name
        for _, ct in c.groupby("track"):
            sup = ct["suppressed"].to_numpy()
            peak = int(np.nanargmax(np.where(sup, -1, ct["n"].fillna(-1))))
            # after the largest risk set, once suppressed always suppressed
            tail = sup[peak:]
            assert (np.maximum.accumulate(tail) == tail).all()
    # switchers enter the M time-in-track curve at the switch: more M runs than M hires
    tt = res.retention.tables["time_in_track"]
    assert tt[tt["track"] == "M"]["n"].max() > d.people.shape[0] * 0.2


# --------------------------------------------------------------------------- Cox


def test_cox_equals_phreg_on_exposure_rows():
    d = random_org(1500, seed=13, switch_share=0.0)
    res = attrition(d, by=None, controls=[])
    ex = d.exposure
    t0 = np.rint(ex["tenure"].to_numpy() * YEAR)
    t1 = t0 + np.rint(ex["person_years"].to_numpy() * YEAR)
    ph = PHReg(t1, (ex["track"] == "IC").to_numpy(float)[:, None],
               status=(ex["event"] == "exit_voluntary").to_numpy(float),
               entry=t0 + 0.5,  # PHReg counts entry <= t as at risk: half a day shift
               strata=ex["grade"].to_numpy(), ties="breslow").fit()
    row = res.cox.table.iloc[0]
    assert row["term"] == "track: IC vs M"
    assert row["estimate"] == pytest.approx(np.exp(ph.params[0]), rel=1e-6)
    assert row["events"] == (ex["event"] == "exit_voluntary").sum()


def z_score(row, truth):
    """Distance of an estimate from the truth in standard errors (from the Wald/exact CI)."""
    se = np.log(row["ci_upper"] / row["ci_lower"]) / (2 * 1.959964)
    return abs(np.log(row["estimate"] / truth)) / se


def test_cox_and_rate_ratio_recover_the_hazard_ratio():
    # one seeded draw: within sampling error means within 3 standard errors
    d = random_org(5000, seed=17, vol=(0.12, 0.08))
    res = attrition(d, by=None)
    cox = res.cox.table.set_index("term")
    assert z_score(cox.loc["track: IC vs M"], 1.5) < 3
    # switchers follow the M hazard: no extra hazard in the window after the switch
    assert z_score(cox.loc["first 24 months after an IC→M switch"], 1.0) < 3
    assert z_score(cox.loc["gender: M vs F"], 1.0) < 3
    assert z_score(res.rate_ratio.table.set_index("kind").loc["voluntary"], 1.5) < 3
    assert z_score(res.rate_ratio.table.set_index("kind").loc["involuntary"], 1.0) < 3
    ps = res.post_switch.table.set_index(["direction", "kind"])
    # switchers (M hazards) vs matched ICs: 0.08 / 0.12 voluntary, 0.11 / 0.15 all exits
    assert z_score(ps.loc[("IC->M", "voluntary")], 0.08 / 0.12) < 3
    assert z_score(ps.loc[("IC->M", "all")], 0.11 / 0.15) < 3
    rates = res.rates.table.set_index(["track", "kind"])
    for track, truth in (("IC", 12.0), ("M", 8.0)):
        assert z_score(rates.loc[(track, "voluntary")], truth) < 3


def test_compa_ratio_and_adoption_enter_the_model():
    d = random_org(1500, seed=19)
    d.bands = pd.DataFrame(
        {"track": ["IC", "IC", "M", "M"], "level": ["IC3", "IC4", "M1", "M2"],
         "band_min": [80.0] * 4, "band_mid": [100.0, 100.0, 100.0, 120.0],
         "band_max": [120.0] * 4}
    )
    d.adoption = pd.DataFrame(
        {"org_unit": ["U1", "U2"],
         "adoption_date": pd.to_datetime(["2021-05-17", "2022-01-01"])}
    )
    res = attrition(d, by=None)
    terms = res.cox.table["term"].tolist()
    assert "compa-ratio (per 0.10)" in terms
    assert "dual ladder in force in the unit" in terms
    # the adoption split keeps person-time and events: the model's event count is unchanged
    assert res.cox.table["events"].iloc[0] == (d.exposure["event"] == "exit_voluntary").sum()


# --------------------------------------------------------------------------- regretted


def test_regretted_attrition_by_hand():
    h = history(
        ("A", "2019-01-01", "IC3"), ("B", "2019-01-01", "IC3"), ("C", "2019-01-01", "IC3"),
        ("D", "2019-01-01", "M1"), ("E", "2019-01-01", "M1"),
    )
    p = people(
        ("A", "2019-01-01", "2020-06-30", "voluntary"),
        ("B", "2019-01-01", "2020-09-30", "voluntary"),
        ("C", "2019-01-01"),
        ("D", "2019-01-01", "2020-03-31", "voluntary"),
        ("E", "2019-01-01"),
    )
    ratings = pd.DataFrame(
        {"employee_id": ["A", "B", "C", "D", "E", "A"],
         "rating_date": pd.to_datetime(["2019-03-01"] * 5 + ["2020-03-01"]),
         "rating": [5.0, 3.0, 4.0, 5.0, 2.0, 4.0]}
    )
    d = audit(h, p, extract="2020-12-31", start="2019-01-01", ratings=ratings)
    res = quiet(d, by=None, top_rating=4)
    share = res.regretted.tables["share"].set_index("track")
    assert share.loc["IC", "voluntary_exits"] == 2 and share.loc["IC", "regretted_exits"] == 1
    assert share.loc["M", "regretted_exits"] == 1 and share.loc["M", "estimate"] == 1.0
    reg = res.regretted.table.set_index(["track", "rating_group"])
    # IC top-rated time: A from the first quarter starting after 2019-03-01 to exit, C likewise
    a_py = days("2019-04-01", "2020-07-01") / YEAR
    c_py = days("2019-04-01", "2021-01-01") / YEAR
    assert reg.loc[("IC", "top"), "person_years"] == pytest.approx(a_py + c_py)
    assert reg.loc[("IC", "top"), "events"] == 1
    assert res.regretted.meta["top_rating"] == 4


# --------------------------------------------------------------------------- snapshot


def snapshot(with_leavers: bool):
    h = history(("A", "2021-01-01", "IC3"), ("B", "2022-06-01", "M1"), ("C", "2020-01-01", "IC4"))
    p = people(
        ("A", "2018-01-01", "2022-03-31" if with_leavers else None,
         "voluntary" if with_leavers else None),
        ("B", "2019-01-01"),
        ("C", "2017-01-01"),
    )
    d = audit(h, p, extract="2023-12-31", start="2019-01-01")
    d.is_snapshot = True
    return d


def test_snapshot_with_leavers_attributes_current_state_to_all_time():
    d = snapshot(True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StatisticalWarning)
        res = attrition(d, by=None)
    assert any("Snapshot-only" in str(w.message) for w in caught)
    r = res.rates.table.set_index(["track", "kind"])
    # A (IC3) from history start 2019-01-01 to exit; C (IC4) from 2019-01-01 to as-of
    ic_py = (days("2019-01-01", "2022-04-01") + days("2019-01-01", "2024-01-01")) / YEAR
    assert r.loc[("IC", "voluntary"), "person_years"] == pytest.approx(ic_py)
    assert r.loc[("IC", "voluntary"), "events"] == 1
    assert res.post_switch is None and "post_switch" in res.not_computed
    assert "time_in_track" not in res.retention.tables
    assert d.quality.repaired() == 0  # the input's own report is not changed


def test_snapshot_without_leavers_says_what_is_lost():
    with pytest.raises(NeedsHistoryError, match="no leavers with termination dates"):
        attrition(snapshot(False))


# --------------------------------------------------------------------------- results


def test_suppression_and_interval_order():
    d = random_org(600, seed=23, k=100)
    res = attrition(d, by=["org_unit"], freq="quarter")
    for name, r in res.results().items():
        t = r.table
        shown = t[~t["suppressed"].astype(bool)]
        assert (shown["n"].dropna() >= 30).all(), name
        ok = shown.dropna(subset=["estimate", "ci_lower", "ci_upper"])
        ok = ok[np.isfinite(ok["estimate"])]
        assert (ok["ci_lower"] <= ok["estimate"] + 1e-12).all(), name
        assert (ok["estimate"] <= ok["ci_upper"] + 1e-12).all(), name
        assert "employee_id" not in t.columns
    assert res.over_time.table["suppressed"].any()


def test_smaller_alpha_widens_intervals():
    d = random_org(600, seed=29)
    a = attrition(d, by=None, alpha=0.05).rates.table
    b = attrition(d, by=None, alpha=0.01).rates.table
    assert (b["ci_upper"] >= a["ci_upper"]).all() and (b["ci_lower"] <= a["ci_lower"]).all()


def test_history_row_order_does_not_matter():
    d = random_org(500, seed=31)
    shuffled = audit(d.history.sample(frac=1, random_state=1), d.people, k=5)
    a, b = attrition(d), attrition(shuffled)
    for name, r in a.results().items():
        pd.testing.assert_frame_equal(r.table, b.results()[name].table, check_exact=False)


def test_no_exits_and_one_track_only():
    d = audit(
        history(("A", "2019-01-01", "IC3"), ("B", "2019-03-01", "IC4")),
        people(("A", "2019-01-01"), ("B", "2019-03-01")),
        extract="2020-12-31", start="2019-01-01",
    )
    res = quiet(d)
    r = res.rates.table
    assert (r["events"] == 0).all() and set(r["track"]) == {"IC"}
    assert res.rate_ratio.table.empty
    assert res.retention.tables["tenure"].empty
    assert res.cox.table["estimate"].isna().all()


def test_bad_arguments():
    d = mid_quarter()
    with pytest.raises(PathauditError, match="by must name exposure columns"):
        attrition(d, by="salary")
    with pytest.raises(PathauditError, match="freq must be one of"):
        attrition(d, freq="month")


def test_audit_writes_attrition_tables(tmp_path):
    from pathaudit.audit import run_audit

    summary = run_audit(random_org(400, seed=41), tmp_path, analyses=["attrition"])
    part = summary["analyses"]["attrition"]
    assert part["status"] == "computed"
    names = {h["name"] for h in part["headline"]}
    assert {"voluntary_exits_per_100py_IC", "voluntary_exit_rate_ratio_ic_vs_m"} <= names
    assert (tmp_path / "attrition__rates.csv").exists()
    assert (tmp_path / "attrition__retention__tenure.csv").exists()
    assert "employee_id" not in pd.read_csv(tmp_path / "attrition__post_switch.csv").columns


def test_plots_and_summary():
    import matplotlib.pyplot as plt

    res = attrition(random_org(800, seed=37), freq="quarter")
    ax = res.plot()
    assert len(ax.lines) == 2
    ax = res.plot_retention(curve="time_in_track")
    assert ax.get_xlabel() == "years since entering the track"
    plt.close("all")
    text = res.summary()
    assert "SHRM-style" in text and "Cox" in text
    names = [h["name"] for h in res.headline()]
    assert "voluntary_exit_hazard_ratio_ic_vs_m" in names
    assert "<h3>Attrition by track</h3>" in res._repr_html_()


# --------------------------------------------------------------------------- coverage


@pytest.mark.coverage_study
def test_recovery_and_coverage_over_200_simulated_organisations():
    """Rates, rate ratio, Cox and matched hazard ratios against truth.json, 200 draws.

    The per-organisation figures come from the same internal steps as attrition()
    (rates for all organisations at once; one Cox fit and one matched fit per
    organisation), so that the study stays well under a minute.
    """
    from pathaudit.attrition._analysis import _cox, _rate_ratio, _rates, _work
    from pathaudit.simulate import cached_organisations
    from pathaudit.stats.matching import post_switch_exit_hr

    sims = cached_organisations(200)
    works, cox_rows, ps_rows = [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        for i, sim in enumerate(sims):
            d = sim.data
            w, _ = _work(d, [])
            works.append(w.assign(org=i))
            table, _ = _cox(w, d, None, 0.05, 24)
            cox_rows.append(table.iloc[0])
            ps_rows.append(post_switch_exit_hr(d, kind="voluntary", seed=i).table.iloc[0])
    w_all = pd.concat(works, ignore_index=True)
    w_all["pid"] = w_all["org"] * 10_000_000 + w_all["pid"]
    rates = _rates(w_all, ["org", "track"], 0.05)
    truth = pd.DataFrame(
        [
            {"org": i, "track": tr, "kind": kind,
             "truth": s.truth["attrition"]["rate_per_100py"][kind][tr]}
            for i, s in enumerate(sims) for tr in ("IC", "M")
            for kind in ("voluntary", "involuntary")
        ]
    )
    r = rates.merge(truth, on=["org", "track", "kind"])
    assert len(r) == 800
    cover = (r["ci_lower"] <= r["truth"]) & (r["truth"] <= r["ci_upper"])
    for (track, kind), c in cover.groupby([r["track"], r["kind"]]):
        assert c.mean() >= 0.93, (track, kind, c.mean())  # exact (conservative) interval
    # recovery: the mean estimate is within 3 Monte-Carlo standard errors of the mean truth
    for (track, kind), g in r.groupby(["track", "kind"]):
        diff = g["estimate"] - g["truth"]
        assert abs(diff.mean()) < 3 * diff.std() / np.sqrt(len(g)), (track, kind)

    rr = _rate_ratio(rates, ["org"], 0.05)
    rr = rr[rr["kind"] == "voluntary"].set_index("org")
    rr_truth = pd.Series([s.truth["attrition"]["rate_ratio_voluntary"] for s in sims])
    ok = rr["ci_lower"].notna()
    assert ok.sum() >= 195
    assert ((rr["ci_lower"] <= rr_truth) & (rr_truth <= rr["ci_upper"]))[ok].mean() >= 0.93

    for rows, key, lo, hi in (
        (cox_rows, ("attrition", "hr_voluntary_ic_vs_m"), 0.90, 0.99),
        (ps_rows, ("management", "post_switch_exit_hr"), 0.90, 0.99),
    ):
        t = pd.DataFrame(rows).reset_index(drop=True)
        truth_v = np.array([s.truth[key[0]][key[1]] for s in sims], dtype=float)
        fitted = t["estimate"].notna().to_numpy()
        assert fitted.sum() >= 180, key
        covered = (t["ci_lower"] <= truth_v) & (truth_v <= t["ci_upper"])
        rate = covered[fitted].mean()
        assert lo <= rate <= hi, (key, rate)
        # recovery: mean log estimate within 3 Monte-Carlo SE of log truth
        logs = np.log(t.loc[fitted, "estimate"].to_numpy()) - np.log(truth_v[fitted])
        assert abs(logs.mean()) < 3 * logs.std() / np.sqrt(len(logs)), (key, np.exp(logs.mean()))
