"""The charts of an audit: a PNG and an SVG per published part that has a chart."""

from __future__ import annotations

import warnings
from pathlib import Path

from pathaudit.audit._layout import CHART_FORMATS
from pathaudit.result import AnalysisResult


def write_charts(result: AnalysisResult, folder: str | Path) -> list[Path]:
    """Save the chart of every part of ``result`` that has one, as PNG and SVG.

    Parameters
    ----------
    result
        A computed analysis; charts draw its published parts only (the publish stage).
    folder
        Where the files go: ``<analysis>__<part>.png`` and ``.svg``.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Examples
    --------
    >>> import pathaudit, tempfile
    >>> res = pathaudit.attrition(data, parts=["rates"])  # doctest: +SKIP
    >>> [p.name for p in write_charts(res, tempfile.mkdtemp())]  # doctest: +SKIP
    ['attrition__rates.png', 'attrition__rates.svg']
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    shown = result.published()  # the publish stage once, not once per chart
    with matplotlib.rc_context({"svg.hashsalt": "pathaudit", "svg.fonttype": "none"}), \
            warnings.catch_warnings():
        # a part whose groups are all suppressed draws no labelled artist: its empty legend
        # is expected, not a problem
        warnings.filterwarnings("ignore", message="No artists with labels found",
                                category=UserWarning)
        for part in result.plottable():
            fig, ax = plt.subplots(figsize=(7, 4))
            try:
                shown[part].plot(ax)
                fig.tight_layout()
                for fmt in CHART_FORMATS:
                    path = folder / f"{result.ANALYSIS}__{part}.{fmt}"
                    meta = {"Date": None} if fmt == "svg" else {"Software": None}
                    fig.savefig(path, format=fmt, dpi=150, metadata=meta)
                    written.append(path)
            finally:
                plt.close(fig)
    return written
