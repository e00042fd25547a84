"""The one object every analysis takes: canonical tables, dates and data quality."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pandas as pd

from pathaudit.quality import DataQualityReport

T = TypeVar("T")


@dataclass(eq=False)
class AuditData:
    """Canonical tables of one export, with its dates and data-quality report.

    Build it with :func:`pathaudit.io._load` (from files and a column map) or
    directly from canonical DataFrames in tests. Derived tables (``spells``,
    ``exposure``) are computed once, on first use, and reused by every analysis.

    Attributes
    ----------
    history
        Effective-dated job records (``schema.HISTORY`` + ``schema.HISTORY_DERIVED``),
        already restricted to ``effective_date <= as_of`` and the population filters.
    people
        One row per person and episode (``schema.PEOPLE`` + ``episode``, ``row``).
    ladder
        (track, level) -> grade (``schema.LADDER``).
    bands, ratings, adoption
        Optional canonical tables (``None`` when the export has none).
    extract_date
        Date the data was pulled.
    history_start
        First date from which the history is complete.
    as_of
        Analysis date; defaults to ``extract_date``.
    is_snapshot
        True for a snapshot-only export (one history row per person: the current state).
    quality
        Data-quality report of loading and derivation.
    config
        The parsed column map (for the run manifest and settings such as
        ``fiscal_year_start_month`` and ``min_cell_size``).
    inputs
        Source files and their SHA-256 hashes, for the run manifest.
    snapshot
        For snapshot exports: the canonical snapshot table (``schema.SNAPSHOT``).
    leavers
        For snapshot exports with a left flag and no exit dates: one row per person marked
        as left without a termination date (no ID): ``track``, ``level``, ``grade`` and the
        person attributes (``org_unit``, ``job_family``, ``location``, ``gender``). They are
        in no other table; the attrition part ``leaver_share`` counts them. None otherwise.
    """

    history: pd.DataFrame
    people: pd.DataFrame
    ladder: pd.DataFrame
    extract_date: pd.Timestamp
    history_start: pd.Timestamp
    # None at construction means the extract date; __post_init__ always sets a Timestamp
    as_of: pd.Timestamp = None
    bands: pd.DataFrame | None = None
    ratings: pd.DataFrame | None = None
    adoption: pd.DataFrame | None = None
    is_snapshot: bool = False
    snapshot: pd.DataFrame | None = None
    leavers: pd.DataFrame | None = None
    quality: DataQualityReport = field(default_factory=DataQualityReport)
    config: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.extract_date = pd.Timestamp(self.extract_date).normalize()
        self.history_start = pd.Timestamp(self.history_start).normalize()
        self.as_of = (
            self.extract_date if self.as_of is None else pd.Timestamp(self.as_of).normalize()
        )

    @property
    def min_cell_size(self) -> int:
        """Minimum cell size k from the map (default 5)."""
        return int(self.config.get("privacy", {}).get("min_cell_size", 5))

    @property
    def fiscal_year_start_month(self) -> int:
        """First month of the fiscal year (default 1, January)."""
        return int(self.config.get("export", {}).get("fiscal_year_start_month", 1))

    def derived(self, key: Hashable, build: Callable[[], T]) -> T:
        """A table or object derived from this dataset, built once by ``build()`` and reused.

        The one cache of the package: spells, exposure, the matched post-switch design and
        every other derived concept live here, keyed by ``key`` (a name, with the
        arguments that change the result). The cache belongs to this dataset; a copy
        made by :meth:`with_as_of` or :func:`dataclasses.replace` starts empty, and
        replacing ``history``, ``people``, ``ladder`` or ``config`` on this object derives
        again. The tables are
        treated as immutable: edit a copy and assign it (``data.history = h``), never a
        table in place, or derived tables would not see the edit.

        Parameters
        ----------
        key
            Name of the derived concept and the arguments it depends on.
        build
            Computes it from this dataset.

        Returns
        -------
        object
            What ``build()`` returned, now or the first time.

        Examples
        --------
        >>> import pandas as pd
        >>> d = AuditData(history=pd.DataFrame(), people=pd.DataFrame(), ladder=pd.DataFrame(),
        ...               extract_date="2025-12-31", history_start="2020-01-01")
        >>> calls = []
        >>> d.derived("x", lambda: calls.append(1) or 42), d.derived("x", lambda: 0)
        (42, 42)
        """
        cache = self.__dict__.setdefault("_derived", {})
        stamp = (id(self.history), id(self.people), id(self.ladder), id(self.config), self.as_of)
        hit = cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        value = build()
        cache[key] = (stamp, value)
        return value

    @property
    def spells(self) -> pd.DataFrame:
        """Spells (``schema.SPELLS``), derived once (:func:`~pathaudit.derived.derive_spells`)."""
        from pathaudit.derived.spells import derive_spells

        return self.derived("spells", lambda: derive_spells(self))

    @property
    def exposure(self) -> pd.DataFrame:
        """Exposure (``schema.EXPOSURE``), derived once (see :mod:`pathaudit.derived`)."""
        from pathaudit.derived.spells import derive_exposure

        return self.derived("exposure", lambda: derive_exposure(self))

    def with_as_of(self, as_of: object) -> AuditData:
        """Return a copy analysed at another date (derived tables are recomputed).

        Records dated after the new ``as_of`` are ignored and counted.
        """
        day = pd.Timestamp(as_of).normalize()
        quality = dataclasses.replace(self.quality, issues=list(self.quality.issues))
        hist = self.history
        late = hist["effective_date"] > day
        quality.add(
            "history",
            "after_as_of",
            "note",
            int(late.sum()),
            f"records dated after as-of {day.date()} are ignored",
            rows=hist.loc[late, "row"] if "row" in hist else (),
        )
        return dataclasses.replace(self, history=hist.loc[~late], as_of=day, quality=quality)

    def summary(self) -> dict[str, object]:
        """Headline facts about the dataset (no person-level values)."""
        if self.as_of is None:  # __post_init__ always sets it
            raise RuntimeError("AuditData.as_of is unset; construct AuditData normally")
        return {
            "kind": "snapshot" if self.is_snapshot else "history",
            "people": int(self.people["employee_id"].nunique()),
            "episodes": len(self.people),
            "history_rows": len(self.history),
            "extract_date": str(self.extract_date.date()),
            "history_start": str(self.history_start.date()),
            "as_of": str(self.as_of.date()),
        }
