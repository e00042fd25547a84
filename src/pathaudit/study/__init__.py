"""The dual-ladder turnover study: staggered difference-in-differences for researchers.

:func:`att_gt` and :func:`aggregate` are the Callaway–Sant'Anna estimator on any panel (as R
``did``); :func:`dual_ladder_study` runs the whole study on loaded HR data.
"""

from pathaudit.study._aggregate import Aggregate, aggregate
from pathaudit.study._analysis import MIN_UNITS_PER_COHORT, dual_ladder_study
from pathaudit.study._did import AttGt, Pretest, att_gt
from pathaudit.study._result import PARTS, StudyResult

__all__ = [
    "MIN_UNITS_PER_COHORT",
    "PARTS",
    "Aggregate",
    "AttGt",
    "Pretest",
    "StudyResult",
    "aggregate",
    "att_gt",
    "dual_ladder_study",
]
