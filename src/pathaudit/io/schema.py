"""Canonical tables: the column sets every export is mapped into.

Each table is described by a tuple of :class:`Column`. The loader renames and
parses an export into exactly these names and dtypes; every analysis reads only
these names. See ``docs/data-model.md`` for the prose version.

Dtype kinds
-----------
``"str"``
    pandas ``string`` dtype (IDs and level codes are always strings, never numbers).
``"date"``
    ``datetime64[ns]`` normalised to midnight (day precision).
``"float"``
    ``float64``.
``"int"``
    ``Int64`` (nullable integer).
``"category"``
    a string column restricted to the listed ``values``.
``"bool"``
    ``bool`` (derived tables only).
"""

from __future__ import annotations

from dataclasses import dataclass

TRACKS: tuple[str, str] = ("IC", "M")
"""Canonical track labels: individual contributor and management."""

TERMINATION_TYPES: tuple[str, ...] = ("voluntary", "involuntary", "other")
"""Canonical termination types."""

END_REASONS: tuple[str, ...] = (
    "exit_voluntary",
    "exit_involuntary",
    "exit_other",
    "switch_to_M",
    "switch_to_IC",
    "promotion",
    "demotion",
    "lateral",
    "censored",
)
"""Reasons a spell ends, in order of precedence (exit > switch > promotion > demotion > lateral)."""

EXIT_REASONS: tuple[str, ...] = ("exit_voluntary", "exit_involuntary", "exit_other")
"""The end reasons that are exits."""

DAYS_PER_YEAR: float = 365.25
"""A year is 365.25 days (DOMAIN conventions)."""


@dataclass(frozen=True)
class Column:
    """One canonical column.

    Parameters
    ----------
    name
        Canonical column name.
    kind
        Dtype kind: ``"str"``, ``"date"``, ``"float"``, ``"int"`` or ``"category"``.
    required
        Whether every export must provide it (after mapping).
    values
        Allowed values for ``"category"`` columns.
    doc
        One-line meaning.
    """

    name: str
    kind: str
    required: bool = False
    values: tuple[str, ...] = ()
    doc: str = ""


PAY_REPORTING: tuple[Column, ...] = (
    Column("contracted_hours", "float", doc="weekly contracted working hours"),
    Column("bonus_paid", "float", doc="a bonus actually paid (not a target), on bonus_paid_date"),
    Column("bonus_paid_date", "date", doc="date the bonus in bonus_paid was paid"),
    Column(
        "reduced_pay_leave",
        "category",
        values=("true", "false"),
        doc="on leave at reduced or nil pay in the pay period of the record (true/false)",
    ),
    Column("legal_employer", "str", doc="the legal entity that employs the person"),
)
"""Optional fields the pay-gap reports need (``pathaudit.paygap``); part of ``history`` and
``snapshot``. Where one is absent, the figure that needs it is not computed, with the reason,
or computed on a stated assumption (``docs/pay-gap-reporting.md``)."""

HISTORY: tuple[Column, ...] = (
    Column("employee_id", "str", True, doc="pseudonymous person ID"),
    Column("effective_date", "date", True, doc="date the job record takes effect"),
    Column("track", "category", True, TRACKS, doc="IC or M after value mapping"),
    Column("level", "str", True, doc="the export's own level code, e.g. 'IC4', 'M2'"),
    Column("base_salary", "float", doc="annual base pay (FTE rate unless salary_basis='actual')"),
    Column("variable_pay", "float", doc="annual bonus or commission"),
    Column("equity", "float", doc="annualised equity grant value"),
    Column("fte", "float", doc="full-time equivalent, 0 < fte <= 1.5; missing means 1"),
    Column("currency", "str", doc="ISO currency code of the pay columns"),
    Column("org_unit", "str", doc="organisational unit"),
    Column("job_family", "str", doc="job family"),
    Column("location", "str", doc="location"),
    Column("manager_id", "str", doc="employee_id of the direct manager"),
    Column("reason", "str", doc="the export's event label, if any"),
    Column(
        "pay_period",
        "str",
        doc="period of the pay figures of the row (year, month, week, hour); else [export]",
    ),
) + PAY_REPORTING
"""Effective-dated job records, one row per person per change."""

HISTORY_DERIVED: tuple[Column, ...] = (
    Column("episode", "int", True, doc="employment episode number of the person (0 = first)"),
    Column("grade", "int", True, doc="grade from the ladder, comparable across tracks"),
    Column("pay", "float", doc="FTE annual base pay in the reporting currency"),
    Column("row", "int", True, doc="1-based data row in the source file (for messages)"),
)
"""Columns the loader adds to ``history``."""

PEOPLE: tuple[Column, ...] = (
    Column("employee_id", "str", True, doc="pseudonymous person ID"),
    Column("hire_date", "date", True, doc="first day of the employment episode (inclusive)"),
    Column("termination_date", "date", doc="last day of the episode (inclusive); empty = employed"),
    Column("termination_type", "category", values=TERMINATION_TYPES, doc="kind of exit"),
    Column("gender", "str", doc="self-reported gender, as exported"),
    Column("ethnicity", "str", doc="ethnicity, as exported"),
    Column("age_band", "str", doc="age band, as exported"),
    Column("career_preference", "category", values=TRACKS, doc="stated preferred track (survey)"),
)
"""One row per person and employment episode."""

PEOPLE_DERIVED: tuple[Column, ...] = (
    Column("episode", "int", True, doc="episode number of the person, by hire_date (0 = first)"),
    Column("row", "int", True, doc="1-based data row in the source file"),
)

RATINGS: tuple[Column, ...] = (
    Column("employee_id", "str", True),
    Column("rating_date", "date", True, doc="date of the rating cycle"),
    Column("rating", "float", True, doc="numeric rating; higher is better"),
)
"""Performance ratings."""

LADDER: tuple[Column, ...] = (
    Column("track", "category", True, TRACKS),
    Column("level", "str", True),
    Column("grade", "int", True, doc="integer rank comparable across tracks"),
    Column("title", "str", doc="display title, e.g. 'Staff Engineer'"),
    Column("org_unit", "str", doc="unit this row applies to; empty = all units"),
    Column("valid_from", "date", doc="date from which this row applies; empty = always"),
)
"""Every (track, level) with its grade."""

BANDS: tuple[Column, ...] = (
    Column("track", "category", True, TRACKS),
    Column("level", "str", True),
    Column("band_min", "float", True),
    Column("band_mid", "float", True),
    Column("band_max", "float", True),
    Column("currency", "str"),
    Column("location", "str"),
    Column("effective_date", "date"),
)
"""Pay bands per (track, level[, currency/location])."""

ADOPTION: tuple[Column, ...] = (
    Column("org_unit", "str", True),
    Column("adoption_date", "date", True, doc="date the unit's dual ladder took effect"),
)
"""Dual-ladder adoption dates per unit (research study)."""

SNAPSHOT: tuple[Column, ...] = (
    Column("employee_id", "str", True),
    Column("hire_date", "date", doc="first day of employment; or tenure_years / tenure_months"),
    Column("track", "category", True, TRACKS),
    Column("level", "str", True),
    Column("base_salary", "float"),
    Column("variable_pay", "float"),
    Column("equity", "float"),
    Column("fte", "float"),
    Column("currency", "str"),
    Column("org_unit", "str"),
    Column("job_family", "str"),
    Column("location", "str"),
    Column("manager_id", "str"),
    Column("last_promotion_date", "date", doc="date of the last promotion (or level entry)"),
    Column("years_since_promotion", "float", doc="alternative to last_promotion_date"),
    Column("tenure_years", "float", doc="years since hire (instead of hire_date; employed only)"),
    Column("tenure_months", "float", doc="months since hire (instead of hire_date; employed only)"),
    Column("pay_period", "str", doc="period of the pay figures of the row; else [export]"),
    Column("left", "str", doc="whether the person has left (mapped to true/false)"),
    Column("termination_date", "date"),
    Column("termination_type", "category", values=TERMINATION_TYPES),
    Column("gender", "str"),
    Column("ethnicity", "str"),
    Column("age_band", "str"),
    Column("career_preference", "category", values=TRACKS),
) + PAY_REPORTING
"""A snapshot-only export: one row per person (current state)."""

PAY_HISTORY: tuple[Column, ...] = (
    Column("employee_id", "str", True),
    Column("effective_date", "date", True, doc="date the pay change takes effect"),
    Column("base_salary", "float", doc="base pay from this date (per pay_period)"),
    Column("variable_pay", "float", doc="annual bonus or commission from this date"),
    Column("equity", "float", doc="annualised equity grant value from this date"),
    Column("currency", "str", doc="ISO currency code of the pay columns"),
    Column("pay_period", "str", doc="period of the pay figures of the row; else [export]"),
)
"""Pay changes, when an HRIS reports them in a file of their own (merged into ``history``)."""

TABLES: dict[str, tuple[Column, ...]] = {
    "history": HISTORY,
    "people": PEOPLE,
    "ratings": RATINGS,
    "ladder": LADDER,
    "bands": BANDS,
    "adoption": ADOPTION,
    "snapshot": SNAPSHOT,
    "pay_history": PAY_HISTORY,
}
"""Every canonical input table by name."""

SPELLS: tuple[Column, ...] = (
    Column("employee_id", "str", True),
    Column("episode", "int", True),
    Column("spell_id", "int", True, doc="unique spell number in the dataset"),
    Column("track", "category", True, TRACKS),
    Column("level", "str", True),
    Column("grade", "int", True),
    Column("org_unit", "str", doc="at spell start"),
    Column("job_family", "str", doc="at spell start"),
    Column("location", "str", doc="at spell start"),
    Column("start", "date", True, doc="first day in this (track, level)"),
    Column("stop", "date", True, doc="first day no longer in it (exclusive end)"),
    Column("entry", "float", True, doc="years from start to first observed day (left truncation)"),
    Column("duration", "float", True, doc="(stop - start) in years of 365.25 days"),
    Column("end_reason", "category", True, END_REASONS),
    Column("next_track", "category", values=TRACKS),
    Column("next_level", "str"),
    Column("next_grade", "int"),
    Column("start_pay", "float", doc="FTE base pay on the first day of the spell"),
    Column("end_pay", "float", doc="FTE base pay on the last day of the spell"),
    Column("next_pay", "float", doc="FTE base pay on the first day of the next spell"),
    Column("hire_date", "date", True),
    Column("tenure_at_start", "float", True, doc="years from hire_date to start"),
    Column(
        "start_imputed",
        "bool",
        True,
        doc="start set to hire_date because the episode's first record is dated later",
    ),
    Column("gender", "str", doc="from the episode's people row (missing when absent)"),
    Column("ethnicity", "str", doc="from the episode's people row (missing when absent)"),
    Column("age_band", "str", doc="from the episode's people row (missing when absent)"),
)
"""Derived spells: continuous time in one (track, level) within one episode.

A column's ``kind`` names its values, not its pandas dtype: the text columns of the derived
tables are held as pandas categoricals of the values present (sorted), listed in
:data:`pathaudit.derived.spells.CATEGORICAL_COLUMNS`; the codes of ``employee_id`` are the
person code every analysis shares.
"""

EXPOSURE: tuple[Column, ...] = (
    Column("employee_id", "str", True),
    Column("episode", "int", True),
    Column("spell_id", "int", True),
    Column("start", "date", True),
    Column("stop", "date", True, doc="exclusive end"),
    Column("person_years", "float", True, doc="(stop - start) days / 365.25"),
    Column("quarter", "str", True, doc="fiscal quarter label, e.g. '2021Q3'"),
    Column("year", "int", True, doc="fiscal year"),
    Column("track", "category", True, TRACKS),
    Column("level", "str", True),
    Column("grade", "int", True),
    Column("org_unit", "str"),
    Column("job_family", "str"),
    Column("location", "str"),
    Column("pay", "float"),
    Column("tenure", "float", True, doc="years since hire at interval start"),
    Column("time_in_spell", "float", True, doc="years since spell start at interval start"),
    Column("event", "category", True, END_REASONS + ("none",), doc="what ends the interval"),
    Column("gender", "str", doc="from the episode's people row (missing when absent)"),
    Column("ethnicity", "str", doc="from the episode's people row (missing when absent)"),
    Column("age_band", "str", doc="from the episode's people row (missing when absent)"),
)
"""Derived exposure: person-time at constant attributes, split at quarter boundaries.

Text columns are pandas categoricals, as in :data:`SPELLS`.
"""


def column_names(table: str) -> list[str]:
    """Return the canonical column names of ``table``.

    Parameters
    ----------
    table
        One of the keys of :data:`TABLES`.

    Returns
    -------
    list of str
        Column names in canonical order.
    """
    return [c.name for c in TABLES[table]]
