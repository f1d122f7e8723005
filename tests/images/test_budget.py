"""app/images/budget.py: decoding reserves its peak memory first; a burst waits its turn or is refused."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.errors import BusyError, PayloadTooLargeError
from app.images.budget import MemoryBudget
from app.images.decode import peak_bytes
from app.main import create_app
from app.settings import Settings
from tests.imagegen import encode


def test_a_reservation_waits_for_memory_freed_by_another() -> None:
    budget = MemoryBudget(100)
    holding, release, got_in = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with budget.reserve(80, timeout=5):
            holding.set()
            release.wait(5)

    def second() -> None:
        with budget.reserve(50, timeout=5):
            got_in.set()

    a = threading.Thread(target=first)
    a.start()
    assert holding.wait(5)
    b = threading.Thread(target=second)
    b.start()
    assert not got_in.wait(0.2) and budget.held == 80  # 80 + 50 > 100: the second waits …
    release.set()
    assert got_in.wait(5)  # … and goes ahead once the first gave its bytes back
    a.join(5)
    b.join(5)
    assert budget.held == 0


def test_a_reservation_that_cannot_fit_is_refused_and_one_that_waits_too_long_is_busy() -> None:
    budget = MemoryBudget(100)
    with pytest.raises(PayloadTooLargeError, match="LAYERLAB_DECODE_MEMORY_BYTES"):
        with budget.reserve(101, timeout=1):
            pass
    with budget.reserve(60, timeout=1):
        with pytest.raises(BusyError, match="LAYERLAB_DECODE_MEMORY_BYTES"):
            with budget.reserve(60, timeout=0.05):
                pass
    assert budget.held == 0


def test_an_upload_whose_decoding_needs_more_than_the_budget_is_413_from_its_header(tmp_path: Path) -> None:
    big, small = Image.new("RGBA", (300, 300)), Image.new("RGB", (100, 100))
    budget = peak_bytes(300, 300, "RGBA") - 1
    assert peak_bytes(100, 100, "RGB") < budget
    settings = Settings(data_dir=tmp_path / "data", cifar10_dir=None, decode_memory_bytes=budget)
    with TestClient(create_app(settings)) as client:
        r = client.post("/api/uploads", files={"file": ("big.png", encode(big, "PNG"), "image/png")})
        assert r.status_code == 413 and "LAYERLAB_DECODE_MEMORY_BYTES" in r.json()["detail"], r.text
        assert client.post("/api/uploads", files={"file": ("s.png", encode(small, "PNG"), "image/png")}).status_code == 200
        assert client.app.state.services.uploads.budget.held == 0
