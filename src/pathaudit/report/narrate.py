"""Plain-language sentences generated from the numbers, for the report and the notebooks.

Every sentence is built from a headline row (:data:`~pathaudit.headline.HEADLINE_COLUMNS`)
or from a change between two of them, so its wording follows the result:

- **direction**: which track is paid, promoted or leaving more (or no difference at the
  precision shown);
- **size**: the figure in its unit (a percentage, percentage points, a ratio);
- **significance**: whether the interval excludes "no difference";
- **status**: flagged, clear (only inside the stated equivalence margin), inconclusive,
  not estimable or not computed, each with its reason;
- **what it does not mean**: a difference associated with track, not evidence that track
  causes it.

The report (:func:`pathaudit.report.build_report`) and the notebooks use these functions;
no sentence describing a result is typed by hand.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from pathaudit.checks import check_choice
from pathaudit.errors import ArgumentError
from pathaudit.headline import STATUSES
from pathaudit.report._format import NULL_VALUES, Formatter, unit_kind

__all__ = [
    "ASSOCIATION",
    "ASSOCIATION_GROUPS",
    "CAVEATS",
    "TRACK_QUESTIONS",
    "describe",
    "describe_change",
    "describe_difference",
    "describe_status",
    "next_step",
]

ASSOCIATION = (
    "This is a difference associated with track, not evidence that the track causes it: "
    "what the comparison leaves out (the work itself, choices people made) can explain part "
    "of it."
)
"""The caveat every figure that compares the tracks carries."""

ASSOCIATION_GROUPS = (
    "This is a difference between the groups compared, not evidence of its cause: what the "
    "comparison leaves out can explain part of it."
)
"""The caveat of a comparison of other groups (e.g. a gender pay gap)."""

TRACK_QUESTIONS: tuple[str, ...] = ("pay", "promotion", "management", "attrition")
"""Questions whose figures compare the tracks (their caveat is :data:`ASSOCIATION`)."""

CAVEATS: dict[str, str] = {**dict.fromkeys(TRACK_QUESTIONS, ASSOCIATION),
                           "pay_gap": ASSOCIATION_GROUPS}
"""The caveat of a comparison, by question; a question not listed (a causal design's, whose
own notes state its assumptions) gets none."""

_SUBJECTS: dict[str, tuple[str, str, str]] = {
    # key -> (sentence with {size} and {word}, word when IC is above, word when below)
    "adjusted_gap_base": (
        "After adjusting for grade and the other controls, ICs are paid {size} {word} than "
        "managers at the same grade",
        "more", "less",
    ),
    "promotion_probability_difference": (
        "Within grade, an IC's probability of promotion {horizon}is {size} {word} than "
        "a manager's",
        "higher", "lower",
    ),
    "voluntary_exit_rate_ratio": (
        "ICs resign {size} {word} per year of employment than managers",
        "more often", "less often",
    ),
}
"""Phrasing of the primary figures; any other figure gets the generic sentence."""

_SAME: dict[str, str] = {
    "adjusted_gap_base": "After adjusting for grade and the other controls, ICs and managers "
    "at the same grade are paid the same at the precision shown",
    "promotion_probability_difference": "Within grade, ICs and managers have the same "
    "probability of promotion {horizon}at the precision shown",
    "voluntary_exit_rate_ratio": "ICs and managers resign at the same rate per year of "
    "employment at the precision shown",
}

_HORIZON = re.compile(r"within [\d.]+ years?")
"""The horizon a probability's label names ("within 3 years")."""

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e-?\d+)?(?![\w.])")
_NUM = r"-?\d+(?:\.\d+)?(?:e-?\d+)?"
_BOUNDS = re.compile(
    rf"\b(within|outside|beyond|above|below|straddles) ({_NUM})(?: to ({_NUM}))?(?![\w.%])"
)
"""A threshold's value(s) in a threshold or reason text ("lies within 0.8 to 1.25")."""


def _row(row: Any) -> dict[str, Any]:
    if hasattr(row, "to_dict"):
        row = row.to_dict()
    if not isinstance(row, Mapping):
        raise ArgumentError(
            f"row must be a headline row (a mapping or Series with the headline columns); "
            f"got {type(row).__name__}."
        )
    missing = [c for c in ("key", "label", "estimate", "ci_lower", "ci_upper", "unit", "status")
               if c not in row]
    if missing:
        raise ArgumentError(
            f"row lacks the headline column(s) {missing}; pass a row of an analysis's "
            "headline() (see pathaudit.headline.HEADLINE_COLUMNS)."
        )
    check_choice(row["status"], "status", STATUSES)
    return dict(row)


def _f(value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return math.nan
    return x


def _null(unit: str) -> float | None:
    """The value meaning "no difference" for a comparing unit; None for a level."""
    kind = unit_kind(unit)
    if kind in NULL_VALUES:
        return NULL_VALUES[kind]
    if unit in ("proportional gap", "difference in probability", "log points", "pay change"):
        return 0.0
    return None


def _numbers_in(text: str, unit: str, fmt: Formatter) -> str:
    """The threshold values of a threshold or reason text, formatted in the figure's unit.

    Only the numbers that follow "within", "outside", "beyond", "above", "below" or
    "straddles" are the threshold's; any other number (a count, "by 46% of the threshold")
    is left as written.

    Examples
    --------
    >>> _numbers_in("the whole interval lies above 0.02 (by 175% of the threshold)",
    ...             "pay change", Formatter())
    'the whole interval lies above 2.0% (by 175% of the threshold)'
    """
    if unit_kind(unit) not in ("percent", "points", "ratio", "log"):
        return text

    def one(m: re.Match[str]) -> str:
        out = f"{m.group(1)} {fmt.figure(float(m.group(2)), unit)}"
        if m.group(3) is not None:
            out += f" to {fmt.figure(float(m.group(3)), unit)}"
        return out

    return _BOUNDS.sub(one, text)


def describe_difference(row: Any, formatter: Formatter | None = None) -> str:
    """The figure in words: its direction and size (no judgement).

    Parameters
    ----------
    row
        A headline row (mapping or Series with :data:`~pathaudit.headline.HEADLINE_COLUMNS`).
    formatter
        Number formatting (default: English separators).

    Returns
    -------
    str
        One sentence, e.g. "ICs resign 2.3% more often per year of employment than managers
        (95% interval 0.86 to 1.22)." A figure that is missing says so.

    Examples
    --------
    >>> row = {"key": "voluntary_exit_rate_ratio", "label": "IC / M voluntary exit rate ratio",
    ...        "estimate": 1.5, "ci_lower": 1.2, "ci_upper": 1.9, "unit": "ratio",
    ...        "status": "flagged"}
    >>> describe_difference(row)
    'ICs resign 50.0% more often per year of employment than managers (interval 1.20 to 1.90).'
    >>> describe_difference(row | {"estimate": 0.7, "ci_lower": 0.6, "ci_upper": 0.8})
    'ICs resign 30.0% less often per year of employment than managers (interval 0.60 to 0.80).'
    """
    r = _row(row)
    fmt = formatter or Formatter()
    est, unit, key = _f(r["estimate"]), str(r["unit"]), str(r["key"])
    if not math.isfinite(est):
        return f"{r['label']}: no figure can be shown."
    ci = fmt.interval(r["ci_lower"], r["ci_upper"], unit)
    tail = f" (interval {ci})." if ci else "."
    null = _null(unit)
    if key in _SUBJECTS and null is not None:
        sentence, up, down = _SUBJECTS[key]
        diff = est - null
        kind = unit_kind(unit)
        size = (fmt.number(100 * abs(diff), 1) + " percentage points" if kind == "points"
                else fmt.percent(abs(diff)))
        found = _HORIZON.search(str(r["label"]))
        horizon = f"{found.group(0)} " if found else ""
        if not any(c in "123456789" for c in size):
            return _SAME[key].format(horizon=horizon) + tail
        return sentence.format(size=size, word=up if diff > 0 else down,
                               horizon=horizon) + tail
    return f"{r['label']}: {fmt.figure(est, unit)}" + tail


def describe_status(row: Any, formatter: Formatter | None = None) -> str:
    """What the status means for this figure, with its reason and the margin.

    Examples
    --------
    >>> row = {"key": "x", "label": "X", "estimate": 0.01, "ci_lower": -0.02,
    ...        "ci_upper": 0.03, "unit": "proportional gap", "status": "clear",
    ...        "threshold": "flagged outside -0.05 to 0.05",
    ...        "reason": "the whole interval lies within -0.05 to 0.05"}
    >>> describe_status(row)  # doctest: +NORMALIZE_WHITESPACE
    'Clear: the whole interval lies within −5.0% to 5.0%, the equivalence margin, so any
    difference is smaller than the margin (evidence of parity within it, not of exact
    equality).'
    """
    r = _row(row)
    fmt = formatter or Formatter()
    unit, status = str(r["unit"]), str(r["status"])
    reason = _numbers_in(str(r.get("reason", "") or ""), unit, fmt)
    threshold = _numbers_in(str(r.get("threshold", "") or ""), unit, fmt)
    null = _null(unit)
    lo, hi = _f(r["ci_lower"]), _f(r["ci_upper"])
    if status == "flagged":
        text = f"Flagged: {reason}" if reason else f"Flagged ({threshold})"
        if null is not None and math.isfinite(lo) and not (lo > null or hi < null):
            text += "; the interval also includes no difference"
        return text + "."
    if status == "clear":
        two_sided = "outside" in threshold or "within" in reason
        significant = (null is not None and math.isfinite(lo)
                       and (lo > null or hi < null))
        if two_sided and significant:
            return (f"Clear: {reason}, the equivalence margin. The interval excludes no "
                    "difference, so a difference is detectable, but it is smaller than the "
                    "margin.")
        if two_sided:
            return (f"Clear: {reason}, the equivalence margin, so any difference is smaller "
                    "than the margin (evidence of parity within it, not of exact equality).")
        return f"Clear: {reason} ({threshold})."
    if status == "inconclusive":
        significant = (null is not None and math.isfinite(lo)
                       and (lo > null or hi < null))
        what = ("the interval excludes no difference, but it also reaches inside the margin"
                if significant and "outside" in threshold else
                "the data cannot tell a difference as large as the margin from none")
        return f"Inconclusive: {reason}; {what}."
    if status == "not estimable":
        return f"Not estimable: {reason}."
    if status == "not computed":
        return f"Not computed: {reason}."
    return "Shown for context; no threshold judges it."


def describe(row: Any, formatter: Formatter | None = None, *, caveat: bool = True) -> str:
    """The plain-language reading of one headline figure: what it says and what it does not.

    Parameters
    ----------
    row
        A headline row (mapping or Series with :data:`~pathaudit.headline.HEADLINE_COLUMNS`).
    formatter
        Number formatting (default: English separators, no currency).
    caveat
        Add the caveat of its question (:data:`CAVEATS`) to a comparison: :data:`ASSOCIATION`
        for a figure that compares the tracks (or gives no question),
        :data:`ASSOCIATION_GROUPS` for a gender pay gap.

    Returns
    -------
    str
        The direction and size (:func:`describe_difference`), the status with its reason
        (:func:`describe_status`) and, for comparisons, the caveat.

    Examples
    --------
    >>> row = {"key": "voluntary_exit_rate_ratio", "label": "IC / M voluntary exit rate ratio",
    ...        "estimate": 1.02, "ci_lower": 0.86, "ci_upper": 1.22, "unit": "ratio",
    ...        "status": "clear", "threshold": "flagged outside 0.8 to 1.25",
    ...        "reason": "the whole interval lies within 0.8 to 1.25"}
    >>> print(describe(row, caveat=False))  # doctest: +NORMALIZE_WHITESPACE
    ICs resign 2.0% more often per year of employment than managers (interval 0.86 to 1.22).
    Clear: the whole interval lies within 0.80 to 1.25, the equivalence margin, so any
    difference is smaller than the margin (evidence of parity within it, not of exact
    equality).
    """
    r = _row(row)
    fmt = formatter or Formatter()
    if r["status"] in ("not computed", "not estimable"):
        return describe_status(r, fmt)
    parts = [describe_difference(r, fmt), describe_status(r, fmt)]
    if caveat and _null(str(r["unit"])) is not None:
        text = CAVEATS.get(str(r.get("question") or "pay"), "")
        if text:
            parts.append(text)
    return " ".join(parts)


def describe_change(
    change: Mapping[str, Any],
    *,
    unit: str,
    span: str = "last quarter",
    formatter: Formatter | None = None,
) -> str:
    """A change between two dates in words: a change only when its interval excludes zero.

    Parameters
    ----------
    change
        ``before``, ``now``, ``estimate`` (now − before, or now / before for a ratio),
        ``ci_lower``, ``ci_upper`` (the change's interval; NaN when it has none) and
        ``clear`` (whether the interval excludes no change), as
        :func:`pathaudit.report.change_between` returns.
    unit
        The figure's headline unit.
    span
        What ``before`` is ("last quarter", "a year ago").
    formatter
        Number formatting.

    Returns
    -------
    str
        "No clear change since last quarter (...)" or "Up/down from ... to ... since ...".

    Examples
    --------
    >>> describe_change({"before": 1.1, "now": 1.5, "estimate": 1.36, "ci_lower": 1.1,
    ...                  "ci_upper": 1.7, "clear": True}, unit="ratio", span="a year ago")
    'Up from 1.10 a year ago to 1.50 now (the change excludes no change).'
    >>> print(describe_change({"before": 1.1, "now": 1.2, "estimate": 1.09, "ci_lower": 0.8,
    ...                        "ci_upper": 1.4, "clear": False}, unit="ratio"))
    No clear change since last quarter (1.10 then, 1.20 now; its interval includes no change).
    """
    fmt = formatter or Formatter()
    before, now = _f(change.get("before")), _f(change.get("now"))
    if not (math.isfinite(before) and math.isfinite(now)):
        return f"No comparison with {span}: a figure is missing (not estimable or suppressed)."
    b, n = fmt.figure(before, unit), fmt.figure(now, unit)
    has_interval = math.isfinite(_f(change.get("ci_lower")))
    if not has_interval:
        if b == n:
            return f"Unchanged since {span} ({n})."
        word = "Up" if now > before else "Down"
        return f"{word} from {b} {span} to {n} now (a count of flags: no interval)."
    if bool(change.get("clear")):
        word = "Up" if now > before else "Down"
        return f"{word} from {b} {span} to {n} now (the change excludes no change)."
    return f"No clear change since {span} ({b} then, {n} now; its interval includes no change)."



_STEPS: dict[str, str] = {
    "flagged": "look at where it sits: the tables behind it by grade and unit show which "
               "groups drive it, before any decision on pay, promotion or staffing",
    "inconclusive": "the data cannot decide yet: watch the trend over the next quarters, or "
                    "pool more history, before reading it either way",
    "clear": "nothing to act on; keep watching the trend",
    "not estimable": "the data is too thin for this figure: {reason}",
    "not computed": "the export lacks what this figure needs: {reason}",
    "descriptive": "context only",
}


def next_step(row: Any) -> str:
    """What to do next about one headline figure, from its status.

    Examples
    --------
    >>> next_step({"key": "x", "label": "Pay gap", "estimate": 0.1, "ci_lower": 0.05,
    ...            "ci_upper": 0.15, "unit": "proportional gap", "status": "clear"})
    'Pay gap: nothing to act on; keep watching the trend.'
    """
    r = _row(row)
    step = _STEPS[str(r["status"])].format(reason=r.get("reason", "") or "")
    return f"{r['label']}: {step}."

