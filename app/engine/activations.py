"""Curves of activation functions and their derivatives, computed by torch and autograd."""

from __future__ import annotations

import contextlib
from typing import Any

import torch

from .captured import captured_warnings
from .errors import EngineError
from .plan import make_plan
from .records import LayerConfig, Mode
from .registry import REGISTRY, Category
from .rng import seeded
from .summary import tensor_values

ACTIVATIONS: tuple[str, ...] = tuple(n for n, s in REGISTRY.items() if s.category is Category.ACTIVATION)
MAX_POINTS = 10_001


def activation_curve(
    layer: LayerConfig, x_min: float, x_max: float, points: int, *, mode: Mode = Mode.EVAL, seed: int = 0
) -> dict[str, Any]:
    """``{"x", "y", "grad", "notes"}`` of ``layer`` over ``points`` evenly spaced inputs; grad is dy/dx by autograd.

    Each point is an independent scalar for elementwise activations, so ``y.sum().backward()`` gives
    the derivative at every x. Softmax/LogSoftmax couple the points (they normalise over the curve),
    and their grad is that of the sum, as torch computes it.
    """
    if not x_min < x_max:
        raise EngineError(f"x_min ({x_min}) must be below x_max ({x_max}).")
    if not 2 <= points <= MAX_POINTS:
        raise EngineError(f"points must be between 2 and {MAX_POINTS}, got {points}.")
    x = torch.linspace(x_min, x_max, points, dtype=torch.float32)
    plan = make_plan(tuple(x.shape), [layer], max_elements=MAX_POINTS)
    stage = plan.stages[0]
    training = mode is Mode.TRAIN
    with seeded(seed) as stream:
        module = stage.build()
    with torch.no_grad():
        for name, value in stage.explicit.items():
            getattr(module, name).copy_(value)
    module.train(training)
    x.requires_grad_(True)
    draws = stream.drawing() if training and stage.spec.random_in_train else contextlib.nullcontext()
    with draws, captured_warnings() as warned:
        y = module(x)
    (grad,) = torch.autograd.grad(y.sum(), x)
    return {
        "x": tensor_values(x, MAX_POINTS),
        "y": tensor_values(y, MAX_POINTS),
        "grad": tensor_values(grad, MAX_POINTS),
        "notes": [f"torch warned: {w}" for w in dict.fromkeys(warned)],
    }
