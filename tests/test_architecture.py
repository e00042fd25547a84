"""The package's shape: every module imports, no import cycle, a short top level."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pathaudit

SRC = Path(pathaudit.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_level_imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Modules of the package that ``name`` imports when it is itself imported."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If) and not _is_type_checking(node):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name in known)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                    + ([base] if base else []))
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    if sub in known:
                        found.add(sub)
                    elif base in known:
                        found.add(base)

    visit(tree.body)
    found.discard(name)
    return found


def test_every_module_imports():
    names = [m.name for m in pkgutil.walk_packages(pathaudit.__path__, "pathaudit.")]
    assert len(names) > 40
    for name in names:
        if name.endswith("__main__"):
            continue
        importlib.import_module(name)


def test_no_import_cycle():
    mods = _modules()
    graph = {name: _module_level_imports(path, name, set(mods)) for name, path in mods.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = dfs(nxt)
                if cycle:
                    return cycle
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = dfs(node)
            assert cycle is None, " -> ".join(cycle)


def test_the_cycle_check_finds_a_cycle(tmp_path):
    (tmp_path / "a.py").write_text("from pathaudit.b import x\n")
    assert _module_level_imports(tmp_path / "a.py", "pathaudit.a", {"pathaudit.b"}) == {
        "pathaudit.b"}
    (tmp_path / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pathaudit.b import x\n"
        "def f():\n    from pathaudit.b import y\n")
    assert _module_level_imports(tmp_path / "c.py", "pathaudit.c", {"pathaudit.b"}) == set()


def test_top_level_is_short_and_private_modules_are_named_so():
    top = sorted(p.stem for p in SRC.glob("*.py") if p.stem not in ("__init__", "_version"))
    assert len(top) <= 12, top
    packages = sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").exists())
    assert {"io", "derived", "stats", "parity", "promotion", "attrition", "management",
            "simulate"} <= set(packages)
    for pkg in packages:
        init = importlib.import_module(f"pathaudit.{pkg}")
        assert init.__doc__, pkg
        for public in getattr(init, "__all__", []):
            assert not public.startswith("_"), (pkg, public)
