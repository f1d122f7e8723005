"""The ES modules a page's entry script imports, found once, so the page can ask for them all at once.

A browser learns a module's imports only after it has fetched and parsed that module: the lab's
scripts arrive in three round trips (main.js, then what it imports, then what those import).
``<link rel="modulepreload">`` for every module in the graph lets the first round trip fetch them
all. The graph is read from the files themselves, so a module added to an import list is
preloaded without anyone editing a template.
"""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache
from pathlib import Path, PurePosixPath

# Static imports and re-exports only: `import x from "./a.js"`, `import "./a.js"`, `export * from "./a.js"`.
# A dynamic import("./a.js") is left out on purpose: it loads on demand (uPlot when a chart is shown).
_STATIC_IMPORT = re.compile(r"""^\s*(?:import|export)\b[^;()]*?["'](\.{1,2}/[^"']+\.js)["']""", re.MULTILINE)


def module_urls(static_dir: Path, entry: str) -> list[str]:
    """``/static/...`` URLs of ``entry`` (a path under ``static_dir``) and every module it imports statically."""
    return list(_module_urls(static_dir.resolve(), entry))


@lru_cache(maxsize=32)
def _module_urls(static_dir: Path, entry: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}  # insertion-ordered: the entry first, then breadth-first
    queue = [PurePosixPath(entry)]
    while queue:
        module = queue.pop(0)
        if str(module) in seen:
            continue
        path = static_dir / module
        if not path.is_file():
            continue  # a broken import is the browser's error to show, not the page's
        seen[str(module)] = None
        for target in _STATIC_IMPORT.findall(path.read_text(encoding="utf-8")):
            resolved = posixpath.normpath(module.parent / target)
            if not resolved.startswith("../"):  # outside /static: not a module this page serves
                queue.append(PurePosixPath(resolved))
    return tuple(f"/static/{m}" for m in seen)
