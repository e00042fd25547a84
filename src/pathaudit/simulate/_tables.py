"""Canonical tables of a simulated organisation, built from the arrays of its run.

The tables have exactly the canonical columns of :mod:`pathaudit.io.schema` (history
also ``episode``, ``grade``, ``pay``, ``row`` as the loader adds them; people
``episode`` and ``row``), in canonical order and with the loader's dtypes, so that
an :class:`~pathaudit.data.AuditData` built from them is what loading the exported
files gives.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from pathaudit.io.schema import HISTORY, HISTORY_DERIVED, PEOPLE, PEOPLE_DERIVED, TABLES, Column
from pathaudit.simulate._engine import REASONS, RawRun
from pathaudit.simulate.config import SimConfig

_DTYPES = {"str": str, "category": str, "date": "datetime64[ns]", "float": "float64",
           "int": "Int64"}

IC_TITLES = {2: "Associate", 3: "Professional", 4: "Senior", 5: "Staff", 6: "Senior Staff",
             7: "Principal", 8: "Distinguished", 9: "Fellow"}
M_TITLES = ("Team Lead", "Manager", "Senior Manager", "Director", "Senior Director",
            "Vice President", "Senior Vice President", "Executive Vice President")
TERMINATION = ("voluntary", "involuntary", "other")


def level_code(config: SimConfig, track: int, grade: int) -> str:
    """The export's level code: ``IC<grade>`` or ``M<rank>`` (M1 = lowest M grade)."""
    return f"IC{grade}" if track == 0 else f"M{grade - config.m_grades[0] + 1}"


def _level_lookup(config: SimConfig) -> np.ndarray:
    out = np.empty((2, 10), dtype=object)
    for g in range(10):
        out[0, g] = level_code(config, 0, g)
        out[1, g] = level_code(config, 1, g)
    return out


def _dates(days: ArrayLike) -> np.ndarray:
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]").astype("datetime64[ns]")
    out[days < 0] = np.datetime64("NaT", "ns")
    return out


def _finalise(df: pd.DataFrame, cols: tuple[Column, ...]) -> pd.DataFrame:
    """Exactly ``cols``, in order, with the loader's dtypes (missing text is NaN)."""
    n = len(df)
    out = {}
    for c in cols:
        values = df[c.name].to_numpy() if c.name in df else np.full(n, np.nan, dtype=object)
        if c.kind in ("str", "category"):
            values = values.astype(object)
            values[pd.isna(values)] = np.nan
            out[c.name] = pd.Series(values, dtype=str)
        else:
            out[c.name] = pd.Series(values).astype(_DTYPES[c.kind])
    return pd.DataFrame(out)


def _ordered(df: pd.DataFrame, table: str, sort: list[str], row: bool = True) -> pd.DataFrame:
    """Canonical columns, sorted as the loader sorts, with ``row`` = position in the export."""
    df = df.sort_values(sort, kind="stable").reset_index(drop=True)
    cols = TABLES[table]
    if row:
        df = df.assign(row=np.arange(1, len(df) + 1))
        cols = cols + (Column("row", "int"),)
    return _finalise(df, cols)


def person_ids(n: int) -> np.ndarray:
    """Pseudonymous IDs ``E000001``... (zero-padded so text order is number order)."""
    width = max(6, len(str(n)))
    return np.array([f"E{i + 1:0{width}d}" for i in range(n)], dtype=object)


def _age_band(age: np.ndarray) -> np.ndarray:
    labels = np.array(["under 30", "30-39", "40-49", "50 and over"], dtype=object)
    return labels[np.searchsorted([30.0, 40.0, 50.0], age, side="right")]


def _preferences(raw: RawRun) -> np.ndarray:
    """Each person's stated career preference (``"IC"``, ``"M"``, or None without an answer)."""
    P = raw.persons
    pref = np.where(P["prefer_m"], "M", "IC").astype(object)
    pref[~P["responded"]] = None
    return pref


def current_people(raw: RawRun, ids: np.ndarray | None = None) -> pd.DataFrame:
    """The people employed on as-of, one row each (what the truth of pay is computed on).

    Parameters
    ----------
    raw
        The arrays of the monthly loop.
    ids
        Every person's ID (:func:`person_ids`), when the caller has them already.

    Returns
    -------
    pandas.DataFrame
        ``employee_id, track, grade, tenure_years, job_family, location, gender, fte, E,
        manager_id, career_preference`` (``E``: noise-free log pay of the current record).
    """
    c = raw.config
    S = raw.slots
    ids = person_ids(len(raw.persons["u"])) if ids is None else ids
    act = np.flatnonzero(S["active"][: S["pid"].size])
    return pd.DataFrame({
        "employee_id": ids[S["pid"][act]],
        "track": np.array(["IC", "M"], dtype=object)[S["track"][act]],
        "grade": S["grade"][act],
        "tenure_years": (raw.as_of_day - S["hire_day"][act]) / 365.25,
        "job_family": np.array(c.job_families, dtype=object)[S["family"][act]],
        "location": np.array(c.locations, dtype=object)[S["location"][act]],
        "gender": np.where(S["female"][act], "Female", "Male"),
        "fte": S["fte"][act],
        "E": S["E"][act],
        "manager_id": np.where(S["manager"][act] >= 0, ids[np.maximum(S["manager"][act], 0)],
                               None),
        "career_preference": _preferences(raw)[S["pid"][act]],
    })


def build_tables(raw: RawRun) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Canonical tables of a run, and the people employed on as-of (for the truth).

    Parameters
    ----------
    raw
        The arrays of the monthly loop.

    Returns
    -------
    tables
        ``history``, ``people``, ``ladder``, ``bands``, ``ratings``, ``adoption``,
        ``snapshot`` (canonical columns; see the module docstring).
    current
        One row per person employed on as-of: ``employee_id, track, grade,
        tenure_years, job_family, location, gender, fte, E, manager_id,
        career_preference``.
    """
    c = raw.config
    S, P, R = raw.slots, raw.persons, raw.records
    ids = person_ids(len(P["u"]))
    levels = _level_lookup(c)
    units = np.array(c.units, dtype=object)
    fams = np.array(c.job_families, dtype=object)
    locs = np.array(c.locations, dtype=object)
    tracks = np.array(["IC", "M"], dtype=object)
    hs_day = int(raw.month_start[raw.hs_month])
    as_of = raw.as_of_day

    # -- history ------------------------------------------------------------------------------
    slot = R["slot"]
    day = R["day"].copy()
    keep = np.ones(slot.size, dtype=bool)
    if raw.hs_month > 0:
        # the start of the spell each record belongs to
        change = np.ones(slot.size, dtype=bool)
        change[1:] = (slot[1:] != slot[:-1]) | (R["track"][1:] != R["track"][:-1]) | (
            R["grade"][1:] != R["grade"][:-1])
        first = np.maximum.accumulate(np.where(change, np.arange(slot.size), 0))
        spell_start = day[first]
        before = day < hs_day
        nxt_same = np.zeros(slot.size, dtype=bool)
        nxt_same[:-1] = (slot[1:] == slot[:-1]) & (day[1:] < hs_day)
        term = S["term_day"][slot]
        in_force = before & ~nxt_same & ((term < 0) | (term >= hs_day))
        keep = ~before | in_force
        day = np.where(in_force, spell_start, day)
    slot, day = slot[keep], day[keep]
    track, grade = R["track"][keep], R["grade"][keep]
    base = np.round(np.exp(R["logpay"][keep]))
    bonus = np.where(track == 0, c.bonus_ic, c.bonus_m) * np.maximum(grade - 1, 0)
    eq_units = np.maximum(grade - c.equity_from_grade + 1, 0)
    mgr = R["manager"][keep]
    history = pd.DataFrame({
        "employee_id": ids[S["pid"][slot]],
        "effective_date": _dates(day),
        "track": tracks[track],
        "level": levels[track, grade],
        "base_salary": base,
        "variable_pay": np.round(base * bonus, -1),
        "equity": np.round(base * c.equity_share * eq_units, -2),
        "fte": S["fte"][slot],
        "currency": c.currency,
        "org_unit": units[S["unit"][slot]],
        "job_family": fams[S["family"][slot]],
        "location": locs[S["location"][slot]],
        "manager_id": np.where(mgr >= 0, ids[np.maximum(mgr, 0)], None),
        "reason": np.array(REASONS, dtype=object)[R["reason"][keep]],
        "episode": S["episode"][slot],
        "grade": grade,
        "pay": base,
        "row": np.arange(1, slot.size + 1),
    })
    history = _finalise(history, HISTORY + HISTORY_DERIVED)

    # -- people -------------------------------------------------------------------------------
    in_data = (S["term_day"] < 0) | (S["term_day"] >= hs_day)
    order = np.lexsort((S["hire_day"], S["pid"]))
    order = order[in_data[order]]
    ref_day = np.where(S["term_day"] >= 0, S["term_day"], as_of)
    age = (ref_day - P["birth_day"][S["pid"]]) / 365.25
    pref = _preferences(raw)
    term_type = np.array([*TERMINATION, None], dtype=object)[S["term_code"]]
    people_all = pd.DataFrame({
        "employee_id": ids[S["pid"]],
        "hire_date": _dates(S["hire_day"]),
        "termination_date": _dates(S["term_day"]),
        "termination_type": term_type,
        "gender": np.where(S["female"], "Female", "Male"),
        "age_band": _age_band(age),
        "career_preference": pref[S["pid"]],
        "episode": S["episode"],
    })
    people = people_all.iloc[order].assign(row=np.arange(1, order.size + 1))
    people = _finalise(people, PEOPLE + PEOPLE_DERIVED)

    # -- ladder, bands, adoption ----------------------------------------------------------------
    adopt = c.adoption_array()
    adopting = np.flatnonzero(adopt < c.n_months)
    adopt_dates = {int(u): _dates([raw.month_start[adopt[u]]])[0] for u in adopting}
    rows: list[tuple[object, ...]] = []
    for g in range(c.ic_grades[0], c.ic_grades[1] + 1):
        rows.append(("IC", level_code(c, 0, g), g, IC_TITLES.get(g, f"IC {g}"), None, None))
    for g in range(c.m_grades[0], c.m_grades[1] + 1):
        rows.append(("M", level_code(c, 1, g), g, M_TITLES[g - c.m_grades[0]], None, None))
    for u in adopting:
        for g in range(c.ic_grades[1] + 1, c.adopted_ic_top + 1):
            rows.append(("IC", level_code(c, 0, g), g, IC_TITLES.get(g, f"IC {g}"),
                         c.units[u], adopt_dates[int(u)]))
    ladder = _ordered(
        pd.DataFrame(rows, columns=["track", "level", "grade", "title", "org_unit", "valid_from"]),
        "ladder", ["track", "grade", "level"], row=False,
    )
    start = _dates([raw.month_start[0]])[0]
    first_adopt = min(adopt_dates.values()) if adopt_dates else start
    lad = ladder.drop_duplicates(["track", "level"])
    mid = c.band_mid(lad["grade"].to_numpy(dtype=np.int64))
    mid = np.where(lad["track"].to_numpy() == "IC", mid * (1.0 - c.ic_band_discount), mid)
    mid = np.round(mid, -2)
    extra = (lad["track"].to_numpy() == "IC") & (lad["grade"].to_numpy() > c.ic_grades[1])
    bands = _ordered(pd.DataFrame({
        "track": lad["track"].to_numpy(),
        "level": lad["level"].to_numpy(),
        "band_min": np.round(mid * (1 - c.band_spread), -2),
        "band_mid": mid,
        "band_max": np.round(mid * (1 + c.band_spread), -2),
        "currency": c.currency,
        "location": None,
        "effective_date": np.where(extra, first_adopt, start),
    }), "bands", ["track", "level"])
    adoption = _ordered(pd.DataFrame({
        "org_unit": [c.units[u] for u in adopting],
        "adoption_date": [adopt_dates[int(u)] for u in adopting],
    }), "adoption", ["org_unit"])

    # -- ratings ---------------------------------------------------------------------------------
    rt = raw.ratings
    rk = rt["day"] >= hs_day
    ratings = pd.DataFrame({
        "employee_id": ids[S["pid"][rt["slot"][rk]]],
        "rating_date": _dates(rt["day"][rk]),
        "rating": rt["rating"][rk].astype(float),
    })
    ratings = _ordered(ratings, "ratings", ["employee_id", "rating_date"])

    # -- snapshot: the last episode of each person, as it stands on as-of -----------------------
    last = P["last_slot"]
    last_base = np.round(np.exp(S["logpay"][last]))
    g_last, t_last = S["grade"][last], S["track"][last]
    left = S["term_day"][last] >= 0
    snapshot = _finalise(pd.DataFrame({
        "employee_id": ids,
        "hire_date": _dates(S["hire_day"][last]),
        "track": tracks[t_last],
        "level": levels[t_last, g_last],
        "base_salary": last_base,
        "variable_pay": np.round(
            last_base * np.where(t_last == 0, c.bonus_ic, c.bonus_m) * np.maximum(g_last - 1, 0),
            -1),
        "equity": np.round(last_base * c.equity_share
                           * np.maximum(g_last - c.equity_from_grade + 1, 0), -2),
        "fte": S["fte"][last],
        "currency": c.currency,
        "org_unit": units[S["unit"][last]],
        "job_family": fams[S["family"][last]],
        "location": locs[S["location"][last]],
        "manager_id": np.where(S["manager"][last] >= 0, ids[np.maximum(S["manager"][last], 0)],
                               None),
        "last_promotion_date": _dates(S["spell_day"][last]),
        "left": np.where(left, "true", "false"),
        "termination_date": _dates(S["term_day"][last]),
        "termination_type": term_type[last],
        "gender": np.where(S["female"][last], "Female", "Male"),
        "age_band": _age_band(age[last]),
        "career_preference": pref,
    }).loc[in_data[last]], TABLES["snapshot"])

    current = current_people(raw, ids)
    tables = {
        "history": history,
        "people": people,
        "ladder": ladder,
        "bands": bands,
        "ratings": ratings,
        "adoption": adoption,
        "snapshot": snapshot,
    }
    return tables, current
