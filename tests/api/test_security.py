"""A public deploy: security headers on every answer, a CSP the pages live within, CORS only when asked."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.security import CONTENT_SECURITY_POLICY
from app.main import create_app
from app.settings import Settings

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TENSOR_RUN = {"input": {"source": "tensor", "data": [[1, 2], [3, 4]]}, "layers": [{"type": "ReLU"}]}


@pytest.mark.parametrize("path", ["/", "/activations", "/training", "/learn/conv-by-hand/2", "/docs", "/healthz", "/api/layers", "/openapi.json", "/static/js/main.js", "/nowhere"])
def test_every_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"


def test_the_policy_allows_only_this_origin_and_no_inline_script() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert "unsafe" not in CONTENT_SECURITY_POLICY and "http" not in CONTENT_SECURITY_POLICY
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_templates_have_no_inline_script_style_or_handler(template: str) -> None:
    html = (TEMPLATES / template).read_text()
    for tag in re.findall(r"<script\b[^>]*>", html):
        # A JSON data block is never run (a browser executes no script of that type; the CSP is not asked).
        assert "src=" in tag or 'type="application/json"' in tag, f"inline script in {template}: {tag}"
    assert not re.search(r"\son[a-z]+\s*=", html), f"inline event handler in {template}"
    assert not re.search(r"\sstyle\s*=", html) and "<style" not in html, f"inline style in {template}"
    assert "|safe" not in html and "autoescape false" not in html  # every value rendered is escaped


def test_pages_are_served_from_this_origin_only(client: TestClient) -> None:
    for page in ("/", "/activations", "/training", "/learn", "/docs"):
        html = client.get(page).text
        for url in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert url.startswith(("/", "#", "data:")), f"{page} loads {url} from elsewhere"
            if url.startswith("/") and not url.startswith("/#"):
                assert client.get(url).status_code == 200, f"{page} needs {url}"


def test_cors_is_off_unless_configured(client: TestClient) -> None:
    r = client.options("/api/layers", headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in r.headers
    assert "access-control-allow-origin" not in client.get("/api/layers", headers={"Origin": "https://elsewhere.example"}).headers


def test_cors_allows_exactly_the_configured_origins(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, cors_origins=["https://course.example"])
    with TestClient(create_app(settings)) as c:
        ok = c.post("/api/pipeline/run", json=TENSOR_RUN, headers={"Origin": "https://course.example"})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://course.example"
        other = c.get("/api/layers", headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize("run_id", ["../../etc/passwd", "..%2F..%2Fsettings", "a" * 31 + "/", "A" * 32, "%00" * 16])
def test_no_client_string_reaches_the_file_system(client: TestClient, run_id: str) -> None:
    assert client.get(f"/api/runs/{run_id}/maps/0.png").status_code == 404
    assert client.get(f"/api/uploads/{run_id}.png").status_code == 404


def _torch_loads(source: str) -> list[ast.Call]:
    return [
        node for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "load"
        and isinstance(node.func.value, ast.Name) and node.func.value.id == "torch"
    ]


def test_no_pickle_is_loaded_without_weights_only() -> None:
    # torch.load unpickles arbitrary code unless weights_only=True; every call in the app must say so.
    app_dir = Path(__file__).resolve().parents[2] / "app"
    calls = 0
    for path in app_dir.rglob("*.py"):
        source = path.read_text()
        assert "pickle.load" not in source, path.name
        for call in _torch_loads(source):
            calls += 1
            flag = {k.arg: k.value for k in call.keywords}.get("weights_only")
            assert isinstance(flag, ast.Constant) and flag.value is True, f"{path.name}:{call.lineno} loads without weights_only=True"
    assert calls >= 2  # job checkpoints are loaded: the check looked at them
