"""The engine's records: what a plan and a run produce, as plain data.

:mod:`.plan` makes :class:`Plan`\\ s of :class:`Stage`\\ s, :mod:`.run` makes :class:`Trace`\\ s of
:class:`StageResult`\\ s; :mod:`.explain`, :mod:`.notes` and :mod:`.codegen` only read them, and the
API and the renderer format them (torchinfo's ``LayerInfo`` split). Nothing here computes.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import torch
import torch.nn as nn

from .registry import LayerSpec
from .shapes import Shape

LayerConfig = dict[str, Any]
"""One layer as the request gave it: ``{"type": "Conv2d", "out_channels": 6, …}`` (only what was set)."""

Stats = dict[str, float | int | None]
"""min, max, mean, std, zero_fraction, nan_count, inf_count (see :func:`.summary.tensor_stats`)."""


class Mode(StrEnum):
    EVAL = "eval"
    TRAIN = "train"


def _read_only(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping if isinstance(mapping, MappingProxyType) else MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Stage:
    """One layer as it will be built: its spec, torch kwargs, shapes and any explicit tensors.

    Frozen, its mappings read-only and its lists tuples: plans are shared between threads through
    an ``lru_cache`` (:func:`app.engine.plan.make_plan`), so nothing may change one after it is made.
    """

    position: int  # 0-based place in the request; the answer's "index" is position + 1
    spec: LayerSpec
    kwargs: Mapping[str, Any]
    input_shape: Shape
    output_shape: Shape
    params: int
    mult_adds: int
    explicit: Mapping[str, torch.Tensor] = field(default_factory=dict)  # "weight"/"bias" values
    indices_from: int | None = None  # position of the layer whose pool indices this one consumes
    indices_shape: Shape | None = None  # for a stage that returns indices
    output_size: Shape | None = None  # MaxUnpool2d's forward argument, when the request gives it
    size_formula: str = ""  # the output size with the numbers filled in (app.engine.sizes)
    size_notes: tuple[str, ...] = ()  # e.g. unpooling that cannot restore the pool's size
    module_repr: str = ""  # the module as torch prints it
    tensors: tuple[tuple[str, Shape, torch.dtype], ...] = ()  # its state_dict: (name, shape, dtype) in torch's order

    def __post_init__(self) -> None:
        object.__setattr__(self, "kwargs", _read_only(self.kwargs))
        object.__setattr__(self, "explicit", _read_only(self.explicit))
        object.__setattr__(self, "size_notes", tuple(self.size_notes))
        object.__setattr__(self, "tensors", tuple(self.tensors))

    @property
    def index(self) -> int:
        return self.position + 1

    @property
    def returns_indices(self) -> bool:
        return bool(self.kwargs.get("return_indices"))

    def forward(self, module: nn.Module, x: torch.Tensor, indices: torch.Tensor | None) -> Any:
        """Call the module as the ``code`` field does: with the pool's indices and output_size when given."""
        if indices is None:
            return module(x)
        return module(x, indices, **({"output_size": self.output_size} if self.output_size else {}))

    def build(self, device: str | torch.device | None = None, *, initialise: bool = True) -> nn.Module:
        """The module, initialised as torch does (drawing from the global generator) unless
        ``initialise`` is False or ``device`` is meta (which holds no values): then its tensors are
        allocated and left as they are, for a caller that replaces every one (a state_dict loaded)
        or needs only their shapes."""
        cls = self.spec.cls
        skip = (not initialise or torch.device(device or "cpu").type == "meta") and hasattr(cls, "reset_parameters")
        with torch.device(device) if device is not None else contextlib.nullcontext():
            if not skip:
                return cls(**self.kwargs)
            module = _without_reset(cls)(**self.kwargs)
        module.__class__ = cls  # the very class again: its repr, type checks and reset_parameters are torch's
        return module


@functools.cache
def _without_reset(cls: type[nn.Module]) -> type[nn.Module]:
    """``cls`` whose ``reset_parameters`` (torch's initialisation of its parameters and buffers, called
    from ``__init__``) does nothing. On the meta device it ran as Python decompositions (``uniform_``),
    most of a meta build's time; on the CPU it drew numbers a full state_dict then overwrote."""
    return type(cls.__name__, (cls,), {"reset_parameters": lambda self: None, "__module__": cls.__module__})


@dataclass(frozen=True)
class Plan:
    input_shape: Shape
    stages: tuple[Stage, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(self.stages))


@dataclass
class StageResult:
    """What one layer did: the engine's plain record, formatted by the API and renderer."""

    stage: Stage
    module_repr: str
    output: torch.Tensor
    indices: torch.Tensor | None
    time_ms: float
    stats: Stats = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class Trace:
    input: torch.Tensor
    plan: Plan
    stages: list[StageResult]
    seed: int
    mode: Mode
    input_stats: Stats = field(default_factory=dict)
    weights: dict[str, torch.Tensor] | None = None  # a trained state_dict loaded over the seeded weights
    grads: Any = None  # backward.Gradients when the run was asked for them (typed Any: backward imports this module)

    @property
    def output(self) -> torch.Tensor:
        return self.stages[-1].output if self.stages else self.input
