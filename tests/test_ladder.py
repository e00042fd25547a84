"""Ladder: grades by track, level, unit and date; equivalence shifts; the top of each track."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pathaudit.derived.ladder import (
    ORG_WIDE,
    assign_grades,
    designed_overall,
    designed_tops,
    ladder_from_grades,
    realised_tops,
    shift_equivalence,
)
from pathaudit.errors import PathauditError


def ladder_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "track": ["IC", "IC", "IC", "M", "M", "IC", "IC"],
            "level": ["IC3", "IC4", "IC5", "M1", "M2", "IC6", "IC5"],
            "grade": pd.array([3, 4, 5, 4, 6, 6, 6], dtype="Int64"),
            "org_unit": [None, None, None, None, None, "U2", "U3"],
            "valid_from": pd.to_datetime([None, None, None, None, None, "2022-01-01", None]),
        }
    )


def records() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "track": ["IC", "IC", "IC", "M", "IC", "IC", "IC", "IC"],
            "level": ["IC3", "IC5", "IC5", "M2", "IC6", "IC6", "IC6", "IC9"],
            "org_unit": ["U1", "U1", "U3", "U1", "U2", "U2", "U1", "U1"],
            "effective_date": pd.to_datetime(
                [
                    "2021-01-01",
                    "2021-01-01",
                    "2021-01-01",
                    "2021-01-01",
                    "2021-06-01",
                    "2022-06-01",
                    "2022-06-01",
                    "2022-06-01",
                ]
            ),
        },
        index=[10, 11, 12, 13, 14, 15, 16, 17],
    )


def test_assign_grades_unit_rows_and_dates_win() -> None:
    g = assign_grades(records(), ladder_frame())
    assert g.index.tolist() == [10, 11, 12, 13, 14, 15, 16, 17]
    assert g.tolist()[:4] == [3, 5, 6, 6]  # U3's own IC5 row beats the global one
    assert pd.isna(g.loc[14])  # IC6 in U2 only from 2022
    assert g.loc[15] == 6
    assert pd.isna(g.loc[16])  # IC6 exists only in U2
    assert pd.isna(g.loc[17])  # not in the ladder
    assert str(g.dtype) == "Int64"


def test_assign_grades_takes_the_latest_valid_row() -> None:
    lad = pd.DataFrame(
        {
            "track": ["IC", "IC"],
            "level": ["IC5", "IC5"],
            "grade": [5, 6],
            "valid_from": pd.to_datetime([None, "2023-01-01"]),
        }
    )
    rec = pd.DataFrame(
        {
            "track": ["IC", "IC", "IC"],
            "level": ["IC5"] * 3,
            "effective_date": pd.to_datetime(["2022-12-31", "2023-01-01", "2024-05-01"]),
        }
    )
    assert assign_grades(rec, lad).tolist() == [5, 6, 6]


def test_shift_equivalence_moves_one_track() -> None:
    lad = ladder_frame()
    up = shift_equivalence(lad, "IC", 1)
    ic = lad["track"] == "IC"
    assert (up.loc[ic, "grade"] == lad.loc[ic, "grade"] + 1).all()
    assert (up.loc[~ic, "grade"] == lad.loc[~ic, "grade"]).all()
    down = shift_equivalence(lad, "M", -1)
    assert down.loc[~ic, "grade"].tolist() == [3, 5]
    with pytest.raises(PathauditError, match="track must be one of IC, M; found 'X'"):
        shift_equivalence(lad, "X", 1)




def test_designed_tops_per_unit_and_date() -> None:
    lad = ladder_frame()
    top = designed_tops(lad).set_index(["org_unit", "track"])
    assert top["top_grade"].to_dict() == {
        (ORG_WIDE, "IC"): 5,
        (ORG_WIDE, "M"): 6,
        ("U2", "IC"): 6,
        ("U2", "M"): 6,
        ("U3", "IC"): 6,
        ("U3", "M"): 6,
    }
    assert top.loc[(ORG_WIDE, "IC"), "top_levels"] == "IC5"
    assert top.loc[("U3", "IC"), "top_levels"] == "IC5"
    before = designed_tops(lad, on="2021-01-01", org_units=["U1", "U2"])
    assert before.set_index(["org_unit", "track"])["top_grade"].to_dict() == {
        ("U1", "IC"): 5,
        ("U1", "M"): 6,
        ("U2", "IC"): 5,
        ("U2", "M"): 6,
    }
    after = designed_tops(lad, on="2022-06-01", org_units=["U2"])
    assert after.set_index("track").loc["IC", "top_grade"] == 6


def test_designed_overall_is_the_widest_gap() -> None:
    lad = ladder_frame()
    # the organisation-wide ladder (IC 5, M 6) has the widest gap; U2 and U3 reach IC 6
    assert designed_overall(designed_tops(lad)) == (5.0, 6.0, 1.0)
    tops = designed_tops(lad, on="2022-06-01")
    # U1 has no rows of its own: it follows the organisation-wide ladder
    assert designed_overall(tops, ["U1", "U2"]) == (5.0, 6.0, 1.0)
    assert designed_overall(tops, ["U2", "U3"]) == (6.0, 6.0, 0.0)
    assert designed_overall(tops, ["U1", "U4"]) == (5.0, 6.0, 2.0)


def test_realised_top_needs_k_people() -> None:
    state = pd.DataFrame({"track": ["IC"] * 7 + ["M"] * 6,
                          "grade": [4] * 5 + [7, 7] + [5] * 5 + [9]})
    tops = realised_tops(state, 5)
    assert tops["IC"] == 4.0 and tops["M"] == 5.0  # one person at M 9 is not a top
    assert realised_tops(state, 1).to_dict() == {"IC": 7.0, "M": 9.0}
    assert np.isnan(realised_tops(state.loc[state["track"] == "IC"], 5)["M"])


def test_ladder_from_grades() -> None:
    rec = pd.DataFrame(
        {
            "track": ["IC", "IC", "M", "IC"],
            "level": ["IC4", "IC4", "M1", "IC5"],
            "grade": [4, 5, 4, 5],
            "effective_date": pd.to_datetime(
                ["2020-01-01", "2022-01-01", "2020-01-01", "2021-01-01"]
            ),
        }
    )
    lad = ladder_from_grades(rec)
    ic4 = lad.loc[lad["level"] == "IC4"]
    assert ic4["grade"].tolist() == [4, 5]
    assert ic4["valid_from"].tolist() == [pd.Timestamp("2020-01-01"), pd.Timestamp("2022-01-01")]
    assert lad.loc[lad["level"] == "M1", "valid_from"].isna().all()
    assert np.array_equal(assign_grades(rec, lad).to_numpy(dtype=float), [4, 5, 4, 5])


def _below_top_on(ladder: pd.DataFrame, frame: pd.DataFrame, when: pd.Timestamp) -> np.ndarray:
    """Whether each row's grade lies below its unit's designed top on ``when``, by
    :func:`designed_tops` itself (organisation-wide rows plus the unit's own, in force)."""
    tops = designed_tops(ladder, on=when)
    top = tops.set_index(["org_unit", "track"])["top_grade"].astype(float)
    own = set(tops["org_unit"]) - {ORG_WIDE}
    unit = [u if u in own else ORG_WIDE for u in frame["org_unit"].astype("str")]
    idx = pd.MultiIndex.from_arrays([unit, frame["track"].astype("str").tolist()])
    return top.reindex(idx).to_numpy(dtype=float) > pd.to_numeric(frame["grade"]).to_numpy(float)


@pytest.mark.parametrize("which", ["hand", "sample"])
def test_promotable_from_agrees_with_the_designed_tops_of_every_date(which, sample_data) -> None:
    """promotable_from is the first date on which designed_tops puts the row below the top:
    on every date a ladder row comes into force (and the day before), a row is promotable
    exactly when designed_tops says its grade lies below its unit's top."""
    from pathaudit.derived.ladder import promotable_from

    if which == "hand":
        lad = ladder_frame()
        frame = records().assign(grade=[3, 5, 6, 6, 6, 6, 5, 4])
    else:
        lad, frame = sample_data.ladder, sample_data.spells
    frm = promotable_from(lad, frame)
    dates = sorted(set(lad["valid_from"].dropna()) | {pd.Timestamp("2000-01-01")})
    for when in dates + [d - pd.Timedelta(days=1) for d in dates]:
        expected = _below_top_on(lad, frame, when)
        assert np.array_equal((frm.notna() & (frm <= when)).to_numpy(), expected), when
    assert frm.notna().any() and frm.isna().any()  # both kinds of row are present
