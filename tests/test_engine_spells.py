"""Spells and exposure derived in narwhals equal the numpy derivation, on pandas and DuckDB.

The numpy derivation (``derived/spells.py``) stays the pandas engine's; the narwhals one
(``engines/_spells.py``) is the out-of-core path. They must give identical spells and
exposure: counts and dates equal, text and integers equal, years to 1e-9. Checked on the
sample, on every hand-built case of ``test_spells.py`` (each case's own data, compared while
its own assertions run), on random organisations and on a simulated one.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
import test_spells
from builders import random_org
from hypothesis import HealthCheck, given, settings

from pathaudit.data import AuditData
from pathaudit.derived import spells as numpy_spells
from pathaudit.engines._spells import (
    EXPOSURE_COLUMNS,
    SPELL_COLUMNS,
    derive_spells_engine,
    spells_narwhals,
)
from pathaudit.errors import ArgumentError, InputError
from pathaudit.io import schema

ENGINES = ("pandas", "duckdb")


def assert_same(expected: pd.DataFrame, got: pd.DataFrame, where: str) -> None:
    """Same rows in the same order: text, integers, dates and flags equal; years to 1e-9."""
    assert len(got) == len(expected), f"{where}: {len(got)} rows, expected {len(expected)}"
    for c in expected.columns:
        a, b = expected[c], got[c]
        if a.dtype.kind == "f":
            np.testing.assert_allclose(
                b.to_numpy(float),
                a.to_numpy(float),
                rtol=1e-9,
                atol=1e-12,
                equal_nan=True,
                err_msg=f"{where}: {c}",
            )
            continue
        left = a.astype(object).where(a.notna(), None).tolist()
        right = b.astype(object).where(b.notna(), None).tolist()
        assert left == right, f"{where}: column {c} differs"


def check(data: AuditData, engines=ENGINES) -> None:
    """The narwhals derivation of ``data`` on every engine equals the numpy one."""
    sp, ex = numpy_spells.derive_spells(data), numpy_spells.derive_exposure(data)
    for engine in engines:
        got_sp, got_ex = derive_spells_engine(data, engine=engine)
        assert list(got_sp.columns) == [c.name for c in schema.SPELLS]
        assert list(got_ex.columns) == [c.name for c in schema.EXPOSURE]
        assert_same(sp, got_sp, f"spells on {engine}")
        assert_same(ex, got_ex, f"exposure on {engine}")


def test_sample_same_spells_and_exposure(sample_data, tmp_path):
    from pathaudit.engines import write_canonical_parquet

    check(sample_data)
    write_canonical_parquet(sample_data, tmp_path)
    sp, ex = derive_spells_engine(tmp_path, engine="duckdb")  # out of core, from Parquet
    assert_same(sample_data.spells, sp, "spells from Parquet")
    assert_same(sample_data.exposure, ex, "exposure from Parquet")
    assert ex["person_years"].sum() == pytest.approx(
        (sp["duration"] - sp["entry"]).sum(), rel=1e-12
    )


# ---------------------------------------------------------------- the hand-built cases

_NOT_DERIVING = {
    # about the numpy tables' own dtypes (categories) and the quality report, not the rules
    "test_columns_and_dtypes_follow_schema",
    "test_text_columns_are_categories_of_the_values_present_and_ids_are_the_person_code",
    "test_quality_counted_once_however_often_derived",
    "test_fiscal_quarter_helpers",
}


def _hand_built_cases() -> list:
    cases = []
    for name, fn in vars(test_spells).items():
        if not name.startswith("test_") or name in _NOT_DERIVING or not inspect.isfunction(fn):
            continue
        if hasattr(fn, "hypothesis"):
            continue  # the properties: the random organisations are checked below
        marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "parametrize"]
        if marks:
            for values in marks[0].args[1]:
                cases.append(pytest.param(fn, tuple(values), id=f"{name}-{values[0]}"))
        else:
            cases.append(pytest.param(fn, (), id=name))
    return cases


@pytest.mark.parametrize(("case", "args"), _hand_built_cases())
def test_hand_built_cases_same_on_every_engine(case, args, monkeypatch):
    """Each hand-built case runs with its assertions; every table it derives is compared."""
    seen: list[AuditData] = []

    def spells(data):
        seen.append(data)
        return numpy_spells.derive_spells(data)

    def exposure(data):
        seen.append(data)
        return numpy_spells.derive_exposure(data)

    monkeypatch.setattr(test_spells, "derive_spells", spells)
    monkeypatch.setattr(test_spells, "derive_exposure", exposure)
    case(*args)
    assert seen, "the case derives no table"
    for data in {id(d): d for d in seen}.values():
        check(data)


# ---------------------------------------------------------------- random and simulated


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(test_spells.organisations())
def test_random_organisations_same_on_pandas(org):
    # rehires, overlapping episodes, same-day records, records after termination, fiscal
    # year starting in April
    check(test_spells._build(org, start_offset=200, fy=4), engines=("pandas",))


def test_simulated_organisation_same_on_every_engine():
    check(random_org(n=1500, seed=4))


def test_simulated_export_with_rehires_same_on_every_engine():
    data = _small_simulation()
    assert data.people["episode"].max() >= 1  # has rehires
    check(data)


def _small_simulation() -> AuditData:
    from pathaudit.simulate._run import simulate
    from pathaudit.simulate.config import sized

    sim = simulate(sized(1500), seed=3, truth=False)
    t = sim.tables
    return AuditData(
        history=t["history"],
        people=t["people"],
        ladder=t["ladder"],
        extract_date=sim.extract_date,
        history_start=sim.history_start,
        config={
            "export": {"kind": "history", "fiscal_year_start_month": 1},
            "privacy": {"min_cell_size": 5},
        },
    )


# ---------------------------------------------------------------- errors


def test_errors_say_what_to_do(sample_data, tmp_path):
    with pytest.raises(ArgumentError, match="ordered window"):
        derive_spells_engine(sample_data, engine="dask")
    history = sample_data.history.drop(columns="track")
    with pytest.raises(InputError, match=r"history table has no column \['track'\]"):
        spells_narwhals(
            history,
            sample_data.people,
            as_of=sample_data.as_of,
            history_start=sample_data.history_start,
        )
    assert len(SPELL_COLUMNS) == len(schema.SPELLS)
    assert len(EXPOSURE_COLUMNS) == len(schema.EXPOSURE)
