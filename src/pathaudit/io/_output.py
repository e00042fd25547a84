"""The last step of loading: canonical columns, dtypes and order, pseudonyms, the AuditData."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.io._context import LoadContext
from pathaudit.io.privacy import pseudonymise
from pathaudit.io.schema import HISTORY, HISTORY_DERIVED, PEOPLE, PEOPLE_DERIVED, TABLES, Column

_DTYPES = {
    "str": str,
    "category": str,
    "date": "datetime64[ns]",
    "float": "float64",
    "int": "Int64",
}


def empty_column(kind: str, n: int) -> pd.Series:
    """``n`` missing values of a schema column kind (``Column.kind``)."""
    if kind == "date":
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    if kind in ("float",):
        return pd.Series(np.nan, index=range(n), dtype="float64")
    if kind == "int":
        return pd.Series(pd.NA, index=range(n), dtype="Int64")
    return pd.Series(np.nan, index=range(n), dtype=str)


def finalise(df: pd.DataFrame, cols: tuple[Column, ...], sort: list[str]) -> pd.DataFrame:
    """Canonical columns in canonical order and dtypes, sorted, fresh index."""
    out = pd.DataFrame(index=df.index)
    for c in cols:
        if c.name in df:
            s = df[c.name]
        else:
            s = empty_column(c.kind, len(df)).set_axis(df.index)
        out[c.name] = s.astype(_DTYPES[c.kind])
    out = out.take(stable_order(out, sort)).reset_index(drop=True)
    for name in out.columns:
        out[name] = _one_chunk(out[name])
    return out


def _one_chunk(s: pd.Series) -> pd.Series:
    """An Arrow-backed text column in one piece (the CSV reader returns it in blocks).

    The same values; every later take, filter and comparison on one contiguous array is
    about twice as fast as on dozens of chunks.
    """
    if not (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"):
        return s
    import pyarrow as pa

    arr = pa.array(s.array)
    if not isinstance(arr, pa.ChunkedArray) or arr.num_chunks <= 1:
        return s
    return pd.Series(pd.array(arr.combine_chunks(), dtype=s.dtype), index=s.index, name=s.name)


def stable_order(df: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Positions that sort ``df`` by ``keys`` (stable, missing values last).

    The order of ``df.sort_values(keys, kind="stable")``; text, date and integer keys are
    sorted in Arrow (one multi-key sort, no text factorised on the way).

    Examples
    --------
    >>> df = pd.DataFrame({"id": pd.Series(["b", "a", None, "a"], dtype=str), "n": [1, 2, 3, 1]})
    >>> stable_order(df, ["id", "n"]).tolist()
    [3, 1, 0, 2]
    """
    def arrow_kind(s: pd.Series) -> bool:
        return (
            (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow")
            or pd.api.types.is_datetime64_dtype(s.dtype)
            or pd.api.types.is_integer_dtype(s.dtype)
        )

    if not keys or not all(arrow_kind(df[k]) for k in keys):
        order = df.sort_values(keys, kind="stable").index if keys else df.index
        return np.asarray(df.index.get_indexer(order), dtype=np.int64)
    import pyarrow as pa
    import pyarrow.compute as pc

    table = pa.table({f"k{i}": pa.array(df[k].array) for i, k in enumerate(keys)})
    # Arrow's sort is stable and puts missing values last by default
    order = pc.sort_indices(table, sort_keys=[(f"k{i}", "ascending") for i in range(len(keys))])
    return np.asarray(order, dtype=np.int64)


def _finalise_table(df: pd.DataFrame | None, table: str, sort: list[str]) -> pd.DataFrame | None:
    if df is None:
        return None
    cols = TABLES[table]
    if table != "ladder" and "row" in df:
        cols = cols + (Column("row", "int"),)
    return finalise(df, cols, [c for c in sort if c in df])


def audit_data(
    ld: LoadContext,
    jobs: pd.DataFrame,
    people: pd.DataFrame,
    ladder: pd.DataFrame | None,
    others: dict[str, pd.DataFrame | None],
    snapshot: pd.DataFrame | None = None,
) -> AuditData:
    """The loaded dataset from its checked tables.

    Parameters
    ----------
    ld
        The load (dates, report, checked map, input hashes).
    jobs, people
        Checked job records and employment episodes (for a snapshot, both are the
        checked snapshot rows).
    ladder
        Checked ladder.
    others
        Checked optional tables by name (``ratings``, ``bands``, ``adoption``).
    snapshot
        The checked snapshot rows for a snapshot export, ``None`` for a history.

    Returns
    -------
    AuditData
        Canonical tables in canonical column order and dtypes, each sorted.
    """
    history = finalise(jobs, HISTORY + HISTORY_DERIVED, ["employee_id", "effective_date", "row"])
    people = finalise(people, PEOPLE + PEOPLE_DERIVED, ["employee_id", "hire_date", "row"])
    snap = None
    if snapshot is not None:
        snap_cols = TABLES["snapshot"] + (
            Column("grade", "int"),
            Column("pay", "float"),
            Column("row", "int"),
        )
        snap = finalise(snapshot, snap_cols, ["employee_id", "row"])
    return AuditData(
        history=history,
        people=people,
        ladder=_finalise_table(ladder, "ladder", ["track", "grade", "level"]),
        extract_date=ld.extract,
        history_start=ld.start,
        as_of=ld.as_of,
        bands=_finalise_table(others["bands"], "bands", ["track", "level", "row"]),
        ratings=_finalise_table(others["ratings"], "ratings", ["employee_id", "rating_date"]),
        adoption=_finalise_table(others["adoption"], "adoption", ["org_unit"]),
        is_snapshot=snapshot is not None,
        snapshot=snap,
        quality=ld.q,
        config=copy.deepcopy(ld.cmap.config),
        inputs=dict(sorted(ld.inputs.items())),
    )


def pseudonymised(data: AuditData, salt: str) -> AuditData:
    """``data`` with employee and manager IDs replaced by salted pseudonyms, tables re-sorted."""

    def swap(df: pd.DataFrame | None, cols: tuple[str, ...]) -> pd.DataFrame | None:
        if df is None:
            return None
        df = df.copy()
        for c in cols:
            if c in df:
                df[c] = pseudonymise(df[c], salt)
        return df

    ids = ("employee_id", "manager_id")
    hist = data.history.copy()
    people = data.people.copy()
    for c in ids:
        hist[c] = pseudonymise(hist[c], salt)
        if c in people:
            people[c] = pseudonymise(people[c], salt)
    return dataclasses.replace(
        data,
        history=hist.sort_values(["employee_id", "effective_date", "row"]).reset_index(drop=True),
        people=people.sort_values(["employee_id", "hire_date", "row"]).reset_index(drop=True),
        ratings=swap(data.ratings, ids),
        snapshot=swap(data.snapshot, ids),
    )
