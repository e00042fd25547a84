"""Builders shared by the tests: canonical tables, AuditData, tiny exports, random organisations.

One function per concept; where test files need different defaults they bind them with
``functools.partial`` next to their imports.

- ``history``, ``people``, ``ladder``: canonical (already loaded) tables from tuples.
- ``audit``: an AuditData from canonical tables; ``person`` + ``persons_audit``: one from
  people with their jobs (manager IDs, preferences, ratings); ``state_audit``: one history
  row per person from a frame of current states.
- ``MAP_TOML``, ``export_people``, ``export_history``, ``export_ladder``, ``write_table``,
  ``write_export``: a tiny raw export and its map written to disk for the loading tests.
- ``random_org`` (constant exit hazards), ``mini_org`` (constant competing promotion, exit
  and switch hazards, with ``true_cif`` and ``true_km``), ``random_current_state`` (current
  pay with a known IC effect), ``cox_sample`` (survival times with two covariates).
- ``stack``: simulated organisations stacked into one AuditData, one ``location`` each.
- ``model_frame``: the current state with the columns of the pay model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.derived.population import current_state

YEAR = 365.25

GRADES = {"IC2": 2, "IC3": 3, "IC4": 4, "IC4b": 4, "IC5": 5, "M1": 4, "M2": 5, "M3": 6}
"""Level -> grade of the default hand-built ladder: IC4 = M1 (grade 4); IC4b is a second
grade-4 IC level."""

PARALLEL_GRADES = {"IC3": 3, "IC4": 4, "IC5": 5, "M3": 3, "M4": 4, "M5": 5}
"""Level -> grade of a ladder whose tracks share numbers (IC3 = M3 ...)."""

_DAY = 86_400_000_000_000
_HISTORY_COLUMNS = ["employee_id", "effective_date", "track", "level", "grade", "pay",
                    "org_unit", "job_family", "location", "episode", "row"]


# --------------------------------------------------------------------------- canonical tables


def history(*rows: tuple, grades: dict[str, int] = GRADES, with_pay: bool = True) -> pd.DataFrame:
    """Canonical history from (employee_id, date, level[, pay[, org_unit]]) tuples.

    With ``with_pay=False`` the tuples are (employee_id, date, level[, org_unit]) and pay is
    100. Track is "M" for levels starting with "M", else "IC"; grade from ``grades``.
    """
    recs = []
    for i, r in enumerate(rows):
        eid, date, level = r[:3]
        rest = r[3:] if with_pay else (100.0, *r[3:])
        recs.append(
            {
                "employee_id": eid,
                "effective_date": pd.Timestamp(date),
                "track": "M" if level.startswith("M") else "IC",
                "level": level,
                "grade": grades[level],
                "pay": float(rest[0]) if len(rest) > 0 else 100.0,
                "org_unit": rest[1] if len(rest) > 1 else "U1",
                "job_family": "Eng",
                "location": "Paris",
                "episode": 0,
                "row": i + 1,
            }
        )
    h = pd.DataFrame(recs)
    if h.empty:
        h = pd.DataFrame(columns=_HISTORY_COLUMNS)
    h["effective_date"] = pd.to_datetime(h["effective_date"])
    for c in ("grade", "episode", "row"):
        h[c] = h[c].astype("Int64")
    for c in ("employee_id", "track", "level", "org_unit", "job_family", "location"):
        h[c] = h[c].astype("str")
    return h


def people(*rows: tuple, exit_type: str | None = None) -> pd.DataFrame:
    """Canonical people from (employee_id, hire[, termination[, type[, gender]]]) tuples.

    With ``exit_type`` the tuples are (employee_id, hire[, termination[, gender]]) and every
    leaver's termination type is ``exit_type``. Rows are sorted by person and hire date;
    episodes are numbered per person.
    """
    recs = []
    for r in rows:
        r = r if exit_type is None else (*r[:3], exit_type if len(r) > 2 and r[2] else None,
                                         *r[3:])
        recs.append(
            {
                "employee_id": r[0],
                "hire_date": pd.Timestamp(r[1]),
                "termination_date": pd.Timestamp(r[2]) if len(r) > 2 and r[2] else pd.NaT,
                "termination_type": r[3] if len(r) > 3 else None,
                "gender": r[4] if len(r) > 4 else "F",
            }
        )
    p = pd.DataFrame(recs)
    p["hire_date"] = pd.to_datetime(p["hire_date"])
    p["termination_date"] = pd.to_datetime(p["termination_date"])
    p = p.sort_values(["employee_id", "hire_date"], kind="stable")
    p["episode"] = p.groupby("employee_id").cumcount().astype("Int64")
    p["row"] = pd.array(np.arange(1, len(p) + 1), dtype="Int64")
    for c in ("employee_id", "termination_type", "gender"):
        p[c] = p[c].astype("str")
    return p.reset_index(drop=True)


def ladder(
    grades: dict[str, int] | None = None,
    *,
    low: int = 3,
    ic_top: int = 7,
    m_top: int = 8,
    grade_dtype: str = "Int64",
) -> pd.DataFrame:
    """Ladder frame from level -> grade, by default ICg and Mg from ``low`` to each top."""
    if grades is None:
        grades = {f"IC{g}": g for g in range(low, ic_top + 1)}
        grades |= {f"M{g}": g for g in range(low, m_top + 1)}
    lad = pd.DataFrame({"track": ["M" if lv.startswith("M") else "IC" for lv in grades],
                        "level": list(grades), "grade": list(grades.values())})
    lad["grade"] = lad["grade"].astype(grade_dtype)
    return lad


_ladder_frame = ladder  # for the builders whose ``ladder`` argument hides the function


# --------------------------------------------------------------------------- AuditData


def audit(
    h: pd.DataFrame,
    p: pd.DataFrame,
    *,
    ladder: pd.DataFrame | None = None,
    extract: str = "2024-12-31",
    start: str = "2019-01-01",
    as_of: str | None = None,
    fy: int | None = 1,
    k: int | None = 1,
    snapshot: bool = False,
    ratings: pd.DataFrame | None = None,
    bands: pd.DataFrame | None = None,
) -> AuditData:
    """AuditData from canonical tables (an empty ladder unless given).

    The config holds the fiscal-year start month unless ``fy`` is None and the minimum
    cell size unless ``k`` is None (then the package default applies).
    """
    config: dict = {}
    if fy is not None:
        config["export"] = {"fiscal_year_start_month": fy}
    if k is not None:
        config["privacy"] = {"min_cell_size": k}
    return AuditData(
        history=h,
        people=p,
        ladder=pd.DataFrame({"track": [], "level": [], "grade": []}) if ladder is None
        else ladder,
        extract_date=pd.Timestamp(extract),
        history_start=pd.Timestamp(start),
        as_of=as_of,
        is_snapshot=snapshot,
        ratings=ratings,
        bands=bands,
        config=config,
    )


def days(a: str, b: str) -> int:
    return (pd.Timestamp(b) - pd.Timestamp(a)).days


def person(
    eid: str,
    hire: object,
    jobs: list[tuple],
    *,
    term: object = None,
    ttype: str | None = "voluntary",
    gender: str | None = "F",
    pref: str | None = None,
) -> dict:
    """One person for ``persons_audit``: jobs are (date, level[, pay[, unit[, manager_id]]])."""
    return {"id": eid, "hire": pd.Timestamp(hire), "jobs": jobs,
            "term": pd.Timestamp(term) if term is not None else pd.NaT,
            "ttype": ttype if term is not None else None, "gender": gender, "pref": pref}


def persons_audit(
    persons: list[dict],
    *,
    grades: dict[str, int],
    extract: str = "2024-12-31",
    start: str = "2019-01-01",
    k: int = 1,
    ratings: list[tuple] | None = None,
    with_manager: bool = True,
    with_pref: bool = True,
) -> AuditData:
    """AuditData from ``person`` dicts: history sorted by person and date, with manager IDs
    and career preferences unless left out, ratings from (employee_id, date, rating)."""
    jobs = [(p["id"], j[0], j[1], j[2] if len(j) > 2 else 100.0, j[3] if len(j) > 3 else "U1")
            for p in persons for j in p["jobs"]]
    h = history(*jobs, grades=grades)
    managers = [j[4] if len(j) > 4 else None for p in persons for j in p["jobs"]]
    h.insert(h.columns.get_loc("episode"), "manager_id", pd.Series(managers).astype("str"))
    h = h.sort_values(["employee_id", "effective_date"], kind="stable")
    h["row"] = pd.array(np.arange(1, len(h) + 1), dtype="Int64")
    if not with_manager:
        h = h.drop(columns="manager_id")
    ppl = pd.DataFrame([{
        "employee_id": p["id"], "hire_date": p["hire"], "termination_date": p["term"],
        "termination_type": p["ttype"], "gender": p["gender"], "career_preference": p["pref"],
    } for p in persons])
    ppl["termination_date"] = pd.to_datetime(ppl["termination_date"])
    ppl["episode"] = pd.array(np.zeros(len(ppl), dtype=int), dtype="Int64")
    ppl["row"] = pd.array(np.arange(1, len(ppl) + 1), dtype="Int64")
    for c in ("employee_id", "termination_type", "gender", "career_preference"):
        ppl[c] = ppl[c].astype("str")
    if not with_pref:
        ppl = ppl.drop(columns="career_preference")
    rt = None
    if ratings is not None:
        rt = pd.DataFrame(ratings, columns=["employee_id", "rating_date", "rating"])
        rt["rating_date"] = pd.to_datetime(rt["rating_date"])
        rt["employee_id"] = rt["employee_id"].astype("str")
        rt["rating"] = rt["rating"].astype(float)
    return audit(h.reset_index(drop=True), ppl, ladder=ladder(grades), extract=extract,
                 start=start, fy=None, k=k, ratings=rt)


STATE_AS_OF = pd.Timestamp("2025-12-31")


def state_audit(
    people: pd.DataFrame,
    *,
    ladder: pd.DataFrame | None = None,
    bands: pd.DataFrame | None = None,
    config: dict | None = None,
    snapshot: bool = False,
) -> AuditData:
    """AuditData with one history row per person from a frame of current states.

    ``people`` columns: track, grade, pay and optionally org_unit, job_family, location,
    gender, tenure (years), fte, currency, variable_pay, equity, employee_id. The extract
    date is ``STATE_AS_OF``; the default ladder runs IC3-IC7 and M3-M8.
    """
    n = len(people)
    ids = people.get("employee_id", pd.Series([f"E{i:05d}" for i in range(n)]))
    tenure = people.get("tenure", pd.Series(np.full(n, 3.0)))
    hire = STATE_AS_OF - pd.to_timedelta(np.round(np.asarray(tenure) * 365.25), unit="D")
    track = people["track"].astype(str).to_numpy()
    grade = people["grade"].astype(int).to_numpy()
    hist = pd.DataFrame(
        {
            "employee_id": pd.array(ids, dtype="string"),
            "effective_date": hire,
            "track": track,
            "level": pd.array([f"{t}{g}" for t, g in zip(track, grade, strict=True)],
                              dtype="string"),
            "base_salary": people["pay"].to_numpy(dtype=float),
            "fte": people.get("fte", pd.Series(np.ones(n))).to_numpy(dtype=float),
            "org_unit": pd.array(people.get("org_unit", pd.Series(["U1"] * n)), dtype="string"),
            "episode": 0,
            "grade": pd.array(grade, dtype="Int64"),
            "pay": people["pay"].to_numpy(dtype=float),
            "row": np.arange(1, n + 1),
        }
    )
    for c in ("job_family", "location", "currency"):
        if c in people:
            hist[c] = pd.array(people[c], dtype="string")
    for c in ("variable_pay", "equity"):
        if c in people:
            hist[c] = people[c].to_numpy(dtype=float)
    ppl = pd.DataFrame(
        {
            "employee_id": pd.array(ids, dtype="string"),
            "hire_date": hire,
            "termination_date": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"),
            "episode": 0,
            "row": np.arange(1, n + 1),
        }
    )
    if "gender" in people:
        ppl["gender"] = pd.array(people["gender"], dtype="string")
    return AuditData(
        history=hist,
        people=ppl,
        ladder=_ladder_frame(grade_dtype="int64") if ladder is None else ladder,
        bands=bands,
        extract_date=STATE_AS_OF,
        history_start="2015-01-01",
        is_snapshot=snapshot,
        config=config or {},
    )


def model_frame(data: AuditData) -> pd.DataFrame:
    """The current state with log pay ``y``, ``is_ic``, ``grade_model`` and string controls."""
    cur = current_state(data)
    return cur.assign(
        y=np.log(cur["pay"]),
        is_ic=(cur["track"] == "IC").astype(int),
        grade_model=cur["grade"].astype(int),
        job_family=cur["job_family"].astype(str),
        location=cur["location"].astype(str),
        gender=cur["gender"].astype(str),
        org_unit=cur["org_unit"].astype(str),
    )


# --------------------------------------------------------------------------- tiny raw export

MAP_TOML = """\
[export]
kind = "history"
extract_date = "2024-12-31"
history_start = "2020-01-01"

[files]
history = "history.{ext}"
people = "people.{ext}"
ladder = "ladder.{ext}"

[columns.history]
employee_id = "Worker ID"
effective_date = "Effective Date"
track = "Career Track"
level = "Job Level"
base_salary = "Annual Base"
fte = "FTE"
currency = "Currency"
org_unit = "Org Unit"
job_family = "Job Family"
manager_id = "Manager ID"

[columns.people]
employee_id = "Worker ID"
hire_date = "Hire Date"
termination_date = "Termination Date"
termination_type = "Exit Type"
gender = "Gender"

[values.track]
"Individual Contributor" = "IC"
"People Manager" = "M"

[values.termination_type]
"Resignation" = "voluntary"
"Dismissal" = "involuntary"
"""


def export_people() -> pd.DataFrame:
    """Raw people of the tiny export: five people; 007 was rehired (two episodes), 012
    resigned."""
    return pd.DataFrame(
        {
            "Worker ID": ["007", "007", "010", "011", "012", "013"],
            "Hire Date": [
                "2019-03-01",
                "2022-06-01",
                "2020-01-15",
                "2021-02-01",
                "2020-05-04",
                "2023-09-01",
            ],
            "Termination Date": ["2021-12-31", "", "", "", "2023-04-30", ""],
            "Exit Type": ["Resignation", "", "", "", "Resignation", ""],
            "Gender": ["F", "F", "M", "F", "M", "X"],
        }
    )


def export_history() -> pd.DataFrame:
    """Raw job records of the people above."""
    ic, m = "Individual Contributor", "People Manager"
    rows = [
        ("007", "2019-03-01", ic, "IC2", "60000", "1.0", "EUR", "U1", "Eng", "010"),
        ("007", "2020-07-01", ic, "IC3", "70000", "1.0", "EUR", "U1", "Eng", "010"),
        ("007", "2022-06-01", m, "M1", "90000", "1.0", "EUR", "U2", "Eng", "011"),
        ("010", "2020-01-15", m, "M1", "95000", "1.0", "EUR", "U1", "Eng", ""),
        ("010", "2022-01-01", m, "M2", "110000", "1.0", "EUR", "U1", "Eng", ""),
        ("011", "2021-02-01", ic, "IC3", "72000", "0.8", "EUR", "U2", "Sales", "010"),
        ("011", "2023-01-01", ic, "IC4", "80000", "0.8", "EUR", "U2", "Sales", "010"),
        ("012", "2020-05-04", ic, "IC2", "58000", "1.0", "EUR", "U1", "Eng", "010"),
        ("013", "2023-09-01", ic, "IC3", "71000", "1.0", "EUR", "U2", "Eng", "011"),
    ]
    cols = ["Worker ID", "Effective Date", "Career Track", "Job Level", "Annual Base", "FTE",
            "Currency", "Org Unit", "Job Family", "Manager ID"]
    return pd.DataFrame(rows, columns=cols)


def export_ladder() -> pd.DataFrame:
    """Raw ladder: IC2..IC5 and M1..M2 with IC4 = M1 (grade 4)."""
    return pd.DataFrame(
        {
            "track": ["IC", "IC", "IC", "IC", "M", "M"],
            "level": ["IC2", "IC3", "IC4", "IC5", "M1", "M2"],
            "grade": ["2", "3", "4", "5", "4", "5"],
            "title": ["Engineer", "Senior", "Staff", "Principal", "Manager", "Senior Manager"],
        }
    )


def write_table(df: pd.DataFrame, path: Path) -> None:
    """Write one table as CSV, xlsx or parquet (numbers as numbers where they are numbers)."""
    if path.suffix == ".csv":
        df.to_csv(path, index=False)
        return
    typed = df.copy()
    for col in typed.columns:
        s = typed[col].replace("", None)
        if col in ("Annual Base", "FTE", "grade"):
            typed[col] = pd.to_numeric(s)
        elif "Date" in col:
            typed[col] = pd.to_datetime(s)
        else:
            typed[col] = s
    if path.suffix == ".xlsx":
        typed.to_excel(path, index=False)
    elif typed.columns.is_unique:
        typed.to_parquet(path, index=False)
    else:  # a repeated column name: pandas refuses, Parquet itself does not
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrays = [pa.array(typed.iloc[:, i], from_pandas=True) for i in range(typed.shape[1])]
        pq.write_table(pa.Table.from_arrays(arrays, names=list(typed.columns)), path)


def write_export(
    folder: Path,
    *,
    ext: str = "csv",
    history_df: pd.DataFrame | None = None,
    people_df: pd.DataFrame | None = None,
    ladder_df: pd.DataFrame | None = None,
    map_extra: str = "",
    map_text: str | None = None,
) -> Path:
    """Write the tiny export (or the tables given) and its map into ``folder``; return the
    map path."""
    folder.mkdir(parents=True, exist_ok=True)
    write_table(export_history() if history_df is None else history_df, folder / f"history.{ext}")
    write_table(export_people() if people_df is None else people_df, folder / f"people.{ext}")
    write_table(export_ladder() if ladder_df is None else ladder_df, folder / f"ladder.{ext}")
    text = MAP_TOML.format(ext=ext) if map_text is None else map_text
    path = folder / "map.toml"
    path.write_text(text + "\n" + map_extra)
    return path


# --------------------------------------------------------------------------- random organisations


def random_org(
    n: int = 2000,
    seed: int = 0,
    *,
    vol: tuple[float, float] = (0.12, 0.08),
    inv: tuple[float, float] = (0.03, 0.03),
    switch_share: float = 0.3,
    hire_from: str = "2015-01-01",
    extract: str = "2024-12-31",
    start: str = "2019-01-01",
    k: int = 5,
) -> AuditData:
    """A random organisation with constant exit hazards per track (per year: IC, M).

    Everyone is hired between ``hire_from`` and the extract date, ICs at IC3 or IC4
    (grades 3, 4), managers at M1 or M2 (grades 4, 5), in one of three units. A share of
    IC4s switch to M1 (same grade) 0.5-4 years after hire; exit hazards follow the track
    held (memoryless), so the true voluntary hazard ratio IC vs M is ``vol[0] / vol[1]``
    whatever else happens.
    """
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(hire_from)
    span = (pd.Timestamp(extract) - t0).days
    hire = t0 + pd.to_timedelta(rng.integers(0, span, n), unit="D")
    is_m = rng.random(n) < 0.25
    upper = rng.random(n) < 0.5  # IC4 rather than IC3, M2 rather than M1
    level = np.where(is_m, np.where(upper, "M2", "M1"), np.where(upper, "IC4", "IC3"))
    unit = rng.choice(["U1", "U2", "U3"], n)
    gender = rng.choice(["F", "M"], n)
    tr = np.where(is_m, 1, 0)
    rate_v = np.array(vol)[tr]
    rate_i = np.array(inv)[tr]
    total = rate_v + rate_i
    t_exit = rng.exponential(1 / total)
    can_switch = level == "IC4"
    switch_at = np.where(can_switch & (rng.random(n) < switch_share), rng.uniform(0.5, 4, n),
                         np.inf)
    # an IC who reaches the switch date before exiting draws a new residual exit time as M
    switched = switch_at < t_exit
    total_m = vol[1] + inv[1]
    t_exit = np.where(switched, switch_at + rng.exponential(1 / total_m, n), t_exit)
    p_vol = np.where(switched, vol[1] / total_m, rate_v / total)
    voluntary = rng.random(n) < p_vol
    exit_date = hire + pd.to_timedelta(np.floor(t_exit * YEAR), unit="D")
    sw_date = hire + pd.to_timedelta(np.where(switched, np.ceil(switch_at * YEAR), 0), unit="D")
    ext = pd.Timestamp(extract)
    left = exit_date <= ext
    ids = [f"p{i:05d}" for i in range(n)]
    rows = [
        (ids[i], hire[i], level[i], 100.0, unit[i]) for i in range(n)
    ] + [
        (ids[i], sw_date[i], "M1", 110.0, unit[i])
        for i in np.flatnonzero(switched & (sw_date <= ext) & (sw_date < exit_date))
    ]
    h = history(*rows)
    p = people(
        *[
            (ids[i], hire[i], exit_date[i] if left[i] else None,
             ("voluntary" if voluntary[i] else "involuntary") if left[i] else None, gender[i])
            for i in range(n)
        ]
    )
    return audit(h, p, extract=extract, start=start, k=k)


RATES = {
    "IC": {"promotion": 0.20, "exit": 0.12, "switch": 0.05},
    "M": {"promotion": 0.30, "exit": 0.08, "switch": 0.03},
}
"""Per-year hazards of ``mini_org`` by track."""
TOP = 7
"""Top grade of both tracks in ``mini_org``."""


def true_cif(track: str, t: float | np.ndarray, rates: dict = RATES) -> np.ndarray:
    """Cumulative incidence of promotion by ``t`` years in level under constant hazards."""
    r = rates[track]
    tot = sum(r.values())
    return r["promotion"] / tot * (1 - np.exp(-tot * np.asarray(t, dtype=float)))


def true_km(track: str, t: float | np.ndarray, rates: dict = RATES) -> np.ndarray:
    """What the naive Kaplan–Meier estimates: 1 - exp(-p t), as if nobody left."""
    return 1 - np.exp(-rates[track]["promotion"] * np.asarray(t, dtype=float))


def mini_org(
    n: int = 3000,
    seed: int = 0,
    rates: dict = RATES,
    hire_from: str = "2008-01-01",
    start: str = "2015-01-01",
    extract: str = "2023-12-31",
    p_ic: float = 0.7,
    first_grade: int = 3,
    female_share: float = 0.4,
) -> AuditData:
    """A mini organisation with constant competing hazards (independent of pathaudit.simulate).

    Every spell ends at the first of three exponential clocks (promotion, exit, switch) whose
    rates depend only on the track, so the true cumulative incidence of promotion within
    ``t`` years of entering a level below the top is ``true_cif`` and the true cause-specific
    promotion hazard ratio IC vs M is ``p_IC / p_M``. ``n`` people are hired uniformly
    between ``hire_from`` and ``extract`` at ``first_grade``, into IC with probability
    ``p_ic``. History before ``history_start = start`` is kept, so spells begun earlier
    enter late. The simulation loops over steps, not people.
    """
    rng = np.random.default_rng(seed)
    h0 = pd.Timestamp(hire_from).value // _DAY
    ext = pd.Timestamp(extract).value // _DAY
    hire = rng.integers(h0, ext - 30, n)
    track = np.where(rng.random(n) < p_ic, "IC", "M").astype(object)
    grade = np.full(n, first_grade)
    gender = np.where(rng.random(n) < female_share, "F", "M").astype(object)
    fam = rng.choice(["Eng", "Data", "Ops"], n)
    recs = [(np.arange(n), hire, track.copy(), grade.copy())]
    now = hire.astype(float)
    active = np.ones(n, dtype=bool)
    term = np.full(n, -1)
    for _ in range(60):
        idx = np.flatnonzero(active)
        if not len(idx):
            break
        tr = track[idx]
        lp = np.where(tr == "IC", rates["IC"]["promotion"], rates["M"]["promotion"])
        lp = np.where(grade[idx] >= TOP, 0.0, lp)
        le = np.where(tr == "IC", rates["IC"]["exit"], rates["M"]["exit"])
        ls = np.where(tr == "IC", rates["IC"]["switch"], rates["M"]["switch"])
        tot = lp + le + ls
        nxt = np.floor(now[idx] + rng.exponential(1 / tot) * 365.25).astype(np.int64) + 1
        done = nxt > ext
        active[idx[done]] = False
        idx, nxt, lp, le, tot = idx[~done], nxt[~done], lp[~done], le[~done], tot[~done]
        u = rng.random(len(idx)) * tot
        is_p = u < lp
        is_e = (u >= lp) & (u < lp + le)
        is_s = u >= lp + le
        term[idx[is_e]] = nxt[is_e] - 1
        active[idx[is_e]] = False
        grade[idx[is_p]] += 1
        track[idx[is_s]] = np.where(track[idx[is_s]] == "IC", "M", "IC")
        ch = is_p | is_s
        recs.append((idx[ch], nxt[ch], track[idx[ch]].copy(), grade[idx[ch]].copy()))
        now[idx] = nxt
    pid = np.concatenate([r[0] for r in recs])
    day = np.concatenate([r[1] for r in recs])
    trk = np.concatenate([r[2] for r in recs]).astype(str)
    grd = np.concatenate([r[3] for r in recs])
    ids = np.array([f"E{i:06d}" for i in range(n)], dtype=object)
    hist = (
        pd.DataFrame(
            {
                "employee_id": pd.array(ids[pid], dtype="str"),
                "effective_date": pd.to_datetime(day * _DAY),
                "track": pd.array(trk, dtype="str"),
                "level": pd.array(np.char.add(trk, grd.astype(str)), dtype="str"),
                "grade": pd.array(grd, dtype="Int64"),
                "pay": 100.0 + grd * 10.0,
                "org_unit": pd.array(np.full(len(pid), "U1"), dtype="str"),
                "job_family": pd.array(fam[pid], dtype="str"),
                "location": pd.array(np.full(len(pid), "Paris"), dtype="str"),
                "episode": pd.array(np.zeros(len(pid), dtype=int), dtype="Int64"),
            }
        )
        .sort_values(["employee_id", "effective_date"], kind="stable")
        .reset_index(drop=True)
    )
    hist["row"] = pd.array(np.arange(1, len(hist) + 1), dtype="Int64")
    term_date = pd.to_datetime(np.where(term >= 0, term, 0) * _DAY).where(term >= 0)
    ppl = pd.DataFrame(
        {
            "employee_id": pd.array(ids, dtype="str"),
            "hire_date": pd.to_datetime(hire * _DAY),
            "termination_date": term_date,
            "termination_type": pd.array(np.where(term >= 0, "voluntary", None), dtype="str"),
            "gender": pd.array(gender, dtype="str"),
            "episode": pd.array(np.zeros(n, dtype=int), dtype="Int64"),
            "row": pd.array(np.arange(1, n + 1), dtype="Int64"),
        }
    )
    return AuditData(
        history=hist,
        people=ppl,
        ladder=ladder(low=first_grade, ic_top=TOP, m_top=TOP),
        extract_date=pd.Timestamp(extract),
        history_start=pd.Timestamp(start),
    )


def random_current_state(
    n: int = 1500,
    *,
    seed: int = 0,
    gap: float = -0.05,
    units: int = 12,
    unit_sd: float = 0.03,
    sd: float = 0.1,
) -> pd.DataFrame:
    """A random current-state frame (for ``state_audit``) with a known IC log-pay effect
    ``gap``."""
    rng = np.random.default_rng(seed)
    grade = rng.integers(3, 9, n)
    is_ic = rng.random(n) < np.where(grade >= 8, 0.0, 0.55)
    unit = rng.integers(0, units, n)
    fam = rng.choice(["Eng", "Data", "Design"], n)
    loc = rng.choice(["Berlin", "Paris"], n)
    gender = rng.choice(["Female", "Male"], n)
    tenure = rng.uniform(0.2, 12, n)
    lp = (
        10.5 + 0.15 * grade + gap * is_ic + 0.01 * tenure + 0.03 * (fam == "Eng")
        + 0.05 * (loc == "Paris") - 0.02 * (gender == "Female")
        + rng.normal(0, unit_sd, units)[unit] + rng.normal(0, sd, n)
    )
    return pd.DataFrame(
        {
            "track": np.where(is_ic, "IC", "M"),
            "grade": grade,
            "pay": np.exp(lp),
            "org_unit": [f"U{u:02d}" for u in unit],
            "job_family": fam,
            "location": loc,
            "gender": gender,
            "tenure": tenure,
        }
    )


def cox_sample(
    n: int = 300,
    seed: int = 3,
    *,
    scale: float = 1.0,
    events: float = 0.7,
    whole_days: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exponential times (rounded up to whole days if asked), event indicators with
    probability ``events``, a 0/1 arm and a normal covariate: (t, status, arm, z)."""
    rng = np.random.default_rng(seed)
    t = rng.exponential(scale, n)
    if whole_days:
        t = np.ceil(t)
    status = rng.random(n) < events
    arm = rng.integers(0, 2, n).astype(float)
    z = rng.normal(size=n)
    return t, status, arm, z


# --------------------------------------------------------------------------- stacked simulations

# The organisations of a study are stacked into one dataset: each organisation's IDs and
# units are prefixed with its number and its number is put in ``location``, so every
# indicator run with ``by="location"`` gives one figure per organisation in one vectorised
# pass (matching stays within an organisation because units are prefixed).


def stack(sims, k: int = 1) -> AuditData:
    """Simulated organisations as one AuditData, organisation ``i`` in location ``str(i)``."""
    hs, ps, rs = [], [], []
    lad0 = sims[0].tables["ladder"]
    lads = [lad0.loc[lad0["org_unit"].isna()]]
    for i, sim in enumerate(sims):
        t, pre = sim.tables, f"{i}:"
        h = t["history"].copy()
        h["employee_id"] = pre + h["employee_id"].astype(str)
        h["manager_id"] = (pre + h["manager_id"].astype(str)).where(h["manager_id"].notna())
        h["org_unit"] = (pre + h["org_unit"].astype(str)).where(h["org_unit"].notna())
        h["location"] = str(i)
        hs.append(h)
        p = t["people"].copy()
        p["employee_id"] = pre + p["employee_id"].astype(str)
        ps.append(p)
        r = t["ratings"].copy()
        r["employee_id"] = pre + r["employee_id"].astype(str)
        rs.append(r)
        u = t["ladder"].loc[t["ladder"]["org_unit"].notna()].copy()
        u["org_unit"] = pre + u["org_unit"].astype(str)
        lads.append(u)
    h = pd.concat(hs, ignore_index=True)
    for c in ("employee_id", "manager_id", "org_unit", "location"):
        h[c] = h[c].astype("str")
    p = pd.concat(ps, ignore_index=True)
    p["employee_id"] = p["employee_id"].astype("str")
    r = pd.concat(rs, ignore_index=True)
    r["employee_id"] = r["employee_id"].astype("str")
    lad = pd.concat(lads, ignore_index=True)
    lad["org_unit"] = lad["org_unit"].astype("str")
    return AuditData(history=h, people=p, ladder=lad, ratings=r,
                     extract_date=sims[0].extract_date, history_start=sims[0].history_start,
                     config={"privacy": {"min_cell_size": k}})


def panel_exposure() -> pd.DataFrame:
    """An exposure table with IC moves out, hires, a rehire and a row without a unit.

    No simulated organisation has IC moves between units: the study panel's counts are
    checked on this table (test_engines.py, test_engine_spark.py).
    """
    rows = [
        # person, episode, start, stop, unit, track, tenure, event
        ("a", 0, "2021-01-01", "2021-04-01", "x", "IC", 0.0, "none"),  # hired into x
        ("a", 0, "2021-04-01", "2021-05-15", "y", "IC", 0.25, "none"),  # IC move x -> y
        ("a", 0, "2021-05-15", "2021-07-01", "y", "M", 0.37, "none"),  # switch, same unit
        ("a", 0, "2021-07-01", "2021-08-01", "z", "M", 0.5, "exit_voluntary"),  # M moves: no
        ("b", 0, "2021-01-01", "2021-02-01", "x", "IC", 3.0, "none"),  # not a hire
        ("b", 0, "2021-02-01", "2021-04-01", None, "IC", 3.1, "none"),  # unit unknown
        ("b", 0, "2021-04-01", "2021-06-01", "y", "IC", 3.2, "exit_involuntary"),  # a move
        ("c", 0, "2021-02-01", "2021-04-01", "x", "IC", 0.0, "none"),  # hired
        ("c", 1, "2021-06-01", "2021-07-01", "y", "IC", 0.0, "none"),  # rehired: a hire
    ]
    columns = ["employee_id", "episode", "start", "stop", "org_unit", "track", "tenure", "event"]
    ex = pd.DataFrame(rows, columns=columns)
    ex["start"], ex["stop"] = pd.to_datetime(ex["start"]), pd.to_datetime(ex["stop"])
    ex["person_years"] = (ex["stop"] - ex["start"]).dt.days / 365.25
    ex["quarter"] = ex["start"].dt.year.astype(str) + "Q" + ex["start"].dt.quarter.astype(str)
    ex["year"] = ex["start"].dt.year
    return ex
