"""Person-time cells written once in narwhals: the same code on pandas, DuckDB and Dask.

A cell is one combination of the key columns (by default track x grade x unit x fiscal year,
optionally a group column such as gender). Its figures are the input of every rate of the
audit: the person-years spent in it, the events that ended an interval in it (per kind) and
the distinct people who spent time in it.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.engines._dataset import DATASET_FILE, dataset_description
from pathaudit.errors import ArgumentError

ENGINES: tuple[str, ...] = ("pandas", "duckdb", "dask")
"""Engines of :func:`person_time_cells`: pandas (numpy, in memory, the default), DuckDB
(out of core, reading canonical Parquet) and Dask (a local or remote ``dask.distributed``
cluster, reading canonical Parquet)."""

SPARK = "spark"
"""Spark, through narwhals' PySpark backend: ``pyspark`` and a Java runtime installed by the
user (not a dependency of pathaudit, not offered by ``pathaudit audit --engine``)."""

CELL_ENGINES: tuple[str, ...] = (*ENGINES, SPARK)
"""Engines of :func:`person_time_cells` and :func:`on_engine`: :data:`ENGINES` and Spark."""

_NANOS_AS_LONG = "spark.sql.legacy.parquet.nanosAsLong"

CELL_KEYS: tuple[str, ...] = ("track", "grade", "org_unit", "year")
"""Default key columns of a cell."""

EVENT_KINDS: tuple[str, ...] = (
    "promotion",
    "exit_voluntary",
    "exit_involuntary",
    "exit_other",
    "switch_to_M",
    "switch_to_IC",
)
"""Event kinds counted per cell (``events_<kind>``): an exposure interval's ``event``."""

CELL_COLUMNS: tuple[str, ...] = ("person_years", "people", "intervals") + tuple(
    f"events_{k}" for k in EVENT_KINDS
)
"""Figures of every cell, after the key columns."""

CELLS_DEFINITION = (
    "One row per combination of the key columns seen in the exposure table. person_years: "
    "sum of the exposure intervals' person_years (observed time, [max(start, "
    "history_start), stop), years of 365.25 days); events_<kind>: exposure intervals whose "
    "event is <kind> (the spell's end reason, on its last interval); people: distinct "
    "employee IDs with an interval in the cell; intervals: exposure rows. Missing key values "
    "form their own cell."
)
"""The definition of the person-time cells (numerator, denominator, population)."""

_NEEDED = ("employee_id", "person_years", "event")

T = TypeVar("T")


def _check(engine: str, keys: Sequence[str], engines: Sequence[str] = ENGINES) -> None:
    if engine not in engines:
        others = [repr(e) for e in engines if e != "pandas"]
        parquet = " or ".join([", ".join(others[:-1]), others[-1]] if len(others) > 1 else others)
        raise ArgumentError(
            f"engine must be one of {list(engines)}; got {engine!r}. Use 'pandas' for data in "
            f"memory, {parquet} for canonical Parquet (pathaudit load --to-parquet)."
        )
    if not keys or len(set(keys)) != len(keys):
        raise ArgumentError(f"keys must name distinct columns; got {list(keys)!r}.")


def person_time_cells(
    source: AuditData | pd.DataFrame | str | Path,
    keys: Sequence[str] = CELL_KEYS,
    *,
    engine: str = "pandas",
    session: Any = None,
) -> pd.DataFrame:
    """Person-years, events and people per cell of ``keys``, on the engine asked for.

    Parameters
    ----------
    source
        An :class:`~pathaudit.data.AuditData` (its ``exposure``), an exposure table
        (``schema.EXPOSURE``) or, for every engine, canonical Parquet: a folder written by
        ``pathaudit load --to-parquet`` (its ``exposure.parquet``) or the Parquet file (or
        folder of parts) of an exposure table.
    keys
        Key columns of a cell (default: track, grade, org_unit, year); any exposure column,
        e.g. ``("track", "grade", "quarter", "gender")``.
    engine
        ``"pandas"`` (in memory), ``"duckdb"`` (out of core) or ``"dask"`` (the current
        ``dask.distributed`` client if one is running, else Dask's local scheduler). All
        three run the same narwhals expressions (:func:`cells_narwhals`); DuckDB and Dask
        need their optional extra (``pathaudit[duckdb]``, ``pathaudit[dask]``). ``"spark"``
        runs them through narwhals' PySpark backend, reading canonical Parquet; it needs
        ``pyspark`` and a Java runtime, which pathaudit does not install.
    session
        Spark only: the ``pyspark.sql.SparkSession`` to read with (default: the active
        session, else a local one, ``local[*]``, kept for the rest of the process).

    Returns
    -------
    pandas.DataFrame
        ``keys``, then :data:`CELL_COLUMNS`, sorted by ``keys`` (missing values last);
        the same figures on every engine (sums to rounding: parallel sums reorder).
        Definition: :data:`CELLS_DEFINITION`.

    Raises
    ------
    ArgumentError
        For an unknown engine, repeated keys, a key the exposure table lacks, a ``session``
        without ``engine="spark"``, or Spark asked for without ``pyspark`` installed.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> cells = person_time_cells(data, ("track", "year"))  # doctest: +SKIP
    >>> list(cells.columns[:4])  # doctest: +SKIP
    ['track', 'year', 'person_years', 'people']
    """
    keys = list(keys)
    _check(engine, keys, CELL_ENGINES)
    return on_engine(source, engine, lambda native: cells_narwhals(native, keys), session=session)


def on_engine(
    source: AuditData | pd.DataFrame | str | Path,
    engine: str,
    run: Callable[[Any], T],
    *,
    session: Any = None,
) -> T:
    """``run(native)`` on the exposure table of ``source`` as ``engine``'s own frame.

    ``native`` is the pandas table in memory (``engine="pandas"``), or a DuckDB relation or
    Dask frame scanning the canonical Parquet (as :func:`person_time_cells` reads it), or a
    Spark DataFrame (``engine="spark"``, read with ``session``: see :func:`person_time_cells`);
    Dask's and PySpark's notices about their own code are silenced while ``run`` runs.

    Examples
    --------
    >>> ex = pd.DataFrame({"employee_id": ["a", "b"]})
    >>> on_engine(ex, "pandas", len)
    2
    """
    if session is not None and engine != SPARK:
        raise ArgumentError(
            f"session is a SparkSession for engine='spark'; got engine={engine!r}. Leave "
            "session out, or pass engine='spark'."
        )
    if engine == "pandas":
        return run(_as_frame(source))
    path = _exposure_path(source)
    if engine == SPARK:
        return _on_spark(path, run, session)
    with _quiet_dask():
        import narwhals as nw

        backend: Any = engine  # "duckdb" or "dask", checked by the caller
        native = nw.scan_parquet(str(path), backend=backend).to_native()
        return run(native)


def _on_spark(path: Path, run: Callable[[Any], T], session: Any) -> T:
    """``run`` on a Spark DataFrame of the exposure Parquet (see :func:`on_engine`).

    Spark cannot read nanosecond timestamps (pandas' default in Parquet): they are read as
    integers (``spark.sql.legacy.parquet.nanosAsLong``, set on the session while ``run``
    runs) and turned into their UTC calendar date, which is what a canonical date is.
    """
    try:
        from pyspark.sql import SparkSession
        from pyspark.sql import functions as F
    except ImportError as err:
        raise ArgumentError(
            "engine='spark' needs pyspark and a Java runtime (17 or newer), which pathaudit "
            "does not install: 'pip install pyspark' and a JRE, or use engine='duckdb'."
        ) from err
    if session is None:
        session = SparkSession.builder.master("local[*]").appName("pathaudit").getOrCreate()
    elif not isinstance(session, SparkSession):
        raise ArgumentError(f"session must be a pyspark.sql.SparkSession; got {type(session)!r}.")
    import narwhals as nw
    import pyarrow as pa
    import pyarrow.parquet as pq

    first = min(path.parent.glob(path.name)) if path.name == "*.parquet" else path
    schema = pq.read_schema(first)
    nanos = [f.name for f in schema if pa.types.is_timestamp(f.type) and f.type.unit == "ns"]
    before = session.conf.get(_NANOS_AS_LONG, None)
    day_ns = 86_400 * 10**9
    with _quiet_dask():
        try:
            if nanos:
                session.conf.set(_NANOS_AS_LONG, "true")
            native = nw.scan_parquet(str(path), backend="pyspark", session=session).to_native()
            if nanos:
                native = native.withColumns(
                    {
                        c: F.date_from_unix_date(F.floor(F.col(c) / day_ns).cast("int"))
                        for c in nanos
                    }
                )
            return run(native)
        finally:
            if before is None:
                session.conf.unset(_NANOS_AS_LONG)
            else:
                session.conf.set(_NANOS_AS_LONG, before)


def _as_frame(source: AuditData | pd.DataFrame | str | Path) -> pd.DataFrame:
    if isinstance(source, AuditData):
        return source.exposure
    if isinstance(source, pd.DataFrame):
        return source
    path = _exposure_path(source)
    return pd.read_parquet(path.parent if path.name == "*.parquet" else path)


def _exposure_path(source: Any) -> Path:
    if not isinstance(source, str | Path):
        raise ArgumentError(
            "The duckdb, dask and spark engines read canonical Parquet: pass the folder written "
            f"by 'pathaudit load --to-parquet' or an exposure Parquet path; got {type(source)!r}."
        )
    path = Path(source)
    if path.is_dir() and (path / "exposure.parquet").exists():
        path = path / "exposure.parquet"
    if not path.exists():
        raise ArgumentError(
            f"No canonical exposure table at {path}. Write one with 'pathaudit load EXPORT "
            "--map MAP --to-parquet DIR' and pass DIR."
        )
    if path.is_dir():
        return path / "*.parquet"
    return path


def _check_columns(columns: Sequence[str], keys: Sequence[str]) -> None:
    missing = [c for c in (*_NEEDED, *keys) if c not in columns]
    if missing:
        raise ArgumentError(
            f"The exposure table has no column {missing!r}; its columns are {list(columns)}. "
            "Use keys among them (schema.EXPOSURE)."
        )


def cells_narwhals(native: Any, keys: Sequence[str]) -> pd.DataFrame:
    """:func:`person_time_cells` written once in narwhals, run on ``native``'s own engine.

    ``native`` is any frame narwhals reads: a pandas DataFrame, a DuckDB relation, a Dask
    DataFrame (or a Polars or PySpark frame). Only operations every one of these backends
    supports in a group-by are used: indicator columns made first with ``with_columns``,
    then one ``group_by(keys)`` with simple aggregations (``sum``, ``n_unique``, ``len``),
    then a sort; the result is collected into pandas.

    Parameters
    ----------
    native
        An exposure table (``schema.EXPOSURE`` columns; at least ``employee_id``,
        ``person_years``, ``event`` and the keys) in any backend narwhals reads.
    keys
        Key columns of a cell.

    Returns
    -------
    pandas.DataFrame
        As :func:`person_time_cells`.

    Examples
    --------
    >>> import pandas as pd
    >>> ex = pd.DataFrame({"employee_id": ["a", "a", "b"], "track": ["IC", "IC", "M"],
    ...                    "person_years": [0.5, 0.25, 1.0],
    ...                    "event": ["none", "promotion", "censored"]})
    >>> cells = cells_narwhals(ex, ["track"])
    >>> cells[["track", "person_years", "people", "events_promotion"]].values.tolist()
    [['IC', 0.75, 1, 1], ['M', 1.0, 1, 0]]
    """
    import narwhals as nw

    keys = list(keys)
    with _quiet_dask():
        frame = nw.from_native(native)
        _check_columns(frame.columns, keys)
        event = nw.col("event")
        frame = frame.with_columns(
            [(event == kind).cast(nw.Int64).alias(f"events_{kind}") for kind in EVENT_KINDS]
        )
        grouped = frame.group_by(keys).agg(
            nw.col("person_years").sum(),
            nw.col("employee_id").n_unique().alias("people"),
            nw.len().alias("intervals"),
            *[nw.col(f"events_{kind}").sum() for kind in EVENT_KINDS],
        )
        grouped = grouped.sort(keys, nulls_last=True)
        if isinstance(grouped, nw.LazyFrame):
            collected = grouped.collect(backend="pandas")
        else:
            collected = grouped
        table = collected.to_pandas()
    table = table[[*keys, *CELL_COLUMNS]].reset_index(drop=True)
    for c in CELL_COLUMNS[1:]:
        table[c] = table[c].fillna(0).astype(np.int64)
    table["person_years"] = table["person_years"].astype(float)
    return table


@contextmanager
def _quiet_dask() -> Iterator[None]:
    """Silence third-party notices about their own code, not the user's.

    narwhals says its Dask support moves to a separate package; Dask's Parquet reader calls
    a pandas method pandas 3.1 deprecates (``reset_index(inplace=True)``); PySpark says it
    does not yet fully support pandas 3, and its ``toPandas`` passes ``astype`` the ``copy``
    keyword pandas 3 deprecates (the Spark tests compare the cells with pandas').
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        warnings.filterwarnings(
            "ignore", message="The copy keyword is deprecated", module=r"pyspark\."
        )
        warnings.filterwarnings("ignore", message="Dask support is moving", category=FutureWarning)
        warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame.reset_index")
        yield


def write_canonical_parquet(data: AuditData, folder: str | Path) -> list[Path]:
    """Write the validated canonical tables and the derived spells and exposure as Parquet.

    Parameters
    ----------
    data
        A loaded dataset (:func:`pathaudit.load`).
    folder
        Created if missing; ``<table>.parquet`` for ``history``, ``people``, ``ladder``
        (and ``bands``, ``ratings``, ``adoption`` when present), ``spells`` and ``exposure``
        (``schema.SPELLS``, ``schema.EXPOSURE``), the input of the DuckDB and Dask engines,
        and ``dataset.json`` (:func:`dataset_description`: the dates, k and fiscal year).

    Returns
    -------
    list of pathlib.Path
        The files written.

    Examples
    --------
    >>> import pathaudit, tempfile
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> [p.name for p in write_canonical_parquet(data, tempfile.mkdtemp())][:2]  # doctest: +SKIP
    ['history.parquet', 'people.parquet']
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    tables: dict[str, pd.DataFrame | None] = {
        "history": data.history,
        "people": data.people,
        "ladder": data.ladder,
        "bands": data.bands,
        "ratings": data.ratings,
        "adoption": data.adoption,
    }
    if not data.is_snapshot:
        tables["spells"] = data.spells
        tables["exposure"] = data.exposure
    written = []
    for name, frame in tables.items():
        if frame is None:
            continue
        path = out / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        written.append(path)
    path = out / DATASET_FILE
    path.write_text(json.dumps(dataset_description(data), indent=2) + "\n", encoding="utf-8")
    written.append(path)
    return written
