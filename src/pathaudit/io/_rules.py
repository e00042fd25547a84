"""Value rules and derived columns of the column map: patterns instead of lists.

A ``[values.<column>]`` section maps export values to canonical values. Its keys are
**rules**, tried in this order:

1. an exact label (``"People Manager" = "M"``), matched as written, then ignoring case
   and spaces; an exact label always wins over a pattern;
2. patterns, in the order the map writes them: ``"re:<regular expression>"`` (searched
   anywhere in the value, ignoring case) and ``"contains:<text>"`` (the text anywhere in
   the value, ignoring case);
3. the default ``"*"``: every value no rule above matched.

Without a default, a value no rule matches stays as exported (for ``track``,
``termination_type``, ``career_preference`` and ``left`` that is an error, as before).

A ``[derive.<column>]`` section makes a canonical column from another export column:
``from`` names the export column, ``pattern`` (optional) a regular expression whose
match (or first capture group) is taken, ``value`` (optional) a template such as
``"IC{1}"`` with ``{0}`` the whole match and ``{1}``, ``{2}``... the capture groups,
``numerals = "arabic"`` turns Roman numerals in the captured text into digits, and
``default`` is used when the pattern does not match (else the value is an error). The
derived text then goes through the column's ``[values]`` rules like any export value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.io._messages import norm_name

REGEX_PREFIX = "re:"
CONTAINS_PREFIX = "contains:"
DEFAULT_KEY = "*"
EXACT = "exact"


@dataclass(frozen=True)
class ValueRule:
    """One rule of a ``[values.<column>]`` section.

    Attributes
    ----------
    key
        The key as written in the map (``"re:manager|director"``, ``"*"``, a label).
    kind
        ``"exact"``, ``"regex"``, ``"contains"`` or ``"default"``.
    target
        The canonical value it gives.
    """

    key: str
    kind: str
    target: str

    def matches(self, values: pd.Series) -> np.ndarray:
        """Whether each of ``values`` (text, no missing) matches this pattern rule."""
        text = values.astype(str)
        if self.kind == "default":
            return np.ones(len(values), dtype=bool)
        if self.kind == "contains":
            needle = self.key[len(CONTAINS_PREFIX) :].casefold()
            return text.str.casefold().str.contains(needle, regex=False).to_numpy(dtype=bool)
        pattern = re.compile(self.key[len(REGEX_PREFIX) :], re.IGNORECASE)
        # one search per distinct value (the caller passes distinct values)
        return np.fromiter((pattern.search(t) is not None for t in text), bool, len(text))


def rule_kind(key: str) -> str:
    """The kind of a ``[values]`` key: exact, regex, contains or default."""
    if key == DEFAULT_KEY:
        return "default"
    if key.startswith(REGEX_PREFIX):
        return "regex"
    if key.startswith(CONTAINS_PREFIX):
        return "contains"
    return EXACT


def rule_problem(key: str) -> str | None:
    """Why a ``[values]`` key cannot be used (a bad regular expression), else None."""
    kind = rule_kind(key)
    if kind == "regex":
        try:
            re.compile(key[len(REGEX_PREFIX) :])
        except re.error as err:
            return f"'{key}' is not a valid regular expression ({err})"
        if not key[len(REGEX_PREFIX) :]:
            return f"'{key}' has an empty pattern"
    if kind == "contains" and not key[len(CONTAINS_PREFIX) :]:
        return f"'{key}' has no text to look for"
    return None


def rules_of(mapping: dict[str, Any]) -> list[ValueRule]:
    """The rules of one ``[values]`` section, in the order they are tried."""
    rules = [ValueRule(str(k), rule_kind(str(k)), str(v)) for k, v in mapping.items()]
    exact = [r for r in rules if r.kind == EXACT]
    patterns = [r for r in rules if r.kind in ("regex", "contains")]
    default = [r for r in rules if r.kind == "default"]
    return exact + patterns + default


@dataclass(frozen=True)
class Mapped:
    """Values after the rules: the new values and, per row, the rule that matched.

    Attributes
    ----------
    values
        The mapped values (string dtype; missing stays missing; unmatched as exported).
    rule
        Per row, the key of the rule that matched (``""`` where none did or the value
        is missing).
    """

    values: pd.Series
    rule: pd.Series


def apply_rules(values: pd.Series, mapping: dict[str, Any], keep: tuple[str, ...] = ()) -> Mapped:
    """Apply a ``[values]`` section to export values: exact labels, patterns, default.

    Parameters
    ----------
    values
        Export values (text; missing allowed).
    mapping
        The section: key (label, ``"re:..."``, ``"contains:..."`` or ``"*"``) -> target.
    keep
        Canonical values (``"IC"``, ``"M"``) that patterns and the default leave as they
        are (ignoring case): a ladder's ``M`` stays ``M`` under ``"*" = "IC"``. An exact
        label still maps them.

    Returns
    -------
    Mapped
        The mapped values and the rule each row matched.

    Examples
    --------
    >>> import pandas as pd
    >>> m = apply_rules(pd.Series(["Manager III", "Engineer II", None], dtype="string"),
    ...                 {"re:manager|director": "M", "*": "IC"})
    >>> list(m.values.fillna("-")), list(m.rule)
    (['M', 'IC', '-'], ['re:manager|director', '*', ''])
    """
    codes, uniques = pd.factorize(values)
    u = pd.Series(uniques, dtype=object).astype(str)
    new = pd.Series(np.full(len(u), None, dtype=object))
    which = pd.Series(np.full(len(u), "", dtype=object))
    done = np.zeros(len(u), dtype=bool)
    folded = u.map(norm_name)
    kept = u.str.casefold().isin([k.casefold() for k in keep]).to_numpy()
    for rule in rules_of(mapping):
        if done.all():
            break
        if rule.kind == EXACT:
            hit = ((u == rule.key) | (folded == norm_name(rule.key))).to_numpy() & ~done
        else:
            hit = rule.matches(u) & ~done & ~kept
        new[hit] = rule.target
        which[hit] = rule.key
        done |= hit
    new = new.where(done, u)
    rule_out = np.full(len(values), "", dtype=object)
    ok = codes >= 0
    rule_out[ok] = which.to_numpy(dtype=object)[codes[ok]]
    # each distinct value converted once, then spread to the rows (missing where missing)
    out = pd.array(new.to_numpy(dtype=object), dtype="string").take(codes, allow_fill=True)
    return Mapped(
        pd.Series(out, index=values.index),
        pd.Series(rule_out, index=values.index, dtype=object),
    )


# --- derived columns -------------------------------------------------------------------------

DERIVE_KEYS: tuple[str, ...] = ("from", "pattern", "value", "numerals", "default")
NUMERALS: tuple[str, ...] = ("arabic",)

_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_ROMAN_RE = re.compile(r"^(M{0,3})(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$", re.I)


def roman_to_arabic(text: str) -> str:
    """``"III"`` -> ``"3"``; text that is not a Roman numeral is returned unchanged.

    Examples
    --------
    >>> roman_to_arabic("iv"), roman_to_arabic("12"), roman_to_arabic("Lead")
    ('4', '12', 'Lead')
    """
    t = text.strip()
    if not t or not _ROMAN_RE.match(t):
        return text
    t = t.upper()
    total = 0
    for a, b in zip(t, t[1:] + " ", strict=True):
        v = _ROMAN[a]
        total += -v if b != " " and _ROMAN[b] > v else v
    return str(total)


def derive_problems(column: str, spec: Any) -> list[str]:
    """Problems of one ``[derive.<column>]`` section (empty when it is usable)."""
    sec = f"[derive.{column}]"
    if not isinstance(spec, dict):
        return [f'{sec} must be a table with from = "Export Column"; found {spec!r}.']
    out = [
        f"Unknown key '{k}' in {sec} of the column map. Allowed keys: {', '.join(DERIVE_KEYS)}."
        for k in spec
        if k not in DERIVE_KEYS
    ]
    if not (isinstance(spec.get("from"), str) and spec["from"].strip()):
        out.append(f'{sec} needs from = "Export Column" (the column it is derived from).')
    for key in ("pattern", "value", "default"):
        if key in spec and not isinstance(spec[key], str):
            out.append(f"{sec} {key} must be a text; found {spec[key]!r}.")
    if isinstance(spec.get("pattern"), str):
        try:
            re.compile(spec["pattern"])
        except re.error as err:
            out.append(
                f"{sec} pattern {spec['pattern']!r} is not a valid regular expression ({err})."
            )
    if "numerals" in spec and spec["numerals"] not in NUMERALS:
        out.append(f"{sec} numerals must be 'arabic'; found {spec['numerals']!r}.")
    return out


def derive_values(values: pd.Series, spec: dict[str, Any]) -> tuple[pd.Series, np.ndarray]:
    r"""A derived column from an export column, by ``[derive.<column>]``.

    Parameters
    ----------
    values
        The export column (text, spaces trimmed; missing allowed).
    spec
        The section: ``from``, optional ``pattern``, ``value``, ``numerals``, ``default``.

    Returns
    -------
    (pandas.Series, numpy.ndarray)
        The derived values (string dtype) and, per row, whether the pattern failed to
        match a present value and no ``default`` was given (an error for the caller).

    Examples
    --------
    >>> import pandas as pd
    >>> spec = {"from": "Title", "pattern": r"\b([IVX]+|\d+)$", "numerals": "arabic"}
    >>> out, bad = derive_values(pd.Series(["Manager III", "Engineer 2", "Intern"]), spec)
    >>> list(out.fillna("-")), bad.tolist()
    (['3', '2', '-'], [False, False, True])
    """
    codes, uniques = pd.factorize(values)
    u = [str(x) for x in uniques]
    pattern = spec.get("pattern")
    template = spec.get("value")
    new: list[object] = []
    bad_u: list[bool] = []
    rx = re.compile(pattern, re.IGNORECASE) if pattern else None
    for text in u:  # one per distinct value, not per person
        if rx is None:
            groups: list[str] = [text]
        else:
            m = rx.search(text)
            if m is None:
                default = spec.get("default")
                new.append(default if default is not None else None)
                bad_u.append(default is None)
                continue
            groups = [m.group(0)] + [g or "" for g in m.groups()]
        if spec.get("numerals") == "arabic":
            groups = [roman_to_arabic(g) for g in groups]
        if template is None:
            value = groups[1] if len(groups) > 1 else groups[0]
        else:
            value = template.format(*groups)
        new.append(value.strip())
        bad_u.append(False)
    out = np.full(len(values), np.nan, dtype=object)
    bad = np.zeros(len(values), dtype=bool)
    ok = codes >= 0
    if len(u):
        out[ok] = np.asarray(new, dtype=object)[codes[ok]]
        bad[ok] = np.asarray(bad_u, dtype=bool)[codes[ok]]
    return pd.Series(out, index=values.index, dtype="string"), bad
