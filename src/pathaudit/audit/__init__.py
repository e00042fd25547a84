"""Run every analysis on one dataset and write the hand-over folder.

Output folder layout (stable names; ``docs/audit-output.md`` lists every file and key,
generated from the results' metadata by :func:`output_doc`)::

    OUT/
      README.txt                        index of every file in the folder: what it holds
      report.html                       the leader's report (self-contained HTML)
      summary.json                      every analysis's headline table, notes and warnings
      manifest.json                     run manifest: version, map, input hashes, as-of, seed, k
      <analysis>.json                   one analysis in the versioned output schema
      data_quality.csv                  every data-quality finding (rule, action, rows)
      tables/<analysis>__<part>[__<table>].csv   each table, rounded for display
      data/<analysis>__<part>[__<table>].parquet the same table at full precision
      charts/<analysis>__<part>.svg              the chart of each part that has one

Every CSV is written formula-safe (no cell starts a spreadsheet formula) and holds no
person-level rows. Everything an audit writes passes the publish stage
(:func:`~pathaudit.output.publish`) together; charts draw the published tables only.

The folder is built in a temporary folder beside ``OUT`` and swapped in on success (the
previous output is renamed aside, the new one renamed in, the previous one deleted), so an
interrupted or failed run leaves the previous output as it was and no stale file survives.
A non-empty ``OUT`` that is not a previous pathaudit output (no ``manifest.json`` written by
pathaudit) is refused unless ``overwrite=True``.
"""

from __future__ import annotations

# The module this package replaced also exposed the names it imported; they stay importable
# from here, so no ``from pathaudit.audit import X`` that worked before breaks.
import json as json
import shutil as shutil
import tempfile as tempfile
import uuid as uuid
import warnings as warnings
from collections.abc import Callable as Callable
from collections.abc import Iterator as Iterator
from collections.abc import Sequence as Sequence
from pathlib import Path as Path
from typing import Any as Any

from pathaudit.audit._charts import write_charts
from pathaudit.audit._doc import ANALYSIS_KEYS as ANALYSIS_KEYS
from pathaudit.audit._doc import HEADLINE_KEYS as HEADLINE_KEYS
from pathaudit.audit._doc import MANIFEST_KEYS as MANIFEST_KEYS
from pathaudit.audit._doc import SUMMARY_KEYS as SUMMARY_KEYS
from pathaudit.audit._doc import key_paths, output_doc, undocumented_keys
from pathaudit.audit._engine import run_engine_audit
from pathaudit.audit._folder import OUT_IS_CWD as OUT_IS_CWD
from pathaudit.audit._folder import OUT_IS_FILE as OUT_IS_FILE
from pathaudit.audit._folder import OUT_NOT_EMPTY as OUT_NOT_EMPTY
from pathaudit.audit._folder import check_output_folder
from pathaudit.audit._index import STATIC_FILES as STATIC_FILES
from pathaudit.audit._index import describe_files, readme_text
from pathaudit.audit._layout import ANALYSES as ANALYSES
from pathaudit.audit._layout import CHART_FORMATS as CHART_FORMATS
from pathaudit.audit._layout import CHARTS_DIR as CHARTS_DIR
from pathaudit.audit._layout import DEFAULT_SEED as DEFAULT_SEED
from pathaudit.audit._layout import ERROR_LOG as ERROR_LOG
from pathaudit.audit._layout import FILING_ANALYSES as FILING_ANALYSES
from pathaudit.audit._layout import FILING_DIR as FILING_DIR
from pathaudit.audit._layout import MANIFEST as MANIFEST
from pathaudit.audit._layout import README as README
from pathaudit.audit._layout import REPORT as REPORT
from pathaudit.audit._layout import Progress as Progress
from pathaudit.audit._run import run_audit
from pathaudit.checks import check_choices as check_choices
from pathaudit.checks import check_data as check_data
from pathaudit.checks import check_number as check_number
from pathaudit.data import AuditData as AuditData
from pathaudit.errors import NeedsHistoryError as NeedsHistoryError
from pathaudit.errors import OutputFolderError as OutputFolderError
from pathaudit.errors import PathauditError as PathauditError
from pathaudit.errors import StatisticalWarning as StatisticalWarning
from pathaudit.output import DATA_DIR as DATA_DIR
from pathaudit.output import DISPLAY_DIGITS as DISPLAY_DIGITS
from pathaudit.output import TABLES_DIR as TABLES_DIR
from pathaudit.output import json_safe as json_safe
from pathaudit.output import write_analysis as write_analysis
from pathaudit.output import write_parquet as write_parquet
from pathaudit.output import write_table as write_table
from pathaudit.result import OUTPUT_SCHEMA_VERSION as OUTPUT_SCHEMA_VERSION
from pathaudit.result import AnalysisResult as AnalysisResult
from pathaudit.stats.intervals import BOOTSTRAP_SEED as BOOTSTRAP_SEED

# the public functions are documented (docs/api.md) and shown under this package's name
for _function in (check_output_folder, describe_files, key_paths, output_doc, readme_text,
                  run_audit, run_engine_audit, undocumented_keys, write_charts):
    _function.__module__ = __name__
del _function
