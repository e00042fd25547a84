import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pathaudit
from pathaudit.output import publish
from pathaudit.result import SUPPRESSED_MARK, Table, make_result, suppress
from pathaudit.simulate import config, simulate


def _table(ns):
    return pd.DataFrame(
        {
            "grade": np.arange(len(ns)),
            "track": ["IC"] * len(ns),
            "estimate": np.linspace(1, 2, len(ns)),
            "ci_lower": np.linspace(0, 1, len(ns)),
            "ci_upper": np.linspace(2, 3, len(ns)),
            "n": ns,
        }
    )


def _result(table, **kw):
    return make_result(table, analysis="a", definition="d", method="m", population="p", k=5,
                       **kw)


def test_small_cells_blanked_and_marked():
    out = suppress(_table([3, 12, 40]), 5, groups=["track", "grade"])
    assert out["suppressed"].tolist() == [True, False, False]
    assert out.loc[0, ["estimate", "ci_lower", "ci_upper", "n"]].isna().all()
    assert out.loc[1, "estimate"] == 1.5


def test_complementary_suppression_hides_second_cell():
    t = _table([3, 12, 40])
    out = suppress(t, 5, groups=["track", "grade"], complementary_by=["track"])
    # one small cell in the group plus a displayed total would reveal it: the next smallest goes
    assert out["suppressed"].tolist() == [True, True, False]
    assert out["grade"].tolist() == [0, 1, 2]
    assert out.loc[1, ["estimate", "n"]].isna().all()
    assert out.loc[2, "estimate"] == 2.0


def test_a_suppressed_row_keeps_its_groups_and_loses_every_other_value():
    t = pd.DataFrame({
        "component": ["base", "base"],
        "grade": pd.array([7, 8], dtype="Int64"),
        "estimate": [0.1, 0.2],
        "n": [40, 4],
        "n_ic": [30, 3],
        "model": ["OLS", "OLS"],
        "conclusion": ["no gap shown", "a gap"],
        "flag": [True, True],
        "date": pd.to_datetime(["2024-01-01", "2024-01-01"]),
    })
    r = _result(t, groups=["component", "grade", "model"])
    out = r.table
    assert out["suppressed"].tolist() == [False, True]
    small = out.iloc[1]
    # the group columns stay: what the row describes
    assert (small["component"], int(small["grade"]), small["model"]) == ("base", 8, "OLS")
    # every other value goes: figures, counts, words and flags derived from them, dates
    for col in ("estimate", "n", "n_ic", "conclusion", "flag", "date"):
        assert pd.isna(small[col]), col
    # the shown row is untouched
    shown = out.iloc[0]
    assert (shown["estimate"], shown["n"], shown["conclusion"], bool(shown["flag"])) == (
        0.1, 40.0, "no gap shown", True)
    assert str(shown["date"].date()) == "2024-01-01"
    assert r.meta["groups"] == ["component", "grade", "model"]
    assert "table_groups" not in r.meta


def test_a_comparison_rests_on_its_smaller_side():
    t = pd.DataFrame({"grade": [1, 2], "estimate": [1.1, 0.9], "n": [50, 50],
                      "n_ic": [46, 3], "n_m": [4, 47]})
    out = _result(t, groups=["grade"], n_col=("n", "n_ic", "n_m")).table
    assert out["suppressed"].tolist() == [True, True]
    assert out[["estimate", "n", "n_ic", "n_m"]].isna().all().all()
    assert out["grade"].tolist() == [1, 2]


def test_extra_tables_declare_their_own_groups():
    curves = pd.DataFrame({"track": ["IC"] * 4, "time": [0.5, 1.0, 1.5, 2.0],
                           "estimate": [0.9, 0.8, 0.7, 0.6], "n": [20, 4, 9, 8],
                           "events": [1, 1, 1, 1]})
    shares = pd.DataFrame({"track": ["IC", "M"], "estimate": [0.3, 0.4], "n": [30, 2]})
    mids = pd.DataFrame({"grade": [1, 2], "band_mid": [50_000.0, 60_000.0]})
    r = _result(
        _table([30, 40]), groups=["track", "grade"],
        tables={
            "curves": Table(curves, ["track"], curve="time"),
            "share": (shares, ["track"]),
            "band_mids": Table(mids, ["grade"], n_col=None),
        },
    )
    c = r.tables["curves"]
    # the curve stops where fewer than k remain at risk (past its peak): later rows go too
    assert c["suppressed"].tolist() == [False, True, True, True]
    assert c["track"].tolist() == ["IC"] * 4
    assert c.loc[1:, ["time", "estimate", "events", "n"]].isna().all().all()
    s = r.tables["share"]
    assert s["suppressed"].tolist() == [False, True]
    assert s["track"].tolist() == ["IC", "M"] and np.isnan(s.loc[1, "estimate"])
    # a table of no people is published as built
    pd.testing.assert_frame_equal(r.tables["band_mids"], mids)
    assert r.meta["groups"] == ["track", "grade"]
    assert r.meta["table_groups"] == {"curves": ["track"], "share": ["track"],
                                      "band_mids": ["grade"]}


def test_group_and_count_columns_are_checked():
    with pytest.raises(ValueError, match="group columns"):
        _result(_table([30]), groups=["unit"])
    with pytest.raises(ValueError, match="count column"):
        _result(_table([30]), groups=["grade"], tables={"x": (pd.DataFrame({"a": [1]}), ["a"])})


def test_publish_reads_the_declared_groups():
    r = _result(_table([2, 30]), groups=["track", "grade"])
    out = publish({"a": r}, 5)
    pd.testing.assert_frame_equal(out["a"].table, r.table)
    bare = type(r)(table=r.table, meta={"k": 5})
    with pytest.raises(ValueError, match="declares no group columns"):
        publish({"bare": bare}, 5)


def test_display_shows_dash_not_zero():
    r = _result(_table([2, 30]), groups=["track", "grade"])
    shown = r.display_table()
    assert shown.loc[0, "estimate"] == SUPPRESSED_MARK
    assert "suppressed" in r.summary()
    assert "<table>" in r._repr_html_()
    assert r.meta["k"] == 5 and r.meta["alpha"] == 0.05


@settings(max_examples=100, deadline=None)
@given(ns=st.lists(st.integers(0, 30), min_size=1, max_size=12), k=st.integers(1, 11))
def test_no_unsuppressed_cell_below_k(ns, k):
    out = suppress(_table(ns), k, groups=["track", "grade"], complementary_by=["track"])
    shown = out.loc[~out["suppressed"]]
    assert (shown["n"] >= k).all()
    assert out["grade"].tolist() == list(range(len(ns)))
    # complementary rule: never exactly one suppressed cell in a group of several
    if len(ns) > 1 and out["suppressed"].any() and not out["suppressed"].all():
        assert out["suppressed"].sum() >= 2


def _every_table(result):
    yield "", result.table
    yield from result.tables.items()


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_no_published_row_of_any_analysis_rests_on_fewer_than_k_people(seed):
    data = simulate(config.small(), seed, truth=False).data
    k = 5
    assert data.min_cell_size == k
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small data: the analyses warn about their fits
        analyses = [pathaudit.pay_parity(data, bootstrap=50), pathaudit.time_to_promotion(data),
                    pathaudit.forced_management(data), pathaudit.attrition(data)]
    for res in analyses:
        for part, result in res.published().items():
            groups = result.meta["groups"]
            assert "groups" in result.meta and set(result.tables) <= set(
                result.meta.get("table_groups", {})), part
            for name, table in _every_table(result):
                if "n" not in table or not len(table):
                    continue
                where = f"{res.ANALYSIS}.{part}{'.' + name if name else ''}"
                shown = table.loc[~table["suppressed"].astype(bool)]
                assert not (pd.to_numeric(shown["n"]) < k).any(), where
                hidden = table.loc[table["suppressed"].astype(bool)]
                own = groups if not name else result.meta["table_groups"][name]
                values = [c for c in hidden.columns if c not in (*own, "suppressed")]
                assert hidden[values].isna().all().all() or name == "" and part in (
                    "profile", "scores"), where


def test_quantile_rule_needs_k_people_either_side_of_each_quantile():
    from pathaudit.result import Quantile, quantile_shown

    # median of n: floor((n-1)/2) below and as many above; with k = 5, n >= 11
    assert quantile_shown([5, 9, 10, 11], 0.5, 5).tolist() == [False, False, False, True]
    # p25 of 21: position 5, 5 people below, 15 above; of 20: position 4.75, 4 below
    assert quantile_shown([20, 21], 0.25, 5).tolist() == [False, True]
    assert quantile_shown([21], 0.75, 5).tolist() == [True]
    table = pd.DataFrame({"g": ["a", "b"], "estimate": [1.0, 2.0], "ci_lower": [0.5, 1.5],
                          "ci_upper": [1.5, 2.5], "mean": [1.1, 2.1], "n": [10, 11]})
    out = suppress(table, 5, groups=["g"],
                   quantiles={"estimate": Quantile(0.5, also=("ci_lower", "ci_upper"))})
    assert out["estimate"].isna().tolist() == [True, False]
    assert out["ci_upper"].isna().tolist() == [True, False]
    assert out["mean"].tolist() == [1.1, 2.1] and not out["suppressed"].any()
    # where=: only rows of that measure
    table["measure"] = ["ratio of medians", "ratio of means"]
    table["n"] = [10, 10]
    out = suppress(table, 5, groups=["g", "measure"],
                   quantiles={"estimate": Quantile(0.5, where=("measure", "ratio of medians"))})
    assert out["estimate"].isna().tolist() == [True, False]
