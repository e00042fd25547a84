"""docs/api.md states the public API exactly as the package exports it.

Regenerate it after a change of the public API with ``python tests/test_api_doc.py``, and list
every renamed or removed name in CHANGELOG.md.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"

PACKAGES = ("pathaudit", "pathaudit.io", "pathaudit.derived", "pathaudit.stats",
            "pathaudit.parity", "pathaudit.promotion", "pathaudit.attrition",
            "pathaudit.management", "pathaudit.simulate")
"""Packages whose ``__all__`` is their public API."""

MODULES = ("pathaudit.data", "pathaudit.result", "pathaudit.headline", "pathaudit.checks",
           "pathaudit.output", "pathaudit.quality", "pathaudit.errors", "pathaudit.audit",
           "pathaudit.io.mapping", "pathaudit.io.schema", "pathaudit.io.privacy",
           "pathaudit.io.manifest", "pathaudit.stats.intervals", "pathaudit.stats.survival",
           "pathaudit.stats.regression", "pathaudit.stats.matching",
           "pathaudit.simulate.config", "pathaudit.simulate.truth")
"""Public modules: every name they define without a leading underscore is public."""


def _first_line(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _names(name: str) -> list[str]:
    mod = importlib.import_module(name)
    if name in PACKAGES:
        return list(mod.__all__)
    return sorted(
        n for n, v in vars(mod).items()
        if not n.startswith("_") and (
            (inspect.isfunction(v) or inspect.isclass(v)) and v.__module__ == name)
    )


def render() -> str:
    """docs/api.md as the package defines it now."""
    lines = [
        "# Public API",
        "",
        "What pathaudit exports, generated from the package (`python tests/test_api_doc.py`;",
        "`tests/test_api_doc.py` fails when this page and the package disagree). Everything",
        "else, and every module named `_*`, is private and may change without notice;",
        "`CHANGELOG.md` lists every renamed or removed public name.",
        "",
    ]
    for name in PACKAGES + MODULES:
        mod = importlib.import_module(name)
        lines += [f"## `{name}`", "", _first_line(mod), ""]
        for item in _names(name):
            obj = getattr(mod, item)
            summary = _first_line(obj) if (inspect.isfunction(obj) or inspect.isclass(obj)) else ""
            lines.append(f"- `{item}`" + (f": {summary}" if summary else ""))
        lines.append("")
    return "\n".join(lines)


def test_api_doc_matches_the_package():
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/api.md is out of date: run python tests/test_api_doc.py")


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    sys.exit(0)
