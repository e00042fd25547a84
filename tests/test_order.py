"""The one check of row order (derived._order) against numpy's lexsort."""

from __future__ import annotations

import numpy as np
import pytest

from pathaudit.derived._order import in_order, order_of


def _sorted_by_lexsort(keys, strict):
    """Reference: the rows equal their lexsort (and, if strict, no two rows alike)."""
    n = len(keys[0])
    if not np.array_equal(np.lexsort(keys[::-1]), np.arange(n)):
        # lexsort is stable: rows already in order keep their places
        return False
    if strict and n > 1:
        alike = np.ones(n - 1, dtype=bool)
        for k in keys:
            alike &= k[1:] == k[:-1]
        return not alike.any()
    return True


@pytest.mark.parametrize("strict", [False, True])
def test_in_order_agrees_with_lexsort_on_random_rows(strict):
    rng = np.random.default_rng(7)
    seen = {True: 0, False: 0}
    for trial in range(400):
        n = int(rng.integers(0, 9))
        n_keys = int(rng.integers(1, 4))
        keys = [rng.integers(0, 3, n) for _ in range(n_keys)]
        if trial % 2:  # half of them sorted, so that both answers are tested
            order = np.lexsort(keys[::-1])
            keys = [k[order] for k in keys]
        want = _sorted_by_lexsort(keys, strict)
        seen[want] += 1
        assert in_order(*keys, strict=strict) is want, (keys, strict)
        got = order_of(*keys)
        if not strict:
            if want:
                assert got is None
            else:
                assert np.array_equal(got, np.lexsort(keys[::-1]))
    assert seen[True] > 50 and seen[False] > 50


def test_ties_equal_rows_empty_and_one_row():
    a = np.array([1, 1, 2])
    assert in_order(a, np.array([4, 4, 0]))  # equal rows allowed
    assert not in_order(a, np.array([4, 4, 0]), strict=True)  # not when strict
    assert in_order(a, np.array([4, 5, 0]), strict=True)
    assert in_order(a, np.array([5, 4, 0])) is False  # tie on the first key, broken on the second
    assert in_order(np.array([1, 2]), np.array([9, 0]), strict=True)  # first key decides
    for n in (0, 1):
        assert in_order(np.arange(n), strict=True)
        assert order_of(np.arange(n), np.arange(n)) is None
    assert np.array_equal(order_of(np.array([2, 1, 1]), np.array([0, 4, 3])), [2, 1, 0])


def test_missing_values_are_not_in_order():
    assert not in_order(np.array([1.0, np.nan, 2.0]))
    assert np.array_equal(order_of(np.array([np.nan, 1.0])), [1, 0])


def test_bad_keys_are_refused():
    with pytest.raises(ValueError, match="at least one key"):
        in_order()
    with pytest.raises(ValueError, match="different lengths"):
        in_order(np.arange(3), np.arange(2))
