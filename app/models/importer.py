"""The one entry point of an import: an architecture (``print(model)`` text, ONNX bytes or JSON layers)
and optional weights become a planned lab network with its state_dict, every key accounted for.

Steps: the architecture as lab layers (:mod:`.architecture`), planned on the meta device so torch
checks and infers every size (:func:`app.engine.make_plan`), then the weights mapped strictly onto
the planned layers (:mod:`.mapping`). Refusals are :class:`~.errors.ModelImportError` (422), or the
engine's own :class:`~app.engine.errors.LayerError` for JSON layers (``loc`` ``["body", "layers", i]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ..engine.errors import LayerError
from ..engine.plan import make_plan
from ..engine.records import Plan
from .architecture import Architecture, Source, from_layers, from_printed
from .errors import ModelImportError
from .mapping import Assigned, by_path, checked, in_order, slots_of
from .weight_files import read_weights

DEFAULT_INPUT_SHAPE = [1, 3, 32, 32]


@dataclass(frozen=True)
class MappingRow:
    key: str  # the key in the user's file (or ONNX initializer name)
    layer: int  # 1-based position of the lab layer (as a run answers "index")
    module: str  # the layer as torch prints it
    param: str  # "weight", "bias", "running_mean", ...
    shape: list[int]


@dataclass(frozen=True)
class ImportedNetwork:
    layers: list[dict]  # lab layers as request JSON, every inferred size filled in
    state_dict: dict[str, torch.Tensor] | None  # keys "<position>.<name>" (0-based); None: torch's init under seed
    mapping: list[MappingRow]
    source: str  # "print" | "onnx" | "layers"
    input_shape: list[int]
    notes: list[str]


def _architecture(architecture: str | None, onnx: bytes | None, layers: list[Any] | None) -> Architecture:
    given = [name for name, value in (("architecture", architecture), ("onnx", onnx), ("layers", layers)) if value is not None]
    if len(given) != 1:
        got = " and ".join(given) if given else "none"
        raise ModelImportError("architecture", f"Give exactly one of architecture (print(model) text), onnx (a file) or layers (JSON); got {got}.")
    if architecture is not None:
        return from_printed(architecture)
    if onnx is not None:
        from .onnx_graph import from_onnx  # the onnx package is loaded only when an ONNX file comes

        return from_onnx(onnx)
    assert layers is not None
    if not isinstance(layers, list):
        raise ModelImportError("layers", f"layers must be a JSON list of layers, not a {type(layers).__name__}.")
    return from_layers(layers)


def _input_shape(shape: Any, max_elements: int) -> list[int]:
    if not isinstance(shape, list | tuple) or not 1 <= len(shape) <= 6 or not all(type(n) is int and n >= 1 for n in shape):
        raise ModelImportError("input_shape", f"input_shape must be a list of 1 to 6 positive integers, e.g. [1, 3, 32, 32]; got {shape!r}.")
    if (n := torch.Size(shape).numel()) > max_elements:
        raise ModelImportError("input_shape", f"input_shape {list(shape)} holds {n:,} values, above this server's limit of {max_elements:,}.")
    return list(shape)


def _plan(arch: Architecture, shape: list[int], max_elements: int) -> Plan:
    try:
        return make_plan(tuple(shape), arch.layers, max_elements)
    except LayerError as exc:
        if arch.source is Source.LAYERS:
            raise
        path = arch.paths[exc.position]
        where = f"Module {path}: " if path else ""
        raise ModelImportError(
            arch.source.field, where + exc.message + arch.hint, layer=exc.position + 1, path=path, **exc.context
        ) from exc


def _filled(arch: Architecture, plan: Plan) -> list[dict]:
    """Each layer as given plus the sizes the plan inferred (in_channels, in_features, num_features)."""
    return [
        _json({**layer, **{p.name: stage.kwargs[p.name] for p in stage.spec.params if p.inferred}})
        for layer, stage in zip(arch.layers, plan.stages, strict=True)
    ]


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return [_json(v) for v in value] if isinstance(value, list | tuple) else value


def _assigned(arch: Architecture, plan: Plan, weights: bytes | None, weights_filename: str | None) -> list[Assigned] | None:
    slots, labels = slots_of(plan, arch.paths)
    if weights is not None:
        tensors = read_weights(weights, weights_filename)
        return in_order(slots, tensors) if arch.source is Source.LAYERS else by_path(slots, labels, tensors)
    if arch.carried is None:
        return None
    from .onnx_graph import carried_tensors

    return carried_tensors(slots, arch.carried, arch.tensors)


def import_network(
    *,
    architecture: str | None = None,
    onnx: bytes | None = None,
    layers: list[dict] | None = None,
    weights: bytes | None = None,
    weights_filename: str | None = None,
    input_shape: list[int] | None = None,
    seed: int = 0,
    max_elements: int,
) -> ImportedNetwork:
    """Exactly one of ``architecture``, ``onnx``, ``layers``; ``weights`` a state_dict file's bytes.

    ``seed`` does not change the import: without weights the network runs with torch's initial
    values under the run's seed, so nothing is drawn here.
    """
    del seed
    arch = _architecture(architecture, onnx, layers)
    shape = _input_shape(input_shape if input_shape is not None else arch.input_shape or DEFAULT_INPUT_SHAPE, max_elements)
    plan = _plan(arch, shape, max_elements)
    assigned = _assigned(arch, plan, weights, weights_filename)
    field = "weights" if weights is not None else arch.source.field
    state_dict = None if assigned is None else checked(assigned, field)
    mapping = [MappingRow(a.key, a.slot.position + 1, a.slot.module, a.slot.name, list(a.tensor.shape)) for a in assigned or [] if a.key is not None]
    return ImportedNetwork(_filled(arch, plan), state_dict, mapping, arch.source.value, shape, list(arch.notes))
