"""Browser fixtures: a live server on a free port with its own data dir, and headless Chromium.

Playwright drives the system Chromium (/usr/bin/chromium): ``playwright install`` is not used.
Every page records console errors and uncaught exceptions; a test ends by asserting there were none.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
MAPS_PATH = "/api/runs/{run_id}/maps/{k}.png"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "LAYERLAB_DATA_DIR": str(tmp_path_factory.mktemp("browser-data"))}
    env.pop("LAYERLAB_CIFAR10_DIR", None)
    log = (tmp_path_factory.mktemp("browser-log") / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not start; see {log.name}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def api_paths(server: str) -> set[str]:
    return set(httpx.get(f"{server}/openapi.json").json()["paths"])


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


class Console(list):
    """Console errors and page errors of one page."""


@pytest.fixture
def page(browser, server: str, api_paths: set[str]) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=server)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors = Console()
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    pg.errors = errors
    pg.allowed_errors = []  # substrings a test expects, e.g. the 422 of a refused pipeline
    yield pg
    context.close()
    if MAPS_PATH not in api_paths or "/api/datasets/cifar10/{split}/{index}.png" not in api_paths:
        # Image endpoints not there yet: their 404s are expected; everything else still counts.
        errors[:] = [e for e in errors if "status of 404" not in e]
    errors[:] = [e for e in errors if not any(a in e for a in pg.allowed_errors)]
    assert not errors, f"console errors: {errors}"
