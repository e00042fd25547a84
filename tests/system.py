"""Tests that need a program of the operating system (a browser, R, a JVM).

Such a test calls :func:`require_program` first. On a machine without the program the test
skips and says why; where ``PATHAUDIT_REQUIRE_SYSTEM=1`` (set by ``.ci/run``, which installs
the programs) the same absence fails the test, so CI cannot pass on a skip.
"""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_ENV = "PATHAUDIT_REQUIRE_SYSTEM"
"""Environment variable that turns a missing system program into a failure."""


def require_program(*names: str, purpose: str, debian: str) -> str:
    """Path of the first of ``names`` on PATH; otherwise skip (or fail under CI).

    Parameters
    ----------
    *names
        Executable names to try, in order.
    purpose
        What the test uses the program for (printed with the skip).
    debian
        The Debian package(s) that provide it (printed with the skip).
    """
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    reason = (f"{' or '.join(names)} not found: {purpose} needs it "
              f"(apt-get install {debian}; .ci/run installs it)")
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}; {REQUIRE_ENV}=1 makes this a failure")
    pytest.skip(reason)
