"""The rate-based audit on the person-time cells: attrition's rate parts and the study panel.

On DuckDB and Dask the person-level rows stay in Parquet; what comes back into memory is one
row per cell (track x grade, track x year, ...: :func:`~pathaudit.engines.person_time_cells`)
and one per unit x quarter (:func:`~pathaudit.engines._panel.panel_counts`). The figures are
then computed by the same functions as on pandas: attrition's ``exit_rates`` and
``rate_ratio`` (Garwood and exact conditional intervals), attrition's
``turnover_from_counts`` on the engine's ``turnover_counts`` (month-end headcounts, exits
and people by period) and the study's ``panel_from_counts``, published through the same
result contract (``make_result``: k suppression). What needs person-level rows (curves, Cox
models, matching) is listed as not computed, with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from pathaudit.attrition import AttritionResult
from pathaudit.attrition._analysis import BY_COLUMNS, ONE_TRACK_PARTS
from pathaudit.attrition._leavers import LEAVER_SHARE_ONLY_SNAPSHOT
from pathaudit.attrition._rates import (
    FREQS,
    RATE_POPULATION,
    RATIO_COUNTS,
    TURNOVER_ANALYSIS,
    TURNOVER_DEFINITION,
    TURNOVER_METHOD,
    exit_rates,
    rate_part_texts,
    rate_ratio,
    turnover_counts,
    turnover_from_counts,
)
from pathaudit.attrition._result import MARGIN, attrition_thresholds
from pathaudit.checks import check_alpha, check_choice
from pathaudit.derived.calendar import fiscal_period_start
from pathaudit.engines._cells import _check, on_engine, person_time_cells
from pathaudit.engines._dataset import ParquetDataset
from pathaudit.engines._panel import panel_counts
from pathaudit.errors import ArgumentError, InputError
from pathaudit.headline import headline_row, one_track_reason
from pathaudit.io.schema import TRACKS
from pathaudit.result import AnalysisResult, Note, Result, make_result
from pathaudit.study._panel import PANEL_COLUMNS, panel_from_counts

RATE_PARTS: tuple[str, ...] = (
    "rates", "rates_by", "rate_ratio", "rate_ratio_by", "over_time", "turnover",
    "turnover_quarterly",
)
"""The attrition parts every engine computes from aggregated counts: the rate parts from the
person-time cells, the turnover parts from ``turnover_counts``."""

NEEDS_PANDAS = "needs the pandas engine: {what} (pathaudit audit EXPORT --map MAP)"
"""Reason of every part a non-pandas engine does not compute."""

PERSON_LEVEL: dict[str, str] = {
    "retention": "Kaplan–Meier curves are fitted on person-level spells",
    "cox": "the Cox model is fitted on person-level intervals",
    "regretted": "each person's rating in force is matched to their intervals",
    "post_switch": "switchers are matched to person-level controls",
}
"""Why each attrition part beyond :data:`RATE_PARTS` needs person-level rows."""

ENGINE_ANALYSES: tuple[str, ...] = ("attrition", "study_panel")
"""What the DuckDB and Dask engines compute (the other analyses need the pandas engine)."""

def _rates(cells: pd.DataFrame, keys: list[str], alpha: float) -> pd.DataFrame:
    """Attrition's ``exit_rates`` on cells of exactly ``keys``, with each cell's people."""
    w = cells[keys].copy()
    if "track" in keys:
        w["track"] = pd.Categorical(cells["track"].astype(str), categories=list(TRACKS))
    if "year" in keys:
        w["year"] = cells["year"].astype("int64")
    if "quarter" in keys:
        w["quarter"] = cells["quarter"].astype(str).astype("category")
    w["person_years"] = cells["person_years"].to_numpy(dtype=float)
    w["ev_voluntary"] = cells["events_exit_voluntary"].to_numpy()
    w["ev_involuntary"] = cells["events_exit_involuntary"].to_numpy()
    w["ev_all"] = (cells["events_exit_voluntary"] + cells["events_exit_involuntary"]
                   + cells["events_exit_other"]).to_numpy()
    w["pid"] = np.arange(len(w))  # one row per cell: its people come from the cell below
    rates = exit_rates(w, keys, alpha)
    order = list(rates.columns)
    people = w[keys].assign(n=cells["people"].to_numpy(dtype=np.int64))
    rates = rates.drop(columns="n").merge(people, on=keys, how="left", validate="many_to_one")
    return rates[order]


def engine_attrition(
    ds: ParquetDataset,
    engine: str,
    *,
    by: Sequence[str] = ("grade",),
    freq: str = "year",
    alpha: float = 0.05,
    margin: tuple[float, float] = MARGIN,
) -> AttritionResult:
    """Attrition's rate parts from the person-time cells of a canonical Parquet folder.

    Parameters
    ----------
    ds
        The folder (:func:`~pathaudit.engines.read_dataset`).
    engine
        One of :data:`~pathaudit.engines.ENGINES`.
    by
        Breakdown of ``rates_by`` and ``rate_ratio_by`` (default grade), among
        ``attrition.BY_COLUMNS``.
    freq
        Period of ``over_time``: ``"year"`` or ``"quarter"``.
    alpha
        1 - confidence level.
    margin
        Equivalence margin of the IC / M voluntary exit rate ratio.

    Returns
    -------
    AttritionResult
        ``rates``, ``rates_by``, ``rate_ratio``, ``rate_ratio_by`` and ``over_time`` as
        :func:`pathaudit.attrition` computes them (same tables to rounding; people per
        cell counted by the engine), ``turnover`` and ``turnover_quarterly`` from the
        engine's month-end headcounts, exits and people per period; every other part not
        computed, with the reason (:data:`PERSON_LEVEL`).

    Examples
    --------
    >>> from pathaudit.engines import read_dataset
    >>> res = engine_attrition(read_dataset("canonical"), "duckdb")  # doctest: +SKIP
    >>> res.headline().set_index("key").loc["voluntary_exit_rate_ratio", "status"]  # doctest: +SKIP
    'clear'
    """
    _check(engine, ["track"])
    alpha = check_alpha(alpha)
    freq = check_choice(freq, "freq", FREQS)
    by_cols = list(dict.fromkeys(by))
    bad = [c for c in by_cols if c not in BY_COLUMNS]
    if bad:
        raise ArgumentError(f"by must name columns among {list(BY_COLUMNS)}; got {bad!r}.")
    source = ds.table("exposure") or ds.folder  # read_dataset checked it is there
    k = ds.min_cell_size
    common: dict[str, Any] = {"alpha": alpha, "k": k, "as_of": str(ds.as_of.date()),
                              "engine": engine}

    def cells(keys: list[str]) -> pd.DataFrame:
        return person_time_cells(source, keys, engine=engine)

    rates = _rates(cells(["track"]), ["track"], alpha)
    observed = rates.loc[rates["person_years"] > 0, "track"].astype(str).unique()
    single = str(observed[0]) if len(observed) == 1 else None
    notes: list[Note] = []
    if single is not None:
        notes += [Note("not computed", one_track_reason(single), part)
                  for part in ONE_TRACK_PARTS if part in RATE_PARTS]
    if not by_cols:
        notes += [Note("not computed", "by=None asks for no breakdown (pass by='grade' or "
                       "another attribute)", part) for part in ("rates_by", "rate_ratio_by")]
    notes += [Note("not computed", NEEDS_PANDAS.format(what=what), part)
              for part, what in PERSON_LEVEL.items()]
    notes.append(Note("not computed", LEAVER_SHARE_ONLY_SNAPSHOT, "leaver_share"))
    skip = {n.part for n in notes}

    out: dict[str, Result] = {}
    out["rates"] = make_result(
        rates, **rate_part_texts("rates"), groups=["track", "kind"], **common,
    )
    if "rate_ratio" not in skip:
        out["rate_ratio"] = make_result(
            rate_ratio(rates, [], alpha), **rate_part_texts("rate_ratio"), groups=["kind"],
            n_col=RATIO_COUNTS, margin=list(margin),
            **common,
        )
    if by_cols:
        keys = ["track", *by_cols]
        rates_by = _rates(cells(keys), keys, alpha)
        out["rates_by"] = make_result(
            rates_by, **rate_part_texts("rates_by", by_cols),
            groups=["track", *by_cols, "kind"], complementary_by=["track", "kind"], **common,
        )
        if "rate_ratio_by" not in skip:
            out["rate_ratio_by"] = make_result(
                rate_ratio(rates_by, by_cols, alpha), **rate_part_texts("rate_ratio_by", by_cols),
                groups=[*by_cols, "kind"], n_col=RATIO_COUNTS,
                margin=list(margin), **common,
            )
    ot = _rates(cells(["track", freq]), ["track", freq], alpha).rename(columns={freq: "period"})
    ot["period"] = ot["period"].astype(str)
    ot.insert(2, "period_start", fiscal_period_start(ot["period"], ds.fiscal_year_start_month))
    out["over_time"] = make_result(
        ot, **rate_part_texts("over_time", freq=freq),
        groups=["track", "period", "period_start", "kind"], complementary_by=["track", "kind"],
        freq=freq, **common,
    )
    counts = on_engine(source, engine, turnover_counts)
    tables = turnover_from_counts(
        counts, history_start=ds.history_start, as_of=ds.as_of,
        fiscal_year_start_month=ds.fiscal_year_start_month, alpha=alpha,
    )
    for part, table in zip(TURNOVER_ANALYSIS, tables, strict=True):
        out[part] = make_result(
            table, analysis=TURNOVER_ANALYSIS[part], definition=TURNOVER_DEFINITION,
            method=TURNOVER_METHOD, population=RATE_POPULATION,
            groups=["period", "track", "kind", "months"], **common,
        )
    return AttritionResult(
        **out,  # type: ignore[arg-type]  # the parts by name
        notes=tuple(notes),
        thresholds=attrition_thresholds(margin),
        alpha=alpha,
        one_track=single,
    )


@dataclass(frozen=True)
class StudyPanelResult(AnalysisResult):
    """The turnover study's unit x quarter panel, computed by an engine.

    Attributes
    ----------
    panel
        One row per org unit and full fiscal quarter with person-time
        (:data:`~pathaudit.study._panel.PANEL_COLUMNS`), cells of fewer than k people
        suppressed.
    notes
        The units left out and the study parts not computed, with why.

    Examples
    --------
    >>> res = engine_study_panel(read_dataset("canonical"), "duckdb")  # doctest: +SKIP
    >>> res.headline()["status"].tolist()  # doctest: +SKIP
    ['descriptive']
    """

    ANALYSIS: ClassVar[str] = "study_panel"
    TITLE: ClassVar[str] = "Dual-ladder turnover study: the unit x quarter panel"
    PARTS: ClassVar[tuple[str, ...]] = ("panel",)

    panel: Result | None = None
    notes: tuple[Note, ...] = ()

    def _headline_rows(self) -> list[dict[str, Any]]:
        key, label = "study_panel_unit_quarters", "Unit-quarters in the study panel"
        if self.panel is None:
            return [headline_row(key, label, "turnover", status="not computed",
                                 reason=self.not_computed().get("panel", ""))]
        t = self.panel.table
        shown = t.loc[~t["suppressed"].astype(bool)] if "suppressed" in t else t
        return [headline_row(key, label, "turnover", estimate=float(len(shown)),
                             unit="unit-quarters")]


STUDY_NOT_COMPUTED = (
    "the estimators of dual_ladder_study (att, att_gt, event_study, twfe, placebos, "
    "composition, cox, sensitivity, power) run on this panel in memory: "
    "pathaudit.dual_ladder_study on a loaded export"
)
"""The study parts an engine does not run, and where they run."""


def engine_study_panel(ds: ParquetDataset, engine: str) -> StudyPanelResult:
    """The turnover study's panel from a canonical Parquet folder on ``engine``.

    Parameters
    ----------
    ds
        The folder (:func:`~pathaudit.engines.read_dataset`); it needs ``adoption.parquet``.
    engine
        One of :data:`~pathaudit.engines.ENGINES`.

    Returns
    -------
    StudyPanelResult
        The panel of :func:`pathaudit.study._panel.study_panel` (same figures), published
        with k suppression on each row's ``people``; or not computed when the folder has no
        adoption table.

    Examples
    --------
    >>> res = engine_study_panel(read_dataset("canonical"), "dask")  # doctest: +SKIP
    >>> list(res.results())  # doctest: +SKIP
    ['panel']
    """
    _check(engine, ["org_unit"])
    adoption = ds.read_small("adoption")
    if adoption is None or adoption.empty:
        why = ("the folder has no adoption table (org_unit, adoption_date): the panel's "
               "treatment dates come from it")
        return StudyPanelResult(notes=(Note("not computed", why, "panel"),))
    source = ds.table("exposure") or ds.folder  # read_dataset checked it is there
    counts, left_out = panel_counts(source, engine, ds.fiscal_year_start_month)
    try:
        panel, left_out = panel_from_counts(
            counts, left_out, history_start=ds.history_start, as_of=ds.as_of,
            fiscal_year_start_month=ds.fiscal_year_start_month, adoption=adoption,
        )
    except (KeyError, ValueError) as err:
        raise InputError(f"{ds.folder}: the adoption table cannot be used ({err}).") from err
    notes = [Note("caveat", f"Unit {unit!r} left out: {why}.", "panel")
             for unit, why in left_out.items()]
    notes.append(Note("caveat", STUDY_NOT_COMPUTED, "panel"))
    result = make_result(
        panel[list(PANEL_COLUMNS)], analysis="Turnover study: unit x quarter panel",
        definition=(
            "One row per org unit and full fiscal quarter with person-time: person-years, "
            "voluntary and involuntary exits, distinct people, hires (intervals starting on a "
            "hire date), IC moves out (an IC's next interval in another unit), exits per 100 "
            "person-years, first treated period (first full quarter on or after adoption; 0 = "
            "never within the data), adoption date and unit weight (average quarterly "
            "person-years before the first adoption)"
        ),
        method="sums and distinct counts of the exposure table by unit and quarter",
        population="exposure intervals with an org unit, in full fiscal quarters",
        groups=["org_unit", "period", "quarter", "first_treated", "adoption_date"],
        n_col="people", k=ds.min_cell_size, as_of=str(ds.as_of.date()), engine=engine,
    )
    return StudyPanelResult(panel=result, notes=tuple(notes))


def check_engine(engine: str) -> str:
    """``engine`` checked against :data:`~pathaudit.engines.ENGINES`.

    Examples
    --------
    >>> check_engine("duckdb")
    'duckdb'
    """
    _check(engine, ["track"])
    return engine

