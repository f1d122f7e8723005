"""Shared fixtures: settings in a fresh data dir, and an httpx-based client on the real app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", cifar10_dir=None)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The real app with its lifespan, spoken to over httpx (Starlette's TestClient is an httpx.Client)."""
    with TestClient(create_app(settings)) as c:
        yield c


def run(client: TestClient, layers: list[dict], input: dict, **extra) -> dict:
    """POST /api/pipeline/run and return the JSON, failing loudly on a non-200."""
    r = client.post("/api/pipeline/run", json={"input": input, "layers": layers, **extra})
    assert r.status_code == 200, r.text
    return r.json()
