"""Gradients of a run: what ``loss.backward()`` leaves on the same modules, for every stage and parameter.

The run's forward pass is done with autograd on (only when a ``backward`` is asked for: a plain run
stays under ``no_grad``); every stage's output keeps its gradient (``retain_grad()``) and every
parameter's ``.grad`` is read after one ``backward()``. Nothing here differentiates by hand.

What is differentiated is either a loss of the last stage against a target (any loss of
:mod:`.losses`) or one value of the last stage. Both are checked against the planned output shape
before any module is built, so a target that cannot fit is refused in the lab's words, not torch's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn as nn

from .captured import captured_warnings
from .errors import EngineError
from .losses import LOSSES, LossSpec
from .records import Stats
from .shapes import Shape, shape_text
from .summary import tensor_stats


class BackwardError(EngineError):
    """A ``backward`` that cannot be done on this output; ``path`` leads into the request's ``backward``."""

    def __init__(self, message: str, *path: str | int) -> None:
        super().__init__(message)
        self.path = list(path)


@dataclass(frozen=True)
class Backward:
    """What to differentiate: ``loss`` (a name in LOSSES) of the output against ``target``, or ``output[index]``."""

    loss: str | None = None
    loss_params: dict[str, Any] = field(default_factory=dict)
    target: Any = None  # nested lists: class indices (ints) or values (floats)
    output: tuple[int, ...] | None = None


@dataclass
class Gradient:
    """One gradient tensor with its statistics (``norm`` is its L2 norm, as ``clip_grad_norm_`` measures)."""

    tensor: torch.Tensor
    stats: Stats

    @classmethod
    def of(cls, t: torch.Tensor) -> Gradient:
        t = t.detach()
        norm = float(torch.linalg.vector_norm(t)) if t.numel() else 0.0
        return cls(t, {**tensor_stats(t), "norm": norm if math.isfinite(norm) else None})


@dataclass
class Gradients:
    """``stages[k]``: ∂L/∂ stage k's output (0 is the input); ``params[k - 1]``: layer k's ∂L/∂ parameter."""

    loss: float | None
    stages: list[Gradient]
    params: list[dict[str, Gradient]]

    @property
    def nbytes(self) -> int:
        tensors = [g.tensor for g in self.stages] + [g.tensor for p in self.params for g in p.values()]
        return sum(t.element_size() * t.numel() for t in tensors)


def _all_ints(nested: Any) -> bool:
    if isinstance(nested, list):
        return all(_all_ints(v) for v in nested)
    return isinstance(nested, int) and not isinstance(nested, bool)


@dataclass
class PreparedLoss:
    module: nn.Module
    target: torch.Tensor


def _target_tensor(spec: LossSpec, data: Any) -> torch.Tensor:
    class_indices = spec.class_targets and _all_ints(data)
    try:
        return torch.tensor(data, dtype=torch.long if class_indices else torch.float32)
    except (ValueError, TypeError) as exc:
        raise BackwardError(f"target is not a rectangular array of numbers: {exc}", "target") from exc


def _check_class_target(spec: LossSpec, out: Shape, target: torch.Tensor, ignore_index: int) -> None:
    """CrossEntropyLoss / NLLLoss: dim 1 (dim 0 unbatched) holds the C class scores; indices need the other dims."""
    if len(out) == 0:
        raise BackwardError(f"{spec.name} needs class scores, but the output is a single number. End the network with Linear(…, classes).", "loss")
    c_dim = 0 if len(out) == 1 else 1
    classes = out[c_dim]
    where = "" if len(out) <= 2 else f" at each of the {'×'.join(map(str, out[2:]))} positions"
    reading = f"{spec.name} reads the output {shape_text(out)} as {'' if len(out) == 1 else f'N={out[0]} samples of '}C={classes} class scores{where}"
    if target.is_floating_point():
        if tuple(target.shape) != out:
            raise BackwardError(
                f"{reading}; a target of class probabilities must have the output's shape {list(out)}, got {list(target.shape)}. "
                "Give one class index per sample (integers) instead, or probabilities of that shape.", "target")
        return
    wanted = [n for d, n in enumerate(out) if d != c_dim]
    if list(target.shape) != wanted:
        fix = "Add Flatten and Linear(…, classes) so the output is (N, classes), or give" if len(out) > 2 else "Give"
        raise BackwardError(
            f"{reading}, so its class indices need shape {wanted} (one class per {'sample and position' if len(out) > 2 else 'sample'}); "
            f"got {list(target.shape)}. {fix} a target of shape {wanted}.", "target")
    bad = target[(target != ignore_index) & ((target < 0) | (target >= classes))]
    if bad.numel():
        raise BackwardError(
            f"class index {int(bad[0])} is outside 0…{classes - 1}: the output has C = {classes} classes on dim {c_dim}. "
            f"Pick a class from 0 to {classes - 1}, or give the last layer more outputs.", "target")


def prepare_loss(backward: Backward, out: Shape) -> PreparedLoss:
    """The loss module and target tensor, refused in words when the target cannot fit an output of shape ``out``."""
    assert backward.loss is not None
    spec = LOSSES[backward.loss]
    params = dict(backward.loss_params)
    if params.get("reduction") == "none" or params.get("reduce") is False:
        raise BackwardError(
            f"{spec.name} with reduction='none' gives one loss per element, and loss.backward() needs a single number. "
            "Use reduction='mean' (torch's default) or 'sum'.", "loss", "reduction")
    for name in spec.tensor_params:
        if params.get(name) is not None:
            params[name] = torch.tensor(params[name], dtype=torch.float32)
    target = _target_tensor(spec, backward.target)
    if spec.class_targets and not (target.is_floating_point() and tuple(target.shape) == out):
        _check_class_target(spec, out, target, int(params.get("ignore_index", -100)))
    elif tuple(target.shape) != out:
        raise BackwardError(
            f"{spec.name} compares the output with the target element by element, so the target needs the output's shape "
            f"{list(out)}; got {list(target.shape)}.", "target")
    with captured_warnings():  # deprecated size_average / reduce: torch's warning, not ours to show twice
        module = spec.cls(**params)
    return PreparedLoss(module, target)


def check_output_index(index: tuple[int, ...], out: Shape) -> None:
    if len(index) != len(out):
        raise BackwardError(
            f"output indexes the last stage, of shape {list(out)}, so it needs {len(out)} numbers; got {len(index)}.", "output")
    for axis, (i, size) in enumerate(zip(index, out, strict=True)):
        if not 0 <= i < size:
            raise BackwardError(
                f"output {list(index)} is outside the last stage's shape {list(out)}: index {i} on axis {axis} is outside 0…{size - 1}.",
                "output")


def objective(backward: Backward, prepared: PreparedLoss | None, y: torch.Tensor) -> torch.Tensor:
    """The scalar whose ``backward()`` is taken: the loss, or the one output value."""
    if prepared is None:
        assert backward.output is not None
        return y[backward.output]
    try:
        return prepared.module(y, prepared.target)
    except Exception as exc:  # torch refused what the checks above let through (BCELoss on values outside [0, 1], …)
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackwardError(
            f"{type(prepared.module).__name__} refused the output of shape {list(y.shape)} and the target of shape "
            f"{list(prepared.target.shape)}; torch says: {message}", "loss") from exc


def gradients(loss: torch.Tensor, backward: Backward, live: list[torch.Tensor], modules: list[nn.Module]) -> Gradients:
    """``loss.backward()``, then each stage's retained gradient and each parameter's ``.grad``.

    A stage the objective does not depend on (nothing flowed back) gets zeros, as ``.grad`` would after ``zero_grad()``.
    """
    try:
        loss.backward()
    except RuntimeError as exc:  # autograd refuses some graphs, e.g. LeakyReLU(inplace=True) with a negative slope
        message = str(exc).strip().splitlines()[0]
        hint = " Set inplace to false on the layer it names." if "in-place" in message.lower() or "inplace" in message.lower() else ""
        raise BackwardError(f"torch's autograd cannot go backward through this pipeline; torch says: {message}{hint}", "loss") from exc
    stages = [Gradient.of(t.grad if t.grad is not None else torch.zeros_like(t)) for t in live]
    params = [
        {name: Gradient.of(p.grad if p.grad is not None else torch.zeros_like(p)) for name, p in m.named_parameters()}
        for m in modules
    ]
    value = float(loss.detach()) if backward.loss is not None else None
    return Gradients(value if value is None or math.isfinite(value) else None, stages, params)
