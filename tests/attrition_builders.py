"""Hand-built canonical tables for the attrition, matching and spell tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.data import AuditData

YEAR = 365.25

GRADES = {"IC2": 2, "IC3": 3, "IC4": 4, "IC5": 5, "M1": 4, "M2": 5, "M3": 6}


def history(*rows: tuple) -> pd.DataFrame:
    """Canonical history from (employee_id, date, level[, pay[, org_unit]]) tuples.

    Track is "M" for levels starting with "M", else "IC"; grade from GRADES.
    """
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
                "pay": float(r[3]) if len(r) > 3 else 100.0,
                "org_unit": r[4] if len(r) > 4 else "U1",
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
    """Canonical people from (employee_id, hire[, termination[, type[, gender]]]) tuples."""
    recs = []
    for r in rows:
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


def audit(
    h: pd.DataFrame,
    p: pd.DataFrame,
    *,
    extract: str = "2024-12-31",
    start: str = "2019-01-01",
    fy: int = 1,
    k: int = 1,
    ratings: pd.DataFrame | None = None,
    bands: pd.DataFrame | None = None,
) -> AuditData:
    return AuditData(
        history=h,
        people=p,
        ladder=pd.DataFrame({"track": [], "level": [], "grade": []}),
        extract_date=pd.Timestamp(extract),
        history_start=pd.Timestamp(start),
        ratings=ratings,
        bands=bands,
        config={"export": {"fiscal_year_start_month": fy}, "privacy": {"min_cell_size": k}},
    )


def days(a: str, b: str) -> int:
    return (pd.Timestamp(b) - pd.Timestamp(a)).days


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
