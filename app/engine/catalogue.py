"""The registry as plain data: what ``GET /api/layers`` serves and the lab's forms are built from."""

from __future__ import annotations

from typing import Any

from .registry import REQUIRED, SPECS, LayerSpec, Param


def _param(param: Param) -> dict[str, Any]:
    constraints: dict[str, Any] = {k: v for k, v in (("ge", param.ge), ("gt", param.gt), ("le", param.le)) if v is not None}
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
    extra = {}
    if spec.name == "MaxUnpool2d":
        extra["indices_from"] = "1-based index of the earlier MaxPool2d whose indices to use (required)."
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
    }


def layer_catalogue() -> list[dict[str, Any]]:
    return [_entry(spec) for spec in SPECS]
