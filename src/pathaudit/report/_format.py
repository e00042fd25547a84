"""Numbers for readers: percentages, points, money and ratios with the locale's separators.

A figure is formatted by its headline ``unit`` (:data:`UNIT_KINDS`): a proportional gap,
a share or a probability as a percentage, a difference in probability in percentage
points, a currency code as money, a ratio with two decimals, a count as a whole number.
Nothing is ever shown as ``-0.0612`` or ``1.53e+06``; a missing value is a dash.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from pathaudit.result import SUPPRESSED_MARK

SEPARATORS: dict[str, tuple[str, str]] = {
    "en": (",", "."),
    "de": (".", ","),
    "fr": ("\N{NARROW NO-BREAK SPACE}", ","),
    "ch": ("'", "."),
}
"""Locale -> (thousands separator, decimal mark)."""

MINUS = "\N{MINUS SIGN}"

UNIT_KINDS: dict[str, str] = {
    "proportional gap": "percent",
    "share": "percent",
    "probability": "percent",
    "pay change": "percent",
    "difference in probability": "points",
    "ratio": "ratio",
    "hazard ratio": "ratio",
    "SD": "ratio",
    "log points": "log",
    "per 100 person-years": "rate",
    "figures": "count",
    "cells": "count",
    "grades": "count",
    "people": "count",
}
"""Headline unit -> how it is formatted (a three-letter currency code is money)."""

NULL_VALUES: dict[str, float] = {"ratio": 1.0}
"""The value of "no difference" by kind (0 for every other kind that compares tracks)."""


def unit_kind(unit: str) -> str:
    """How a headline unit is formatted: ``percent``, ``points``, ``money``, ``ratio`` ...

    Examples
    --------
    >>> unit_kind("hazard ratio"), unit_kind("EUR"), unit_kind("weeks")
    ('ratio', 'money', 'number')
    """
    if re.fullmatch(r"[A-Z]{3}", str(unit)):
        return "money"
    return UNIT_KINDS.get(str(unit), "number")


@dataclass(frozen=True)
class Formatter:
    """Formats numbers for one locale and currency.

    Attributes
    ----------
    locale
        A key of :data:`SEPARATORS`.
    currency
        Reporting currency (shown with money).

    Examples
    --------
    >>> f = Formatter("de", "EUR")
    >>> f.figure(-0.0612, "proportional gap"), f.figure(1533690.0, "EUR")
    ('−6,1%', '1.533.690 EUR')
    >>> Formatter().figure(-0.0969, "difference in probability")
    '−9.7 points'
    """

    locale: str = "en"
    currency: str = ""

    def number(self, value: Any, digits: int = 0, sign: bool = False) -> str:
        """``value`` with ``digits`` decimals, the locale's separators and a true minus."""
        x = _float(value)
        if x is None:
            return SUPPRESSED_MARK
        thousands, decimal = SEPARATORS.get(self.locale, SEPARATORS["en"])
        text = f"{abs(x):,.{digits}f}"
        zero = not any(c in "123456789" for c in text)  # rounds to zero: no sign at all
        text = text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)
        if x < 0 and not zero:
            return MINUS + text
        return "+" + text if sign and x > 0 and not zero else text

    def percent(self, value: Any, digits: int = 1, sign: bool = False) -> str:
        """A share or proportional gap as a percentage (``0.0612`` -> ``6.1%``)."""
        x = _float(value)
        return SUPPRESSED_MARK if x is None else self.number(100 * x, digits, sign) + "%"

    def figure(self, value: Any, unit: str, sign: bool = False) -> str:
        """One figure in its unit (see :data:`UNIT_KINDS`)."""
        kind = unit_kind(unit)
        if _float(value) is None:
            return SUPPRESSED_MARK
        if kind == "percent":
            return self.percent(value, 1, sign)
        if kind == "points":
            return self.number(100 * float(value), 1, sign) + " points"
        if kind == "money":
            return f"{self.number(value, 0, sign)} {unit}"
        if kind == "count":
            return self.number(value, 0, sign)
        if kind in ("ratio", "rate"):
            return self.number(value, 2 if kind == "ratio" else 1, sign)
        if kind == "log":
            return self.number(value, 3, sign)
        return self.number(value, 2, sign)

    def interval(self, lower: Any, upper: Any, unit: str) -> str:
        """``"a to b"`` in the figure's unit, or ``""`` when either end is missing."""
        if _float(lower) is None or _float(upper) is None:
            return ""
        return f"{self.figure(lower, unit)} to {self.figure(upper, unit)}"

    def people(self, n: Any) -> str:
        """A head count (``"1,063 people"``), or ``""`` when unknown."""
        x = _float(n)
        return "" if x is None else f"{self.number(x)} people"


def _float(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None
