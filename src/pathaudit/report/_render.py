"""Render the report's context with its Jinja2 template (autoescaped, no script)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

TEMPLATE = "report.html.j2"
"""The one template of the report (``report/templates``)."""


@lru_cache(maxsize=1)
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("pathaudit.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(context: dict[str, Any]) -> str:
    """The HTML page of a report context (see :func:`pathaudit.report.build_report`)."""
    return str(_environment().get_template(TEMPLATE).render(**context))
