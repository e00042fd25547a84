"""Spells and exposure: hand-built histories with exact answers, and properties."""

from __future__ import annotations

from functools import partial

import builders
import numpy as np
import pandas as pd
import pytest
from builders import GRADES, YEAR, days, history, people
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathaudit.data import AuditData
from pathaudit.derived.calendar import fiscal_quarter_start, fiscal_quarters
from pathaudit.derived.population import exposure_person_codes
from pathaudit.derived.spells import CATEGORICAL_COLUMNS, derive_exposure, derive_spells
from pathaudit.errors import MapError
from pathaudit.io import schema

# --------------------------------------------------------------------------- builders

# the spell cases run from 2015 to 2023 with the package's default minimum cell size
audit = partial(builders.audit, extract="2023-12-31", start="2015-01-01", k=None)


def rule_count(data: AuditData, table: str, rule: str) -> int:
    return sum(i.n_rows for i in data.quality.issues if i.table == table and i.rule == rule)


def view(sp: pd.DataFrame) -> list[tuple]:
    return [
        (r.level, str(r.start.date()), str(r.stop.date()), r.end_reason)
        for r in sp.itertuples()
    ]


# --------------------------------------------------------------------------- hand-built


def test_promotion_then_censored():
    d = audit(
        history(("a", "2019-01-01", "IC3", 100), ("a", "2020-07-01", "IC4", 112)),
        people(("a", "2019-01-01")),
        extract="2021-12-31",
    )
    sp = derive_spells(d)
    assert view(sp) == [
        ("IC3", "2019-01-01", "2020-07-01", "promotion"),
        ("IC4", "2020-07-01", "2022-01-01", "censored"),
    ]
    assert sp["duration"].tolist() == pytest.approx([547 / YEAR, 549 / YEAR])
    first, second = sp.iloc[0], sp.iloc[1]
    assert (first.next_track, first.next_level, first.next_grade) == ("IC", "IC4", 4)
    assert (first.start_pay, first.end_pay, first.next_pay) == (100.0, 100.0, 112.0)
    assert pd.isna(second.next_track) and pd.isna(second.next_grade)
    assert np.isnan(second.next_pay)
    assert second.tenure_at_start == pytest.approx(547 / YEAR)
    assert sp["entry"].tolist() == [0.0, 0.0]
    assert sp["spell_id"].tolist() == [0, 1]
    assert not sp["start_imputed"].any()
    assert sp["gender"].tolist() == ["F", "F"]


def test_switch_to_m_and_back_with_precedence_over_grade():
    # IC4 (grade 4) -> M2 (grade 5): a switch, even though the grade rises
    # M2 -> IC4: a switch back, even though the grade falls
    d = audit(
        history(
            ("a", "2019-01-01", "IC4", 100),
            ("a", "2020-01-01", "M2", 120),
            ("a", "2021-01-01", "IC4", 118),
        ),
        people(("a", "2019-01-01", "2021-12-31", "voluntary")),
    )
    sp = derive_spells(d)
    assert view(sp) == [
        ("IC4", "2019-01-01", "2020-01-01", "switch_to_M"),
        ("M2", "2020-01-01", "2021-01-01", "switch_to_IC"),
        ("IC4", "2021-01-01", "2022-01-01", "exit_voluntary"),
    ]
    assert sp["track"].tolist() == ["IC", "M", "IC"]
    assert sp["next_track"].iloc[:2].tolist() == ["M", "IC"]
    assert sp["next_pay"].iloc[0] == 120.0


def test_demotion_and_lateral_and_pay_change_does_not_end_a_spell():
    d = audit(
        history(
            ("a", "2019-01-01", "M2", 150),
            ("a", "2019-06-01", "M2", 160),  # pay only: same spell
            ("a", "2020-01-01", "M1", 140),  # grade 5 -> 4: demotion
            ("a", "2020-06-01", "IC4", 140),  # track change: switch
            ("a", "2021-01-01", "IC4b", 140),  # same grade, new level code: lateral
        ),
        people(("a", "2019-01-01")),
        extract="2021-03-31",
    )
    sp = derive_spells(d)
    assert view(sp) == [
        ("M2", "2019-01-01", "2020-01-01", "demotion"),
        ("M1", "2020-01-01", "2020-06-01", "switch_to_IC"),
        ("IC4", "2020-06-01", "2021-01-01", "lateral"),
        ("IC4b", "2021-01-01", "2021-04-01", "censored"),
    ]
    assert (sp["start_pay"].iloc[0], sp["end_pay"].iloc[0]) == (150.0, 160.0)
    ex = derive_exposure(d)
    first = ex[ex["spell_id"] == 0]
    # split at the pay change (2019-06-01) and at quarter starts
    assert first["start"].dt.strftime("%Y-%m-%d").tolist() == [
        "2019-01-01", "2019-04-01", "2019-06-01", "2019-07-01", "2019-10-01"
    ]
    assert first["pay"].tolist() == [150.0, 150.0, 160.0, 160.0, 160.0]
    assert first["event"].tolist() == ["none"] * 4 + ["demotion"]


@pytest.mark.parametrize(
    ("ttype", "reason"),
    [
        ("voluntary", "exit_voluntary"),
        ("involuntary", "exit_involuntary"),
        ("other", "exit_other"),
    ],
)
def test_exit_types(ttype, reason):
    d = audit(
        history(("a", "2020-02-10", "IC3")),
        people(("a", "2020-02-10", "2020-11-20", ttype)),
    )
    sp = derive_spells(d)
    assert view(sp) == [("IC3", "2020-02-10", "2020-11-21", reason)]
    assert sp["duration"].iloc[0] == pytest.approx(days("2020-02-10", "2020-11-21") / YEAR)
    ex = derive_exposure(d)
    assert ex["event"].tolist() == ["none", "none", "none", reason]
    assert ex["person_years"].sum() == pytest.approx(285 / YEAR)


def test_exit_without_type_counts_as_other_and_is_counted():
    d = audit(history(("a", "2020-01-01", "IC3")), people(("a", "2020-01-01", "2020-06-30")))
    assert derive_spells(d)["end_reason"].tolist() == ["exit_other"]
    assert rule_count(d, "people", "missing_termination_type") == 1


def test_censoring_at_as_of():
    h = history(
        ("a", "2020-01-01", "IC3"),
        ("a", "2021-09-01", "IC4"),  # after as_of: ignored
        ("b", "2021-07-01", "IC2"),  # hired after as_of
    )
    p = people(
        ("a", "2020-01-01", "2021-10-31", "voluntary"),  # exit after as_of: not yet known
        ("b", "2021-07-01"),
    )
    d = audit(h, p, extract="2022-12-31", as_of="2021-06-30")
    sp = derive_spells(d)
    assert view(sp) == [("IC3", "2020-01-01", "2021-07-01", "censored")]
    assert rule_count(d, "history", "after_as_of") == 2
    assert rule_count(d, "people", "hired_after_as_of") == 1
    assert rule_count(d, "people", "termination_after_as_of") == 1
    ex = derive_exposure(d)
    assert ex["stop"].max() == pd.Timestamp("2021-07-01")
    assert ex["person_years"].sum() == pytest.approx(days("2020-01-01", "2021-07-01") / YEAR)
    assert ex["event"].iloc[-1] == "censored"


def test_with_as_of_matches_direct_as_of():
    h = history(("a", "2020-01-01", "IC3"), ("a", "2021-09-01", "IC4"))
    p = people(("a", "2020-01-01", "2022-03-31", "involuntary"))
    full = audit(h, p)
    assert view(derive_spells(full))[-1] == ("IC4", "2021-09-01", "2022-04-01", "exit_involuntary")
    early = full.with_as_of("2021-06-30")
    assert view(early.spells) == [("IC3", "2020-01-01", "2021-07-01", "censored")]


def test_same_day_double_records_last_in_file_order_wins():
    h = history(
        ("a", "2020-01-01", "IC3", 100),
        ("a", "2020-05-01", "IC3", 105),
        ("a", "2020-05-01", "IC4", 110),  # same date, later row: wins
    )
    d = audit(h, people(("a", "2020-01-01")), extract="2020-12-31")
    sp = derive_spells(d)
    assert view(sp) == [
        ("IC3", "2020-01-01", "2020-05-01", "promotion"),
        ("IC4", "2020-05-01", "2021-01-01", "censored"),
    ]
    assert sp["next_pay"].iloc[0] == 110.0
    assert rule_count(d, "history", "same_date_collapsed") == 1
    # file order is `row`, not the frame's order
    shuffled = h.iloc[[2, 0, 1]].reset_index(drop=True)
    d2 = audit(shuffled, people(("a", "2020-01-01")), extract="2020-12-31")
    pd.testing.assert_frame_equal(derive_spells(d2), sp)


def test_rehire_two_episodes_never_bridged():
    h = history(
        ("a", "2018-03-01", "IC3"),
        ("a", "2019-02-01", "IC3"),  # in the gap between episodes: excluded
        ("a", "2019-06-01", "IC3"),  # same level at rehire: still a new spell
        ("a", "2020-06-01", "IC4"),
    )
    p = people(
        ("a", "2018-03-01", "2018-12-31", "voluntary", "F"),
        ("a", "2019-06-01", None, None, "F"),
    )
    d = audit(h, p, extract="2020-12-31")
    sp = derive_spells(d)
    assert view(sp) == [
        ("IC3", "2018-03-01", "2019-01-01", "exit_voluntary"),
        ("IC3", "2019-06-01", "2020-06-01", "promotion"),
        ("IC4", "2020-06-01", "2021-01-01", "censored"),
    ]
    assert sp["episode"].tolist() == [0, 1, 1]
    assert sp["hire_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2018-03-01", "2019-06-01", "2019-06-01"
    ]
    assert sp["tenure_at_start"].tolist() == pytest.approx([0.0, 0.0, 366 / YEAR])
    assert rule_count(d, "history", "outside_episode") == 1
    ex = derive_exposure(d)
    assert ex["person_years"].sum() == pytest.approx(
        (days("2018-03-01", "2019-01-01") + days("2019-06-01", "2021-01-01")) / YEAR
    )
    # no interval touches the gap
    gap = (ex["stop"] > pd.Timestamp("2019-01-01")) & (ex["start"] < pd.Timestamp("2019-06-01"))
    assert not gap.any()
    assert ex.loc[ex["episode"] == 0, "event"].iloc[-1] == "exit_voluntary"


def test_spell_before_history_start_entry_and_exclusion():
    h = history(
        ("a", "2015-03-01", "IC2"),
        ("a", "2016-01-01", "IC3"),  # IC2 ends before history_start: excluded
        ("a", "2018-07-01", "IC4"),
    )
    d = audit(h, people(("a", "2015-03-01")), start="2017-01-01", extract="2018-12-31")
    sp = derive_spells(d)
    assert view(sp) == [
        ("IC3", "2016-01-01", "2018-07-01", "promotion"),
        ("IC4", "2018-07-01", "2019-01-01", "censored"),
    ]
    assert sp["entry"].tolist() == pytest.approx([366 / YEAR, 0.0])
    assert sp["duration"].iloc[0] == pytest.approx(days("2016-01-01", "2018-07-01") / YEAR)
    assert rule_count(d, "spells", "spell_before_history_start") == 1
    ex = derive_exposure(d)
    assert ex["start"].min() == pd.Timestamp("2017-01-01")
    by_spell = ex.groupby("spell_id")["person_years"].sum()
    assert by_spell.tolist() == pytest.approx((sp["duration"] - sp["entry"]).tolist())
    # time in spell counts from the true start, not from history_start
    assert ex["time_in_spell"].iloc[0] == pytest.approx(366 / YEAR)
    assert ex["tenure"].iloc[0] == pytest.approx(days("2015-03-01", "2017-01-01") / YEAR)


def test_change_on_termination_date_exit_wins():
    h = history(("a", "2020-01-01", "IC3"), ("a", "2020-09-30", "IC4"))
    d = audit(h, people(("a", "2020-01-01", "2020-09-30", "voluntary")))
    sp = derive_spells(d)
    assert view(sp) == [("IC3", "2020-01-01", "2020-10-01", "exit_voluntary")]
    assert rule_count(d, "history", "change_on_termination_date") == 1


def test_switcher_mid_quarter_exact_person_time():
    h = history(("a", "2021-01-01", "IC4", 100), ("a", "2021-02-15", "M1", 120))
    d = audit(h, people(("a", "2021-01-01")), extract="2021-05-10")
    ex = derive_exposure(d)
    got = [
        (r.quarter, r.level, str(r.start.date()), str(r.stop.date()), r.event)
        for r in ex.itertuples()
    ]
    assert got == [
        ("2021Q1", "IC4", "2021-01-01", "2021-02-15", "switch_to_M"),
        ("2021Q1", "M1", "2021-02-15", "2021-04-01", "none"),
        ("2021Q2", "M1", "2021-04-01", "2021-05-11", "censored"),
    ]
    assert ex["person_years"].tolist() == pytest.approx([45 / YEAR, 45 / YEAR, 40 / YEAR])
    q1 = ex[ex["quarter"] == "2021Q1"].groupby("track")["person_years"].sum()
    assert q1.to_dict() == pytest.approx({"IC": 45 / YEAR, "M": 45 / YEAR})
    assert ex["year"].tolist() == [2021, 2021, 2021]
    assert ex["time_in_spell"].tolist() == pytest.approx([0.0, 0.0, 45 / YEAR])


def test_fiscal_year_starting_in_april():
    h = history(("a", "2021-03-15", "IC3"))
    d = audit(h, people(("a", "2021-03-15", "2021-07-14", "other")), fy=4)
    ex = derive_exposure(d)
    got = [(r.quarter, r.year, str(r.start.date()), str(r.stop.date())) for r in ex.itertuples()]
    assert got == [
        ("2021Q4", 2021, "2021-03-15", "2021-04-01"),  # Jan-Mar 2021: last quarter of FY2021
        ("2022Q1", 2022, "2021-04-01", "2021-07-01"),  # Apr-Jun 2021: first quarter of FY2022
        ("2022Q2", 2022, "2021-07-01", "2021-07-15"),
    ]
    assert ex["person_years"].tolist() == pytest.approx([17 / YEAR, 91 / YEAR, 14 / YEAR])
    assert ex["event"].tolist() == ["none", "none", "exit_other"]


def test_fiscal_quarter_helpers():
    fq = fiscal_quarters(["2021-03-31", "2021-04-01", "2021-12-31", "2022-01-01"], 4)
    assert fq["quarter"].tolist() == ["2021Q4", "2022Q1", "2022Q3", "2022Q4"]
    assert fq["year"].tolist() == [2021, 2022, 2022, 2022]
    assert fq["quarter_of_year"].tolist() == [4, 1, 3, 4]
    assert fiscal_quarters(["2021-11-15"], 1)["quarter"].tolist() == ["2021Q4"]
    assert fiscal_quarters(["2021-11-15"], 10)["quarter"].tolist() == ["2022Q1"]
    for m in (1, 2, 4, 7, 10, 12):
        for label in ("2020Q1", "2020Q2", "2021Q3", "2021Q4"):
            start = fiscal_quarter_start(label, m)
            assert start.day == 1
            assert fiscal_quarters([start], m)["quarter"].iloc[0] == label
            before = fiscal_quarters([start - pd.Timedelta(days=1)], m)["quarter"].iloc[0]
            assert before < label
    assert fiscal_quarter_start("2022Q1", 4) == pd.Timestamp("2021-04-01")
    with pytest.raises(MapError, match="fiscal_year_start_month"):
        fiscal_quarters(["2021-01-01"], 13)


def test_missing_hire_record_is_extended_back_and_flagged():
    h = history(("a", "2020-03-01", "IC3"), ("b", "2019-01-01", "IC4"))
    p = people(("a", "2020-01-15"), ("b", "2019-01-01"), ("c", "2019-01-01"))
    d = audit(h, p, extract="2020-12-31")
    sp = derive_spells(d)
    assert view(sp) == [
        ("IC3", "2020-01-15", "2021-01-01", "censored"),
        ("IC4", "2019-01-01", "2021-01-01", "censored"),
    ]
    assert sp["start_imputed"].tolist() == [True, False]
    assert rule_count(d, "history", "history_starts_after_hire") == 1
    assert rule_count(d, "people", "episode_without_history") == 1  # c


def test_snapshot_is_not_extended_back():
    h = history(("a", "2021-06-01", "IC4"))
    d = audit(h, people(("a", "2018-01-01")), extract="2022-12-31", snapshot=True)
    sp = derive_spells(d)
    assert view(sp) == [("IC4", "2021-06-01", "2023-01-01", "censored")]
    assert sp["tenure_at_start"].iloc[0] == pytest.approx(days("2018-01-01", "2021-06-01") / YEAR)


def test_unknown_person_and_overlapping_episodes():
    h = history(
        ("a", "2019-01-01", "IC3"),
        ("a", "2020-01-01", "IC4"),
        ("z", "2019-01-01", "IC3"),  # not in people
    )
    # the first episode has no termination but the person was rehired: cut at the rehire
    p = people(("a", "2019-01-01"), ("a", "2020-01-01"))
    d = audit(h, p, extract="2020-06-30")
    sp = derive_spells(d)
    assert view(sp) == [
        ("IC3", "2019-01-01", "2020-01-01", "censored"),
        ("IC4", "2020-01-01", "2020-07-01", "censored"),
    ]
    assert sp["episode"].tolist() == [0, 1]
    assert rule_count(d, "history", "person_not_in_people") == 1
    assert rule_count(d, "people", "overlapping_episodes") == 1


def test_quality_counted_once_however_often_derived():
    h = history(("a", "2020-03-01", "IC3"), ("a", "2020-03-01", "IC4"))
    d = audit(h, people(("a", "2020-01-01")))
    derive_spells(d)
    derive_exposure(d)
    _ = d.spells, d.exposure
    rules = [(i.table, i.rule) for i in d.quality.issues]
    assert rules.count(("history", "same_date_collapsed")) == 1
    assert rules.count(("history", "history_starts_after_hire")) == 1


def test_columns_and_dtypes_follow_schema():
    d = audit(history(("a", "2020-01-01", "IC3")), people(("a", "2020-01-01")))
    for frame, table in ((derive_spells(d), schema.SPELLS), (derive_exposure(d), schema.EXPOSURE)):
        assert list(frame.columns) == [c.name for c in table]
        for c in table:
            kind = {"str": "str", "category": "str", "int": "Int64", "float": "float64",
                    "date": "datetime64[ns]", "bool": "bool"}[c.kind]
            if c.name in CATEGORICAL_COLUMNS:  # text held as codes: sorted str categories
                assert isinstance(frame[c.name].dtype, pd.CategoricalDtype), c.name
                cats = frame[c.name].cat.categories
                assert str(cats.dtype) == "str" and cats.is_monotonic_increasing, c.name
                continue
            assert str(frame[c.name].dtype) == kind, c.name
        assert set(frame.get("end_reason", frame.get("event"))) <= set(schema.END_REASONS) | {
            "none"
        }


def test_text_columns_are_categories_of_the_values_present_and_ids_are_the_person_code():
    h = history(
        ("b", "2020-01-01", "IC3", 100.0, "Unit B"),
        ("b", "2021-01-01", "M2", 120.0, "Unit B"),
        ("a", "2020-01-01", "IC3", 100.0, "Unit A"),
        ("c", "2019-01-01", "IC4", 100.0, "Unit C"),
    )
    # "z" has a people row but no history: absent from spells, so not a category
    d = audit(h, people(("a", "2020-01-01"), ("b", "2020-01-01"), ("c", "2019-01-01"),
                        ("z", "2020-01-01")))
    sp, ex = derive_spells(d), derive_exposure(d)
    for frame in (sp, ex):
        for col in CATEGORICAL_COLUMNS & set(frame.columns):
            values = frame[col].astype(object).dropna()
            assert list(frame[col].cat.categories) == sorted(set(values)), col
    assert list(ex["employee_id"].cat.categories) == ["a", "b", "c"]
    assert list(sp["level"].cat.categories) == ["IC3", "IC4", "M2"]
    assert sp["next_track"].astype(object).fillna("-").tolist() == ["-", "M", "-", "-"]
    # the person code: rows sorted by ID, so codes are 0, 1, ... in order of appearance
    codes, ids = exposure_person_codes(d)
    assert (ids[codes] == ex["employee_id"].astype(object).to_numpy()).all()
    assert np.all(np.diff(codes) >= 0) and codes[0] == 0 and codes[-1] == len(ids) - 1
    # grouping on a category counts only the values present, as on text
    assert ex.groupby("org_unit")["person_years"].sum().index.tolist() == [
        "Unit A", "Unit B", "Unit C"]


def test_empty_inputs_give_empty_tables_with_columns():
    d = audit(history(), people(("a", "2020-01-01")))
    sp, ex = derive_spells(d), derive_exposure(d)
    assert sp.empty and ex.empty
    assert list(sp.columns) == [c.name for c in schema.SPELLS]
    assert list(ex.columns) == [c.name for c in schema.EXPOSURE]
    assert rule_count(d, "people", "episode_without_history") == 1


def test_gender_missing_from_people_gives_missing_column():
    p = people(("a", "2020-01-01")).drop(columns="gender")
    d = audit(history(("a", "2020-01-01", "IC3")), p)
    assert derive_spells(d)["gender"].isna().all()
    assert derive_exposure(d)["gender"].isna().all()


# --------------------------------------------------------------------------- properties

BASE = pd.Timestamp("2017-01-01")
LEVELS = list(GRADES)


@st.composite
def organisations(draw):
    """Random histories: 1-4 people, 1-3 episodes each, 1-5 records per episode."""
    h_rows, p_rows = [], []
    for i in range(draw(st.integers(1, 4))):
        eid = f"E{i}"
        t = draw(st.integers(0, 400))
        for _ in range(draw(st.integers(1, 3))):
            length = draw(st.integers(1, 800))
            open_ended = not draw(st.booleans())
            ttype = draw(st.sampled_from(["voluntary", "involuntary", "other", None]))
            hire = BASE + pd.Timedelta(days=t)
            term = None if open_ended else hire + pd.Timedelta(days=length - 1)
            p_rows.append((eid, hire, term, ttype if term is not None else None, "F"))
            offsets = draw(st.lists(st.integers(0, length - 1), min_size=1, max_size=5))
            if draw(st.booleans()):
                offsets.append(0)  # usually a record on the hire date
            for off in offsets:
                level = draw(st.sampled_from(LEVELS))
                pay = draw(st.integers(50, 200))
                unit = draw(st.sampled_from(["U1", "U2"]))
                h_rows.append((eid, hire + pd.Timedelta(days=off), level, pay, unit))
            if open_ended:
                break
            t += length + draw(st.integers(1, 300))
    return h_rows, p_rows


def _build(org, *, shift=0, start_offset=300, fy=1):
    h_rows, p_rows = org
    dt = pd.Timedelta(days=shift)
    h = history(*[(r[0], r[1] + dt, *r[2:]) for r in h_rows])
    p = people(*[(r[0], r[1] + dt, r[2] + dt if r[2] is not None else None, *r[3:])
                 for r in p_rows])
    return audit(
        h,
        p,
        extract=str((BASE + pd.Timedelta(days=1500) + dt).date()),
        start=str((BASE + pd.Timedelta(days=start_offset) + dt).date()),
        fy=fy,
    )


PROPERTY = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY
@given(organisations(), st.integers(0, 700))
def test_spells_tile_each_episode(org, start_offset):
    d = _build(org, start_offset=start_offset)
    sp = derive_spells(d)
    as_of_end = d.as_of + pd.Timedelta(days=1)
    hs = d.history_start
    p = d.people.set_index(["employee_id", "episode"])
    for (eid, ep), g in sp.groupby(["employee_id", "episode"]):
        g = g.sort_values("start")
        person = p.loc[(eid, ep)]
        term = person["termination_date"]
        end = min(term + pd.Timedelta(days=1), as_of_end) if pd.notna(term) else as_of_end
        # contiguous: each spell stops where the next starts
        assert (g["stop"].iloc[:-1].to_numpy() == g["start"].iloc[1:].to_numpy()).all()
        assert (g["stop"] > g["start"]).all()
        assert g["stop"].iloc[-1] == end
        # the first kept spell starts at hire, or follows spells that ended by history_start
        assert g["start"].iloc[0] == person["hire_date"] or g["start"].iloc[0] <= hs
        assert g["stop"].iloc[0] > hs
        # only the last spell ends in an exit or censoring
        ends = g["end_reason"].tolist()
        assert all(r not in ("censored", *schema.EXIT_REASONS) for r in ends[:-1])
        exited = pd.notna(term) and term < as_of_end
        assert (ends[-1] in schema.EXIT_REASONS) == exited
        assert ends[-1] in (*schema.EXIT_REASONS, "censored")
        # consecutive spells differ in track or level
        same = (g["track"].iloc[1:].to_numpy() == g["track"].iloc[:-1].to_numpy()) & (
            g["level"].iloc[1:].to_numpy() == g["level"].iloc[:-1].to_numpy()
        )
        assert not same.any()
    assert (sp["entry"] <= sp["duration"]).all()


@PROPERTY
@given(organisations(), st.integers(0, 700), st.integers(1, 12))
def test_exposure_sums_to_observed_employed_time(org, start_offset, fy):
    d = _build(org, start_offset=start_offset, fy=fy)
    sp, ex = derive_spells(d), derive_exposure(d)
    # expected: for every episode with a record inside it, observed days of employment
    hs, as_of = d.history_start, d.as_of
    h = d.history
    total = 0
    for r in d.people.itertuples():
        end = as_of if pd.isna(r.termination_date) else min(r.termination_date, as_of)
        mine = h[(h["employee_id"] == r.employee_id) & (h["effective_date"] >= r.hire_date)
                 & (h["effective_date"] <= end)]
        if r.hire_date > as_of or mine.empty:
            continue
        total += max(0, ((end + pd.Timedelta(days=1)) - max(r.hire_date, hs)).days)
    assert ex["person_years"].sum() == pytest.approx(total / YEAR, abs=1e-9)
    by_spell = ex.groupby("spell_id")["person_years"].sum().reindex(sp["spell_id"], fill_value=0)
    assert by_spell.to_numpy() == pytest.approx((sp["duration"] - sp["entry"]).to_numpy())
    # intervals of one person never overlap and never cross a quarter boundary
    ex = ex.sort_values(["employee_id", "start"])
    same = ex["employee_id"].to_numpy()[1:] == ex["employee_id"].to_numpy()[:-1]
    assert (ex["start"].to_numpy()[1:][same] >= ex["stop"].to_numpy()[:-1][same]).all()
    q_start = fiscal_quarters(ex["start"], fy)["quarter"]
    q_last = fiscal_quarters(ex["stop"] - pd.Timedelta(days=1), fy)["quarter"]
    assert (q_start.to_numpy() == q_last.to_numpy()).all()
    assert (ex["quarter"].to_numpy() == q_start.to_numpy()).all()
    # one event row per spell
    assert (ex["event"] != "none").sum() == len(sp)


@PROPERTY
@given(organisations(), st.integers(-4000, 4000))
def test_shifting_all_dates_leaves_durations_unchanged(org, shift):
    a, b = _build(org), _build(org, shift=shift)
    sa, sb = derive_spells(a), derive_spells(b)
    cols = ["employee_id", "episode", "level", "entry", "duration", "end_reason",
            "tenure_at_start", "start_pay", "end_pay", "next_pay"]
    pd.testing.assert_frame_equal(sa[cols], sb[cols])
    assert ((sb["start"] - sa["start"]).dt.days == shift).all()
    ea, eb = derive_exposure(a), derive_exposure(b)
    assert ea["person_years"].sum() == pytest.approx(eb["person_years"].sum())
    pa = ea.groupby("spell_id")["person_years"].sum()
    pb = eb.groupby("spell_id")["person_years"].sum()
    pd.testing.assert_series_equal(pa, pb)


@PROPERTY
@given(organisations(), st.randoms(use_true_random=False))
def test_row_order_does_not_change_the_result(org, rnd):
    a = _build(org)
    h = a.history.iloc[rnd.sample(range(len(a.history)), len(a.history))]
    p = a.people.iloc[rnd.sample(range(len(a.people)), len(a.people))]
    b = audit(h.reset_index(drop=True), p.reset_index(drop=True),
              extract=str(a.extract_date.date()), start=str(a.history_start.date()))
    pd.testing.assert_frame_equal(derive_spells(a), derive_spells(b))
    pd.testing.assert_frame_equal(derive_exposure(a), derive_exposure(b))


@PROPERTY
@given(organisations())
def test_spells_match_a_plain_reference(org):
    """A record-by-record reference implementation of the rules gives the same spells."""
    d = _build(org, start_offset=0)  # history_start before every date: nothing cut
    got = view(derive_spells(d))
    want = []
    h = d.history.sort_values(["employee_id", "effective_date", "row"])
    h = h.drop_duplicates(["employee_id", "effective_date"], keep="last")
    as_of_end = d.as_of + pd.Timedelta(days=1)
    for r in d.people.sort_values(["employee_id", "hire_date"]).itertuples():
        if r.hire_date > d.as_of:
            continue
        exited = pd.notna(r.termination_date) and r.termination_date <= d.as_of
        end = r.termination_date + pd.Timedelta(days=1) if exited else as_of_end
        mine = h[(h["employee_id"] == r.employee_id) & (h["effective_date"] >= r.hire_date)
                 & (h["effective_date"] < end)]
        recs = list(mine.itertuples())
        if exited and len(recs) > 1 and recs[-1].effective_date == r.termination_date:
            recs = recs[:-1]
        if not recs:
            continue
        spells = []  # [level, track, grade, start]
        for k, rec in enumerate(recs):
            start = r.hire_date if k == 0 else rec.effective_date
            if not spells or (rec.level, rec.track) != (spells[-1][0], spells[-1][1]):
                spells.append([rec.level, rec.track, rec.grade, start])
        for k, s in enumerate(spells):
            if k + 1 < len(spells):
                n = spells[k + 1]
                stop = n[3]
                if n[1] != s[1]:
                    reason = f"switch_to_{n[1]}"
                elif n[2] > s[2]:
                    reason = "promotion"
                elif n[2] < s[2]:
                    reason = "demotion"
                else:
                    reason = "lateral"
            else:
                stop = end
                ttype = r.termination_type if isinstance(r.termination_type, str) else "other"
                reason = f"exit_{ttype}" if exited else "censored"
            want.append((s[0], str(s[3].date()), str(stop.date()), reason))
    assert got == want
