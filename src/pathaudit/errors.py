"""Package exceptions and warnings.

Every error says what must hold, what was found and how to fix it. Error texts
that tests compare exactly live here as constants.
"""

from __future__ import annotations


class PathauditError(ValueError):
    """Base class of every pathaudit error (a ``ValueError``)."""


class MapError(PathauditError):
    """The column map is missing, malformed or inconsistent with the export."""


class InputError(PathauditError):
    """An input file cannot be used as it is (fatal data-quality problem)."""


class PrivacyError(PathauditError):
    """An input holds direct identifiers, or an output would reveal a person."""


class NeedsHistoryError(PathauditError):
    """The analysis needs effective-dated history and the data is a snapshot."""


class StatisticalWarning(UserWarning):
    """A statistical caveat: low power, small cells, a model that did not converge."""


class ArgumentError(PathauditError):
    """An argument of a public function is out of range, of the wrong kind, or unknown."""


class OutputFolderError(PathauditError):
    """The output folder cannot be written as asked.

    It is a file, the current folder, a folder holding the export, or another program's
    non-empty folder (without ``overwrite``).
    """


SNAPSHOT_ONLY = (
    "{analysis} needs effective-dated job history, but this dataset is a snapshot-only "
    "export (one row per person). {what} Load a history export (one row per person per "
    "change) to compute it."
)
"""Message for analyses that cannot run on snapshot data; format with analysis and what."""
