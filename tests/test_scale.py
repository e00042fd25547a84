"""The fast paths give the same figures as the plain pandas they replace.

Each test writes the straightforward computation out (sort and keep the last row, group on
text keys) and compares it with the package's vectorised one on the sample and on cases
built by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pathaudit import stats
from pathaudit.derived import population
from pathaudit.io.schema import DAYS_PER_YEAR
from pathaudit.promotion._hazard import promotion_rates
from pathaudit.promotion._population import promotable_from


def _last_by_sorting(data, when):
    hist = data.history
    hist = hist.loc[hist["effective_date"] <= when]
    hist = hist.sort_values(["employee_id", "effective_date", "row"], kind="stable")
    return hist.drop_duplicates(["employee_id", "episode"], keep="last")


def test_last_records_match_sorting_on_every_date(sample_data):
    dates = pd.date_range("2009-01-01", sample_data.as_of, freq="61D").tolist()
    dates += [pd.Timestamp("1990-01-01"), pd.Timestamp(sample_data.as_of)]
    for when in dates:
        fast = sample_data.history.iloc[population._last_records(sample_data, when)]
        slow = _last_by_sorting(sample_data, when)
        assert fast.index.sort_values().equals(slow.index.sort_values()), when


def test_last_records_with_rehires_and_same_day_rows(sample_data):
    data = sample_data.with_as_of(sample_data.as_of)
    h = data.history.copy()
    # a person rehired (episode 1) after leaving, and two rows on one date (row order wins)
    pid = h["employee_id"].iloc[0]
    mine = h.loc[h["employee_id"] == pid]
    extra = mine.iloc[[-1, -1]].copy()
    extra["episode"] = [1, 1]
    extra["effective_date"] = pd.Timestamp(data.as_of) - pd.Timedelta(days=30)
    extra["row"] = [h["row"].max() + 2, h["row"].max() + 1]
    h = pd.concat([h, extra]).sort_values(["employee_id", "effective_date", "row"])
    data.history = h.reset_index(drop=True)
    for when in (pd.Timestamp(data.as_of) - pd.Timedelta(days=31), pd.Timestamp(data.as_of)):
        fast = data.history.iloc[population._last_records(data, when)]
        slow = _last_by_sorting(data, when)
        assert fast.index.sort_values().equals(slow.index.sort_values())
    last = data.history.iloc[population._last_records(data, pd.Timestamp(data.as_of))]
    rehired = last.loc[(last["employee_id"] == pid) & (last["episode"] == 1)]
    assert rehired["row"].tolist() == [h["row"].max()]


def _rates_on_text_keys(exposure, ladder):
    ex = exposure
    grade = pd.to_numeric(ex["grade"], errors="coerce")
    frm = promotable_from(ladder, ex)
    begin = ex["start"].where(frm.isna() | (frm <= ex["start"]), frm)
    py = ((ex["stop"] - begin).dt.days / DAYS_PER_YEAR).to_numpy(dtype=float)
    keep = frm.notna().to_numpy() & grade.notna().to_numpy() & (py > 0)
    ex = ex.loc[keep]
    frame = pd.DataFrame(
        {
            "track": ex["track"].astype("str").to_numpy(),
            "grade": grade[keep].astype(np.int64).to_numpy(),
            "year": pd.to_numeric(ex["year"]).astype(np.int64).to_numpy(),
            "employee_id": ex["employee_id"].astype("str").to_numpy(),
            "events": (ex["event"].astype("str") == "promotion").to_numpy(dtype=float),
            "person_years": py[keep],
        }
    )
    return (
        frame.groupby(["track", "grade", "year"], sort=True)
        .agg(
            events=("events", "sum"),
            person_years=("person_years", "sum"),
            n=("employee_id", "nunique"),
        )
        .reset_index()
    )


@pytest.mark.parametrize("use_ladder", [True, False])
def test_promotion_rates_on_codes_match_text_grouping(sample_data, use_ladder):
    ladder = sample_data.ladder if use_ladder else None
    fast = promotion_rates(sample_data.exposure, ladder)
    slow = _rates_on_text_keys(sample_data.exposure, ladder)
    assert fast["track"].tolist() == slow["track"].tolist()
    assert fast["grade"].astype(int).tolist() == slow["grade"].tolist()
    assert fast["year"].astype(int).tolist() == slow["year"].tolist()
    assert fast["n"].tolist() == slow["n"].tolist()
    np.testing.assert_allclose(fast["events"], slow["events"], rtol=1e-12)
    np.testing.assert_allclose(fast["person_years"], slow["person_years"], rtol=1e-9)
    lo, _ = stats.poisson_rate_ci(slow["events"], slow["person_years"], 0.05)
    np.testing.assert_allclose(fast["ci_lower"], 100 * lo, rtol=1e-9)


def test_promotion_rates_of_no_exposure_is_an_empty_table(sample_data):
    out = promotion_rates(sample_data.exposure.iloc[:0], sample_data.ladder)
    assert out.empty and "person_years" in out.columns


def test_last_records_of_an_unsorted_history(sample_data):
    data = sample_data.with_as_of(sample_data.as_of)
    data.history = data.history.sample(frac=1.0, random_state=3)
    order, key, _, _ = population._record_order(data)
    assert np.all(np.diff(key) >= 0) and not np.array_equal(order, np.arange(len(order)))
    for when in pd.date_range("2012-01-01", data.as_of, freq="173D"):
        fast = data.history.iloc[population._last_records(data, when)]
        slow = _last_by_sorting(data, when)
        assert fast.index.sort_values().equals(slow.index.sort_values()), when


def test_import_leaves_the_slow_modules_for_later():
    # scipy.stats, scipy.optimize and statsmodels take about a second to import together;
    # the package imports them on first use
    import subprocess
    import sys

    code = (
        "import sys, pathaudit; "
        "print([m for m in ('scipy.stats', 'scipy.optimize', 'statsmodels', 'matplotlib') "
        "if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_one_person_code_of_the_exposure_table(sample_data):
    codes, ids = population.exposure_person_codes(sample_data)
    again, _ = population.exposure_person_codes(sample_data)
    assert again is codes  # built once, shared
    np.testing.assert_array_equal(
        np.asarray(ids, dtype=object)[codes], sample_data.exposure["employee_id"].to_numpy(object)
    )
    assert codes.max() + 1 == len(ids) == sample_data.exposure["employee_id"].nunique()
