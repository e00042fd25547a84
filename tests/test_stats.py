import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from pathaudit import stats


def test_wilson_matches_statsmodels():
    for x, n in [(0, 5), (3, 10), (10, 10), (47, 300)]:
        lo, hi = stats.wilson_ci(x, n)
        ref = proportion_confint(x, n, alpha=0.05, method="wilson")
        assert lo == pytest.approx(ref[0], abs=1e-12)
        assert hi == pytest.approx(ref[1], abs=1e-12)


def test_wilson_empty_is_nan():
    lo, hi = stats.wilson_ci(0, 0)
    assert np.isnan(lo) and np.isnan(hi)


def test_garwood_reference_values():
    # Exact Poisson limits for x = 5 events (classic table: 1.6235, 11.6683)
    lo, hi = stats.poisson_rate_ci(5, 1.0)
    assert lo == pytest.approx(1.623486, abs=1e-5)
    assert hi == pytest.approx(11.668332, abs=1e-5)
    lo0, hi0 = stats.poisson_rate_ci(0, 2.0)
    assert lo0 == 0.0
    assert hi0 == pytest.approx(-np.log(0.025) / 2.0, rel=1e-9)


def test_rate_ratio_exact_matches_binomial_inversion():
    ratio, lo, hi, p = stats.rate_ratio_ci(10, 100.0, 5, 100.0)
    assert ratio == pytest.approx(2.0)
    # Clopper-Pearson on 10 of 15, mapped to the ratio scale (equal exposure)
    cp = proportion_confint(10, 15, alpha=0.05, method="beta")
    assert lo == pytest.approx(cp[0] / (1 - cp[0]), rel=1e-9)
    assert hi == pytest.approx(cp[1] / (1 - cp[1]), rel=1e-9)
    assert p == pytest.approx(sps.binomtest(10, 15, 0.5).pvalue)


def test_loglog_ci_inside_unit_interval_and_contains_estimate():
    est = np.array([0.01, 0.3, 0.7, 0.99])
    lo, hi = stats.loglog_ci(est, np.array([0.005, 0.05, 0.05, 0.01]))
    assert np.all((lo > 0) & (hi < 1) & (lo <= est) & (est <= hi))


def test_bootstrap_ratio_is_seeded_and_brackets():
    rng = np.random.default_rng(1)
    a = rng.lognormal(11, 0.2, 200)
    b = rng.lognormal(11.1, 0.2, 150)
    r1 = stats.bootstrap_ratio_of_medians(a, b, B=500, seed=3)
    r2 = stats.bootstrap_ratio_of_medians(a, b, B=500, seed=3)
    assert r1 == r2
    assert r1[1] <= r1[0] <= r1[2]


def test_bootstrap_ratio_coverage_small_study():
    # 200 draws of two lognormal groups with known ratio of medians exp(-0.1)
    rng = np.random.default_rng(7)
    truth = np.exp(-0.1)
    hits = 0
    for s in range(200):
        a = rng.lognormal(-0.1, 0.3, 60)
        b = rng.lognormal(0.0, 0.3, 60)
        _, lo, hi = stats.bootstrap_ratio_of_medians(a, b, B=400, seed=s)
        hits += lo <= truth <= hi
    assert 0.90 <= hits / 200 <= 0.99


@settings(max_examples=50, deadline=None)
@given(
    x=st.integers(0, 200),
    extra=st.integers(0, 200),
    a1=st.floats(0.01, 0.2),
    a2=st.floats(0.01, 0.2),
)
def test_smaller_alpha_widens(x, extra, a1, a2):
    n = x + extra
    small, big = min(a1, a2), max(a1, a2)
    if n == 0:
        return
    lo_s, hi_s = stats.wilson_ci(x, n, alpha=small)
    lo_b, hi_b = stats.wilson_ci(x, n, alpha=big)
    assert lo_s <= lo_b + 1e-12 and hi_s >= hi_b - 1e-12
    plo_s, phi_s = stats.poisson_rate_ci(x, 10.0, alpha=small)
    plo_b, phi_b = stats.poisson_rate_ci(x, 10.0, alpha=big)
    assert plo_s <= plo_b + 1e-12 and phi_s >= phi_b - 1e-12


def test_adjust_pvalues_keeps_nan_and_orders():
    p = np.array([0.01, np.nan, 0.04, 0.03])
    holm = stats.adjust_pvalues(p, "holm")
    assert np.isnan(holm[1])
    assert np.all(holm[~np.isnan(p)] >= p[~np.isnan(p)])
    assert holm[0] == pytest.approx(0.03)
