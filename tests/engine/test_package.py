"""The engine reads in one direction: no import cycles, no web imports, no module too long to read."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "app" / "engine"


def _module(path: Path) -> str:
    parts = path.relative_to(ENGINE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """What ``path`` imports, as ``engine.plan`` etc. (``TYPE_CHECKING`` ones too: a cycle for the reader as well)."""
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            found.add(".".join(base + ([node.module] if node.module else [])))
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            found |= {n for n in names if n}
    return found


def test_no_import_cycle_and_no_web_layer() -> None:
    graph = {}
    for path in ENGINE.rglob("*.py"):
        imports = _imports(path)
        assert not {i for i in imports if i.split(".")[0] in ("fastapi", "starlette")}, path
        graph[_module(path)] = {i for i in imports if i.startswith("engine") and i != _module(path)}
    try:
        # A package's __init__ re-exporting its submodules is not a cycle of the code itself.
        TopologicalSorter({m: {d for d in deps if not m.startswith(d + ".")} for m, deps in graph.items()}).prepare()
    except CycleError as exc:
        raise AssertionError(f"import cycle: {exc.args[1]}") from exc


def test_modules_stay_short() -> None:
    long = {str(p.relative_to(ENGINE)): n for p in ENGINE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 300}
    assert not long, long
