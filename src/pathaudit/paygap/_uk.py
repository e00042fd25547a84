"""The UK gender pay gap report: :func:`uk_gender_pay_gap`.

The six figures of the Equality Act 2010 (Gender Pay Gap Information) Regulations 2017
(SI 2017/172; public bodies: SI 2017/353), overall and within each track, with a Kitagawa
decomposition of the mean hourly gap. This module checks the arguments, runs the parts
(``_uk_parts``) and states the assumptions. Definitions: ``docs/pay-gap-reporting.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from pathaudit.checks import check_choice, check_parts
from pathaudit.data import AuditData
from pathaudit.errors import ArgumentError
from pathaudit.parts import compute_parts
from pathaudit.paygap._frame import Assumptions, has_values
from pathaudit.paygap._report import (
    bundle,
    caveats,
    check_arguments,
    not_asked,
    others_note,
    start_run,
)
from pathaudit.paygap._result import UK_PARTS, UKGenderPayGapResult
from pathaudit.paygap._uk_parts import SPECS, UKRun
from pathaudit.result import Note
from pathaudit.stats import BOOTSTRAP_B, BOOTSTRAP_SEED

REPORTING_THRESHOLD = 250
"""Relevant employees on the snapshot date from which an employer must report (reg 1(2))."""


def snapshot_date(as_of: pd.Timestamp, public_body: bool = False) -> pd.Timestamp:
    """The latest snapshot date on or before ``as_of``: 5 April (31 March for public bodies).

    Examples
    --------
    >>> snapshot_date(pd.Timestamp("2025-12-31"))
    Timestamp('2025-04-05 00:00:00')
    >>> snapshot_date(pd.Timestamp("2025-04-01"), public_body=True)
    Timestamp('2025-03-31 00:00:00')
    """
    month, day = (3, 31) if public_body else (4, 5)
    this = pd.Timestamp(as_of.year, month, day)
    return this if this <= as_of else pd.Timestamp(as_of.year - 1, month, day)


def uk_gender_pay_gap(
    data: AuditData,
    *,
    snapshot: Any = None,
    public_body: bool = False,
    legal_employer: str | None = None,
    full_time_hours: float = 37.5,
    threshold: float = 0.05,
    alpha: float = 0.05,
    k: int | None = None,
    bootstrap: int = BOOTSTRAP_B,
    permutations: int = 999,
    seed: int = BOOTSTRAP_SEED,
    filing: bool = False,
    parts: Sequence[str] | None = None,
) -> UKGenderPayGapResult:
    """The six figures of the UK gender pay gap regulations, track-aware.

    Parameters
    ----------
    data
        Loaded dataset (history or snapshot).
    snapshot
        Snapshot date; default the latest 5 April (31 March with ``public_body``) on or
        before as-of.
    public_body
        A listed public authority (SI 2017/353: snapshot 31 March); True or False.
    legal_employer
        The legal employer to report on (a value of ``legal_employer``); needed when the
        export holds several. Without the column the export is taken as one employer.
    full_time_hours
        Weekly hours of a full-time employee, used as ``fte * full_time_hours`` where the
        export has no ``contracted_hours``.
    threshold
        The band the gaps are read against (the UK sets none; default the EU's 0.05).
    alpha, k, bootstrap, permutations, seed
        As in :func:`~pathaudit.paygap.eu_pay_transparency` (interval level, minimum cell
        size, resamples, permutations, seed).
    filing
        Also build the unsuppressed filing output (``res.filing``, marked restricted).
    parts
        Parts to compute (default: all of :data:`~pathaudit.paygap.UK_PARTS`).

    Returns
    -------
    UKGenderPayGapResult
        The parts, notes and ``headline()`` (keys ``uk_mean_hourly_gap`` (primary),
        ``uk_median_hourly_gap``, ``uk_mean_bonus_gap``, ``uk_median_bonus_gap``,
        ``uk_bonus_share_women``, ``uk_bonus_share_men``,
        ``uk_upper_quartile_share_women``).

    Raises
    ------
    ArgumentError
        An invalid argument (what must hold, what was found, the fix).

    Examples
    --------
    >>> res = pathaudit.uk_gender_pay_gap(data)  # doctest: +SKIP
    >>> res.part("quartiles").table  # doctest: +SKIP
    """
    args = check_arguments(data, "uk_gender_pay_gap", locals())
    data = args.data
    check_choice(public_body, "public_body", (True, False))
    check_choice(filing, "filing", (True, False))
    want = check_parts(parts, UK_PARTS)
    if snapshot is None:
        when = snapshot_date(data.as_of, bool(public_body))
    else:
        try:
            when = pd.Timestamp(snapshot).normalize()
        except (TypeError, ValueError) as err:
            raise ArgumentError(f"snapshot must be a date; got {snapshot!r}.") from err
        if when > data.as_of:
            raise ArgumentError(
                f"snapshot {when.date()} is after the data's as-of {data.as_of.date()}; pass "
                "a date on or before it."
            )
    employers = (
        sorted(data.history["legal_employer"].dropna().astype(str).unique())
        if "legal_employer" in data.history
        else []
    )
    if legal_employer is not None:
        check_choice(legal_employer, "legal_employer", employers)
    elif len(employers) > 1:
        raise ArgumentError(
            f"The export holds {len(employers)} legal employers ({employers[:5]}); each "
            "reports on its own. Pass legal_employer= with one of them."
        )
    texts = args.texts(snapshot=str(when.date()))
    population = f"relevant employees: employed on the snapshot date {when.date()}"
    run = UKRun(
        data=data,
        assume=Assumptions(args.full_time_hours, False),
        stats=args.stats,
        run=start_run(args, texts, population, filing),
        snapshot=when,
        employer=legal_employer,
    )
    out, notes = compute_parts(SPECS, want, run)
    notes = _assumption_notes(run) + notes
    notes += not_asked(notes, out, want, UK_PARTS)
    settings = args.settings(snapshot=str(when.date()), relevant_employees=len(run.relevant))
    return bundle(UKGenderPayGapResult, run, out, notes, settings)


def _assumption_notes(run: UKRun) -> list[Note]:
    data, n = run.data, len(run.relevant)
    return caveats(
        (
            n < REPORTING_THRESHOLD,
            f"{n} relevant employees on the snapshot date: below the {REPORTING_THRESHOLD} "
            "from which an employer must report (the figures are shown all the same).",
            "",
        ),
        (
            not has_values(data, "legal_employer"),
            "The export has no legal_employer: everyone in it is taken as employed by one "
            "relevant employer (in Great Britain).",
            "",
        ),
        (
            not has_values(data, "contracted_hours"),
            "Weekly hours: the export has no contracted_hours, so they are taken as fte x "
            f"{run.assume.full_time_hours:g} (full_time_hours); the gaps and quartiles do not "
            "depend on that value.",
            "pay_gaps",
        ),
        (
            not has_values(data, "reduced_pay_leave"),
            "Full-pay relevant employees: the export has no reduced_pay_leave flag, so every "
            "relevant employee is taken as on full pay in the relevant pay period.",
            "pay_gaps",
        ),
        (
            not has_values(data, "bonus_paid"),
            "Hourly pay holds no bonus: the export has no bonus_paid (taken as none paid in "
            "the relevant pay period).",
            "pay_gaps",
        ),
        (
            data.is_snapshot,
            "Snapshot export: each employee's current job and pay are taken as in force on the "
            "snapshot date (since the later of hire and last promotion).",
            "",
        ),
    ) + others_note(run.relevant, "relevant employees", "figures")
