"""Survival engine: checks against statsmodels, hand-built risk sets with delayed entry."""

from __future__ import annotations

import numpy as np
import pytest
from builders import cox_sample as _cox_sample
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import CumIncidenceRight, SurvfuncRight, survdiff

from pathaudit.errors import PathauditError, StatisticalWarning
from pathaudit.stats.survival import (
    CONSTANT,
    CONSTANT_IN_STRATA,
    NO_EVENTS,
    aalen_johansen,
    cif_influence,
    cox_ph,
    kaplan_meier,
    logrank,
    risk_set,
    step_at,
)


def _data(n: int = 400, seed: int = 1, ties: bool = True):
    rng = np.random.default_rng(seed)
    t = rng.exponential(2.0, n)
    if ties:  # monthly resolution: many ties, as with day-dated HR records
        t = np.round(t * 12) / 12 + 1 / 12
    ev = rng.choice([0, 1, 2, 3], n, p=[0.3, 0.35, 0.25, 0.1])
    entry = np.where(rng.random(n) < 0.4, rng.uniform(0, 1, n) * t * 0.9, 0.0)
    X = rng.normal(size=(n, 3))
    groups = rng.integers(0, n // 3, n)
    strata = rng.integers(0, 3, n)
    return t, ev, entry, X, groups, strata


# --------------------------------------------------------------------------- hand-built


def test_risk_set_with_delayed_entry_by_hand():
    # four spells at risk on (entry, time]
    time = np.array([2.0, 3.0, 5.0, 4.0])
    entry = np.array([0.0, 1.0, 2.5, 3.0])
    grid = np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 5.5])
    # at u: spell 1 on (0,2], spell 2 on (1,3], spell 3 on (2.5,5], spell 4 on (3,4]
    expected = [1, 1, 2, 2, 1, 2, 2, 2, 1, 0]
    assert risk_set(time, grid, entry).tolist() == expected


def test_aalen_johansen_delayed_entry_by_hand():
    # Spells (entry, time, cause): cause 1 = promotion, 2 = exit, 0 = censored.
    #   A (0, 1, 1)  B (0, 2, 2)  C (1.5, 3, 1)  D (0, 4, 0)  E (2.5, 5, 1)
    # Event times and risk sets (entry < u <= time):
    #   u=1: A B D at risk (C enters at 1.5)      n=3, d1=1  S=2/3   F1=1/3
    #   u=2: B C D                                n=3, d2=1  S=4/9   F1=1/3
    #   u=3: C D E (E entered at 2.5)             n=3, d1=1  S=8/27  F1=1/3+4/27
    #   u=5: E                                    n=1, d1=1  S=0     F1=13/27+8/27
    t = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    c = np.array([1, 2, 1, 0, 1])
    e = np.array([0.0, 0.0, 1.5, 0.0, 2.5])
    fit = aalen_johansen(t, c, e, causes=(1, 2))
    assert fit.time.tolist() == [1.0, 2.0, 3.0, 5.0]
    assert fit.n_risk.tolist() == [3, 3, 3, 1]
    np.testing.assert_allclose(fit.surv, [2 / 3, 4 / 9, 8 / 27, 0.0])
    np.testing.assert_allclose(fit.cif[:, 0], [1 / 3, 1 / 3, 13 / 27, 21 / 27])
    np.testing.assert_allclose(fit.cif[:, 1], [0, 2 / 9, 2 / 9, 2 / 9])
    # cause-specific cumulative incidences and survival add up to one
    np.testing.assert_allclose(fit.cif.sum(axis=1) + fit.surv, 1.0)
    # the naive KM of cause 1 treats the exit of B as censoring and overstates it
    km = kaplan_meier(t, c == 1, e)
    np.testing.assert_allclose(1 - km.surv, [1 / 3, 1 - 2 / 3 * 2 / 3, 1.0])
    assert (1 - km.at(np.array([3.0]))[0])[0] > fit.at(np.array([3.0]))[0][0]
    # at(): a right-continuous step function, 0 before the first event
    f, _, nr = fit.at(np.array([0.5, 1.0, 2.9, 10.0]))
    np.testing.assert_allclose(f, [0, 1 / 3, 1 / 3, 21 / 27])


def test_delayed_entry_differs_from_ignoring_it():
    t = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    c = np.array([1, 2, 1, 0, 1])
    e = np.array([0.0, 0.0, 1.5, 0.0, 2.5])
    with_entry = aalen_johansen(t, c, e).cif[:, 0]
    without = aalen_johansen(t, c).cif[:, 0]
    assert not np.allclose(with_entry, without)
    assert without[0] == pytest.approx(1 / 5)  # everyone counted at risk from 0


def test_entry_must_precede_time():
    with pytest.raises(PathauditError, match="entry >= time"):
        aalen_johansen(np.array([1.0, 2.0]), np.array([1, 0]), np.array([0.0, 2.0]))


def test_step_at():
    assert step_at([1.0, 2.0], [0.1, 0.3], [0.0, 1.0, 1.5, 2.0, 9.0]).tolist() == [
        0.0,
        0.1,
        0.1,
        0.3,
        0.3,
    ]


# --------------------------------------------------------------------------- statsmodels


@pytest.mark.parametrize("ties", [True, False])
def test_aalen_johansen_equals_cumincidenceright_without_entry(ties):
    t, ev, _, _, _, _ = _data(ties=ties)
    fit = aalen_johansen(t, ev)
    with np.errstate(divide="ignore", invalid="ignore"):  # statsmodels at a last risk set of 1
        ref = CumIncidenceRight(t, ev)
    for j in range(3):
        est = step_at(ref.times, ref.cinc[j], fit.time)
        se = step_at(ref.times, ref.cinc_se[j], fit.time)
        np.testing.assert_allclose(fit.cif[:, j], est, atol=1e-12)
        ok = np.isfinite(se)
        assert ok[:-1].all()
        np.testing.assert_allclose(fit.se[ok, j], se[ok], atol=1e-12)


def test_kaplan_meier_equals_survfuncright_with_and_without_entry():
    t, ev, entry, _, _, _ = _data()
    for e in (None, entry):
        km = kaplan_meier(t, ev == 1, e)
        ref = SurvfuncRight(t, (ev == 1).astype(float), entry=e)
        np.testing.assert_allclose(km.time, ref.surv_times)
        np.testing.assert_allclose(km.surv, ref.surv_prob, atol=1e-12)
        np.testing.assert_allclose(km.se, ref.surv_prob_se, atol=1e-12)
        np.testing.assert_array_equal(km.n_risk, ref.n_risk)


@pytest.mark.parametrize("use_entry", [False, True])
@pytest.mark.parametrize("use_strata", [False, True])
def test_cox_equals_phreg(use_entry, use_strata):
    t, ev, entry, X, groups, strata = _data(n=300)
    e = entry if use_entry else None
    s = strata if use_strata else None
    status = ev == 1
    fit = cox_ph(t, status, X, entry=e, strata=s, groups=groups)
    # PHReg's score residuals are NaN for an observation whose (entry, time] holds no event
    # time of its stratum, and with entry they put it into every earlier risk set; such rows
    # contribute nothing to the partial likelihood, so they are dropped before calling it.
    keep = np.ones(len(t), dtype=bool)
    sc = np.zeros(len(t), dtype=int) if s is None else strata
    e0 = np.zeros(len(t)) if e is None else e
    for k in np.unique(sc):
        ft = np.unique(t[(sc == k) & status])
        m = sc == k
        lo = np.searchsorted(ft, e0[m], side="right")
        hi = np.searchsorted(ft, t[m], side="right")
        keep[np.flatnonzero(m)[hi <= lo]] = False
    mod = PHReg(
        t[keep],
        X[keep],
        status=status[keep].astype(float),
        entry=None if e is None else e[keep],
        strata=None if s is None else s[keep],
        ties="breslow",
    )
    ref = mod.fit(groups=groups[keep])
    np.testing.assert_allclose(fit.params, ref.params, atol=1e-8)
    np.testing.assert_allclose(fit.bse, ref.bse, atol=1e-8)
    naive = mod.fit()
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov_naive)), naive.bse, atol=1e-8)
    assert fit.loglike == pytest.approx(ref.llf, abs=1e-8)
    assert fit.converged


def test_cox_recovers_a_known_hazard_ratio():
    rng = np.random.default_rng(7)
    n = 20000
    x = rng.integers(0, 2, n).astype(float)
    t_event = rng.exponential(1 / (0.3 * np.exp(np.log(0.6) * x)))
    t_cens = rng.exponential(3.0, n)
    t = np.minimum(t_event, t_cens)
    fit = cox_ph(t, t_event <= t_cens, x[:, None], groups=np.arange(n))
    lo, hi = fit.conf_int()[0]
    assert lo < np.log(0.6) < hi
    assert abs(fit.params[0] - np.log(0.6)) < 3 * fit.bse[0]


@pytest.mark.parametrize("use_entry", [False, True])
def test_logrank_equals_survdiff(use_entry):
    t, ev, entry, _, _, strata = _data()
    e = entry if use_entry else None
    g2 = np.random.default_rng(3).integers(0, 2, len(t))
    g3 = np.random.default_rng(4).integers(0, 3, len(t))
    for g in (g2, g3):
        chi2, df, p = logrank(t, ev == 1, g, entry=e)
        rchi2, rp = survdiff(t, (ev == 1).astype(float), g, entry=e)
        assert chi2 == pytest.approx(rchi2, rel=1e-10)
        assert p == pytest.approx(rp, rel=1e-8)
        assert df == len(np.unique(g)) - 1
    # stratified (survdiff passes the unsplit entry to each stratum, so compare without entry)
    chi2, _, _ = logrank(t, ev == 1, g2, strata=strata)
    assert chi2 == pytest.approx(survdiff(t, (ev == 1).astype(float), g2, strata=strata)[0])
    # one stratum is the unstratified test, with entry
    a = logrank(t, ev == 1, g2, entry=entry, strata=np.zeros(len(t)))
    b = logrank(t, ev == 1, g2, entry=entry)
    assert a[0] == pytest.approx(b[0])


# --------------------------------------------------------------------------- influence


def test_influence_variance_close_to_delta_method():
    t, ev, entry, _, _, _ = _data(n=3000, seed=5)
    for e in (None, entry):
        fit = aalen_johansen(t, ev, e)
        phi = cif_influence(t, ev, 2.0, cause=1, entry=e, fit=fit)
        assert abs(phi.sum()) < 1e-10
        _, se, _ = fit.at(np.array([2.0]))
        assert np.sqrt((phi**2).sum()) == pytest.approx(se[0], rel=0.03)


def test_influence_is_the_derivative_of_the_estimate():
    # Removing one observation changes F by about -phi_i (jackknife ~ influence).
    t, ev, entry, _, _, _ = _data(n=2000, seed=11, ties=False)
    fit = aalen_johansen(t, ev, entry)
    phi = cif_influence(t, ev, 1.5, cause=1, entry=entry, fit=fit)
    f0 = fit.at(np.array([1.5]))[0][0]
    for i in (0, 5, 17, 123):
        m = np.arange(len(t)) != i
        f1 = aalen_johansen(t[m], ev[m], entry[m]).at(np.array([1.5]))[0][0]
        assert (f0 - f1) == pytest.approx(phi[i], abs=2e-5, rel=0.05)


# --------------------------------------------------------------------------- properties


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), shift=st.floats(0.5, 10.0))
def test_row_order_and_time_shift_properties(seed, shift):
    t, ev, entry, _, _, _ = _data(n=120, seed=seed)
    fit = aalen_johansen(t, ev, entry)
    perm = np.random.default_rng(seed).permutation(len(t))
    fit2 = aalen_johansen(t[perm], ev[perm], entry[perm])
    np.testing.assert_allclose(fit.cif, fit2.cif)
    # shifting entry and exit together (a later calendar) leaves risk sets unchanged
    fit3 = aalen_johansen(t + shift, ev, entry + shift)
    np.testing.assert_allclose(fit.cif, fit3.cif, atol=1e-12)
    assert np.all(np.diff(fit.cif, axis=0) >= -1e-15)
    np.testing.assert_allclose(fit.cif.sum(axis=1) + fit.surv, 1.0, atol=1e-12)


def test_logrank_without_overlap_has_no_information():
    # group 0 is at risk on (0, 2], group 1 only from 3 on: never together at an event time
    t = np.array([1.0, 2.0, 4.0, 5.0])
    e = np.array([0.0, 0.0, 3.0, 3.0])
    chi2, df, p = logrank(t, np.ones(4, dtype=bool), np.array([0, 0, 1, 1]), entry=e)
    assert np.isnan(chi2) and np.isnan(p) and df == 1


# --------------------------------------------------------------------------- identifiability


def test_cox_drops_a_constant_covariate_with_its_reason():
    # one-track data: the track indicator is 1 for everyone; it used to be "estimated"
    t, status, _, z = _cox_sample()
    X = np.column_stack([np.ones(len(t)), z])
    with pytest.warns(StatisticalWarning, match="track: constant"):
        fit = cox_ph(t, status, X, names=["track", "z"], groups=np.arange(len(t)))
    assert fit.dropped == {"track": CONSTANT.format(value=1.0)}
    assert fit.not_estimable == {}
    assert np.isnan(fit.params[0]) and np.isnan(fit.bse[0]) and np.isnan(fit.pvalues[0])
    assert np.isnan(fit.conf_int()[0]).all()
    assert fit.estimable.tolist() == [False, True]
    assert fit.reason("track") == CONSTANT.format(value=1.0) and fit.reason("z") is None
    # the other term is the fit without the constant column
    ref = cox_ph(t, status, z[:, None], groups=np.arange(len(t)))
    np.testing.assert_allclose(fit.params[1], ref.params[0], rtol=1e-12)
    np.testing.assert_allclose(fit.bse[1], ref.bse[0], rtol=1e-12)


def test_cox_drops_a_covariate_constant_within_every_stratum():
    t, status, arm, _ = _cox_sample()
    strata = np.random.default_rng(0).integers(0, 3, len(t))
    X = np.column_stack([arm, strata.astype(float)])  # the stratum code itself
    with pytest.warns(StatisticalWarning, match="constant within every stratum"):
        fit = cox_ph(t, status, X, strata=strata, names=["arm", "grade"])
    assert fit.dropped == {"grade": CONSTANT_IN_STRATA}
    ref = cox_ph(t, status, arm[:, None], strata=strata)
    np.testing.assert_allclose(fit.params[0], ref.params[0], rtol=1e-12)


def test_cox_drops_the_later_of_a_collinear_set_and_names_its_partners():
    t, status, arm, z = _cox_sample()
    X = np.column_stack([arm, z, 2 * arm - 3 * z])
    with pytest.warns(StatisticalWarning, match="collinear with 'a', 'b'"):
        fit = cox_ph(t, status, X, names=["a", "b", "c"], groups=np.arange(len(t)))
    assert list(fit.dropped) == ["c"] and fit.dropped["c"].startswith("collinear with 'a', 'b'")
    ref = cox_ph(t, status, X[:, :2], groups=np.arange(len(t)))
    np.testing.assert_allclose(fit.params[:2], ref.params, rtol=1e-12)
    np.testing.assert_allclose(fit.bse[:2], ref.bse, rtol=1e-12)
    assert np.isnan(fit.cov[2]).all() and np.isnan(fit.cov[:, 2]).all()
    # the reduced model agrees with statsmodels
    sm = PHReg(t, X[:, :2], status=status.astype(float), ties="breslow").fit()
    np.testing.assert_allclose(fit.params[:2], sm.params, atol=1e-8)


def test_cox_does_not_report_a_term_with_a_huge_naive_variance():
    # nearly collinear (1 - R^2 ~ 4e-4, far above the drop tolerance): the fit converges to
    # a finite maximum, but the two partners' SEs are inflated ~50 times (about 7.4 on the
    # log scale, 3.7 per within-risk-set SD, above COX_MAX_STD_SE)
    t, status, arm, z = _cox_sample()
    near = arm + 1e-2 * np.random.default_rng(1).normal(size=len(t))
    with pytest.warns(StatisticalWarning, match="naive standard error"):
        fit = cox_ph(t, status, np.column_stack([arm, z, near]), names=["a", "b", "c"])
    assert fit.dropped == {} and fit.converged
    assert set(fit.not_estimable) == {"a", "c"}
    assert all(v.startswith("naive standard error") for v in fit.not_estimable.values())
    assert np.isnan(fit.params[[0, 2]]).all() and np.isfinite(fit.params[1])


def test_cox_separation_diverges_and_is_not_reported():
    # every event is in arm 1: the partial likelihood rises for ever as beta -> +inf
    t, status, arm, z = _cox_sample()
    status = status & (arm == 1)
    n = len(t)
    with pytest.warns(StatisticalWarning, match="arm: diverges"):
        fit = cox_ph(t, status, np.column_stack([arm, z]), names=["arm", "z"],
                     groups=np.arange(n))
    assert list(fit.not_estimable) == ["arm"]
    assert "monotone likelihood" in fit.not_estimable["arm"]
    assert not fit.converged
    assert np.isnan([fit.params[0], fit.bse[0], fit.pvalues[0]]).all()
    # z is reported at its limit: the model among those at risk in arm 1 only
    a1 = arm == 1
    ref = cox_ph(t[a1], status[a1], z[a1, None], groups=np.arange(n)[a1])
    np.testing.assert_allclose(fit.params[1], ref.params[0], rtol=1e-8)
    np.testing.assert_allclose(fit.bse[1], ref.bse[0], rtol=1e-6)


def test_cox_single_diverging_covariate_gives_no_estimate():
    t, status, arm, _ = _cox_sample()
    with pytest.warns(StatisticalWarning, match="diverges"):
        fit = cox_ph(t, status & (arm == 0), arm[:, None], names=["IC vs M"])
    assert not fit.estimable.any() and not fit.converged
    assert np.isnan(fit.params).all() and np.isnan(fit.cov).all()


def test_cox_not_converged_terms_are_not_reported():
    t, status, arm, z = _cox_sample()
    with pytest.warns(StatisticalWarning, match="did not converge within 1 iteration"):
        fit = cox_ph(t, status, np.column_stack([arm, z]), names=["arm", "z"], max_iter=1)
    assert not fit.converged
    assert set(fit.not_estimable) == {"arm", "z"}
    assert np.isnan(fit.params).all()


def test_cox_without_events_drops_every_term():
    t, _, arm, z = _cox_sample()
    with pytest.warns(StatisticalWarning, match="no events"):
        fit = cox_ph(t, np.zeros(len(t), dtype=bool), np.column_stack([arm, z]))
    assert fit.dropped == {"x0": NO_EVENTS, "x1": NO_EVENTS}
    assert fit.n_events == 0 and np.isnan(fit.params).all()


def test_cox_names_must_match_the_columns():
    t, status, arm, z = _cox_sample()
    with pytest.raises(PathauditError, match="one name per column"):
        cox_ph(t, status, np.column_stack([arm, z]), names=["arm"])


@pytest.mark.parametrize("use_strata", [False, True])
def test_cox_well_posed_fit_has_nothing_dropped_and_is_unchanged(use_strata):
    # the identifiability checks never touch a well-posed fit: same numbers as PHReg, no
    # warning (warnings are errors here), nothing dropped or unreported
    t, ev, entry, X, groups, strata = _data(n=300)
    s = strata if use_strata else None
    fit = cox_ph(t, ev == 1, X, entry=entry, strata=s, groups=groups, names=["a", "b", "c"])
    assert fit.dropped == {} and fit.not_estimable == {} and fit.converged
    assert fit.estimable.all()
    ref = PHReg(t, X, status=(ev == 1).astype(float), strata=s, ties="breslow").fit()
    plain = cox_ph(t, ev == 1, X, strata=s)
    np.testing.assert_allclose(plain.params, ref.params, atol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(plain.cov)), ref.bse, atol=1e-8)


def test_logrank_with_many_strata_equals_survdiff_and_the_sum_over_strata():
    # 300 strata x ~3,000 distinct times x 2 groups: too many cells to count at once, so the
    # strata are counted one by one; both ways must give survdiff's statistic
    rng = np.random.default_rng(11)
    n = 3_000
    t = np.round(rng.exponential(2.0, n), 3) + 0.001
    ev = rng.random(n) < 0.7
    g = rng.integers(0, 2, n)
    many = rng.integers(0, 300, n)
    few = many % 3
    for strata in (many, few):
        chi2, df, p = logrank(t, ev, g, strata=strata)
        ref, ref_p = survdiff(t, ev.astype(float), g, strata=strata)
        assert chi2 == pytest.approx(ref, rel=1e-10)
        assert p == pytest.approx(ref_p, rel=1e-8)
        assert df == 1
    # with entry, against the pooled test of the strata counted apart: one stratum per group
    # of rows is the same test as the unstratified one on those rows
    entry = t * rng.random(n) * 0.5
    alone = logrank(t, ev, g, entry=entry, strata=np.zeros(n, dtype=int))
    assert alone[0] == pytest.approx(logrank(t, ev, g, entry=entry)[0], rel=1e-12)


@pytest.mark.parametrize("keys", ["table", "search"])
def test_cox_risk_set_sums_equal_the_direct_sums(keys):
    from pathaudit.stats.survival import _CoxDesign, _weighted_gram

    # the sums the fit is made of, against their definitions written out row by row: the
    # grid positions (read from a table of keys, or by binary search when the keys are
    # many), the risk-set sums of w and w x (one sparse product) and sum_i v_i x_i x_i'
    # (block by block)
    rng = np.random.default_rng(17)
    n = 600 if keys == "table" else 300
    strata = rng.integers(0, 4 if keys == "table" else 250, n)
    entry = rng.integers(0, 50, n).astype(float)
    time = entry + rng.integers(1, 400, n)
    status = rng.random(n) < 0.4
    des = _CoxDesign(time, status, entry, strata.astype(np.int64))
    grid_s, grid_t = np.divmod(des.grid, np.unique(np.r_[time, entry]).size + 1)
    uniq = np.unique(np.r_[time, entry])
    grid_time = uniq[grid_t]
    X = rng.normal(size=(n, 3))
    w = np.exp(rng.normal(size=n))
    # at risk at grid point k: same stratum, entry < u_k <= time
    at_risk = ((strata[None, :] == grid_s[:, None]) & (entry[None, :] < grid_time[:, None])
               & (grid_time[:, None] <= time[None, :]))
    np.testing.assert_allclose(des.at_risk_sum(w), at_risk @ w, rtol=1e-12)
    np.testing.assert_allclose(des.weighted_at_risk_sum(X, w), at_risk @ (w[:, None] * X),
                               rtol=1e-12, atol=1e-12)
    assert np.array_equal(des.grid[des.pos], (strata * (uniq.size + 1)
                                              + np.searchsorted(uniq, time))[status])
    big = np.vstack([X] * 3000)
    v = rng.random(len(big))
    np.testing.assert_allclose(_weighted_gram(big, v), (big * v[:, None]).T @ big, rtol=1e-10)


def test_rank_codes_equal_numpy_unique():
    from pathaudit.stats.survival import _rank_codes

    # strata and cluster codes of the Cox model: ranked from flags for short integer ranges,
    # np.unique otherwise; the same codes either way
    rng = np.random.default_rng(8)
    for values in (rng.integers(-5, 50, 1000), rng.integers(0, 10**12, 100), np.array([3]),
                   rng.choice(["b", "a"], 50), rng.random(20),
                   rng.integers(0, 5, 10).astype(np.uint8)):
        np.testing.assert_array_equal(_rank_codes(values),
                                      np.unique(values, return_inverse=True)[1])
