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
from builders import panel_exposure, random_org

from pathaudit.attrition import AttritionResult
from pathaudit.derived.population import distinct_people
from pathaudit.engines import (
    CELL_COLUMNS,
    DATASET_FILE,
    EVENT_KINDS,
    RATE_PARTS,
    cells_narwhals,
    engine_attrition,
    engine_study_panel,
    panel_counts,
    person_time_cells,
    read_dataset,
    write_canonical_parquet,
)
from pathaudit.errors import ArgumentError, InputError


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


def test_hand_built_turnover_counts_on_every_engine(tmp_path):
    """Month-end headcounts written out by hand: an interval counts on ``start <= e < stop``."""
    from pathaudit.attrition._rates import turnover_counts, turnover_from_counts
    from pathaudit.engines._cells import on_engine

    ts = pd.to_datetime
    ex = pd.DataFrame(
        {
            "employee_id": ["a", "b", "b", "c", "d"],
            "track": ["IC", "IC", "M", "M", "IC"],
            # a stops on Jan 31 (not counted that day); b starts on Jan 31 and switches on
            # Mar 31; c is in February only; d covers the quarter
            "start": ts(["2021-01-01", "2021-01-31", "2021-03-31", "2021-02-01", "2021-01-01"]),
            "stop": ts(["2021-01-31", "2021-03-31", "2021-04-01", "2021-03-01", "2021-04-01"]),
            "event": ["exit_voluntary", "switch_to_M", "censored", "exit_involuntary",
                      "censored"],
            "year": [2021] * 5,
            "quarter": ["2021Q1"] * 5,
        }
    )
    path = tmp_path / "exposure.parquet"
    ex.to_parquet(path, index=False)
    # headcounts on Jan 31, Feb 28, Mar 31: IC 2, 2, 1 (b, d; d); M 0, 1, 1 (c; b)
    expected = {"IC": (5 / 3, 1, 0, 1, 3), "M": (2 / 3, 0, 1, 1, 2), "all": (7 / 3, 1, 1, 2, 4)}
    reference = None
    for engine in ("pandas", "duckdb"):  # Dask: the sample on a local cluster, below
        counts = on_engine(ex if engine == "pandas" else path, engine, turnover_counts)
        year, quarter = turnover_from_counts(
            counts, history_start=pd.Timestamp("2021-01-01"), as_of=pd.Timestamp("2021-03-31"),
            fiscal_year_start_month=1, alpha=0.05,
        )
        for table, period in ((year, "2021"), (quarter, "2021Q1")):
            t = table.set_index(["period", "track", "kind"])
            for track, (avg, vol, invol, exits, people) in expected.items():
                rows = t.loc[(period, track)]
                assert rows["average_headcount"].to_numpy() == pytest.approx([avg] * 3)
                assert rows["exits"].to_dict() == {"all": exits, "involuntary": invol,
                                                   "voluntary": vol}
                assert (rows["n"] == people).all() and (rows["months"] == 3).all()
                assert rows.loc["all", "turnover_rate"] == pytest.approx(100 * exits / avg)
                assert rows.loc["all", "estimate"] == pytest.approx(400 * exits / avg)
        if reference is None:
            reference = quarter
        assert_same_tables(reference, quarter, engine)


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
        person_time_cells(sample_data, engine="polars")
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


# ---------------------------------------------------------------- the rate-based audit


def assert_same_tables(a: pd.DataFrame, b: pd.DataFrame, where: str) -> None:
    """Same columns and rows; numbers to a relative 1e-9 (parallel sums reorder)."""
    assert list(a.columns) == list(b.columns), where
    assert len(a) == len(b), where
    for c in a.columns:
        x, y = a[c], b[c]
        if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
            np.testing.assert_allclose(
                x.to_numpy(dtype=float), y.to_numpy(dtype=float), rtol=1e-9, atol=0,
                equal_nan=True, err_msg=f"{where}: {c}",
            )
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), f"{where}: {c}"


@pytest.fixture(scope="module")
def pandas_attrition(sample_data):
    import pathaudit

    return pathaudit.attrition(sample_data)


def check_engine_attrition(reference, res) -> None:
    """The engine's rate parts are the pandas audit's, published, with the same metadata."""
    ref = reference.published()
    got = res.published()
    assert set(got) == set(RATE_PARTS)
    for name, part in got.items():
        assert_same_tables(ref[name].table, part.table, name)
        for key in ("analysis", "definition", "method", "population", "groups", "k"):
            assert part.meta[key] == ref[name].meta[key], (name, key)
    # the headline rows the engine computes are the pandas audit's; the others say why not
    a = reference.headline().set_index("key")
    b = res.headline().set_index("key")
    for key in ("voluntary_exits_per_100py_ic", "voluntary_exits_per_100py_m",
                "voluntary_exit_rate_ratio"):
        assert b.loc[key, "status"] == a.loc[key, "status"]
        assert b.loc[key, "estimate"] == pytest.approx(a.loc[key, "estimate"], rel=1e-9)
    assert b.loc["voluntary_exit_hazard_ratio", "status"] == "not computed"
    assert "needs the pandas engine" in b.loc["voluntary_exit_hazard_ratio", "reason"]
    # every attrition part is computed here or listed with its reason: none silently absent
    listed = set(res.not_computed()) | set(res.results())
    assert listed == set(AttritionResult.PARTS)


def check_engine_panel(data, res) -> None:
    """The engine's published panel is the study's panel, rows of fewer than k suppressed."""
    from pathaudit.study._panel import study_panel

    panel, left_out = study_panel(data)
    table = res.part("panel").table
    assert len(table) == len(panel)
    shown = ~table["suppressed"].to_numpy(dtype=bool)
    small = panel["people"].to_numpy() < data.min_cell_size
    assert (~shown == small).all()
    keep = [c for c in panel.columns]
    assert_same_tables(panel.loc[shown, keep].reset_index(drop=True),
                       table.loc[shown, keep].reset_index(drop=True), "panel")


def test_sample_rate_audit_same_on_every_engine(sample_data, sample_parquet, pandas_attrition):
    ds = read_dataset(sample_parquet)
    assert (ds.as_of, ds.min_cell_size) == (sample_data.as_of, sample_data.min_cell_size)
    for engine in ("pandas", "duckdb"):
        check_engine_attrition(pandas_attrition, engine_attrition(ds, engine))
        check_engine_panel(sample_data, engine_study_panel(ds, engine))


def test_sample_cells_and_rate_audit_on_a_dask_local_cluster(sample_data, sample_parquet,
                                                             pandas_attrition):
    """One local cluster (two in-process workers) for the cells and the rate-based audit."""
    import time

    distributed = pytest.importorskip("dask.distributed")
    keys = KEY_SETS[0]
    ds = read_dataset(sample_parquet)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        t0 = time.perf_counter()
        on_dask = person_time_cells(sample_parquet, keys, engine="dask")
        res = engine_attrition(ds, "dask")
        panel = engine_study_panel(ds, "dask")
        took = time.perf_counter() - t0
    assert_same_cells(cells_numpy(sample_data.exposure, keys), on_dask, keys)
    check_engine_attrition(pandas_attrition, res)
    check_engine_panel(sample_data, panel)
    print(f"cells and rate-based audit on a local Dask cluster: {took:.2f} s")


def test_simulated_organisation_same_rates_and_panel_counts(tmp_path):
    from pathaudit.study._panel import unit_quarter_counts

    data = random_org(n=1500, seed=4)
    folder = tmp_path / "canonical"
    write_canonical_parquet(data, folder)
    # the exposure table as a folder of parts, as a pipeline of one's own may write it
    ex = pd.read_parquet(folder / "exposure.parquet")
    (folder / "exposure.parquet").unlink()
    (folder / "exposure").mkdir()
    half = len(ex) // 2
    ex.iloc[:half].to_parquet(folder / "exposure" / "part-0.parquet", index=False)
    ex.iloc[half:].to_parquet(folder / "exposure" / "part-1.parquet", index=False)
    ds = read_dataset(folder)
    import pathaudit

    reference = pathaudit.attrition(data, parts=list(RATE_PARTS))
    reference_counts, _ = unit_quarter_counts(data)
    reference_counts = reference_counts.sort_values(["org_unit", "q"], ignore_index=True)
    for engine in ("pandas", "duckdb"):
        res = engine_attrition(ds, engine)
        for name, part in reference.published().items():
            assert_same_tables(part.table, res.published()[name].table, f"{engine} {name}")
        counts, _ = panel_counts(ds.table("exposure"), engine, ds.fiscal_year_start_month)
        assert_same_tables(reference_counts, counts, f"{engine} panel counts")


def test_engine_audit_command_writes_the_rate_based_audit(sample_parquet, tmp_path):
    import json

    from pathaudit.audit import ANALYSES, undocumented_keys
    from pathaudit.cli import main

    out = tmp_path / "out"
    assert main(["audit", str(sample_parquet), "--engine", "duckdb", "--out", str(out),
                 "-q"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    status = {name: a["status"] for name, a in summary["analyses"].items()}
    assert status == {**{a: "not computed" for a in ANALYSES}, "attrition": "computed",
                      "study_panel": "computed"}
    for a in summary["analyses"].values():
        if a["status"] == "not computed":
            assert "needs the pandas engine" in a["reason"]
    notes = {n["part"]: n["text"] for n in summary["analyses"]["attrition"]["notes"]}
    for part in ("cox", "retention", "post_switch"):
        assert "needs the pandas engine" in notes[part]
    assert "turnover" not in notes and "turnover_quarterly" not in notes
    assert json.loads((out / "manifest.json").read_text())["extra"]["engine"] == "duckdb"
    assert (out / "tables" / "attrition__rate_ratio.csv").is_file()
    assert (out / "tables" / "attrition__turnover_quarterly.csv").is_file()
    assert (out / "tables" / "study_panel__panel.csv").is_file()
    assert undocumented_keys(out) == []
    readme = (out / "README.txt").read_text()
    assert "Start with summary.json (the duckdb engine writes no report.html" in readme
    # the engine reads Parquet with its settings: a map or an as-of date is refused
    assert main(["audit", str(sample_parquet), "--engine", "duckdb", "--out", str(out),
                 "--as-of", "2024-12-31", "-q"]) != 0


def test_engine_audit_errors_name_the_fix(tmp_path):
    with pytest.raises(InputError, match="is not a folder"):
        read_dataset(tmp_path / "missing")
    with pytest.raises(InputError, match="has no dataset.json"):
        read_dataset(tmp_path)
    (tmp_path / DATASET_FILE).write_text('{"extract_date": "2024-12-31"}')
    with pytest.raises(InputError, match="'history_start' must be a date"):
        read_dataset(tmp_path)
    (tmp_path / DATASET_FILE).write_text(
        '{"extract_date": "2024-12-31", "history_start": "2019-01-01"}'
    )
    with pytest.raises(InputError, match="no exposure table"):
        read_dataset(tmp_path)
    with pytest.raises(ArgumentError, match="engine must be one of"):
        engine_attrition(read_dataset_stub(tmp_path), "spark")


def read_dataset_stub(folder):
    from pathaudit.engines import ParquetDataset

    ts = pd.Timestamp("2024-12-31")
    return ParquetDataset(folder, ts, ts, ts)


def test_hand_built_panel_counts_with_moves_hires_and_a_missing_unit(tmp_path):
    """Moves out and hires (which no simulated organisation has) against the study's numpy."""
    from types import SimpleNamespace

    from pathaudit.study._panel import unit_quarter_counts

    ex = panel_exposure()
    reference, why = unit_quarter_counts(SimpleNamespace(exposure=ex, fiscal_year_start_month=1))
    reference = reference.sort_values(["org_unit", "q"], ignore_index=True)
    assert reference["hires"].sum() == 3 and reference["ic_moves_out"].sum() == 2
    ex.to_parquet(tmp_path / "exposure.parquet", index=False)
    for engine, source in (("pandas", ex), ("duckdb", tmp_path)):
        counts, left_out = panel_counts(source, engine)
        assert_same_tables(reference, counts, engine)
        assert left_out == why
    # Dask has no ordered window: its join misses b's move across the row without a unit,
    # and says so
    counts, left_out = panel_counts(tmp_path, "dask")
    assert counts["ic_moves_out"].sum() == 1
    assert "not counted as a move out" in left_out["(no org unit)"]
    assert_same_tables(reference.drop(columns="ic_moves_out"),
                       counts.drop(columns="ic_moves_out"), "dask")
