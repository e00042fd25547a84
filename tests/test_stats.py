import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from pathaudit import stats
from pathaudit.stats.labels import LABELS, direction_label, display_direction
from pathaudit.stats.regression import MISSING_LEVEL, OTHER_LEVEL, treatment_dummies


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


def test_bootstrap_ratio_matches_resampling_every_value():
    # the interval is drawn through order statistics; resampling every value (the
    # definition) gives the same percentile limits up to Monte Carlo error
    rng = np.random.default_rng(11)
    a = np.round(rng.lognormal(11, 0.3, 301), -2)  # ties, as rounded pay has
    b = rng.lognormal(11.1, 0.3, 240)
    est, lo, hi = stats.bootstrap_ratio_of_medians(a, b, B=20_000, seed=5)
    gen = np.random.default_rng(6)
    ref = stats.bootstrap_medians(a, 20_000, gen) / stats.bootstrap_medians(b, 20_000, gen)
    rlo, rhi = np.quantile(ref, [0.025, 0.975])
    assert est == np.median(a) / np.median(b)
    assert abs(lo - rlo) < 0.004 and abs(hi - rhi) < 0.004


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


# --------------------------------------------------------------------------- rate ratio p-value


def test_rate_ratio_pvalue_is_central_by_hand():
    # 4 events in 100 person-years against 2 in 300: conditional on 6 events, X ~ Bin(6, 1/4).
    # P(X >= 4) = (15*9 + 6*3 + 1) / 4^6 = 154/4096, so the central p = 308/4096 = 0.0752.
    ratio, lo, hi, p = stats.rate_ratio_ci(4, 100.0, 2, 300.0)
    assert ratio == pytest.approx(6.0)
    assert p == pytest.approx(308 / 4096, rel=1e-12)
    assert lo < 1 < hi  # the interval contains 1 and p > 0.05: they agree
    # scipy's default (minimum-likelihood) p-value contradicts the Clopper-Pearson interval
    assert sps.binomtest(4, 6, 0.25).pvalue < 0.05
    # 1 event in exposure 1 against 8 in exposure 2: X ~ Bin(9, 1/3),
    # P(X <= 1) = (2^9 + 9 * 2^8) / 3^9 = 2816/19683
    assert stats.rate_ratio_pvalue(1, 1.0, 8, 2.0) == pytest.approx(2 * 2816 / 19683, rel=1e-12)
    # capped at 1, NaN without events
    assert stats.rate_ratio_pvalue(5, 1.0, 5, 1.0) == 1.0
    assert np.isnan(stats.rate_ratio_ci(0, 1.0, 0, 2.0)[3])


@settings(max_examples=300, deadline=None)
@given(
    xa=st.integers(0, 300),
    xb=st.integers(0, 300),
    ta=st.floats(0.05, 5000.0),
    tb=st.floats(0.05, 5000.0),
    alpha=st.sampled_from([0.01, 0.05, 0.1, 0.2]),
)
def test_rate_ratio_pvalue_agrees_with_its_interval(xa, xb, ta, tb, alpha):
    _, lo, hi, p = stats.rate_ratio_ci(xa, ta, xb, tb, alpha=alpha)
    if xa + xb == 0:
        assert np.isnan(p)
        return
    assert 0 <= p <= 1
    if abs(p - alpha) < 1e-9:  # on the boundary, rounding decides either way
        return
    assert (p < alpha) == bool(lo > 1 or hi < 1)
    # vectorised call gives the same
    assert stats.rate_ratio_pvalue([xa, xa], [ta, ta], [xb, xb], [tb, tb])[1] == pytest.approx(p)


# --------------------------------------------------------------------------- Wald


def test_wald_normal_and_t_reference_values():
    lo, hi, p = stats.wald([0.5, -1.0], [0.25, 0.5])
    np.testing.assert_allclose(lo, [0.5 - 1.959963984540054 * 0.25, -1.0 - 1.959963984540054 * 0.5])
    np.testing.assert_allclose(hi, [0.5 + 1.959963984540054 * 0.25, -1.0 + 1.959963984540054 * 0.5])
    np.testing.assert_allclose(p, 2 * sps.norm.sf([2.0, 2.0]))
    assert p[0] == pytest.approx(0.0455002638963584, rel=1e-12)
    # t(df), vectorised over df; checked against statsmodels' one-sample t interval and test
    from statsmodels.stats.weightstats import DescrStatsW

    x = np.array([1.2, 0.4, 2.2, 1.9, 0.1, 1.4, 0.8])
    d = DescrStatsW(x)
    lo, hi, p = stats.wald(d.mean, d.std_mean, alpha=0.1, df=len(x) - 1)
    ref_lo, ref_hi = d.tconfint_mean(alpha=0.1)
    assert (lo, hi) == (pytest.approx(ref_lo, rel=1e-12), pytest.approx(ref_hi, rel=1e-12))
    assert p == pytest.approx(d.ttest_mean(0)[1], rel=1e-12)
    lo2, hi2, _ = stats.wald([1.0, 1.0], [1.0, 1.0], df=[3, 30])
    np.testing.assert_allclose(hi2 - 1.0, sps.t.ppf(0.975, [3, 30]))


def test_wald_degenerate_standard_errors():
    lo, hi, p = stats.wald([1.0, 1.0, 1.0, np.nan], [0.0, np.nan, np.inf, 1.0])
    assert lo[0] == hi[0] == 1.0 and np.isnan(p[0])  # a point, no test
    assert np.isnan([lo[1], hi[1], p[1], lo[2], hi[2], p[2]]).all()
    assert np.isnan([lo[3], hi[3], p[3]]).all()


@settings(max_examples=100, deadline=None)
@given(
    est=st.floats(-10, 10),
    se=st.floats(0.01, 5),
    alpha=st.floats(0.01, 0.2),
    df=st.one_of(st.none(), st.integers(1, 200)),
)
def test_wald_pvalue_agrees_with_its_interval(est, se, alpha, df):
    lo, hi, p = stats.wald(est, se, alpha=alpha, df=df)
    assert lo <= est <= hi
    if abs(p - alpha) > 1e-9:
        assert (p < alpha) == bool(lo > 0 or hi < 0)
    # the interval is estimate -/+ q se with the normal or t(df) quantile
    q = sps.norm.ppf(1 - alpha / 2) if df is None else sps.t.ppf(1 - alpha / 2, df)
    assert (lo, hi) == (pytest.approx(est - q * se), pytest.approx(est + q * se))


# --------------------------------------------------------------------------- MOVER


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "lower", "upper"),
    [
        # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (5, 56, 0, 29, -0.0381, 0.1926),
        (0, 10, 0, 20, -0.1611, 0.2775),
        (0, 10, 0, 10, -0.2775, 0.2775),
        (10, 10, 0, 20, 0.6791, 1.0000),
    ],
)
def test_mover_difference_reproduces_newcombe_method_10(x1, n1, x2, n2, lower, upper):
    l1, u1 = stats.wilson_ci(x1, n1)
    l2, u2 = stats.wilson_ci(x2, n2)
    d, lo, hi = stats.mover_difference(x1 / n1, l1, u1, x2 / n2, l2, u2)
    assert d == pytest.approx(x1 / n1 - x2 / n2)
    assert round(float(lo), 4) == pytest.approx(lower, abs=1e-12)
    assert round(float(hi), 4) == pytest.approx(upper, abs=1e-12)


def test_mover_by_hand_formula():
    # d = 0.3 - 0.1; L = d - sqrt(0.1^2 + 0.05^2); U = d + sqrt(0.15^2 + 0.04^2)
    d, lo, hi = stats.mover_difference(0.3, 0.2, 0.45, 0.1, 0.06, 0.15)
    assert d == pytest.approx(0.2)
    assert lo == pytest.approx(0.2 - np.sqrt(0.01 + 0.0025))
    assert hi == pytest.approx(0.2 + np.sqrt(0.0225 + 0.0016))


def test_wilson_effective_reduces_to_wilson_and_keeps_width_at_zero_events():
    # a plain proportion: se^2 = p(1-p)/n gives n_eff = n and Wilson's own limits
    p = 47 / 300
    lo, hi, n_eff = stats.wilson_ci_effective(p, np.sqrt(p * (1 - p) / 300), 1000)
    ref = stats.wilson_ci(47, 300)
    assert n_eff == pytest.approx(300)
    assert (lo, hi) == (pytest.approx(ref[0], abs=1e-12), pytest.approx(ref[1], abs=1e-12))
    # an arm with no event: n_eff is the number at risk; the upper limit is z^2/(n + z^2)
    z2 = sps.norm.ppf(0.975) ** 2
    lo0, hi0, n0 = stats.wilson_ci_effective(0.0, 0.0, 40)
    assert n0 == 40 and lo0 == pytest.approx(0.0, abs=1e-15)
    assert hi0 == pytest.approx(z2 / (40 + z2))
    # and the MOVER difference against it has a non-zero width on both sides
    l1, u1, _ = stats.wilson_ci_effective(0.25, 0.05, 60)
    d, dlo, dhi = stats.mover_difference(0.0, lo0, hi0, 0.25, l1, u1)
    assert d == pytest.approx(-0.25)
    assert dlo < d < dhi and dhi - dlo > 0.1
    assert dhi == pytest.approx(-0.25 + np.sqrt(hi0**2 + (0.25 - l1) ** 2))


@settings(max_examples=100, deadline=None)
@given(
    x1=st.integers(0, 80), e1=st.integers(1, 80), x2=st.integers(0, 80), e2=st.integers(1, 80),
    a1=st.floats(0.01, 0.2), a2=st.floats(0.01, 0.2),
)
def test_mover_contains_estimate_and_widens_with_smaller_alpha(x1, e1, x2, e2, a1, a2):
    n1, n2 = x1 + e1, x2 + e2
    small, big = min(a1, a2), max(a1, a2)
    out = []
    for a in (small, big):
        l1, u1 = stats.wilson_ci(x1, n1, alpha=a)
        l2, u2 = stats.wilson_ci(x2, n2, alpha=a)
        out.append(stats.mover_difference(x1 / n1, l1, u1, x2 / n2, l2, u2))
    (d, lo_s, hi_s), (_, lo_b, hi_b) = out
    assert -1 - 1e-12 <= lo_s <= d <= hi_s <= 1 + 1e-12
    assert hi_s - lo_s > 0
    assert lo_s <= lo_b + 1e-12 and hi_s >= hi_b - 1e-12


# --------------------------------------------------------------------------- dummy encoder


def test_dummies_reference_is_the_most_frequent_level_missing_its_own_level():
    d = treatment_dummies(["b", "a", "b", None, "c", "b"], "x")
    assert d.reference == "b"
    assert d.levels == [MISSING_LEVEL, "a", "c"]  # sort order of the level text
    assert d.names == ["x[(missing)]", "x[a]", "x[c]"]
    np.testing.assert_array_equal(
        d.matrix, [[0, 0, 0], [0, 1, 0], [0, 0, 0], [1, 0, 0], [0, 0, 1], [0, 0, 0]]
    )


def test_dummies_ties_go_to_the_first_level_in_text_order():
    assert treatment_dummies(["b", "a", "b", "a"], "x").reference == "a"
    assert treatment_dummies([10, 9, 10, 9], "g").reference == "10"  # "10" < "9" as text


def test_dummies_first_reference_is_get_dummies_drop_first():
    values = np.array([3, 1, 2, 3, 12, 1])
    d = treatment_dummies(values, "grade", reference="first")
    ref = pd.get_dummies(pd.Series(values).astype(str), prefix="grade", drop_first=True,
                         dtype=float)
    assert d.reference == "1"
    assert d.names == [c.replace("_", "[") + "]" for c in ref.columns]
    np.testing.assert_array_equal(d.matrix, ref.to_numpy())


def test_dummies_single_level_or_no_rows_give_no_columns():
    assert treatment_dummies(["a", "a"], "x").matrix.shape == (2, 0)
    empty = treatment_dummies(pd.Series([], dtype=object), "x")
    assert empty.matrix.shape == (0, 0) and empty.reference is None


def test_dummies_rare_levels_pooled_into_the_reference():
    values = ["a"] * 5 + ["b"] * 3 + ["c"] * 2
    events = np.array([1, 0, 0, 0, 0] + [1, 1, 0] + [1, 0])
    d = treatment_dummies(values, "x", events=events, min_events=2)
    assert d.reference == "a" and d.levels == ["b"]  # c (1 event) has no column
    np.testing.assert_array_equal(d.matrix[:, 0], [0] * 5 + [1] * 3 + [0] * 2)


def test_dummies_rare_levels_merged_into_other():
    values = ["a"] * 2 + ["b"] * 3 + ["c"] * 2 + ["d"] * 2
    events = np.array([0, 0] + [1, 1, 0] + [1, 0] + [0, 0])
    d = treatment_dummies(values, "x", events=events, min_events=2, rare="other")
    # a, c, d are rare: merged into "(other)" (6 rows), which becomes the reference
    assert d.reference == OTHER_LEVEL and d.names == ["x[b]"]
    np.testing.assert_array_equal(d.matrix[:, 0], [0, 0, 1, 1, 1, 0, 0, 0, 0])
    # every level rare: nothing is merged
    all_rare = treatment_dummies(values, "x", events=np.zeros(9), min_events=2, rare="other")
    assert all_rare.reference == "b" and all_rare.levels == ["a", "c", "d"]


@settings(max_examples=50, deadline=None)
@given(values=st.lists(st.sampled_from(["a", "b", "c", None]), min_size=1, max_size=30),
       seed=st.integers(0, 1000))
def test_dummies_row_order_does_not_matter(values, seed):
    order = np.random.default_rng(seed).permutation(len(values))
    d = treatment_dummies(values, "x")
    p = treatment_dummies([values[i] for i in order], "x")
    assert (p.names, p.reference) == (d.names, d.reference)
    np.testing.assert_array_equal(p.matrix, d.matrix[order])
    assert (d.matrix.sum(axis=1) <= 1).all()


# --------------------------------------------------------------------------- labels


def test_one_vocabulary_of_track_labels():
    assert LABELS == {"comparison": "IC vs M", "difference": "IC \u2212 M", "ratio": "IC / M",
                      "switch_to_m": "IC \u2192 M", "switch_to_ic": "M \u2192 IC"}
    assert display_direction("IC->M") == direction_label("IC", "M") == "IC \u2192 M"
    assert display_direction("M exit") == "M exit"


def test_analyses_use_the_label_vocabulary():
    # labels for readers: no "IC - M", "IC/M", "IC->M switch" or "IC\u2192M"; a value stored in a
    # table ("IC->M" on its own, in quotes) is data and keeps its spelling
    src = Path(__file__).resolve().parents[1] / "src" / "pathaudit"
    old = re.compile(r"\bIC ?- ?M\b|\bIC/M\b|\bIC\u2192M\b|\bIC\u2013M\b"
                     r'|(?<!")(?<!`)\b(IC->M|M->IC)\b(?!")')
    found = [
        f"{p.relative_to(src)}:{i}: {line.strip()}"
        for sub in ("attrition", "management", "parity", "promotion")
        for p in sorted((src / sub).glob("*.py"))
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if old.search(line)
    ]
    assert found == []


def test_distribution_functions_are_scipy_stats_value_for_value():
    # stats._dist spares an audit the import of scipy.stats: the same numbers, edges,
    # missing values and invalid parameters included, and the same scalar type
    import warnings

    from pathaudit.stats import _dist

    rng = np.random.default_rng(0)
    q = np.r_[rng.random(200), 0, 1, -0.1, 1.1, np.nan, 1e-300, 1 - 1e-16, 0.025, 0.975]
    x = np.r_[rng.normal(0, 3, 200), 0, -0.0, np.inf, -np.inf, np.nan, 1e-300, 40, -40, 1.96]
    dfs = (0.5, 1, 2, 7.5, 30, 1e6, np.inf, 0, -1, np.nan)

    def same(mine, theirs):
        mine, theirs = np.asarray(mine), np.asarray(theirs)
        assert mine.shape == theirs.shape
        assert np.array_equal(mine, theirs, equal_nan=True)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        same(_dist.norm_ppf(q), sps.norm.ppf(q))
        same(_dist.norm_cdf(x), sps.norm.cdf(x))
        same(_dist.norm_sf(x), sps.norm.sf(x))
        for df in dfs:
            same(_dist.t_ppf(q, df), sps.t.ppf(q, df))
            same(_dist.t_cdf(x, df), sps.t.cdf(x, df))
            same(_dist.t_sf(x, df), sps.t.sf(x, df))
            same(_dist.chi2_ppf(q, df), sps.chi2.ppf(q, df))
            same(_dist.chi2_sf(3 * x, df), sps.chi2.sf(3 * x, df))
        a = np.r_[rng.gamma(1, 30, 200), 0, -1, np.nan, np.inf, 1, 1, 1, 2, 3]
        b = np.r_[rng.gamma(1, 30, 200), 1, 2, 3, 4, 0, np.nan, 5, 6, 7]
        same(_dist.beta_ppf(q, a, b), sps.beta.ppf(q, a, b))
        n = np.r_[np.floor(rng.gamma(1, 50, 200)), 0, -1, 2.5, np.nan, np.inf, 5, 5, 5, 5]
        p = np.r_[rng.random(200), 0.5, 0.5, 0.5, 0.5, 0.5, 0, 1, -0.1, np.nan]
        for shift in (-2, -1, 0, 1):
            k = np.floor(rng.random(len(n)) * (np.nan_to_num(n, posinf=10) + 3)) + shift
            k[:5] = [np.nan, np.inf, -np.inf, 2.7, -0.5]
            same(_dist.binom_cdf(k, n, p), sps.binom.cdf(k, n, p))
            same(_dist.binom_sf(k, n, p), sps.binom.sf(k, n, p))
    for mine, theirs in [
        (_dist.norm_ppf(0.975), sps.norm.ppf(0.975)),
        (_dist.t_sf(2.0, 5), sps.t.sf(2.0, 5)),
        (_dist.chi2_ppf(0.025, 4), sps.chi2.ppf(0.025, 4)),
        (_dist.binom_cdf(2, 5, 0.3), sps.binom.cdf(2, 5, 0.3)),
    ]:
        assert type(mine) is type(theirs) and mine == theirs


def test_distribution_functions_come_from_one_place():
    # the public names are the checked implementations, and no module outside stats/ calls
    # scipy.special or reaches into stats._dist (scipy.special.stdtrit(5, 0.0) is +inf where
    # scipy.stats.t.ppf(0, 5) is -inf: the support's ends are handled in one place only)
    from pathaudit.stats import _dist

    for name in ("norm_ppf", "norm_cdf", "norm_sf", "t_ppf", "t_cdf", "t_sf", "chi2_sf"):
        assert getattr(stats, name) is getattr(_dist, name)
        assert name in stats.__all__
    assert stats.t_ppf(0.0, 5) == -np.inf and stats.t_ppf(1.0, 5) == np.inf
    src = Path(__file__).resolve().parents[1] / "src" / "pathaudit"
    direct = re.compile(r"scipy\.special|from scipy import special|stats\._dist|stats import _dist")
    found = [
        f"{p.relative_to(src)}:{i}: {line.strip()}"
        for p in sorted(src.rglob("*.py"))
        if p.parent.name != "stats"
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if direct.search(line)
    ]
    assert found == []


def test_intervals_do_not_import_scipy_stats():
    import subprocess
    import sys

    code = (
        "import sys, numpy as np; from pathaudit.stats import intervals as i; "
        "i.wald(np.r_[1.0], np.r_[0.5]); i.wald(np.r_[1.0], np.r_[0.5], df=np.r_[4.0]); "
        "i.poisson_rate_ci(3, 2.0); i.rate_ratio_ci(3, 2.0, 5, 4.0); i.mde_normal(0.1); "
        "print('scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_benjamini_hochberg_is_statsmodels_value_for_value():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(5)
    for m in (1, 2, 3, 7, 30):
        for _ in range(50):
            p = rng.random(m) ** 3
            p[rng.random(m) < 0.3] = rng.choice([0.0, 0.01, 0.05, 1.0, np.nan])  # ties, NaN
            ok = ~np.isnan(p)
            expected = np.full(m, np.nan)
            if ok.any():
                expected[ok] = multipletests(p[ok], method="fdr_bh")[1]
            assert np.array_equal(stats.adjust_pvalues(p, "fdr_bh"), expected, equal_nan=True)


def test_the_beta_and_binomial_functions_find_scipys_own_kernels():
    # with the pinned scipy, beta and binomial quantiles and tails come from the Boost kernels
    # scipy.stats itself calls (no scipy.stats import); a scipy that moves them falls back to
    # scipy.stats, correct but slower, and this test says so
    from pathaudit.stats._dist import _boost

    missing = [n for n in ("_beta_ppf", "_binom_cdf", "_binom_sf") if _boost(n) is None]
    assert missing == [], f"scipy no longer has {missing} in scipy.special._ufuncs"
