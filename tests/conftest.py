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


@pytest.fixture(scope="session")
def sample_audit(tmp_path_factory):
    """``pathaudit audit`` of the sample, run once per session: (output folder, printed text).

    Tests read the folder and the text; none writes into it.
    """
    import contextlib
    import io

    from pathaudit.cli import main
    from pathaudit.sample import sample_dir

    out = tmp_path_factory.mktemp("sample-audit") / "audit"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["audit", str(sample_dir()), "--map", str(sample_dir() / "map.toml"),
                     "--out", str(out)])
    assert code == 0
    return out, printed.getvalue()
