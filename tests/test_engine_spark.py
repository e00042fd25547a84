"""Spark, through narwhals' PySpark backend: the same cells and rate inputs as pandas.

Optional, marked ``spark``: it runs where ``pyspark`` and a Java runtime are installed and
skips with the reason otherwise. Spark is not a required system program
(``tests/system.py``'s ``require_program`` is not used): CI does not install pyspark (a
456 MB download that needs a JVM), so ``PATHAUDIT_REQUIRE_SYSTEM=1`` does not turn this skip
into a failure. Spark reads the canonical Parquet that ``write_canonical_parquet`` writes
(nanosecond timestamps included) and runs the narwhals expressions of the other engines;
the figures are compared with the independent numpy count of ``test_engines.py`` and with
the pandas engine.
"""

from __future__ import annotations

import os
import shutil
import time

import pandas as pd
import pytest

pytest.importorskip(
    "pyspark", reason="pyspark is not installed: the Spark engine is optional (pip install pyspark)"
)
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip(
        "no Java runtime (java on PATH or JAVA_HOME): pyspark needs one "
        "(apt-get install default-jre-headless)",
        allow_module_level=True,
    )

from builders import panel_exposure  # noqa: E402
from test_engines import KEY_SETS, assert_same_cells, assert_same_tables, cells_numpy  # noqa: E402

from pathaudit.attrition._rates import turnover_counts, turnover_from_counts  # noqa: E402
from pathaudit.engines import (  # noqa: E402
    person_time_cells,
    read_dataset,
    write_canonical_parquet,
)
from pathaudit.engines._audit import _rates  # noqa: E402
from pathaudit.engines._cells import on_engine  # noqa: E402
from pathaudit.errors import ArgumentError  # noqa: E402

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    """A local session of two threads (two shuffle partitions: the cells are small)."""
    from pyspark.sql import SparkSession

    t0 = time.perf_counter()
    session = (
        SparkSession.builder.master("local[2]")
        .appName("pathaudit-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    print(f"Spark session started in {time.perf_counter() - t0:.1f} s")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def canonical(sample_data, tmp_path_factory):
    """The sample's canonical Parquet, with the exposure table also as a folder of parts."""
    folder = tmp_path_factory.mktemp("canonical")
    write_canonical_parquet(sample_data, folder)
    parts = tmp_path_factory.mktemp("parts") / "exposure"
    parts.mkdir()
    ex = sample_data.exposure
    half = len(ex) // 2
    ex.iloc[:half].to_parquet(parts / "part-0.parquet", index=False)
    ex.iloc[half:].to_parquet(parts / "part-1.parquet", index=False)
    return folder, parts


@pytest.mark.parametrize("keys", KEY_SETS)
def test_sample_cells_same_on_spark(sample_data, canonical, spark, keys):
    folder, _ = canonical
    t0 = time.perf_counter()
    got = person_time_cells(folder, keys, engine="spark", session=spark)
    print(f"cells {keys} on Spark: {time.perf_counter() - t0:.2f} s")
    assert_same_cells(cells_numpy(sample_data.exposure, keys), got, keys)
    assert_same_cells(person_time_cells(sample_data, keys), got, keys)
    # the session's setting for nanosecond timestamps is given back as it was
    assert spark.conf.get("spark.sql.legacy.parquet.nanosAsLong", None) in (None, "false")


def test_sample_rate_inputs_same_on_spark(sample_data, canonical, spark):
    """The engine audit's rate parts and turnover from Spark's counts equal pandas'.

    Each of attrition's rate tables is ``exit_rates`` on cells (the engine audit's
    ``_rates``), so equal cells give equal rates; turnover has its own narwhals count
    (month-end headcounts from dates), read here from a folder of two Parquet parts with
    the session Spark finds active (no ``session`` passed).
    """
    folder, parts = canonical
    ds = read_dataset(folder)
    for keys in (["track"], ["track", "grade"], ["track", "year"]):
        on_spark = _rates(person_time_cells(parts, keys, engine="spark"), keys, 0.05)
        on_pandas = _rates(person_time_cells(sample_data, keys), keys, 0.05)
        assert_same_tables(on_pandas, on_spark, f"rates by {keys}")
        assert len(on_spark) > 0
    settings = {
        "history_start": ds.history_start,
        "as_of": ds.as_of,
        "fiscal_year_start_month": ds.fiscal_year_start_month,
        "alpha": 0.05,
    }
    on_spark = turnover_from_counts(on_engine(parts, "spark", turnover_counts), **settings)
    on_pandas = turnover_from_counts(turnover_counts(sample_data.exposure), **settings)
    for a, b, name in zip(on_pandas, on_spark, ("turnover", "turnover_quarterly"), strict=True):
        assert len(a) > 0
        assert_same_tables(a, b, name)


def test_spark_arguments_say_what_to_do(canonical):
    folder, _ = canonical
    ex = pd.DataFrame(
        {"employee_id": ["a"], "track": ["IC"], "person_years": [1.0], "event": ["none"]}
    )
    with pytest.raises(ArgumentError, match="engine='spark'"):
        person_time_cells(ex, ["track"], engine="pandas", session=object())
    with pytest.raises(ArgumentError, match="SparkSession"):
        person_time_cells(folder, ["track"], engine="spark", session=object())
    with pytest.raises(ArgumentError, match="canonical Parquet"):
        person_time_cells(ex, ["track"], engine="spark")


def test_study_panel_counts_same_on_spark(sample_data, canonical, spark, tmp_path):
    """The study panel's unit x quarter counts (ordered window ``shift(-1).over``) on Spark.

    The sample has hires but no IC moving unit; the hand-built table has both, and a row
    without a unit between two units (which Spark's ordered window counts, as pandas does).
    """
    from types import SimpleNamespace

    from pathaudit.engines._panel import panel_counts_narwhals
    from pathaudit.study._panel import unit_quarter_counts

    folder, _ = canonical
    ex = panel_exposure()
    # microsecond timestamps, as a pipeline of one's own may write them (Spark reads them as
    # they are; the sample's are nanoseconds, read as dates)
    ex.to_parquet(tmp_path / "exposure.parquet", index=False, coerce_timestamps="us")
    cases = [
        (sample_data, folder),
        (SimpleNamespace(exposure=ex, fiscal_year_start_month=1), tmp_path),
    ]
    for data, source in cases:
        fy = data.fiscal_year_start_month
        reference, why = unit_quarter_counts(data)
        reference = reference.sort_values(["org_unit", "q"], ignore_index=True)
        counts, left_out = on_engine(
            source, "spark", lambda native, fy=fy: panel_counts_narwhals(native, fy), session=spark
        )
        assert_same_tables(reference, counts, f"spark panel counts ({source.name})")
        assert left_out == why
        assert reference["hires"].sum() > 0
    assert reference["ic_moves_out"].sum() == 2 and reference["hires"].sum() == 3
    # turnover's month-end headcounts read the microsecond dates
    settings = {
        "history_start": pd.Timestamp("2021-01-01"),
        "as_of": pd.Timestamp("2021-09-30"),
        "fiscal_year_start_month": 1,
        "alpha": 0.05,
    }
    on_spark = turnover_from_counts(on_engine(tmp_path, "spark", turnover_counts), **settings)
    on_pandas = turnover_from_counts(turnover_counts(ex), **settings)
    for a, b, name in zip(on_pandas, on_spark, ("turnover", "turnover_quarterly"), strict=True):
        assert (a["average_headcount"] > 0).any()
        assert_same_tables(a, b, f"{name} from microsecond dates")
