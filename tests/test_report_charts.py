"""Chart drawing (report/_charts.py): tight margins measured once, each SVG drawn in one pass."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from pathaudit.management._common import OVERALL, plot_headline
from pathaudit.report._charts import PART_SIZE, _new_figure, fit_margins, svg_bytes


def _categorical(ax):
    ax.plot([0.2, 1.7], [0, 5], "o")
    ax.set_yticks(range(6), [f"org_unit unit with a long name {i}" for i in range(6)],
                  fontsize=8)
    ax.set_title("a title, left\nand its second line", fontsize=9, loc="left")


def _rotated_and_legend_outside(ax):
    ax.imshow(np.ones((4, 9, 3)), aspect="auto")
    ax.set_xticks(range(9), [f"figure_key_{i}" for i in range(9)], rotation=40, ha="right")
    ax.bar([0], [0], label="flagged")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=7.5)
    ax.text(3, 2, "0.66", ha="center", va="center", fontsize=7)


def _log_axis_and_labels(ax):
    ax.errorbar([0.5, 1.2, 3.0], [2, 1, 0], xerr=[[0.2, 0.3, 1.0], [0.4, 0.5, 2.0]], fmt="o")
    ax.set_xscale("log")
    ax.set_xlabel("hazard ratio (log scale)")
    ax.set_ylabel("exits per 100 person-years")
    ax.set_title("Voluntary exit: hazard ratios, 95% CI")


@pytest.mark.parametrize("draw", [_categorical, _rotated_and_legend_outside,
                                  _log_axis_and_labels])
@pytest.mark.parametrize("size", [PART_SIZE, (9.0, 4.8)])
def test_fitted_margins_are_the_tight_layouts(draw, size):
    fitted, tight = _new_figure(size), _new_figure(size)
    for fig in (fitted, tight):
        draw(fig.subplots())
    fit_margins(fitted)
    tight.tight_layout()
    got, want = fitted.subplotpars, tight.subplotpars
    assert (got.left, got.right, got.bottom, got.top) == (want.left, want.right, want.bottom,
                                                          want.top)
    assert (got.left, got.top) != (0.125, 0.88)  # fitted: not the default margins


def test_a_figure_of_several_axes_gets_the_tight_layout_itself():
    fitted, tight = _new_figure(PART_SIZE), _new_figure(PART_SIZE)
    for fig in (fitted, tight):
        a, b = fig.subplots(1, 2)
        _categorical(a)
        _log_axis_and_labels(b)
    fit_margins(fitted)
    tight.tight_layout()
    assert vars(fitted.subplotpars) == vars(tight.subplotpars)


def test_the_svg_is_drawn_once(monkeypatch):
    fig = _new_figure(PART_SIZE)
    _log_axis_and_labels(fig.subplots())
    fit_margins(fig)
    assert fig.get_layout_engine() is None
    draws = []
    original = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda self, r: (draws.append(r), original(self, r)))
    svg = svg_bytes(fig)
    assert len(draws) == 1 and svg.startswith(b"<?xml")


def _indicator():
    table = pd.DataFrame({
        "measure": "premium",
        "grade": np.nan,
        "by": [OVERALL, "org_unit", "org_unit", "year"],
        "group": ["all", "Data", "Growth", "2024"],
        "estimate": [0.07, 0.03, np.nan, 0.05],
        "ci_lower": [0.05, 0.01, np.nan, 0.02],
        "ci_upper": [0.08, 0.05, np.nan, 0.09],
    })
    return SimpleNamespace(table=table, meta={"headline": "premium", "analysis": "switch_premium",
                                              "alpha": 0.05})


def test_headline_chart_draws_each_row_with_a_few_artists():
    fig = _new_figure(PART_SIZE)
    ax = plot_headline(_indicator(), fig.subplots())
    (bars,) = ax.collections  # one interval per estimable row, in one collection
    segments = [s[:, 0].tolist() for s in bars.get_segments()]
    assert segments == [[0.05, 0.08], [0.01, 0.05], [0.02, 0.09]]
    assert [s[0, 1] for s in bars.get_segments()] == [3.0, 2.0, 0.0]  # top row first
    dots = {to_hex(line.get_color()): line.get_xydata().tolist() for line in ax.lines}
    assert dots == {"#263238": [[0.07, 3.0]], "#607d8b": [[0.03, 2.0], [0.05, 0.0]]}
    assert [t.get_text() for t in ax.texts] == ["–"]  # the suppressed row: a dash
    labels = dict(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()],
                      strict=True))
    assert labels == {3: "whole organisation", 2: "org_unit Data", 1: "org_unit Growth",
                      0: "year 2024"}
    assert ax.get_title(loc="left") == "switch_premium: premium (95% CI)"
