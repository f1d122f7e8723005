"""LAYERLAB_JOB_BACKEND=ray: jobs run on a real Ray cluster (a local head this module starts), through
Ray Jobs, and write into the same job folder; the server only submits, watches and stops them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.sse import SMALL, wait_for

job_submission = pytest.importorskip(
    "ray.job_submission", reason="Ray is not installed: pip install -e '.[ray]' (scripts/test installs it)"
)

SHORT = {"layers": SMALL, "optimizer": "adam", "lr": 0.003, "batch_size": 25, "max_steps": 8}
LONG = {"layers": SMALL, "batch_size": 5, "epochs": 1000}
HEAD_START_S = 180  # a loaded 2-core machine has taken 50 s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    """A one-node Ray cluster with its dashboard (the Jobs API), stopped and removed afterwards.

    ``ray start --block`` stays in the foreground and takes every process it started down on SIGTERM,
    so stopping it touches no other Ray on the machine. Ports are free ones, the session lives in a
    short temporary directory (Ray's socket paths must stay under 108 bytes).
    """
    temp_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    dashboard = _free_port()
    command = [
        str(Path(sys.executable).with_name("ray")), "start", "--head", "--block", "--num-cpus=2",
        f"--port={_free_port()}", "--include-dashboard=true", "--dashboard-host=127.0.0.1",
        f"--dashboard-port={dashboard}", f"--ray-client-server-port={_free_port()}",
        f"--dashboard-agent-listen-port={_free_port()}", f"--temp-dir={temp_dir}", "--disable-usage-stats",
    ]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    with open(Path(temp_dir) / "head.log", "wb") as log:
        head = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    address = f"http://127.0.0.1:{dashboard}"
    try:
        _wait_for_jobs_api(address, head, temp_dir)
        yield address
    finally:
        head.send_signal(signal.SIGTERM)
        try:
            head.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        shutil.rmtree(temp_dir, ignore_errors=True)


def _wait_for_jobs_api(address: str, head: subprocess.Popen[bytes], temp_dir: str) -> None:
    """Until the head takes a job: its dashboard answers a little before its job agent is there."""
    deadline = time.monotonic() + HEAD_START_S
    while True:
        try:
            job_submission.JobSubmissionClient(address).submit_job(entrypoint="true")
            return
        except Exception:  # not up yet: ConnectionError, or "No available agent to submit job"
            log = (Path(temp_dir) / "head.log").read_text(errors="replace")[-2000:]
            assert head.poll() is None, f"ray start exited with {head.returncode}:\n{log}"
            assert time.monotonic() < deadline, f"Ray's Jobs API took no job at {address} in {HEAD_START_S} s:\n{log}"
            time.sleep(0.5)


@pytest.fixture(scope="module")
def settings(ray_address: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # The head runs on this machine, so the test's data dir is storage every node shares.
    return Settings(data_dir=tmp_path_factory.mktemp("ray") / "data", cifar10_dir=None, job_backend="ray", ray_address=ray_address)


def _start(client: TestClient, body: dict[str, Any]) -> str:
    r = client.post("/api/jobs", json=body)
    assert r.status_code == 202, r.text
    return r.json()["job_id"]


def _ray_status(ray_address: str, settings: Settings, job_id: str) -> str:
    """What Ray itself says of the job (its submission carries the job folder in its metadata)."""
    folder = str((Path(settings.data_dir) / "jobs" / job_id).resolve())
    jobs = [j for j in job_submission.JobSubmissionClient(ray_address).list_jobs() if (j.metadata or {}).get("layerlab_job_dir") == folder]
    assert len(jobs) == 1, jobs
    return jobs[0].status.value


def _wait_for_ray(ray_address: str, settings: Settings, job_id: str, status: str) -> None:
    """Ray marks a job ended once its process has exited, a moment after the worker wrote its status."""
    deadline = time.monotonic() + 30
    while (seen := _ray_status(ray_address, settings, job_id)) != status:
        assert time.monotonic() < deadline, f"Ray says {seen}, not {status}"
        time.sleep(0.5)


def test_a_job_submitted_to_ray_succeeds_with_its_metrics_in_the_folder(settings, ray_address):
    with TestClient(create_app(settings)) as client:
        job_id = _start(client, SHORT)
        job = wait_for(client, job_id, lambda job: job["status"] not in ("queued", "running"), timeout_s=300)
        assert job["status"] == "succeeded", job["error"]
        assert [s["step"] for s in job["history"]["steps"]] == list(range(1, 9))
        assert job["checkpoints"] == [0, 1]
    folder = Path(settings.data_dir) / "jobs" / job_id
    lines = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    assert sum(line["name"] == "step" for line in lines) == 8 and lines[-1]["value"]["status"] == "succeeded"
    assert (folder / "checkpoints" / "epoch-1.pt").is_file()
    _wait_for_ray(ray_address, settings, job_id, "SUCCEEDED")


def test_a_cluster_job_outlives_the_server_and_cancel_stops_it(settings, ray_address):
    with TestClient(create_app(settings)) as client:
        job_id = _start(client, LONG)
        wait_for(client, job_id, lambda job: job["progress"]["step"] >= 1, timeout_s=300)
    # The server is gone; the job trains on, and the next server watches it again.
    with TestClient(create_app(settings)) as client:
        job = client.get(f"/api/jobs/{job_id}").json()
        assert job["status"] == "running" and _ray_status(ray_address, settings, job_id) == "RUNNING"
        seen = job["progress"]["step"]
        wait_for(client, job_id, lambda job: job["progress"]["step"] > seen + 5, timeout_s=60)
        asked = time.monotonic()
        assert client.post(f"/api/jobs/{job_id}/cancel").status_code == 200
        job = wait_for(client, job_id, lambda job: job["status"] != "running", timeout_s=30)
        assert job["status"] == "cancelled" and job["error"] is None
        stopped_s = time.monotonic() - asked
    assert stopped_s < 10
    _wait_for_ray(ray_address, settings, job_id, "STOPPED")


def test_a_server_pointed_at_no_cluster_refuses_to_start_saying_where_it_looked(tmp_path):
    nowhere = f"http://127.0.0.1:{_free_port()}"
    settings = Settings(data_dir=tmp_path / "data", cifar10_dir=None, job_backend="ray", ray_address=nowhere)
    with pytest.raises(RuntimeError, match=f"No Ray cluster answers at LAYERLAB_RAY_ADDRESS={nowhere}"):
        with TestClient(create_app(settings)):
            pass
