"""att_gt and aggregate against R did on mpdta (tests/reference/did), and their checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pathaudit
from pathaudit.errors import ArgumentError

REF = Path(__file__).parent / "reference" / "did"

SCENARIOS = {
    "mpdta_nev_dr": dict(control_group="never", covariates=None, est_method="dr"),
    "mpdta_nyt_dr": dict(control_group="not_yet", covariates=None, est_method="dr"),
    "mpdta_nev_reg_cov": dict(control_group="never", covariates=["lpop"], est_method="reg"),
    "mpdta_nev_ipw": dict(control_group="never", covariates=None, est_method="ipw"),
}


@pytest.fixture(scope="module")
def mpdta():
    return pd.read_csv(REF / "mpdta.csv")


@pytest.fixture(scope="module")
def fits(mpdta):
    return {
        name: pathaudit.att_gt(
            mpdta, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat", **kw
        )
        for name, kw in SCENARIOS.items()
    }


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_att_gt_reproduces_r_did(fits, scenario):
    ref = pd.read_csv(REF / "did_mpdta_attgt.csv")
    ref = ref[ref["scenario"] == scenario]
    got = fits[scenario].table.merge(
        ref,
        left_on=["group", "time"],
        right_on=["group", "t"],
        how="outer",
        validate="1:1",
        indicator=True,
    )
    assert (got["_merge"] == "both").all() and len(got) == 12
    np.testing.assert_allclose(got["estimate"], got["att"], atol=1e-6, rtol=0)
    assert (got["event_time"] == got["time"] - got["group"]).all()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_analytic_se_reproduces_r_did(fits, scenario):
    ref = pd.read_csv(REF / "did_mpdta_attgt.csv")
    ref = ref[ref["scenario"] == scenario].rename(columns={"t": "time", "se": "se_r"})
    got = fits[scenario].table.merge(ref, on=["group", "time"], validate="1:1")
    assert len(got) == 12
    np.testing.assert_allclose(got["se"], got["se_r"], atol=1e-4, rtol=0)
    z = 1.959963984540054
    np.testing.assert_allclose(got["ci_lower"], got["att"] - z * got["se_r"], atol=1e-4)


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("kind", ["simple", "group", "dynamic", "calendar"])
def test_every_aggregation_reproduces_r_aggte(fits, scenario, kind):
    ref = pd.read_csv(REF / "did_mpdta_aggte.csv")
    ref = ref[(ref["scenario"] == scenario) & (ref["type"] == kind)]
    assert len(ref), "reference missing"
    agg = pathaudit.aggregate(fits[scenario], kind)
    assert agg.overall["estimate"] == pytest.approx(ref["overall_att"].iloc[0], abs=1e-6)
    assert agg.overall["se"] == pytest.approx(ref["overall_se"].iloc[0], abs=1e-4)
    if kind == "simple":
        assert agg.table.empty
        return
    got = agg.table.merge(ref.assign(value=ref["egt"].astype(int)), on="value", validate="1:1")
    assert len(got) == len(ref) == len(agg.table)
    np.testing.assert_allclose(got["estimate"], got["att_egt"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(got["se"], got["se_egt"], atol=1e-4, rtol=0)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_pretest_reproduces_r_did(fits, scenario):
    ref = pd.read_csv(REF / "did_mpdta_pretest.csv").set_index("scenario").loc[scenario]
    pre = fits[scenario].pretest
    assert pre is not None and pre.df == 5  # 2 cells of group 2006, 3 of group 2007
    assert pre.statistic == pytest.approx(ref["W"], abs=1e-6)
    assert round(pre.p_value, 5) == pytest.approx(ref["Wpval"], abs=1e-12)


def test_no_covariates_dr_reg_ipw_agree(fits, mpdta):
    reg = pathaudit.att_gt(
        mpdta,
        outcome="lemp",
        unit="countyreal",
        time="year",
        first_treated="first.treat",
        est_method="reg",
    )
    for other in (reg.table, fits["mpdta_nev_ipw"].table):
        np.testing.assert_allclose(
            other["estimate"], fits["mpdta_nev_dr"].table["estimate"], atol=1e-12
        )


def test_weights_equal_to_one_change_nothing_and_weights_move_the_estimate(fits, mpdta):
    p = mpdta.assign(w=1.0, w2=np.exp(mpdta["lpop"]))
    one = pathaudit.att_gt(
        p, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat", weights="w"
    )
    np.testing.assert_allclose(
        one.table["estimate"], fits["mpdta_nev_dr"].table["estimate"], atol=1e-12
    )
    np.testing.assert_allclose(one.table["se"], fits["mpdta_nev_dr"].table["se"], atol=1e-12)
    w = pathaudit.att_gt(
        p, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat", weights="w2"
    )
    # an independent check of one cell: the weighted 2x2 DiD of group 2004 in 2004 (base 2003)
    wide = p.pivot(index="countyreal", columns="year", values="lemp")
    unit = p.drop_duplicates("countyreal").set_index("countyreal")
    dy = wide[2004] - wide[2003]
    wt = unit["w2"]
    treated, never = unit["first.treat"] == 2004, unit["first.treat"] == 0
    by_hand = np.average(dy[treated], weights=wt[treated]) - np.average(
        dy[never], weights=wt[never]
    )
    cell = w.table.query("group == 2004 and time == 2004")["estimate"].iloc[0]
    assert cell == pytest.approx(by_hand, abs=1e-10)
    assert abs(cell - fits["mpdta_nev_dr"].table["estimate"].iloc[0]) > 1e-4


def test_bootstrap_band_is_wider_than_pointwise_and_seeded(mpdta):
    kw = dict(
        outcome="lemp",
        unit="countyreal",
        time="year",
        first_treated="first.treat",
        bootstrap=499,
        seed=3,
    )
    a = pathaudit.att_gt(mpdta, **kw)
    b = pathaudit.att_gt(mpdta, **kw)
    pd.testing.assert_frame_equal(a.table, b.table)
    t = a.table
    assert ((t["band_upper"] - t["band_lower"]) > (t["ci_upper"] - t["ci_lower"])).all()
    # the bootstrap SE estimates the same thing as the analytic one
    ratio = t["se_bootstrap"] / t["se"]
    assert ratio.between(0.8, 1.25).all()
    dyn = pathaudit.aggregate(a, "dynamic")
    assert (dyn.table["band_upper"] > dyn.table["ci_upper"]).all()


def test_unbalanced_panel_runs_as_r_allow_unbalanced_panel(mpdta):
    full = pathaudit.att_gt(
        mpdta, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat"
    )
    rng = np.random.default_rng(0)
    part_panel = mpdta.drop(index=rng.choice(len(mpdta), size=150, replace=False))
    part = pathaudit.att_gt(
        part_panel, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat"
    )
    assert not part.settings["balanced"] and full.settings["balanced"]
    assert len(part.table) == len(full.table)
    # R's allow_unbalanced_panel estimates each cell from every unit observed in either
    # period (repeated cross-sections): without covariates, a difference of four means
    by_year = part_panel.groupby(["first.treat", "year"])["lemp"].mean()
    by_hand = (by_year[(2004, 2004)] - by_year[(2004, 2003)]) - (
        by_year[(0, 2004)] - by_year[(0, 2003)]
    )
    cell = part.table.query("group == 2004 and time == 2004")["estimate"].iloc[0]
    assert cell == pytest.approx(by_hand, abs=1e-10)
    # its SE is clustered by unit: one influence value per unit, not per row
    assert part.engine.influence_func.shape[0] == part_panel["countyreal"].nunique()
    assert np.isfinite(part.table["se"]).all()


def test_bad_panels_and_arguments_are_refused(mpdta):
    kw = dict(outcome="lemp", unit="countyreal", time="year", first_treated="first.treat")
    with pytest.raises(ArgumentError, match="not found: \\['lempp'\\]"):
        pathaudit.att_gt(mpdta, **{**kw, "outcome": "lempp"})
    with pytest.raises(ArgumentError, match="one row per countyreal and year"):
        pathaudit.att_gt(pd.concat([mpdta, mpdta.head(1)]), **kw)
    bad = mpdta.copy()
    bad.loc[3, "lemp"] = np.nan
    with pytest.raises(ArgumentError, match="'lemp' must hold finite numbers.*rows \\[3\\]"):
        pathaudit.att_gt(bad, **kw)
    with pytest.raises(ArgumentError, match="control_group must be one of"):
        pathaudit.att_gt(mpdta, control_group="nevertreated", **kw)
    with pytest.raises(ArgumentError, match="weights column 'lpop' must be positive|constant"):
        pathaudit.att_gt(mpdta.assign(lpop=mpdta["lpop"] - 10), weights="lpop", **kw)
    with pytest.raises(ArgumentError, match="takes the result of att_gt"):
        pathaudit.aggregate(mpdta, "simple")
    fit = pathaudit.att_gt(mpdta, **kw)
    with pytest.raises(ArgumentError, match="kind must be one of"):
        pathaudit.aggregate(fit, "event")


@pytest.mark.parametrize("control_group", ["never", "not_yet"])
@pytest.mark.parametrize("weights", [None, "w"])
def test_engine_free_point_estimates_agree_with_the_engine(mpdta, control_group, weights):
    # an independent implementation of the unconditional estimator and of aggte's weights
    # (P(G = g) from the unit weights, as R did): every ATT(g, t) and every aggregation
    from pathaudit.study._fast import aggregate_points, att_gt_points, wide

    p = mpdta.assign(w=np.exp(mpdta["lpop"]))
    Y, periods, G, w = wide(p, "lemp", "countyreal", "year", "first.treat", weights)
    cells = att_gt_points(Y, periods, G, w, control_group=control_group)
    fit = pathaudit.att_gt(
        p,
        outcome="lemp",
        unit="countyreal",
        time="year",
        first_treated="first.treat",
        control_group=control_group,
        weights=weights,
    )
    np.testing.assert_allclose(cells["estimate"], fit.table["estimate"], atol=1e-12)
    points = aggregate_points(cells, G, w, periods)
    for kind in ("simple", "group", "dynamic", "calendar"):
        agg = pathaudit.aggregate(fit, kind)
        assert points[f"{kind}_overall"] == pytest.approx(agg.overall["estimate"], abs=1e-12)
        if kind != "simple":
            np.testing.assert_allclose(points[kind]["estimate"], agg.table["estimate"], atol=1e-12)


def test_weighted_aggregation_on_an_unbalanced_panel(mpdta):
    from pathaudit.study._fast import aggregate_draws

    rng = np.random.default_rng(0)
    p = mpdta.assign(w=np.exp(mpdta["lpop"])).drop(
        index=rng.choice(len(mpdta), size=150, replace=False)
    )
    fit = pathaudit.att_gt(
        p, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat", weights="w"
    )
    # the aggregation weights are the weighted cohort shares (R did's pg)
    units = p.drop_duplicates("countyreal")
    G, w = units["first.treat"].to_numpy(), units["w"].to_numpy()
    cells = fit.table[["group", "time"]]
    points = aggregate_draws(cells, fit.table["estimate"].to_numpy()[None], G, w)
    for kind in ("simple", "group", "dynamic", "calendar"):
        assert pathaudit.aggregate(fit, kind).overall["estimate"] == pytest.approx(
            points[f"{kind}_overall"][0], abs=1e-12
        )
