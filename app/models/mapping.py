"""Strict mapping of a file's tensors onto the lab layers, like ``load_state_dict(strict=True)``.

Every parameter and buffer of every planned layer is a :class:`Slot`. Keys are matched to slots by
module path where the architecture names its modules (``print(model)``, ONNX), else in order (JSON
layers: the file's keys grouped by module, group after group, onto the layers that hold tensors).
Every slot needs a key, every key a slot, every shape must agree; the first that does not is a
refusal naming the key, the layer (1-based, and as torch prints it) and both shapes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch

from ..engine.records import Plan
from ..engine.shapes import Shape, shape_text
from .errors import ModelImportError

FIELD = "weights"


def layer_label(position: int, path: str | None, module: str) -> str:
    """``layer 2 (features.1: MaxPool2d(kernel_size=2, ...))``: 1-based, the module path, as torch prints it."""
    where = f"{path}: " if path else ""
    return f"layer {position + 1} ({where}{module})"


@dataclass(frozen=True)
class Slot:
    """One tensor a lab layer holds: ``state_dict()[name]`` of the module at ``position`` (0-based)."""

    position: int
    name: str
    module: str  # as torch prints it
    path: str | None  # the module's path in the architecture, when it names its modules
    shape: Shape
    dtype: torch.dtype

    @property
    def label(self) -> str:
        return layer_label(self.position, self.path, self.module)

    @property
    def lab_key(self) -> str:
        return f"{self.position}.{self.name}"  # as the run's nn.Sequential names it

    def file_key(self) -> str:
        assert self.path is not None
        return f"{self.path}.{self.name}" if self.path else self.name


@dataclass(frozen=True)
class Assigned:
    slot: Slot
    key: str | None  # the file's key (or ONNX initializer name); None for a buffer the format lacks, filled
    tensor: torch.Tensor


def slots_of(plan: Plan, paths: list[str | None]) -> tuple[list[Slot], dict[str, str]]:
    """Every parameter and buffer of the planned layers, in layer order and torch's registration order;
    and each named module's label (``layer 2 (features.1: MaxPool2d(...))``), with tensors or without."""
    slots, labels = [], {}
    for stage, path in zip(plan.stages, paths, strict=True):  # the plan built each module once and kept what is needed
        slots += [Slot(stage.position, name, stage.module_repr, path, shape, dtype) for name, shape, dtype in stage.tensors]
        if path is not None:
            labels[path] = layer_label(stage.position, path, stage.module_repr)
    return slots, labels


def _shape(tensor: torch.Tensor) -> str:
    return shape_text(tuple(tensor.shape))


def _missing(slot: Slot, key: str, field: str, why: str) -> ModelImportError:
    return ModelImportError(
        field,
        f"Missing key {key}: {slot.label} needs its {slot.name} of shape {shape_text(slot.shape)}, {why}.",
        key=key, layer=slot.position + 1, module=slot.module, param=slot.name, expected=list(slot.shape), got=None,
    )  # fmt: skip


def _unused(key: str, tensor: torch.Tensor, field: str, why: str) -> ModelImportError:
    return ModelImportError(
        field,
        f"Unused key {key} (shape {_shape(tensor)}): {why}. Every tensor must have a place, as with "
        "load_state_dict(strict=True): check that the architecture is the one these weights were trained with.",
        key=key, expected=None, got=list(tensor.shape),
    )  # fmt: skip


def by_path(slots: list[Slot], labels: dict[str, str], tensors: dict[str, torch.Tensor], field: str = FIELD) -> list[Assigned]:
    """Each slot takes the key ``<module path>.<name>``."""
    unnamed = next((slot for slot in slots if slot.path is None), None)
    if unnamed is not None:
        raise ModelImportError(
            field,
            f"The architecture does not name the module of {unnamed.label}, so the file's keys cannot be matched to it; "
            "leave the weights file out to use the ONNX file's own weights.",
            layer=unnamed.position + 1, module=unnamed.module,
        )  # fmt: skip
    wanted = {slot.file_key(): slot for slot in slots}
    for slot in slots:
        if slot.file_key() not in tensors:
            raise _missing(slot, slot.file_key(), field, "which the file does not hold")
    for key, tensor in tensors.items():
        if key not in wanted:
            module = key.rpartition(".")[0]
            why = f"{labels[module]} has no such tensor" if module in labels else f"the architecture has no layer at {module or 'the top'}"
            raise _unused(key, tensor, field, why)
    return [Assigned(slot, slot.file_key(), tensors[slot.file_key()]) for slot in slots]


def _groups(keys: Iterable[str]) -> list[tuple[str, list[str]]]:
    """Keys grouped by module path (all but the last part), in the order the modules first appear."""
    groups: dict[str, list[str]] = {}
    for key in keys:
        groups.setdefault(key.rpartition(".")[0], []).append(key)
    return list(groups.items())


def in_order(slots: list[Slot], tensors: dict[str, torch.Tensor], field: str = FIELD) -> list[Assigned]:
    """The file's modules, in file order, onto the layers that hold tensors, in layer order."""
    layers = sorted({slot.position for slot in slots})
    groups = _groups(tensors)
    assigned = []
    for i, position in enumerate(layers):
        own = [s for s in slots if s.position == position]
        if i >= len(groups):
            raise _missing(own[0], f"for layer {position + 1}", field, f"but the file's {len(groups)} modules are already used by earlier layers")
        prefix, keys = groups[i]
        by_name = {key.rpartition(".")[2]: key for key in keys}
        for slot in own:
            key = by_name.pop(slot.name, None)
            if key is None:
                raise _missing(slot, f"{prefix}.{slot.name}" if prefix else slot.name, field, f"which the file's module {prefix or '(top)'} does not hold")
            assigned.append(Assigned(slot, key, tensors[key]))
        for key in by_name.values():
            raise _unused(key, tensors[key], field, f"its module {prefix or '(top)'} was taken by {own[0].label}, which has no {key.rpartition('.')[2]}")
    if len(groups) > len(layers):
        key = groups[len(layers)][1][0]
        raise _unused(key, tensors[key], field, f"the network has only {len(layers)} layers that hold tensors, and they are all taken")
    return assigned


def checked(assigned: list[Assigned], field: str = FIELD) -> dict[str, torch.Tensor]:
    """The lab's state_dict (``"<position>.<name>"``) after checking every shape; floats become the layer's dtype."""
    state = {}
    for a in assigned:
        slot, tensor = a.slot, a.tensor
        if tuple(tensor.shape) != slot.shape:
            raise ModelImportError(
                field,
                f"Key {a.key} holds shape {_shape(tensor)}, but {slot.label} needs its {slot.name} of shape "
                f"{shape_text(slot.shape)}: the layer and the weights do not match.",
                key=a.key, layer=slot.position + 1, module=slot.module, param=slot.name,
                expected=list(slot.shape), got=list(tensor.shape),
            )  # fmt: skip
        if tensor.layout is not torch.strided or tensor.is_complex() or tensor.is_quantized:
            raise ModelImportError(field, f"Key {a.key} is a {tensor.layout} {tensor.dtype} tensor; save plain dense real tensors.", key=a.key)
        state[slot.lab_key] = tensor.to(slot.dtype)
    return state
