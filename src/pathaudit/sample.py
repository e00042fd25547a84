"""Where the shipped sample organisation lives (``data/sample/`` of the repository)."""

from __future__ import annotations

from pathlib import Path


def sample_dir(start: str | Path | None = None) -> Path:
    """Return the ``data/sample`` folder of the pathaudit repository.

    Searched upwards from ``start`` (default: the current folder, which is the
    notebook's folder when a notebook runs), then from the installed package
    (an editable install sits inside the repository).

    Raises
    ------
    FileNotFoundError
        When no ``data/sample/map.toml`` is found; regenerate it with
        ``python -m pathaudit.simulate --out data/sample --seed 2024``.
    """
    here = Path.cwd() if start is None else Path(start)
    for base in (here.resolve(), Path(__file__).resolve().parent):
        for folder in (base, *base.parents):
            candidate = folder / "data" / "sample"
            if (candidate / "map.toml").exists():
                return candidate
    raise FileNotFoundError(
        "data/sample/map.toml not found above the current folder. Run from inside the "
        "pathaudit repository, or regenerate the sample with "
        "'python -m pathaudit.simulate --out data/sample --seed 2024'."
    )
