"""What every import path hands on: lab layers, the module path of each, and tensors the architecture
carries itself (an ONNX file's initializers), before planning and mapping (:mod:`.importer`)."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import torch
from pydantic import ValidationError

from ..engine.records import LayerConfig
from ..engine.registry import REGISTRY
from ..engine.schema import layer_config, layer_models
from .errors import ModelImportError
from .printed import parse_printed


class Source(StrEnum):
    PRINT = "print"
    ONNX = "onnx"
    LAYERS = "layers"

    @property
    def field(self) -> str:
        """The request's form field that carries this kind of architecture."""
        return {Source.PRINT: "architecture", Source.ONNX: "onnx", Source.LAYERS: "layers"}[self]


@dataclass(frozen=True)
class Architecture:
    source: Source
    layers: list[LayerConfig]
    paths: list[str | None]  # each layer's module path; None where the architecture names no modules
    notes: list[str] = field(default_factory=list)
    input_shape: list[int] | None = None  # the shape the architecture itself states (an ONNX graph input)
    # Tensors the architecture carries: per layer, {state_dict name: key}, and the tensors by key.
    carried: list[dict[str, str]] | None = None
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    hint: str = ""  # added to a planning refusal: what the text may not show


# The same print(model) text comes again and again (each retrained network imported): parsed once (~0.8 ms
# for example 14). Refusals raise, and lru_cache keeps no exception.
_parsed = functools.lru_cache(maxsize=32)(parse_printed)


def from_printed(text: str) -> Architecture:
    printed = _parsed(text)
    hint = " (print(model) does not show functional calls such as torch.flatten or F.relu: see notes.)" if printed.custom else ""
    layers = [copy.deepcopy(p.config) for p in printed.layers]  # the caller's own: the cached parse is never handed out
    return Architecture(Source.PRINT, layers, [p.path for p in printed.layers], list(printed.notes), hint=hint)


def from_layers(layers: list[Any]) -> Architecture:
    """JSON layers, checked against the request schema the run API uses."""
    checked = []
    for position, layer in enumerate(layers):
        kind = layer.get("type") if isinstance(layer, dict) else None
        if kind not in REGISTRY:
            raise ModelImportError(
                Source.LAYERS.field,
                f"Layer {position + 1} has type {kind!r}, which is not a layer layerlab can run (GET /api/layers lists them).",
                layer=position + 1,
            )
        try:
            checked.append(layer_config(layer_models()[kind].model_validate(layer)))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(map(str, first["loc"]))
            raise ModelImportError(Source.LAYERS.field, f"Layer {position + 1} ({kind}) {where}: {first['msg']}.", layer=position + 1) from exc
    if not checked:
        raise ModelImportError(Source.LAYERS.field, "layers is empty: give at least one layer.")
    return Architecture(Source.LAYERS, checked, [None] * len(checked))
