"""What learning does to each layer: gradient and weight norms, update sizes, dead units, activations.

Two measurements, both kept off the hot path:

- every ``health_every`` steps, around the optimiser step, per layer with parameters (all of its
  parameters together, as one vector): ‖∂L/∂w‖, ‖w‖ after the step, and the update-to-weight ratio
  ‖Δw‖ / ‖w‖ — the *actual* change the optimiser made (momentum, Adam's scaling and weight decay
  included), not lr·‖g‖/‖w‖, which is the same only for plain SGD. The event also carries ``lr``,
  so lr·‖g‖/‖w‖ can be read from it too. Norms come from ``torch._foreach_norm`` (one kernel per
  list, not one per tensor) and reach the host in one ``tolist``; the weights are copied only on
  those steps (CS231n's rule of thumb: the ratio near 1e-3 is healthy; far above, the rate is too
  high; far below, too low);
- once per epoch (epoch 0 included), one forward pass over a fixed batch of test images in eval
  mode: each stage's activation histogram, and for layers that output 0 for every negative input
  (``LayerSpec.can_die``: ReLU, ReLU6) the fraction of dead units — positions (channel, row, column,
  or feature) never positive over the whole batch, which pass no gradient back.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
import torch.nn as nn

from .records import Plan

HISTOGRAM_BINS = 30
HEALTH_IMAGES = 256  # test images of the per-epoch pass: the first ones, the same every epoch


@dataclass
class LayerNorms:
    index: int  # 1-based, as a run answers it
    type: str
    grad_norm: float
    weight_norm: float
    update_ratio: float  # ‖Δw‖ / ‖w‖ of this step (inf when ‖w‖ = 0)


@dataclass
class LayerHealthRecord:
    """Per layer with parameters, around one optimiser step."""

    step: int
    epoch: int
    lr: float  # the learning rate this step used (a schedule changes it)
    layers: list[LayerNorms]
    time: float


@dataclass
class StageActivity:
    index: int
    type: str
    dead_fraction: float | None  # layers that can die (ReLU, ReLU6) only
    min: float | None  # over the finite values; None when there are none
    max: float | None
    counts: list[int]  # HISTOGRAM_BINS equal bins from min to max


@dataclass
class ActivationRecord:
    """Each stage's activations over the first ``images`` test images, after an epoch (eval mode)."""

    epoch: int
    step: int
    images: int
    stages: list[StageActivity]
    time: float


class NormWatch:
    """Per-layer norms around an optimiser step: :meth:`before_step` after backward, :meth:`after_step` after it."""

    def __init__(self, plan: Plan, modules: nn.ModuleList) -> None:
        self.layers = [(s.index, s.spec.name) for s, m in zip(plan.stages, modules, strict=True) if any(True for _ in m.parameters())]
        self.params = [p for m in modules for p in m.parameters()]
        owner = [i for i, m in enumerate(m for m in modules if any(True for _ in m.parameters())) for _ in m.parameters()]
        self._owner = torch.tensor(owner)  # (P,): the layer (0-based among layers with parameters) of each parameter
        self._grads: torch.Tensor | None = None
        self._before: list[torch.Tensor] = []

    def _per_layer(self, norms: list[torch.Tensor]) -> torch.Tensor:
        """Per-parameter norms → per-layer norms: the square root of each layer's sum of squares."""
        squares = torch.stack(norms).float().square()
        return torch.zeros(len(self.layers), device=squares.device).index_add_(0, self._owner.to(squares.device), squares).sqrt()

    def before_step(self) -> None:
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]
        self._grads = self._per_layer(list(torch._foreach_norm(grads)))
        self._before = [p.detach().clone() for p in self.params]

    def after_step(self, step: int, epoch: int, lr: float) -> LayerHealthRecord:
        assert self._grads is not None, "before_step() comes first"
        now = [p.detach() for p in self.params]
        weights = self._per_layer(list(torch._foreach_norm(now)))
        updates = self._per_layer(list(torch._foreach_norm(torch._foreach_sub(now, self._before))))
        grads, weights_, updates_ = torch.stack([self._grads, weights, updates]).tolist()  # the one host sync
        self._grads, self._before = None, []
        layers = [
            LayerNorms(index, name, g, w, u / w if w else math.inf)
            for (index, name), g, w, u in zip(self.layers, grads, weights_, updates_, strict=True)
        ]
        return LayerHealthRecord(step, epoch, lr, layers, time.time())


def _activity(index: int, name: str, out: torch.Tensor, can_die: bool) -> StageActivity:
    """One ``aminmax`` pass decides the common case, every value finite (NaN propagates into the extremes):
    then no mask and no filtered copy are made, and a unit's largest value says whether it was ever positive.
    Otherwise the finite values are picked out. The numbers are the same either way (tests/engine/test_health.py);
    on 256 images the mask and the copy were ~60 % of the per-epoch pass."""
    out = out.detach().float()
    lo_t, hi_t = torch.aminmax(out) if out.numel() else (torch.tensor(math.nan), torch.tensor(math.nan))
    all_finite = math.isfinite(lo_t) and math.isfinite(hi_t)
    dead = None
    if can_die and out.dim() >= 2:  # a unit: one position of a sample's output
        ever_positive = out.amax(0) > 0 if all_finite else (out > 0).any(0)
        dead = 1.0 - float(ever_positive.float().mean())
    finite = out if all_finite else out[torch.isfinite(out)]
    if finite.numel() == 0:
        return StageActivity(index, name, dead, None, None, [0] * HISTOGRAM_BINS)
    lo, hi = (float(lo_t), float(hi_t)) if all_finite else (float(finite.min()), float(finite.max()))
    counts = torch.histc(finite, bins=HISTOGRAM_BINS, min=lo, max=hi if hi > lo else lo + 1)
    return StageActivity(index, name, dead, lo, hi, [int(c) for c in counts.tolist()])


@torch.no_grad()
def activation_record(plan: Plan, stage_outputs, images: torch.Tensor, epoch: int, step: int) -> ActivationRecord:
    """``stage_outputs(images)`` yields each stage's output in order (the network in eval mode)."""
    stages = [
        _activity(stage.index, stage.spec.name, out, stage.spec.can_die)
        for stage, out in zip(plan.stages, stage_outputs(images), strict=True)
    ]
    return ActivationRecord(epoch, step, len(images), stages, time.time())
