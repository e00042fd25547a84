"""The package type-checks under its own mypy configuration (it ships py.typed)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_is_clean():
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent)) or shutil.which("mypy")
    assert mypy, "mypy is part of the test extras: pip install -e '.[test]'"
    out = subprocess.run(
        [mypy, "--config-file", "pyproject.toml", "--no-incremental"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
