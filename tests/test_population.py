"""The current-state table: matched on integer codes, the same as sorting and merging on IDs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from pathaudit.derived.population import PEOPLE_COLUMNS, _state_by_merge, _state_on


def _by_merge(data, when):
    people = data.people
    employed = people["hire_date"] <= when
    employed &= people["termination_date"].isna() | (people["termination_date"] >= when)
    keep = ["employee_id", "episode"] + [c for c in PEOPLE_COLUMNS if c in people]
    return _state_by_merge(data, when, employed, keep)


def test_current_state_on_codes_is_the_merge_on_ids(sample_data) -> None:
    ends = [pd.Timestamp(f"{y}-12-31") for y in range(2016, 2026)]
    for when in [pd.Timestamp(sample_data.as_of), *ends, pd.Timestamp("2021-06-30")]:
        got, counts = _state_on(sample_data, when)
        expected, expected_counts = _by_merge(sample_data, when)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert counts == expected_counts


def test_overlapping_episodes_keep_the_latest_hire_on_codes_too(sample_data) -> None:
    # a second, overlapping episode for some people (bad input) and rows out of order:
    # the latest hire covering the date wins, as by sorting and merging on IDs
    people = sample_data.people
    some = people.drop_duplicates("employee_id").head(40).copy()
    some["episode"] = people["episode"].max() + 1
    some["hire_date"] = some["hire_date"] + pd.Timedelta(days=30)
    extra = sample_data.history.merge(some[["employee_id", "hire_date"]], on="employee_id")
    extra = extra.loc[extra["effective_date"] >= extra["hire_date"]].drop(columns="hire_date")
    extra = extra.assign(episode=some["episode"].iloc[0])
    data = dataclasses.replace(
        sample_data,
        people=pd.concat([people, some], ignore_index=True).sample(frac=1, random_state=1),
        history=pd.concat([sample_data.history, extra], ignore_index=True)
        .sort_values(["employee_id", "effective_date"], kind="stable").reset_index(drop=True),
    )
    for when in [pd.Timestamp(data.as_of), pd.Timestamp("2022-12-31")]:
        got, counts = _state_on(data, when)
        expected, expected_counts = _by_merge(data, when)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert counts == expected_counts
        assert np.isin(some["employee_id"], got["employee_id"]).any()


def test_distinct_people_by_table_and_by_hash_agree() -> None:
    from pathaudit.derived.population import distinct_people

    def hashed(key, person, size):
        span = int(person.max()) + 1 if len(person) else 1
        return np.bincount(pd.unique(key * span + person) // span, minlength=size).astype(float)

    rng = np.random.default_rng(4)
    cases = [(0, 3, 5), (1, 1, 1), (200, 7, 40), (5_000, 30, 2_000), (2_000, 3_000, 90_000)]
    for n, size, people in cases:  # the last: too many cells for a table, hashed
        key = rng.integers(0, size, n)
        person = rng.integers(0, people, n)
        assert np.array_equal(distinct_people(key, person, size), hashed(key, person, size))
