"""The EU Pay Transparency Directive's indicators: :func:`eu_pay_transparency`.

Directive (EU) 2023/970 Art. 9(1) indicators (a)-(g) on annual and hourly pay, overall and
within each track, with categories of workers (grade by default), a sensitivity view of
the grouping, a Kitagawa decomposition and the Article 10 tracker. This module checks the
arguments, runs the parts (``_eu_specs``) and states the assumptions; the parts live in
``_eu_indicators``, ``_eu_categories`` and ``_article10``. Definitions:
``docs/pay-gap-reporting.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pathaudit.checks import check_choice, check_parts
from pathaudit.data import AuditData
from pathaudit.errors import ArgumentError
from pathaudit.parts import compute_parts
from pathaudit.paygap._article10 import previous_note, read_previous
from pathaudit.paygap._eu_run import BASES, EURun
from pathaudit.paygap._eu_specs import SPECS
from pathaudit.paygap._frame import Assumptions, has_values
from pathaudit.paygap._gaps import flags
from pathaudit.paygap._report import (
    bundle,
    caveats,
    check_arguments,
    not_asked,
    others_note,
    start_run,
)
from pathaudit.paygap._result import EU_PARTS, EUPayTransparencyResult
from pathaudit.result import Note, Result
from pathaudit.stats import BOOTSTRAP_B, BOOTSTRAP_SEED


def reference_period(as_of: pd.Timestamp, period: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The reference period: the calendar year before ``as_of`` by default.

    ``period`` is None, a year (int) or a ``(start, end)`` pair of dates (inclusive).

    Examples
    --------
    >>> reference_period(pd.Timestamp("2025-12-31"), None)
    (Timestamp('2024-01-01 00:00:00'), Timestamp('2024-12-31 00:00:00'))
    """
    if period is None:
        year = as_of.year - 1
        return pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
    if isinstance(period, int) and not isinstance(period, bool):
        return pd.Timestamp(period, 1, 1), pd.Timestamp(period, 12, 31)
    try:
        start, end = (pd.Timestamp(p).normalize() for p in period)
    except (TypeError, ValueError) as err:
        raise ArgumentError(
            f"period must be a year (2024) or a (start, end) pair of dates; got {period!r}."
        ) from err
    if end < start:
        raise ArgumentError(f"period must end on or after its start; got {period!r}.")
    return start, end


def eu_pay_transparency(
    data: AuditData,
    *,
    period: int | tuple[Any, Any] | None = None,
    categories: Mapping[int, str] | None = None,
    include_equity: bool = False,
    full_time_hours: float = 37.5,
    threshold: float = 0.05,
    basis: str = "hourly",
    justified: Mapping[str, str] | None = None,
    previous: str | Path | None = None,
    submitted: Any = None,
    alpha: float = 0.05,
    k: int | None = None,
    bootstrap: int = BOOTSTRAP_B,
    permutations: int = 999,
    seed: int = BOOTSTRAP_SEED,
    filing: bool = False,
    parts: Sequence[str] | None = None,
) -> EUPayTransparencyResult:
    """The gender pay-gap indicators of the EU Pay Transparency Directive, track-aware.

    Parameters
    ----------
    data
        Loaded dataset (history, or a snapshot read as the state all period).
    period
        Reference period: None (the calendar year before as-of), a year, or a
        ``(start, end)`` pair of dates (inclusive), as the transposing state rules.
    categories
        Grade -> category of workers (work of equal value); default: one category per
        grade ("grade 4").
    include_equity
        Count annualised equity as complementary pay (Art. 3(1): pay "in cash or in
        kind"; True or False).
    full_time_hours
        Weekly hours of a full-time worker, used as ``fte * full_time_hours`` where the
        export has no ``contracted_hours`` (gaps do not depend on it; hourly levels do).
    threshold
        The Article 10 gap (0.05).
    basis
        Pay basis of the Article 10 tracker and the sensitivity view: ``"hourly"`` or
        ``"annual"``.
    justified
        Category -> the objective, gender-neutral criterion that justifies its gap.
    previous
        Output folder of the earlier report (audit or filing) whose categories this later
        extract measures for the remedy (Art. 10(1)(c)).
    submitted
        Submission date of the earlier report (needed with ``previous``).
    alpha, k, bootstrap, permutations, seed
        Interval level, minimum cell size, bootstrap resamples, permutations, seed.
    filing
        Also build the unsuppressed filing output (``res.filing``, marked restricted;
        written only by :meth:`~EUPayTransparencyResult.write_filing`).
    parts
        Parts to compute (default: all of :data:`~pathaudit.paygap.EU_PARTS`).

    Returns
    -------
    EUPayTransparencyResult
        The parts, notes and ``headline()`` (keys ``eu_mean_gap_hourly`` (primary),
        ``eu_mean_gap_annual``, ``eu_median_gap_hourly``, ``eu_median_gap_annual``,
        ``eu_categories_at_threshold``, ``eu_joint_pay_assessment``,
        ``eu_gap_within_track_grade``). Columns of each table: docs/pay-gap-reporting.md.

    Raises
    ------
    ArgumentError
        An invalid argument (what must hold, what was found, the fix).

    Examples
    --------
    >>> import pathaudit
    >>> data = pathaudit.load("data/sample", "data/sample/map.toml")  # doctest: +SKIP
    >>> res = pathaudit.eu_pay_transparency(data)  # doctest: +SKIP
    >>> res.part("categories").table  # doctest: +SKIP
    """
    args = check_arguments(data, "eu_pay_transparency", locals())
    data, k, threshold = args.data, args.k, args.threshold
    check_choice(basis, "basis", BASES)
    check_choice(include_equity, "include_equity", (True, False))
    check_choice(filing, "filing", (True, False))
    want = check_parts(parts, EU_PARTS)
    start, end = reference_period(data.as_of, period)
    if categories is not None and not isinstance(categories, Mapping):
        raise ArgumentError(
            f"categories must map each grade to a category name, e.g. {{4: 'Senior'}}; got "
            f"{categories!r}."
        )
    if justified is not None and not isinstance(justified, Mapping):
        raise ArgumentError(
            "justified must map a category to the criterion that justifies its gap, e.g. "
            f"{{'grade 5': 'shift allowances'}}; got {justified!r}."
        )
    if previous is not None and submitted is None:
        raise ArgumentError(
            "previous was given without submitted: pass the date the earlier report was "
            "submitted, so the 6 months to remedy can be counted."
        )
    prev = read_previous(previous) if previous is not None else None
    when = None
    if submitted is not None:
        try:
            when = pd.Timestamp(submitted).date()
        except (TypeError, ValueError) as err:
            raise ArgumentError(f"submitted must be a date; got {submitted!r}.") from err
    grouping = "user mapping of grades" if categories is not None else "grade"
    texts = args.texts(threshold=threshold, basis=basis, grouping=grouping)
    population = (
        f"workers employed on any day of {start.date()} to {end.date()} with pay "
        "and hours above zero"
    )
    run = EURun(
        data=data,
        assume=Assumptions(args.full_time_hours, include_equity),
        stats=args.stats,
        run=start_run(args, texts, population, filing),
        start=start,
        end=end,
        k=k,
        threshold=threshold,
        basis=basis,
        category_of=categories,
        justified=dict(justified or {}),
        previous=prev,
        submitted=when,
    )
    out, notes = compute_parts(SPECS, want, run)
    notes = _assumption_notes(run) + notes + previous_note(prev)
    if categories is not None:
        unmapped = run.compared["category"].isna()
        notes += caveats(
            (
                bool(unmapped.any()),
                f"{int(unmapped.sum())} workers are in grades the categories mapping does not "
                "name; they are left out of the categories",
                "categories",
            )
        )
    notes += not_asked(notes, out, want, EU_PARTS)
    notes += _findings(out, threshold)
    settings = args.settings(basis=basis, period=(str(start.date()), str(end.date())))
    return bundle(EUPayTransparencyResult, run, out, notes, settings)


def _assumption_notes(run: EURun) -> list[Note]:
    data, equity = run.data, run.assume.include_equity
    sources = ["bonus_paid", "variable_pay"] + (["equity"] if equity else [])
    no_variable = not any(has_values(data, c) for c in sources)
    return caveats(
        (
            not has_values(data, "contracted_hours"),
            "Hourly pay: the export has no contracted_hours, so weekly hours are taken as fte "
            f"x {run.assume.full_time_hours:g} (full_time_hours). Gaps and quartiles do not "
            "depend on that value, only hourly pay levels do.",
            "pay_gaps",
        ),
        (
            no_variable,
            "The export has no complementary or variable pay (no bonus_paid, variable_pay"
            + (" or equity" if equity else "")
            + "): indicators (b) and (d) have no recipients and (e) is zero; total pay is "
            "basic pay.",
            "pay_gaps",
        ),
        (
            not no_variable and not has_values(data, "bonus_paid"),
            "Complementary or variable pay: the export has no bonus_paid, so variable_pay"
            + (" and equity" if equity else "")
            + " is read as paid at its annual amount, averaged over the days employed (a "
            "stated assumption: a target bonus is not pay received).",
            "pay_gaps",
        ),
        (
            data.is_snapshot,
            "Snapshot export: each worker's current job and pay are taken as held since the "
            "later of hire and last promotion, through the reference period.",
            "",
        ),
    ) + others_note(run.people, "workers", "gaps")


def _findings(out: Mapping[str, Result], threshold: float) -> list[Note]:
    notes = []
    cat = out.get("categories")
    if cat is not None:
        t = cat.table
        hit = t.loc[
            (
                (t["component"] == "total") & ~flags(t["suppressed"]) & flags(t["at_or_above"])
            ).to_numpy(dtype=bool)
        ]
        if len(hit):
            notes.append(
                Note(
                    "finding",
                    (
                        f"{hit['category'].nunique()} categories of workers have a mean gender "
                        "pay gap "
                        f"of {threshold:.0%} or more on some pay basis: "
                        + ", ".join(
                            f"{c} ({b}, {e:+.1%})"
                            for c, b, e in zip(
                                hit["category"], hit["basis"], hit["estimate"], strict=True
                            )
                        )
                        + "."
                    ),
                    "categories",
                )
            )
    return notes
