"""What scaling out costs and keeps: DDP under torchrun against one process, and the Ray backend.

    scripts/run bench/scale_bench.py [steps]

(i)  The same job (example 14 of EXAMPLES.md, batch 64, SGD with momentum, seed 0) run by the worker
     command as one process and as ``processes: 2`` (torchrun, gloo on the CPU): the largest loss
     difference over the steps, and the median time per step of each (from the workers' own
     ``images_per_s``; the 2 processes share this machine's cores with each other).
(ii) A local Ray head (``ray start --head --block``): seconds until its Jobs API takes a job, and
     the wall time of a short job through RayJobsBackend against LocalProcessBackend.
Data: the configured CIFAR-10 (LAYERLAB_CIFAR10_DIR), else the bundled 500-image sample.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.jobs.backend import JobBackend, LocalProcessBackend  # noqa: E402
from app.jobs.config import JobConfig  # noqa: E402
from app.jobs.folder import JobFolder  # noqa: E402
from app.settings import JobBackendKind, Settings  # noqa: E402

BATCH = 64


def run_job(backend: JobBackend, jobs_dir: Path, config: JobConfig) -> tuple[JobFolder, float]:
    """Start a job, wait for its worker to end; returns the folder and the wall time."""
    folder = JobFolder.create(jobs_dir, config)
    started = time.perf_counter()
    backend.start(folder.path)
    while backend.is_alive(folder.path):
        time.sleep(0.05)
    wall = time.perf_counter() - started
    status = folder.status()
    if status.status != "succeeded":
        raise SystemExit(f"job {folder.id} ended {status.status}: {status.error}\n{folder.stderr_tail()}")
    return folder, wall


def steps(folder: JobFolder) -> list[dict]:
    lines = [json.loads(line) for line in folder.metrics.read_text().splitlines()]
    return [line["value"] for line in lines if line["name"] == "step"]


def ddp(settings: Settings, n_steps: int) -> None:
    config = dict(batch_size=BATCH, lr=0.01, momentum=0.9, epochs=1000, max_steps=n_steps, seed=0)
    backend = LocalProcessBackend(settings.model_copy(update={"max_processes": 2}))
    jobs = settings.data_dir / "jobs"
    one, wall_one = run_job(backend, jobs, JobConfig(**config))
    two, wall_two = run_job(backend, jobs, JobConfig(**config, processes=2))
    a, b = steps(one), steps(two)
    diffs = [abs(x["loss"] - y["loss"]) for x, y in zip(a, b, strict=True)]
    rel = max(d / abs(x["loss"]) for d, x in zip(diffs, a))
    step_ms = [statistics.median(BATCH / s["images_per_s"] * 1000 for s in run[1:]) for run in (a, b)]
    print(f"DDP, example 14, global batch {BATCH}, {n_steps} steps, gloo on CPU")
    print(f"  loss, 1 process:    first {a[0]['loss']:.5f}  last {a[-1]['loss']:.5f}")
    print(f"  loss, 2 processes:  first {b[0]['loss']:.5f}  last {b[-1]['loss']:.5f}")
    print(f"  largest |loss difference| {max(diffs):.2e}  (relative {rel:.2e})")
    print(f"  median time per step: 1 process {step_ms[0]:.1f} ms, 2 processes {step_ms[1]:.1f} ms "
          f"(ratio {step_ms[0] / step_ms[1]:.2f}x)")
    print(f"  job wall time (start-up, epoch 0 and final evaluation included): {wall_one:.1f} s vs {wall_two:.1f} s")


def ray(settings: Settings) -> None:
    try:
        from app.jobs.ray_backend import RayJobsBackend
        from tests.ray_head import local_ray_head
    except ImportError:
        print("Ray: not installed (pip install -e '.[ray]'), skipped")
        return
    config = JobConfig(batch_size=BATCH, max_steps=8)
    asked = time.perf_counter()
    with local_ray_head(num_cpus=2) as address:
        head_s = time.perf_counter() - asked
        on_ray = RayJobsBackend(settings.model_copy(update={"job_backend": JobBackendKind.RAY, "ray_address": address}))
        _, ray_wall = run_job(on_ray, settings.data_dir / "jobs", config)
        _, ray_again = run_job(on_ray, settings.data_dir / "jobs", config)
    _, local_wall = run_job(LocalProcessBackend(settings), settings.data_dir / "jobs", config)
    print("Ray Jobs backend, one local head (2 CPUs)")
    print(f"  head start until its Jobs API took a job: {head_s:.1f} s")
    print(f"  8-step job, submit to end: Ray {ray_wall:.1f} s (first: the app package is uploaded), {ray_again:.1f} s "
          f"(second); local process {local_wall:.1f} s (ratio Ray/local {ray_again / local_wall:.2f})")


def main() -> None:
    n_steps = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        ddp(settings, n_steps)
        ray(settings)


if __name__ == "__main__":
    main()
