"""What a training job is asked to do: the body of ``POST /api/jobs`` and the job's ``config.json``.

Every field has a default; the defaults train example 14 (the classic CIFAR-10 network of app/examples.py,
145,578 parameters) with SGD at lr 0.01, batch 64, for one epoch.
"""

from __future__ import annotations

from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, Field

from ..engine.schema import layer_config, layer_union
from ..engine.recipe import Augment, Optimizer, Schedule
from ..engine.train import Device, TrainSpec
from ..examples import EXAMPLE_14
from ..inputs import InputSpec
from ..models.sources import WeightsFrom

DEFAULT_PROBE: dict[str, Any] = {"source": "cifar10", "split": "test", "index": 0}


class JobConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    layers: list[layer_union()] = Field(  # type: ignore[valid-type]
        default_factory=lambda: [dict(layer) for layer in EXAMPLE_14],
        validate_default=True,
        min_length=1,
        max_length=256,
        description="Lab layers ending in 10 outputs per image (default: example 14).",
    )
    optimizer: Optimizer = Field(Optimizer.SGD, description="sgd (torch.optim.SGD) or adam (torch.optim.Adam).")
    lr: float = Field(0.01, gt=0, le=10, description="Learning rate.")
    momentum: float = Field(0.0, ge=0, le=1, description="SGD momentum (ignored by Adam).")
    weight_decay: float = Field(0.0, ge=0, le=1, description="L2 penalty, as torch's optimisers take it.")
    batch_size: int = Field(64, ge=1, le=4096)
    epochs: int = Field(1, ge=1, le=1000)
    max_steps: int | None = Field(None, ge=1, description="Stop after this many optimiser steps (the epoch is still evaluated).")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="torch.manual_seed before the modules are built; also seeds the shuffle.")
    schedule: Schedule = Field(
        Schedule.CONSTANT,
        description="constant: lr throughout; one_cycle: torch.optim.lr_scheduler.OneCycleLR with max_lr=lr over "
        "the job's steps, stepped after every batch (warm up, then anneal: reaches a given accuracy in fewer epochs).",
    )
    augment: list[Augment] = Field(
        default_factory=list,
        max_length=2,
        description="Random changes to each training image, drawn anew every epoch: random_crop (torchvision's "
        "RandomCrop(32, padding=4)) and/or horizontal_flip (RandomHorizontalFlip). Test images are never changed.",
    )
    weights_from: WeightsFrom | None = Field(
        None,
        description='Start from these weights instead of the seeded ones (fine-tuning): a model {"model_id"} or a job\'s '
        'checkpoint {"job_id", "epoch"}. Without layers, its own layers are trained.',
    )
    device: Device = Field(Device.AUTO, description="auto: CUDA when torch sees one, else the CPU.")
    processes: int = Field(
        1,
        ge=1,
        le=64,
        description="Data-parallel processes (torchrun + DistributedDataParallel), one per GPU or CPU core; each "
        "takes an equal share of every batch, so a step is one process's step on the whole batch (BatchNorm "
        "excepted: each process takes its statistics over its share). At most LAYERLAB_MAX_PROCESSES.",
    )
    health_every: int = Field(
        10,
        ge=0,
        le=1_000_000,
        description="Every this many steps the worker reports, per layer with parameters, the gradient norm, the weight norm "
        "and the update-to-weight ratio ‖Δw‖/‖w‖ (a layer_health event); after every epoch each stage's activation histogram "
        "and the fraction of dead ReLU units (an activations event). 0: neither.",
    )
    probe: InputSpec = Field(
        default_factory=lambda: dict(DEFAULT_PROBE),
        validate_default=True,
        description="An input of the run API drawn through the network at every checkpoint (default: CIFAR-10 test image 0).",
    )

    def engine_layers(self) -> list[dict[str, Any]]:
        return [layer_config(layer) for layer in self.layers]

    def as_json(self) -> dict[str, Any]:
        """Every top-level field (defaults filled in), layers as they were given (torch's defaults left out)."""
        return {**self.model_dump(mode="json"), "layers": self.engine_layers()}

    def train_spec(self, initial_weights: dict[str, torch.Tensor] | None = None) -> TrainSpec:
        """``initial_weights``: the state_dict ``weights_from`` names, resolved by the caller (app.models)."""
        return TrainSpec(
            layers=self.engine_layers(),
            optimizer=self.optimizer,
            lr=self.lr,
            momentum=self.momentum,
            weight_decay=self.weight_decay,
            batch_size=self.batch_size,
            epochs=self.epochs,
            max_steps=self.max_steps,
            seed=self.seed,
            device=self.device,
            schedule=self.schedule,
            augment=tuple(dict.fromkeys(self.augment)),
            health_every=self.health_every,
            initial_weights=initial_weights,
        )
