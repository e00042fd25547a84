import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pathaudit.result import SUPPRESSED_MARK, make_result, suppress


def _table(ns):
    return pd.DataFrame(
        {
            "grade": np.arange(len(ns)),
            "track": ["IC"] * len(ns),
            "estimate": np.linspace(1, 2, len(ns)),
            "ci_lower": np.linspace(0, 1, len(ns)),
            "ci_upper": np.linspace(2, 3, len(ns)),
            "n": ns,
        }
    )


def test_small_cells_blanked_and_marked():
    out = suppress(_table([3, 12, 40]), 5)
    assert out["suppressed"].tolist() == [True, False, False]
    assert out.loc[0, ["estimate", "ci_lower", "ci_upper", "n"]].isna().all()
    assert out.loc[1, "estimate"] == 1.5


def test_complementary_suppression_hides_second_cell():
    t = _table([3, 12, 40])
    out = suppress(t, 5, complementary_by=["track"])
    # one small cell in the group plus a displayed total would reveal it: the next smallest goes
    assert out["suppressed"].tolist() == [True, True, False]


def test_display_shows_dash_not_zero():
    r = make_result(
        _table([2, 30]), analysis="a", definition="d", method="m", population="p", k=5
    )
    shown = r.display_table()
    assert shown.loc[0, "estimate"] == SUPPRESSED_MARK
    assert "suppressed" in r.summary()
    assert "<table>" in r._repr_html_()
    assert r.meta["k"] == 5 and r.meta["alpha"] == 0.05


@settings(max_examples=100, deadline=None)
@given(ns=st.lists(st.integers(0, 30), min_size=1, max_size=12), k=st.integers(1, 11))
def test_no_unsuppressed_cell_below_k(ns, k):
    out = suppress(_table(ns), k, complementary_by=["track"])
    shown = out.loc[~out["suppressed"]]
    assert (shown["n"] >= k).all()
    # complementary rule: never exactly one suppressed cell in a group of several
    if len(ns) > 1 and out["suppressed"].any() and not out["suppressed"].all():
        assert out["suppressed"].sum() >= 2
