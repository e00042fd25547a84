"""Canonical tables for the promotion tests: a mini organisation with constant hazards.

The mini organisation is independent of ``pathaudit.simulate``: every spell ends at the
first of three competing exponential clocks (promotion, exit, switch) whose rates depend
only on the track, so the true cumulative incidence of promotion within ``t`` years of
entering a level below the top is ``p / (p + e + s) * (1 - exp(-(p + e + s) t))`` and the
true cause-specific promotion hazard ratio IC vs M is ``p_IC / p_M``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.data import AuditData

RATES = {
    "IC": {"promotion": 0.20, "exit": 0.12, "switch": 0.05},
    "M": {"promotion": 0.30, "exit": 0.08, "switch": 0.03},
}
TOP = 7
_DAY = 86_400_000_000_000


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
    """Simulate ``n`` hires with constant competing hazards (loops over steps, not people).

    People are hired uniformly between ``hire_from`` and ``extract`` at ``first_grade``,
    into IC with probability ``p_ic``. History before ``history_start = start`` is kept in
    the export, so spells begun earlier enter late.
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
    people = pd.DataFrame(
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
    levels = [(t, f"{t}{g}", g) for t in ("IC", "M") for g in range(first_grade, TOP + 1)]
    ladder = pd.DataFrame(levels, columns=["track", "level", "grade"])
    ladder["grade"] = ladder["grade"].astype("Int64")
    return AuditData(
        history=hist,
        people=people,
        ladder=ladder,
        extract_date=pd.Timestamp(extract),
        history_start=pd.Timestamp(start),
    )


# --------------------------------------------------------------------------- hand-built

GRADES = {"IC3": 3, "IC4": 4, "IC5": 5, "M3": 3, "M4": 4, "M5": 5}
LADDER = pd.DataFrame(
    {
        "track": ["IC", "IC", "IC", "M", "M", "M"],
        "level": ["IC3", "IC4", "IC5", "M3", "M4", "M5"],
        "grade": pd.array([3, 4, 5, 3, 4, 5], dtype="Int64"),
    }
)


def history(*rows: tuple) -> pd.DataFrame:
    """Canonical history from (employee_id, date, level[, org_unit]) tuples."""
    recs = []
    for i, r in enumerate(rows):
        eid, date, level = r[:3]
        recs.append(
            {
                "employee_id": eid,
                "effective_date": pd.Timestamp(date),
                "track": "M" if level.startswith("M") else "IC",
                "level": level,
                "grade": GRADES[level],
                "pay": 100.0,
                "org_unit": r[3] if len(r) > 3 else "U1",
                "job_family": "Eng",
                "location": "Paris",
                "episode": 0,
                "row": i + 1,
            }
        )
    h = pd.DataFrame(recs)
    h["effective_date"] = pd.to_datetime(h["effective_date"])
    for c in ("grade", "episode", "row"):
        h[c] = h[c].astype("Int64")
    for c in ("employee_id", "track", "level", "org_unit", "job_family", "location"):
        h[c] = h[c].astype("str")
    return h


def people(*rows: tuple) -> pd.DataFrame:
    """Canonical people from (employee_id, hire[, termination[, gender]]) tuples."""
    recs = []
    for i, r in enumerate(rows):
        recs.append(
            {
                "employee_id": r[0],
                "hire_date": pd.Timestamp(r[1]),
                "termination_date": pd.Timestamp(r[2]) if len(r) > 2 and r[2] else pd.NaT,
                "termination_type": "voluntary" if len(r) > 2 and r[2] else None,
                "gender": r[3] if len(r) > 3 else "F",
                "episode": 0,
                "row": i + 1,
            }
        )
    p = pd.DataFrame(recs)
    p["hire_date"] = pd.to_datetime(p["hire_date"])
    p["termination_date"] = pd.to_datetime(p["termination_date"])
    for c in ("episode", "row"):
        p[c] = p[c].astype("Int64")
    for c in ("employee_id", "termination_type", "gender"):
        p[c] = p[c].astype("str")
    return p


def audit(
    h: pd.DataFrame,
    p: pd.DataFrame,
    *,
    ladder: pd.DataFrame = LADDER,
    start: str = "2015-01-01",
    extract: str = "2020-12-31",
    k: int = 1,
) -> AuditData:
    return AuditData(
        history=h,
        people=p,
        ladder=ladder,
        extract_date=pd.Timestamp(extract),
        history_start=pd.Timestamp(start),
        config={"privacy": {"min_cell_size": k}},
    )
