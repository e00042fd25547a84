"""History -> spells and exposure: the derived tables every analysis reads.

Both tables are derived once per dataset (``AuditData.spells``,
``AuditData.exposure``) by vectorised numpy/pandas code: no loop runs over
people. ``docs/spells.md`` works through every rule with examples.

Time
----
Time is counted in whole days on half-open intervals ``[start, stop)``. An
employment episode with hire date ``H`` and termination date ``T`` (both
inclusive) covers ``[H, T + 1 day)``. A year is 365.25 days.

Rules, in the order they are applied
------------------------------------
1. **People.** An episode hired after ``as_of`` is excluded (``people /
   hired_after_as_of``), as is one without a hire date (``missing_value``)
   or terminated before it was hired (``termination_before_hire``). A
   termination dated after ``as_of`` is not yet known on ``as_of``: the
   episode is censored at ``as_of`` (``termination_after_as_of``, a note). An
   open episode ends at ``as_of + 1 day``. When a person's episodes overlap,
   the earlier one is cut at the next hire date and censored there
   (``overlapping_episodes``, repaired); an episode cut to zero days (two
   episodes with one hire date) is excluded (``duplicate_episode``).
   ``episode`` is taken from the people table when present, else numbered
   0, 1, ... by hire date.
2. **History.** Records dated after ``as_of`` are ignored (``history /
   after_as_of``, a note); records without an ID or date are excluded
   (``missing_value``). Several records of one person on one date
   collapse to the last one in file order (by ``row``; ``same_date_collapsed``,
   repaired) -- the loader normally did this already.
3. **Episode of a record.** A record belongs to the episode whose
   ``[hire_date, termination_date]`` contains its date (the latest hire on or
   before the date, found by a sorted search). Records of people absent from
   ``people`` (``person_not_in_people``) or dated outside every
   episode -- before the first hire, in a gap between episodes, after the
   termination -- are excluded (``outside_episode``). The
   ``episode`` column of ``history``, if any, is not used.
4. **A record on the termination date** (other than the episode's first
   record) is ignored: the exit wins over whatever changed that day
   (``change_on_termination_date``, excluded).
5. **Episodes without records** are excluded (``people /
   episode_without_history``).
6. **Missing hire record.** When an episode's first record is dated after its
   hire date, that record's state is extended back to the hire date
   (``history_starts_after_hire``, repaired) and the spell carries
   ``start_imputed = True``. If the hire date is before ``history_start`` the
   level held on the hire date is not observed: such a spell's start (and so
   its time in level) is uncertain, and analyses of time in level may leave
   it out. Snapshot exports are not extended: their one spell starts at the
   record date (the last promotion, when known).
7. **Spells.** Consecutive records of one episode with the same ``(track,
   level)`` form one spell. A spell stops at the next change of track or
   level, else at the episode's end. Its ``end_reason`` is, by precedence,
   ``exit_<termination_type>`` (an observed termination; a missing type counts
   as ``exit_other``) > ``switch_to_M`` / ``switch_to_IC`` > ``promotion``
   (next grade higher) > ``demotion`` (lower) > ``lateral`` (same or unknown
   grade, new level code) > ``censored``. Spells never bridge two episodes.
8. **Delayed entry.** Spells that stop on or before ``history_start`` are
   excluded (``spells / spell_before_history_start``); a spell that starts
   before it has ``entry = (history_start - start) / 365.25`` years, else 0.
9. **Exposure** is the observed part ``[max(start, history_start), stop)`` of
   every spell, split at every history record (pay, unit, family, location,
   grade changes) and at every fiscal-quarter boundary.

Fiscal quarters
---------------
Exposure is split at the quarters of the fiscal calendar,
:mod:`pathaudit.derived.calendar` (named by the fiscal year in which they end).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.derived.calendar import (
    dates_from_days,
    days_since_epoch,
    fiscal_month_offset,
    quarter_index,
    quarter_parts,
    quarter_start_day,
)
from pathaudit.io._messages import ids_text
from pathaudit.io.schema import DAYS_PER_YEAR, END_REASONS, EXPOSURE, SPELLS
from pathaudit.quality import Action, DataQualityReport

__all__ = ["CATEGORICAL_COLUMNS", "derive_exposure", "derive_spells", "track_run_bounds"]

_KEY_SCALE = 1_000_000
"""Composite key person * scale + day + offset (days since 1970 fit in +-500,000)."""
_KEY_OFFSET = 500_000

_REASON = {r: i for i, r in enumerate(END_REASONS)}
_REASON_NONE = len(END_REASONS)
_EVENT_LABELS = np.array(END_REASONS + ("none",), dtype=object)
_EXIT_BY_TYPE = {
    "voluntary": _REASON["exit_voluntary"],
    "involuntary": _REASON["exit_involuntary"],
    "other": _REASON["exit_other"],
}
_ATTRIBUTES = ("org_unit", "job_family", "location")
_CODED = ("track", "level", *_ATTRIBUTES)
"""History columns coded once (integer codes and sorted labels) for spells and exposure."""

CATEGORICAL_COLUMNS: frozenset[str] = frozenset({
    "employee_id", "track", "level", "org_unit", "job_family", "location", "end_reason",
    "next_track", "next_level", "quarter", "event", "gender", "ethnicity", "age_band",
})
"""Text columns of spells and exposure held as ``category`` (sorted categories, only those
present): one small integer code per row instead of a string; ``employee_id``'s codes are
the person code (``0 .. P - 1`` in ID order)."""


# --------------------------------------------------------------------------- helpers


def _record(
    quality: DataQualityReport,
    table: str,
    rule: str,
    action: Action,
    n: int,
    message: str,
    rows: object = (),
    ids: object = (),
    column: str = "",
) -> None:
    """Add a finding once (deriving twice does not count a problem twice).

    ``ids``: the people of the rows, named at the end of the message (the first few).
    """
    who = ids_text(ids) if n else ""
    if who:
        message = f"{message.rstrip('.')}; {who}."
    for issue in quality.issues:
        if (issue.table, issue.rule, issue.n_rows, issue.message) == (table, rule, n, message):
            return
    shown = np.sort(np.asarray(rows, dtype=np.int64))[:10]  # the first rows in file order
    file = quality.files.get("history" if table == "spells" else table, "")
    quality.add(table, rule, action, n, message, rows=shown, file=file, column=column)


def _day(ts: pd.Timestamp) -> int:
    return int(np.datetime64(pd.Timestamp(ts).date(), "D").astype(np.int64))


def _take(frame: pd.DataFrame, col: str, idx: np.ndarray, dtype: str = "str") -> pd.Series:
    """Column ``col`` of ``frame`` at positions ``idx`` (all-missing when absent)."""
    if col in frame.columns:
        return frame[col].iloc[idx].reset_index(drop=True)
    return pd.Series(pd.array([None] * len(idx), dtype=dtype))


@dataclass
class _Coded:
    """A text column as integer codes (-1: missing) into labels."""

    codes: np.ndarray
    labels: np.ndarray  # object array of str

    @classmethod
    def of(cls, frame: pd.DataFrame, col: str) -> _Coded:
        """Code ``frame[col]`` (all missing when ``frame`` lacks it)."""
        if col not in frame.columns:
            return cls(np.full(len(frame), -1, np.int32), np.zeros(0, dtype=object))
        codes, labels = pd.factorize(frame[col].astype("str"))
        return cls(codes.astype(np.int32), np.asarray(labels, dtype=object))

    def at(self, idx: np.ndarray) -> _Coded:
        """The codes at positions ``idx`` (same labels)."""
        return _Coded(self.codes[idx], self.labels)


def _categorical(codes: np.ndarray, labels: np.ndarray) -> pd.Series:
    """``labels[codes]`` (code -1: missing) as a categorical Series.

    Its categories are the labels used, sorted (so sorting and grouping on the
    column order rows as the text would); they are ``str``.
    """
    codes = np.asarray(codes)
    labels = np.asarray(labels, dtype=object)
    present = codes >= 0
    used = np.bincount(codes[present], minlength=len(labels)) > 0
    kept = np.flatnonzero(used)
    kept = kept[np.argsort(labels[kept].astype(str), kind="stable")]
    remap = np.full(len(labels) + 1, -1, dtype=np.int32)  # the last entry: missing stays -1
    remap[kept] = np.arange(len(kept), dtype=np.int32)
    new = remap[np.where(present, codes, len(labels))]
    cats = pd.Index(pd.array(list(labels[kept]), dtype="str"))
    return pd.Series(pd.Categorical.from_codes(new, categories=cats))


def _categorical_of(coded: _Coded) -> pd.Series:
    return _categorical(coded.codes, coded.labels)


# --------------------------------------------------------------------------- the core


@dataclass
class _Core:
    """Spells plus the record-level arrays exposure is cut from."""

    spells: pd.DataFrame
    rec_idx: np.ndarray  # position in `history` of each kept record segment
    rec_coded: dict[str, _Coded]  # the coded text columns of `history` at each segment
    rec_start: np.ndarray  # observed start day of each record segment
    rec_stop: np.ndarray  # exclusive stop day
    rec_spell: np.ndarray  # spell_id (row of `spells`)
    rec_last: np.ndarray  # True for the last record segment of its spell
    spell_reason: np.ndarray  # end-reason code of each spell (index into _EVENT_LABELS)


def _empty_spells() -> pd.DataFrame:
    return pd.DataFrame({c.name: _empty_column(c.name, c.kind) for c in SPELLS})


def _empty_exposure() -> pd.DataFrame:
    return pd.DataFrame({c.name: _empty_column(c.name, c.kind) for c in EXPOSURE})


def _empty_column(name: str, kind: str) -> pd.Series:
    if name in CATEGORICAL_COLUMNS:
        return _categorical(np.zeros(0, np.int32), np.zeros(0, dtype=object))
    return pd.Series(dtype=_dtype(kind))


def _dtype(kind: str) -> str:
    return {
        "str": "str",
        "category": "str",
        "date": "datetime64[ns]",
        "float": "float64",
        "int": "Int64",
        "bool": "bool",
    }[kind]


@dataclass
class _Episodes:
    """Kept employment episodes (rule 1), sorted by person and hire date."""

    kp: np.ndarray  # position of each episode in `people`
    pid: np.ndarray  # person code
    hire: np.ndarray  # hire day
    term: np.ndarray  # termination day (0 when missing)
    exited: np.ndarray  # an observed exit ends the episode
    stop: np.ndarray  # exclusive stop day
    exit_code: np.ndarray  # end-reason code of the exit
    key: np.ndarray  # person * scale + hire day: sorted, for the episode of a record
    p_episode: np.ndarray  # episode number of every `people` row
    p_rows: np.ndarray  # data row of every `people` row


@dataclass
class _Records:
    """History records inside kept episodes (rules 2-6), sorted by person and date."""

    idx: np.ndarray  # position in `history`
    day: np.ndarray  # start day (the hire date for an extended first record)
    ep: np.ndarray  # episode (position in `_Episodes`)
    first: np.ndarray  # first record of its episode
    late_first: np.ndarray  # first record extended back to the hire date (rule 6)


def _person_codes(
    people: pd.DataFrame, hist: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One integer code per person, in ``employee_id`` order: (people codes, history codes, IDs)."""
    ids = pd.concat(
        [people["employee_id"].astype("str"), hist["employee_id"].astype("str")],
        ignore_index=True,
    )
    codes, uniques = pd.factorize(ids, sort=True)
    codes = codes.astype(np.int64)
    return codes[: len(people)], codes[len(people) :], np.asarray(uniques, dtype=object)


def _rule1_episodes(data: AuditData, p_pid: np.ndarray, as_of: int) -> _Episodes:
    """Rule 1: people -> episodes (exclusions, censoring at as-of, overlapping episodes)."""
    quality, people = data.quality, data.people
    hire, hire_na = days_since_epoch(people["hire_date"])
    if "termination_date" in people.columns:
        term, term_na = days_since_epoch(people["termination_date"])
    else:
        term, term_na = np.zeros(len(people), np.int64), np.ones(len(people), bool)
    p_rows = (
        people["row"].to_numpy(dtype=np.int64, na_value=0)
        if "row" in people.columns
        else np.arange(1, len(people) + 1)
    )
    p_ids = people["employee_id"].to_numpy(dtype=object, na_value=None)
    bad_id = p_pid < 0
    miss_hire = hire_na & ~bad_id
    late_hire = ~hire_na & ~bad_id & (hire > as_of)
    term_before = ~hire_na & ~bad_id & ~late_hire & ~term_na & (term < hire)
    _record(quality, "people", "missing_value", "excluded", int(bad_id.sum()),
            "people rows without an employee_id are left out of spells and exposure.",
            p_rows[bad_id])
    _record(quality, "people", "missing_value", "excluded", int(miss_hire.sum()),
            "episodes without a hire date are left out of spells and exposure; "
            "fill in hire_date or drop the rows.", p_rows[miss_hire], p_ids[miss_hire],
            "hire_date")
    _record(quality, "people", "hired_after_as_of", "excluded", int(late_hire.sum()),
            f"episodes hired after as-of {data.as_of.date()} are not yet observed and are "
            "left out.", p_rows[late_hire], p_ids[late_hire], "hire_date")
    _record(quality, "people", "termination_before_hire", "excluded", int(term_before.sum()),
            "episodes terminated before they were hired are left out of spells and exposure; "
            "correct hire_date or termination_date.", p_rows[term_before], p_ids[term_before],
            "termination_date")
    keep_p = ~(bad_id | miss_hire | late_hire | term_before)
    future_term = keep_p & ~term_na & (term > as_of)
    _record(quality, "people", "termination_after_as_of", "note", int(future_term.sum()),
            f"terminations dated after as-of {data.as_of.date()} are not yet known on as-of: "
            "these episodes are censored at as-of.", p_rows[future_term], p_ids[future_term],
            "termination_date")
    exited_p = ~term_na & ~future_term

    if "episode" in people.columns and not people["episode"].isna().any():
        p_episode = people["episode"].to_numpy(dtype=np.int64)
    else:
        order0 = np.lexsort((hire, p_pid))
        first = np.r_[True, p_pid[order0][1:] != p_pid[order0][:-1]]
        grp_start = np.maximum.accumulate(np.where(first, np.arange(len(order0)), 0))
        p_episode = np.empty(len(people), np.int64)
        p_episode[order0] = np.arange(len(order0)) - grp_start

    kp = np.flatnonzero(keep_p)
    kp = kp[np.lexsort((p_rows[kp], hire[kp], p_pid[kp]))]
    e_pid, e_hire, e_term = p_pid[kp], hire[kp], term[kp]
    e_exited = exited_p[kp]
    e_stop = np.where(e_exited, e_term + 1, as_of + 1)
    same_next = np.r_[e_pid[1:] == e_pid[:-1], False]
    next_hire = np.r_[e_hire[1:], 0]
    overlap = same_next & (next_hire < e_stop)
    e_stop = np.where(overlap, next_hire, e_stop)
    e_exited = e_exited & ~overlap
    zero = e_stop <= e_hire
    cut = overlap & ~zero
    _record(quality, "people", "overlapping_episodes", "repaired", int(cut.sum()),
            "episodes that overlap the person's next episode are cut at the next hire date "
            "and censored there; correct the termination dates in people.", p_rows[kp[cut]],
            p_ids[kp[cut]], "termination_date")
    _record(quality, "people", "duplicate_episode", "excluded", int(zero.sum()),
            "episodes with the same hire date as another episode of the person are left out "
            "(the later row is kept); remove duplicate people rows.", p_rows[kp[zero]],
            p_ids[kp[zero]], "hire_date")
    kp, e_pid, e_hire, e_term = kp[~zero], e_pid[~zero], e_hire[~zero], e_term[~zero]
    e_exited, e_stop = e_exited[~zero], e_stop[~zero]

    ttype = (
        people["termination_type"].astype("str").to_numpy(dtype=object, na_value="")[kp]
        if "termination_type" in people.columns
        else np.full(len(kp), "", dtype=object)
    )
    e_exit_code = np.full(len(kp), _REASON["exit_other"], np.int64)
    for label, code in _EXIT_BY_TYPE.items():
        e_exit_code[ttype == label] = code
    untyped = e_exited & ~np.isin(ttype, list(_EXIT_BY_TYPE))
    _record(quality, "people", "missing_termination_type", "repaired", int(untyped.sum()),
            "terminated episodes without a known termination_type count as exit_other; "
            "map the export's termination labels in [values.termination_type].",
            p_rows[kp[untyped]], p_ids[kp[untyped]], "termination_type")
    return _Episodes(kp=kp, pid=e_pid, hire=e_hire, term=e_term, exited=e_exited, stop=e_stop,
                     exit_code=e_exit_code, key=e_pid * _KEY_SCALE + e_hire + _KEY_OFFSET,
                     p_episode=p_episode, p_rows=p_rows)


def _rule2_records(
    data: AuditData, h_pid: np.ndarray, day: np.ndarray, day_na: np.ndarray,
    h_rows: np.ndarray, as_of: int,
) -> np.ndarray:
    """Rule 2: usable history records, sorted, one per person and date (positions)."""
    quality = data.quality
    h_ids = data.history["employee_id"].to_numpy(dtype=object, na_value=None)
    missing = (h_pid < 0) | day_na
    _record(quality, "history", "missing_value", "excluded", int(missing.sum()),
            "history records without an employee_id or effective_date are left out.",
            h_rows[missing])
    after = ~missing & (day > as_of)
    _record(quality, "history", "after_as_of", "note", int(after.sum()),
            f"records dated after as-of {data.as_of.date()} are ignored", h_rows[after],
            h_ids[after], "effective_date")
    idx = np.flatnonzero(~missing & ~after)
    # sort by person, date, then file order (`row`, then position)
    idx = idx[np.lexsort((idx, h_rows[idx], day[idx], h_pid[idx]))]
    dup = np.zeros(len(idx), bool)  # a later record of the same person and date follows
    dup[:-1] = (h_pid[idx][1:] == h_pid[idx][:-1]) & (day[idx][1:] == day[idx][:-1])
    _record(quality, "history", "same_date_collapsed", "repaired", int(dup.sum()),
            "several records of one person on one date: the last one in file order is kept.",
            h_rows[idx[dup]], h_ids[idx[dup]], "effective_date")
    return idx[~dup]


def _rule3_episode_of_records(
    quality: DataQualityReport, eps: _Episodes, idx: np.ndarray, h_pid: np.ndarray,
    day: np.ndarray, h_rows: np.ndarray, h_ids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rule 3: the episode of each record; records outside every episode left out."""
    n_ep = len(eps.kp)
    r_pid, r_day = h_pid[idx], day[idx]
    r_key = r_pid * _KEY_SCALE + r_day + _KEY_OFFSET
    ep = np.searchsorted(eps.key, r_key, side="right") - 1
    epc = np.clip(ep, 0, max(n_ep - 1, 0))
    if n_ep:
        inside = (ep >= 0) & (eps.pid[epc] == r_pid) & (r_day < eps.stop[epc])
    else:
        inside = np.zeros(len(idx), bool)
    known = np.isin(r_pid, eps.pid)
    _record(quality, "history", "person_not_in_people", "excluded",
            int((~known).sum()),
            "records of people with no usable row in people are left out; add the person's "
            "hire date to people.", h_rows[idx[~known]], h_ids[idx[~known]], "employee_id")
    outside = known & ~inside
    _record(quality, "history", "outside_episode", "excluded", int(outside.sum()),
            "records dated outside every employment episode of their person (before the "
            "hire date, between episodes or after the termination date) are left out; check "
            "hire and termination dates in people or effective dates in history.",
            h_rows[idx[outside]], h_ids[idx[outside]], "effective_date")
    return idx[inside], r_day[inside], ep[inside]


def _rule4_changes_on_termination(
    quality: DataQualityReport, eps: _Episodes, idx: np.ndarray, r_day: np.ndarray,
    ep: np.ndarray, h_rows: np.ndarray, h_ids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rule 4: a record on the termination date (not the episode's first) is ignored."""
    first = np.r_[True, ep[1:] != ep[:-1]]
    on_term = ~first & eps.exited[ep] & (r_day == eps.term[ep])
    _record(quality, "history", "change_on_termination_date", "excluded",
            int(on_term.sum()),
            "records dated on the termination date are ignored: the exit ends the spell.",
            h_rows[idx[on_term]], h_ids[idx[on_term]], "effective_date")
    keep = ~on_term
    return idx[keep], r_day[keep], ep[keep], first[keep]


def _rule5_episodes_without_records(
    quality: DataQualityReport, eps: _Episodes, ep: np.ndarray, p_ids: np.ndarray
) -> None:
    """Rule 5: episodes without records are excluded (counted)."""
    has = np.zeros(len(eps.kp), bool)
    has[ep] = True
    _record(quality, "people", "episode_without_history", "excluded", int((~has).sum()),
            "employment episodes with no history record inside them are left out of spells "
            "and exposure; add the job record at hire to history.", eps.p_rows[eps.kp[~has]],
            p_ids[eps.kp[~has]], "hire_date")


def _rule6_extend_to_hire(
    data: AuditData, eps: _Episodes, idx: np.ndarray, r_day: np.ndarray, ep: np.ndarray,
    first: np.ndarray, h_rows: np.ndarray,
) -> _Records:
    """Rule 6: an episode's first record dated after the hire date is extended back to it."""
    late_first = first & (r_day > eps.hire[ep]) & (not data.is_snapshot)
    _record(data.quality, "history", "history_starts_after_hire", "repaired",
            int(late_first.sum()),
            "the first record of an episode is dated after the hire date: its track and "
            "level are extended back to the hire date.", h_rows[idx[late_first]],
            data.history["employee_id"].to_numpy(dtype=object, na_value=None)[idx[late_first]],
            "effective_date")
    return _Records(idx=idx, day=np.where(late_first, eps.hire[ep], r_day), ep=ep, first=first,
                    late_first=late_first)


@dataclass
class _SpellBounds:
    """Rule 7: spells as runs of records, with their end reasons."""

    rec_stop: np.ndarray  # exclusive stop day of each record
    rec_spell: np.ndarray  # spell number of each record
    first: np.ndarray  # first record of each spell
    last: np.ndarray  # last record of each spell
    nxt: np.ndarray  # first record of the next spell (itself for the last spell)
    ep: np.ndarray  # episode of each spell
    start: np.ndarray  # start day
    stop: np.ndarray  # exclusive stop day
    last_in_ep: np.ndarray  # last spell of its episode
    reason: np.ndarray  # end-reason code


def _rule7_spells(hist: pd.DataFrame, eps: _Episodes, rec: _Records) -> _SpellBounds:
    """Rule 7: consecutive records of one (track, level) form a spell; end reasons."""
    idx, r_day, ep, first = rec.idx, rec.day, rec.ep, rec.first
    n_rec = len(idx)
    r_stop = np.r_[np.where(first[1:], eps.stop[ep[:-1]], r_day[1:]), eps.stop[ep[-1]]]

    track_codes = pd.factorize(hist["track"])[0][idx]
    level_codes = pd.factorize(hist["level"])[0][idx]
    grade = pd.to_numeric(hist["grade"]).to_numpy(dtype=float, na_value=np.nan)[idx]
    new = first | np.r_[True, track_codes[1:] != track_codes[:-1]]
    new |= np.r_[True, level_codes[1:] != level_codes[:-1]]
    r_spell = np.cumsum(new) - 1
    sp_first = np.flatnonzero(new)
    sp_last = np.r_[sp_first[1:] - 1, n_rec - 1]
    sp_ep = ep[sp_first]
    last_in_ep = np.r_[sp_ep[1:] != sp_ep[:-1], True]
    nxt = np.r_[sp_first[1:], sp_first[-1]]

    # end reasons by precedence: exit > switch > promotion > demotion > lateral
    track_str = hist["track"].astype("str").to_numpy(dtype=object, na_value="")[idx]
    reason = np.full(len(sp_first), _REASON["lateral"], np.int64)
    g_now, g_next = grade[sp_first], grade[nxt]
    reason[g_next < g_now] = _REASON["demotion"]
    reason[g_next > g_now] = _REASON["promotion"]
    switch = track_codes[nxt] != track_codes[sp_first]
    to_m = track_str[nxt] == "M"
    reason[switch & to_m] = _REASON["switch_to_M"]
    reason[switch & ~to_m] = _REASON["switch_to_IC"]
    reason[last_in_ep] = np.where(
        eps.exited[sp_ep[last_in_ep]], eps.exit_code[sp_ep[last_in_ep]], _REASON["censored"]
    )
    return _SpellBounds(rec_stop=r_stop, rec_spell=r_spell, first=sp_first, last=sp_last,
                        nxt=nxt, ep=sp_ep, start=r_day[sp_first], stop=r_stop[sp_last],
                        last_in_ep=last_in_ep, reason=reason)


def _rule8_spells_table(
    data: AuditData, eps: _Episodes, rec: _Records, sb: _SpellBounds, hs: int,
    person: _Coded,
) -> _Core:
    """Rule 8: spells that ended by history_start are left out; delayed entry; the tables."""
    hist, people = data.history, data.people
    keep_sp = sb.stop > hs
    gone = rec.idx[sb.first[~keep_sp]]
    _record(data.quality, "spells", "spell_before_history_start", "excluded",
            int((~keep_sp).sum()),
            f"spells that ended on or before history_start {data.history_start.date()} are "
            "not observed and are left out.",
            hist["row"].to_numpy(dtype=np.int64, na_value=0)[gone] if "row" in hist else (),
            hist["employee_id"].to_numpy(dtype=object, na_value=None)[gone], "effective_date")
    new_id = np.cumsum(keep_sp) - 1
    ks = np.flatnonzero(keep_sp)
    idx = rec.idx
    f, last, nx = idx[sb.first[ks]], idx[sb.last[ks]], idx[sb.nxt[ks]]
    ending = ~sb.last_in_ep[ks]

    pay = (
        pd.to_numeric(hist["pay"]).to_numpy(dtype=float, na_value=np.nan)
        if "pay" in hist.columns
        else np.full(len(hist), np.nan)
    )
    ep_of = eps.kp[sb.ep[ks]]  # positions in people
    hire_k = eps.hire[sb.ep[ks]]
    start_k, stop_k = sb.start[ks], sb.stop[ks]
    coded = {c: _Coded.of(hist, c) for c in _CODED}
    nx_codes = {c: np.where(ending, coded[c].codes[nx], -1) for c in ("track", "level")}

    spells = pd.DataFrame(
        {
            "employee_id": _categorical_of(person.at(f)),
            "episode": pd.array(eps.p_episode[ep_of], dtype="Int64"),
            "spell_id": pd.array(np.arange(len(ks)), dtype="Int64"),
            "track": _categorical_of(coded["track"].at(f)),
            "level": _categorical_of(coded["level"].at(f)),
            "grade": _take(hist, "grade", f, "Int64"),
            "org_unit": _categorical_of(coded["org_unit"].at(f)),
            "job_family": _categorical_of(coded["job_family"].at(f)),
            "location": _categorical_of(coded["location"].at(f)),
            "start": dates_from_days(start_k),
            "stop": dates_from_days(stop_k),
            "entry": np.maximum(hs - start_k, 0) / DAYS_PER_YEAR,
            "duration": (stop_k - start_k) / DAYS_PER_YEAR,
            "end_reason": _categorical(sb.reason[ks], _EVENT_LABELS),
            "next_track": _categorical(nx_codes["track"], coded["track"].labels),
            "next_level": _categorical(nx_codes["level"], coded["level"].labels),
            "next_grade": _take(hist, "grade", nx, "Int64").where(ending),
            "start_pay": pay[f],
            "end_pay": pay[last],
            "next_pay": np.where(ending, pay[nx], np.nan),
            "hire_date": dates_from_days(hire_k),
            "tenure_at_start": (start_k - hire_k) / DAYS_PER_YEAR,
            "start_imputed": rec.late_first[sb.first[ks]],
            "gender": _categorical_of(_Coded.of(people, "gender").at(ep_of)),
            "ethnicity": _categorical_of(_Coded.of(people, "ethnicity").at(ep_of)),
            "age_band": _categorical_of(_Coded.of(people, "age_band").at(ep_of)),
        }
    )

    # record segments of kept spells, observed part only (cut into exposure by rule 9)
    r_spell = sb.rec_spell
    seg = keep_sp[r_spell] & (sb.rec_stop > hs)
    rec_idx = idx[seg]
    return _Core(
        spells=spells,
        rec_idx=rec_idx,
        rec_coded={c: coded[c].at(rec_idx) for c in _CODED},
        rec_start=np.maximum(rec.day[seg], hs),
        rec_stop=sb.rec_stop[seg],
        rec_spell=new_id[r_spell[seg]],
        rec_last=np.r_[r_spell[1:] != r_spell[:-1], True][seg],
        spell_reason=sb.reason[ks],
    )


def _empty_core() -> _Core:
    return _Core(_empty_spells(), np.zeros(0, np.int64), {}, np.zeros(0, np.int64),
                 np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool),
                 np.zeros(0, np.int64))


def _core(data: AuditData) -> _Core:
    """Spells and record segments, by the numbered rules of the module docstring, in order."""
    quality, hist = data.quality, data.history
    as_of, hs = _day(data.as_of), _day(data.history_start)
    p_pid, h_pid, person_ids = _person_codes(data.people, hist)
    eps = _rule1_episodes(data, p_pid, as_of)
    day, day_na = days_since_epoch(hist["effective_date"])
    h_rows = (
        hist["row"].to_numpy(dtype=np.int64, na_value=0)
        if "row" in hist.columns
        else np.arange(1, len(hist) + 1)
    )
    idx = _rule2_records(data, h_pid, day, day_na, h_rows, as_of)
    h_ids = hist["employee_id"].to_numpy(dtype=object, na_value=None)
    p_ids = data.people["employee_id"].to_numpy(dtype=object, na_value=None)
    idx, r_day, ep = _rule3_episode_of_records(quality, eps, idx, h_pid, day, h_rows, h_ids)
    if len(idx) == 0:
        _record(quality, "people", "episode_without_history", "excluded", len(eps.kp),
                "employment episodes with no history record inside them are left out of "
                "spells and exposure; add the job record at hire to history.",
                eps.p_rows[eps.kp], p_ids[eps.kp], "hire_date")
        return _empty_core()
    idx, r_day, ep, first = _rule4_changes_on_termination(
        quality, eps, idx, r_day, ep, h_rows, h_ids)
    _rule5_episodes_without_records(quality, eps, ep, p_ids)
    rec = _rule6_extend_to_hire(data, eps, idx, r_day, ep, first, h_rows)
    sb = _rule7_spells(hist, eps, rec)
    return _rule8_spells_table(data, eps, rec, sb, hs, _Coded(h_pid, person_ids))


def _cached_core(data: AuditData) -> _Core:
    """``_core(data)``, computed once per dataset so spells and exposure share one derivation."""
    return data.derived("spells_core", lambda: _core(data))


# --------------------------------------------------------------------------- public


def track_run_bounds(continues: np.ndarray, track: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last row of each track run: consecutive rows of one person on one track.

    Parameters
    ----------
    continues
        Per row (sorted by person, episode and time): True when the row continues
        the row before without a break (same person and employment episode).
    track
        Track of each row.

    Returns
    -------
    (first, last)
        Row positions of the first and the last row of each run, in row order. A
        run starts where a row does not continue the one before, or where the
        track changes; it never bridges two employment episodes.

    Examples
    --------
    >>> track_run_bounds(np.array([False, True, True, False]), np.array(["IC", "IC", "M", "M"]))
    (array([0, 2, 3]), array([1, 2, 3]))
    """
    track = np.asarray(track)
    new = ~np.asarray(continues, dtype=bool)
    new[:1] = True
    new[1:] |= track[1:] != track[:-1]
    first = np.flatnonzero(new)
    last = np.r_[first[1:] - 1, len(track) - 1] if len(first) else first
    return first, last


def derive_spells(data: AuditData) -> pd.DataFrame:
    """Derive spells: continuous time in one (track, level) within one employment episode.

    Parameters
    ----------
    data
        Canonical tables. Uses ``history`` (``employee_id, effective_date, track,
        level, grade`` and, when present, ``pay, org_unit, job_family,
        location, row``), ``people`` (``employee_id, hire_date`` and, when
        present, ``termination_date, termination_type, episode, gender, ethnicity,
        age_band, row``),
        ``as_of``, ``history_start`` and ``is_snapshot``. Repairs and exclusions
        are added to ``data.quality`` (once, however often this runs).

    Returns
    -------
    pandas.DataFrame
        One row per spell (``schema.SPELLS``), sorted by ``employee_id``,
        episode and ``start``; ``spell_id`` numbers the rows from 0:

        - ``employee_id``, ``episode``, ``spell_id``
        - ``track``, ``level``, ``grade``; ``org_unit``, ``job_family``,
          ``location`` at the spell's start
        - ``start`` (first day), ``stop`` (first day no longer in the spell)
        - ``entry``: years from ``start`` to ``history_start`` if the spell
          began before it, else 0 (delayed entry)
        - ``duration``: ``(stop - start)`` in years
        - ``end_reason``: one of ``schema.END_REASONS``
        - ``next_track``, ``next_level``, ``next_grade``, ``next_pay``: the
          state after a change of track or level (missing at exit and censoring)
        - ``start_pay``, ``end_pay``: FTE pay on the first and last day
        - ``hire_date``, ``tenure_at_start`` (years from hire to ``start``)
        - ``start_imputed``: the spell's start was set to the hire date
          because the episode's first record is dated later
        - ``gender``, ``ethnicity``, ``age_band``: from the episode's people row
          (missing when absent)

        Text columns (:data:`CATEGORICAL_COLUMNS`) are ``category`` columns whose
        categories are the values present, sorted: compare, sort and group them as
        text; ``employee_id``'s codes number the people ``0 .. P - 1`` in ID order.

    Notes
    -----
    ``duration = (stop - start).days / 365.25`` and
    ``entry = max(history_start - start, 0).days / 365.25``. ``stop`` is the
    next change of track or level, else ``termination_date + 1 day`` (an exit
    observed by ``as_of``), else ``as_of + 1 day`` (censored). The spells of
    one episode tile ``[hire_date, stop of its last spell)`` without gaps or
    overlaps, minus spells that ended on or before ``history_start``. The
    rules (episode of a record, same-date collapse, a change on the
    termination date, end-reason precedence exit > switch > promotion >
    demotion > lateral) are listed in the module docstring and in
    ``docs/spells.md``.
    """
    return _cached_core(data).spells


def derive_exposure(data: AuditData) -> pd.DataFrame:
    """Derive exposure: observed person-time at constant attributes, split by fiscal quarter.

    Parameters
    ----------
    data
        Canonical tables, as for :func:`derive_spells`; the fiscal year starts
        in ``data.fiscal_year_start_month``.

    Returns
    -------
    pandas.DataFrame
        One row per interval (``schema.EXPOSURE``), sorted by ``employee_id``
        and ``start``:

        - ``employee_id``, ``episode``, ``spell_id`` (the spell in
          :func:`derive_spells`)
        - ``start``, ``stop`` (exclusive), ``person_years``
        - ``quarter`` (label ``"<fiscal year>Q<q>"``), ``year`` (fiscal year,
          named by the calendar year in which it ends)
        - ``track``, ``level``, ``grade``, ``org_unit``, ``job_family``,
          ``location``, ``pay``: the history record in force
        - ``tenure``: years since hire at ``start``; ``time_in_spell``: years
          since the spell's start at ``start``
        - ``event``: the spell's ``end_reason`` on its last interval (an exit,
          a change of track or level, or ``"censored"``), ``"none"`` elsewhere
        - ``gender``, ``ethnicity``, ``age_band``: from the episode's people row

        Text columns are categories, as in :func:`derive_spells`; ``employee_id``
        has the spells' categories, so its codes are the same person code
        (:func:`~pathaudit.derived.population.exposure_person_codes`).

    Notes
    -----
    The observed part ``[max(start, history_start), stop)`` of each spell is
    cut at every history record and every fiscal-quarter start;
    ``person_years = (stop - start).days / 365.25``. The person-years of a
    spell sum to ``duration - entry``, and over the table they sum to the total
    observed employed time. An event rate is ``events / sum(person_years)``
    with both taken from this table, attributed to the attributes held at the
    time (e.g. exits per person-year by track: rows with ``event`` starting
    ``"exit_"`` over the person-years of the same rows' group).
    """
    offset = fiscal_month_offset(data.fiscal_year_start_month)
    core = _cached_core(data)
    n = len(core.rec_start)
    if n == 0:
        return _empty_exposure()
    sp, hist = core.spells, data.history
    q0 = quarter_index(core.rec_start, offset)
    q1 = quarter_index(core.rec_stop - 1, offset)
    count = q1 - q0 + 1
    q_min, q_max = int(q0.min()), int(q1.max())
    rep = np.repeat(np.arange(n), count)  # the record segment of each row
    within = np.arange(len(rep)) - np.repeat(np.cumsum(count) - count, count)
    qi = q0[rep] - q_min + within  # quarter of each row, from the first quarter
    last = core.rec_last[rep] & (within == count[rep] - 1)
    del within, q0, q1
    # columns are built one at a time and each temporary freed once used: at 1,000,000
    # people the table has 17.8 M rows, and every array of that length is 140 MB
    cols: dict[str, Any] = {}
    quarters = np.arange(q_min, q_max + 1)
    year_of, _, quarter_labels = quarter_parts(quarters, offset)
    cols["quarter"] = _categorical(qi, np.asarray(quarter_labels, dtype=object))
    cols["year"] = pd.array(year_of[qi], dtype="Int64")
    bounds = quarter_start_day(np.arange(q_min, q_max + 2), offset)
    start = np.maximum(core.rec_start[rep], bounds[qi])
    stop = np.minimum(core.rec_stop[rep], bounds[qi + 1])
    del qi
    cols["start"] = dates_from_days(start)
    cols["stop"] = dates_from_days(stop)
    cols["person_years"] = (stop - start) / DAYS_PER_YEAR
    del stop
    for c in _CODED:
        cols[c] = _categorical(core.rec_coded[c].codes[rep], core.rec_coded[c].labels)
    pos = core.rec_idx[rep]  # the history record in force
    spell = core.rec_spell[rep]
    del rep
    cols["grade"] = _take(hist, "grade", pos, "Int64")
    cols["pay"] = (
        pd.to_numeric(hist["pay"]).to_numpy(dtype=float, na_value=np.nan)[pos]
        if "pay" in hist.columns
        else np.full(len(pos), np.nan)
    )
    del pos
    cols["event"] = _categorical(np.where(last, core.spell_reason[spell], _REASON_NONE),
                                 _EVENT_LABELS)
    del last
    sp_start, _ = days_since_epoch(sp["start"])
    hire, _ = days_since_epoch(sp["hire_date"])
    cols["tenure"] = (start - hire[spell]) / DAYS_PER_YEAR
    cols["time_in_spell"] = (start - sp_start[spell]) / DAYS_PER_YEAR
    del start
    for c in ("employee_id", "gender", "ethnicity", "age_band"):
        # a categorical column of spells at each row's spell: the same categories
        codes = sp[c].array
        cols[c] = pd.Series(pd.Categorical.from_codes(codes.codes[spell], dtype=codes.dtype))
    cols["episode"] = sp["episode"].iloc[spell].reset_index(drop=True)
    cols["spell_id"] = pd.array(spell, dtype="Int64")
    del spell
    # copy=False: the columns are the frame's own arrays (no consolidating copy of them)
    return pd.DataFrame({c.name: cols.pop(c.name) for c in EXPOSURE}, copy=False)
