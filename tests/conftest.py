"""Test-session settings and the fixtures shared by the test files (builders: builders.py)."""

import os

import pytest

# One BLAS thread per process: the suite runs on two xdist workers, and multi-threaded BLAS on
# a small machine makes the regression-heavy tests many times slower (oversubscription).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def sample_data():
    """The bundled sample export, loaded once per session (treat as read-only)."""
    import pathaudit
    from pathaudit.sample import sample_dir

    return pathaudit.load(sample_dir(), sample_dir() / "map.toml")
