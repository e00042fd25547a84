"""Pay-gap reports (EU Directive 2023/970, UK SI 2017/172): hand-worked fixtures, exact values.

Every expected value below is worked by hand in the comment above it; the rules it follows
(quartile sizes when N is not a multiple of 4, fractional people at a tie) are those of
``docs/pay-gap-reporting.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pathaudit
from pathaudit.data import AuditData
from pathaudit.errors import ArgumentError, PathauditError
from pathaudit.io.schema import HISTORY, PEOPLE
from pathaudit.output import read_output
from pathaudit.paygap import (
    FILING_README,
    article10_status,
    bonus_figures,
    gap,
    gender_group,
    kitagawa,
    quartiles,
    snapshot_date,
)
from pathaudit.paygap._frame import Assumptions, eu_frame, uk_frame
from pathaudit.simulate import cached_organisations
from pathaudit.stats import fieller_ratio_of_means

HOURS = 1826.25
"""Base pay that gives an hourly rate of 1 at 35 hours a week: 35 * 365.25 / 7."""


def org(jobs: list[dict], persons: list[dict], *, as_of: str, k: int = 1) -> AuditData:
    """An AuditData from job records and people (every canonical column present)."""
    h = pd.DataFrame(jobs)
    for c in HISTORY:
        if c.name not in h:
            h[c.name] = np.nan
    h["effective_date"] = pd.to_datetime(h["effective_date"])
    h["bonus_paid_date"] = pd.to_datetime(h["bonus_paid_date"])
    h["track"] = h["track"].astype(object).where(h["track"].notna(), "IC")
    h["level"] = h["track"] + h["grade"].astype(str)
    h["pay"] = h["base_salary"].astype(float)
    h["episode"] = 0
    h = h.sort_values(["employee_id", "effective_date"], kind="stable").reset_index(drop=True)
    h["row"] = np.arange(1, len(h) + 1)
    for c in ("contracted_hours", "fte", "bonus_paid", "variable_pay", "equity"):
        h[c] = h[c].astype(float)
    for c in ("reduced_pay_leave", "legal_employer", "currency"):
        h[c] = h[c].astype("string")
    p = pd.DataFrame(persons)
    for c in PEOPLE:
        if c.name not in p:
            p[c.name] = np.nan
    p["hire_date"] = pd.to_datetime(p["hire_date"])
    p["termination_date"] = pd.to_datetime(p["termination_date"])
    p["gender"] = p["gender"].astype("string")
    p["episode"] = 0
    p["row"] = np.arange(1, len(p) + 1)
    return AuditData(
        history=h,
        people=p,
        ladder=pd.DataFrame({"track": [], "level": [], "grade": []}),
        extract_date=pd.Timestamp(as_of),
        history_start="2019-01-01",
        config={"privacy": {"min_cell_size": k}},
    )


# --------------------------------------------------------------------------- formula core


def test_gender_groups_keep_other_and_unknown():
    got = gender_group(pd.Series(["F", "male", "Non-binary", None, " W ", ""]))
    assert got.tolist() == ["women", "men", "other", "unknown", "women", "unknown"]


def test_gap_of_means_and_medians_by_hand():
    # men 10, 20, 30 (mean 20, median 20); women 12, 14 (mean 13, median 13)
    assert gap([10, 20, 30], [12, 14]) == pytest.approx(7 / 20)
    assert gap([10, 20, 30], [12, 14], "median") == pytest.approx(7 / 20)
    # a negative gap: women paid more
    assert gap([10, 10], [11, 13]) == pytest.approx(-0.2)
    assert np.isnan(gap([], [1.0]))


def test_quartiles_n_not_a_multiple_of_4_with_ties_across_boundaries():
    # N = 10: each quartile holds 2.5 people. Ranked line (tie blocks):
    #   rate 10: W W M  on [0, 3)   rate 12: W M M on [3, 6)   rate 15: W M on [6, 8)
    #   rate 20: M on [8, 9)        rate 30: M on [9, 10)
    # Q1 [0, 2.5):  2.5 of block 10          -> women 2.5 * 2/3 = 5/3
    # Q2 [2.5, 5):  0.5 of 10, 2 of 12       -> women 0.5 * 2/3 + 2 * 1/3 = 1
    # Q3 [5, 7.5):  1 of 12, 1.5 of 15       -> women 1/3 + 1.5/2 = 13/12
    # Q4 [7.5, 10): 0.5 of 15, 20, 30        -> women 0.5/2 = 1/4
    rates = [12, 10, 30, 15, 10, 12, 20, 10, 15, 12]
    woman = [True, True, False, True, True, False, False, False, False, False]
    q = quartiles(rates, woman)
    assert q["n"].tolist() == [2.5] * 4
    assert q["women"].tolist() == pytest.approx([5 / 3, 1, 13 / 12, 1 / 4])
    assert q["men"].tolist() == pytest.approx([5 / 6, 3 / 2, 17 / 12, 9 / 4])
    assert q["share_women"].tolist() == pytest.approx([2 / 3, 0.4, 13 / 30, 0.1])
    assert (q["share_women"] + q["share_men"]).tolist() == pytest.approx([1.0] * 4)
    assert q["women"].sum() == pytest.approx(4)  # the four women, spread exactly


def test_quartiles_do_not_depend_on_row_order():
    rng = np.random.default_rng(3)
    rates = rng.integers(10, 15, size=37).astype(float)  # many ties, N = 37
    woman = rng.random(37) < 0.4
    order = rng.permutation(37)
    a, b = quartiles(rates, woman), quartiles(rates[order], woman[order])
    assert a["women"].to_numpy() == pytest.approx(b["women"].to_numpy())
    assert a["women"].sum() == pytest.approx(woman.sum())


def test_quartiles_without_ties_are_whole_people_when_n_divides():
    q = quartiles([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 0, 0, 1, 0, 0, 0])
    assert q["women"].tolist() == [2, 0, 1, 0]


def test_bonus_figures_among_recipients_by_hand():
    # men paid 1000, 3000, 8000 (mean 4000, median 3000), 3 more men paid none;
    # women paid 2000, 500 (mean 1250, median 1250), 3 more women paid none
    bonus = [1000, 3000, 8000, 0, 0, 0, 2000, 500, 0, 0, 0]
    woman = [False] * 6 + [True] * 5
    f = bonus_figures(bonus, woman)
    assert f["mean_gap"] == pytest.approx(2750 / 4000)
    assert f["median_gap"] == pytest.approx(1750 / 3000)
    assert f["share_men"] == pytest.approx(3 / 6)
    assert f["share_women"] == pytest.approx(2 / 5)


def test_kitagawa_splits_a_gap_that_is_only_mix():
    # cell A (pay 10): 3 women, 1 man; cell B (pay 20): 1 woman, 3 men
    # men's mean (10 + 60) / 4 = 17.5, women's (30 + 20) / 4 = 12.5: total gap 5 / 17.5
    # within each cell men and women are paid alike: within = 0, composition = total
    f = pd.DataFrame(
        {"c": list("AAAABBBB"), "pay": [10] * 4 + [20] * 4, "is_woman": [1, 1, 1, 0, 1, 0, 0, 0]}
    )
    got = kitagawa(f, cell="c", pay="pay")
    assert got["total"] == pytest.approx(5 / 17.5)
    assert got["within"] == pytest.approx(0.0)
    assert got["composition"] == pytest.approx(5 / 17.5)


def test_kitagawa_within_part_at_the_pooled_distribution():
    # cell A: men 10, 10 ; women 8      cell B: men 20 ; women 18, 18, 18
    # pooled weights: A 3/7, B 4/7; M* = 3/7 * 10 + 4/7 * 20 = 110/7, F* = 3/7 * 8 + 4/7 * 18
    # = 96/7; men's overall mean = 40/3, women's = 62/4 = 15.5
    f = pd.DataFrame(
        {
            "c": list("AAABBBB"),
            "pay": [10, 10, 8, 20, 18, 18, 18],
            "is_woman": [0, 0, 1, 0, 1, 1, 1],
        }
    )
    got = kitagawa(f, cell="c", pay="pay")
    m = 40 / 3
    assert got["total"] == pytest.approx((m - 15.5) / m)
    assert got["within"] == pytest.approx((110 / 7 - 96 / 7) / m)
    assert got["total"] == pytest.approx(got["within"] + got["composition"])


def test_fieller_agrees_with_the_delta_method_on_precise_means():
    rng = np.random.default_rng(11)
    a, b = rng.normal(95, 10, 4000), rng.normal(100, 10, 4000)
    r, lo, hi = fieller_ratio_of_means(a, b)
    se = r * np.sqrt(
        a.var(ddof=1) / len(a) / a.mean() ** 2 + b.var(ddof=1) / len(b) / b.mean() ** 2
    )
    assert lo == pytest.approx(r - 1.96 * se, abs=2e-4)
    assert hi == pytest.approx(r + 1.96 * se, abs=2e-4)


def test_fieller_is_unbounded_when_the_denominator_is_not_away_from_zero():
    r, lo, hi = fieller_ratio_of_means([1.0, 2.0, 3.0], [-5.0, 0.1, 5.0])
    assert np.isnan(lo) and np.isnan(hi)


def test_interval_p_value_and_mde_on_a_known_process():
    """Log-normal pay, 30 men and 15 women, SD 0.25; women's mean 95% of men's (gap 0.05).

    The Fieller interval covers the process gap in [0.90, 0.99] of 400 draws (observed 0.95);
    with no gap the permutation test rejects at 5% within 3 Monte-Carlo SE of 0.05 (0.0475);
    at a true gap equal to the mean minimum detectable gap it rejects within 3 SE of the 80%
    power the gap is computed for (0.78).
    """
    from pathaudit.paygap._formulas import mean_gap_interval, permutation_test

    rng = np.random.default_rng(2024)
    n_m, n_w, sd, mu = 30, 15, 0.25, np.log(50000)
    who = np.r_[np.zeros(n_m, bool), np.ones(n_w, bool)]
    covered, rejected, mdes = [], [], []
    for i in range(400):
        _, lo, hi = mean_gap_interval(np.exp(rng.normal(mu, sd, n_m)),
                                      np.exp(rng.normal(mu + np.log(0.95), sd, n_w)))
        covered.append(lo <= 0.05 <= hi)
        pay = np.exp(rng.normal(mu, sd, n_m + n_w))
        p, mde = permutation_test(pay, who, permutations=199, seed=i)
        rejected.append(p < 0.05)
        mdes.append(mde)
    assert 0.90 <= np.mean(covered) <= 0.99
    assert abs(np.mean(rejected) - 0.05) <= 3 * np.sqrt(0.05 * 0.95 / 400)
    power = []
    for i in range(400):
        pay = np.r_[np.exp(rng.normal(mu, sd, n_m)),
                    np.exp(rng.normal(mu + np.log(1 - np.mean(mdes)), sd, n_w))]
        power.append(permutation_test(pay, who, permutations=199, seed=1000 + i)[0] < 0.05)
    assert abs(np.mean(power) - 0.8) <= 3 * np.sqrt(0.8 * 0.2 / 400)


def test_the_permutation_draws_are_the_argsort_of_uniform_keys_in_blocks():
    """The women drawn per permutation are ``argsort(keys) < n_w`` of one stream of keys.

    The sort of marked keys gives the argsort's selection, ties included (ranked by their
    argsort), and drawing and summing in blocks of rows gives the same row sums: the
    p-value and MDE equal those of the one-block argsort they replace, bit for bit.
    """
    from pathaudit.paygap import _formulas
    from pathaudit.paygap._formulas import _first_of_sorted, gap, mde_normal, permutation_test

    rng = np.random.default_rng(7)
    keys = rng.random((30, 200))
    tied = np.round(rng.random((30, 40)), 2)  # many equal keys
    for k in (1, 17, 199):
        assert (_first_of_sorted(keys, k) == (np.argsort(keys, axis=1) < k)).all()
    for k in (1, 9, 39):
        assert (_first_of_sorted(tied, k) == (np.argsort(tied, axis=1) < k)).all()

    def one_block(x, w, seed, permutations=999):
        n_w = int(w.sum())
        perm_w = np.argsort(np.random.default_rng(seed).random((permutations, len(x))),
                            axis=1) < n_w
        sum_w = (perm_w * x).sum(axis=1)
        perm = 1 - (sum_w / n_w) / ((x.sum() - sum_w) / (len(x) - n_w))
        p = (1 + int((np.abs(perm) >= abs(gap(x[~w], x[w])) - 1e-12).sum())) / (
            1 + permutations)
        return p, mde_normal(float(perm.std(ddof=1)))

    for n in (5, 300, 5000):
        x = np.exp(rng.normal(10, 0.4, n))
        w = np.arange(n) % 3 == 0
        assert permutation_test(x, w, seed=n) == one_block(x, w, seed=n)
    old = _formulas._BLOCK
    try:
        _formulas._BLOCK = 1000  # several blocks of rows, and one row per block
        for n in (300, 5000):
            x = np.exp(rng.normal(10, 0.4, n))
            w = np.arange(n) % 4 == 0
            assert permutation_test(x, w, seed=1) == one_block(x, w, seed=1)
    finally:
        _formulas._BLOCK = old


def test_article10_status_change_between_two_reports():
    first = pd.DataFrame(
        {"category": ["grade 4", "grade 5", "grade 6"], "mean_gap": [0.03, 0.065, 0.08]}
    )
    s1 = article10_status(first, justified={"grade 6": "shift allowance for night work"})
    assert s1["status"].tolist() == ["below threshold", "open: remedy within 6 months", "justified"]
    later = pd.DataFrame(
        {"category": ["grade 4", "grade 5", "grade 6"], "mean_gap": [0.03, 0.01, 0.08]}
    )
    from datetime import date

    in_time = article10_status(
        later,
        previous=first,
        submitted=date(2025, 7, 15),
        measured=date(2025, 12, 31),
        justified={"grade 6": "shift allowance for night work"},
    )
    assert in_time["status"].tolist() == ["below threshold", "remedied", "justified"]
    late = article10_status(
        later, previous=first, submitted=date(2025, 5, 1), measured=date(2025, 12, 31)
    )
    assert late["status"].tolist() == [
        "below threshold",
        "joint pay assessment required",
        "joint pay assessment required",
    ]
    # 5% exactly is "at or above"
    edge = article10_status(pd.DataFrame({"category": ["x"], "mean_gap": [0.05]}))
    assert bool(edge["at_or_above"].iloc[0])


def test_snapshot_dates():
    assert snapshot_date(pd.Timestamp("2025-04-05")) == pd.Timestamp("2025-04-05")
    assert snapshot_date(pd.Timestamp("2025-04-04")) == pd.Timestamp("2024-04-05")
    assert snapshot_date(pd.Timestamp("2025-12-31"), True) == pd.Timestamp("2025-03-31")


# --------------------------------------------------------------------------- UK fixture

UK_PEOPLE = [
    # id, sex, hourly rate, bonus in the 12 months (date, amount), reduced-pay leave
    ("p01", "F", 10, ("2024-12-15", 2000), None),
    ("p02", "F", 10, ("2024-03-01", 9000), None),  # paid before the 12 months: not counted
    ("p03", "M", 10, ("2024-12-15", 1000), None),
    ("p04", "F", 12, None, None),
    ("p05", "M", 12, None, None),
    ("p06", "M", 12, None, None),
    ("p07", "F", 15, None, None),
    ("p08", "M", 15, None, None),
    ("p09", "M", 20, ("2024-12-15", 3000), None),
    ("p10", "M", 30, ("2025-01-31", 8000), None),
    ("p11", "F", 5, ("2024-12-15", 500), "true"),  # on reduced pay: out of the hourly figures
    ("p12", "non-binary", 11, None, None),  # counted, not compared
]


def uk_org(k: int = 1) -> AuditData:
    jobs, persons = [], []
    for pid, sex, rate, bonus, leave in UK_PEOPLE:
        base = dict(
            employee_id=pid,
            track="IC",
            grade=4,
            base_salary=rate * HOURS,
            fte=1.0,
            contracted_hours=35.0,
            reduced_pay_leave=leave or "false",
        )
        jobs.append(base | dict(effective_date="2020-01-01"))
        if bonus is not None:
            jobs.append(
                base | dict(effective_date=bonus[0], bonus_paid=bonus[1], bonus_paid_date=bonus[0])
            )
        persons.append(dict(employee_id=pid, hire_date="2020-01-01", gender=sex))
    return org(jobs, persons, as_of="2025-12-31", k=k)


def test_uk_six_figures_by_hand():
    res = pathaudit.uk_gender_pay_gap(uk_org(), bootstrap=200, permutations=99, filing=True)
    pay = res.part("pay_gaps").table.set_index(["scope", "statistic"])
    # full-pay women 10, 10, 12, 15 (mean 11.75, median 11); men 10, 12, 12, 15, 20, 30
    # (mean 16.5, median 13.5)
    assert pay.loc[("overall", "mean"), "estimate"] == pytest.approx(4.75 / 16.5)
    assert pay.loc[("overall", "median"), "estimate"] == pytest.approx(2.5 / 13.5)
    assert pay.loc[("overall", "mean"), "n_women"] == 4
    # bonus among recipients in the 12 months to 5 April 2025: men 1000, 3000, 8000; women
    # 2000, 500 (p11 on leave still counts; p02's bonus is older)
    b = res.part("bonus").table.set_index(["scope", "measure"])
    assert b.loc[("overall", "mean bonus gap"), "estimate"] == pytest.approx(2750 / 4000)
    # the median of two women's bonuses is hidden in public (k = 1 on either side), filed
    assert np.isnan(b.loc[("overall", "median bonus gap"), "estimate"])
    filed = res.filing.part("bonus").table.set_index(["scope", "measure"])
    assert filed.loc[("overall", "median bonus gap"), "estimate"] == pytest.approx(1750 / 3000)
    assert b.loc[("overall", "share of women paid a bonus"), "estimate"] == pytest.approx(2 / 5)
    assert b.loc[("overall", "share of men paid a bonus"), "estimate"] == pytest.approx(3 / 6)
    q = res.part("quartiles").table
    q = q.loc[q["scope"] == "overall"]
    assert q["share_women"].tolist() == pytest.approx([2 / 3, 0.4, 13 / 30, 0.1])
    head = res.headline().set_index("key")
    assert head.loc["uk_mean_hourly_gap", "estimate"] == pytest.approx(4.75 / 16.5)
    assert bool(head.loc["uk_mean_hourly_gap", "primary"])
    assert head.loc["uk_upper_quartile_share_women", "estimate"] == pytest.approx(0.1)
    # the 0 unknown is below k = 1, so the public table hides the next-smallest count too
    count = res.filing.part("headcount").table.set_index(["scope", "sex"])["n"]
    assert count[("overall", "other")] == 1 and count[("overall", "women")] == 5
    assert count[("overall", "men")] == 6 and count[("overall", "unknown")] == 0
    assert any("gender other than female or male" in n.text for n in res.notes)


def test_uk_hourly_pay_takes_the_pay_periods_bonus_pro_rated():
    # base 36525 a year, 35 hours a week, a bonus of 3652.5 paid in April 2025 (the snapshot's
    # pay period): (36525 + 3652.5) * 7 / 365.25 / 35 = 22
    jobs = [
        dict(
            employee_id="a",
            effective_date="2020-01-01",
            grade=4,
            base_salary=36525.0,
            contracted_hours=35.0,
        ),
        dict(
            employee_id="a",
            effective_date="2025-04-01",
            grade=4,
            base_salary=36525.0,
            contracted_hours=35.0,
            bonus_paid=3652.5,
            bonus_paid_date="2025-04-01",
        ),
    ]
    data = org(
        jobs, [dict(employee_id="a", hire_date="2020-01-01", gender="F")], as_of="2025-12-31"
    )
    f = uk_frame(data, pd.Timestamp("2025-04-05"), Assumptions(37.5, False))
    assert f["hourly"].iloc[0] == pytest.approx(22.0)
    assert f["bonus_12m"].iloc[0] == pytest.approx(3652.5)


def test_uk_needs_paid_bonuses_for_the_bonus_figures():
    jobs = [
        dict(
            employee_id=f"e{i}",
            effective_date="2020-01-01",
            grade=4,
            base_salary=30000.0 + 1000 * i,
            variable_pay=5000.0,
        )
        for i in range(6)
    ]
    persons = [
        dict(employee_id=f"e{i}", hire_date="2020-01-01", gender="MF"[i % 2]) for i in range(6)
    ]
    res = pathaudit.uk_gender_pay_gap(
        org(jobs, persons, as_of="2025-12-31"), bootstrap=0, permutations=0
    )
    assert res.bonus is None and "bonus_paid" in res.not_computed()["bonus"]
    head = res.headline().set_index("key")
    assert head.loc["uk_mean_bonus_gap", "status"] == "not computed"


def test_uk_several_legal_employers_need_one_chosen():
    data = uk_org()
    h = data.history.copy()
    h["legal_employer"] = np.where(h["employee_id"] < "p06", "Alpha Ltd", "Beta Ltd")
    import dataclasses

    two = dataclasses.replace(data, history=h.astype({"legal_employer": "string"}))
    with pytest.raises(ArgumentError, match="legal employers"):
        pathaudit.uk_gender_pay_gap(two)
    res = pathaudit.uk_gender_pay_gap(two, legal_employer="Alpha Ltd", bootstrap=0, permutations=0)
    assert res.settings["relevant_employees"] == 5


# --------------------------------------------------------------------------- EU fixture


def eu_jobs(raise_women_5: bool = False) -> tuple[list[dict], list[dict]]:
    """Eight workers employed all 2024, 40 hours a week; grade 5 crosses 5%.

    grade 4: men 50000 (+2000 bonus), 50000; women 48000 (+1000 bonus), 49000
    grade 5: men 60000, 62000; women 57000, 57000 (raised to 61000 on 1 Sept 2025 when
    ``raise_women_5``)
    """
    rows = [
        ("m1", "M", 4, 50000, 2000),
        ("m2", "M", 4, 50000, 0),
        ("w1", "F", 4, 48000, 1000),
        ("w2", "F", 4, 49000, 0),
        ("m3", "M", 5, 60000, 0),
        ("m4", "M", 5, 62000, 0),
        ("w3", "F", 5, 57000, 0),
        ("w4", "F", 5, 57000, 0),
    ]
    jobs, persons = [], []
    for pid, sex, grade, base, bonus in rows:
        job = dict(
            employee_id=pid,
            effective_date="2023-01-01",
            grade=grade,
            track="IC" if pid in ("m1", "w1", "m3", "w3") else "M",
            base_salary=float(base),
            contracted_hours=40.0,
        )
        jobs.append(job)
        if bonus:
            jobs.append(
                job
                | dict(
                    effective_date="2024-06-30",
                    bonus_paid=float(bonus),
                    bonus_paid_date="2024-06-30",
                )
            )
        if raise_women_5 and sex == "F" and grade == 5:
            jobs.append(job | dict(effective_date="2025-09-01", base_salary=61000.0))
        persons.append(dict(employee_id=pid, hire_date="2023-01-01", gender=sex))
    return jobs, persons


def test_eu_indicators_by_hand():
    jobs, persons = eu_jobs()
    res = pathaudit.eu_pay_transparency(
        org(jobs, persons, as_of="2025-06-30"), bootstrap=200, permutations=99, filing=True
    )
    assert res.settings["period"] == ("2024-01-01", "2024-12-31")
    # one man's and one woman's bonus: their medians are hidden in public, filed
    public = res.part("pay_gaps").table.set_index(["indicator", "basis", "scope"])
    assert np.isnan(public.loc[("d", "annual", "overall"), "estimate"])
    g = res.filing.part("pay_gaps").table.set_index(["indicator", "basis", "scope"])
    # (a) annual: men 52000, 50000, 60000, 62000 (mean 56000); women 49000, 49000, 57000,
    # 57000 (mean 53000): 3000 / 56000; (c) medians 56000 and 53000: the same
    for basis in ("annual", "hourly"):  # same hours for all: hourly gaps = annual gaps
        assert g.loc[("a", basis, "overall"), "estimate"] == pytest.approx(3 / 56)
        assert g.loc[("c", basis, "overall"), "estimate"] == pytest.approx(3 / 56)
        # (b), (d) among recipients: men 2000, women 1000
        assert g.loc[("b", basis, "overall"), "estimate"] == pytest.approx(0.5)
        assert g.loc[("d", basis, "overall"), "estimate"] == pytest.approx(0.5)
    # hourly level: 56000 / (40 * 365.25 / 7) for men
    assert g.loc[("a", "hourly", "overall"), "men_value"] == pytest.approx(
        56000 / (40 * 365.25 / 7)
    )
    # within the IC track: men 52000, 60000 (56000); women 49000, 57000 (53000)
    assert g.loc[("a", "annual", "IC"), "estimate"] == pytest.approx(3 / 56)
    e = res.part("variable_shares").table.set_index(["scope", "sex"])["estimate"]
    assert e[("overall", "women")] == pytest.approx(0.25)
    assert e[("overall", "men")] == pytest.approx(0.25)
    # (f) N = 8, two per quartile: women 49000, 49000 | men 50000, 52000 | women 57000, 57000 |
    # men 60000, 62000 (annual; hourly the same order)
    q = res.filing.part("quartiles").table
    for basis in ("annual", "hourly"):
        qb = q.loc[(q["basis"] == basis) & (q["scope"] == "overall")]
        assert qb["women"].tolist() == pytest.approx([2, 0, 2, 0])
    c = res.part("categories").table.set_index(["category", "component", "basis"])
    # grade 4 total: men 52000, 50000 (51000), women 49000, 49000: 2000 / 51000
    assert c.loc[("grade 4", "total", "annual"), "estimate"] == pytest.approx(2 / 51)
    assert c.loc[("grade 4", "basic", "annual"), "estimate"] == pytest.approx(1500 / 50000)
    assert c.loc[("grade 4", "variable", "annual"), "estimate"] == pytest.approx(0.5)
    # grade 5 crosses 5%: men 61000, women 57000
    assert c.loc[("grade 5", "total", "annual"), "estimate"] == pytest.approx(4 / 61)
    assert bool(c.loc[("grade 5", "total", "hourly"), "at_or_above"])
    assert not bool(c.loc[("grade 4", "total", "hourly"), "at_or_above"])
    a10 = res.part("article10").table.set_index("category")
    assert a10.loc["grade 5", "status"] == "open: remedy within 6 months"
    assert a10.loc["grade 4", "status"] == "below threshold"
    assert a10.loc["grade 5", "share_women"] == pytest.approx(0.5)
    head = res.headline().set_index("key")
    assert head.loc["eu_categories_at_threshold", "estimate"] == 1
    assert head.loc["eu_categories_at_threshold", "status"] == "flagged"
    assert any("Article 10(2)" in n.text and "leave records" in n.text for n in res.notes)


def test_eu_annual_pay_is_averaged_over_the_days_employed():
    # 40000 from 1 Jan to 30 Jun 2024 (182 days), 50000 from 1 Jul (184 days), fte 0.8
    jobs = [
        dict(employee_id="a", effective_date="2023-01-01", grade=4, base_salary=40000.0, fte=0.8),
        dict(employee_id="a", effective_date="2024-07-01", grade=4, base_salary=50000.0, fte=0.8),
    ]
    data = org(
        jobs, [dict(employee_id="a", hire_date="2023-01-01", gender="F")], as_of="2025-06-30"
    )
    f = eu_frame(
        data, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"), Assumptions(37.5, False)
    )
    assert f["basic"].iloc[0] == pytest.approx(0.8 * (40000 * 182 + 50000 * 184) / 366)
    assert f["hours"].iloc[0] == pytest.approx(0.8 * 37.5 * 365.25 / 7)


def test_eu_article10_remedied_on_a_later_extract_read_back(tmp_path):
    jobs, persons = eu_jobs(raise_women_5=True)
    first = pathaudit.eu_pay_transparency(
        org(jobs, persons, as_of="2025-06-30"), bootstrap=0, permutations=0, filing=True
    )
    first.write_filing(tmp_path / "first")
    assert (tmp_path / "first" / FILING_README).is_file()
    later = org(jobs, persons, as_of="2025-12-31")
    kwargs = dict(
        period=("2025-10-01", "2025-12-31"),
        previous=tmp_path / "first",
        bootstrap=0,
        permutations=0,
    )
    remedied = pathaudit.eu_pay_transparency(later, submitted="2025-07-15", **kwargs)
    a10 = remedied.part("article10").table.set_index("category")
    assert a10.loc["grade 5", "previous_gap"] == pytest.approx(4 / 61)
    assert a10.loc["grade 5", "estimate"] == pytest.approx(0.0)
    assert a10.loc["grade 5", "status"] == "remedied"
    too_late = pathaudit.eu_pay_transparency(later, submitted="2025-05-01", **kwargs)
    assert (
        too_late.part("article10").table.set_index("category").loc["grade 5", "status"]
        == "joint pay assessment required"
    )
    justified = pathaudit.eu_pay_transparency(
        later, submitted="2025-05-01", justified={"grade 5": "on-call allowance"}, **kwargs
    )
    row = justified.part("article10").table.set_index("category").loc["grade 5"]
    assert row["status"] == "justified" and row["criterion"] == "on-call allowance"


def test_filing_output_holds_what_public_output_suppresses(tmp_path):
    jobs, persons = eu_jobs()
    data = org(jobs, persons, as_of="2025-06-30", k=3)
    public = pathaudit.eu_pay_transparency(data, bootstrap=0, permutations=0)
    assert public.filing is None
    with pytest.raises(PathauditError, match="filing=True"):
        public.write_filing(tmp_path / "x")
    res = pathaudit.eu_pay_transparency(data, bootstrap=0, permutations=0, filing=True)
    cat = res.part("categories").table
    assert cat["suppressed"].all()  # 2 men and 2 women per grade, k = 3
    filed = res.filing.part("categories").table
    assert not filed["suppressed"].any()
    assert "RESTRICTED" in res.filing.part("categories").meta["restricted"]
    res.write_filing(tmp_path / "restricted")
    back = read_output(tmp_path / "restricted")["eu_pay_transparency"].parts["categories"]
    # every figure read back as filed (grade 5 has no variable pay: its gap is undefined)
    np.testing.assert_allclose(
        back.table["estimate"].to_numpy(float), filed["estimate"].to_numpy(float), equal_nan=True
    )
    assert back.table["estimate"].notna().sum() == 10


def test_eu_arguments_are_checked():
    jobs, persons = eu_jobs()
    data = org(jobs, persons, as_of="2025-06-30")
    with pytest.raises(ArgumentError, match="basis"):
        pathaudit.eu_pay_transparency(data, basis="weekly")
    with pytest.raises(ArgumentError, match="submitted"):
        pathaudit.eu_pay_transparency(data, previous=".")
    with pytest.raises(ArgumentError, match="period"):
        pathaudit.eu_pay_transparency(data, period=("2024-12-31", "2024-01-01"))


def test_eu_user_categories_and_sensitivity():
    jobs, persons = eu_jobs()
    data = org(jobs, persons, as_of="2025-06-30")
    res = pathaudit.eu_pay_transparency(
        data, categories={4: "Band A", 5: "Band A"}, bootstrap=0, permutations=0
    )
    c = res.part("categories").table.set_index(["category", "component", "basis"])
    # one category: the overall total gap 3000 / 56000
    assert c.loc[("Band A", "total", "annual"), "estimate"] == pytest.approx(3 / 56)
    s = res.part("sensitivity").table
    assert set(s["grouping"]) == {"category", "grade x track", "two-grade band"}
    band = s.loc[s["grouping"] == "two-grade band"]
    assert band["group"].tolist() == ["grades 4-5"]


def test_the_audit_writes_the_filing_output_only_when_asked(tmp_path):
    from pathaudit.audit import FILING_DIR, describe_files, run_audit

    jobs, persons = eu_jobs()
    data = org(jobs, persons, as_of="2025-06-30", k=3)
    kwargs = dict(analyses=["eu_pay_transparency"], charts=False, report=False)
    run_audit(data, tmp_path / "public", **kwargs)
    assert not (tmp_path / "public" / FILING_DIR).exists()
    run_audit(data, tmp_path / "filed", filing=True, **kwargs)
    restricted = tmp_path / "filed" / FILING_DIR
    assert (restricted / FILING_README).read_text().startswith("# Restricted")
    back = read_output(restricted)["eu_pay_transparency"].parts["categories"].table
    assert not back["suppressed"].any()
    public = read_output(tmp_path / "filed")["eu_pay_transparency"].parts["categories"].table
    assert public["suppressed"].all()  # k = 3: two men and two women per grade
    described = dict(describe_files(tmp_path / "filed"))
    assert described[f"{FILING_DIR}/{FILING_README}"].startswith("RESTRICTED")


# --------------------------------------------------------------------------- simulated truth


def _category_study(sims) -> pd.DataFrame:
    """Per organisation and category: the EU mean gap on the people employed on as-of."""
    frames = []
    for i, sim in enumerate(sims):
        d = sim.data
        res = pathaudit.eu_pay_transparency(d, period=(d.as_of, d.as_of), parts=["categories"],
                                            bootstrap=0, permutations=0, k=1)
        t = res.part("categories").table
        t = t.loc[t["component"] == "total"].assign(draw=i)
        truth = sim.truth["pay"]["eu_category_gap"]
        t["truth"] = [truth[b].get(c.removeprefix("grade "), np.nan)
                      for b, c in zip(t["basis"], t["category"], strict=True)]
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


@pytest.mark.coverage_study
def test_category_gap_recovers_the_truth_and_its_interval_covers_the_process():
    """200 small organisations (about 120 employed on as-of), categories = grades.

    truth.json's ``eu_category_gap`` is the mean gap in expected pay of the people employed on
    as-of (conditional on who they are): the estimate recovers it (mean error within 3
    Monte-Carlo standard errors). The Fieller interval is about the pay-setting process (each
    person's pay a draw for their sex and category), so it is checked against the process-level
    gap: per organisation, the ratio of men's and women's pooled mean pay in the category over
    the other 199 organisations (leave-one-out, independent of the draw), where it must cover
    within [0.90, 0.99]. Against the conditional truth it is conservative (reported, and held
    to at least 0.95): it also counts as noise the differences in tenure, family and location
    within a category that the conditional truth fixes.
    """
    df = _category_study(cached_organisations(200))
    ok = (np.isfinite(df["ci_lower"]) & np.isfinite(df["truth"])
          & (df["n_men"] >= 10) & (df["n_women"] >= 10))  # the table of minimums
    # process-level gap per (basis, category) from the other organisations
    df["sum_w"] = df["women_value"] * df["n_women"]
    df["sum_m"] = df["men_value"] * df["n_men"]
    cols = ["sum_w", "sum_m", "n_women", "n_men"]
    total = df.groupby(["basis", "category"])[cols].transform("sum")
    other = total - df[cols].fillna(0.0)
    process = 1 - (other["sum_w"] / other["n_women"]) / (other["sum_m"] / other["n_men"])
    rows = df.loc[ok]
    assert len(rows) >= 400  # both bases: about 230 category-organisations each
    for basis in ("annual", "hourly"):
        b = rows.loc[rows["basis"] == basis]
        err = b["estimate"] - b["truth"]
        assert abs(err.mean()) <= 3 * err.std() / np.sqrt(len(b)), basis
        p = process.loc[b.index]
        covered = ((b["ci_lower"] <= p) & (p <= b["ci_upper"])).mean()
        assert 0.90 <= covered <= 0.99, (basis, covered)
        conditional = ((b["ci_lower"] <= b["truth"]) & (b["truth"] <= b["ci_upper"])).mean()
        assert conditional >= 0.95, (basis, conditional)


def test_truth_states_the_category_gap_for_both_bases():
    from pathaudit.simulate import simulate
    from pathaudit.simulate.config import small

    sim = simulate(small(), 7)
    eu = sim.truth["pay"]["eu_category_gap"]
    assert set(eu) == {"annual", "hourly"} and eu["hourly"]
    assert set(eu["hourly"]) == set(eu["annual"])
    assert all(-1 < v < 1 for v in eu["hourly"].values())


def test_a_suppressed_earlier_report_says_its_categories_cannot_be_tracked(tmp_path):
    from pathaudit.output import write_analysis

    jobs, persons = eu_jobs(raise_women_5=True)
    first = pathaudit.eu_pay_transparency(org(jobs, persons, as_of="2025-06-30", k=3),
                                          bootstrap=0, permutations=0)
    write_analysis(first, tmp_path / "public", 3)  # two men and two women a grade: hidden
    later = pathaudit.eu_pay_transparency(
        org(jobs, persons, as_of="2025-12-31"), period=("2025-10-01", "2025-12-31"),
        previous=tmp_path / "public", submitted="2025-07-15", bootstrap=0, permutations=0)
    assert any(n.part == "article10" and "filing output" in n.text for n in later.notes)
    a10 = later.part("article10").table.set_index("category")
    assert a10["previous_gap"].isna().all() and a10.loc["grade 5", "status"] == "below threshold"


def test_a_bonus_gap_needs_k_women_and_k_men_paid_a_bonus():
    res = pathaudit.uk_gender_pay_gap(uk_org(k=3), bootstrap=0, permutations=0)
    b = res.part("bonus").table.set_index(["scope", "measure"])
    # two women were paid a bonus (k = 3): the gap is hidden; 5 women and 6 men are counted
    assert bool(b.loc[("overall", "mean bonus gap"), "suppressed"])
    assert np.isnan(b.loc[("overall", "mean bonus gap"), "estimate"])
    assert b.loc[("overall", "share of women paid a bonus"), "estimate"] == pytest.approx(0.4)


def test_the_pay_gap_fields_load_from_an_export(tmp_path):
    """The optional fields map like any column; a bonus paid reaches the UK bonus figures."""
    import shutil

    from pathaudit.sample import sample_dir

    for f in ("history.csv", "people.csv", "ladder.csv", "map.toml"):
        shutil.copy(sample_dir() / f, tmp_path / f)
    h = pd.read_csv(tmp_path / "history.csv", dtype=str)
    rng = np.random.default_rng(5)
    h["Weekly Hours"] = np.where(h["FTE %"] == "100", "40", "32")
    paid = rng.random(len(h)) < 0.3
    h["Bonus Paid"] = np.where(paid, "1500", "")
    h["Bonus Date"] = np.where(paid, h["Effective Date"], "")
    h["On Leave Reduced Pay"] = np.where(rng.random(len(h)) < 0.02, "Yes", "No")
    h["Legal Entity"] = "Example GmbH"
    h.to_csv(tmp_path / "history.csv", index=False)
    text = (tmp_path / "map.toml").read_text().replace(
        '[columns.history]\n',
        '[columns.history]\ncontracted_hours = "Weekly Hours"\nbonus_paid = "Bonus Paid"\n'
        'bonus_paid_date = "Bonus Date"\nreduced_pay_leave = "On Leave Reduced Pay"\n'
        'legal_employer = "Legal Entity"\n', 1)
    values = '[values.reduced_pay_leave]\nYes = "true"\nNo = "false"\n\n'
    text = text.replace("[files]\n", values + "[files]\n", 1)
    text = "\n".join(ln for ln in text.splitlines()
                     if not ln.startswith(("bands =", "ratings =", "adoption =")))
    (tmp_path / "map.toml").write_text(text + "\n")
    data = pathaudit.load(tmp_path, tmp_path / "map.toml")
    assert data.quality.fatal == []
    assert data.history["contracted_hours"].isin([40.0, 32.0]).all()
    assert set(data.history["reduced_pay_leave"].dropna()) == {"true", "false"}
    assert (data.history["legal_employer"] == "Example GmbH").all()
    res = pathaudit.uk_gender_pay_gap(data, bootstrap=0, permutations=0)
    assert res.bonus is not None and "bonus" not in res.not_computed()
    head = res.headline().set_index("key")
    assert np.isfinite(head.loc["uk_mean_bonus_gap", "estimate"])
    assert not any("no contracted_hours" in n.text or "no legal_employer" in n.text
                   for n in res.notes)


def test_an_export_without_variable_pay_says_so():
    jobs = [dict(employee_id=f"e{i}", effective_date="2020-01-01", grade=4,
                 base_salary=30000.0 + 1000 * i) for i in range(8)]
    persons = [dict(employee_id=f"e{i}", hire_date="2020-01-01", gender="MF"[i % 2])
               for i in range(8)]
    res = pathaudit.eu_pay_transparency(org(jobs, persons, as_of="2025-12-31"), bootstrap=0,
                                        permutations=0)
    assert any("no complementary or variable pay" in n.text for n in res.notes)
    shares = res.part("variable_shares").table
    assert (shares.loc[shares["scope"] == "overall", "estimate"] == 0).all()
