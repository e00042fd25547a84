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
    assert attacked == 4 and not exposed


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
    assert [(e.table, e.row, e.column) for e in exposed] == [(("rates", "by"), 1, "events")]
    shown = publish({"rates": res}, 5)["rates"]
    # grade 1 of IC (the next-smallest sibling) goes; 6 exits hidden between them
    assert shown.tables["by"]["suppressed"].tolist() == [True, True, False, False]
    assert not attack({"rates": shown})[0]


def _assert_protected(results: dict, where: str) -> int:
    exposed, attacked = attack(results)
    assert not exposed, f"{where}: {exposed[:5]}"
    return attacked


def test_every_file_of_the_sample_audit_is_protected(sample_audit):
    attacked = 0
    for name, stored in read_output(sample_audit[0]).items():
        attacked += _assert_protected(stored.parts, name)
    assert attacked > 0  # the attacker had suppressed cells in relations to work on


def test_a_small_simulated_organisation_with_many_small_cells_is_protected(tmp_path):
    data = simulate(config.small(), 3, truth=False).data
    data.config.setdefault("privacy", {})["min_cell_size"] = 10  # many small cells
    assert data.min_cell_size == 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_audit(data, tmp_path)
    attacked = 0
    for name, stored in read_output(tmp_path).items():
        attacked += _assert_protected(stored.parts, name)
    assert attacked > 0
