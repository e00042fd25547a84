"""Secondary suppression against the linear-programming attacker (docs/privacy.md)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from privacy_attack import attack

from pathaudit.audit import run_audit
from pathaudit.output import additive_relations, publish, read_output
from pathaudit.result import make_result
from pathaudit.simulate import config, simulate


def _margin_result(k: int = 5) -> dict:
    """One table with a margin: exits per track and quarter, and the 'all' row of each quarter.

    Quarter 1: IC 6 people 3 exits, M 2 people 1 exit, all 8 people 4 exits. The M row is
    below k; without secondary suppression all - IC gives the M quarter exactly.
    Quarter 2: IC 30 / 9, M 12 / 2, all 42 / 11 (nothing small).
    """
    table = pd.DataFrame({
        "quarter": ["Q1", "Q1", "Q1", "Q2", "Q2", "Q2"],
        "track": ["IC", "M", "all", "IC", "M", "all"],
        "exits": [3.0, 1.0, 4.0, 9.0, 2.0, 11.0],
        "person_years": [1.5, 0.5, 2.0, 7.0, 3.0, 10.0],
        "estimate": [2.0, 2.0, 2.0, 1.3, 0.7, 1.1],
        "ci_lower": np.nan, "ci_upper": np.nan,
        "n": [6, 2, 8, 30, 12, 42],
    })
    res = make_result(table, groups=["quarter", "track"], analysis="exits", definition="",
                      method="", population="", k=k)
    return {"turnover": res}


def test_the_attacker_recovers_a_cell_when_publish_is_bypassed():
    results = _margin_result()
    exposed, attacked = attack(results)  # as built: primary suppression only
    assert attacked >= 2
    hit = {(e.row, e.column): (e.low, e.high) for e in exposed}
    # all - IC: the single manager quarter's exits and person-time, exactly
    assert hit[(1, "exits")] == pytest.approx((1.0, 1.0))
    assert hit[(1, "person_years")] == pytest.approx((0.5, 0.5))


def test_publish_protects_the_margin_and_chooses_the_next_smallest_sibling():
    shown = publish(_margin_result(), 5)["turnover"].table
    # M is suppressed (2 < k); IC (the other part) goes too: 4 exits hidden between them
    assert shown["suppressed"].tolist() == [True, True, False, False, False, False]
    assert shown.loc[2, "exits"] == 4.0
    exposed, attacked = attack(publish(_margin_result(), 5))
    assert attacked == 6 and not exposed  # two cells: exits, person-time, people


def test_a_margin_hiding_fewer_than_four_exits_loses_its_total_too():
    results = _margin_result()
    t = results["turnover"].table
    t.loc[0, "exits"], t.loc[2, "exits"] = 1.0, 2.0  # IC 1 exit, M 1 exit: all 2
    shown = publish(results, 5)["turnover"].table
    # IC + M hide 2 exits only: each would be known to lie in [0, 2]; the total goes
    assert shown["suppressed"].tolist()[:3] == [True, True, True]
    assert not attack(publish(results, 5))[0]


def test_relations_are_kept_only_as_the_published_numbers_show_them():
    table = pd.DataFrame({
        "track": ["IC", "IC", "IC", "M", "M", "M"],
        "kind": ["all", "voluntary", "involuntary"] * 2,
        "events": [10.0, 6.0, 3.0, 8.0, 5.0, 2.0],  # "other" exits: all >= the sum
        "person_years": [50.0] * 3 + [40.0] * 3,  # the same person-time for each kind
        "n": [30] * 6,
    })
    frames = {("r", ""): table.assign(suppressed=False)}
    rel = additive_relations(frames, {("r", ""): ["track", "kind"]})
    assert {(r.columns, r.exact) for r in rel} == {(("events",), False)}


def test_a_total_across_tables_is_a_relation():
    by = pd.DataFrame({"track": ["IC", "IC", "M", "M"], "grade": [1, 2, 1, 2],
                       "events": [5.0, 1.0, 4.0, 7.0], "n": [20, 3, 15, 25]})
    total = by.groupby("track", as_index=False)[["events", "n"]].sum()
    res = make_result(total, groups=["track"], analysis="", definition="", method="",
                      population="", k=5,
                      tables={"by": (by, ["track", "grade"])})
    exposed, _ = attack({"rates": res})
    # its events and its people (IC 23 people = 20 + 3), each exactly
    assert [(e.table, e.row, e.column) for e in exposed] == [
        (("rates", "by"), 1, "events"), (("rates", "by"), 1, "n")]
    shown = publish({"rates": res}, 5)["rates"]
    # grade 1 of IC (the next-smallest sibling) goes; 6 exits hidden between them
    assert shown.tables["by"]["suppressed"].tolist() == [True, True, False, False]
    assert not attack({"rates": shown})[0]


def _assert_protected(results: dict, where: str) -> int:
    exposed, attacked = attack(results)
    assert not exposed, f"{where}: {exposed[:5]}"
    return attacked


def _assert_audit_protected(folder) -> int:
    """Every analysis of an audit folder under the attacker (the package's relations and
    its own), then all analyses at once under the attacker's own confirmed relations
    (relations across analyses: totals of one analysis's table over another's)."""
    attacked = 0
    together = {}
    for name, stored in read_output(folder).items():
        attacked += _assert_protected(stored.parts, name)
        together.update({f"{name}/{part}": res for part, res in stored.parts.items()})
    exposed, across = attack(together, package=False)
    assert not exposed, f"across analyses: {exposed[:5]}"
    assert across > 0
    return attacked


def test_every_file_of_the_sample_audit_is_protected(sample_audit):
    # the attacker had suppressed cells in relations to work on
    assert _assert_audit_protected(sample_audit[0]) > 0


def test_a_small_simulated_organisation_with_many_small_cells_is_protected(tmp_path):
    data = simulate(config.small(), 3, truth=False).data
    data.config.setdefault("privacy", {})["min_cell_size"] = 10  # many small cells
    assert data.min_cell_size == 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_audit(data, tmp_path, report=False, charts=False)
    assert _assert_audit_protected(tmp_path) > 0


def test_a_ten_person_export_is_protected(tmp_path):
    # the case: a full audit of ten people (two grades, two units, one switch,
    # three leavers) at k = 5, where nearly every group is small
    from test_one_track import _ten_person_export

    import pathaudit

    folder = _ten_person_export(tmp_path / "data", 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_audit(pathaudit.load(folder, folder / "map.toml"), tmp_path / "out", report=False,
                  charts=False)
    assert _assert_audit_protected(tmp_path / "out") > 0


def _mean_margin(k: int = 5) -> dict:
    """Mean pay per unit and year with an 'all' row; in 2023 unit B has 2 people (below k).
    2024, shown in full, confirms that the rows add up (n and mean x n)."""
    table = pd.DataFrame({
        "year": [2023] * 4 + [2024] * 4,
        "unit": ["A", "B", "C", "all"] * 2,
        "mean_pay": [60_000.0, 90_000.0, 55_000.0, 60_000.0,
                     60_000.0, 80_000.0, 50_000.0, 66_000.0],
        "n": [10, 2, 12, 24, 10, 10, 5, 25],
        "ci_lower": np.nan, "ci_upper": np.nan,
    })
    table["estimate"] = table["mean_pay"]
    return {"pay": make_result(table, groups=["year", "unit"], analysis="pay", definition="",
                               method="", population="", k=k)}


def test_the_attackers_own_relations_reach_what_the_package_does_not_derive():
    # publish bypassed: the package's relations know people counts, not mean x n = sum;
    # the attacker's own relations recover unit B's two people and their pay sum exactly
    results = _mean_margin()
    own = {(e.row, e.column): (e.low, e.high) for e in attack(results, package=False)[0]}
    assert own[(1, "n")] == pytest.approx((2.0, 2.0))
    assert own[(1, "sum_of_mean_pay")] == pytest.approx((180_000.0, 180_000.0))
    assert not any(e.column == "sum_of_mean_pay" for e in attack(results, own=False)[0])
    # published, a second unit goes too and neither size nor sum is pinned down
    shown = publish(results, 5)["pay"].table
    assert shown["suppressed"].tolist() == [True, True] + [False] * 6
    assert not attack(publish(results, 5))[0]


def _year_and_quarters(k: int = 5) -> dict:
    """Exits by year and by quarter (two years, one track): 2022Q3 has 3 people (below k);
    2021, shown in full, confirms that a year's exits are the sum of its quarters'."""
    quarters = pd.DataFrame({
        "period": [f"{y}Q{q}" for y in (2021, 2022) for q in range(1, 5)],
        "months": 3,
        "exits": [2.0, 3.0, 1.0, 2.0, 1.0, 2.0, 1.0, 3.0],
        "n": [40, 41, 40, 39, 12, 11, 3, 10],
        "estimate": np.nan, "ci_lower": np.nan, "ci_upper": np.nan,
    })
    years = pd.DataFrame({"period": ["2021", "2022"], "months": 12, "exits": [8.0, 7.0],
                          "n": [45, 14], "estimate": np.nan, "ci_lower": np.nan,
                          "ci_upper": np.nan})
    res = make_result(years, groups=["period", "months"], analysis="turnover", definition="",
                      method="", population="", k=k,
                      tables={"quarterly": (quarters, ["period", "months"])})
    return {"turnover": res}


def test_the_attacker_adds_up_a_years_quarters():
    # publish bypassed: 2022 minus its three shown quarters gives 2022Q3's one exit
    exposed = attack(_year_and_quarters())[0]
    hit = {(e.table, e.row, e.column): (e.low, e.high) for e in exposed}
    assert hit[(("turnover", "quarterly"), 6, "exits")] == pytest.approx((1.0, 1.0))


def test_publish_protects_a_quarter_against_its_year():
    shown = publish(_year_and_quarters(), 5)["turnover"]
    # 2022Q3 goes, and the next-smallest quarter of 2022 with it (2022Q4, 10 people)
    assert shown.tables["quarterly"]["suppressed"].tolist() == [False] * 6 + [True, True]
    assert not attack({"turnover": shown})[0]
