"""The registry as plain data: what ``GET /api/layers`` serves and the lab's forms are built from."""

from __future__ import annotations

from typing import Any

from .registry import INDICES_FROM_DOC, OUTPUT_SIZE_DOC, REQUIRED, SPECS, LayerSpec, Param, PoolIndices


def _param(param: Param) -> dict[str, Any]:
    constraints: dict[str, Any] = dict(param.bounds)
    if param.choices:
        constraints["choices"] = list(param.choices)
    default = None if param.default is REQUIRED else param.default
    return {
        "name": param.name,
        "type": param.kind.value,
        "default": list(default) if isinstance(default, tuple) else default,
        "required": param.required,
        "inferred": param.inferred,
        "nullable": param.nullable,
        "constraints": constraints,
        "doc": param.doc,
    }


def _entry(spec: LayerSpec) -> dict[str, Any]:
    extra = {"indices_from": INDICES_FROM_DOC, "output_size": OUTPUT_SIZE_DOC} if spec.pool_indices is PoolIndices.CONSUMES else {}
    return {
        "type": spec.name,
        "torch_class": f"torch.nn.{spec.name}",
        "category": spec.category.value,
        "doc": spec.doc,
        "params": [_param(p) for p in spec.params],
        "formula": spec.formula,
        "input_ranks": list(spec.input_ranks) if spec.input_ranks else None,
        "tensors": list(spec.tensors),
        "extra_fields": extra,
        "receptive_field": spec.receptive_field.value,
        "pool_indices": spec.pool_indices.value if spec.pool_indices else None,
        "defaults_from": dict(spec.defaults_from),
        "new_card": dict(spec.new_card),
    }


def layer_catalogue() -> list[dict[str, Any]]:
    return [_entry(spec) for spec in SPECS]
