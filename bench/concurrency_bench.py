"""Do two users' runs overlap? One client vs two concurrent clients against the real server.

    scripts/run bench/concurrency_bench.py [seconds per phase, default 10] [--web-workers 1,2] [--batch 32]

Starts ``python -m app`` in a subprocess (tests/live_server.py) with ``LAYERLAB_TORCH_THREADS=1`` (one torch thread
per run, so two runs can use the two cores) and the run cache off (every request computes), then
posts the CIFAR-10 pipeline ``Conv2d(3,16,3,p=1) → ReLU → MaxPool2d(2) → Conv2d(16,32,3,p=1)`` on
``cifar10`` test images (or ``--batch N`` of them a request, as ``cifar10_batch``; the outside check
of issue 21 used 32), a fresh seed per request, for a fixed time: first from one client, then
from two clients at once. Each client is its own process, as two users' scripts or browsers are:
client threads in one process share its GIL while decoding ~100 kB answers, which held two
"concurrent" clients to ~1.2x whatever the server did. Prints both throughputs and their
ratio (target ≥ 1.6 on a 2-core machine), the mean server time per request (Server-Timing), and the
load average, since on a shared machine other work takes cores too. All of it twice: with one
server process, whose request threads share one GIL (the engine releases it in torch's ops, but
routing, validation and JSON hold it: ~9 ms of a ~11 ms run), and with ``LAYERLAB_WEB_WORKERS=2``.
For scale: two processes of pure Python reach 1.66-1.71x one on this VM, the ceiling of any ratio.

Then checks that concurrency changed no number: every answer of the two-client phase is asked
again from one client (the cache is off, so it is computed again, alone) and must be identical:
every stage's shape, statistics (min, max, mean, std and zero fraction of the float32 output,
compared exactly), module and code.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, for tests.live_server
from tests.live_server import LiveServer  # noqa: E402

LAYERS = [
    {"type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1},
    {"type": "ReLU"},
    {"type": "MaxPool2d", "kernel_size": 2},
    {"type": "Conv2d", "out_channels": 32, "kernel_size": 3, "padding": 1},
]


def _body(seed: int, batch: int = 1) -> dict[str, Any]:
    """One CIFAR-10 test image (batch 1), or ``batch`` of them as one input (``cifar10_batch``)."""
    if batch == 1:
        return {"input": {"source": "cifar10", "split": "test", "index": seed % 200}, "layers": LAYERS, "seed": seed}
    start = seed % (200 - batch + 1)  # the bundled sample's test split holds 200 images
    return {"input": {"source": "cifar10_batch", "split": "test", "start": start, "count": batch}, "layers": LAYERS, "seed": seed}


def _essence(answer: dict[str, Any]) -> list[Any]:
    """What the run computed, without its timings."""
    stages = [{k: v for k, v in layer.items() if k != "time_ms"} for layer in answer["layers"]]
    return [answer["run_id"], answer["input"]["stats"], stages, answer["code"]]


def _client(base: str, first_seed: int, seed_step: int, start: float, stop: float, batch: int) -> tuple[dict[int, Any], list[float]]:
    """One client process: posts from ``start`` until ``stop`` (wall clock), seeds first_seed, +seed_step, …"""
    bodies: dict[int, bytes] = {}
    server_ms: list[float] = []
    with httpx.Client(base_url=base, timeout=60) as client:
        client.get("/healthz")  # connected before the clock starts
        time.sleep(max(0.0, start - time.time()))
        for seed in itertools.count(first_seed, seed_step):
            if time.time() >= stop:
                break
            r = client.post("/api/pipeline/run", json=_body(seed, batch))
            r.raise_for_status()
            bodies[seed] = r.content
            server_ms.append(float(r.headers["server-timing"].split("dur=")[1]))
    # Decoded once the clock has stopped: the clients share the server's two cores, and decoding each ~116 kB
    # answer while timing (~1 ms of a client's ~4 ms per request) measured the clients, not the server.
    return {seed: _essence(json.loads(body)) for seed, body in bodies.items()}, server_ms


def _phase(pool: ProcessPoolExecutor, base: str, clients: int, seconds: float, first_seed: int, batch: int) -> tuple[float, float, dict[int, Any]]:
    """Requests per second and mean server ms with ``clients`` processes posting at once for ``seconds``."""
    start = time.time() + 1.0  # every client process is ready and connected by then
    futures = [pool.submit(_client, base, first_seed + i, clients, start, start + seconds, batch) for i in range(clients)]
    answers: dict[int, Any] = {}
    server_ms: list[float] = []
    for future in futures:
        a, ms = future.result()
        answers.update(a)
        server_ms += ms
    return len(answers) / seconds, sum(server_ms) / len(server_ms) if server_ms else float("nan"), answers


def measure(seconds: float, web_workers: int, batch: int) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        # One torch thread per run, so two runs can use the two cores; nothing cached, so a request
        # asked again is computed again.
        server = LiveServer(Path(data_dir), LAYERLAB_TORCH_THREADS="1", LAYERLAB_RUN_CACHE_BYTES="1",
                            LAYERLAB_WEB_WORKERS=str(web_workers)).start()
        base = server.url
        try:
            with httpx.Client(base_url=base, timeout=120) as client:  # first runs import and allocate: not timed
                for seed in range(5):
                    client.post("/api/pipeline/run", json=_body(seed, batch)).raise_for_status()
            with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
                _phase(pool, base, 2, 2.0, 1_000_000, batch)  # warm up: imports, first allocations, both threads of the server's pool
                one, one_ms, _ = _phase(pool, base, 1, seconds, 2_000_000, batch)
                two, two_ms, concurrent = _phase(pool, base, 2, seconds, 3_000_000, batch)
            load = os.getloadavg()
            with httpx.Client(base_url=base, timeout=60) as client:
                differ = [s for s, a in concurrent.items() if _essence(client.post("/api/pipeline/run", json=_body(s, batch)).json()) != a]
        finally:
            server.stop()
    images = "one CIFAR-10 image" if batch == 1 else f"{batch} CIFAR-10 images"
    print(f"LAYERLAB_WEB_WORKERS={web_workers} ({web_workers} server process{'es' if web_workers > 1 else ''}), {images} a request:")
    print(f"  one client:   {one:6.1f} runs/s   (server {one_ms:.1f} ms per run)")
    print(f"  two clients:  {two:6.1f} runs/s   (server {two_ms:.1f} ms per run)")
    print(f"  ratio:        {two / one:.2f}   (target ≥ 1.6 on 2 cores)")
    print(f"  load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}   ({os.cpu_count()} cores)")
    verdict = "all identical" if not differ else f"{len(differ)} DIFFER, e.g. seed {differ[0]}"
    print(f"  {len(concurrent)} concurrent answers vs the same requests computed alone: {verdict}", flush=True)


def main() -> None:
    """One server process (threads share its GIL), then two (uvicorn's workers, one GIL each)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("seconds", nargs="?", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--web-workers", default="1,2", help="server processes to measure, comma-separated")
    parser.add_argument("--batch", type=int, default=1, help="CIFAR-10 images per request (32: the outside check's batches)")
    args = parser.parse_args()
    for web_workers in (int(n) for n in args.web_workers.split(",")):
        measure(args.seconds, web_workers, args.batch)


if __name__ == "__main__":
    main()
