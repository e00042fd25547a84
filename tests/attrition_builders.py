"""Hand-built canonical tables for the attrition and matching tests."""

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
