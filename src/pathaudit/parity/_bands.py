"""Pay bands in pay parity: each person's position in their band, and the band structure.

:func:`band_position` gives compa-ratio and range penetration against the person's own
band; :func:`ladder_ceilings` the top of each ladder (designed overall and realised, as
:mod:`pathaudit.derived.ladder` defines them), pay at the top and
the IC band mid / M band mid per grade.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.derived.population import fte_filled


def bands_in_force(bands: pd.DataFrame, when: pd.Timestamp) -> pd.DataFrame:
    """Band rows in force on ``when`` (undated or dated on or before it).

    Returns a copy with ``location`` and ``currency`` columns (missing when the bands
    name neither).
    """
    b = bands.copy()
    if "effective_date" in b:
        b = b.loc[b["effective_date"].isna() | (b["effective_date"] <= when)]
    for c in ("location", "currency"):
        if c not in b:
            b[c] = pd.NA
    return b


def band_position(data: AuditData, pop: pd.DataFrame, when: pd.Timestamp) -> pd.DataFrame:
    """Compa-ratio and range penetration of each person against their own band.

    The band is the most specific row for the person's track and level (location
    and currency matched where the band row names them), latest effective date on
    or before ``when``. Pay is the person's FTE base pay in their own currency.

    Returns a frame on ``pop``'s index with ``compa_ratio`` (pay / band mid) and
    ``range_penetration`` ((pay - band min) / (band max - band min)), missing where
    the person has no band.
    """
    out = pd.DataFrame(
        {"compa_ratio": np.nan, "range_penetration": np.nan}, index=pop.index, dtype="float64"
    )
    bands = data.bands
    if bands is None or bands.empty:
        return out
    b = bands_in_force(bands, when)
    b = b.assign(
        _eff=b["effective_date"].fillna(pd.Timestamp("1678-01-01")) if "effective_date" in b
        else pd.Timestamp("1678-01-01")
    )
    b = b.astype({"track": str, "level": str})
    salary_basis = str(data.config.get("export", {}).get("salary_basis", "fte"))
    local = pop["base_salary"].astype("float64") if "base_salary" in pop else pop["base"]
    if salary_basis == "actual":
        local = local / fte_filled(pop)
    left = pd.DataFrame(
        {
            "_pos": np.arange(len(pop)),
            "track": pop["track"].astype(str).to_numpy(),
            "level": pop["level"].astype(str).to_numpy(),
            "_loc": pop["location"].astype("string").to_numpy() if "location" in pop else pd.NA,
            "_cur": pop["currency"].astype("string").to_numpy() if "currency" in pop else pd.NA,
            "_pay": local.to_numpy(dtype="float64"),
        }
    )
    m = left.merge(
        b[["track", "level", "location", "currency", "band_min", "band_mid", "band_max", "_eff"]],
        on=["track", "level"],
        how="inner",
    )
    loc_ok = m["location"].isna() | (m["location"].astype("string") == m["_loc"]).fillna(False)
    cur_ok = m["currency"].isna() | (m["currency"].astype("string") == m["_cur"]).fillna(False)
    m = m.loc[(loc_ok & cur_ok).to_numpy()]
    m = m.assign(_score=2 * m["location"].notna() + m["currency"].notna())
    m = m.sort_values(["_pos", "_score", "_eff"]).drop_duplicates("_pos", keep="last")
    pos = m["_pos"].to_numpy()
    width = (m["band_max"] - m["band_min"]).to_numpy(dtype="float64")
    compa = (m["_pay"] / m["band_mid"]).to_numpy(dtype="float64")
    pen = np.where(width > 0, (m["_pay"] - m["band_min"]).to_numpy(dtype="float64") / width, np.nan)
    out.iloc[pos, 0] = compa
    out.iloc[pos, 1] = pen
    return out


def ladder_ceilings(
    data: AuditData, pop: pd.DataFrame, when: pd.Timestamp, fx: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Top grade of each ladder (designed, realised), pay at the top, band mids per grade.

    Parameters
    ----------
    data
        Loaded dataset (its ladder and bands).
    pop
        The people compared (:func:`~pathaudit.parity._population.parity_population`).
    when
        The as-of date.
    fx
        The map's fx table (currency -> rate); band mids are converted with it.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame, list of str)
        Per track: ``track, top_grade_designed_overall`` (the organisation's designed
        top: of the unit with the widest gap,
        :func:`~pathaudit.derived.ladder.designed_overall_on`),
        ``top_grade_realised`` (the highest grade held by at least k people on the track,
        :func:`~pathaudit.derived.ladder.realised_tops`), ``estimate`` (median FTE base pay
        at the realised top), ``ci_lower, ci_upper`` (missing), ``mean_pay, n``; per
        grade: ``grade, ic_band_mid, m_band_mid, estimate`` (median over band keys of IC
        mid / M mid), ``band_keys``; the findings (ceilings, low IC mids).
    """
    from pathaudit.derived.ladder import assign_grades, designed_overall_on, realised_tops_on

    findings: list[str] = []
    d_ic, d_m = (
        designed_overall_on(data, when)[:2]
        if data.ladder is not None and not data.ladder.empty
        else (np.nan, np.nan)
    )
    designed = {"IC": d_ic, "M": d_m}
    realised = realised_tops_on(data, when)
    k = data.min_cell_size
    rows = []
    for track in ("IC", "M"):
        top_d, top_r = designed[track], realised.get(track, np.nan)
        at_top = pop.loc[(pop["track"] == track) & (pop["grade"] == top_r), "base"]
        rows.append(
            {
                "track": track,
                "top_grade_designed_overall": int(top_d) if pd.notna(top_d) else pd.NA,
                "top_grade_realised": int(top_r) if pd.notna(top_r) else pd.NA,
                "estimate": float(at_top.median()) if len(at_top) else np.nan,
                "ci_lower": np.nan,
                "ci_upper": np.nan,
                "mean_pay": float(at_top.mean()) if len(at_top) else np.nan,
                "n": len(at_top),
            }
        )
    table = pd.DataFrame(rows).astype(
        {"top_grade_designed_overall": "Int64", "top_grade_realised": "Int64"}
    )
    if pd.notna(d_ic) and pd.notna(d_m) and d_ic < d_m:
        findings.append(
            f"IC ceiling below M ceiling as designed: the IC ladder tops out at grade "
            f"{int(d_ic)}, the M ladder at grade {int(d_m)}."
        )
    r_ic, r_m = realised.get("IC", np.nan), realised.get("M", np.nan)
    if pd.notna(r_ic) and pd.notna(r_m) and r_ic < r_m:
        findings.append(
            f"IC ceiling below M ceiling as realised: the highest grade held by at least {k} "
            f"ICs is {int(r_ic)}; by at least {k} managers, {int(r_m)}."
        )
    band_cols = ["grade", "ic_band_mid", "m_band_mid", "estimate", "band_keys"]
    bands = data.bands
    if bands is None or bands.empty:
        return table, pd.DataFrame(columns=band_cols), findings
    b = bands_in_force(bands, when)
    if "effective_date" in b:
        b = b.sort_values("effective_date", na_position="first")
    b = b.drop_duplicates(["track", "level", "location", "currency"], keep="last")
    b = b.assign(_date=when)
    b["grade"] = assign_grades(b, data.ladder, date_column="_date")
    b = b.loc[b["grade"].notna()]
    rates = {str(c): float(v) for c, v in fx.items() if c != "reporting_currency"}
    cur = b["currency"].astype("string")
    if rates and cur.notna().any():
        b["band_mid"] = b["band_mid"] * cur.map(rates).astype("float64").fillna(
            1.0 if cur.isna().all() else np.nan
        )
    b["_key"] = b["location"].astype("string").fillna("") + "|" + cur.fillna("")
    per = b.groupby(["_key", "grade", "track"], observed=True)["band_mid"].mean().unstack("track")
    if "IC" not in per or "M" not in per:
        return table, pd.DataFrame(columns=band_cols), findings
    per = per.dropna(subset=["IC", "M"]).reset_index()
    per["ratio"] = per["IC"] / per["M"]
    one_currency = rates or cur.nunique() <= 1
    agg = per.groupby("grade").agg(
        ic_band_mid=("IC", "mean"), m_band_mid=("M", "mean"), estimate=("ratio", "median"),
        band_keys=("_key", "size"),
    ).reset_index()
    if not one_currency:
        agg[["ic_band_mid", "m_band_mid"]] = np.nan
    low = agg.loc[agg["estimate"] < 1, "grade"].tolist()
    if low:
        findings.append(
            "IC band midpoint below the M band midpoint at grade(s) "
            + ", ".join(str(int(g)) for g in low)
            + " (as designed in the pay bands)."
        )
    return table, agg[band_cols].astype({"grade": "int64"}), findings
