"""Shape inference on torch's ``meta`` device: refuse a pipeline before allocating anything.

Every layer is built with its inferred sizes and run on a meta tensor, stage by stage, so torch
itself decides what is valid (nothing here re-implements a shape rule). What torch says is then
explained in a learner's words by :mod:`app.engine.explain`. The resulting :class:`Plan` holds the
complete constructor arguments the real run (and the ``code`` field) use.

Plans are kept (:data:`PLAN_CACHE_SIZE` of them, least recently used dropped): the lab re-runs one
pipeline on input after input, and planning was ~10 % of a run's time holding the GIL. A plan is
never changed once made, so threads share it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field, replace
from typing import Any

import torch
import torch.nn as nn

from .captured import captured_warnings
from .errors import LayerError
from .explain import explain_refusal, layer_label
from .records import LayerConfig, Plan, Stage
from .registry import REGISTRY, SPECS, Kind, LayerSpec, PoolIndices
from .rng import isolated
from .shapes import Shape, as_tuples, numel, shape_text
from .sizes import size_formula, unpool_note


def _indices_sources(layers: list[LayerConfig]) -> dict[int, int]:
    """Map the position of each layer that consumes pool indices to the position of their producer."""
    roles = [REGISTRY[layer["type"]].pool_indices for layer in layers]
    sources: dict[int, int] = {}
    for position, layer in enumerate(layers):
        if roles[position] is not PoolIndices.CONSUMES:
            continue
        k = layer["indices_from"]
        source = k - 1
        if not 0 <= source < position or roles[source] is not PoolIndices.PRODUCES:
            producers = [i + 1 for i, role in enumerate(roles[:position]) if role is PoolIndices.PRODUCES]
            names = " or ".join(sorted({s.name for s in SPECS if s.pool_indices is PoolIndices.PRODUCES}))
            hint = f"set indices_from to {' or '.join(map(str, producers))}" if producers else f"add a {names} before it"
            got = f"layer {k} is {layers[source]['type']}" if 0 <= source < len(layers) else f"there is no layer {k} before it"
            raise LayerError(
                position,
                layer["type"],
                f"Layer {position + 1} ({layer['type']}) needs indices_from to name an earlier {names} "
                f"(by its 1-based index), but {got}; {hint}.",
                param="indices_from",
                context={"expected": f"index of an earlier {names}", "got": k},
            )
        sources[position] = source
    return sources


def _constructor_kwargs(spec: LayerSpec, layer: LayerConfig, in_shape: Shape, position: int) -> dict[str, Any]:
    kwargs = {p.name: as_tuples(layer[p.name]) for p in spec.params if p.name in layer}
    if isinstance(kwargs.get("bias"), tuple):  # explicit bias values imply torch's bias=True
        kwargs["bias"] = True
    if spec.infer is not None:
        if spec.input_ranks is not None and len(in_shape) not in spec.input_ranks or len(in_shape) == 0:
            ranks = " or ".join(f"{r}-D" for r in spec.input_ranks) if spec.input_ranks else "at least 1-D"
            raise LayerError(
                position,
                spec.name,
                f"Layer {position + 1} ({spec.name}) expects a {ranks} input, but gets shape "
                f"{shape_text(in_shape)} ({len(in_shape)}-D). "
                + _rank_hint(spec, in_shape),
                context={"expected": ranks, "got": list(in_shape)},
            )
        for name, value in spec.infer(in_shape).items():
            if kwargs.get(name) is None:
                kwargs[name] = value
    return kwargs


def _rank_hint(spec: LayerSpec, in_shape: Shape) -> str:
    if len(in_shape) < 3:
        return "Image layers must come before Flatten/Linear, or give the input as (N, C, H, W)."
    return "Reshape the input to (N, C, H, W)."


def _explicit_tensors(stage_module: nn.Module, spec: LayerSpec, layer: LayerConfig, position: int) -> dict[str, torch.Tensor]:
    explicit: dict[str, torch.Tensor] = {}
    for name in spec.tensors:
        value = layer.get(name)
        if not isinstance(value, list | float | int) or isinstance(value, bool):
            continue
        label = layer_label(spec, layer, position)
        try:
            tensor = torch.tensor(value, dtype=torch.float32)
        except (ValueError, TypeError) as exc:
            raise LayerError(position, spec.name, f"{label}: {name} is not a rectangular array of numbers ({exc}).", param=name) from exc
        target = getattr(stage_module, name, None)
        if not isinstance(target, torch.Tensor):
            # The boolean argument that switched it off (bias=False, affine=False).
            why = " and ".join(f"{p.name}=False" for p in spec.params if p.kind is Kind.BOOL and layer.get(p.name) is False)
            raise LayerError(position, spec.name, f"{label} has no {name} with {why}; remove {name} or change that.", param=name)
        if tuple(tensor.shape) != tuple(target.shape):
            raise LayerError(
                position,
                spec.name,
                f"{label}: {name} must have shape {shape_text(tuple(target.shape))} (torch's layout for this "
                f"layer), but the values given have shape {shape_text(tuple(tensor.shape))}.",
                param=name,
                context={"expected": list(target.shape), "got": list(tensor.shape)},
            )
        explicit[name] = tensor
    return explicit


def _check_limit(position: int, spec: LayerSpec, what: str, shape: Shape, max_elements: int, param: str | None = None) -> None:
    n = numel(shape)
    if n > max_elements:
        raise LayerError(
            position,
            spec.name,
            f"Layer {position + 1} ({spec.name}) would hold {shape_text(shape)} = {n:,} values in its {what}, "
            f"above this server's limit of {max_elements:,} (LAYERLAB_MAX_ELEMENTS). "
            "Use a smaller input, fewer channels or a larger stride.",
            param=param,
            context={"limit": max_elements, "got": n},
        )


def _meta_unsupported(exc: Exception) -> bool:
    # A few ops have no meta kernel or read values (BatchNorm2d with momentum=None calls .item()).
    return isinstance(exc, NotImplementedError) or "meta" in str(exc).lower()


def _forward_on_cpu(stage: Stage, layer: LayerConfig, x: torch.Tensor, indices: torch.Tensor | None, training: bool) -> Any:
    """Shape inference for the rare op meta cannot run: zeros on the CPU, RNG state put back.

    The input already passed the element limit; such ops (normalisation) keep the input's size.
    """
    cpu_indices = None if indices is None else torch.zeros(indices.shape, dtype=indices.dtype)
    try:
        with isolated(), torch.no_grad():
            return stage.forward(stage.build().train(training), torch.zeros(x.shape), cpu_indices)
    except Exception as exc:
        raise explain_refusal(stage, layer, exc) from exc


PLAN_CACHE_SIZE = 256


@dataclass(frozen=True)
class _PlanKey:
    """Equal for equal requests: the layers compare by their JSON text; the dicts ride along to plan from."""

    input_shape: Shape
    layers_json: str
    max_elements: int
    training: bool
    layers: list[LayerConfig] = field(compare=False, hash=False)


@functools.cache  # once a process
def warm_meta_kernels() -> None:
    """Run the meta kernels whose first call imports torch's compiler stack: Linear on the meta device
    goes through the Python decomposition of addmm, which imports torch._dynamo (2.4–2.7 s on 2 cores).
    The server calls this while it starts, so the first page's network list does not wait for it."""
    _make_plan((1, 4), [{"type": "Linear", "in_features": 4, "out_features": 2}], max_elements=64, training=False)


def make_plan(input_shape: Shape, layers: list[LayerConfig], max_elements: int, training: bool = False) -> Plan:
    """Infer every stage on the meta device; raise :class:`LayerError` where torch would refuse.

    ``training`` matters: BatchNorm2d refuses one value per channel only in train mode. The plan is
    shared with every later call for the same arguments: treat it as read-only.
    """
    try:
        layers_json = json.dumps(layers, sort_keys=True)
    except (TypeError, ValueError):  # not plain JSON data (no request sends such): plan without keeping it
        return _make_plan(input_shape, layers, max_elements, training)
    return _kept_plan(_PlanKey(tuple(input_shape), layers_json, max_elements, training, layers))


@functools.lru_cache(maxsize=PLAN_CACHE_SIZE)  # thread-safe; a refusal raises and is not kept
def _kept_plan(key: _PlanKey) -> Plan:
    return _make_plan(key.input_shape, key.layers, key.max_elements, key.training)


def _make_plan(input_shape: Shape, layers: list[LayerConfig], max_elements: int, training: bool) -> Plan:
    sources = _indices_sources(layers)
    needs_indices = set(sources.values())
    stages: list[Stage] = []
    shape = tuple(input_shape)
    # Building on meta warns about no-op initialisation of empty tensors; the real run records the
    # warnings that matter (e.g. Softmax's implicit dim), so these are caught and dropped.
    with captured_warnings():
        for position, layer in enumerate(layers):
            spec = REGISTRY[layer["type"]]
            kwargs = _constructor_kwargs(spec, layer, shape, position)
            if position in needs_indices:
                kwargs["return_indices"] = True
            stage = Stage(position, spec, kwargs, shape, shape, 0, 0, indices_from=sources.get(position),
                          output_size=as_tuples(layer.get("output_size")))
            try:
                module = stage.build("meta").train(training)
            except Exception as exc:  # torch's constructor refused the arguments
                raise explain_refusal(stage, layer, exc) from exc
            for name, p in module.named_parameters():
                _check_limit(position, spec, f"parameter {name}", tuple(p.shape), max_elements, param=name)
            x = torch.empty(shape, device="meta")
            indices = None
            if stage.indices_from is not None:
                source = stages[stage.indices_from]
                assert source.indices_shape is not None
                indices = torch.empty(source.indices_shape, dtype=torch.long, device="meta")
            try:
                out = stage.forward(module, x, indices)
            except Exception as exc:  # torch refused the input for this layer …
                if not _meta_unsupported(exc):
                    raise explain_refusal(stage, layer, exc) from exc
                out = _forward_on_cpu(stage, layer, x, indices, training)  # … or only its meta kernel is missing
            indices_shape = None
            if isinstance(out, tuple):
                out, indices = out
                indices_shape = tuple(indices.shape)
            output_shape = tuple(out.shape)
            _check_limit(position, spec, "output", output_shape, max_elements)
            size_notes: tuple[str, ...] = ()
            if stage.indices_from is not None:
                pool = stages[stage.indices_from]
                note = unpool_note(pool.index, pool.input_shape, pool.output_shape, output_shape)
                size_notes = (note,) if note else ()
            stage = replace(
                stage,
                output_shape=output_shape,
                params=sum(p.numel() for p in module.parameters()),
                mult_adds=spec.mult_adds(module, shape, output_shape) if spec.mult_adds is not None else 0,
                explicit=_explicit_tensors(module, spec, layer, position),
                indices_shape=indices_shape,
                size_formula=size_formula(spec.arithmetic, module, shape, output_shape),
                size_notes=size_notes,
                module_repr=repr(module),
                tensors=tuple((name, tuple(t.shape), t.dtype) for name, t in module.state_dict().items()),
            )
            stages.append(stage)
            shape = stage.output_shape
    return Plan(tuple(input_shape), tuple(stages))
