"""The person-time cells are the same on every engine: pandas (numpy), DuckDB and Dask.

Every engine runs the same narwhals expressions (on the pandas table in memory, on DuckDB
and Dask reading the canonical Parquet written by ``write_canonical_parquet``). Each is
compared with an independent count written here with numpy (integer codes, ``bincount``)
on the sample, on a table built by hand (with its figures written out) and on a simulated
organisation; Dask runs on a ``dask.distributed`` local cluster.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from builders import random_org

from pathaudit.derived.population import distinct_people
from pathaudit.engines import (
    CELL_COLUMNS,
    EVENT_KINDS,
    cells_narwhals,
    person_time_cells,
    write_canonical_parquet,
)
from pathaudit.errors import ArgumentError


def cells_numpy(exposure: pd.DataFrame, keys) -> pd.DataFrame:
    """The cells counted independently of narwhals: integer codes and ``bincount``.

    Each key is factorized once (sorted, missing values coded last), the codes are combined
    into one cell code, and every figure is a ``bincount`` over it; distinct people by
    :func:`~pathaudit.derived.population.distinct_people`. No copy of the table.
    """
    keys = list(keys)
    codes, labels = [], []
    for k in keys:
        c, u = pd.factorize(exposure[k], sort=True, use_na_sentinel=True)
        c = np.where(c < 0, len(u), c).astype(np.int64)  # missing: its own code, last
        codes.append(c)
        labels.append(u)
    cell = np.zeros(len(exposure), dtype=np.int64)
    for c, u in zip(codes, labels, strict=True):
        cell = cell * (len(u) + 1) + c
    cells, inv = np.unique(cell, return_inverse=True)
    size = len(cells)
    out = {}
    rest = cells.copy()
    for k, u in reversed(list(zip(keys, labels, strict=True))):
        pos = rest % (len(u) + 1)
        rest = rest // (len(u) + 1)
        values = pd.Series(u).astype(exposure[k].dtype).array
        out[k] = values.take(np.where(pos < len(u), pos, -1), allow_fill=True)
    table = pd.DataFrame({k: out[k] for k in keys})
    event = exposure["event"]
    person = pd.factorize(exposure["employee_id"])[0]
    table["person_years"] = np.bincount(
        inv, weights=exposure["person_years"].to_numpy(dtype=float), minlength=size
    )
    table["people"] = distinct_people(inv, person, size).astype(np.int64)
    table["intervals"] = np.bincount(inv, minlength=size).astype(np.int64)
    for kind in EVENT_KINDS:
        hit = (event == kind).to_numpy(dtype=bool, na_value=False)
        table[f"events_{kind}"] = np.bincount(inv[hit], minlength=size).astype(np.int64)
    return table


KEY_SETS = [("track", "grade", "org_unit", "year"), ("track", "grade", "quarter", "gender")]


def assert_same_cells(a: pd.DataFrame, b: pd.DataFrame, keys) -> None:
    keys = list(keys)
    assert list(a.columns) == list(b.columns) == [*keys, *CELL_COLUMNS]
    for k in keys:
        left = ["<NA>" if pd.isna(v) else str(v) for v in a[k]]
        right = ["<NA>" if pd.isna(v) else str(v) for v in b[k]]
        assert left == right, k
    np.testing.assert_allclose(a["person_years"], b["person_years"], rtol=1e-9)
    for c in CELL_COLUMNS[1:]:
        assert a[c].tolist() == b[c].tolist(), c


@pytest.fixture(scope="module")
def sample_parquet(sample_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("canonical")
    write_canonical_parquet(sample_data, folder)
    return folder


@pytest.mark.parametrize("keys", KEY_SETS)
def test_sample_cells_same_on_pandas_narwhals_and_duckdb(sample_data, sample_parquet, keys):
    reference = cells_numpy(sample_data.exposure, keys)
    assert_same_cells(reference, person_time_cells(sample_data, keys), keys)
    assert_same_cells(reference, person_time_cells(sample_parquet, keys, engine="duckdb"), keys)
    # the totals are the exposure table's
    assert reference["person_years"].sum() == pytest.approx(
        sample_data.exposure["person_years"].sum(), rel=1e-12
    )
    assert reference["intervals"].sum() == len(sample_data.exposure)


def test_sample_cells_on_a_dask_local_cluster(sample_data, sample_parquet):
    distributed = pytest.importorskip("dask.distributed")
    keys = KEY_SETS[0]
    reference = cells_numpy(sample_data.exposure, keys)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        on_dask = person_time_cells(sample_parquet, keys, engine="dask")
    assert_same_cells(reference, on_dask, keys)


def test_hand_built_cells(tmp_path):
    ts = pd.Timestamp
    ex = pd.DataFrame(
        {
            "employee_id": ["a", "a", "b", "b", "c", "d"],
            "track": ["IC", "IC", "IC", "M", "IC", "IC"],
            "grade": pd.array([3, 3, 3, 4, 3, None], dtype="Int64"),
            "year": pd.array([2020, 2020, 2020, 2021, 2021, 2020], dtype="Int64"),
            "person_years": [0.5, 0.25, 1.0, 0.75, 2.0, 0.1],
            "event": ["none", "promotion", "switch_to_M", "exit_voluntary", "none", "censored"],
            "start": [ts("2020-01-01")] * 6,
        }
    )
    keys = ("track", "grade", "year")
    expected = pd.DataFrame(
        {
            "track": ["IC", "IC", "IC", "M"],
            "grade": pd.array([3, 3, None, 4], dtype="Int64"),
            "year": [2020, 2021, 2020, 2021],
            "person_years": [1.75, 2.0, 0.1, 0.75],
            "people": [2, 1, 1, 1],
            "intervals": [3, 1, 1, 1],
            "events_promotion": [1, 0, 0, 0],
            "events_exit_voluntary": [0, 0, 0, 1],
            "events_exit_involuntary": [0, 0, 0, 0],
            "events_exit_other": [0, 0, 0, 0],
            "events_switch_to_M": [1, 0, 0, 0],
            "events_switch_to_IC": [0, 0, 0, 0],
        }
    )
    path = tmp_path / "exposure.parquet"
    ex.to_parquet(path, index=False)
    for got in (
        cells_numpy(ex, keys),
        cells_narwhals(ex, keys),
        person_time_cells(path, keys, engine="duckdb"),
    ):
        assert_same_cells(expected, got, keys)


def test_simulated_organisation_same_cells(tmp_path):
    data = random_org(n=1500, seed=4)
    ex = data.exposure
    ex.to_parquet(tmp_path / "exposure.parquet", index=False)
    for keys in (("track", "grade", "org_unit", "year"), ("track", "quarter", "gender")):
        reference = cells_numpy(ex, keys)
        assert_same_cells(reference, cells_narwhals(ex, keys), keys)
        assert_same_cells(reference, person_time_cells(tmp_path, keys, engine="duckdb"), keys)


def test_canonical_parquet_reads_back(sample_data, sample_parquet):
    back = pd.read_parquet(sample_parquet / "history.parquet")
    pd.testing.assert_frame_equal(back, sample_data.history.reset_index(drop=True))
    names = sorted(p.name for p in sample_parquet.iterdir())
    assert "exposure.parquet" in names and "spells.parquet" in names


def test_engine_errors_say_what_to_do(sample_data, tmp_path):
    with pytest.raises(ArgumentError, match="engine must be one of"):
        person_time_cells(sample_data, engine="spark")
    with pytest.raises(ArgumentError, match="read canonical Parquet"):
        person_time_cells(sample_data, engine="duckdb")
    with pytest.raises(ArgumentError, match="--to-parquet"):
        person_time_cells(tmp_path / "nothing", engine="duckdb")
    with pytest.raises(ArgumentError, match="no column"):
        person_time_cells(sample_data, ("track", "colour"))
    with pytest.raises(ArgumentError, match="distinct"):
        person_time_cells(sample_data, ("track", "track"))


def test_load_command_writes_the_parquet_the_engines_read(sample_data, tmp_path):
    from pathaudit.cli import main
    from pathaudit.sample import sample_dir

    folder = tmp_path / "canonical"
    assert main(["load", str(sample_dir()), "--to-parquet", str(folder), "-q"]) == 0
    keys = ("track", "grade", "org_unit", "year")
    assert_same_cells(
        cells_numpy(sample_data.exposure, keys),
        person_time_cells(folder, keys, engine="duckdb"),
        keys,
    )
