"""Each page preloads the whole graph of ES modules its entry script imports (one round trip, not three)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from app.api.module_graph import module_urls

STATIC = Path(__file__).resolve().parents[2] / "static"


def test_the_graph_follows_static_imports_only(tmp_path: Path) -> None:
    (tmp_path / "js" / "deep").mkdir(parents=True)
    (tmp_path / "js" / "main.js").write_text(
        'import { a } from "./a.js";\nimport {\n  b,\n  c,\n} from "./deep/b.js";\n'
        'const later = () => import("./lazy.js");\nimport "./missing.js";\n'
    )
    (tmp_path / "js" / "a.js").write_text('export * from "./deep/c.js";\nexport const a = 1;\n')
    (tmp_path / "js" / "deep" / "b.js").write_text("export const b = 2;\n")
    (tmp_path / "js" / "deep" / "c.js").write_text('import { t } from "../i18n.js";\nexport const c = t;\n')
    (tmp_path / "js" / "i18n.js").write_text("export const t = 1;\n")
    (tmp_path / "js" / "lazy.js").write_text("export const lazy = 1;\n")

    assert module_urls(tmp_path, "js/main.js") == [
        "/static/js/main.js", "/static/js/a.js", "/static/js/deep/b.js", "/static/js/deep/c.js", "/static/js/i18n.js",
    ]  # the dynamic import loads on demand; a missing file is the browser's error to show


def _preloaded(html: str) -> set[str]:
    return set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', html))


def test_the_lab_preloads_every_module_it_runs(client: TestClient) -> None:
    html = client.get("/").text
    preloaded = _preloaded(html)
    # Modules three imports deep, which a hand-written list had missed.
    assert {"/static/js/main.js", "/static/js/field-words.js", "/static/js/numbers.js"} <= preloaded
    assert "/static/js/detail.js" not in preloaded  # imported when the detail view opens
    for url in preloaded:
        assert (STATIC / url.removeprefix("/static/")).is_file(), url
    # The first three answers start() awaits come in the page (tests/api/test_page_answers.py), not after it.
    assert '<script type="application/json" id="page-answers">' in html
    assert 'rel="preload" href="/api/' not in html


def test_every_page_preloads_its_entry_graph(client: TestClient) -> None:
    for page, entry in [("/training", "training/page.js"), ("/learn", "learn.js"), ("/activations", "activations-page.js")]:
        preloaded = _preloaded(client.get(page).text)
        assert f"/static/js/{entry}" in preloaded, page
        assert "/static/js/i18n.js" in preloaded, page
