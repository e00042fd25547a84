"""Who is employed on a date, and in what job: the current-state table.

Every cross-sectional analysis (pay parity, headcount at the top of a ladder,
nominal managers) starts from the same population: the people employed on
``as_of``, each with the last job record dated on or before ``as_of``. This
module computes it once per date, vectorised and cached on the dataset, so that
every analysis counts the same people. It also holds the one counter of
distinct people (:func:`distinct_people`) every analysis uses for ``n``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.errors import PathauditError
from pathaudit.io.schema import DAYS_PER_YEAR

AS_OF_AFTER_DATA = (
    "as_of {as_of} is after the analysis date of the data ({data_as_of}): job records dated "
    "after {data_as_of} were left out when the data was loaded. Use an as_of on or before "
    "{data_as_of}, or reload the data with a later as-of."
)
"""Error text when a current state is asked for after the data's own as-of date."""

PEOPLE_COLUMNS: tuple[str, ...] = (
    "hire_date",
    "termination_date",
    "termination_type",
    "gender",
    "ethnicity",
    "age_band",
    "career_preference",
)
"""Person attributes carried into the current-state table when the export has them."""


def _resolve_as_of(data: AuditData, as_of: object | None) -> pd.Timestamp:
    data_as_of = pd.Timestamp(data.as_of)
    if as_of is None:
        return data_as_of
    when = pd.Timestamp(as_of).normalize()
    if when > data_as_of:
        raise PathauditError(
            AS_OF_AFTER_DATA.format(as_of=when.date(), data_as_of=data_as_of.date())
        )
    return when


def current_state(
    data: AuditData,
    as_of: object | None = None,
    *,
    report: dict[str, int] | None = None,
) -> pd.DataFrame:
    """One row per person employed on ``as_of``: their job on that day.

    Parameters
    ----------
    data
        Loaded dataset.
    as_of
        Date of the cross-section (default ``data.as_of``). Must not be after
        ``data.as_of`` (records after it were not loaded).
    report
        Optional dict, filled with counts: ``employed`` (episodes employed on
        ``as_of``), ``no_job_record`` (employed, but no history row dated on or
        before ``as_of`` in that episode; left out) and ``included``.

    Returns
    -------
    pandas.DataFrame
        One row per person, with every ``history`` column of their last record
        dated on or before ``as_of`` in the employment episode that covers
        ``as_of`` (``employee_id``, ``episode``, ``effective_date``, ``track``,
        ``level``, ``grade``, ``pay``, ``fte``, ``org_unit``, ... as present),
        the person attributes of that episode (``hire_date``,
        ``termination_date``, ``gender``, ``ethnicity``, ``age_band``,
        ``career_preference``, as present) and

        ``tenure_years``
            ``(as_of - hire_date)`` in years of 365.25 days (the current
            episode's hire date).
        ``years_in_job``
            ``(as_of - effective_date)`` of the last record, in years.

        Sorted by ``employee_id``.

    Notes
    -----
    Employed on ``as_of`` means ``hire_date <= as_of`` and (``termination_date``
    missing or ``termination_date >= as_of``): both dates are inclusive. The job
    on ``as_of`` is the last history row with ``effective_date <= as_of`` of the
    same person and episode (rows are already collapsed to one per date by the
    loader). On a snapshot-only export this is the one row per person.

    Built once per dataset and date (``data.derived``) and shared by every
    analysis: treat the table as read-only (copy it before editing).
    """
    when = _resolve_as_of(data, as_of)
    out, counts = data.derived(("state", when), lambda: _state_on(data, when))
    if report is not None:
        report.update(counts)
    return out


def _state_on(data: AuditData, when: pd.Timestamp) -> tuple[pd.DataFrame, dict[str, int]]:
    """The table of :func:`current_state` on ``when`` and its counts (built once per date).

    Matched on integer codes prepared once for every date (:func:`_state_codes`): the
    employed episodes in person order, each person's latest hire, the last job record of
    that episode (:func:`_last_records`). The same table as sorting and merging on the IDs.
    """
    people = data.people
    term = people["termination_date"] if "termination_date" in people else None
    employed = people["hire_date"] <= when
    if term is not None:
        employed &= term.isna() | (term >= when)
    keep = ["employee_id", "episode"] + [c for c in PEOPLE_COLUMNS if c in people]
    codes = data.derived("state_codes", lambda: _state_codes(data))
    if codes is None:
        return _state_by_merge(data, when, employed, keep)
    person, order, record_key, span = codes
    # people in order of (person, hire date, row): one episode covers a date; if episodes
    # overlap (bad input), the latest hire is kept
    pos = order[employed.fillna(False).to_numpy(bool)[order]]
    who = person[pos]
    pos = pos[np.append(who[1:] != who[:-1], True)] if len(pos) else pos
    n_employed = len(pos)
    last = _last_records(data, when)
    ids = record_key[last]  # unique: one last record per person and episode
    sorter = np.argsort(ids, kind="stable")
    key = person[pos] * span + people["episode"].to_numpy(np.int64)[pos]
    at = np.searchsorted(ids, key, sorter=sorter)
    at = np.minimum(at, max(len(ids) - 1, 0))
    found = (ids[sorter[at]] == key) if len(ids) else np.zeros(len(key), dtype=bool)
    pos, rec = pos[found], last[sorter[at[found]]]
    hist = data.history
    right = [c for c in hist.columns if c not in ("employee_id", "episode")
             and c not in PEOPLE_COLUMNS]
    out = pd.concat([people[keep].take(pos).reset_index(drop=True),
                     hist[right].take(rec).reset_index(drop=True)], axis=1)
    out = _with_years(out, when)
    counts = {"employed": n_employed, "no_job_record": int(n_employed - len(out)),
              "included": len(out)}
    return out, counts


def _with_years(out: pd.DataFrame, when: pd.Timestamp) -> pd.DataFrame:
    out["tenure_years"] = ((when - out["hire_date"]).dt.days / DAYS_PER_YEAR).astype("float64")
    out["years_in_job"] = (
        (when - out["effective_date"]).dt.days.astype("float64") / DAYS_PER_YEAR
    ).clip(lower=0.0)
    return out


def _state_codes(data: AuditData) -> tuple[np.ndarray, np.ndarray, np.ndarray, int] | None:
    """Integer codes every date of :func:`current_state` matches on (built once per dataset).

    ``(person, order, record_key, span)``: ``person`` codes each ``people`` row's ID
    (codes in ID order, shared with the history), ``order`` sorts ``people`` by (person,
    hire date, row position), ``record_key`` is each history row's ``person * span +
    episode``. ``None`` when an ID is missing (matched by merging on the IDs instead).
    """
    people, hist = data.people, data.history
    if people["employee_id"].isna().any() or hist["employee_id"].isna().any():
        return None
    both = pd.concat([people["employee_id"], hist["employee_id"]], ignore_index=True)
    codes = pd.factorize(both, sort=True)[0].astype(np.int64)
    person, record_person = codes[: len(people)], codes[len(people):]
    episodes = np.concatenate([people["episode"].to_numpy(np.int64),
                               hist["episode"].to_numpy(np.int64)])
    span = int(episodes.max()) + 1 if len(episodes) else 1
    hire = people["hire_date"].to_numpy("datetime64[ns]").astype(np.int64)
    order = np.lexsort((np.arange(len(people)), hire, person))
    record_key = record_person * span + hist["episode"].to_numpy(np.int64)
    return person, order, record_key, span


def _state_by_merge(data: AuditData, when: pd.Timestamp, employed: pd.Series,
                    keep: list[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """:func:`_state_on` by sorting and merging on the IDs (a table with missing IDs)."""
    people = data.people
    emp = people.loc[employed.fillna(False).to_numpy(), keep]
    emp = emp.sort_values(["employee_id", "hire_date"]).drop_duplicates("employee_id", keep="last")
    hist = data.history
    last = hist.iloc[_last_records(data, when)]
    last = last.drop(columns=[c for c in PEOPLE_COLUMNS if c in last.columns])
    # one row per (person, episode) on both sides by construction
    out = emp.merge(last, on=["employee_id", "episode"], how="inner")
    out = _with_years(out, when)
    out = out.sort_values("employee_id", kind="stable").reset_index(drop=True)
    counts = {"employed": len(emp), "no_job_record": int(len(emp) - len(out)),
              "included": len(out)}
    return out, counts


def _record_order(data: AuditData) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The history sorted once for every date: ``(order, key, span, first_day)``.

    ``order`` sorts ``data.history`` by (person and episode, effective date, row); ``key``
    is, in that order, ``episode code * span + (day - first_day)``, increasing. Built once
    per dataset (``data.derived``) and shared by every date of :func:`current_state`.
    """
    hist = data.history
    days = hist["effective_date"].to_numpy("datetime64[D]").astype(np.int64)
    first = int(days.min()) if len(days) else 0
    span = (int(days.max()) - first + 2) if len(days) else 2
    ids = hist["employee_id"].to_numpy(dtype=object)
    episode = hist["episode"].to_numpy(dtype=np.int64)
    # the loader sorts the history by person, date and row: a new episode code where the
    # person or the episode changes, checked below (else one sort)
    new = np.ones(len(hist), dtype=bool)
    new[1:] = (ids[1:] != ids[:-1]) | (episode[1:] != episode[:-1])
    group = np.cumsum(new) - 1
    key = group * span + (days - first)
    rows = hist["row"].to_numpy(np.int64) if "row" in hist else np.arange(len(hist))
    step = np.diff(key)
    same = ~new[1:]
    in_order = (
        bool(np.all(ids[1:] >= ids[:-1]))  # each person in one block
        and bool(np.all((episode[1:] >= episode[:-1]) | new[1:] & (ids[1:] != ids[:-1])))
        and bool(np.all((step > 0) | (same & (step == 0) & (np.diff(rows) > 0))))
    )
    if not in_order:
        pair = pd.MultiIndex.from_arrays([hist["employee_id"], hist["episode"]])
        group = pd.factorize(pair)[0].astype(np.int64)
        order = np.lexsort((rows, days, group))
        return order, group[order] * span + (days[order] - first), span, first
    return np.arange(len(hist)), key, span, first


def _last_records(data: AuditData, when: pd.Timestamp) -> np.ndarray:
    """Positions in ``data.history`` of each episode's last record dated on or before ``when``.

    One binary search per episode in the order of :func:`_record_order` (sorted once for all
    dates); the same rows as sorting the records dated on or before ``when`` and keeping the
    last of each person and episode.
    """
    order, key, span, first = data.derived("history_record_order", lambda: _record_order(data))
    if not len(key):
        return np.zeros(0, dtype=np.int64)
    day = int(np.datetime64(when.date(), "D").astype(np.int64)) - first
    day = min(day, span - 1)
    groups = np.arange(int(key[-1]) // span + 1, dtype=np.int64)  # codes 0 .. G - 1, sorted
    pos = np.searchsorted(key, groups * span + day, side="right") - 1
    ok = pos >= 0
    ok[ok] = key[pos[ok]] // span == groups[ok]
    return np.sort(order[pos[ok]])


def exposure_person_codes(data: AuditData) -> tuple[np.ndarray, pd.Index]:
    """Integer code of the person of every exposure row, and the IDs: built once per dataset.

    Parameters
    ----------
    data
        Loaded dataset (with history).

    Returns
    -------
    (codes, ids)
        ``codes[i]`` (``int64``, ``0 .. P - 1`` in order of first appearance) is the person
        of row ``i`` of ``data.exposure``; ``ids[codes[i]]`` is their ``employee_id``
        (``pandas.factorize``). Shared by every analysis that counts on person codes
        (``data.derived``): treat both as read-only.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> codes, ids = exposure_person_codes(data)  # doctest: +SKIP
    >>> bool((ids[codes] == data.exposure["employee_id"].to_numpy()).all())  # doctest: +SKIP
    True
    """

    def build() -> tuple[np.ndarray, pd.Index]:
        ids = data.exposure["employee_id"]
        if isinstance(ids.dtype, pd.CategoricalDtype):
            # the derivation's person code: categories are the IDs present, sorted, and the
            # table is sorted by ID, so the codes are also in order of first appearance
            return ids.cat.codes.to_numpy(dtype=np.int64), pd.Index(ids.cat.categories)
        codes, uniques = pd.factorize(ids)
        return codes.astype(np.int64), pd.Index(uniques)

    return data.derived("exposure_person_codes", build)


def fte_filled(frame: pd.DataFrame) -> pd.Series:
    """FTE with missing values read as 1 (full time), as the data model defines it."""
    if "fte" not in frame:
        return pd.Series(np.ones(len(frame)), index=frame.index, name="fte")
    return frame["fte"].astype("float64").fillna(1.0)


def distinct_people(key: np.ndarray, person: np.ndarray, size: int) -> np.ndarray:
    """Number of distinct people per key: the ``n`` of every figure.

    Parameters
    ----------
    key
        Integer code of each row's group, ``0 .. size - 1``.
    person
        Integer code of each row's person (``>= 0``; e.g. from ``pandas.factorize``).
    size
        Number of groups.

    Returns
    -------
    numpy.ndarray
        ``float64`` counts of distinct ``person`` codes per key, length ``size``.

    Examples
    --------
    >>> distinct_people(np.array([0, 0, 1, 1]), np.array([7, 7, 7, 8]), 3).tolist()
    [1.0, 2.0, 0.0]
    """
    key = np.asarray(key, dtype=np.int64)
    person = np.asarray(person, dtype=np.int64)
    span = int(person.max()) + 1 if len(person) else 1
    pairs = key * span + person
    cells = size * span
    if len(pairs) and cells <= min(max(16 * len(pairs), 1 << 20), 1 << 27) and (
        0 <= int(key.min()) and int(key.max()) < size and int(person.min()) >= 0
    ):
        # few (group, person) cells for the rows: mark each pair in a table of them,
        # three times faster than hashing the pairs
        seen = np.zeros(cells, dtype=bool)
        seen[pairs] = True
        return np.bincount(np.flatnonzero(seen) // span, minlength=size).astype(float)
    # a hash table (pandas.unique) finds the distinct pairs in O(n); numpy's unique sorts
    return np.bincount(pd.unique(pairs) // span, minlength=size).astype(float)
