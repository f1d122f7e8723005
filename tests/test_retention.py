"""Retention (app/retention.py): old and surplus files pruned, jobs only when finished; a failing pass
is logged and the next one runs."""

from __future__ import annotations

import ast
import asyncio
import logging
import os
import time
from pathlib import Path

from fastapi.testclient import TestClient

import app.retention as retention
from app.main import create_app
from app.retention import prune_data_dir
from app.settings import Settings
from tests.own_loop import run_on_own_loop


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


def test_a_pass_that_raises_anything_is_logged_and_the_next_pass_runs(tmp_path: Path, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    passes: list[int] = []

    def broken(data_dir: Path, max_bytes: int, max_age_days: float) -> None:
        passes.append(1)
        raise KeyError("a damaged job folder")  # not an OSError: it used to end pruning for good, unlogged

    monkeypatch.setattr(retention, "prune_data_dir", broken)
    monkeypatch.setattr(retention, "PRUNE_EVERY_S", 0.01)

    async def a_while() -> None:
        task = asyncio.create_task(retention.prune_periodically(tmp_path, 10, 1))
        deadline = time.monotonic() + 10
        while len(passes) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        task.cancel()

    with caplog.at_level(logging.ERROR, logger="app.retention"):
        run_on_own_loop(a_while)  # not asyncio.run: after the browser tests a loop runs in this thread
    assert len(passes) >= 3
    assert "pruning the data dir failed" in caplog.text and "a damaged job folder" in caplog.text


def test_storage_and_jobs_do_not_import_each_other() -> None:
    source = (Path(retention.__file__).parent / "storage.py").read_text()
    imported = [node.module or "" for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)]
    assert not [m for m in imported if "jobs" in m or "retention" in m], imported
