"""Browser fixtures: a live server on a free port with its own data dir, and headless Chromium.

The server is tests/live_server.py's, the Chromium command line chromium.py's (both shared with
scripts/screenshots.py and bench/dashboard_latency.py).
Every page records console errors and uncaught exceptions; a test ends by asserting there were none.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live_server import LiveServer

from .chromium import ARGS, CHROMIUM

@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("browser-log") / "server.log"
    try:  # no LAYERLAB_CIFAR10_DIR reaches it: the bundled CIFAR-10 sample, the same on every machine
        with LiveServer(tmp_path_factory.mktemp("browser") / "data", log=log) as server:
            yield server.url
    except RuntimeError as err:
        pytest.fail(str(err))


@pytest.fixture(autouse=True)
def no_job_outlives_its_test(server: str) -> Iterator[None]:
    """A job a test started (a lesson's 200-step run, a training page's click) is cancelled when the test
    ends: left running on the shared server, it took a core from the tests after it and made their
    timings (the lab's first paint, a page's load event) fail on a 2-core machine."""
    yield
    with httpx.Client(base_url=server, timeout=10) as client:
        for job in client.get("/api/jobs").json()["jobs"]:
            if job["status"] in ("queued", "running"):
                client.post(f"/api/jobs/{job['job_id']}/cancel")


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
    """Console errors and page errors of one page, each with the URL it is about (a failed request's)."""


FAILED_REQUEST = "Failed to load resource"


def _expected(text: str, url: str, allowed_errors: list[str], failures: list[tuple[str, str]]) -> bool:
    if text.startswith(FAILED_REQUEST):  # only the failures a test names: status (or network error) and URL
        return any((f"status of {failure} " in text or text.endswith(failure)) and path in url for failure, path in failures)
    return any(a in text for a in allowed_errors)


@pytest.fixture
def page(browser, server: str) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=server)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors = Console()
    pg.on("console", lambda m: errors.append((m.text, m.location.get("url", ""))) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append((f"pageerror: {e}", "")))
    pg.errors = errors
    pg.allowed_errors = []  # substrings of console messages a test expects (not failed requests: see below)
    failures: list[tuple[str, str]] = []
    # A request the test expects to fail: a status ("422") or network error ("net::ERR_FAILED") and part of its URL.
    pg.allow_failed_request = lambda failure, path: failures.append((failure, path))
    yield pg
    context.close()
    unexpected = [f"{text} ({url})" for text, url in errors if not _expected(text, url, pg.allowed_errors, failures)]
    assert not unexpected, f"console errors: {unexpected}"
