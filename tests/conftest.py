"""Shared fixtures: settings in a fresh data dir, an httpx-based client on the real app, golden files.

No test sees the developer's ``LAYERLAB_*`` environment (see :func:`_no_layerlab_environment`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import safetensors.torch
from fastapi.testclient import TestClient

from app.jobs.config import EXAMPLE_14
from app.main import create_app
from app.models import store
from app.settings import Settings
from tests.golden_files import GOLDEN_DIR, Golden
from tests.models.nets import example14


# Read by the tests' own helpers (the development copy of CIFAR-10 from scripts/bootstrap.sh), never by the app.
KEPT_ENVIRONMENT = frozenset({"LAYERLAB_DEV_CIFAR10_DIR"})


@pytest.fixture(autouse=True)
def _no_layerlab_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts from the settings' defaults: a developer's exported LAYERLAB_DATA_DIR,
    LAYERLAB_RATE_LIMIT … would otherwise reach Settings() and every server a test starts."""
    for name in os.environ:
        if name.startswith("LAYERLAB_") and name not in KEPT_ENVIRONMENT:
            monkeypatch.delenv(name)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", cifar10_dir=None)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The real app with its lifespan, spoken to over httpx (Starlette's TestClient is an httpx.Client)."""
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def no_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Servers made in the test start no training worker (jobs are written on disk by hand instead)."""
    from tests.sse import NoWorkers

    monkeypatch.setattr("app.jobs.manager.make_backend", lambda settings: NoWorkers())


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


# --- networks (app/models) -----------------------------------------------------------------------


@pytest.fixture
def shipped_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package's ``app/models/shipped/`` with one model, ``test-example14``, in the lead's format."""
    folder = tmp_path / "shipped"
    folder.mkdir()
    data = safetensors.torch.save(example14(3).state_dict())
    (folder / "test-example14.safetensors").write_bytes(data)
    trained = {"dataset": "CIFAR-10 (a test fixture: not trained)", "epochs": 20, "test_accuracy": 0.73,
               "recipe": {"optimizer": "adam"}, "sha256": hashlib.sha256(data).hexdigest()}
    meta = {"model_id": "test-example14", "name": "Example 14, shipped (fixture)", "layers": EXAMPLE_14,
            "input_shape": [1, 3, 32, 32], "trained": trained}
    (folder / "test-example14.json").write_text(json.dumps(meta))
    monkeypatch.setattr(store, "SHIPPED_DIR", folder)
    return folder
