"""``python -m app.models.ship``: train the networks the package ships, with the project's own training job.

Each recipe is a :class:`JobConfig` (the body a user would POST to ``/api/jobs``). The job runs as every
job does — ``python -m app.jobs.worker <job dir>`` in its own process, on the full CIFAR-10 given as
``--cifar10-dir`` (an ImageFolder tree such as ``../shared/data``'s, or torchvision's files) — and its
last checkpoint becomes ``app/models/shipped/<model_id>.safetensors`` beside ``<model_id>.json``, which
records the recipe, the epochs, the measured test accuracy, the wall time and the file's sha256.

    scripts/train-shipped                      # both networks, data from ../shared/data
    python -m app.models.ship --only cifar10-example14 --cifar10-dir ~/.cache/layerlab/cifar10-jpeg
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from ..jobs.config import EXAMPLE_14, JobConfig
from ..jobs.folder import JobFolder

log = logging.getLogger("layerlab.ship")
SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"
INPUT_SHAPE = [1, 3, 32, 32]


def _with_bn_relu(layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Example 14's modern variant: BatchNorm2d + ReLU after each conv, ReLU after the first Linear."""
    out: list[dict[str, Any]] = []
    linears = 0
    for layer in layers:
        out.append(dict(layer))
        if layer["type"] == "Conv2d":
            out += [{"type": "BatchNorm2d"}, {"type": "ReLU"}]
        elif layer["type"] == "Linear":
            linears += 1
            if linears == 1:
                out.append({"type": "ReLU"})
    return out


@dataclass(frozen=True)
class Recipe:
    model_id: str
    name: str
    description: str
    config: dict[str, Any]  # a POST /api/jobs body


_TRAINING = {"optimizer": "adam", "schedule": "one_cycle", "augment": ["random_crop", "horizontal_flip"], "batch_size": 128, "seed": 0}

RECIPES: tuple[Recipe, ...] = (
    Recipe(
        "cifar10-example14",
        "Example 14, trained on CIFAR-10",
        "The classic CIFAR-10 network of the tutorials (three 5×5 convs with max pooling, two Linear layers, "
        "no activation function), trained by layerlab's own training job.",
        {"layers": EXAMPLE_14, "lr": 0.003, "epochs": 20, **_TRAINING},
    ),
    Recipe(
        "cifar10-example14-bn-relu",
        "Example 14 with BatchNorm and ReLU, trained on CIFAR-10",
        "Example 14 with BatchNorm2d and ReLU after each conv and ReLU after the first Linear: the same "
        "weights' shapes plus BatchNorm's, trained the same way — compare the two stage by stage.",
        {"layers": _with_bn_relu(EXAMPLE_14), "lr": 0.01, "epochs": 24, **_TRAINING},
    ),
)


def _run_job(recipe: Recipe, cifar10_dir: Path, work: Path) -> tuple[JobFolder, float]:
    config = JobConfig.model_validate({**recipe.config, "device": "cpu"})
    folder = JobFolder.create(work / "jobs", config)
    env = {**os.environ, "LAYERLAB_DATA_DIR": str(work), "LAYERLAB_CIFAR10_DIR": str(cifar10_dir)}
    start = time.perf_counter()
    with folder.stderr.open("w") as stderr:
        code = subprocess.run([sys.executable, "-m", "app.jobs.worker", str(folder.path)], env=env, stderr=stderr).returncode
    elapsed = time.perf_counter() - start
    status = folder.status()
    if code != 0 or status.get("status") != "succeeded":
        raise SystemExit(f"{recipe.model_id}: the job ended {status.get('status')}: {status.get('error')}\n{folder.stderr_tail()}")
    return folder, elapsed


def _last_epoch(folder: JobFolder) -> dict[str, Any]:
    epochs = [r for r in folder.read_records() if r.name == "epoch"]
    return {"epoch": epochs[-1].epoch, **epochs[-1].value}


def ship(recipe: Recipe, cifar10_dir: Path, out_dir: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="layerlab-ship-") as tmp:
        folder, elapsed = _run_job(recipe, cifar10_dir, Path(tmp))
        last = _last_epoch(folder)
        state = torch.load(folder.checkpoint(last["epoch"]), map_location="cpu", weights_only=True)
        train_size = folder.status().train_size
        config = folder.config().as_json()
    weights = out_dir / f"{recipe.model_id}.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(weights))
    facts = {
        "model_id": recipe.model_id,
        "name": recipe.name,
        "description": recipe.description,
        "layers": config["layers"],
        "input_shape": INPUT_SHAPE,
        "trained": {
            "dataset": f"CIFAR-10: {train_size:,} training images; accuracy on the 10,000 test images",
            "epochs": last["epoch"],
            "test_accuracy": round(last["test_accuracy"], 4),
            "class_accuracy": [round(a, 4) if a is not None else None for a in last["class_accuracy"]],
            "test_loss": round(last["test_loss"], 4),
            "recipe": {k: v for k, v in config.items() if k not in ("layers", "probe", "device")},
            "wall_time_s": round(elapsed, 1),
            "trained_on": f"{os.cpu_count()} CPU cores, torch {torch.__version__}, {platform.machine()}",
            "sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        },
    }
    (out_dir / f"{recipe.model_id}.json").write_text(json.dumps(facts, indent=1) + "\n")
    log.info("%s: %.2f %% test accuracy after %d epochs in %.0f s", recipe.model_id, 100 * last["test_accuracy"], last["epoch"], elapsed)
    return facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.models.ship", description=__doc__.splitlines()[0])
    parser.add_argument("--cifar10-dir", type=Path, required=True, help="the full CIFAR-10: an ImageFolder tree or torchvision's files")
    parser.add_argument("--out", type=Path, default=SHIPPED_DIR, help="where the .safetensors and .json go")
    parser.add_argument("--only", choices=[r.model_id for r in RECIPES], action="append", help="train only these")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    for recipe in RECIPES:
        if args.only is None or recipe.model_id in args.only:
            ship(recipe, args.cifar10_dir.expanduser().resolve(), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
