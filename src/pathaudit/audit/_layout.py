"""Names of an audit: its analyses, the output folder's fixed files and subfolders, the seed."""

from __future__ import annotations

from collections.abc import Callable

from pathaudit.stats.intervals import BOOTSTRAP_SEED

ANALYSES: tuple[str, ...] = (
    "pay_parity",
    "time_to_promotion",
    "forced_management",
    "attrition",
    "eu_pay_transparency",
    "uk_gender_pay_gap",
)
"""The analyses of the audit, in report order."""

FILING_ANALYSES: tuple[str, ...] = ("eu_pay_transparency", "uk_gender_pay_gap")
"""The analyses with a restricted filing output (``filing=True``, ``--filing``)."""

FILING_DIR = "restricted"
"""Subfolder of the filing output: unsuppressed figures, written only with ``--filing``."""

DEFAULT_SEED: int = BOOTSTRAP_SEED
"""The one default seed of every resampling step (bootstrap, matching), for the library and
the command line alike, so the same interval is the same in a CSV and in a notebook."""

CHARTS_DIR = "charts"
"""Folder of the charts (SVG) in an output folder."""
CHART_FORMATS: tuple[str, ...] = ("svg",)
"""Formats each chart is saved in: SVG, the vector drawing (sharp at any size, opens in every
browser and office suite, text kept as text), the same drawing the report embeds. A PNG of
every part, drawn a second time by another renderer, cost about 40% of the charts' time."""

MANIFEST = "manifest.json"
"""The file that marks a folder as a pathaudit output."""
README = "README.txt"
"""The index of every file in an output folder."""
REPORT = "report.html"
"""The leader's report in an output folder."""
ERROR_LOG = "pathaudit-error.log"
"""File name of the traceback the command line writes on an internal error."""

Progress = Callable[[str], None]
"""A callable told the name of each step as it starts (the command line prints it)."""
