"""What the layer-health events cost a training job: images/s with ``health_every=10`` against without.

    .venv/bin/python bench/layer_health_bench.py [rounds, default 6]

Example 14, SGD(lr=0.01), batch 64, 2 torch threads, the engine's loop (``app.engine.train.train``)
on the bundled CIFAR-10 sample (or ``LAYERLAB_CIFAR10_DIR``). Each round runs 40 steps without and 40
with the events, alternating which goes first (the machine's speed drifts more than the effect); a
round's figure is the median of its steps' images/s after the first 5 (what the job reports per
step: the norms are computed inside the step, so they count). Prints each round's ratio, the median
ratio (target: at most 5 % slower, ratio ≥ 0.95), the cost of one per-epoch activations pass, and the
load average before and after.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app.datasets import load_cifar10  # noqa: E402
from app.datasets.cifar10 import Split  # noqa: E402
from app.engine.health import HEALTH_IMAGES, activation_record  # noqa: E402
from app.engine.train import StepRecord, TrainData, TrainSpec, build_network, plan_for_training, to_input, train  # noqa: E402
from app.jobs.config import EXAMPLE_14  # noqa: E402
from app.settings import Settings  # noqa: E402

STEPS = 40


def images_per_s(data: TrainData, health_every: int) -> float:
    spec = TrainSpec(layers=EXAMPLE_14, batch_size=64, epochs=100, max_steps=STEPS, health_every=health_every, device="cpu")
    rates = [r.images_per_s for r in train(spec, data, max_elements=10**9) if isinstance(r, StepRecord)]
    return statistics.median(rates[5:])


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    torch.set_num_threads(2)
    cifar = load_cifar10(Settings())
    data = TrainData(cifar.images_by_split[Split.TRAIN], cifar.labels_by_split[Split.TRAIN],
                     cifar.images_by_split[Split.TEST], cifar.labels_by_split[Split.TEST])
    load_before = os.getloadavg()
    images_per_s(data, 0)  # warm-up
    ratios = []
    print(f"{'round':>5} {'without img/s':>14} {'with img/s':>11} {'with/without':>13}")
    for i in range(rounds):
        if i % 2 == 0:
            without = images_per_s(data, 0)
            with_ = images_per_s(data, 10)
        else:
            with_ = images_per_s(data, 10)
            without = images_per_s(data, 0)
        ratios.append(with_ / without)
        print(f"{i:>5} {without:>14.0f} {with_:>11.0f} {with_ / without:>13.3f}")
    plan = plan_for_training(EXAMPLE_14, 64, 10**9)
    net = build_network(plan, 0).eval()
    start = time.perf_counter()
    activation_record(plan, net.stages, to_input(data.test_images[:HEALTH_IMAGES], torch.device("cpu")), 1, 1)
    pass_ms = (time.perf_counter() - start) * 1000
    load_after = os.getloadavg()
    print(f"\nexample 14, batch 64, {STEPS} steps a run, {rounds} rounds, {torch.get_num_threads()} torch threads, {len(data.train_labels)} training images")
    print(f"images/s with health_every=10 / without: median {statistics.median(ratios):.3f} (target >= 0.95), range {min(ratios):.3f}-{max(ratios):.3f}")
    print(f"one activations pass ({min(HEALTH_IMAGES, len(data.test_labels))} test images): {pass_ms:.0f} ms per epoch")
    print(f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")


if __name__ == "__main__":
    main()
