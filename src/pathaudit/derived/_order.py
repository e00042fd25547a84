"""Whether rows are already in the order of some keys: the one check of the derivation's order.

The derivation writes spells and exposure sorted by person, episode and start; the
analyses check that order in one linear pass and sort only when it does not hold (an
edited table), instead of sorting every row each time.
"""

from __future__ import annotations

import numpy as np


def in_order(*keys: np.ndarray, strict: bool = False) -> bool:
    """Whether rows are sorted by ``keys``, the first key the most significant.

    Parameters
    ----------
    *keys
        One array per key, all of one length (at least one key).
    strict
        When True, two neighbouring rows equal on every key break the order (each row
        must come strictly after the one before); by default ties are allowed.

    Returns
    -------
    bool
        True when every row is, on the keys compared in turn, after (or, unless
        ``strict``, equal to) the row before it. An empty table or one row is in
        order. A missing value (NaN) is never in order.

    Examples
    --------
    >>> in_order(np.array([1, 1, 2]), np.array([5, 5, 0]))
    True
    >>> in_order(np.array([1, 1, 2]), np.array([5, 5, 0]), strict=True)
    False
    >>> in_order(np.array([1, 1]), np.array([3, 2]))
    False
    """
    if not keys:
        raise ValueError("in_order needs at least one key: pass the arrays to compare")
    n = len(keys[0])
    if any(len(k) != n for k in keys):
        raise ValueError(
            f"in_order: keys of different lengths ({[len(k) for k in keys]}); pass one "
            "value per row in every key"
        )
    if n < 2:
        return True
    after = np.zeros(n - 1, dtype=bool)  # already after the row before, on an earlier key
    tied = np.ones(n - 1, dtype=bool)  # equal to the row before on every key so far
    for key in keys:
        k = np.asarray(key)
        after |= tied & (k[1:] > k[:-1])
        tied &= k[1:] == k[:-1]
    if not strict:
        after |= tied
    return bool(after.all())


def order_of(*keys: np.ndarray) -> np.ndarray | None:
    """The stable sort of rows by ``keys`` (first the most significant); None when in order.

    Parameters
    ----------
    *keys
        One array per key, all of one length (at least one key).

    Returns
    -------
    numpy.ndarray or None
        None when the rows are already in order (ties allowed, :func:`in_order`), else
        ``numpy.lexsort`` of the keys (the last key given to lexsort first).

    Examples
    --------
    >>> order_of(np.array([1, 2]), np.array([0, 0])) is None
    True
    >>> order_of(np.array([2, 1, 1]), np.array([0, 4, 3])).tolist()
    [2, 1, 0]
    """
    if in_order(*keys):
        return None
    return np.lexsort(tuple(np.asarray(k) for k in reversed(keys)))
