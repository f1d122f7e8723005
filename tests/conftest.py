"""Shared fixtures: settings in a fresh data dir, an httpx-based client on the real app, golden files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.golden_files import GOLDEN_DIR, Golden


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", cifar10_dir=None)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The real app with its lifespan, spoken to over httpx (Starlette's TestClient is an httpx.Client)."""
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def run_ok(client: TestClient) -> Callable[..., dict[str, Any]]:
    """``run_ok(layers, input, **extra)``: POST /api/pipeline/run, failing loudly on anything but 200."""

    def run(layers: list[dict[str, Any]], input: dict[str, Any], **extra: Any) -> dict[str, Any]:
        r = client.post("/api/pipeline/run", json={"input": input, "layers": layers, **extra})
        assert r.status_code == 200, r.text
        return r.json()

    return run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--overwrite-golden",
        action="store_true",
        help="rewrite the expected files in tests/golden/ from this run instead of comparing with them",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest, tmp_path: Path) -> Golden:
    """Compare with ``tests/golden/`` (see tests/golden_files.py); rewritten only with --overwrite-golden."""
    return Golden(GOLDEN_DIR, request.config.getoption("--overwrite-golden"), tmp_path / "actual", request.node.nodeid)
