"""Spells and exposure derived in narwhals equal the numpy derivation, on pandas and DuckDB.

The numpy derivation (``derived/spells.py``) stays the pandas engine's; the narwhals one
(``engines/_spells.py``) is the out-of-core path. They must give identical spells and
exposure: counts and dates equal, text and integers equal, years to 1e-9. Checked on the
sample, on every hand-built case of ``test_spells.py`` (each case's own data, compared while
its own assertions run), on random organisations and on a simulated one.
"""

from __future__ import annotations

import dataclasses
import inspect

import duckdb
import narwhals as nw
import numpy as np
import pandas as pd
import pytest
import test_spells
from hypothesis import HealthCheck, given, settings

from pathaudit.data import AuditData
from pathaudit.derived import spells as numpy_spells
from pathaudit.engines import (
    EXPOSURE_COLUMNS,
    SPELL_COLUMNS,
    cells_narwhals,
    derive_spells_engine,
    person_time_cells,
    spells_narwhals,
)
from pathaudit.errors import ArgumentError, InputError
from pathaudit.io import schema
from pathaudit.quality import DataQualityReport
from pathaudit.simulate import cached_organisations
from pathaudit.simulate.config import small, small_delayed

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

    check(sample_data, engines=("pandas",))
    write_canonical_parquet(sample_data, tmp_path)
    sp, ex = derive_spells_engine(tmp_path, engine="duckdb")  # out of core, from Parquet
    assert_same(sample_data.spells, sp, "spells from Parquet")
    assert_same(sample_data.exposure, ex, "exposure from Parquet")
    assert ex["person_years"].sum() == pytest.approx(
        (sp["duration"] - sp["entry"]).sum(), rel=1e-12
    )
    # out of core: DuckDB derives the exposure and aggregates it; only the cells come back
    h, p = (
        duckdb.read_parquet(str(tmp_path / "history.parquet")),
        duckdb.read_parquet(str(tmp_path / "people.parquet")),
    )
    _, lazy = spells_narwhals(
        h, p, as_of=sample_data.as_of, history_start=sample_data.history_start
    )
    keys = ["track", "grade", "org_unit", "year"]
    cells = cells_narwhals(nw.to_native(lazy), keys)
    expected = person_time_cells(sample_data, keys)
    assert cells[keys].astype(str).equals(expected[keys].astype(str))
    np.testing.assert_allclose(cells["person_years"], expected["person_years"], rtol=1e-9)
    for c in expected.columns[len(keys) + 1 :]:
        assert cells[c].tolist() == expected[c].tolist(), c


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


def _run_cases() -> list[tuple[str, AuditData]]:
    """Run every hand-built case (its own assertions on the numpy tables) and keep its data."""
    seen: list[tuple[str, AuditData]] = []
    for param in _hand_built_cases():
        fn, args = param.values
        name = param.id

        def spells(data, name=name):
            seen.append((name, data))
            return numpy_spells.derive_spells(data)

        def exposure(data, name=name):
            seen.append((name, data))
            return numpy_spells.derive_exposure(data)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(test_spells, "derive_spells", spells)
            mp.setattr(test_spells, "derive_exposure", exposure)
            fn(*args)
        assert any(n == name for n, _ in seen), f"{name} derives no table"
    unique = {id(d): (n, d) for n, d in seen}
    return list(unique.values())


def _batches(cases: list[tuple[str, AuditData]]) -> list[list[tuple[str, AuditData]]]:
    """Cases that share their settings and columns, to derive together (one query each)."""
    groups: dict[tuple, list[tuple[str, AuditData]]] = {}
    for name, d in cases:
        key = (
            d.as_of,
            d.history_start,
            d.fiscal_year_start_month,
            d.is_snapshot,
            tuple(d.history.columns),
            tuple(d.people.columns),
            bool(d.people.get("episode", pd.Series([None])).isna().any()),
        )
        groups.setdefault(key, []).append((name, d))
    return list(groups.values())


def _stacked(batch: list[tuple[str, AuditData]]) -> AuditData:
    """The cases of a batch as one dataset: IDs prefixed by the case's number."""
    first = batch[0][1]
    tables = {}
    for table in ("history", "people"):
        parts = []
        for i, (_, d) in enumerate(batch):
            part = getattr(d, table).copy()
            part["employee_id"] = f"{i:03d}|" + part["employee_id"].astype("str")
            parts.append(part)
        tables[table] = pd.concat(parts, ignore_index=True)
    return dataclasses.replace(
        first, history=tables["history"], people=tables["people"], quality=DataQualityReport()
    )


@pytest.fixture(scope="module")
def hand_built() -> list[list[tuple[str, AuditData]]]:
    return _batches(_run_cases())


@pytest.mark.parametrize("engine", ENGINES)
def test_hand_built_cases_same_on_every_engine(hand_built, engine):
    """Every hand-built case (run with its own assertions) derives the same tables.

    The cases that share their dates and columns are derived together, their people told
    apart by a prefix of the IDs; each case's rows are compared with its own numpy tables.
    """
    assert sum(len(b) for b in hand_built) >= 20
    for batch in hand_built:
        stacked = _stacked(batch)
        assert stacked.as_of == batch[0][1].as_of and stacked.is_snapshot == batch[0][1].is_snapshot
        got_sp, got_ex = derive_spells_engine(stacked, engine=engine)
        for i, (name, d) in enumerate(batch):
            prefix = f"{i:03d}|"
            mine = [
                t[t["employee_id"].str.startswith(prefix)].reset_index(drop=True)
                for t in (got_sp, got_ex)
            ]
            first_id = int(mine[0]["spell_id"].min()) if len(mine[0]) else 0
            for t in mine:
                t["employee_id"] = t["employee_id"].str.slice(len(prefix))
                t["spell_id"] = t["spell_id"] - first_id
            assert_same(numpy_spells.derive_spells(d), mine[0], f"{name} spells on {engine}")
            assert_same(numpy_spells.derive_exposure(d), mine[1], f"{name} exposure on {engine}")


# ---------------------------------------------------------------- random and simulated


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(test_spells.organisations())
def test_random_organisations_same_on_pandas(org):
    # rehires, overlapping episodes, same-day records, records after termination, fiscal
    # year starting in April
    check(test_spells._build(org, start_offset=200, fy=4), engines=("pandas",))


@pytest.mark.parametrize("config", [small, small_delayed], ids=["small", "delayed_entry"])
def test_simulated_organisation_same_on_every_engine(config):
    # the coverage studies' first organisation (cached on disk): rehires, promotions,
    # switches, exits; with its history observed from month 24 (delayed entry)
    data = cached_organisations(1, config())[0].data
    assert data.people["episode"].max() >= 1  # has rehires
    check(data)


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
