"""Scale-out: two server processes on one data dir answer for each other's runs (replicas behind any balancer)."""

from __future__ import annotations

from pathlib import Path

import httpx

from bench.live_server import LiveServer

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
