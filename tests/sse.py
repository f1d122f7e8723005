"""Reading Server-Sent Events from the test client, waiting on jobs, a network quick to train, and jobs
without workers (a backend that starts none, folders written as a worker leaves them)."""

from __future__ import annotations

import json
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.jobs.config import JobConfig
from app.jobs.folder import JobFolder

# Trains in well under a second per epoch of the bundled sample (5,354 weights).
SMALL = [
    {"type": "Conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1},
    {"type": "ReLU"},
    {"type": "MaxPool2d", "kernel_size": 4},
    {"type": "Flatten"},
    {"type": "Linear", "out_features": 10},
]


@dataclass
class Event:
    id: int
    event: str
    data: dict[str, Any]


def read_events(client: TestClient, url: str, *, last_event_id: int | None = None, limit: int | None = None) -> list[Event]:
    """Events of the stream until the server ends it, or the first ``limit`` of them."""
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    events: list[Event] = []
    fields: dict[str, str] = {}
    with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line == "":
                if "data" in fields:
                    events.append(Event(int(fields["id"]), fields["event"], json.loads(fields["data"])))
                    if limit is not None and len(events) >= limit:
                        break
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
    return events


def wait_for(client: TestClient, job_id: str, predicate, timeout_s: float = 120) -> dict[str, Any]:
    """Poll GET /api/jobs/{id} until ``predicate(job)``; fail with the job's last state after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(f"/api/jobs/{job_id}").json()
        if predicate(job):
            return job
        assert time.monotonic() < deadline, f"job never got there: {job['status']} {job.get('error')} {job['progress']}"
        time.sleep(0.1)


class NoWorkers:
    """A JobBackend that starts no worker: every job's worker is gone (tests/conftest.py's ``no_workers``)."""

    def start(self, job_dir: Path) -> None:
        pass

    def is_alive(self, job_dir: Path) -> bool:
        return False

    def stops_with_server(self, job_dir: Path) -> bool:
        return False

    def signal(self, job_dir: Path, sig: signal.Signals) -> None:
        pass


def job_on_disk(jobs_dir: Path, status: str, *, final_line: bool = True, steps: int = 3) -> Path:
    """A job folder as a worker leaves it: config (SMALL), status.json, metrics.jsonl with a running
    status, ``steps`` steps and (``final_line``) the final status line."""
    folder = JobFolder.create(jobs_dir, JobConfig(layers=SMALL))  # type: ignore[arg-type]
    folder.write_status(status=status, started=1.0, total_steps=steps, finished=2.0)
    lines = [{"step": 0, "epoch": 0, "name": "status", "value": {"status": "running"}, "time": 1.0}]
    lines += [{"step": s, "epoch": 1, "name": "step", "value": {"loss": 2.0, "images_per_s": 100.0}, "time": 1.0 + s} for s in range(1, steps + 1)]
    if final_line:
        lines.append({"step": steps, "epoch": 1, "name": "status", "value": {"status": status}, "time": 9.0})
    folder.metrics.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return folder.path
