"""Reading Server-Sent Events from the test client, waiting on jobs, and a network quick to train."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

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
