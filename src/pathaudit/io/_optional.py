"""Phase 2 of loading, the optional tables: ratings, pay bands and dual-ladder adoption."""

from __future__ import annotations

import pandas as pd

from pathaudit.io._context import LoadContext
from pathaudit.io._messages import ADOPTION_CONFLICT, BAND_ORDER
from pathaudit.io._parse import is_in


def check_ratings(ld: LoadContext, r: pd.DataFrame, people_ids: pd.Series) -> pd.DataFrame:
    """Ratings known on as-of of people in the analysed population."""
    t = "ratings"
    r = ld.drop_blank(r, t)
    r = ld.drop_missing(r, t, ["employee_id", "rating_date", "rating"])
    r = ld.drop_duplicates(r, t)
    r = ld.exclude(
        r,
        r["rating_date"] > ld.as_of,
        t,
        "after_as_of",
        f"ratings dated after as-of {ld.as_of.date()} are ignored",
        column="rating_date",
    )
    return ld.exclude(
        r,
        ~is_in(r["employee_id"], people_ids),
        t,
        "person_not_in_people",
        "ratings of people not in the analysed population are left out",
        column="employee_id",
    )


def check_bands(ld: LoadContext, b: pd.DataFrame) -> pd.DataFrame:
    """Complete pay bands; ``band_min <= band_mid <= band_max`` must hold (else fatal)."""
    t = "bands"
    b = ld.drop_blank(b, t)
    b = ld.drop_missing(b, t, ["track", "level", "band_min", "band_mid", "band_max"])
    b = ld.drop_duplicates(b, t)
    bad = ~((b["band_min"] <= b["band_mid"]) & (b["band_mid"] <= b["band_max"]))
    if bad.any():
        ld.fatal_rows(t, "band_order", BAND_ORDER, b.loc[bad, "row"].to_numpy())
    return b


def check_adoption(ld: LoadContext, a: pd.DataFrame) -> pd.DataFrame:
    """Adoption dates of the dual ladder, one per org unit (else fatal)."""
    t = "adoption"
    a = ld.drop_blank(a, t)
    a = ld.drop_missing(a, t, ["org_unit", "adoption_date"])
    a = ld.drop_duplicates(a, t)
    ld.fatal_duplicates(a, t, "org_unit", "adoption_conflict", ADOPTION_CONFLICT)
    return a


def optional_tables(
    ld: LoadContext, tables: dict[str, pd.DataFrame], people_ids: pd.Series
) -> dict[str, pd.DataFrame | None]:
    """The checked ratings, bands and adoption tables (``None`` for those absent)."""
    out: dict[str, pd.DataFrame | None] = {"ratings": None, "bands": None, "adoption": None}
    if "ratings" in tables:
        out["ratings"] = check_ratings(ld, tables["ratings"], people_ids)
    if "bands" in tables:
        out["bands"] = check_bands(ld, tables["bands"])
    if "adoption" in tables:
        out["adoption"] = check_adoption(ld, tables["adoption"])
    return out
