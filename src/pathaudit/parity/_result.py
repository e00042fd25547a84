"""The bundle pay parity returns: one Result per part, the notes and the headline figures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from pathaudit.checks import check_choice
from pathaudit.errors import PathauditError
from pathaudit.headline import Threshold, headline_row, one_track_reason
from pathaudit.parity._population import COMPONENTS
from pathaudit.result import AnalysisResult, Note, Result

TITLE = "Pay-band parity across tracks"
"""Heading of the pay-parity summary."""

PARTS: tuple[str, ...] = (
    "by_grade",
    "distribution",
    "adjusted",
    "sensitivity",
    "decomposition",
    "remediation",
    "ceilings",
)
"""Every part of pay parity, in report order (the values ``parts=`` takes)."""

GAP_UNIT = "proportional gap"
"""Unit of an adjusted gap, ``exp(b) - 1`` (-0.05: ICs paid 5% less)."""


def gap_threshold(component: str, margin: float, alpha: float) -> Threshold:
    """The equivalence band an adjusted gap in ``component`` is judged against.

    Parameters
    ----------
    component
        Pay component (a key of :data:`~pathaudit.parity.COMPONENTS`).
    margin
        The equivalence margin of the :func:`~pathaudit.parity.pay_parity` call.
    alpha
        Its significance level (the interval is ``1 - alpha``).

    Returns
    -------
    Threshold
        Direction ``"outside"``, value ``(-margin, +margin)``.

    Examples
    --------
    >>> t = gap_threshold("base", 0.05, 0.05)
    >>> t.describe()
    'flagged outside -0.05 to 0.05'
    >>> t.status(-0.01, -0.03, 0.01)[0]
    'clear'
    """
    level = f"{1 - alpha:.0%}"
    return Threshold(
        indicator="adjusted",
        measure="estimate",
        label=f"adjusted IC vs M gap in {COMPONENTS.get(component, component)}",
        direction="outside",
        value=(-margin, margin),
        unit=GAP_UNIT,
        rationale=(
            f"the equivalence margin of this run (margin = {margin:g}): a gap whose whole "
            f"{level} interval lies within +/-{margin:.0%} is shown to be smaller than a "
            "difference the organisation treats as material (clear); one whose whole interval "
            "lies beyond it is a material gap (flagged); an interval that reaches across the "
            "band's edge cannot tell (inconclusive). The same margin as the equivalence test "
            "(p_equivalence)."
        ),
        where={"component": component, "scope": "overall"},
    )


def unexplained_threshold(margin: float, alpha: float) -> Threshold:
    """The band the Oaxaca–Blinder unexplained part (log points) is judged against.

    ``+/-log(1 + margin)``: the equivalence margin on the log scale, the scale of the
    decomposition and of the equivalence test.

    Examples
    --------
    >>> unexplained_threshold(0.05, 0.05).describe()
    'flagged outside -0.0487902 to 0.0487902'
    """
    m = float(np.log1p(margin))
    return Threshold(
        indicator="decomposition",
        measure="estimate",
        label="unexplained part of the IC − M log base-pay gap",
        direction="outside",
        value=(-m, m),
        unit="log points",
        rationale=(
            f"the equivalence margin of this run (margin = {margin:g}) on the log scale, "
            f"+/-log(1 + {margin:g}) = +/-{m:.4f} log points: the same band as the equivalence "
            f"test of the adjusted gap, read against the whole {1 - alpha:.0%} interval."
        ),
        where={"part": "unexplained"},
    )


def model_information(settings: Mapping[str, Any], df_resid: float) -> dict[str, Any]:
    """The counts an adjusted IC vs M figure rests on, by :data:`~pathaudit.headline.MINIMUMS` name.

    Parameters
    ----------
    settings
        The run's settings (``people_per_track``, ``clusters``: None without
        cluster-robust errors).
    df_resid
        Residual degrees of freedom of the model (people minus parameters).

    Returns
    -------
    dict
        ``people_per_track`` (people on each track), ``residual_df`` and, with
        cluster-robust errors, ``clusters``; for ``headline_row(information=...)``.
    """
    info: dict[str, Any] = {}
    people = settings.get("people_per_track")
    if people:
        info["people_per_track"] = dict(people)
    info["residual_df"] = df_resid
    if settings.get("clusters") is not None:
        info["clusters"] = settings["clusters"]
    return info


@dataclass(frozen=True)
class ParityResult(AnalysisResult):
    """Everything :func:`~pathaudit.parity.pay_parity` computes, one :class:`Result` per part.

    Attributes
    ----------
    by_grade, distribution, adjusted, sensitivity, decomposition, remediation, ceilings
        The parts (:data:`PARTS`); each Result's ``meta["definition"]`` says what its
        numbers are. None for a part not asked for (``parts=``) or one the data cannot
        give; a note of kind ``"not computed"`` then says why.
    notes
        Findings (ceilings, the adjusted gap, flagged grades), caveats and the
        parts not computed, as :class:`~pathaudit.result.Note`.
    people
        Person-level remediation list (``employee_id``, ``track``, ``grade``, ``pay``,
        ``predicted_pay``, ``raise_min_cost``, ``raise_to_predicted``) only when
        ``person_level=True`` was asked for; else None. Never part of :meth:`results`.
    settings
        The arguments the headline is judged with: ``alpha``, ``k``, ``margin``,
        ``components`` (asked for), ``components_available`` (in the
        export) and ``currency``.

    Examples
    --------
    >>> import pathaudit
    >>> data = pathaudit.load("data/sample", "data/sample/map.toml")  # doctest: +SKIP
    >>> res = pathaudit.pay_parity(data)  # doctest: +SKIP
    >>> res.headline()[["key", "estimate", "status"]]  # doctest: +SKIP
    >>> res.plot("adjusted", component="base")  # doctest: +SKIP
    """

    ANALYSIS: ClassVar[str] = "pay_parity"
    TITLE: ClassVar[str] = TITLE
    PARTS: ClassVar[tuple[str, ...]] = PARTS

    by_grade: Result | None = None
    distribution: Result | None = None
    adjusted: Result | None = None
    sensitivity: Result | None = None
    decomposition: Result | None = None
    remediation: Result | None = None
    ceilings: Result | None = None
    notes: tuple[Note, ...] = ()
    people: pd.DataFrame | None = field(default=None, repr=False)
    settings: dict[str, Any] = field(default_factory=dict, repr=False)

    def overall_gap(self, component: str = "base") -> pd.Series:
        """The overall adjusted-gap row of one component.

        Parameters
        ----------
        component
            A pay component the ``adjusted`` part computed (default ``"base"``).

        Returns
        -------
        pandas.Series
            The row of ``adjusted.table`` with ``scope == "overall"``.

        Examples
        --------
        >>> res.overall_gap()["estimate"]  # doctest: +SKIP
        """
        t = self.part("adjusted").table
        computed = [c for c in COMPONENTS if c in set(t["component"])]
        check_choice(component, "component", computed)
        rows = t.loc[(t["component"] == component) & (t["scope"] == "overall")]
        if rows.empty:  # pragma: no cover - every computed component has an overall row
            raise PathauditError(f"No overall adjusted gap for component {component!r}.")
        return rows.iloc[0]

    # ------------------------------------------------------------------ headline

    def _headline_rows(self) -> list[dict[str, Any]]:
        s = self.settings
        alpha = float(s.get("alpha", 0.05))
        margin = float(s.get("margin", 0.05))
        rows = [self._gap_row(c, alpha, margin) for c in COMPONENTS]
        rows.append(self._unexplained_row(alpha, margin))
        base = rows[0]
        short = base["reason"] if str(base["reason"]).startswith("too little information") \
            else ""
        rows.extend(self._remediation_rows(int(s.get("k", 5)), short))
        return rows

    def _missing(self, part: str) -> str:
        return self.not_computed().get(part, "it was not asked for (see parts=)")

    def _one_track(self) -> str:
        """The one-track reason ("" when the people compared hold both tracks)."""
        track = self.settings.get("one_track")
        return one_track_reason(track) if track else ""

    def _information(self, df_resid: float) -> dict[str, Any]:
        return model_information(self.settings, df_resid)

    def _gap_row(self, comp: str, alpha: float, margin: float) -> dict[str, Any]:
        key = f"adjusted_gap_{comp}"
        label = f"Adjusted IC vs M gap in {COMPONENTS[comp]}"
        common: dict[str, Any] = dict(
            unit=GAP_UNIT, threshold=gap_threshold(comp, margin, alpha), primary=comp == "base"
        )
        if self._one_track():
            return headline_row(key, label, "pay", status="not estimable",
                                reason=self._one_track(), **common)
        if self.adjusted is None:
            why = f"the part 'adjusted' was not computed: {self._missing('adjusted')}"
            return headline_row(key, label, "pay", status="not computed", reason=why, **common)
        if comp not in self.settings.get("components_available", COMPONENTS):
            return headline_row(key, label, "pay", status="not computed",
                                reason=f"the export has no {COMPONENTS[comp]}", **common)
        t = self.adjusted.table
        row = t.loc[(t["component"] == comp) & (t["scope"] == "overall")]
        if row.empty:
            asked = self.settings.get("components")
            why = (f"not asked for (components={list(asked)})" if asked is not None
                   and comp not in asked else
                   f"{COMPONENTS[comp]} is zero for everyone compared")
            return headline_row(key, label, "pay", status="not computed", reason=why, **common)
        r = row.iloc[0]
        reason = ""
        if bool(r["suppressed"]):
            reason = f"suppressed: fewer than {self.settings.get('k', 'k')} people on a track"
        elif not np.isfinite(r["estimate"]) or not np.isfinite(r["ci_lower"]):
            reason = str(r["conclusion"])
        info = self._information(float(r.get("df_resid", np.nan))) if not reason else None
        return headline_row(
            key, label, "pay", estimate=r["estimate"], ci_lower=r["ci_lower"],
            ci_upper=r["ci_upper"], n=r["n"], reason=reason, information=info, **common,
        )

    def _unexplained_row(self, alpha: float, margin: float) -> dict[str, Any]:
        key, label = "unexplained_log_gap", (
            "Unexplained part of the IC − M gap in mean log base pay (Oaxaca-Blinder)"
        )
        common: dict[str, Any] = dict(unit="log points",
                                      threshold=unexplained_threshold(margin, alpha))
        if self._one_track():
            return headline_row(key, label, "pay", status="not estimable",
                                reason=self._one_track(), **common)
        if self.decomposition is None:
            why = f"the part 'decomposition' was not computed: {self._missing('decomposition')}"
            return headline_row(key, label, "pay", status="not computed", reason=why, **common)
        dec = self.decomposition.table.set_index("part")
        r = dec.loc["unexplained"]
        if "suppressed" in r and bool(r["suppressed"]):
            return headline_row(
                key, label, "pay", status="not estimable", reason=(
                    f"suppressed: fewer than {self.settings.get('k', 'k')} people on a track"),
                **common)
        return headline_row(key, label, "pay", estimate=r["estimate"], ci_lower=r["ci_lower"],
                            ci_upper=r["ci_upper"], n=r["n"],
                            information=self._information(float(r.get("df_resid", np.nan))),
                            **common)

    def _remediation_rows(self, k: int, short: str = "") -> list[dict[str, Any]]:
        plans = {"min_cost": "Annual cost of the cheapest raises that close the adjusted gap",
                 "to_predicted": "Annual cost of raising everyone below predicted pay to it"}
        out = []
        currency = str(self.settings.get("currency") or "reporting currency")
        for plan, label in plans.items():
            key = f"remediation_cost_{plan}"
            if self._one_track() or short:
                why = self._one_track() or f"the adjusted gap in base pay it closes: {short}"
                out.append(headline_row(key, label, "pay", unit=currency,
                                        status="not estimable", reason=why))
                continue
            if self.remediation is None:
                why = f"the part 'remediation' was not computed: {self._missing('remediation')}"
                out.append(headline_row(key, label, "pay", unit=currency, status="not computed",
                                        reason=why))
                continue
            t = self.remediation.table
            r = t.loc[t["plan"] == plan].iloc[0]
            if bool(r["suppressed"]):
                out.append(headline_row(
                    key, label, "pay", unit=currency, status="not estimable",
                    reason=f"suppressed: the plan raises fewer than k = {k} people"))
                continue
            out.append(headline_row(key, label, "pay", estimate=r["estimate"], n=r["n"],
                                    unit=currency, status="descriptive"))
        return out
