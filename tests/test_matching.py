"""The matched post-switch design: hand-built sets with exact answers, the Cox engine."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest
from builders import YEAR, audit, cox_sample, days, history, people
from statsmodels.duration.hazard_regression import PHReg

from pathaudit.errors import ArgumentError, NeedsHistoryError, PathauditError, StatisticalWarning
from pathaudit.stats.matching import (
    MATCHED_COLUMNS,
    exit_hr_figures,
    fit_cox,
    post_switch_exit_hr,
    post_switch_matched,
)


def org():
    """Nine people in unit U1 (and E in U2); A, C and I switch IC->M (I switches back)."""
    h = history(
        ("A", "2018-01-01", "IC3"),
        ("A", "2020-07-01", "M1"),
        ("B", "2018-06-01", "IC3"),
        ("C", "2018-03-01", "IC3"),
        ("C", "2021-01-01", "M1"),
        ("D", "2015-01-01", "IC3"),
        ("E", "2018-01-01", "IC3", 100, "U2"),
        ("F", "2018-01-01", "IC4"),
        ("G", "2018-01-01", "IC3"),
        ("H", "2018-01-01", "IC3"),
        ("I", "2018-01-01", "IC3"),
        ("I", "2019-06-01", "M1"),
        ("I", "2020-01-01", "IC3"),
    )
    p = people(
        ("A", "2018-01-01", "2021-03-31", "voluntary"),
        ("B", "2018-06-01", "2021-09-30", "voluntary"),
        ("C", "2018-03-01"),
        ("D", "2015-01-01"),
        ("E", "2018-01-01"),
        ("F", "2018-01-01"),
        ("G", "2018-01-01"),
        ("H", "2018-01-01", "2020-06-30", "involuntary"),
        ("I", "2018-01-01"),
    )
    return h, p


def view(m: pd.DataFrame) -> dict[int, list[tuple]]:
    return {
        int(s): [
            (r.employee_id, int(r.switched), str(r.end_date.date()), r.end_reason)
            for r in g.itertuples()
        ]
        for s, g in m.groupby("set_id")
    }


def test_hand_built_sets_exact():
    d = audit(*org())
    m = post_switch_matched(d, seed=1)
    assert list(m.columns) == list(MATCHED_COLUMNS)
    assert view(m) == {
        # I switches on 2019-06-01: A, B, C, G, H eligible (D too senior, E other unit,
        # F other grade); follow-up to 2021-06-01; I is censored on switching back
        0: [
            ("I", 1, "2020-01-01", "switched_back"),
            ("A", 0, "2020-07-01", "switched"),
            ("B", 0, "2021-06-01", "horizon"),
            ("C", 0, "2021-01-01", "switched"),
            ("G", 0, "2021-06-01", "horizon"),
            ("H", 0, "2020-07-01", "exit_involuntary"),
        ],
        # A switches on 2020-07-01: H has left the day before, I switched before
        1: [
            ("A", 1, "2021-04-01", "exit_voluntary"),
            ("B", 0, "2021-10-01", "exit_voluntary"),
            ("C", 0, "2021-01-01", "switched"),
            ("G", 0, "2022-07-01", "horizon"),
        ],
        2: [
            ("C", 1, "2023-01-01", "horizon"),
            ("B", 0, "2021-10-01", "exit_voluntary"),
            ("G", 0, "2023-01-01", "horizon"),
        ],
    }
    s1 = m[m["set_id"] == 1].set_index("employee_id")
    assert s1.loc["A", "time"] == pytest.approx(days("2020-07-01", "2021-04-01") / YEAR)
    assert s1.loc["A", "tenure"] == pytest.approx(days("2018-01-01", "2020-07-01") / YEAR)
    assert s1.loc["B", "tenure"] == pytest.approx(days("2018-06-01", "2020-07-01") / YEAR)
    assert (m.groupby("set_id")["n_controls"].first().tolist()) == [5, 3, 2]
    assert set(m["grade"]) == {3} and set(m["org_unit"]) == {"U1"}


def test_draw_is_seeded_capped_and_order_free():
    h, p = org()
    m1 = post_switch_matched(audit(h, p), n_controls=2, seed=7)
    m2 = post_switch_matched(audit(h.sample(frac=1, random_state=3), p), n_controls=2, seed=7)
    pd.testing.assert_frame_equal(m1, m2)
    assert m1.groupby("set_id")["switched"].apply(lambda s: (s == 0).sum()).tolist() == [2, 2, 2]
    draws = {
        tuple(post_switch_matched(audit(h, p), n_controls=2, seed=s)
              .query("set_id == 0 and switched == 0")["employee_id"])
        for s in range(30)
    }
    assert len(draws) > 3  # different seeds draw different controls
    assert all(set(dr) <= {"A", "B", "C", "G", "H"} for dr in draws)


def test_other_direction_and_unmatched_set():
    m = post_switch_matched(audit(*org()), direction="M->IC")
    # I returns to IC on 2020-01-01 from M1 (grade 4, U1): no other manager there
    assert view(m) == {0: [("I", 1, "2022-01-01", "horizon")]}
    assert m["n_controls"].tolist() == [0]


def test_bad_arguments_and_snapshot():
    d = audit(*org())
    with pytest.raises(PathauditError, match="direction must be one of"):
        post_switch_matched(d, direction="IC to M")
    with pytest.raises(PathauditError, match="kind must be one of"):
        post_switch_exit_hr(d, kind="quit")
    d.is_snapshot = True
    with pytest.raises(NeedsHistoryError, match="snapshot"):
        post_switch_matched(d)


def phreg_sandwich(model, params, groups):
    """PHReg's robust covariance, with rows outside every risk set counted as zero.

    ``PHReg.fit(groups=)`` returns NaN when a row is censored before its stratum's first
    failure (its score residual is NaN although it is zero by definition).
    """
    r = np.nan_to_num(model.score_residuals(params))
    u = pd.DataFrame(r).groupby(np.asarray(groups)).sum().to_numpy()
    h_inv = np.linalg.inv(model.hessian(params))
    return h_inv @ (u.T @ u) @ h_inv


def test_exit_hr_matches_direct_stratified_phreg():
    d = audit(*org())
    m = post_switch_matched(d, seed=1)
    res = post_switch_exit_hr(d, kind="all", matched=m)
    # direct statsmodels fit of the same data (no delayed entry here)
    t = np.rint(m["time"].to_numpy() * YEAR)
    ev = m["end_reason"].str.startswith("exit_").to_numpy(dtype=float)
    model = PHReg(t, m[["switched"]].to_numpy(float), status=ev, strata=m["set_id"].to_numpy(),
                  ties="breslow")
    ph = model.fit()
    row = res.table.iloc[0]
    assert row["estimate"] == pytest.approx(np.exp(ph.params[0]), rel=1e-6)
    se = np.sqrt(phreg_sandwich(model, ph.params, m["employee_id"].to_numpy())[0, 0])
    half_width = np.log(row["ci_upper"]) - np.log(row["estimate"])
    assert half_width == pytest.approx(1.959964 * se, rel=1e-5)
    assert row["events_switchers"] == 1 and row["events_controls"] == 3
    rates = res.tables["rates"].set_index("group")
    assert rates.loc["switchers", "events"] == 1
    sw_py = m.loc[m["switched"] == 1, "time"].sum()
    assert rates.loc["switchers", "estimate"] == pytest.approx(100 / sw_py)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"event": np.array([True, False])}, "five 1-d arrays of one length"),
        ({"time": np.array([1.0, np.nan, 0.5, 2.0])}, "found 1 other values"),
        ({"time": np.array([1.0, -2.0, 0.5, 2.0])}, "at least 0"),
        ({"person": np.array([0, -1, 2, 1])}, "missing ID coded -1"),
    ],
)
def test_exit_hr_figures_names_what_is_wrong_with_its_arrays(change, message):
    args = {"time": np.array([1.0, 2.0, 0.5, 2.0]), "event": np.array([True, False, True, False]),
            "switched": np.array([True, False, True, False]), "person": np.array([0, 1, 2, 1]),
            "matched_set": np.array([0, 0, 1, 1])}
    args.update(change)
    with pytest.raises(ArgumentError, match=message):
        exit_hr_figures(**args)


_cox_rows = partial(cox_sample, 200, 5, scale=300.0, events=0.6, whole_days=True)


def test_fit_cox_reports_estimable_terms_and_names_the_others():
    t, status, arm, z = _cox_rows()
    X = np.column_stack([arm, z, np.ones(len(t))])
    with pytest.warns(StatisticalWarning, match=r"'unit' not estimable.*unit: constant"):
        fit = fit_cox(t, status, X, ["IC", "z", "unit"], np.arange(len(t)), what="exit")
    assert fit is not None
    assert list(fit.dropped) == ["unit"] and fit.estimable.tolist() == [True, True, False]
    assert np.isfinite(fit.params[:2]).all() and np.isnan(fit.params[2])


def test_fit_cox_returns_none_when_no_term_is_estimable():
    t, status, arm, _ = _cox_rows()
    # every exit is in arm 0: the arm's log hazard ratio diverges
    with pytest.warns(StatisticalWarning, match="has no finite estimate"):
        fit = fit_cox(t, status & (arm == 0), arm[:, None], ["switched"], np.arange(len(t)))
    assert fit is None
    # no events: None without a warning (nothing to fit)
    assert fit_cox(t, np.zeros(len(t), dtype=bool), arm[:, None], ["x"], np.arange(len(t))) is None


@pytest.mark.parametrize("n", [1, 3, 5])
def test_lowest_per_set_keeps_exactly_the_controls_of_a_full_sort(n):
    # the draw of controls sorts only the pairs that can rank below n in their set: the
    # kept pairs (and their order) equal those of sorting every pair, ties and small
    # sets included
    from pathaudit.stats.matching import _lowest_per_set

    def kept(ps, order):
        p = ps[order]
        starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
        rank = np.arange(len(p)) - np.repeat(starts, np.diff(np.r_[starts, len(p)]))
        return order[rank < n]

    rng = np.random.default_rng(3)
    for trial in range(60):
        sizes = rng.integers(1, 200 if trial % 2 else 8, rng.integers(1, 40))
        ps = np.repeat(np.sort(rng.choice(10**6, len(sizes), replace=False)), sizes)
        u = rng.random(len(ps))
        if trial % 3 == 0:
            u = np.round(u, 2)  # ties within a set
        key = ps + u
        full = kept(ps, np.argsort(key, kind="stable"))
        assert np.array_equal(kept(ps, _lowest_per_set(ps, key, n)), full)
    assert len(_lowest_per_set(np.zeros(0, np.int64), np.zeros(0), n)) == 0
