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

from pathaudit.data import AuditData
from pathaudit.errors import PathauditError

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
    # imported here: pathaudit.io imports this module (grades at load time)
    from pathaudit.io.schema import TRACKS

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




ORG_WIDE = "(organisation-wide)"
"""``org_unit`` of :func:`designed_tops` rows that describe the organisation-wide ladder."""

TOP_DEFINITIONS: dict[str, str] = {
    "designed per unit": (
        "the highest grade of the track among the ladder rows in force on the date that apply "
        "to the unit (organisation-wide rows plus the unit's own rows)"
    ),
    "designed overall": (
        "the designed tops of the unit with the widest gap (top M grade minus top IC grade) "
        "among the units with people employed on the date; a unit without rows of its own "
        "follows the organisation-wide ladder, so where units only add IC levels this is the "
        "organisation-wide ladder"
    ),
    "realised": (
        "the highest grade held by at least k people on the track on the date (k = minimum "
        "cell size), so that no top describes one person"
    ),
}
"""The three tops of a ladder, by name: what the ``top`` label of a table means."""


def designed_tops(
    ladder: pd.DataFrame,
    *,
    on: object | None = None,
    org_units: list[str] | None = None,
) -> pd.DataFrame:
    """Return the designed top of each track, per unit, from the ladder in force on a date.

    Parameters
    ----------
    ladder
        Canonical ladder.
    on
        Date: only rows valid on it count (``valid_from`` empty or on/before it).
        Default: every row.
    org_units
        Units to answer for: each gets the organisation-wide rows plus its own rows
        (a unit without rows of its own follows the organisation-wide ladder).
        Default: the organisation-wide ladder (``org_unit`` = :data:`ORG_WIDE`) and
        every unit with rows of its own in force.

    Returns
    -------
    pandas.DataFrame
        ``org_unit, track, top_grade, top_levels`` (levels at the top grade, comma
        separated), sorted by unit and track; a track missing from a unit's ladder
        has no row.

    Notes
    -----
    This is the one definition of the designed top ("designed per unit" in
    :data:`TOP_DEFINITIONS`); :func:`designed_overall` reduces it to one pair of
    tops for the organisation (the widest gap), :func:`realised_tops` is the top
    as realised in headcount. An IC top below the M top is a finding about the
    ladder's design.

    Examples
    --------
    >>> lad = pd.DataFrame({"track": ["IC", "IC", "M"], "level": ["IC4", "IC5", "M1"],
    ...                     "grade": [4, 5, 5], "org_unit": [None, "U1", None]})
    >>> designed_tops(lad).drop(columns="top_levels")
                  org_unit track  top_grade
    0  (organisation-wide)    IC          4
    1  (organisation-wide)     M          5
    2                   U1    IC          5
    3                   U1     M          5
    """
    cols = ["org_unit", "track", "top_grade", "top_levels"]
    lad = ladder
    if on is not None and "valid_from" in lad:
        when = pd.Timestamp(on)
        lad = lad.loc[(lad["valid_from"].isna() | (lad["valid_from"] <= when)).to_numpy()]
    rows = pd.DataFrame({
        "track": lad["track"].astype(str).to_numpy(dtype=object),
        "level": lad["level"].astype(str).to_numpy(dtype=object),
        "grade": lad["grade"].to_numpy(dtype=float, na_value=np.nan),
        "org_unit": (lad["org_unit"].astype("string").to_numpy(dtype=object, na_value=None)
                     if "org_unit" in lad else np.full(len(lad), None, dtype=object)),
    }).dropna(subset=["grade"])
    unit = rows["org_unit"].notna().to_numpy()
    glob, own = rows.loc[~unit], rows.loc[unit]
    if org_units is None:
        targets = sorted(own["org_unit"].unique())
        parts = [glob.assign(org_unit=ORG_WIDE)]
    else:
        targets = [str(u) for u in org_units]
        own = own.loc[own["org_unit"].isin(targets)]
        parts = []
    # every target unit: the organisation-wide rows plus its own (one pass, no loop over units)
    parts.append(pd.DataFrame({
        "track": np.tile(glob["track"].to_numpy(), len(targets)),
        "level": np.tile(glob["level"].to_numpy(), len(targets)),
        "grade": np.tile(glob["grade"].to_numpy(), len(targets)),
        "org_unit": np.repeat(np.asarray(targets, dtype=object), len(glob)),
    }))
    parts.append(own)
    every = pd.concat(parts, ignore_index=True)
    if every.empty:
        return pd.DataFrame(columns=cols).astype({"top_grade": "Int64"})
    best = every.groupby(["org_unit", "track"])["grade"].transform("max")
    at_top = every.loc[every["grade"] == best].drop_duplicates(["org_unit", "track", "level"])
    at_top = at_top.sort_values(["org_unit", "track", "level"])
    out = at_top.groupby(["org_unit", "track"], sort=True).agg(
        top_grade=("grade", "first"), top_levels=("level", ", ".join)).reset_index()
    if org_units is not None:  # in the order asked for
        order = {u: i for i, u in enumerate(targets)}
        out = out.sort_values(["org_unit", "track"], key=lambda c: c.map(order)
                              if c.name == "org_unit" else c, kind="stable")
    return out[cols].astype({"top_grade": "Int64"}).reset_index(drop=True)


def tops_by_unit(tops: pd.DataFrame) -> dict[str, dict[str, float]]:
    """``{unit: {track: top grade}}`` of a :func:`designed_tops` table."""
    out: dict[str, dict[str, float]] = {}
    for unit, track, grade in zip(tops["org_unit"].astype(str), tops["track"].astype(str),
                                  tops["top_grade"].to_numpy(dtype=float), strict=True):
        seen = out.setdefault(unit, {})
        seen[track] = max(seen.get(track, -np.inf), grade)
    return out


def designed_overall(
    tops: pd.DataFrame | dict[str, dict[str, float]], units: list[str] | None = None
) -> tuple[float, float, float]:
    """The designed top of the organisation: the tops of the unit with the widest gap.

    Parameters
    ----------
    tops
        A :func:`designed_tops` table with the default ``org_units`` (or its
        :func:`tops_by_unit` dict).
    units
        The units that count, e.g. those with people employed on the date (a unit
        without rows of its own follows the organisation-wide ladder). Default:
        the organisation-wide ladder and every unit with rows of its own.

    Returns
    -------
    (top IC grade, top M grade, units with a gap)
        Of the unit whose gap (top M - top IC) is widest; on a tie the
        organisation-wide ladder, else the first unit by name. ``units with a gap``
        counts the units (each of ``units`` once) whose M top lies above their IC
        top. Where a track has no top in any unit, the
        other track's highest top is returned beside NaN and the count is NaN.

    Notes
    -----
    "Designed overall" in :data:`TOP_DEFINITIONS`. Where units only add IC levels
    to an organisation-wide ladder (adopting a dual ladder), the widest gap is the
    organisation-wide ladder's as long as one unit with people still follows it.
    """
    if isinstance(tops, pd.DataFrame):
        tops = tops_by_unit(tops)
    weight: dict[str, int] | None = None
    if units is not None:
        weight = {}
        for u in units:
            name = u if u in tops else ORG_WIDE
            weight[name] = weight.get(name, 0) + 1
        chosen = sorted(u for u in tops if u in weight)
    else:
        chosen = sorted(tops)
    if not chosen:
        return np.nan, np.nan, np.nan
    has_ic = any("IC" in tops[u] for u in chosen)
    has_m = any("M" in tops[u] for u in chosen)
    if not (has_ic and has_m):
        return (max((tops[u]["IC"] for u in chosen if "IC" in tops[u]), default=np.nan),
                max((tops[u]["M"] for u in chosen if "M" in tops[u]), default=np.nan), np.nan)
    gaps = {u: tops[u]["M"] - tops[u]["IC"] for u in chosen if "IC" in tops[u] and "M" in tops[u]}
    if not gaps:
        return np.nan, np.nan, 0.0
    worst = max(gaps, key=lambda u: (gaps[u], -chosen.index(u)))
    # units with a gap: each unit counts once, also where several follow one ladder
    with_gap = float(sum((weight or {}).get(u, 1) for u, gap in gaps.items() if gap > 0))
    return float(tops[worst]["IC"]), float(tops[worst]["M"]), with_gap


def realised_tops(state: pd.DataFrame, k: int) -> pd.Series:
    """Return the realised top of each track: the highest grade held by at least ``k`` people.

    Parameters
    ----------
    state
        People employed on a date, one row each, with ``track`` and ``grade``
        (:func:`pathaudit.derived.population.current_state`, or a group of it).
    k
        Minimum cell size: a grade held by fewer people is not a top, so that no
        figure describes one person.

    Returns
    -------
    pandas.Series
        Float top grade indexed by track (``"IC"``, ``"M"``); NaN where no grade of
        the track has ``k`` people.

    Examples
    --------
    >>> st = pd.DataFrame({"track": ["IC"] * 6 + ["M"], "grade": [4] * 5 + [9, 9]})
    >>> realised_tops(st, 5).to_dict()
    {'IC': 4.0, 'M': nan}
    """
    counts = state.groupby([state["track"].astype(str), "grade"]).size()
    tracks = counts.index.get_level_values(0)
    out = {}
    for track in ("IC", "M"):
        c = counts.loc[track] if track in tracks else counts.iloc[:0]
        c = c[c >= k]
        out[track] = float(c.index.max()) if len(c) else np.nan
    return pd.Series(out, dtype=float)


def designed_tops_on(data: AuditData, date: object) -> pd.DataFrame:
    """:func:`designed_tops` of ``data.ladder`` in force on ``date``, built once per dataset."""
    when = pd.Timestamp(date)
    # the ladder's identity is part of the key: a replaced ladder derives again
    return data.derived(("designed_tops", when, id(data.ladder)),
                        lambda: designed_tops(data.ladder, on=when))


def realised_tops_on(data: AuditData, date: object) -> pd.Series:
    """:func:`realised_tops` of everyone employed on ``date`` (k from the map), built once."""
    from pathaudit.derived.population import current_state  # imports pathaudit.io

    when = pd.Timestamp(date)
    k = data.min_cell_size
    return data.derived(("realised_tops", when, k),
                        lambda: realised_tops(current_state(data, when), k))


def designed_overall_on(data: AuditData, date: object) -> tuple[float, float, float]:
    """:func:`designed_overall` on ``date``, over the units with people employed that day.

    The organisation's designed tops as every analysis reports them ("designed
    overall" in :data:`TOP_DEFINITIONS`), built once per dataset and date.
    """
    from pathaudit.derived.population import current_state  # imports pathaudit.io

    when = pd.Timestamp(date)

    def build() -> tuple[float, float, float]:
        lad = data.ladder
        units = None
        if "org_unit" in lad and lad["org_unit"].notna().any():
            state = current_state(data, when)
            units = (sorted(str(u) for u in state["org_unit"].dropna().unique())
                     if "org_unit" in state else [])
        return designed_overall(designed_tops_on(data, when), units)

    return data.derived(("designed_overall", when, id(data.ladder)), build)


def promotable_from(ladder: pd.DataFrame | None, frame: pd.DataFrame) -> pd.Series:
    """First date from which each row's grade lies below the top of its own track.

    Parameters
    ----------
    ladder
        Canonical ladder (``track, level, grade[, org_unit, valid_from]``), or
        None (then the top of a track is its highest grade seen in ``frame``).
    frame
        Spells or exposure rows with ``track``, ``grade`` and (when the ladder is
        unit-specific) ``org_unit``.

    Returns
    -------
    pandas.Series
        ``datetime64[ns]`` per row (index of ``frame``): the earliest
        ``valid_from`` of a ladder row of the same track with a higher grade that
        applies to the row's unit (rows without ``org_unit`` apply everywhere;
        an empty ``valid_from`` means always, returned as 1678-01-01). ``NaT``
        means never: the row is at the top of its track.

    Notes
    -----
    Below the top means below the designed top of the track in the row's unit on
    the date (:func:`designed_tops`, "designed per unit"): the first date is the
    first ``valid_from`` on which that top exceeds the row's grade.
    Adopting a dual ladder can add IC levels in one unit from one date. An IC
    at the old top of such a unit cannot be promoted before that date and can
    after it. Time to promotion keeps spells promotable on their first day;
    promotion rates count person-time from this date on.
    """
    always = _ALWAYS
    # integer codes for (track, grade, unit): the work is done once per distinct combination
    t_codes, t_labels = pd.factorize(frame["track"].astype("str"))
    grade = pd.to_numeric(frame["grade"], errors="coerce").to_numpy(dtype=float)
    if "org_unit" in frame.columns:
        u_codes, u_labels = pd.factorize(frame["org_unit"].astype("str"), use_na_sentinel=True)
    else:
        u_codes, u_labels = np.full(len(frame), -1), pd.Index([])
    g_codes, g_labels = pd.factorize(grade, use_na_sentinel=True)
    n_g, n_u = len(g_labels) + 1, len(u_labels) + 1
    key = (t_codes.astype(np.int64) * n_g + (g_codes + 1)) * n_u + (u_codes + 1)
    inv, uniq = pd.factorize(key, sort=True)  # np.unique's result, by a hash table
    uniq = np.asarray(uniq, dtype=np.int64)
    keys = pd.DataFrame(
        {
            "track": np.asarray(t_labels, dtype=object)[uniq // (n_g * n_u)],
            "grade": np.concatenate([[np.nan], np.asarray(g_labels, dtype=float)])[
                (uniq // n_u) % n_g
            ],
            "unit": np.concatenate([[""], np.asarray(u_labels, dtype=object)])[uniq % n_u],
        }
    )
    out_keys = np.full(len(keys), np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    lad_tracks: set[str] = set()
    if ladder is not None and not ladder.empty:
        graded = ladder.loc[pd.to_numeric(ladder["grade"], errors="coerce").notna().to_numpy()]
        lad_tracks = set(graded["track"].astype("str"))
        valid = (pd.to_datetime(graded["valid_from"]).fillna(always)
                 if "valid_from" in graded.columns
                 else pd.Series(always, index=graded.index)).to_numpy(dtype="datetime64[ns]")
        l_unit = (graded["org_unit"].astype("string").to_numpy(dtype=object, na_value=None)
                  if "org_unit" in graded.columns else np.full(len(graded), None, dtype=object))
        # The designed top of a unit on a date is the highest grade among the rows in force
        # that apply to it (organisation-wide rows plus its own, designed_tops). Rows only
        # come into force, so it first exceeds a grade on the earliest valid_from of an
        # applying row of the track with a higher grade: one comparison of the distinct
        # (track, grade, unit) keys with the ladder's rows, instead of the tops of every date.
        applies = (
            (graded["track"].astype("str").to_numpy(dtype=object)[None, :]
             == keys["track"].to_numpy(dtype=object)[:, None])
            & (pd.to_numeric(graded["grade"]).to_numpy(dtype=float)[None, :]
               > keys["grade"].to_numpy(dtype=float)[:, None])
            & (pd.isna(l_unit)[None, :]
               | (l_unit[None, :] == keys["unit"].to_numpy(dtype=object)[:, None]))
        )
        when = np.where(applies, valid.astype(np.int64)[None, :], np.iinfo(np.int64).max)
        first = when.min(axis=1, initial=np.iinfo(np.int64).max)
        some = first < np.iinfo(np.int64).max
        out_keys[some] = first[some].astype("datetime64[ns]")
    # tracks absent from the ladder: top = highest grade seen
    top_seen = keys.groupby("track")["grade"].transform("max").to_numpy()
    missing = ~keys["track"].isin(lad_tracks).to_numpy() & (keys["grade"].to_numpy() < top_seen)
    out_keys[missing] = np.datetime64(always)
    return pd.Series(out_keys[inv], index=frame.index)
