"""The data dir: a full disk answered clearly with nothing torn, damaged files named (pruning: test_retention.py)."""

from __future__ import annotations

import resource
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.imagegen import encode, gradient

TENSOR_RUN = {"input": {"source": "tensor", "data": [[1, 2], [3, 4]]}, "layers": [{"type": "ReLU"}]}


@contextmanager
def no_room_for_files_over(nbytes: int) -> Iterator[None]:
    """Writes past ``nbytes`` fail with EFBIG (Python ignores SIGXFSZ), as a full disk fails them with ENOSPC."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def upload(client: TestClient) -> httpx.Response:
    return client.post("/api/uploads", files={"file": ("x.png", encode(gradient(), "PNG"), "image/png")})


def test_a_full_disk_is_answered_507_and_leaves_nothing_behind(client: TestClient, settings: Settings) -> None:
    kept = client.post("/api/pipeline/run", json=TENSOR_RUN).json()["run_id"]
    stored = {p: p.read_bytes() for p in settings.data_dir.rglob("*") if p.is_file()}
    with no_room_for_files_over(16):
        r = upload(client)
        assert r.status_code == 507 and "disk is full" in r.json()["detail"]
        r = client.post("/api/pipeline/run", json={**TENSOR_RUN, "seed": 1})
        assert r.status_code == 507 and "nothing was changed" in r.json()["detail"]
    assert {p: p.read_bytes() for p in settings.data_dir.rglob("*") if p.is_file()} == stored  # no temp file, nothing torn
    assert client.get(f"/api/runs/{kept}/maps/1.png").status_code == 200
    assert upload(client).status_code == 200  # room again: works again


def test_a_damaged_run_file_is_named_removed_and_replaced_by_running_again(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with TestClient(create_app(settings)) as first:
        run_id = first.post("/api/pipeline/run", json=TENSOR_RUN).json()["run_id"]
    (tmp_path / "runs" / f"{run_id}.json").write_bytes(b'{"input": {"sour\xff')  # torn by a crash, or bit rot
    with TestClient(create_app(settings)) as second:  # a fresh process: the run is not in memory
        r = second.get(f"/api/runs/{run_id}/maps/1.png")
        assert r.status_code == 404 and "unreadable" in r.json()["detail"] and "POST it" in r.json()["detail"]
        assert second.post("/api/pipeline/run", json=TENSOR_RUN).json()["run_id"] == run_id
    with TestClient(create_app(settings)) as third:
        assert third.get(f"/api/runs/{run_id}/maps/1.png").status_code == 200


def test_a_damaged_upload_is_named_and_can_be_uploaded_again(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with TestClient(create_app(settings)) as c:
        upload_id = upload(c).json()["upload_id"]
    (tmp_path / "uploads" / f"{upload_id}.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    run = {"input": {"source": "upload", "upload_id": upload_id}, "layers": []}
    with TestClient(create_app(settings)) as c:
        r = c.post("/api/pipeline/run", json=run)
        assert r.status_code in (404, 422) and "damaged" in r.text
        assert upload(c).json()["upload_id"] == upload_id
        assert c.post("/api/pipeline/run", json=run).status_code == 200
