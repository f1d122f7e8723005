"""How fast a training job trains, against the compute limit and against the naive loop.

    .venv/bin/python bench/train_bench.py [--cifar10 DIR] [--steps N]

Example 14 (the classic CIFAR-10 CNN) with SGD(lr=0.01) and CrossEntropyLoss at batch 64, in one run,
on the same machine and torch threads:

(i)   bare loop over preloaded float tensors (the compute limit), NCHW and channels-last;
(ii)  the naive loop: torchvision ImageFolder decoding each JPEG with ToTensor, DataLoader batch 64;
(iii) a job started through POST /api/jobs on a real server process (python -m app) with 10 SSE
      listeners attached; images/s from the step events' own times, and step-to-listener latency
      (receive time minus the event's ``time``, same clock).
Targets: (iii) ≥ 0.9 × (i), (iii) ≥ 1.5 × (ii), latency p99 ≤ 50 ms. (i) is measured before and after
(iii) and the better is used. The machine's load is printed with the figures: on a shared machine,
compare ratios within one run, and only when the load stayed flat.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from app.datasets.folder import load_folder  # noqa: E402
from app.jobs.config import EXAMPLE_14  # noqa: E402

BATCH = 64
WARMUP = 5
LISTENERS = 10


def example_14() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10),
    )


def bare_loop(images: torch.Tensor, labels: torch.Tensor, steps: int, channels_last: bool) -> float:
    """(i): batches made before the clock starts; only forward, backward and the SGD step are timed."""
    torch.manual_seed(0)
    model = example_14()
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    batches = [
        (images[i * BATCH : (i + 1) * BATCH].float().div(255).contiguous(memory_format=fmt), labels[i * BATCH : (i + 1) * BATCH])
        for i in range(steps + WARMUP)
    ]
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    for i, (x, y) in enumerate(batches):
        if i == WARMUP:
            start = time.perf_counter()
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return steps * BATCH / (time.perf_counter() - start)


def naive_loop(root: Path, steps: int) -> float:
    """(ii): what a first tutorial writes — ImageFolder + ToTensor, DataLoader(batch_size=64, shuffle=True)."""
    from torchvision import datasets, transforms

    torch.manual_seed(0)
    data = datasets.ImageFolder(str(root / "train"), transform=transforms.ToTensor())
    loader = torch.utils.data.DataLoader(data, batch_size=BATCH, shuffle=True)
    model = example_14()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    for i, (x, y) in enumerate(loader):
        if i == WARMUP:
            start = time.perf_counter()
        if i == WARMUP + steps:
            break
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return steps * BATCH / (time.perf_counter() - start)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listen(base: str, job_id: str, received: list[tuple[float, dict]], ready: threading.Event) -> None:
    with httpx.stream("GET", f"{base}/api/jobs/{job_id}/events", timeout=None) as response:
        ready.set()
        event = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "step":
                received.append((time.time(), json.loads(line[6:])))
            elif line.startswith("data: ") and event == "status" and json.loads(line[6:])["status"] in ("succeeded", "failed", "cancelled"):
                return


def job_through_api(cifar10: Path, data_dir: Path, steps: int) -> tuple[float, list[float], dict]:
    """(iii): a real server process, a job of ``steps`` steps, LISTENERS SSE clients from the start."""
    port = _free_port()
    env = {**os.environ, "LAYERLAB_DATA_DIR": str(data_dir), "LAYERLAB_CIFAR10_DIR": str(cifar10)}
    server = subprocess.Popen([sys.executable, "-m", "app", "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        body = {"layers": EXAMPLE_14, "batch_size": BATCH, "lr": 0.01, "max_steps": steps + WARMUP}
        job_id = httpx.post(f"{base}/api/jobs", json=body).json()["job_id"]
        received: list[list[tuple[float, dict]]] = [[] for _ in range(LISTENERS)]
        threads = []
        for r in received:
            ready = threading.Event()
            threads.append(threading.Thread(target=_listen, args=(base, job_id, r, ready), daemon=True))
            threads[-1].start()
            ready.wait(30)
        for t in threads:
            t.join(900)
        job = httpx.get(f"{base}/api/jobs/{job_id}").json()
    finally:
        server.terminate()
        server.wait(30)
    steps_seen = job["history"]["steps"][WARMUP:]
    elapsed = steps_seen[-1]["time"] - job["history"]["steps"][WARMUP - 1]["time"]
    latencies = [(at - data["time"]) * 1000 for r in received for at, data in r]
    return len(steps_seen) * BATCH / elapsed, latencies, job


def load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cifar10", type=Path, default=Path.home() / ".cache/layerlab/cifar10-jpeg", help="ImageFolder tree with train/ and test/")
    parser.add_argument("--steps", type=int, default=100, help="timed steps per measurement")
    args = parser.parse_args()
    data_dir = Path(tempfile.gettempdir()) / "layerlab-train-bench"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs; {load()}", flush=True)
    cifar = load_folder(args.cifar10, data_dir / "cache")  # decoded once, then memory-mapped (as the server does)
    images, labels = cifar.images_by_split["train"], cifar.labels_by_split["train"]
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))[: (args.steps + WARMUP) * BATCH]
    images, labels = images[order], labels[order]
    bare = bare_loop(images, labels, args.steps, channels_last=False)
    bare_cl = bare_loop(images, labels, args.steps, channels_last=True)
    print(f"(i)   bare loop, preloaded tensors      {bare:8.0f} img/s   (channels-last {bare_cl:.0f} img/s)", flush=True)
    naive = naive_loop(args.cifar10, args.steps)
    print(f"(ii)  naive ImageFolder + DataLoader    {naive:8.0f} img/s", flush=True)
    job, latencies, detail = job_through_api(args.cifar10, data_dir, args.steps)
    p50, p99 = statistics.median(latencies), statistics.quantiles(latencies, n=100)[98]
    print(f"(iii) job through the API, {LISTENERS} listeners {job:8.0f} img/s   (device {detail['device']}, {detail['dataset']} data)")
    # The machine may be shared: (i) again after (iii), and the better of the two is the compute limit.
    again, again_cl = bare_loop(images, labels, args.steps, False), bare_loop(images, labels, args.steps, True)
    print(f"(i)   again after (iii)                 {again:8.0f} img/s   (channels-last {again_cl:.0f} img/s)")
    bare, bare_cl = max(bare, again), max(bare_cl, again_cl)
    print(f"(iii)/(i) = {job / bare:.2f} (target >= 0.9; vs channels-last bare loop {job / bare_cl:.2f})")
    print(f"(iii)/(ii) = {job / naive:.2f} (target >= 1.5)")
    print(f"step -> listener latency over {len(latencies)} events: p50 {p50:.1f} ms, p99 {p99:.1f} ms (target p99 <= 50)")
    print(load())


if __name__ == "__main__":
    main()
