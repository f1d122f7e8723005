"""Load: concurrent clients on the CIFAR-10 pipeline (run + every map) against a real server over loopback.

    scripts/run bench/load_bench.py [--seconds 30] [--clients 16]

1. One client for the duration, then ``--clients`` clients: errors, p50/p99 of one iteration (a run and
   its maps), throughput and its ratio to one client (target >= 0.8), server RSS before and after
   (target <= 1.5 GB).
2. The same clients against a server whose gate is tiny (1 worker, 2 waiting): every answer is 200 or
   503 with Retry-After, nothing else, and the server is healthy after.
Each iteration uses a new seed, so each run is computed and each map drawn (no cache hit).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, for tests.live_server
from tests.live_server import LiveServer  # noqa: E402

LAYERS = [
    {"type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1},
    {"type": "ReLU"},
    {"type": "MaxPool2d", "kernel_size": 2},
]
_seeds = itertools.count(1)


def iteration(client: httpx.Client, statuses: Counter) -> bool:
    """A run and all its maps; False when any answer was a refusal (503/429)."""
    seed = next(_seeds)
    body = {"input": {"source": "cifar10", "split": "test", "index": seed % 200}, "layers": LAYERS, "seed": seed}
    r = client.post("/api/pipeline/run", json=body)
    statuses[_kind(r)] += 1
    if r.status_code != 200:
        return False
    run_id = r.json()["run_id"]
    ok = True
    for k in range(len(LAYERS) + 1):
        m = client.get(f"/api/runs/{run_id}/maps/{k}.png")
        statuses[_kind(m)] += 1
        ok = ok and m.status_code == 200
    return ok


def _kind(r: httpx.Response) -> str:
    if r.status_code == 503 and "retry-after" in r.headers:
        return "503+Retry-After"
    return str(r.status_code)


def load(url: str, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client_loop() -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            while time.monotonic() < stop:
                t = time.perf_counter()
                try:
                    complete = iteration(client, statuses)
                except httpx.HTTPError as exc:
                    with lock:
                        errors.append(repr(exc))
                    continue
                if complete:
                    with lock:
                        latencies.append(time.perf_counter() - t)

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [float("nan")] * 99
    return {
        "iterations": len(latencies), "per_s": len(latencies) / elapsed, "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000,
        "statuses": dict(statuses), "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="layerlab-load-"))

    with LiveServer(work / "data") as server:
        with httpx.Client(base_url=server.url, timeout=120) as warm:
            iteration(warm, Counter())
        rss_before = server.rss_mb()
        one = load(server.url, 1, args.seconds)
        many = load(server.url, args.clients, args.seconds)
        rss_after = server.rss_mb()
        healthy = httpx.get(server.url + "/healthz").status_code == 200
    ratio = many["per_s"] / one["per_s"]
    print(f"run + {len(LAYERS) + 1} maps of one CIFAR-10 image, {args.seconds:g} s each, loopback")
    print(f"  1 client : {one['per_s']:6.2f} it/s  p50 {one['p50_ms']:7.1f} ms  p99 {one['p99_ms']:7.1f} ms  errors {len(one['errors'])}  {one['statuses']}")
    print(f"  {args.clients} clients: {many['per_s']:6.2f} it/s  p50 {many['p50_ms']:7.1f} ms  p99 {many['p99_ms']:7.1f} ms  errors {len(many['errors'])}  {many['statuses']}")
    print(f"  throughput {args.clients} clients / 1 client = {ratio:.2f} (target >= 0.8)")
    print(f"  server RSS before {rss_before:.0f} MB, after {rss_after:.0f} MB (target <= 1536 MB); healthy after: {healthy}")

    gate = {"LAYERLAB_COMPUTE_WORKERS": "1", "LAYERLAB_COMPUTE_QUEUE": "2"}
    with LiveServer(work / "data-saturated", **gate) as server:
        saturated = load(server.url, args.clients, args.seconds)
        healthy = httpx.get(server.url + "/healthz").status_code == 200
        with httpx.Client(base_url=server.url, timeout=120) as after:
            works = iteration(after, Counter())
    others = {k: v for k, v in saturated["statuses"].items() if k not in ("200", "503+Retry-After")}
    print(f"saturated (1 worker, 2 waiting), {args.clients} clients: {saturated['statuses']}, "
          f"other answers {others or 'none'}, transport errors {len(saturated['errors'])}; "
          f"healthy after: {healthy}, a full iteration after: {works}")
    ok = (not one["errors"] and not many["errors"] and set(one["statuses"]) == set(many["statuses"]) == {"200"}
          and ratio >= 0.8 and rss_after <= 1536 and not others and not saturated["errors"]
          and saturated["statuses"].get("503+Retry-After", 0) > 0 and healthy and works)
    print("PASS" if ok else "FAIL")


if __name__ == "__main__":
    main()
