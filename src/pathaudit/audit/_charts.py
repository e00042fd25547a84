"""The charts of an audit: an SVG per published part that has a chart."""

from __future__ import annotations

from pathlib import Path

from pathaudit.audit._layout import CHART_FORMATS
from pathaudit.result import AnalysisResult


def write_charts(result: AnalysisResult, folder: str | Path) -> list[Path]:
    """Save the chart of every part of ``result`` that has one, as SVG.

    Each part is drawn once (:func:`pathaudit.report._charts.part_svg`, from its published
    table) and the drawing is kept on the result: the report embeds the same SVG instead of
    drawing the part again.

    Parameters
    ----------
    result
        A computed analysis; charts draw its published parts only (the publish stage).
    folder
        Where the files go: ``<analysis>__<part>.svg`` (:data:`CHART_FORMATS`).

    Returns
    -------
    list of pathlib.Path
        The files written.

    Examples
    --------
    >>> import pathaudit, tempfile
    >>> res = pathaudit.attrition(data, parts=["rates"])  # doctest: +SKIP
    >>> [p.name for p in write_charts(res, tempfile.mkdtemp())]  # doctest: +SKIP
    ['attrition__rates.svg']
    """
    from pathaudit.report._charts import part_svg

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for part in result.plottable():
        svg = part_svg(result, part)
        for fmt in CHART_FORMATS:  # SVG only: see CHART_FORMATS
            path = folder / f"{result.ANALYSIS}__{part}.{fmt}"
            path.write_bytes(svg)
            written.append(path)
    return written
