"""Two requests at once on the server's thread pool: each answer carries exactly its own notes."""

from __future__ import annotations

import threading
from pathlib import Path

import torch
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

ROUNDS = 25
X = {"source": "tensor", "data": [[0.5, -1.0, 2.0, 0.0]]}


def test_two_requests_at_once_one_warns_one_does_not(client: TestClient) -> None:
    barrier = threading.Barrier(2)
    failures: list[str] = []

    def post(layers: list[dict], expect_warning: bool) -> None:
        for seed in range(ROUNDS):  # a new seed each round, so every request computes
            barrier.wait()
            r = client.post("/api/pipeline/run", json={"input": X, "layers": layers, "seed": seed})
            notes = [n for layer in r.json()["layers"] for n in layer["notes"] if n.startswith("torch warned")]
            if r.status_code != 200 or len(notes) != int(expect_warning):
                failures.append(f"{layers[0]} seed {seed}: {r.status_code} {notes}")

    threads = [
        threading.Thread(target=post, args=([{"type": "LogSoftmax"}], True)),  # dim left out: torch warns
        threading.Thread(target=post, args=([{"type": "LogSoftmax", "dim": 1}], False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures


def test_torch_threads_setting_is_applied_at_start_up(tmp_path: Path) -> None:
    before = torch.get_num_threads()
    try:
        with TestClient(create_app(Settings(data_dir=tmp_path, torch_threads=1))):
            # Requests run on worker threads made after start-up; those take the setting (a thread
            # that already existed, like this test's, keeps its own OpenMP count).
            seen: list[int] = []
            worker = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
            worker.start()
            worker.join()
            assert seen == [1]
    finally:
        torch.set_num_threads(before)
