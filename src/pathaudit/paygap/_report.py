"""What the EU and UK reports share around their parts: arguments, run state, notes, bundle.

Each report checks the same statistical arguments, keeps its people and settings on a
run (:class:`Report`), computes the same headcount, quartile and decomposition tables on
its own population, gates every figure on having both women and men, and bundles the
parts with their notes (and, asked for, the unsuppressed filing twin).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np
import pandas as pd

from pathaudit.checks import check_alpha, check_data, check_k, check_number
from pathaudit.data import AuditData
from pathaudit.parts import NotComputed, PartSpec
from pathaudit.paygap._formulas import kitagawa, quartiles
from pathaudit.paygap._frame import Assumptions
from pathaudit.paygap._gaps import Run, Stats, headcount_table
from pathaudit.result import AnalysisResult, Note, Result

NO_GENDER = (
    "the export has no gender values (map a gender column in [columns.people] to count gender "
    "pay gaps)"
)
"""Why the report cannot be computed without gender."""

QUARTILE_METHOD = "exact fractional split at ties (no interval)"
"""How the quartile pay bands are read: exact shares, no interval."""

KITAGAWA_METHOD = "Kitagawa (1955), pooled reference distribution"
"""How the mean gap is decomposed over track x grade cells."""

QUARTILE_COLUMNS: tuple[str, ...] = (
    "quartile",
    "estimate",
    "ci_lower",
    "ci_upper",
    "n",
    "women",
    "men",
    "share_women",
    "share_men",
)
"""The columns of a quartile pay band table after its labels (basis, scope)."""


@dataclass(frozen=True)
class Arguments:
    """The checked arguments both reports take."""

    data: AuditData
    alpha: float
    k: int
    threshold: float
    full_time_hours: float
    stats: Stats

    def texts(self, **extra: Any) -> dict[str, Any]:
        """The template values every part names (``{k}``, ``{bootstrap}``, ...) and ``extra``."""
        st = self.stats
        values = {"k": self.k, "bootstrap": st.bootstrap, "permutations": st.permutations}
        return values | {"seed": st.seed, **extra}

    def settings(self, **extra: Any) -> dict[str, Any]:
        """The arguments the headline is judged with: alpha, k, threshold and ``extra``."""
        return {"alpha": self.alpha, "k": self.k, "threshold": self.threshold, **extra}


def check_arguments(data: AuditData, caller: str, arguments: Mapping[str, Any]) -> Arguments:
    """Check the arguments both reports take (clear errors: what, found, fix).

    ``arguments`` is the caller's ``locals()`` on entry: its ``alpha``, ``k``, ``threshold``,
    ``full_time_hours``, ``bootstrap``, ``permutations`` and ``seed`` are read (the report's
    own arguments are checked by the report).
    """
    alpha, k, threshold = arguments["alpha"], arguments["k"], arguments["threshold"]
    full_time_hours, bootstrap = arguments["full_time_hours"], arguments["bootstrap"]
    permutations, seed = arguments["permutations"], arguments["seed"]
    data = check_data(data, caller)
    alpha = check_alpha(alpha)
    k = check_k(k, data)
    threshold = float(check_number(threshold, "threshold", low=0, high=1, low_open=True))
    hours = float(check_number(full_time_hours, "full_time_hours", low=0, high=168, low_open=True))
    bootstrap = int(check_number(bootstrap, "bootstrap", low=0, integer=True))
    permutations = int(check_number(permutations, "permutations", low=0, integer=True))
    seed = int(check_number(seed, "seed", low=0, integer=True))
    return Arguments(data, alpha, k, threshold, hours, Stats(alpha, bootstrap, permutations, seed))


def start_run(args: Arguments, texts: Mapping[str, Any], population: str, filing: bool) -> Run:
    """The shared run of the parts: template values, ``make_result`` arguments, filing."""
    common = {"data": args.data, "alpha": args.alpha, "k": args.k, "population": population}
    return Run(texts, common, filing)


@dataclass
class Report:
    """A report's run: the data, its stated assumptions, statistics and part plumbing.

    A subclass names its people as two frames: ``COUNTED`` (everyone the headcount
    counts) and ``GENDERED`` (the women and men a figure compares).
    """

    NO_PAIR: ClassVar[str] = ""
    """Why a figure cannot be computed when the data has women or men but not both."""
    COUNTED: ClassVar[str] = ""
    """The attribute holding everyone the headcount counts."""
    GENDERED: ClassVar[str] = ""
    """The attribute holding the women and men a figure compares."""

    data: AuditData
    assume: Assumptions
    stats: Stats
    run: Run

    @property
    def texts(self) -> Mapping[str, Any]:
        return self.run.texts

    @property
    def common(self) -> Mapping[str, Any]:
        return self.run.common

    @property
    def counted(self) -> pd.DataFrame:
        return getattr(self, self.COUNTED)

    @property
    def gendered(self) -> pd.DataFrame:
        return getattr(self, self.GENDERED)


R = TypeVar("R", bound=Report)


def needs_gender(compute: Callable[[R, PartSpec[R]], Any]) -> Callable[[R, PartSpec[R]], Any]:
    """The part ``compute``, not computed without both women and men to compare."""

    def part(run: R, spec: PartSpec[R]) -> Result | NotComputed:
        if run.gendered.empty or run.gendered["sex"].nunique() < 2:
            return NotComputed(
                NO_GENDER if run.counted["sex"].isin(["unknown"]).all() else run.NO_PAIR
            )
        return compute(run, spec)

    return part


def part_spec(
    report: str,
    definitions: Mapping[str, str],
    name: str,
    title: str,
    method: str,
    compute: Callable[[R, PartSpec[R]], Any],
    groups: tuple[str, ...],
    **extra: Any,
) -> PartSpec[R]:
    """A part of ``report``: its title, definition, method and (gated on gender) function.

    Every part but the headcount compares women and men: :func:`needs_gender` guards it.
    """
    run = compute if name == "headcount" else needs_gender(compute)
    return PartSpec(
        name, f"{report}: {title}", definitions[name], method, run, groups=groups, **extra
    )


def headcount_part(run: Report, spec: PartSpec[Any]) -> Result:
    """The headcount part: everyone counted, by scope and sex group."""
    return run.run.build(spec, headcount_table(run.counted), complementary_by=["scope"])


def quartile_bands(frames: list[pd.DataFrame], labels: Sequence[str]) -> pd.DataFrame:
    """The quartile pay band table (estimate = share of women) from per-scope frames."""
    table = pd.concat(frames, ignore_index=True)
    table = table.assign(estimate=table["share_women"], ci_lower=np.nan, ci_upper=np.nan)
    return table[[*labels, *QUARTILE_COLUMNS]]


def scope_quartiles(sub: pd.DataFrame, value: str) -> pd.DataFrame:
    """The quartile pay bands of ``value`` among the people of one scope."""
    q = quartiles(sub[value], (sub["sex"] == "women").to_numpy())
    return q.drop(columns=["lower_rate", "upper_rate"])


def decomposition_rows(d: pd.DataFrame, pay: str, **labels: Any) -> list[dict[str, Any]]:
    """The Kitagawa rows (total, composition, within) of the mean gap in ``pay``."""
    is_woman = (d["sex"] == "women").to_numpy()
    n_m, n_w = int((~is_woman).sum()), int(is_woman.sum())
    parts = kitagawa(d.assign(is_woman=is_woman), cell=["track", "grade"], pay=pay)
    return [
        labels
        | {
            "part": p,
            "estimate": parts[p],
            "ci_lower": np.nan,
            "ci_upper": np.nan,
            "n": n_m + n_w,
            "n_men": n_m,
            "n_women": n_w,
            "cells_both": parts["cells_both"],
        }
        for p in ("total", "composition", "within")
    ]


def caveats(*items: tuple[bool, str, str]) -> list[Note]:
    """A caveat note ``(text, part)`` for each item whose condition holds."""
    return [Note("caveat", text, part) for holds, text, part in items if holds]


def others_note(people: pd.DataFrame, who: str, figures: str) -> list[Note]:
    """The caveat on people with another or no recorded gender (counted, not compared)."""
    others = int(people["sex"].isin(["other", "unknown"]).sum())
    return caveats(
        (
            bool(others),
            f"{others} {who} with a gender other than female or male (or none recorded) are "
            f"counted in headcount and left out of the {figures}, which compare women and men.",
            "headcount",
        )
    )


def not_asked(
    notes: list[Note], out: Mapping[str, Result], want: Sequence[str], parts: Sequence[str]
) -> list[Note]:
    """A "not computed" note for every part neither computed nor already explained."""
    explained = {n.part for n in notes if n.kind == "not computed"}
    return [
        Note("not computed", f"not asked for (parts={list(want)})", p)
        for p in parts
        if p not in out and p not in explained
    ]


A = TypeVar("A", bound=AnalysisResult)


def bundle(
    cls: Callable[..., A],
    run: Report,
    out: Mapping[str, Result],
    notes: list[Note],
    settings: dict[str, Any],
) -> A:
    """The report's result; with a filing output, its unsuppressed twin marked restricted."""
    twin = None
    if run.run.filing:
        twin = cls(
            **dict[str, Any](run.run.unsuppressed),
            notes=tuple(notes),
            settings=settings | {"restricted": True},
        )
    return cls(**dict[str, Any](out), notes=tuple(notes), filing=twin, settings=settings)
