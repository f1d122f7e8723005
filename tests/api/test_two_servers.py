"""Scale-out: two server processes on one data dir answer for each other's runs (replicas behind any balancer)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.live_server import LiveServer

PIPELINE = {
    "input": {"source": "cifar10", "split": "test", "index": 3},
    "layers": [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}, {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2}],
    "seed": 7,
}


def test_a_map_asked_of_one_server_for_a_run_made_on_the_other_is_served(tmp_path: Path) -> None:
    data = tmp_path / "shared-data"
    a, b = LiveServer(data).launch(), LiveServer(data).launch()  # side by side: each takes seconds to import torch
    try:
        a.wait_healthy(), b.wait_healthy()
        run = httpx.post(a.url + "/api/pipeline/run", json=PIPELINE, timeout=60).json()
        for k in range(len(PIPELINE["layers"]) + 1):
            on_a = httpx.get(f"{a.url}/api/runs/{run['run_id']}/maps/{k}.png", timeout=60)
            on_b = httpx.get(f"{b.url}/api/runs/{run['run_id']}/maps/{k}.png", timeout=60)  # b never saw the run
            assert on_b.status_code == 200 and on_b.content == on_a.content
        layout_b = httpx.get(f"{b.url}/api/runs/{run['run_id']}/maps/1/layout", timeout=60).json()
        assert layout_b == httpx.get(f"{a.url}/api/runs/{run['run_id']}/maps/1/layout", timeout=60).json()
        again = httpx.post(b.url + "/api/pipeline/run", json=PIPELINE, timeout=60).json()
        assert again["run_id"] == run["run_id"] and again["layers"][0]["stats"] == run["layers"][0]["stats"]
    finally:
        a.stop(), b.stop()


def test_two_server_processes_of_one_server_share_runs_and_jobs(tmp_path: Path) -> None:
    """LAYERLAB_WEB_WORKERS=2: uvicorn's worker processes behind one port; each request may reach either."""
    import json

    server = LiveServer(tmp_path / "data", LAYERLAB_WEB_WORKERS="2").start()
    try:
        run = httpx.post(server.url + "/api/pipeline/run", json=PIPELINE, timeout=60).json()
        pids: set[int] = set()
        deadline = time.monotonic() + 60
        while len(pids) < 2:  # new connections: the kernel hands each to either process
            assert time.monotonic() < deadline, f"only process {pids} answered"
            pids.add(httpx.get(f"{server.url}/healthz", timeout=30).json()["pid"])
        maps: dict[int, bytes] = {}
        while set(maps) != pids:  # the map asked of each process: drawn by either, the same bytes
            assert time.monotonic() < deadline, f"maps only from {set(maps)} of {pids}"
            with httpx.Client(timeout=60) as one_connection:
                pid = one_connection.get(f"{server.url}/healthz").json()["pid"]
                maps[pid] = one_connection.get(f"{server.url}/api/runs/{run['run_id']}/maps/3.png").content
        assert len(set(maps.values())) == 1
        job = {"layers": [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "Flatten"}, {"type": "Linear", "out_features": 10}],
               "batch_size": 5, "max_steps": 25}
        job_ids = [httpx.post(server.url + "/api/jobs", json=job, timeout=60).json()["job_id"] for _ in range(3)]
        steps: list[int] = []
        with httpx.stream("GET", f"{server.url}/api/jobs/{job_ids[0]}/events", timeout=120) as events:
            for line in events.iter_lines():
                if line.startswith("data: ") and '"loss"' in line:
                    steps.append(json.loads(line[6:])["step"])
                if line.startswith("data: ") and '"succeeded"' in line:
                    break
        assert steps == list(range(1, 26))
        deadline = time.monotonic() + 120
        while {httpx.get(f"{server.url}/api/jobs/{j}", timeout=30).json()["status"] for j in job_ids} != {"succeeded"}:
            assert time.monotonic() < deadline, "jobs did not finish"
            time.sleep(0.5)
        for job_id in job_ids:  # started once, by one process: one running and one final status line each
            lines = (tmp_path / "data" / "jobs" / job_id / "metrics.jsonl").read_text().splitlines()
            assert [json.loads(x)["value"]["status"] for x in lines if '"name": "status"' in x or '"name":"status"' in x] == ["running", "succeeded"]
    finally:
        server.stop()
