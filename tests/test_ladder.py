"""Ladder: grades by track, level, unit and date; equivalence shifts; the top of each track."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pathaudit.derived.ladder import (
    assign_grades,
    ladder_from_grades,
    shift_equivalence,
    top_grades,
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




def test_top_grades_as_designed() -> None:
    lad = ladder_frame()
    top = top_grades(lad).set_index("track")
    assert top.loc["IC", "top_grade"] == 6
    assert top.loc["IC", "top_levels"] == "IC5, IC6"
    assert top.loc["M", "top_grade"] == 6
    before = top_grades(lad, on="2021-01-01", org_units=["U1", "U2"])
    assert before.set_index(["org_unit", "track"])["top_grade"].to_dict() == {
        ("U1", "IC"): 5,
        ("U1", "M"): 6,
        ("U2", "IC"): 5,
        ("U2", "M"): 6,
    }
    after = top_grades(lad, on="2022-06-01", org_units=["U2"])
    assert after.set_index("track").loc["IC", "top_grade"] == 6


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
