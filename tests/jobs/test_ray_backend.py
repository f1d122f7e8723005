"""LAYERLAB_JOB_BACKEND=ray: jobs run on a real Ray cluster (a local head this module starts), through
Ray Jobs, and write into the same job folder; the server only submits, watches and stops them."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.ray_head import free_port, local_ray_head
from tests.sse import SMALL, wait_for

job_submission = pytest.importorskip(
    "ray.job_submission", reason="Ray is not installed: pip install -e '.[ray]' (scripts/test installs it)"
)

SHORT = {"layers": SMALL, "optimizer": "adam", "lr": 0.003, "batch_size": 25, "max_steps": 8}
LONG = {"layers": SMALL, "batch_size": 5, "epochs": 1000}


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    """A one-node Ray cluster started for this module, and stopped after it."""
    with local_ray_head(num_cpus=2) as address:
        yield address


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
    nowhere = f"http://127.0.0.1:{free_port()}"
    settings = Settings(data_dir=tmp_path / "data", cifar10_dir=None, job_backend="ray", ray_address=nowhere)
    with pytest.raises(RuntimeError, match=f"No Ray cluster answers at LAYERLAB_RAY_ADDRESS={nowhere}"):
        with TestClient(create_app(settings)):
            pass


def test_the_api_token_is_not_in_the_runtime_env_submitted_to_ray(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ray shows a job's runtime_env in its dashboard: the token that guards job routes stays on the server."""
    from app.jobs.config import JobConfig
    from app.jobs.folder import JobFolder
    from app.jobs.ray_backend import RayJobsBackend

    submitted: list[dict[str, Any]] = []

    class Recorder:
        def __init__(self, address: str) -> None:
            pass

        def submit_job(self, **kwargs: Any) -> str:
            submitted.append(kwargs)
            return kwargs["submission_id"]

    monkeypatch.setattr(job_submission, "JobSubmissionClient", Recorder)
    settings = Settings(data_dir=tmp_path / "data", job_backend="ray", api_token="s3cret-token")
    folder = JobFolder.create(settings.data_dir / "jobs", JobConfig(layers=SMALL))  # type: ignore[arg-type]
    RayJobsBackend(settings).start(folder.path)
    runtime_env = submitted[0]["runtime_env"]
    assert runtime_env["env_vars"]["LAYERLAB_DATA_DIR"] == str(settings.data_dir)  # the settings are there...
    assert "LAYERLAB_API_TOKEN" not in runtime_env["env_vars"] and "s3cret-token" not in json.dumps(submitted[0])  # ...not the token
