"""Headline figures: one vocabulary of statuses, thresholds, and one table shape for every analysis.

Every analysis states its headline as rows of :data:`HEADLINE_COLUMNS`. A figure is judged
against a :class:`Threshold` that says where a healthy dual ladder ends; its **status** is one
of :data:`STATUSES`:

``flagged``
    the whole interval lies beyond the threshold (on the side it names);
``clear``
    the whole interval lies on the healthy side (for a two-sided threshold: inside the
    equivalence margin), so an interval that includes zero is "clear" only when it is
    also narrow enough to rule out a difference as large as the margin;
``inconclusive``
    the interval straddles the threshold: the data cannot tell;
``not estimable``
    the data cannot identify the figure (too few events, people, units or degrees of
    freedom; one track only; suppressed below the minimum cell size); the reason says which;
``not computed``
    an input the figure needs is missing (e.g. a snapshot export has no history);
``descriptive``
    a figure shown for context (a rate on one track, a cost) that no threshold judges.

One rule decides when the data hold too little information for a figure:
:data:`MINIMUMS`, one table of minimums (events on each side, people on each track,
residual degrees of freedom, clusters). A headline figure that rests on fewer is
``not estimable`` with the shortfall as its reason (:func:`information_shortfall`,
``headline_row(information=...)``); data with one track only give every IC vs M figure
the reason :data:`ONE_TRACK` (documented in ``docs/methods.md``, "When a figure is not
estimable").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

Direction = Literal["above", "below", "outside"]

STATUSES: tuple[str, ...] = (
    "flagged",
    "inconclusive",
    "clear",
    "not estimable",
    "not computed",
    "descriptive",
)
"""The one vocabulary of statuses (see the module docstring)."""

HEADLINE_COLUMNS: tuple[str, ...] = (
    "key",
    "label",
    "question",
    "primary",
    "estimate",
    "ci_lower",
    "ci_upper",
    "n",
    "unit",
    "threshold",
    "status",
    "reason",
)
"""Columns of every analysis's ``headline()``: a stable snake_case ``key``; a plain ``label``;
the ``question`` it answers; whether it is the ``primary`` figure for that question;
``estimate``, ``ci_lower``, ``ci_upper``, ``n`` (people); ``unit``; the ``threshold`` in
words; ``status`` (one of :data:`STATUSES`) and its ``reason``."""

QUESTIONS: dict[str, str] = {
    "pay": "Are ICs paid like managers at the same grade?",
    "promotion": "Are ICs promoted as fast as managers?",
    "management": "Are people pushed into management?",
    "attrition": "Do ICs leave more than managers?",
    "turnover": "Did introducing the dual ladder lower turnover?",
    "pay_gap": "Are women and men paid alike, as the pay-transparency laws count it?",
}
"""The leader's questions, by key; each analysis answers one of them."""


ONE_TRACK = "only one track ({track}) in the data"
"""Reason of every IC vs M figure (and of every part that compares the tracks) when the
population an analysis uses holds one track only."""


def one_track_reason(track: str) -> str:
    """The reason an IC vs M figure is not estimable on data with one track only.

    Examples
    --------
    >>> one_track_reason("IC")
    'only one track (IC) in the data'
    """
    return ONE_TRACK.format(track=track)


@dataclass(frozen=True)
class Minimum:
    """The least information a figure needs before its interval is trusted.

    Attributes
    ----------
    name
        Key in :data:`MINIMUMS` (and in ``headline_row(information=...)``).
    value
        The minimum: a figure resting on fewer is ``not estimable``.
    what
        What is counted, in words (plural).
    rationale
        Why this value (shown in ``docs/methods.md``).
    """

    name: str
    value: int
    what: str
    rationale: str

    def shortfall(self, observed: float | Mapping[str, float]) -> str:
        """The reason in words when ``observed`` is below the minimum, else ``""``.

        ``observed`` is one count, or a count per side (e.g. ``{"IC": 3, "M": 12}``): every
        side needs the minimum. A missing count (NaN) is not judged.

        Examples
        --------
        >>> MINIMUMS["events_per_arm"].shortfall({"IC": 3, "M": 12})
        'too little information: 3 events on the IC side (minimum 5 events on each side)'
        >>> MINIMUMS["residual_df"].shortfall(25)
        ''
        """
        sides = observed if isinstance(observed, Mapping) else {"": observed}
        short = [(side, float(v)) for side, v in sides.items()
                 if np.isfinite(_num(v)) and float(v) < self.value]
        if not short:
            return ""
        found = ", ".join(
            f"{v:g} {self.what}" + (f" on the {side} side" if side else "") for side, v in short
        )
        each = " on each side" if isinstance(observed, Mapping) else ""
        return f"too little information: {found} (minimum {self.value} {self.what}{each})"


MINIMUMS: dict[str, Minimum] = {
    m.name: m
    for m in (
        Minimum(
            "events_per_arm", 5, "events",
            "A comparison of event counts (a hazard ratio, a rate ratio) needs events on both "
            "sides: with fewer than 5 on a side a large-sample (Wald) interval is too narrow "
            "(the partial likelihood is far from quadratic, or monotone and unbounded), and an "
            "exact interval, though valid, spans orders of magnitude; either way the figure "
            "describes a handful of people's exits, so it is not estimable rather than "
            "inconclusive.",
        ),
        Minimum(
            "people_per_track", 10, "people",
            "An adjusted IC vs M comparison estimates a track effect beside grade and controls: "
            "with fewer than 10 people on a track the coefficient rests on a handful of "
            "residuals, whose variance the robust (sandwich) estimator cannot estimate.",
        ),
        Minimum(
            "residual_df", 10, "residual degrees of freedom",
            "A regression with fewer than 10 residual degrees of freedom (people minus "
            "parameters) all but interpolates the data: residuals near zero give a near-zero "
            "standard error and an interval that claims a precision the data do not hold.",
        ),
        Minimum(
            "clusters", 5, "clusters",
            "Cluster-robust intervals (CRV3 with t(G - 1)) need clusters: with fewer than 5 "
            "the jackknife variance rests on 4 or fewer leave-one-out fits and the t reference "
            "on 3 or fewer degrees of freedom, where even small-sample corrections are known "
            "not to hold their level (Cameron and Miller 2015; MacKinnon and Webb 2018).",
        ),
    )
}
"""The one table of minimums of information (see :class:`Minimum`), by name."""


def information_shortfall(information: Mapping[str, float | Mapping[str, float]]) -> str:
    """Why a figure is not estimable for lack of information, or ``""`` when it is.

    Parameters
    ----------
    information
        Name of a :data:`MINIMUMS` entry -> the count observed (one number, or one per
        side, e.g. ``{"IC": 12, "M": 3}``).

    Returns
    -------
    str
        The first shortfall in the order of ``information`` (``""`` when none).

    Examples
    --------
    >>> information_shortfall({"residual_df": 2, "clusters": 8})
    'too little information: 2 residual degrees of freedom (minimum 10 residual degrees of freedom)'
    """
    for name, observed in information.items():
        if name not in MINIMUMS:
            raise ValueError(f"information names {name!r}; minimums are {sorted(MINIMUMS)}.")
        why = MINIMUMS[name].shortfall(observed)
        if why:
            return why
    return ""


@dataclass(frozen=True)
class Threshold:
    """Where a healthy dual ladder ends for one figure.

    Attributes
    ----------
    indicator, measure
        The figure (``measure`` of ``indicator``'s table).
    label
        Plain-language name for leaders.
    direction
        ``"above"``: flagged when the whole CI is above ``value``; ``"below"``: when it
        is below; ``"outside"``: when it lies entirely outside the band
        ``value = (low, high)``, and clear only when it lies entirely inside it (the
        band is the equivalence margin).
    value
        The threshold (a number, or ``(low, high)`` for ``"outside"``).
    unit
        How the value reads (``"grades"``, ``"share"``, ``"ratio"``, ...).
    rationale
        Why this value (shown in docs and reports).
    where
        Extra column filters on the indicator table (e.g. ``{"attribute": "gender"}``).
    min_events
        The figure is judged only when both sides have at least this many events:
        below, the status is ``not estimable`` ("too few events"), since a Wald
        interval on a handful of events is too narrow to trust. Analyses pass
        ``MINIMUMS["events_per_arm"].value``.

    Examples
    --------
    >>> t = Threshold("attrition", "rate_ratio", "ICs leave more", "outside", (0.8, 1.25),
    ...               "ratio", "four-fifths rule in both directions")
    >>> t.status(1.02, 0.9, 1.15)
    ('clear', 'the whole interval lies within 0.8 to 1.25')
    >>> t.status(1.5, 1.3, 1.8)[0]
    'flagged'
    """

    indicator: str
    measure: str
    label: str
    direction: Direction
    value: float | tuple[float, float]
    unit: str
    rationale: str
    where: Mapping[str, str] = field(default_factory=dict)
    min_events: int = 0

    @property
    def key(self) -> str:
        """``"indicator.measure"``, the name used to override the value."""
        return f"{self.indicator}.{self.measure}"

    def describe(self) -> str:
        """The threshold in words, e.g. ``"flagged above 0.02"``."""
        if self.direction == "outside":
            lo, hi = self.value  # type: ignore[misc]
            return f"flagged outside {lo:g} to {hi:g}"
        return f"flagged {self.direction} {self.value:g}"

    def status(
        self,
        estimate: float,
        lower: float,
        upper: float,
        numerator: float = np.inf,
        denominator: float = np.inf,
    ) -> tuple[str, str]:
        """Status of one value with its interval, and the reason in words."""
        values = np.array([estimate, lower, upper], dtype=float)
        if not np.isfinite(values).all():
            return "not estimable", "no finite estimate and interval"
        if self.min_events and not (
            numerator >= self.min_events and denominator >= self.min_events
        ):
            return "not estimable", (
                f"too few events (fewer than {self.min_events} on a side) for a "
                "trustworthy interval"
            )
        if self.direction == "above":
            v = float(self.value)  # type: ignore[arg-type]
            if lower > v:
                return "flagged", f"the whole interval lies above {v:g}"
            if upper <= v:
                return "clear", f"the whole interval lies at or below {v:g}"
            return "inconclusive", f"the interval straddles {v:g}"
        if self.direction == "below":
            v = float(self.value)  # type: ignore[arg-type]
            if upper < v:
                return "flagged", f"the whole interval lies below {v:g}"
            if lower >= v:
                return "clear", f"the whole interval lies at or above {v:g}"
            return "inconclusive", f"the interval straddles {v:g}"
        lo, hi = self.value  # type: ignore[misc]
        if lower > hi or upper < lo:
            return "flagged", f"the whole interval lies outside {lo:g} to {hi:g}"
        if lower >= lo and upper <= hi:
            return "clear", f"the whole interval lies within {lo:g} to {hi:g}"
        return "inconclusive", f"the interval reaches beyond {lo:g} to {hi:g}"


def headline_row(
    key: str,
    label: str,
    question: str,
    *,
    estimate: Any = np.nan,
    ci_lower: Any = np.nan,
    ci_upper: Any = np.nan,
    n: Any = np.nan,
    unit: str = "",
    threshold: Threshold | None = None,
    primary: bool = False,
    status: str | None = None,
    reason: str = "",
    numerator: float = np.inf,
    denominator: float = np.inf,
    information: Mapping[str, float | Mapping[str, float]] | None = None,
) -> dict[str, Any]:
    """One row of a headline table, its status judged against ``threshold``.

    Parameters
    ----------
    key
        Stable snake_case key (the same in every run; ``summary.json`` and reports use it).
    label
        Plain-language name.
    question
        A key of :data:`QUESTIONS`.
    estimate, ci_lower, ci_upper, n
        The figure, its interval and the number of people it rests on (NaN where absent).
    unit
        How the value reads (``"share"``, ``"ratio"``, ``"per 100 person-years"``, ...).
    threshold
        What the figure is judged against; None for a descriptive figure.
    primary
        Whether this is the primary figure for ``question``.
    status, reason
        Set the status directly (``not computed`` / ``not estimable`` with their reason);
        otherwise it is judged from the threshold.
    numerator, denominator
        Events on each side, for a threshold's ``min_events`` rule.
    information
        The counts the figure rests on, by :data:`MINIMUMS` name (see
        :func:`information_shortfall`): below a minimum the figure is ``not estimable``
        with the shortfall as its reason and no estimate or interval (a number the data
        cannot support is not shown). Ignored when ``status`` is given.

    Returns
    -------
    dict
        Keys :data:`HEADLINE_COLUMNS`.

    Examples
    --------
    >>> headline_row("x", "X", "pay", estimate=0.1, status="descriptive")["status"]
    'descriptive'
    >>> headline_row("x", "X", "pay", estimate=0.1, ci_lower=-1, ci_upper=9e9,
    ...              information={"residual_df": 2})["status"]
    'not estimable'
    """
    if question not in QUESTIONS:
        raise ValueError(f"question must be one of {sorted(QUESTIONS)}; got {question!r}.")
    if status is None and information:
        short = information_shortfall(information)
        if short:
            status, reason = "not estimable", short
            estimate = ci_lower = ci_upper = np.nan
    if status is None:
        if threshold is None:
            status = "descriptive" if _finite(estimate) else "not estimable"
            reason = reason or ("" if status == "descriptive" else "no finite estimate")
        else:
            status, why = threshold.status(
                _num(estimate), _num(ci_lower), _num(ci_upper), numerator, denominator
            )
            reason = reason or why
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}; got {status!r}.")
    if status in ("not estimable", "not computed") and not reason:
        raise ValueError(f"a {status!r} figure needs its reason ({key}).")
    return {
        "key": key,
        "label": label,
        "question": question,
        "primary": bool(primary),
        "estimate": _num(estimate),
        "ci_lower": _num(ci_lower),
        "ci_upper": _num(ci_upper),
        "n": _num(n),
        "unit": unit,
        "threshold": threshold.describe() if threshold is not None else "",
        "status": status,
        "reason": reason,
    }


def headline_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows as a DataFrame with exactly :data:`HEADLINE_COLUMNS`, keys unique."""
    frame = pd.DataFrame(rows, columns=list(HEADLINE_COLUMNS))
    dup = frame["key"][frame["key"].duplicated()].tolist()
    if dup:
        raise ValueError(f"headline keys must be unique; repeated: {dup}")
    for col in ("estimate", "ci_lower", "ci_upper", "n"):
        frame[col] = frame[col].astype("float64")
    frame["primary"] = frame["primary"].astype(bool)
    return frame


def _num(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return out


def _finite(value: Any) -> bool:
    return bool(np.isfinite(_num(value)))
