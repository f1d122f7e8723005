"""Loss functions: value and gradient with respect to the input, computed by torch and autograd.

Like layers, each loss is a ``torch.nn`` class with its constructor arguments by torch's names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn as nn

from .captured import captured_warnings
from .errors import EngineError
from .registry import Kind, Param
from .summary import tensor_values

_REDUCTION = Param("reduction", Kind.CHOICE, "mean", "How to combine the per-element losses.", choices=("mean", "sum", "none"))
_CLASS_WEIGHT = Param("weight", Kind.TENSOR, None, "A weight per class (a list), or null.", nullable=True)
_IGNORE = Param("ignore_index", Kind.INT, -100, "Target value that is ignored.")
# Deprecated in torch (it warns) but still in its signatures, so accepted; reduction says the same.
_SIZE_AVERAGE = Param("size_average", Kind.BOOL, None, "Deprecated (torch warns): use reduction.", nullable=True)
_REDUCE = Param("reduce", Kind.BOOL, None, "Deprecated (torch warns): use reduction.", nullable=True)
_LEGACY = (_SIZE_AVERAGE, _REDUCE, _REDUCTION)


@dataclass(frozen=True)
class LossSpec:
    cls: type[nn.Module]
    doc: str
    params: tuple[Param, ...]
    class_targets: bool = False  # targets may be class indices (integers → torch.long)
    tensor_params: tuple[str, ...] = ()  # constructor arguments that are tensors (weight, pos_weight)

    @property
    def name(self) -> str:
        return self.cls.__name__


LOSS_SPECS: tuple[LossSpec, ...] = (
    LossSpec(nn.L1Loss, "Mean absolute error |input − target|.", _LEGACY),
    LossSpec(nn.MSELoss, "Mean squared error (input − target)².", _LEGACY),
    LossSpec(
        nn.CrossEntropyLoss,
        "Softmax of the logits, then negative log-likelihood of the target class (or class probabilities).",
        (
            _CLASS_WEIGHT,
            _SIZE_AVERAGE,
            _IGNORE,
            _REDUCE,
            _REDUCTION,
            Param("label_smoothing", Kind.FLOAT, 0.0, "Mix of the target with uniform.", ge=0, le=1),
        ),
        class_targets=True,
        tensor_params=("weight",),
    ),
    LossSpec(
        nn.SmoothL1Loss,
        "Squared error below beta, absolute error above it.",
        (*_LEGACY, Param("beta", Kind.FLOAT, 1.0, "Where the loss switches from squared to absolute.", ge=0)),
    ),
    LossSpec(
        nn.HuberLoss,
        "Squared error below delta, delta-scaled absolute error above it.",
        (_REDUCTION, Param("delta", Kind.FLOAT, 1.0, "Where the loss switches from squared to linear.", gt=0)),
    ),
    LossSpec(nn.BCELoss, "Binary cross-entropy of probabilities in [0, 1].", (_CLASS_WEIGHT, *_LEGACY), tensor_params=("weight",)),
    LossSpec(
        nn.BCEWithLogitsLoss,
        "Sigmoid then binary cross-entropy, computed stably from logits.",
        (_CLASS_WEIGHT, *_LEGACY, Param("pos_weight", Kind.TENSOR, None, "Weight of positive examples (a list).", nullable=True)),
        tensor_params=("weight", "pos_weight"),
    ),
    LossSpec(
        nn.NLLLoss,
        "Negative log-likelihood of the target class, from log-probabilities (after LogSoftmax).",
        (_CLASS_WEIGHT, _SIZE_AVERAGE, _IGNORE, _REDUCE, _REDUCTION),
        class_targets=True,
        tensor_params=("weight",),
    ),
)

LOSSES: dict[str, LossSpec] = {spec.name: spec for spec in LOSS_SPECS}


def _all_ints(nested: Any) -> bool:
    if isinstance(nested, list):
        return all(_all_ints(v) for v in nested)
    return isinstance(nested, int) and not isinstance(nested, bool)


def _tensor(name: str, data: Any, shape: list[int] | None, dtype: torch.dtype, max_elements: int) -> torch.Tensor:
    try:
        t = torch.tensor(data, dtype=dtype)
        if shape is not None:
            t = t.reshape(shape)
    except (ValueError, TypeError, RuntimeError) as exc:
        raise EngineError(f"{name} is not usable as a tensor: {exc}") from exc
    if t.numel() > max_elements:
        raise EngineError(f"{name} holds {t.numel():,} values, above the limit of {max_elements:,}.")
    return t


def compute_loss(
    loss_type: str,
    input_data: Any,
    target_data: Any,
    params: dict[str, Any],
    *,
    input_shape: list[int] | None = None,
    target_shape: list[int] | None = None,
    max_elements: int = 1_000_000,
) -> dict[str, Any]:
    """``{"loss", "grad", …}``: torch's loss of ``input`` against ``target`` and d loss / d input."""
    spec = LOSSES[loss_type]
    x = _tensor("input", input_data, input_shape, torch.float32, max_elements)
    class_indices = spec.class_targets and _all_ints(target_data)
    target = _tensor("target", target_data, target_shape, torch.long if class_indices else torch.float32, max_elements)
    kwargs = dict(params)
    for name in spec.tensor_params:
        if kwargs.get(name) is not None:
            kwargs[name] = _tensor(name, kwargs[name], None, torch.float32, max_elements)
    x.requires_grad_(True)
    with captured_warnings() as caught:
        try:
            loss = spec.cls(**kwargs)(x, target)
            (grad,) = torch.autograd.grad(loss.sum(), x)
        except Exception as exc:  # torch refused the pair (shapes, class range, values outside [0, 1] …)
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EngineError(
                f"{loss_type} refused input of shape {list(x.shape)} and target of shape {list(target.shape)} "
                f"({target.dtype}); torch says: {message}"
            ) from exc
    value = loss.detach()
    scalar = value.dim() == 0
    return {
        "loss": (float(value) if math.isfinite(float(value)) else None) if scalar else tensor_values(value, max_elements),
        "grad": tensor_values(grad, max_elements),
        "input_shape": list(x.shape),
        "target_shape": list(target.shape),
        "target_dtype": str(target.dtype).removeprefix("torch."),
        "notes": [f"torch warned: {w}" for w in caught],
    }
