"""Test-session settings shared by every test file."""

import os

# One BLAS thread per process: the suite runs on two xdist workers, and multi-threaded BLAS on
# a small machine makes the regression-heavy tests many times slower (oversubscription).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("MPLBACKEND", "Agg")
