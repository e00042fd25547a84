"""Printing the report to PDF with headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from pathaudit.errors import InputError

BROWSERS: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome")
"""Programs tried, in order, to print the PDF."""

# fmt: off
CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
# fmt: on
"""Flags of every headless Chromium run (no network, no profile, no updates)."""


def print_pdf(html: Path, out: Path, timeout: float = 120) -> Path:
    """Print an HTML file to PDF (A4, the page's print CSS) with headless Chromium.

    Parameters
    ----------
    html
        The HTML file (a report written by :meth:`Report.write`).
    out
        The PDF to write.
    timeout
        Seconds Chromium may take.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    InputError
        When no Chromium is installed (with how to install it), or it fails.

    Examples
    --------
    >>> print_pdf(Path("report.html"), Path("report.pdf"))  # doctest: +SKIP
    PosixPath('report.pdf')
    """
    browser = next((b for b in BROWSERS if shutil.which(b)), None)
    if browser is None:
        raise InputError(
            "Printing the PDF needs Chromium, which is not installed (looked for "
            f"{', '.join(BROWSERS)}). Install it (Debian: apt-get install chromium), or write "
            "the HTML only and print it from a browser (A4, the page has print styles)."
        )
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            html.resolve().as_uri(),
        ]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if run.returncode != 0 or not out.is_file():
        raise InputError(
            f"Chromium could not print {html.name} to PDF "
            f"(exit {run.returncode}): {run.stderr.strip()[-500:]}"
        )
    return out
