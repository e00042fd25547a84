"""The output folder's hygiene: which folder may receive an audit, and the swap-in."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

from pathaudit.audit._layout import ERROR_LOG, MANIFEST
from pathaudit.errors import OutputFolderError

OUT_IS_FILE = "--out {out} is a file, not a folder. Name a folder for the audit output."
OUT_IS_CWD = (
    "--out {out} is the current folder (or holds it): the audit replaces its output folder as "
    "a whole. Name a folder of its own, e.g. --out audit-out."
)
OUT_NOT_EMPTY = (
    "The output folder {out} is not empty and is not a previous pathaudit output (it has no "
    "manifest.json written by pathaudit); it holds {found}. Name a new or empty folder, or "
    "pass --overwrite to replace everything in it."
)


def _is_pathaudit_output(folder: Path) -> bool:
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("package") == "pathaudit"


def check_output_folder(out: str | Path, *, overwrite: bool = False) -> Path:
    """Check that ``out`` may receive an audit; return it as a path.

    Parameters
    ----------
    out
        The output folder. It may be missing, empty, a previous pathaudit output (its
        ``manifest.json`` says so), or, with ``overwrite``, any folder.
    overwrite
        Replace a non-empty folder that is not a previous pathaudit output.

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    OutputFolderError
        ``out`` is a file, the current folder (or holds it), or a non-empty folder of
        something else and ``overwrite`` is False (the message lists what it holds).

    Examples
    --------
    >>> import tempfile
    >>> check_output_folder(Path(tempfile.mkdtemp()) / "audit-out").name
    'audit-out'
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputFolderError(OUT_IS_FILE.format(out=out))
    here = Path.cwd().resolve()
    if out.resolve() == here or out.resolve() in here.parents:
        raise OutputFolderError(OUT_IS_CWD.format(out=out))
    if not out.is_dir() or overwrite or _is_pathaudit_output(out):
        return out
    entries = sorted(p.name + ("/" if p.is_dir() else "") for p in out.iterdir()
                     if p.name != ERROR_LOG)
    if entries:
        shown = ", ".join(entries[:8]) + (f" and {len(entries) - 8} more" if len(entries) > 8
                                          else "")
        raise OutputFolderError(OUT_NOT_EMPTY.format(out=out, found=shown))
    return out


def _swap_in(new: Path, out: Path) -> None:
    """Put the finished folder ``new`` in place of ``out``; the previous one goes last."""
    if not out.exists():
        new.rename(out)
        return
    old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
    out.rename(old)
    try:
        new.rename(out)
    except BaseException:
        old.rename(out)  # put the previous output back
        raise
    shutil.rmtree(old, ignore_errors=True)
