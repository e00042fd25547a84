"""Argument checks shared by every public function: what must hold, what was found, the fix.

Each check raises :class:`~pathaudit.errors.ArgumentError` (a ``ValueError``) with a message
that names the argument, the value found and what to pass instead, and returns the value in
its canonical form so a caller can write ``alpha = check_alpha(alpha)``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pathaudit.errors import ArgumentError

if TYPE_CHECKING:
    from pathaudit.data import AuditData


def check_data(data: Any, function: str) -> AuditData:
    """``data`` is an :class:`~pathaudit.data.AuditData` (not a path or a DataFrame).

    Examples
    --------
    >>> check_data("data/sample", "pay_parity")
    Traceback (most recent call last):
    ...
    pathaudit.errors.ArgumentError: pay_parity takes loaded data (an AuditData), not str \
'data/sample'. Load it first: data = pathaudit.load('data/sample', 'map.toml').
    """
    from pathaudit.data import AuditData

    if isinstance(data, AuditData):
        return data
    shown = f"{type(data).__name__} {data!r}" if isinstance(data, str) else type(data).__name__
    hint = repr(data) if isinstance(data, str) else "'EXPORT_FOLDER'"
    raise ArgumentError(
        f"{function} takes loaded data (an AuditData), not {shown}. Load it first: "
        f"data = pathaudit.load({hint}, 'map.toml')."
    )


def check_alpha(alpha: Any) -> float:
    """``alpha`` is a number strictly between 0 and 0.5 (a 50% to 100% interval).

    Examples
    --------
    >>> check_alpha(0.1)
    0.1
    """
    ok = isinstance(alpha, int | float | np.floating) and not isinstance(alpha, bool)
    if not ok or not (0 < float(alpha) < 0.5):
        raise ArgumentError(
            f"alpha must be a number between 0 and 0.5 (0.05 gives 95% intervals); "
            f"got {alpha!r}."
        )
    return float(alpha)


def check_choice(value: Any, name: str, choices: Iterable[Any]) -> Any:
    """``value`` is one of ``choices``; the message suggests the closest one.

    Examples
    --------
    >>> check_choice("CRV1", "vcov", ["auto", "CRV1", "CRV3", "HC1"])
    'CRV1'
    """
    options = list(choices)
    if value in options:
        return value
    raise ArgumentError(
        f"{name} must be one of {options}; got {value!r}.{_closest(value, options)}"
    )


def check_choices(
    values: Any, name: str, choices: Iterable[Any], *, allow_none: bool = True
) -> tuple[Any, ...] | None:
    """Every item of ``values`` is one of ``choices``; returns them as a tuple (None stays None).

    Examples
    --------
    >>> check_choices(["rates"], "parts", ["rates", "cox"])
    ('rates',)
    """
    if values is None and allow_none:
        return None
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, Iterable):
        raise ArgumentError(f"{name} must be a list of names; got {values!r}.")
    values = tuple(values)
    options = list(choices)
    bad = [v for v in values if v not in options]
    if bad:
        raise ArgumentError(
            f"{name} must name items of {options}; unknown: {bad}.{_closest(bad[0], options)}"
        )
    return values


def check_columns(
    names: Any, name: str, available: Iterable[str], *, where: str = "the data"
) -> tuple[str, ...]:
    """Each of ``names`` (one name or several) is a column of ``available``.

    Examples
    --------
    >>> check_columns("gender", "group", ["gender", "grade"])
    ('gender',)
    """
    if names is None:
        return ()
    if not isinstance(names, str) and not isinstance(names, Iterable):
        raise ArgumentError(f"{name} must be a column name or a list of them; got {names!r}.")
    listed = (names,) if isinstance(names, str) else tuple(names)
    options = sorted(available)
    bad = [c for c in listed if c not in options]
    if bad:
        raise ArgumentError(
            f"{name} must name columns of {where}: {options}; not found: {bad}."
            f"{_closest(bad[0], options)}"
        )
    return listed


GROUP_COLUMNS: tuple[str, ...] = (
    "gender",
    "ethnicity",
    "age_band",
    "org_unit",
    "job_family",
    "location",
)
"""The columns an analysis can group people by (``group=``, ``by=``): the demographic
columns of ``people`` and the work attributes of ``history``, as spells and exposure carry
them."""


def check_group(
    names: Any,
    name: str,
    table: pd.DataFrame,
    *,
    allowed: Iterable[str] = GROUP_COLUMNS,
    where: str = "the data",
    many: bool = False,
) -> tuple[str, ...]:
    """``names`` are grouping columns that ``table`` has, with at least one value.

    The one check behind every ``group=`` (and the group columns of ``by=``): a misspelt
    name, or a column the export does not have (absent, or present with no value in any
    row), is an error that lists the groupings this data offers, never a silently empty
    result.

    Parameters
    ----------
    names
        One column name, or several when ``many``; None for no grouping.
    name
        The argument's name, for the message.
    table
        The table the analysis groups (spells or exposure).
    allowed
        The columns that may be used (default :data:`GROUP_COLUMNS`).
    where
        What ``table`` is, for the message.
    many
        Whether several columns may be given.

    Returns
    -------
    tuple of str
        The column names (empty for None).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"gender": ["F", "M"], "ethnicity": [None, None]})
    >>> check_group("gender", "group", t)
    ('gender',)
    >>> check_group("gendr", "group", t, where="the spells")
    Traceback (most recent call last):
    ...
    pathaudit.errors.ArgumentError: group must name a grouping column of the spells: \
['gender']; not found: ['gendr']. Did you mean 'gender'?
    >>> check_group("ethnicity", "group", t, where="the spells")
    Traceback (most recent call last):
    ...
    pathaudit.errors.ArgumentError: group must name a grouping column of the spells: \
['gender']; not found: ['ethnicity']. Without values in this data: ['ethnicity'] (map the \
column in the column map to group by it).
    """
    if names is None:
        return ()
    if isinstance(names, str):
        listed: tuple[Any, ...] = (names,)
    elif many and isinstance(names, Iterable):
        listed = tuple(names)
    else:
        kind = "a column name or a list of them" if many else "one column name (a str)"
        raise ArgumentError(f"{name} must be {kind}; got {names!r}.")
    options = [c for c in allowed if c in table.columns and bool(table[c].notna().any())]
    empty = [c for c in allowed if c not in options]
    bad = [c for c in listed if c not in options]
    if bad:
        hint = _closest(bad[0], options)
        missing = [c for c in bad if c in empty]
        if missing:
            hint += (
                f" Without values in this data: {missing} (map the column in the column map "
                "to group by it)."
            )
        raise ArgumentError(
            f"{name} must name a grouping column of {where}: {options}; not found: {bad}.{hint}"
        )
    return tuple(str(c) for c in listed)


def check_number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    integer: bool = False,
    low_open: bool = False,
) -> float | int:
    """``value`` is a (whole) number within ``[low, high]`` (``(low, high]`` if ``low_open``).

    Examples
    --------
    >>> check_number(3, "horizon", low=0, low_open=True)
    3
    """
    is_num = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool
    )
    if is_num and integer and float(value) != int(value):
        is_num = False
    ok = is_num and np.isfinite(float(value))
    if ok and low is not None:
        ok = float(value) > low if low_open else float(value) >= low
    if ok and high is not None:
        ok = float(value) <= high
    if not ok:
        kind = "a whole number" if integer else "a number"
        lo = "" if low is None else (f" above {low:g}" if low_open else f" at least {low:g}")
        hi = "" if high is None else f" at most {high:g}"
        joiner = " and" if lo and hi else ""
        raise ArgumentError(f"{name} must be {kind}{lo}{joiner}{hi}; got {value!r}.")
    return int(value) if integer else float(value)


def check_k(k: Any, data: AuditData | None = None) -> int:
    """The minimum cell size: None (the map's, default 5) or a whole number of at least 1."""
    if k is None:
        return data.min_cell_size if data is not None else 5
    return int(check_number(k, "k (the minimum cell size)", low=1, integer=True))


def check_parts(parts: Any, available: Sequence[str]) -> tuple[str, ...]:
    """The parts to compute: None (all of ``available``) or names among them, in their order."""
    chosen = check_choices(parts, "parts", available)
    if chosen is None:
        return tuple(available)
    return tuple(p for p in available if p in chosen)


def _closest(value: Any, options: Sequence[Any]) -> str:
    close = difflib.get_close_matches(str(value), [str(o) for o in options], n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""
