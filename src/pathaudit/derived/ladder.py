"""The ladder: (track, level) -> grade, per unit and date; the IC <-> M equivalence.

A grade is an integer rank comparable across tracks: equal grade means work of
equal value, so pay and promotion are always compared within a grade. A ladder
row may apply to one ``org_unit`` only and from a ``valid_from`` date only
(adopting a dual ladder can add IC levels in one unit from one date). The most
specific row wins: a unit's own row over an organisation-wide row, and the
latest ``valid_from`` on or before the record's date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.errors import PathauditError
from pathaudit.io.schema import TRACKS

_ALWAYS = pd.Timestamp("1678-01-01")
"""Stands in for an empty ``valid_from`` (the row applies at every date)."""

UNKNOWN_TRACK = "track must be one of {tracks}; found {track!r}."


def codes_in(values: pd.Series, categories: object) -> np.ndarray:
    """Integer code of each value among ``categories`` (-1 when absent or missing).

    Parameters
    ----------
    values
        Values to encode (any dtype; compared as text).
    categories
        Distinct values defining the codes.

    Returns
    -------
    numpy.ndarray
        ``int64`` codes, one per value.

    Notes
    -----
    Each distinct value is looked up once (``pandas.factorize``), so joining on
    these codes is much cheaper than joining on text.
    """
    codes, uniques = pd.factorize(values)
    lookup = pd.Index(pd.Series(categories, dtype=str)).get_indexer(pd.Series(uniques).astype(str))
    lookup = np.append(lookup, -1)  # code -1 (missing) looks up the last slot
    return lookup[codes].astype("int64")


def _ladder_parts(ladder: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a ladder into organisation-wide rows and unit-specific rows, valid_from filled."""
    lad = ladder.copy()
    if "valid_from" not in lad:
        lad["valid_from"] = pd.NaT
    if "org_unit" not in lad:
        lad["org_unit"] = pd.NA
    lad["valid_from"] = pd.to_datetime(lad["valid_from"]).fillna(_ALWAYS).astype("datetime64[ns]")
    lad["grade"] = lad["grade"].astype("Int64")
    unit = lad["org_unit"].notna()
    return lad.loc[~unit], lad.loc[unit]


def assign_grades(
    records: pd.DataFrame,
    ladder: pd.DataFrame,
    *,
    date_column: str = "effective_date",
) -> pd.Series:
    """Grade of every record from the ladder, by track, level, unit and date.

    Parameters
    ----------
    records
        Rows with ``track``, ``level``, ``date_column`` and optionally ``org_unit``.
    ladder
        Canonical ladder (``track, level, grade[, org_unit, valid_from]``).
    date_column
        The records' date column.

    Returns
    -------
    pandas.Series
        ``Int64`` grades aligned with ``records.index``; missing where no ladder row
        applies (level absent, or only valid later, or only in other units).

    Notes
    -----
    Two as-of joins (``pandas.merge_asof`` on the date, by track and level, and by
    track, level and unit): a unit-specific row takes precedence over an
    organisation-wide one; within each, the row with the latest ``valid_from`` on
    or before the record's date applies. An empty ``valid_from`` means "always".
    """
    out = pd.Series(pd.NA, index=records.index, dtype="Int64")
    if records.empty or ladder is None or ladder.empty:
        return out
    glob, unit = _ladder_parts(ladder)
    # integer codes shared by records and ladder: joins on ints, not on text
    keys = ["track", "level"] + (["org_unit"] if "org_unit" in records else [])
    rec = pd.DataFrame(
        {
            "_date": pd.to_datetime(records[date_column]).astype("datetime64[ns]").to_numpy(),
            "_pos": np.arange(len(records)),
        }
    )
    lad_codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for k in keys:
        lad_vals = pd.concat([glob[k], unit[k]]).astype(str)
        cats = pd.unique(pd.concat([lad_vals, records[k].astype(str)]).dropna())
        rec[k] = codes_in(records[k], cats)
        lad_codes[k] = (codes_in(glob[k], cats), codes_in(unit[k], cats))
    rec = rec.loc[rec["_date"].notna()].sort_values("_date", kind="stable")
    grades = np.full(len(records), np.nan)
    for part, (frame, by) in enumerate(
        ((glob, ["track", "level"]), (unit, ["track", "level", "org_unit"]))
    ):
        if frame.empty or any(b not in rec for b in by):
            continue
        right = pd.DataFrame({b: lad_codes[b][part] for b in by})
        right["valid_from"] = frame["valid_from"].to_numpy()
        right["grade"] = frame["grade"].to_numpy(dtype="float64", na_value=np.nan)
        left = rec[[*by, "_date", "_pos"]]
        if part == 1:
            left = left.loc[left["org_unit"] >= 0]
        m = pd.merge_asof(
            left,
            right.sort_values("valid_from", kind="stable"),
            left_on="_date",
            right_on="valid_from",
            by=by,
            direction="backward",
        )
        found = m["grade"].notna().to_numpy()
        grades[m["_pos"].to_numpy()[found]] = m["grade"].to_numpy(dtype="float64")[found]
    return pd.Series(grades, index=records.index).astype("Int64")


def ladder_from_grades(
    records: pd.DataFrame, *, date_column: str = "effective_date"
) -> pd.DataFrame:
    """Build a ladder from records that already carry a global grade.

    Parameters
    ----------
    records
        Rows with ``track``, ``level``, ``grade`` and ``date_column``.
    date_column
        The records' date column.

    Returns
    -------
    pandas.DataFrame
        Canonical ladder: ``track, level, grade, title, org_unit, valid_from``. One row
        per (track, level) when a level always has the same grade (``valid_from``
        empty); otherwise one row per (track, level, grade) with ``valid_from`` the
        first date the level was seen at that grade.
    """
    first = (
        records.groupby(["track", "level", "grade"], observed=True, sort=True)[date_column]
        .min()
        .reset_index()
        .rename(columns={date_column: "valid_from"})
    )
    n_grades = first.groupby(["track", "level"], observed=True)["grade"].transform("size")
    first.loc[n_grades == 1, "valid_from"] = pd.NaT
    first["title"] = pd.Series(np.nan, index=first.index, dtype=str)
    first["org_unit"] = pd.Series(np.nan, index=first.index, dtype=str)
    out = first[["track", "level", "grade", "title", "org_unit", "valid_from"]]
    return out.astype({"grade": "Int64", "valid_from": "datetime64[ns]"}).reset_index(drop=True)


def _check_track(track: str) -> None:
    if track not in TRACKS:
        raise PathauditError(UNKNOWN_TRACK.format(tracks=", ".join(TRACKS), track=track))


def shift_equivalence(ladder: pd.DataFrame, track: str = "IC", by: int = 1) -> pd.DataFrame:
    """Shift the grades of one track: the IC <-> M equivalence moved by ``by`` grades.

    Parameters
    ----------
    ladder
        Canonical ladder.
    track
        Track whose grades move (``"IC"`` or ``"M"``).
    by
        Grades to add (``+1``: every level of ``track`` is compared with the other
        track's levels one grade higher than designed; ``-1``: one lower).

    Returns
    -------
    pandas.DataFrame
        A copy of the ladder with ``grade + by`` on ``track``.

    Notes
    -----
    The sensitivity analysis of pay parity asks how the track gap changes when the
    designed equivalence (e.g. IC5 Staff = M1 Manager) is off by one grade either way.
    """
    _check_track(track)
    out = ladder.copy()
    on = out["track"] == track
    out.loc[on, "grade"] = out.loc[on, "grade"] + int(by)
    return out




def top_grades(
    ladder: pd.DataFrame,
    *,
    on: object | None = None,
    org_units: list[str] | None = None,
) -> pd.DataFrame:
    """Return the top of each track as designed in the ladder.

    Parameters
    ----------
    ladder
        Canonical ladder.
    on
        Date: only rows valid on it count (``valid_from`` empty or on/before it).
        Default: every row.
    org_units
        When given, one answer per unit: organisation-wide rows plus that unit's
        own rows. Default: one answer for the whole organisation (every row).

    Returns
    -------
    pandas.DataFrame
        ``[org_unit,] track, top_grade, top_levels`` (levels at the top grade, comma
        separated); one row per track (and unit). A track missing from the ladder
        has no row.

    Notes
    -----
    An IC ceiling below the M ceiling (``top_grade`` of IC < that of M) is a
    finding about the ladder's design; realised headcount at the top is a separate
    figure computed from the data.
    """
    lad = ladder.copy()
    if "valid_from" not in lad:
        lad["valid_from"] = pd.NaT
    if "org_unit" not in lad:
        lad["org_unit"] = pd.NA
    if on is not None:
        when = pd.Timestamp(on)
        lad = lad.loc[lad["valid_from"].isna() | (lad["valid_from"] <= when)]

    def _top(rows: pd.DataFrame) -> pd.DataFrame:
        best = rows.groupby("track", observed=True)["grade"].transform("max")
        top = rows.loc[rows["grade"] == best]
        return (
            top.groupby("track", observed=True)
            .agg(
                top_grade=("grade", "first"),
                top_levels=("level", lambda s: ", ".join(sorted(set(s)))),
            )
            .reset_index()
        )

    if org_units is None:
        return _top(lad).astype({"top_grade": "Int64"})
    glob = lad.loc[lad["org_unit"].isna()]
    parts = []
    for unit in org_units:  # loop over units, not people
        rows = pd.concat([glob, lad.loc[lad["org_unit"] == unit]])
        parts.append(_top(rows).assign(org_unit=unit))
    cols = ["org_unit", "track", "top_grade", "top_levels"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols].astype({"top_grade": "Int64"})
