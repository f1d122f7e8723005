"""What the layer-health events cost a training job: images/s with ``health_every=10`` against without.

    .venv/bin/python bench/layer_health_bench.py [rounds, default 6]

Example 14, SGD(lr=0.01), batch 64, 2 torch threads, the engine's loop (``app.engine.train.train``)
on the bundled CIFAR-10 sample (or ``LAYERLAB_CIFAR10_DIR``). Each round runs 40 steps without and 40
with the events, alternating which goes first (the machine's speed drifts more than the effect); a
round's figure is the median of its steps' images/s after the first 5 (what the job reports per
step: the norms are computed inside the step, so they count). Prints each round's ratio, the median
ratio (target: at most 5 % slower, ratio ≥ 0.95), the cost of one per-epoch activations pass, and the
load average before and after.

On a shared machine the rounds' ratios drift by more than the effect, so the runs with events also time
the health work itself (``NormWatch.before_step`` / ``after_step`` and the per-epoch activations pass,
wrapped with a clock): its share of the same run's wall time is a figure the machine's load cannot skew
between two runs. Also printed: the job's images/s over the whole run (epochs' evaluation passes
included), and how long an epoch of the full CIFAR-10 (50,000 images) would take against one
activations pass.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app.datasets import load_cifar10  # noqa: E402
from app.datasets.cifar10 import Split  # noqa: E402
from app.engine import train as train_module  # noqa: E402
from app.engine.health import HEALTH_IMAGES, NormWatch, activation_record  # noqa: E402
from app.engine.train import StepRecord, TrainData, TrainSpec, build_network, plan_for_training, to_input, train  # noqa: E402
from app.jobs.config import EXAMPLE_14  # noqa: E402
from app.settings import Settings  # noqa: E402

STEPS = int(os.environ.get("HEALTH_BENCH_STEPS", 40))  # steps a run


class HealthClock:
    """Wraps the health work the training loop calls (engine.health's NormWatch and the activations pass) with a clock."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, owner: object, name: str) -> None:
        real = getattr(owner, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        setattr(owner, name, timed)


CLOCK = HealthClock()
CLOCK.wrap(NormWatch, "before_step")
CLOCK.wrap(NormWatch, "after_step")
CLOCK.wrap(train_module, "activation_record")


@dataclass
class Run:
    step_rate: float  # median images/s of the steps after the first 5 (what the job reports per step)
    job_rate: float  # images trained / the whole run's wall time (epoch evaluation passes included)
    health_share: float  # the health work's share of the run's wall time (0 without events)


def images_per_s(data: TrainData, health_every: int) -> Run:
    spec = TrainSpec(layers=EXAMPLE_14, batch_size=64, epochs=100, max_steps=STEPS, health_every=health_every, device="cpu")
    CLOCK.seconds = 0.0
    start = time.perf_counter()
    steps = [r for r in train(spec, data, max_elements=10**9) if isinstance(r, StepRecord)]
    wall = time.perf_counter() - start
    return Run(statistics.median(r.images_per_s for r in steps[5:]), len(steps) * 64 / wall, CLOCK.seconds / wall)  # full batches


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    torch.set_num_threads(2)
    cifar = load_cifar10(Settings())
    data = TrainData(cifar.images_by_split[Split.TRAIN], cifar.labels_by_split[Split.TRAIN],
                     cifar.images_by_split[Split.TEST], cifar.labels_by_split[Split.TEST])
    load_before = os.getloadavg()
    images_per_s(data, 0)  # warm-up
    ratios, job_ratios, shares, withouts = [], [], [], []
    print(f"{'round':>5} {'without img/s':>14} {'with img/s':>11} {'with/without':>13} {'job with/without':>17} {'health share':>13}")
    for i in range(rounds):
        if i % 2 == 0:
            without = images_per_s(data, 0)
            with_ = images_per_s(data, 10)
        else:
            with_ = images_per_s(data, 10)
            without = images_per_s(data, 0)
        ratios.append(with_.step_rate / without.step_rate)
        job_ratios.append(with_.job_rate / without.job_rate)
        shares.append(with_.health_share)
        withouts.append(without.step_rate)
        print(f"{i:>5} {without.step_rate:>14.0f} {with_.step_rate:>11.0f} {ratios[-1]:>13.3f} {job_ratios[-1]:>17.3f} {100 * shares[-1]:>12.2f}%")
    plan = plan_for_training(EXAMPLE_14, 64, 10**9)
    net = build_network(plan, 0).eval()
    start = time.perf_counter()
    activation_record(plan, net.stages, to_input(data.test_images[:HEALTH_IMAGES], torch.device("cpu")), 1, 1)
    pass_ms = (time.perf_counter() - start) * 1000
    load_after = os.getloadavg()
    rate = statistics.median(withouts)
    full_epoch_ms = 50_000 / rate * 1000
    print(f"\nexample 14, batch 64, {STEPS} steps a run, {rounds} rounds, {torch.get_num_threads()} torch threads, {len(data.train_labels)} training images")
    print(f"images/s with health_every=10 / without, per step: median {statistics.median(ratios):.3f} (target >= 0.95), range {min(ratios):.3f}-{max(ratios):.3f}")
    print(f"the job's images/s over the whole run, with / without: median {statistics.median(job_ratios):.3f}, range {min(job_ratios):.3f}-{max(job_ratios):.3f}")
    print(f"health work's share of the runs with events (same run, load-proof): median {100 * statistics.median(shares):.2f} %, max {100 * max(shares):.2f} %")
    print(f"one activations pass ({min(HEALTH_IMAGES, len(data.test_labels))} test images): {pass_ms:.0f} ms per epoch; "
          f"an epoch of the full CIFAR-10 at {rate:.0f} img/s: {full_epoch_ms / 1000:.0f} s, so {100 * pass_ms / full_epoch_ms:.2f} % of it")
    print(f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")


if __name__ == "__main__":
    main()
