"""``/static`` from memory (app/api/static_files.py): the bytes on disk, validators that work, an
edited file served fresh, and everything it does not keep still Starlette's."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api import static_files
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def web(tmp_path: Path) -> Path:
    """A copy of the page files, so a test can edit one."""
    web = tmp_path / "web"
    shutil.copytree(ROOT / "templates", web / "templates")
    shutil.copytree(ROOT / "static", web / "static")
    return web


@pytest.fixture
def settings(tmp_path: Path, web: Path) -> Settings:
    """conftest's, serving the copy: every ``client`` here is the real app on these page files."""
    return Settings(data_dir=tmp_path / "data", cifar10_dir=None, web_dir=web)


def static_mount(client: TestClient) -> static_files.StaticFilesInMemory:
    return next(route.app for route in client.app.routes if getattr(route, "name", None) == "static")


def test_a_module_is_the_file_on_disk_with_its_type_and_validators(client: TestClient) -> None:
    answer = client.get("/static/js/main.js")
    assert answer.status_code == 200
    assert answer.content == (ROOT / "static/js/main.js").read_bytes()
    assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
    assert answer.headers["etag"] and answer.headers["last-modified"]
    again = client.get("/static/js/main.js", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.get("/static/css/lab.css").headers["content-type"] == "text/css; charset=utf-8"
    assert client.head("/static/js/main.js").status_code == 200


def test_an_edited_file_is_served_as_it_is_now(client: TestClient, web: Path) -> None:
    module = web / "static/js/numbers.js"
    first = client.get("/static/js/numbers.js")
    module.write_text(module.read_text() + "\n// edited\n")
    later = os.stat(module).st_mtime + 5  # a clock that moved on, whatever the file system's resolution
    os.utime(module, (later, later))
    second = client.get("/static/js/numbers.js")
    assert second.content.endswith(b"// edited\n") and not first.content.endswith(b"// edited\n")
    assert second.headers["etag"] != first.headers["etag"]
    assert client.get("/static/js/numbers.js", headers={"If-None-Match": first.headers["etag"]}).status_code == 200


def test_what_is_not_a_small_file_is_starlettes(client: TestClient, web: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert client.get("/static/js/no-such-module.js").status_code == 404
    assert client.get("/static/js").status_code == 404  # a directory is not listed
    assert client.get("/static/%2e%2e/templates/base.html").status_code == 404  # nothing outside the folder
    assert client.get("/static/js/" + "x" * 300 + ".js").status_code == 404  # a name too long for the file system
    assert client.get("/static/js/a%00.js").status_code == 404  # a null byte
    monkeypatch.setattr(static_files, "CACHED_BYTES", 100)  # a large file: streamed from disk, not kept
    big = client.get("/static/js/results.js")
    assert big.status_code == 200 and big.content == (web / "static/js/results.js").read_bytes()
    static = static_mount(client)
    assert os.path.join("js", "results.js") not in static._files


def test_what_is_kept_stays_within_its_budget(client: TestClient, web: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small, other = web / "static/js/numbers.js", web / "static/js/store.js"
    monkeypatch.setattr(static_files, "KEPT_BYTES", small.stat().st_size + 10)
    static = static_mount(client)
    assert client.get("/static/js/numbers.js").content == small.read_bytes()
    assert client.get("/static/js/store.js").content == other.read_bytes()  # served, though over the budget …
    assert set(static._files) == {os.path.join("js", "numbers.js")}  # … and not kept
    assert static._kept_bytes == small.stat().st_size
    small.unlink()  # a kept file deleted: not found, and no longer kept
    assert client.get("/static/js/numbers.js").status_code == 404
    assert static._files == {} and static._kept_bytes == 0
