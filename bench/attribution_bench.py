"""Integrated gradients through the API against Captum alone, on the same input and network.

    .venv/bin/python bench/attribution_bench.py [rounds, default 15]

Starts ``python -m app`` in a subprocess (tests/live_server.py) with one torch thread, and uses one
here too, so both sides compute on one core. Each round takes a fresh CIFAR-10 test image and a fresh
seed (nothing cached) and, alternating which goes first:

- the API: ``POST /api/attributions`` for example 14 (seeded, untrained), ``integrated_gradients``,
  32 steps; its time is the server's own (``Server-Timing``): resolving the input, the run's forward
  pass with statistics, building the network again for Captum, Captum, and the answer;
- Captum alone: example 14 written in plain torch after ``torch.manual_seed(seed)``, the same image,
  ``IntegratedGradients(net).attribute(x, target=t, n_steps=32)``; timed is that call only.

The two attributions must be equal (``torch.equal``). Prints each round, the median of the rounds'
ratios (target ≤ 1.5) and the load average before and after, since other work on a shared machine
takes the cores too.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import torch
import torch.nn as nn
from captum.attr import IntegratedGradients

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, for tests.live_server
from tests.live_server import LiveServer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app.jobs.config import EXAMPLE_14  # noqa: E402  (the one copy of example 14's layers)

STEPS = 32


def example_14(seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10),
    ).eval()


def api(client: httpx.Client, index: int, seed: int) -> tuple[float, dict]:
    body = {"input": {"source": "cifar10", "split": "test", "index": index}, "layers": EXAMPLE_14, "seed": seed,
            "method": "integrated_gradients", "steps": STEPS}
    r = client.post("/api/attributions", json=body)
    r.raise_for_status()
    return float(r.headers["server-timing"].split("dur=")[1]), r.json()


def captum_alone(x: torch.Tensor, seed: int, target: int) -> tuple[float, torch.Tensor]:
    net = example_14(seed)
    x = x.clone().requires_grad_()
    start = time.perf_counter()
    values = IntegratedGradients(net).attribute(x, target=target, n_steps=STEPS)
    return (time.perf_counter() - start) * 1000, values.detach()


def npy(client: httpx.Client, url: str) -> torch.Tensor:
    r = client.get(url)
    r.raise_for_status()
    return torch.from_numpy(np.load(io.BytesIO(r.content), allow_pickle=False))


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    torch.set_num_threads(1)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        configured = {k: v for k, v in os.environ.items() if k == "LAYERLAB_CIFAR10_DIR"}
        with LiveServer(Path(tmp) / "data", LAYERLAB_TORCH_THREADS="1", **configured) as server, \
                httpx.Client(base_url=server.url, timeout=120) as client:
            _, answer = api(client, 199, 10_000)  # warm-up (imports, first allocation), not counted
            x = npy(client, f"/api/runs/{answer['run_id']}/stages/0/values.npy")
            captum_alone(x, 10_000, answer["target"])
            ratios, server_ms, captum_ms = [], [], []
            print(f"{'round':>5} {'API server ms':>14} {'Captum ms':>10} {'ratio':>6}")
            for i in range(rounds):
                seed = 20 + i
                if i % 2 == 0:
                    ms, answer = api(client, i, seed)
                    x = npy(client, f"/api/runs/{answer['run_id']}/stages/0/values.npy")
                    alone, values = captum_alone(x, seed, answer["target"])
                else:  # Captum first: the image from a run without layers (so the attribution's own run is not cached)
                    run = client.post("/api/pipeline/run", json={"input": {"source": "cifar10", "split": "test", "index": i}}).json()
                    x = npy(client, f"/api/runs/{run['run_id']}/stages/0/values.npy")
                    with torch.no_grad():
                        target = int(example_14(seed)(x).argmax(1))
                    alone, values = captum_alone(x, seed, target)
                    ms, answer = api(client, i, seed)
                    assert answer["target"] == target
                got = npy(client, answer["attribution"]["values_url"])
                assert torch.equal(got, values), "the API's attribution differs from Captum's"
                ratios.append(ms / alone)
                server_ms.append(ms)
                captum_ms.append(alone)
                print(f"{i:>5} {ms:>14.1f} {alone:>10.1f} {ms / alone:>6.2f}")
    load_after = os.getloadavg()
    print(f"\nintegrated gradients, {STEPS} steps, example 14, one CIFAR-10 image, 1 torch thread, {rounds} rounds")
    print(f"API server time median {statistics.median(server_ms):.1f} ms; Captum alone median {statistics.median(captum_ms):.1f} ms")
    print(f"ratio API / Captum: median {statistics.median(ratios):.2f} (target <= 1.5), range {min(ratios):.2f}-{max(ratios):.2f}")
    print(f"every attribution equal to Captum's: yes; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")


if __name__ == "__main__":
    main()
