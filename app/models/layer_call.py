"""A torch constructor call (``Conv2d(3, 32, kernel_size=(5, 5))``) as one lab layer, through the registry.

The registry decides which types exist and which arguments they take; torch's own signature binds
the positional arguments to names; the request schema generated from the registry checks the values.
Nothing here knows a layer type by name.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from ..engine.records import LayerConfig
from ..engine.registry import REGISTRY
from ..engine.schema import layer_config, layer_models

DROPPED_ARGUMENTS = ("inplace",)
"""Accepted and left out: the lab keeps every stage's output, so each layer works on a copy anyway."""


class CallRefused(ValueError):
    """Why a call is not a lab layer, in words to follow the call itself."""


@functools.cache
def _signature(cls: type) -> inspect.Signature:
    return inspect.signature(cls)  # ~0.2 ms a call, once per line of print(model)


def lab_layer(type_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> LayerConfig:
    """``{"type": type_name, <arguments by torch's names>}`` as a request would give it; CallRefused if not a lab layer."""
    spec = REGISTRY.get(type_name)
    if spec is None:
        raise CallRefused(f"{type_name} is not a layer layerlab can run (GET /api/layers lists the ones it can).")
    try:
        bound = _signature(spec.cls).bind(*args, **kwargs)
    except TypeError as exc:
        raise CallRefused(f"torch's {type_name} does not take these arguments ({exc}).") from exc
    known = {p.name for p in spec.params}
    config: LayerConfig = {"type": type_name}
    for name, value in bound.arguments.items():
        if name in DROPPED_ARGUMENTS:
            continue
        if name not in known:
            raise CallRefused(f"{type_name}'s argument {name}={value!r} is not one layerlab sets; leave it out.")
        config[name] = value
    try:
        return layer_config(layer_models()[type_name].model_validate(config))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"][:1])
        raise CallRefused(f"{type_name}'s {where}: {first['msg']} (got {first.get('input')!r}).") from exc
