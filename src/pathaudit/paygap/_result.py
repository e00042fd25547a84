"""The bundles the pay-gap reports return, their headline figures and the filing output."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from pathaudit.errors import PathauditError
from pathaudit.headline import Threshold, headline_row, information_shortfall
from pathaudit.paygap._gaps import RESTRICTED, flags
from pathaudit.result import AnalysisResult, Note, Result

QUESTION = "pay_gap"
"""The headline question both reports answer (``headline.QUESTIONS``)."""

EU_PARTS: tuple[str, ...] = (
    "headcount",
    "pay_gaps",
    "variable_shares",
    "quartiles",
    "categories",
    "sensitivity",
    "decomposition",
    "article10",
)
"""Every part of the EU report, in report order (the values ``parts=`` takes)."""

UK_PARTS: tuple[str, ...] = ("headcount", "pay_gaps", "bonus", "quartiles", "decomposition")
"""Every part of the UK report, in report order (the values ``parts=`` takes)."""

FILING_README = "RESTRICTED.md"
"""The file that marks a filing folder as restricted."""


def gap_threshold(threshold: float, indicator: str, label: str, rationale: str) -> Threshold:
    """The band a gender pay gap is read against: flagged when the whole interval lies beyond.

    Examples
    --------
    >>> gap_threshold(0.05, "pay_gaps", "mean gap", "why").describe()
    'flagged outside -0.05 to 0.05'
    """
    return Threshold(
        indicator=indicator,
        measure="estimate",
        label=label,
        direction="outside",
        value=(-threshold, threshold),
        unit="proportional gap",
        rationale=rationale,
    )


def _gap_rationale(threshold: float, legal: str) -> str:
    return (
        f"{legal} The legal figure is the point value (estimate); the status is a "
        f"statistical reading beside it: a gap whose whole interval lies beyond +/-"
        f"{threshold:.0%} is flagged, one whose whole interval lies within it is clear, one "
        "whose interval reaches across the line is inconclusive. The interval is about the "
        "pay-setting process (everyone is observed, so it is not a sampling interval)."
    )


def _count_row(
    key: str, label: str, count: int, shown: pd.DataFrame, status: str, reason: str, **extra: Any
) -> dict[str, Any]:
    """A headline row counting categories among those ``shown`` (their people: n)."""
    n = float(shown["n"].sum())
    return headline_row(
        key,
        label,
        QUESTION,
        estimate=count,
        n=n,
        status=status,
        reason=reason,
        unit="categories",
        **extra,
    )


@dataclass(frozen=True)
class _PayGapResult(AnalysisResult):
    """What the two reports share: notes, the filing output and the gap headline rows.

    Attributes
    ----------
    notes
        Findings, caveats (every stated assumption) and the parts not computed.
    filing
        With ``filing=True``: the same report unsuppressed, each part marked restricted
        (write it with :meth:`write_filing`); else None. Never written by default.
    settings
        The arguments the headline is judged with.
    headcount, pay_gaps, quartiles, decomposition
        The parts both reports have (None when not asked for or not computable).
    """

    headcount: Result | None = None
    pay_gaps: Result | None = None
    quartiles: Result | None = None
    decomposition: Result | None = None
    notes: tuple[Note, ...] = ()
    filing: AnalysisResult | None = field(default=None, repr=False)
    settings: dict[str, Any] = field(default_factory=dict, repr=False)

    def write_filing(self, folder: str | Path) -> list[Path]:
        """Write the unsuppressed figures (asked for with ``filing=True``) into ``folder``.

        The folder receives the versioned output (as ``write_analysis``, nothing
        suppressed) and :data:`FILING_README`, which marks it restricted. Never written by
        default; read back with :func:`pathaudit.output.read_output`.

        Examples
        --------
        >>> res = pathaudit.eu_pay_transparency(data, filing=True)  # doctest: +SKIP
        >>> res.write_filing("audit/restricted")  # doctest: +SKIP
        """
        from pathaudit.output import DATA_DIR, TABLES_DIR, write_parquet, write_table

        if self.filing is None:
            raise PathauditError(
                f"{self.ANALYSIS} was run without a filing output. Run it again with "
                "filing=True (or --filing on the command line) to write the unsuppressed "
                "figures."
            )
        folder = Path(folder)
        (folder / TABLES_DIR).mkdir(parents=True, exist_ok=True)
        (folder / DATA_DIR).mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        # the same layout as write_analysis, without the publish stage: nothing suppressed
        for name, res in self.filing.results().items():
            stem = f"{self.ANALYSIS}__{name}"
            frames = {stem: res.table, **{f"{stem}__{t}": f for t, f in res.tables.items()}}
            for file_stem, frame in frames.items():
                write_table(frame, folder / TABLES_DIR / f"{file_stem}.csv", display=True)
                write_parquet(frame, folder / DATA_DIR / f"{file_stem}.parquet")
                written += [
                    folder / TABLES_DIR / f"{file_stem}.csv",
                    folder / DATA_DIR / f"{file_stem}.parquet",
                ]
        path = folder / f"{self.ANALYSIS}.json"
        path.write_text(
            json.dumps(self.filing.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        written.append(path)
        marker = folder / FILING_README
        marker.write_text(f"# Restricted\n\n{RESTRICTED}\n", encoding="utf-8")
        return [*written, marker]

    def published(self) -> dict[str, Result]:
        """The parts as published; a filing output (restricted) is its parts, unsuppressed."""
        if self.settings.get("restricted"):
            return self.results()
        return super().published()

    def _absent(self, key: str, label: str, part: str, **common: Any) -> dict[str, Any]:
        """The headline row of a figure whose part was not computed, with the reason."""
        why = self.not_computed().get(part, "it was not asked for (see parts=)")
        reason = f"the part '{part}' was not computed: {why}"
        return headline_row(key, label, QUESTION, status="not computed", reason=reason, **common)

    def _pick(self, part: str, where: dict[str, Any]) -> pd.Series | None:
        """The first row of ``part``'s table matching ``where`` (column -> value), or None."""
        t = getattr(self, part).table
        sel = np.ones(len(t), dtype=bool)
        for col, value in where.items():
            sel &= (t[col] == value).to_numpy()
        return t.loc[sel].iloc[0] if sel.any() else None

    def _gap_row(
        self,
        key: str,
        label: str,
        part: str,
        where: dict[str, Any],
        threshold: Threshold | None,
        primary: bool = False,
    ) -> dict[str, Any]:
        common: dict[str, Any] = dict(unit="proportional gap", threshold=threshold, primary=primary)
        if getattr(self, part, None) is None:
            return self._absent(key, label, part, **common)
        r = self._pick(part, where)
        if r is None:
            return headline_row(
                key,
                label,
                QUESTION,
                status="not estimable",
                reason="no men or no women in scope",
                **common,
            )
        if bool(r.get("suppressed", False)) or not np.isfinite(float(r["estimate"])):
            k = self.settings.get("k", 5)
            return headline_row(
                key,
                label,
                QUESTION,
                status="not estimable",
                reason=(f"fewer than k = {k} men or women (or too few either side of a median)"),
                **common,
            )
        short = information_shortfall(
            {"people_per_track": {"men": float(r["n_men"]), "women": float(r["n_women"])}}
        )
        if short or not np.isfinite(float(r["ci_lower"])):
            # the legal figure stays (the point value); only its statistical reading is missing
            return headline_row(
                key,
                label,
                QUESTION,
                estimate=r["estimate"],
                n=r["n"],
                status="not estimable",
                reason=short or "no bounded interval (too few people for one)",
                **common,
            )
        return headline_row(
            key,
            label,
            QUESTION,
            estimate=r["estimate"],
            ci_lower=r["ci_lower"],
            ci_upper=r["ci_upper"],
            n=r["n"],
            **common,
        )


@dataclass(frozen=True)
class EUPayTransparencyResult(_PayGapResult):
    """Everything :func:`~pathaudit.paygap.eu_pay_transparency` computes.

    Attributes
    ----------
    headcount, pay_gaps, variable_shares, quartiles, categories, sensitivity, decomposition, \
    article10
        The parts (:data:`EU_PARTS`); each Result's ``meta["definition"]`` says what its
        numbers are (and which article defines them). None for a part not asked for or not
        computable (a note of kind ``"not computed"`` says why).
    notes, filing, settings
        Notes, the restricted filing twin and the headline's arguments (as every pay-gap
        report: see ``write_filing``).

    Examples
    --------
    >>> res = pathaudit.eu_pay_transparency(data)  # doctest: +SKIP
    >>> res.headline()[["key", "estimate", "status"]]  # doctest: +SKIP
    """

    ANALYSIS: ClassVar[str] = "eu_pay_transparency"
    TITLE: ClassVar[str] = "EU pay transparency: gender pay gap (Directive (EU) 2023/970)"
    PARTS: ClassVar[tuple[str, ...]] = EU_PARTS

    variable_shares: Result | None = None
    categories: Result | None = None
    sensitivity: Result | None = None
    article10: Result | None = None

    def _headline_rows(self) -> list[dict[str, Any]]:
        thr = float(self.settings.get("threshold", 0.05))
        basis = str(self.settings.get("basis", "hourly"))
        legal = (
            f"Directive (EU) 2023/970 Art. 9(1)(a), (c) and Art. 10: a gap of {thr:.0%} "
            "or more in a category of workers calls for a joint pay assessment."
        )
        band = gap_threshold(thr, "pay_gaps", "gender pay gap", _gap_rationale(thr, legal))
        rows = []
        for basis_, stat, letter in (
            ("hourly", "mean", "a"),
            ("annual", "mean", "a"),
            ("hourly", "median", "c"),
            ("annual", "median", "c"),
        ):
            rows.append(
                self._gap_row(
                    f"eu_{stat}_gap_{basis_}",
                    f"Gender pay gap, {stat} {basis_} pay (Art. 9(1)({letter}))",
                    "pay_gaps",
                    {
                        "component": "all pay",
                        "statistic": stat,
                        "basis": basis_,
                        "scope": "overall",
                    },
                    band,
                    primary=(basis_ == "hourly" and stat == "mean"),
                )
            )
        rows.append(self._category_row(thr, basis))
        rows.append(self._article10_row())
        rows.append(self._within_row(basis))
        return rows

    def _category_row(self, thr: float, basis: str) -> dict[str, Any]:
        key = "eu_categories_at_threshold"
        label = (
            f"Categories of workers with a mean gap of {thr:.0%} or more ({basis} pay, "
            "Art. 10(1)(a))"
        )
        rule = Threshold(
            indicator="categories",
            measure="at_or_above",
            label=label,
            direction="above",
            value=0,
            unit="categories",
            rationale=(
                "Directive (EU) 2023/970 Art. 10(1): the trigger is the gap itself, not a "
                "test; one category at or beyond it flags the figure (each category's "
                "interval is in the categories part)."
            ),
        )
        if self.categories is None:
            return self._absent(key, label, "categories", threshold=rule, unit="categories")
        t = self.categories.table
        t = t.loc[((t["component"] == "total") & (t["basis"] == basis)).to_numpy()]
        shown = t.loc[~flags(t["suppressed"]).to_numpy()]
        if shown.empty:
            return headline_row(
                key,
                label,
                QUESTION,
                status="not estimable",
                threshold=rule,
                unit="categories",
                reason=("no category has at least k men and k women"),
            )
        count = int(flags(shown["at_or_above"]).sum())
        status = "flagged" if count else "clear"
        reason = (
            f"{count} of {len(shown)} categories shown reach the trigger"
            if count
            else f"none of {len(shown)} categories shown reaches the trigger"
        )
        return _count_row(key, label, count, shown, status, reason, threshold=rule)

    def _article10_row(self) -> dict[str, Any]:
        key = "eu_joint_pay_assessment"
        label = "Categories needing a joint pay assessment (Art. 10)"
        if self.article10 is None:
            return self._absent(key, label, "article10", unit="categories")
        t = self.article10.table
        shown = t.loc[~flags(t["suppressed"]).to_numpy()]
        count = int((shown["status"] == "joint pay assessment required").sum())
        open_ = int((shown["status"] == "open: remedy within 6 months").sum())
        reason = (
            f"{count} categories need a joint pay assessment; {open_} are open (6 months "
            "from submission to remedy or justify)"
        )
        return _count_row(key, label, count, shown, "descriptive", reason)

    def _within_row(self, basis: str) -> dict[str, Any]:
        key = "eu_gap_within_track_grade"
        label = f"Part of the mean {basis} gap within track and grade (Kitagawa)"
        if self.decomposition is None:
            return self._absent(key, label, "decomposition", unit="proportional gap")
        t = self.decomposition.table
        r = t.loc[((t["basis"] == basis) & (t["part"] == "within")).to_numpy()]
        if r.empty or bool(r["suppressed"].iloc[0]) or not np.isfinite(r["estimate"].iloc[0]):
            return headline_row(
                key,
                label,
                QUESTION,
                status="not estimable",
                unit="proportional gap",
                reason="fewer than k men or k women compared",
            )
        return headline_row(
            key,
            label,
            QUESTION,
            estimate=r["estimate"].iloc[0],
            n=r["n"].iloc[0],
            status="descriptive",
            unit="proportional gap",
        )


@dataclass(frozen=True)
class UKGenderPayGapResult(_PayGapResult):
    """Everything :func:`~pathaudit.paygap.uk_gender_pay_gap` computes.

    Attributes
    ----------
    headcount, pay_gaps, bonus, quartiles, decomposition
        The parts (:data:`UK_PARTS`); each Result's ``meta["definition"]`` quotes the
        regulation that defines it. None for a part not asked for or not computable.
    notes, filing, settings
        As in :class:`EUPayTransparencyResult`: notes, the restricted filing twin (with
        ``filing=True``) and the arguments the headline is judged with.

    Examples
    --------
    >>> uk = pathaudit.uk_gender_pay_gap(data, parts=["pay_gaps", "bonus"])  # doctest: +SKIP
    >>> uk.headline().set_index("key").loc["uk_mean_hourly_gap"]  # doctest: +SKIP
    """

    ANALYSIS: ClassVar[str] = "uk_gender_pay_gap"
    TITLE: ClassVar[str] = "UK gender pay gap (Equality Act 2010, SI 2017/172)"
    PARTS: ClassVar[tuple[str, ...]] = UK_PARTS

    bonus: Result | None = None

    def _headline_rows(self) -> list[dict[str, Any]]:
        thr = float(self.settings.get("threshold", 0.05))
        legal = (
            "SI 2017/172 regs 8-11 set no threshold; the band is the EU Directive's "
            f"{thr:.0%} (threshold=), as a reference."
        )
        band = gap_threshold(thr, "pay_gaps", "gender pay gap", _gap_rationale(thr, legal))
        rows = [
            self._gap_row(
                "uk_mean_hourly_gap",
                "Mean gender pay gap in hourly pay (reg 8)",
                "pay_gaps",
                {"statistic": "mean", "scope": "overall"},
                band,
                primary=True,
            ),
            self._gap_row(
                "uk_median_hourly_gap",
                "Median gender pay gap in hourly pay (reg 9)",
                "pay_gaps",
                {"statistic": "median", "scope": "overall"},
                band,
            ),
            self._gap_row(
                "uk_mean_bonus_gap",
                "Mean gender bonus gap (reg 10)",
                "bonus",
                {"measure": "mean bonus gap", "scope": "overall"},
                band,
            ),
            self._gap_row(
                "uk_median_bonus_gap",
                "Median gender bonus gap (reg 11)",
                "bonus",
                {"measure": "median bonus gap", "scope": "overall"},
                band,
            ),
        ]
        for sex in ("women", "men"):
            rows.append(
                self._share_row(
                    f"uk_bonus_share_{sex}",
                    f"Share of {sex} paid a bonus (reg 12)",
                    "bonus",
                    {"measure": f"share of {sex} paid a bonus", "scope": "overall"},
                )
            )
        rows.append(
            self._share_row(
                "uk_upper_quartile_share_women",
                "Share of women in the upper pay quartile (reg 13)",
                "quartiles",
                {"quartile": 4, "scope": "overall"},
            )
        )
        return rows

    def _share_row(self, key: str, label: str, part: str, where: dict[str, Any]) -> dict[str, Any]:
        if getattr(self, part, None) is None:
            return self._absent(key, label, part, unit="share")
        r = self._pick(part, where)
        if r is None:
            return headline_row(
                key, label, QUESTION, status="not estimable", unit="share", reason="nobody in scope"
            )
        if bool(r["suppressed"]) or not np.isfinite(float(r["estimate"])):
            return headline_row(
                key,
                label,
                QUESTION,
                status="not estimable",
                unit="share",
                reason=f"fewer than k = {self.settings.get('k', 5)} people",
            )
        return headline_row(
            key,
            label,
            QUESTION,
            estimate=r["estimate"],
            ci_lower=r.get("ci_lower", np.nan),
            ci_upper=r.get("ci_upper", np.nan),
            n=r["n"],
            status="descriptive",
            unit="share",
        )
