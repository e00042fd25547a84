"""Modules imported on first use, so that ``import pathaudit`` stays fast.

``scipy.stats`` alone takes about half a second to import; the analyses need it only
when they compute an interval or a p-value.
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """A module imported on first attribute access.

    Parameters
    ----------
    name
        Dotted module name, e.g. ``"scipy.stats"``.

    Examples
    --------
    >>> sps = LazyModule("scipy.stats")
    >>> round(float(sps.norm.ppf(0.975)), 2)
    1.96
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"LazyModule({self._name!r})"
