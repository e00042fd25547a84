"""The leader's quarterly equity report: one self-contained HTML page (and PDF).

:func:`build_report` reads the analyses' headline figures and parts (the one analysis
contract), so a new analysis appears in the report by declaring its headline. Page 1 holds
the verdict per question; then the trends over the last 8 fiscal quarters, the
forced-into-management profile by unit, each analysis's figures and the appendix (data
quality, definitions, methods, run manifest). Sentences come from :mod:`.narrate`, the
functions the notebooks use too. Sections, thresholds, the trend window and the change rule
are documented in ``docs/report.md``.
"""

from pathaudit.report import narrate
from pathaudit.report._analyses import analysis_options
from pathaudit.report._build import DEFAULT_SEED, Report, build_report
from pathaudit.report._format import Formatter
from pathaudit.report._pdf import print_pdf
from pathaudit.report._trends import (
    change_between,
    last_complete_quarter,
    quarter_end,
)

__all__ = [
    "DEFAULT_SEED",
    "Formatter",
    "Report",
    "analysis_options",
    "build_report",
    "change_between",
    "last_complete_quarter",
    "narrate",
    "print_pdf",
    "quarter_end",
]
