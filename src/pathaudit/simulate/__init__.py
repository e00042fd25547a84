"""The simulated organisation: HR data whose truth is known.

Public: :func:`simulate`, :class:`Simulation`, the shared cached set of the coverage studies
(:func:`cached_organisations`), the shipped sample (:func:`write_sample`), the configurations
(:mod:`~pathaudit.simulate.config`) and the truth (:mod:`~pathaudit.simulate.truth`).
``python -m pathaudit.simulate --out DIR`` writes one organisation.
"""

from pathaudit.simulate._run import (
    SAMPLE_SEED,
    Simulation,
    cache_dir,
    cached_organisations,
    simulate,
    write_preset,
    write_sample,
)
from pathaudit.simulate.config import SimConfig

__all__ = [
    "SAMPLE_SEED",
    "SimConfig",
    "Simulation",
    "cache_dir",
    "cached_organisations",
    "simulate",
    "write_preset",
    "write_sample",
]
