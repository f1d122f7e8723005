"""Browser fixtures: a live server on a free port with its own data dir, and headless Chromium.

The server and the Chromium command line are in live.py (shared with scripts/screenshots.py).
Every page records console errors and uncaught exceptions; a test ends by asserting there were none.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .live import ARGS, CHROMIUM, live_server

MAPS_PATH = "/api/runs/{run_id}/maps/{k}.png"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if k != "LAYERLAB_CIFAR10_DIR"}  # the bundled CIFAR-10 sample
    log = tmp_path_factory.mktemp("browser-log") / "server.log"
    try:
        with live_server(tmp_path_factory.mktemp("browser-data"), log, env) as base:
            yield base
    except RuntimeError as err:
        pytest.fail(str(err))


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
