"""A job with ``processes: 2`` trains data-parallel under torchrun (gloo on the CPU) and takes the
same steps as one process on the same global batch."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.sse import SMALL, wait_for

# A global batch of 25 splits 13 + 12: uneven shards must still give the whole batch's mean.
SHORT = {"layers": SMALL, "optimizer": "sgd", "lr": 0.05, "momentum": 0.9, "batch_size": 25, "max_steps": 6, "seed": 7}
LONG = {"layers": SMALL, "batch_size": 4, "epochs": 1000, "processes": 2}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("ddp") / "data", cifar10_dir=None, max_processes=2)
    with TestClient(create_app(settings)) as c:
        yield c


def _start(client: TestClient, body: dict[str, Any]) -> str:
    r = client.post("/api/jobs", json=body)
    assert r.status_code == 202, r.text
    return r.json()["job_id"]


def _done(client: TestClient, job_id: str) -> dict[str, Any]:
    job = wait_for(client, job_id, lambda job: job["status"] not in ("queued", "running"), timeout_s=240)
    assert job["status"] == "succeeded", job["error"]
    return job


def test_two_processes_take_the_steps_of_one(client):
    one, two = _start(client, SHORT), _start(client, {**SHORT, "processes": 2})
    single, ddp = _done(client, one), _done(client, two)
    assert [_status_file(client, j)["processes"] for j in (one, two)] == [1, 2]  # the world size rank 0 trained in
    losses = [[s["loss"] for s in job["history"]["steps"]] for job in (single, ddp)]
    assert len(losses[0]) == len(losses[1]) == 6
    assert losses[1] == pytest.approx(losses[0], rel=1e-4, abs=1e-5)
    # Rank 0 alone wrote: one record per step, the epochs evaluated once, and the checkpoints.
    assert ddp["checkpoints"] == single["checkpoints"] == [0, 1]
    tests = [[e["test_loss"] for e in job["history"]["epochs"]] for job in (single, ddp)]
    assert tests[0][1] != pytest.approx(tests[0][0], rel=1e-3)  # the steps moved the weights...
    assert tests[1] == pytest.approx(tests[0], rel=1e-4)  # ...to the same place


def test_cancel_stops_every_process_of_a_ddp_job(client):
    job_id = _start(client, LONG)
    wait_for(client, job_id, lambda job: job["progress"]["step"] >= 2, timeout_s=240)
    group = os.getpgid(_status_file(client, job_id)["pid"])  # torchrun's session: the launcher and both ranks
    assert client.post(f"/api/jobs/{job_id}/cancel").status_code == 200
    job = wait_for(client, job_id, lambda job: job["status"] != "running", timeout_s=10)
    assert job["status"] == "cancelled" and job["error"] is None
    deadline = time.monotonic() + 10
    while _group_alive(group):
        assert time.monotonic() < deadline, "a process of the cancelled job is still running"
        time.sleep(0.1)


def _status_file(client: TestClient, job_id: str) -> dict[str, Any]:
    return json.loads((Path(client.app.state.services.settings.data_dir) / "jobs" / job_id / "status.json").read_text())


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"processes": 3}, "at most 2 process(es) per job (LAYERLAB_MAX_PROCESSES)"),
        ({"processes": 2, "batch_size": 1}, "batch_size of at least 2"),
    ],
)
def test_processes_beyond_the_setting_or_the_batch_are_refused(client, body, words):
    r = client.post("/api/jobs", json={"layers": SMALL, **body})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "processes"] and words in detail["msg"]
