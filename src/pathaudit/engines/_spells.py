"""Spells and exposure written once in narwhals: window functions over (person, date).

The same expressions derive spells and exposure from the canonical ``history`` and ``people``
tables on pandas (in memory) and on DuckDB (out of core, reading canonical Parquet), by the
numbered rules of :mod:`pathaudit.derived.spells` (rules 1-9). Dates are turned into day
numbers by integer arithmetic on year, month and day (every backend has these), ordered
windows (``shift``, ``cum_sum`` with ``over(partition, order_by=...)``) number and bound the
spells, and exposure is split at the fiscal quarters by an equality join with a small
calendar table (one row per quarter for every pair of first and last quarters a record can
span), so nothing is exploded in Python.

Dask's narwhals backend has no ordered window (``over(..., order_by=...)``), so this
derivation does not run on Dask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.derived.calendar import (
    dates_from_days,
    fiscal_month_offset,
    quarter_index,
    quarter_parts,
    quarter_start_day,
)
from pathaudit.engines._cells import _quiet_dask
from pathaudit.engines._dataset import read_dataset
from pathaudit.errors import ArgumentError, InputError
from pathaudit.io.schema import DAYS_PER_YEAR, EXPOSURE, SPELLS

SPELL_ENGINES: tuple[str, ...] = ("pandas", "duckdb")
"""Engines of :func:`derive_spells_engine`: pandas (in memory) and DuckDB (canonical
Parquet). Dask's narwhals backend has no ordered window, which the derivation needs."""

SPELL_COLUMNS: tuple[str, ...] = tuple(c.name for c in SPELLS)
"""Columns of the spells :func:`derive_spells_engine` returns: every column of
``schema.SPELLS``."""

EXPOSURE_COLUMNS: tuple[str, ...] = tuple(c.name for c in EXPOSURE)
"""Columns of the exposure :func:`derive_spells_engine` returns: every column of
``schema.EXPOSURE``."""

_HISTORY_NEEDED = ("employee_id", "effective_date", "track", "level", "grade", "row")
_PEOPLE_NEEDED = ("employee_id", "hire_date", "row")
_HISTORY_OPTIONAL = {"pay": "float", "org_unit": "str", "job_family": "str", "location": "str"}
_PEOPLE_OPTIONAL = {
    "termination_date": "date",
    "termination_type": "str",
    "episode": "int",
    "gender": "str",
    "ethnicity": "str",
    "age_band": "str",
}
_EXIT_TYPES = ("voluntary", "involuntary", "other")
_YEAR_OFFSET = 4000
"""Years are shifted by this many years (times 100 for leap days) inside the expressions so
that floor division only meets positive numbers, then shifted back."""


@dataclass(frozen=True)
class _Settings:
    as_of: int
    history_start: int
    offset: int
    is_snapshot: bool
    q_as_of: int  # the fiscal quarter of as_of
    q_history_start: int


def _day_number(ts: pd.Timestamp) -> int:
    return int(np.datetime64(pd.Timestamp(ts).date(), "D").astype(np.int64))


def _days(col: str) -> Any:
    """Days since 1970-01-01 of a date column, from ``dt.year`` and ``dt.ordinal_day``.

    ``365 * (y - 1970) + leap days before y since 1970 + day of year - 1`` (proleptic
    Gregorian), by floor division of positive numbers only; every narwhals backend has
    these operations.
    """
    import narwhals as nw

    year = nw.col(col).dt.year() - 1 + 100 * _YEAR_OFFSET  # a multiple of 400: same leaps
    leaps = year // 4 - year // 100 + year // 400
    base = 1969 + 100 * _YEAR_OFFSET
    before = base // 4 - base // 100 + base // 400
    return 365 * (nw.col(col).dt.year() - 1970) + leaps - before + nw.col(col).dt.ordinal_day() - 1


def _quarter(col: str, offset: int) -> Any:
    """Absolute fiscal quarter of a date column, from its year and month.

    The numbering of :func:`~pathaudit.derived.calendar.quarter_index`.
    """
    import narwhals as nw

    months = (nw.col(col).dt.year() - 1970 + _YEAR_OFFSET) * 12 + nw.col(col).dt.month() - 1
    return (months - offset) // 3 - 4 * _YEAR_OFFSET


def _quarter_before(col: str, offset: int) -> Any:
    """The fiscal quarter of the day before each date.

    The quarter of the last day of an interval that stops (exclusive) on the date.
    """
    import narwhals as nw

    first_day = (nw.col(col).dt.day() == 1) & ((nw.col(col).dt.month() - 1 - offset + 12) % 3 == 0)
    return _quarter(col, offset) - nw.when(first_day).then(1).otherwise(0)


def _calendar(s: _Settings) -> pd.DataFrame:
    """One row per quarter ``q`` for every pair ``q0 <= q <= q1`` of observable quarters.

    A record segment spanning quarters ``q0 .. q1`` joins exactly its ``q1 - q0 + 1`` rows
    on ``(q0, q1)``: the split at quarter boundaries as an equality join. Quarters, their
    first days, labels and fiscal years come from :mod:`pathaudit.derived.calendar`.
    """
    lo = int(quarter_index(np.array([s.history_start]), s.offset)[0])
    hi = int(quarter_index(np.array([max(s.as_of, s.history_start)]), s.offset)[0])
    qs = np.arange(lo, hi + 1)
    a, b = np.triu_indices(len(qs))  # a <= b
    span = b - a + 1
    q0 = np.repeat(a, span)
    q = q0 + (np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span))
    q1 = np.repeat(b, span)
    year, _, label = quarter_parts(qs, s.offset)
    bounds = quarter_start_day(np.arange(lo, hi + 2), s.offset)
    return pd.DataFrame(
        {
            "q0": (qs[q0]).astype(np.int64),
            "q1": (qs[q1]).astype(np.int64),
            "quarter": label.to_numpy(dtype=object)[q].astype(str),
            "year": year[q].astype(np.int64),
            "q_start": bounds[q].astype(np.int64),
            "q_stop": bounds[q + 1].astype(np.int64),
            "q_last": q == q1,
        }
    )


def _with_missing(frame: Any, optional: dict[str, str]) -> Any:
    """Add the optional columns a table lacks, all missing, with their types."""
    import narwhals as nw

    types = {
        "str": nw.String(),
        "float": nw.Float64(),
        "int": nw.Float64(),
        "date": nw.Datetime("ns"),
    }
    absent = [c for c in optional if c not in frame.columns]
    if not absent:
        return frame
    return frame.with_columns([nw.lit(None, dtype=types[optional[c]]).alias(c) for c in absent])


def _check_table(columns: Sequence[str], needed: Sequence[str], name: str) -> None:
    missing = [c for c in needed if c not in columns]
    if missing:
        raise InputError(
            f"The canonical {name} table has no column {missing!r}; its columns are "
            f"{list(columns)}. Write it with 'pathaudit load EXPORT --map MAP --to-parquet DIR' "
            f"or give it the columns of schema.{name.upper()}."
        )


def _max(a: Any, b: Any) -> Any:
    import narwhals as nw

    return nw.when(a >= b).then(a).otherwise(b)


def _min(a: Any, b: Any) -> Any:
    import narwhals as nw

    return nw.when(a <= b).then(a).otherwise(b)


def _episodes(people: Any, s: _Settings, numbered: bool) -> Any:
    """Rule 1: people -> kept employment episodes, one row each (narwhals lazy frame)."""
    import narwhals as nw

    person = "employee_id"
    p = people.with_columns(
        _days("hire_date").alias("hire"),
        _days("termination_date").alias("term"),
        _quarter("hire_date", s.offset).alias("q_hire"),
        _quarter_before("hire_date", s.offset).alias("q_before_hire"),
        _quarter("termination_date", s.offset).alias("q_term"),
        nw.col("termination_type").cast(nw.String),
    )
    if not numbered:  # 0, 1, ... by hire date within the person (all rows, as the numpy rule)
        p = p.with_columns(
            (nw.col("hire").fill_null(0) * 0 + 1)
            .cum_sum()
            .over(person, order_by=["hire", "row"])
            .alias("episode")
        ).with_columns((nw.col("episode") - 1).cast(nw.Int64))
    p = p.filter(
        ~nw.col(person).is_null(),
        ~nw.col("hire").is_null(),
        nw.col("hire") <= s.as_of,
        nw.col("term").is_null() | (nw.col("term") >= nw.col("hire")),
    )
    exited = ~nw.col("term").is_null() & (nw.col("term") <= s.as_of)
    p = p.with_columns(
        exited.alias("exited"),
        nw.when(exited).then(nw.col("term") + 1).otherwise(s.as_of + 1).alias("stop0"),
        nw.col("hire").shift(-1).over(person, order_by=["hire", "row"]).alias("next_hire"),
        nw.col("q_before_hire")
        .shift(-1)
        .over(person, order_by=["hire", "row"])
        .alias("q_before_next_hire"),
    )
    overlap = ~nw.col("next_hire").is_null() & (nw.col("next_hire") < nw.col("stop0"))
    overlap = overlap.fill_null(False)
    p = p.with_columns(
        nw.when(overlap).then(nw.col("next_hire")).otherwise(nw.col("stop0")).alias("stop"),
        # the quarter of the episode's last day
        nw.when(overlap)
        .then(nw.col("q_before_next_hire"))
        .when(nw.col("exited"))
        .then(nw.col("q_term"))
        .otherwise(nw.lit(s.q_as_of))
        .alias("q_end"),
        (nw.col("exited") & ~overlap).alias("exited"),
    ).filter(nw.col("stop") > nw.col("hire"))
    ttype = nw.col("termination_type")
    reason = nw.lit("exit_other")
    for kind in _EXIT_TYPES:
        reason = nw.when(ttype == kind).then(nw.lit(f"exit_{kind}")).otherwise(reason)
    return p.select(
        person,
        "hire",
        "term",
        "stop",
        "exited",
        "q_hire",
        "q_end",
        nw.col("episode").cast(nw.Int64),
        reason.alias("exit_reason"),
        *(nw.col(c).cast(nw.String) for c in ("gender", "ethnicity", "age_band")),
    )


def _records(history: Any, episodes: Any, s: _Settings) -> Any:
    """Rules 2-7: history records inside kept episodes, with spell numbers and stops."""
    import narwhals as nw

    person, ep = "employee_id", ["employee_id", "hire"]
    h = history.select(
        person,
        "row",
        "track",
        "level",
        "grade",
        "pay",
        "org_unit",
        "job_family",
        "location",
        _days("effective_date").alias("day"),
        _quarter("effective_date", s.offset).alias("q_day"),
        _quarter_before("effective_date", s.offset).alias("q_before"),
    ).filter(~nw.col(person).is_null(), ~nw.col("day").is_null(), nw.col("day") <= s.as_of)
    # rule 2: the last record in file order of a person and date
    h = h.filter(nw.col("row") == nw.col("row").max().over(person, "day"))
    # rule 3: the episode whose [hire, stop) holds the record (episodes do not overlap)
    h = h.join(
        episodes.select(person, "hire", "term", "stop", "exited", "q_hire", "q_end"), on=person
    )
    h = h.filter(nw.col("day") >= nw.col("hire"), nw.col("day") < nw.col("stop"))
    h = h.with_columns((nw.col("day") == nw.col("day").min().over(*ep)).alias("first"))
    # rule 4: a record on the termination date (not the episode's first) is ignored
    on_term = ~nw.col("first") & nw.col("exited") & (nw.col("day") == nw.col("term"))
    h = h.filter(~on_term.fill_null(False))
    # rule 6: the first record is extended back to the hire date
    late = nw.col("first") & (nw.col("day") > nw.col("hire")) & (not s.is_snapshot)
    h = h.with_columns(
        late.alias("start_imputed"),
        nw.when(late).then(nw.col("hire")).otherwise(nw.col("day")).alias("day"),
        nw.when(late).then(nw.col("q_hire")).otherwise(nw.col("q_day")).alias("q_day"),
    )
    # rule 7: a new spell at the first record and at every change of track or level
    changed = (nw.col("track") != nw.col("track").shift(1).over(*ep, order_by="day")) | (
        nw.col("level") != nw.col("level").shift(1).over(*ep, order_by="day")
    )
    h = h.with_columns((nw.col("first") | changed.fill_null(True)).cast(nw.Int64).alias("new"))
    next_day = nw.col("day").shift(-1).over(*ep, order_by="day")
    return h.with_columns(
        nw.col("new").cum_sum().over(*ep, order_by="day").alias("spell_no"),
        nw.when(next_day.is_null()).then(nw.col("stop")).otherwise(next_day).alias("rec_stop"),
        # the quarter of the record's last day
        nw.when(next_day.is_null())
        .then(nw.col("q_end"))
        .otherwise(nw.col("q_before").shift(-1).over(*ep, order_by="day"))
        .alias("q1"),
        (nw.col("new").shift(-1).over(*ep, order_by="day").fill_null(1) == 1).alias("rec_last"),
    )


def _spells(records: Any, episodes: Any, s: _Settings) -> Any:
    """Rules 7-8: one row per spell, its end reason, delayed entry, kept after history_start."""
    import narwhals as nw

    ep = ["employee_id", "hire"]
    key = [*ep, "spell_no"]
    firsts = records.filter(nw.col("new") == 1).select(
        *key,
        "track",
        "level",
        "grade",
        "org_unit",
        "job_family",
        "location",
        "start_imputed",
        nw.col("day").alias("start"),
        nw.col("pay").alias("start_pay"),
    )
    lasts = records.filter(nw.col("rec_last")).select(
        *key,
        nw.col("pay").alias("end_pay"),
        nw.col("rec_stop").alias("stop"),
    )
    # grade as a float: narwhals' pandas backend cannot scatter missing values into a
    # nullable integer column after an ordered shift
    nxt = {
        c: nw.col(c).shift(-1).over(*ep, order_by="start") for c in ("track", "level", "start_pay")
    }
    nxt["grade"] = nw.col("grade").cast(nw.Float64).shift(-1).over(*ep, order_by="start")
    sp = firsts.join(lasts, on=key).with_columns(
        nxt["track"].alias("next_track"),
        nxt["level"].alias("next_level"),
        nxt["grade"].alias("next_grade"),
        nxt["start_pay"].alias("next_pay"),
    )
    sp = sp.join(
        episodes.select(*ep, "episode", "exited", "exit_reason", "gender", "ethnicity", "age_band"),
        on=ep,
    )
    last_in_ep = nw.col("next_track").is_null()
    grade, next_grade = nw.col("grade"), nw.col("next_grade")
    reason = (
        nw.when(last_in_ep & nw.col("exited"))
        .then(nw.col("exit_reason"))
        .when(last_in_ep)
        .then(nw.lit("censored"))
        .when((nw.col("next_track") != nw.col("track")) & (nw.col("next_track") == "M"))
        .then(nw.lit("switch_to_M"))
        .when(nw.col("next_track") != nw.col("track"))
        .then(nw.lit("switch_to_IC"))
        .when((next_grade > grade).fill_null(False))
        .then(nw.lit("promotion"))
        .when((next_grade < grade).fill_null(False))
        .then(nw.lit("demotion"))
        .otherwise(nw.lit("lateral"))
    )
    sp = sp.with_columns(reason.alias("end_reason")).filter(nw.col("stop") > s.history_start)
    ones = (nw.col("spell_no") * 0 + 1).cast(nw.Int64)
    return sp.with_columns(
        (ones.cum_sum().over(order_by=[*ep, "start"]) - 1).alias("spell_id"),
        (_max(s.history_start - nw.col("start"), nw.lit(0)) / DAYS_PER_YEAR).alias("entry"),
        ((nw.col("stop") - nw.col("start")) / DAYS_PER_YEAR).alias("duration"),
        ((nw.col("start") - nw.col("hire")) / DAYS_PER_YEAR).alias("tenure_at_start"),
    )


def _exposure(records: Any, spells: Any, calendar: Any, s: _Settings) -> Any:
    """Rule 9: the observed part of every kept spell's records, split at fiscal quarters."""
    import narwhals as nw

    key = ["employee_id", "hire", "spell_no"]
    seg = records.filter(nw.col("rec_stop") > s.history_start).join(
        spells.select(
            *key,
            "spell_id",
            "episode",
            "end_reason",
            "gender",
            "ethnicity",
            "age_band",
            nw.col("start").alias("spell_start"),
        ),
        on=key,
    )
    seg = seg.with_columns(_max(nw.col("day"), nw.lit(s.history_start)).alias("seg_start"))
    seg = seg.with_columns(_max(nw.col("q_day"), nw.lit(s.q_history_start)).alias("q0")).join(
        calendar, on=["q0", "q1"]
    )
    start = _max(nw.col("seg_start"), nw.col("q_start"))
    stop = _min(nw.col("rec_stop"), nw.col("q_stop"))
    last = nw.col("rec_last") & nw.col("q_last")
    return seg.select(
        "employee_id",
        "episode",
        "spell_id",
        start.alias("start"),
        stop.alias("stop"),
        ((stop - start) / DAYS_PER_YEAR).alias("person_years"),
        "quarter",
        "year",
        "track",
        "level",
        "grade",
        "org_unit",
        "job_family",
        "location",
        "pay",
        ((start - nw.col("hire")) / DAYS_PER_YEAR).alias("tenure"),
        ((start - nw.col("spell_start")) / DAYS_PER_YEAR).alias("time_in_spell"),
        nw.when(last).then(nw.col("end_reason")).otherwise(nw.lit("none")).alias("event"),
        "gender",
        "ethnicity",
        "age_band",
    )


def spells_narwhals(
    history: Any,
    people: Any,
    *,
    as_of: pd.Timestamp,
    history_start: pd.Timestamp,
    fiscal_year_start_month: int = 1,
    is_snapshot: bool = False,
) -> tuple[Any, Any]:
    r"""Spells and exposure as narwhals lazy frames on ``history``'s own engine.

    Parameters
    ----------
    history, people
        The canonical tables (``schema.HISTORY``, ``schema.PEOPLE``) in any backend narwhals
        reads with ordered windows: a pandas DataFrame or a DuckDB relation. ``history``
        needs ``employee_id, effective_date, track, level, grade, row`` (``pay``,
        ``org_unit``, ``job_family``, ``location`` when present); ``people`` needs
        ``employee_id, hire_date, row`` (``termination_date``, ``termination_type``,
        ``episode``, ``gender``, ``ethnicity``, ``age_band`` when present).
    as_of, history_start
        The analysis date and the first date of the complete history.
    fiscal_year_start_month
        First month of the fiscal year (1-12).
    is_snapshot
        A snapshot export: the first record is not extended back to the hire date.

    Returns
    -------
    (spells, exposure)
        narwhals ``LazyFrame``\ s, not yet computed (on DuckDB: queries that run out of
        core when collected or aggregated). Dates are day numbers (days since 1970-01-01)
        in ``start``, ``stop`` and ``hire``; text columns are strings.
        :func:`derive_spells_engine` collects them into the tables of
        :func:`pathaudit.derived.spells.derive_spells` and ``derive_exposure``.

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"employee_id": ["a", "a"], "row": [1, 2], "track": ["IC", "IC"],
    ...                   "effective_date": pd.to_datetime(["2020-01-01", "2021-01-01"]),
    ...                   "level": ["IC3", "IC4"], "grade": [3, 4]})
    >>> p = pd.DataFrame({"employee_id": ["a"], "row": [1],
    ...                   "hire_date": pd.to_datetime(["2020-01-01"])})
    >>> sp, ex = spells_narwhals(h, p, as_of=pd.Timestamp("2021-12-31"),
    ...                          history_start=pd.Timestamp("2020-01-01"))
    >>> sp.collect().to_pandas()["end_reason"].tolist()
    ['promotion', 'censored']
    """
    import narwhals as nw

    days = np.array([_day_number(as_of), _day_number(history_start)])
    offset = fiscal_month_offset(fiscal_year_start_month)
    quarters = quarter_index(days, offset)
    s = _Settings(
        int(days[0]), int(days[1]), offset, bool(is_snapshot), int(quarters[0]), int(quarters[1])
    )
    h = nw.from_native(history).lazy()
    p = nw.from_native(people).lazy()
    _check_table(h.columns, _HISTORY_NEEDED, "history")
    _check_table(p.columns, _PEOPLE_NEEDED, "people")
    h = _with_missing(h, _HISTORY_OPTIONAL).with_columns(
        *(
            nw.col(c).cast(nw.String)
            for c in ("employee_id", "track", "level", "org_unit", "job_family", "location")
        ),
        nw.col("pay").cast(nw.Float64),
        nw.col("grade").cast(nw.Int64),
    )
    numbered = "episode" in p.columns
    p = _with_missing(p, _PEOPLE_OPTIONAL).with_columns(nw.col("employee_id").cast(nw.String))
    if numbered:
        missing = p.select(nw.col("episode").is_null().sum()).collect().item()
        numbered = not missing
    episodes = _episodes(p, s, numbered)
    records = _records(h, episodes, s)
    spells = _spells(records, episodes, s)
    native = nw.to_native(h)
    cal = _calendar(s)
    calendar = nw.from_native(_native_like(native, cal)).lazy()
    exposure = _exposure(records, spells, calendar, s)
    return spells, exposure


def _native_like(native: Any, frame: pd.DataFrame) -> Any:
    """``frame`` as a table of ``native``'s backend (pandas or DuckDB)."""
    if isinstance(native, pd.DataFrame):
        return frame
    import duckdb

    return duckdb.from_df(frame)  # noqa: F841 (read by DuckDB's replacement scan)


def derive_spells_engine(
    source: AuditData | str | Path,
    *,
    engine: str = "pandas",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Spells and exposure derived by the narwhals expressions, collected into pandas.

    Parameters
    ----------
    source
        An :class:`~pathaudit.data.AuditData` (its tables in memory; DuckDB queries them
        there), or a canonical Parquet folder written by ``pathaudit load --to-parquet``
        (``history``, ``people`` and ``dataset.json``; DuckDB reads it out of core).
    engine
        ``"pandas"`` or ``"duckdb"`` (:data:`SPELL_ENGINES`).

    Returns
    -------
    (spells, exposure)
        The columns of :data:`SPELL_COLUMNS` and :data:`EXPOSURE_COLUMNS` (those of
        ``schema.SPELLS`` and ``schema.EXPOSURE``), sorted as
        :func:`pathaudit.derived.spells.derive_spells` and ``derive_exposure`` sort them,
        with the same definitions; text columns as ``str`` (not categories), integers as
        ``Int64``, dates as ``datetime64[ns]``. No data-quality findings are recorded
        (the load records them).

    Raises
    ------
    ArgumentError
        For an engine other than pandas or duckdb (Dask has no ordered window).

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> spells, exposure = derive_spells_engine(data)  # doctest: +SKIP
    >>> len(spells) == len(data.spells)  # doctest: +SKIP
    True
    """
    if engine not in SPELL_ENGINES:
        raise ArgumentError(
            f"engine must be one of {list(SPELL_ENGINES)} for spells; got {engine!r}. Dask's "
            "narwhals backend has no ordered window (over(..., order_by=...)): derive spells "
            "on pandas or DuckDB and aggregate the exposure on Dask."
        )
    if isinstance(source, AuditData):
        history, people = source.history, source.people
        if engine == "duckdb":  # the tables in memory, queried by DuckDB
            import duckdb

            history, people = duckdb.from_df(history), duckdb.from_df(people)
        settings = dict(
            as_of=source.as_of,
            history_start=source.history_start,
            fiscal_year_start_month=source.fiscal_year_start_month,
            is_snapshot=source.is_snapshot,
        )
    else:
        ds = read_dataset(source, tables=("history", "people"))
        paths = {n: ds.table(n) for n in ("history", "people")}
        history, people = (_read(p, engine) for p in paths.values() if p is not None)
        settings = dict(
            as_of=ds.as_of,
            history_start=ds.history_start,
            fiscal_year_start_month=ds.fiscal_year_start_month,
            is_snapshot=False,
        )
    with _quiet_dask():
        sp, ex = spells_narwhals(history, people, **settings)
        spells = sp.sort("employee_id", "hire", "start").collect(backend="pandas").to_pandas()
        exposure = ex.sort("spell_id", "start").collect(backend="pandas").to_pandas()
    return _spells_table(spells), _exposure_table(exposure)


def _read(path: Path, engine: str) -> Any:
    import narwhals as nw

    target = path / "*.parquet" if path.is_dir() else path
    if engine == "pandas":
        return pd.read_parquet(path)
    return nw.scan_parquet(str(target), backend="duckdb").to_native()


def _text(col: pd.Series) -> pd.Series:
    return col.astype("str")


def _spells_table(sp: pd.DataFrame) -> pd.DataFrame:
    sp = sp.reset_index(drop=True)
    out = {}
    for c in SPELL_COLUMNS:
        if c in ("start", "stop"):
            out[c] = dates_from_days(sp[c].to_numpy(dtype=np.int64))
        elif c == "hire_date":
            out[c] = dates_from_days(sp["hire"].to_numpy(dtype=np.int64))
        elif c in ("episode", "spell_id", "grade", "next_grade"):
            out[c] = sp[c].astype("Int64")
        elif c in ("entry", "duration", "tenure_at_start", "start_pay", "end_pay", "next_pay"):
            out[c] = sp[c].astype(float)
        elif c == "start_imputed":
            out[c] = sp[c].astype(bool)
        else:
            out[c] = _text(sp[c])
    return pd.DataFrame(out)


def _exposure_table(ex: pd.DataFrame) -> pd.DataFrame:
    ex = ex.reset_index(drop=True)
    out = {}
    for c in EXPOSURE_COLUMNS:
        if c in ("start", "stop"):
            out[c] = dates_from_days(ex[c].to_numpy(dtype=np.int64))
        elif c in ("episode", "spell_id", "grade", "year"):
            out[c] = ex[c].astype("Int64")
        elif c in ("person_years", "pay", "tenure", "time_in_spell"):
            out[c] = ex[c].astype(float)
        else:
            out[c] = _text(ex[c])
    return pd.DataFrame(out)
