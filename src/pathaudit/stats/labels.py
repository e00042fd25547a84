"""Display labels for figures that compare the two tracks: one vocabulary for every analysis.

- a comparison (hazard ratio, adjusted gap): ``IC vs M``, "IC vs M hazard ratio of
  voluntary exit";
- a difference: ``IC − M``, "IC − M difference in the probability of promotion";
- a ratio: ``IC / M``, "IC / M exit rate ratio";
- a switch direction: ``IC → M``, "exit hazard within 24 months of an IC → M switch".

The difference uses the minus sign (U+2212) and the direction one arrow (U+2192), each
with a space either side. These are labels for readers (titles, definitions, terms,
legends). Values stored in table columns, such as ``direction`` = ``"IC->M"`` or
``flow`` = ``"M->IC"``, are data and keep their ASCII spelling;
:func:`display_direction` turns such a value into its label.
"""

from __future__ import annotations

MINUS = "\N{MINUS SIGN}"
"""The minus sign of a difference label."""

ARROW = "\N{RIGHTWARDS ARROW}"
"""The arrow of a switch direction label."""

DATA_ARROW = "->"
"""The arrow in switch-direction values stored in tables (``"IC->M"``)."""


def comparison_label(a: str = "IC", b: str = "M") -> str:
    """``"IC vs M"``: a comparison of ``a`` with ``b`` (a hazard ratio, an adjusted gap)."""
    return f"{a} vs {b}"


def difference_label(a: str = "IC", b: str = "M") -> str:
    """``"IC − M"``: a figure that is the difference ``a`` minus ``b``."""
    return f"{a} {MINUS} {b}"


def ratio_label(a: str = "IC", b: str = "M") -> str:
    """``"IC / M"``: a figure that is the ratio of ``a`` to ``b``."""
    return f"{a} / {b}"


def direction_label(origin: str = "IC", target: str = "M") -> str:
    """``"IC → M"``: a switch from track ``origin`` to track ``target``.

    Examples
    --------
    >>> direction_label("M", "IC")
    'M → IC'
    """
    return f"{origin} {ARROW} {target}"


def display_direction(value: str) -> str:
    """The label of a value stored in a table: ``"IC->M"`` -> ``"IC → M"``; other values as is.

    Examples
    --------
    >>> display_direction("M->IC"), display_direction("IC exit")
    ('M → IC', 'IC exit')
    """
    if DATA_ARROW not in value:
        return value
    origin, target = (part.strip() for part in value.split(DATA_ARROW, 1))
    return direction_label(origin, target)


LABELS: dict[str, str] = {
    "comparison": comparison_label(),
    "difference": difference_label(),
    "ratio": ratio_label(),
    "switch_to_m": direction_label("IC", "M"),
    "switch_to_ic": direction_label("M", "IC"),
}
"""The labels of the table above, for IC and M."""


TRACK_COLOURS: dict[str, str] = {"IC": "#0072B2", "M": "#E69F00"}
"""One colour per track in every chart of the package (Okabe–Ito blue and orange, told apart
with every common colour-vision deficiency and in greyscale by lightness)."""

STATUS_COLOURS: dict[str, str] = {
    "flagged": "#c0392b",
    "inconclusive": "#e69f00",
    "clear": "#2e7d32",
    "not estimable": "#bdbdbd",
    "not computed": "#eeeeee",
    "descriptive": "#90a4ae",
}
"""Colour of each status of the headline vocabulary (red / orange / green, each also labelled
in words wherever it is drawn; greys for figures not assessed)."""
