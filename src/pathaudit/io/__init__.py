"""Reading exports through a column map into canonical tables, with every check at the boundary.

Public: :func:`load`, :func:`validate`, :func:`explain_map`, the column map
(:mod:`~pathaudit.io.mapping`), the canonical schema (:mod:`~pathaudit.io.schema`), privacy
at the boundary (:mod:`~pathaudit.io.privacy`) and the run manifest
(:mod:`~pathaudit.io.manifest`). Modules named ``_*`` are private phases of loading.
"""

from pathaudit.io._explain import explain_map
from pathaudit.io._load import load, validate
from pathaudit.io.mapping import ColumnMap, parse_map

__all__ = ["ColumnMap", "explain_map", "load", "parse_map", "validate"]
