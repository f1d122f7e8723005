"""The data dir: a full disk answered clearly with nothing torn, damaged files named, old files pruned."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.storage import prune_data_dir
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


def _age(path: Path, days: float) -> None:
    t = time.time() - days * 86400
    os.utime(path, (t, t))


def test_pruning_removes_the_oldest_past_the_size_and_anything_past_the_age(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    (tmp_path / "uploads").mkdir()
    files = {}
    for i, (folder, ext, days) in enumerate([("runs", "json", 40), ("uploads", "png", 3), ("runs", "json", 2), ("uploads", "png", 1)]):
        files[i] = tmp_path / folder / f"{i}.{ext}"
        files[i].write_bytes(b"x" * 1000)
        _age(files[i], days)
    (tmp_path / "cifar-10-batches-py").mkdir()
    (tmp_path / "cifar-10-batches-py" / "data_batch_1").write_bytes(b"x" * 5000)  # a dataset is never pruned
    removed = prune_data_dir(tmp_path, max_bytes=2000, max_age_days=30)
    assert sorted(e.path for e in removed) == sorted([files[0], files[1]])  # 40 days old; then the oldest over 2000 bytes
    assert files[2].exists() and files[3].exists() and (tmp_path / "cifar-10-batches-py" / "data_batch_1").exists()


def test_the_server_prunes_at_start_up(tmp_path: Path) -> None:
    old = tmp_path / "runs" / ("0" * 32 + ".json")
    old.parent.mkdir(parents=True)
    old.write_text("{}")
    _age(old, 100)
    with TestClient(create_app(Settings(data_dir=tmp_path, max_data_age_days=30))):
        deadline = time.monotonic() + 5
        while old.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not old.exists()


def test_finished_jobs_are_pruned_whole_and_running_ones_never(tmp_path: Path) -> None:
    jobs = {}
    for name, status in [("20260101-000000-aaaaaa", "succeeded"), ("20260101-000000-bbbbbb", "running")]:
        folder = tmp_path / "jobs" / name
        (folder / "checkpoints").mkdir(parents=True)
        (folder / "config.json").write_text("{}")
        (folder / "status.json").write_text(f'{{"status": "{status}"}}')
        (folder / "checkpoints" / "epoch-0.pt").write_bytes(b"x" * 1000)
        for path in [folder, *folder.rglob("*")]:
            _age(path, 90)
        jobs[status] = folder
    removed = prune_data_dir(tmp_path, max_bytes=10, max_age_days=30)
    assert [e.path for e in removed] == [jobs["succeeded"]]
    assert not jobs["succeeded"].exists() and (jobs["running"] / "checkpoints" / "epoch-0.pt").exists()
