"""The dual-ladder turnover study: staggered difference-in-differences for researchers.

:func:`att_gt` and :func:`aggregate` are the Callaway–Sant'Anna estimator on any panel (as R
``did``); :func:`dual_ladder_study` runs the whole study on loaded HR data.
"""

from pathaudit.study._did import Aggregate, AttGt, Pretest, aggregate, att_gt

__all__ = ["Aggregate", "AttGt", "Pretest", "aggregate", "att_gt"]
