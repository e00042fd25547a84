"""Compare generated files holding floats: floats to a tolerance, everything else exactly.

Byte equality of floating-point output cannot hold across library versions and BLAS builds
(the last digits of a sum depend on the order of operations). Generated data is therefore
compared with one rule:

- a number that is written with a fraction or an exponent (``0.25``, ``1e-3``, ``nan``) is equal
  to another when ``|a - b| <= max(ATOL, RTOL * max(|a|, |b|))`` (NaN equals NaN);
- text, IDs, whole numbers, dates and keys are compared exactly.

Files are compared by kind: JSON (structure exactly, numbers as above), CSV (same header and
rows, each cell as above), Parquet (same columns, dtypes and values), xlsx (same sheets and
cells), anything else byte for byte.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

RTOL = 1e-9
"""Relative tolerance for floating-point values."""
ATOL = 1e-12
"""Absolute floor, for values at or near zero."""


def floats_close(a: float, b: float) -> bool:
    """Whether two floats are equal under the module's rule (NaN equals NaN)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= max(ATOL, RTOL * max(abs(a), abs(b)))


def _as_float_text(cell: str) -> float | None:
    """The float a CSV cell writes, or None when the cell is text or a whole number."""
    if not any(ch in cell for ch in ".eEnNiI"):
        return None  # IDs, counts and codes: compared as text
    try:
        return float(cell)
    except ValueError:
        return None


def assert_same_json(expected: Any, actual: Any, where: str = "$") -> None:
    """Raise AssertionError at the first place two JSON values differ."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: object expected, found {type(actual)}"
        assert list(expected) == list(actual), f"{where}: keys {list(expected)} != {list(actual)}"
        for key in expected:
            assert_same_json(expected[key], actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: list expected, found {type(actual)}"
        assert len(expected) == len(actual), f"{where}: {len(expected)} != {len(actual)} items"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            assert_same_json(e, a, f"{where}[{i}]")
    elif isinstance(expected, float) or isinstance(actual, float):
        ok = (isinstance(expected, int | float) and isinstance(actual, int | float)
              and not isinstance(expected, bool) and not isinstance(actual, bool)
              and floats_close(float(expected), float(actual)))
        assert ok, f"{where}: {expected!r} != {actual!r}"
    else:
        assert expected == actual, f"{where}: {expected!r} != {actual!r}"


def _assert_same_cells(expected: Any, actual: Any, where: str) -> None:
    if isinstance(expected, str) and isinstance(actual, str):
        fe, fa = _as_float_text(expected), _as_float_text(actual)
        if fe is not None and fa is not None:
            assert floats_close(fe, fa), f"{where}: {expected} != {actual}"
        else:
            assert expected == actual, f"{where}: {expected!r} != {actual!r}"
    elif isinstance(expected, float) and isinstance(actual, float):
        assert floats_close(expected, actual), f"{where}: {expected!r} != {actual!r}"
    else:
        assert type(expected) is type(actual) and expected == actual, (
            f"{where}: {expected!r} != {actual!r}")


def assert_same_frame(expected: pd.DataFrame, actual: pd.DataFrame, name: str = "") -> None:
    """Same columns, dtypes and shape; float columns to the tolerance, the rest exactly."""
    assert list(expected.columns) == list(actual.columns), f"{name}: columns differ"
    assert expected.shape == actual.shape, f"{name}: shape {expected.shape} != {actual.shape}"
    for col in expected.columns:
        e, a = expected[col], actual[col]
        assert e.dtype == a.dtype, f"{name}.{col}: dtype {e.dtype} != {a.dtype}"
        if pd.api.types.is_float_dtype(e):
            ev, av = e.to_numpy(dtype=float), a.to_numpy(dtype=float)
            bad = [i for i in range(len(ev)) if not floats_close(ev[i], av[i])]
            assert not bad, f"{name}.{col}: rows {bad[:5]} differ: {ev[bad[:5]]} != {av[bad[:5]]}"
        else:
            pd.testing.assert_series_equal(e, a, obj=f"{name}.{col}")


def _csv_rows(path: Path) -> list[list[str]]:
    import csv

    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _xlsx_cells(path: Path) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)]
                for ws in book.worksheets}
    finally:
        book.close()


def assert_same_file(expected: str | Path, actual: str | Path) -> None:
    """Raise AssertionError naming the file and place where two generated files differ."""
    expected, actual = Path(expected), Path(actual)
    name = expected.name
    suffix = expected.suffix.lower()
    if suffix == ".json":
        assert_same_json(json.loads(expected.read_text(encoding="utf-8")),
                         json.loads(actual.read_text(encoding="utf-8")), name)
    elif suffix == ".csv":
        e, a = _csv_rows(expected), _csv_rows(actual)
        assert len(e) == len(a), f"{name}: {len(e)} != {len(a)} lines"
        for i, (re_, ra) in enumerate(zip(e, a, strict=True)):
            assert len(re_) == len(ra), f"{name} line {i + 1}: {len(re_)} != {len(ra)} cells"
            for j, (ce, ca) in enumerate(zip(re_, ra, strict=True)):
                _assert_same_cells(ce, ca, f"{name} line {i + 1} column {j + 1}")
    elif suffix == ".parquet":
        assert_same_frame(pd.read_parquet(expected), pd.read_parquet(actual), name)
    elif suffix == ".xlsx":
        e, a = _xlsx_cells(expected), _xlsx_cells(actual)
        assert list(e) == list(a), f"{name}: sheets {list(e)} != {list(a)}"
        for sheet in e:
            assert len(e[sheet]) == len(a[sheet]), f"{name}[{sheet}]: row counts differ"
            for i, (re_, ra) in enumerate(zip(e[sheet], a[sheet], strict=True)):
                assert len(re_) == len(ra), f"{name}[{sheet}] row {i + 1}: widths differ"
                for j, (ce, ca) in enumerate(zip(re_, ra, strict=True)):
                    _assert_same_cells(ce, ca, f"{name}[{sheet}] row {i + 1} column {j + 1}")
    else:
        assert expected.read_bytes() == actual.read_bytes(), f"{name}: bytes differ"


def assert_same_tree(expected: str | Path, actual: str | Path) -> None:
    """Both folders hold the same file names, and each pair passes :func:`assert_same_file`."""
    expected, actual = Path(expected), Path(actual)
    e = sorted(p.relative_to(expected) for p in expected.rglob("*") if p.is_file())
    a = sorted(p.relative_to(actual) for p in actual.rglob("*") if p.is_file())
    assert e == a, f"files differ: only expected {sorted(set(e) - set(a))}, " \
                   f"only actual {sorted(set(a) - set(e))}"
    for rel in e:
        assert_same_file(expected / rel, actual / rel)


def perturb(value: Any, factor: float) -> Any:
    """A copy of a JSON value with every float multiplied by ``factor`` (for tests)."""
    if isinstance(value, dict):
        return {k: perturb(v, factor) for k, v in value.items()}
    if isinstance(value, list):
        return [perturb(v, factor) for v in value]
    if isinstance(value, float):
        return float(np.float64(value) * factor)
    return value
