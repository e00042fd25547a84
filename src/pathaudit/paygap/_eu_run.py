"""The EU report's run: its reference period, workers compared and categories of workers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import ClassVar

import pandas as pd

from pathaudit.paygap._frame import eu_frame
from pathaudit.paygap._report import Report

BASES: tuple[str, ...] = ("hourly", "annual")
"""Pay bases of every figure (Art. 3(1): pay level is gross annual pay and gross hourly pay)."""


@dataclass
class EURun(Report):
    """The EU report's run: the period, the Article 10 settings and the workers."""

    NO_PAIR: ClassVar[str] = "the reference period has no men or no women with pay"
    COUNTED: ClassVar[str] = "people"
    GENDERED: ClassVar[str] = "compared"

    start: pd.Timestamp
    end: pd.Timestamp
    k: int
    threshold: float
    basis: str
    category_of: Mapping[int, str] | None
    justified: Mapping[str, str]
    previous: pd.DataFrame | None
    submitted: date | None

    @cached_property
    def people(self) -> pd.DataFrame:
        f = eu_frame(self.data, self.start, self.end, self.assume)
        return f.loc[(f["basic"] > 0).to_numpy() & (f["hours"] > 0).to_numpy()]

    @cached_property
    def compared(self) -> pd.DataFrame:
        p = self.people
        out = p.loc[p["sex"].isin(["men", "women"]).to_numpy()].copy()
        out["category"] = self.categorise(out["grade"])
        return out

    def categorise(self, grade: pd.Series) -> pd.Series:
        if self.category_of is None:
            return "grade " + grade.astype("Int64").astype(str)
        return grade.map(lambda g: self.category_of.get(int(g)) if pd.notna(g) else None).astype(
            "string"
        )

    def value(self, basis: str, component: str) -> str:
        return f"hourly_{component}" if basis == "hourly" else component
