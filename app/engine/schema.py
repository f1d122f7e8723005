"""Request models generated from the registry: one pydantic model per layer type.

A layer is ``{"type": "<torch class>", <constructor arguments by torch's names>}``. Type checks and
the range checks that torch itself enforces live here, so a refusal carries pydantic's ``loc``
(``["body", "layers", 3, "Conv2d", "kernel_size"]``). Shape-dependent checks happen in
:mod:`app.engine.plan`, on the meta device.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, create_model
from typing_extensions import TypeAliasType

from .losses import LOSS_SPECS
from .registry import INDICES_FROM_DOC, OUTPUT_SIZE_DOC, REGISTRY, REQUIRED, Kind, LayerSpec, Param, PoolIndices

# Nested lists of numbers: torch's own layouts for weight and bias (depth checked against the module).
# Strict: true/false are not numbers (1 and 2.5 are).
NestedFloats = TypeAliasType("NestedFloats", Union[StrictFloat, list["NestedFloats"]])  # noqa: UP007
# Like NestedFloats but keeps integers as integers (class-index targets of CrossEntropyLoss/NLLLoss).
NestedNumbers = TypeAliasType(
    "NestedNumbers", Union[Annotated[int, Field(strict=True)], StrictFloat, list["NestedNumbers"]]  # noqa: UP007
)


def _annotation(param: Param) -> Any:
    """The JSON type of one constructor argument, strict so 2.5 or true is never taken for an int."""
    bounds = param.bounds
    integer = Annotated[int, Field(strict=True, **bounds)]
    number = Annotated[float, Field(strict=True, **bounds)]
    match param.kind:
        case Kind.INT:
            ann: Any = integer
        case Kind.FLOAT:
            ann = number
        case Kind.BOOL:
            ann = Annotated[bool, Field(strict=True)]
        case Kind.CHOICE:
            ann = Literal[param.choices]  # type: ignore[valid-type]
        case Kind.INT_OR_PAIR:
            ann = Union[integer, tuple[integer, integer]]  # noqa: UP007
        case Kind.FLOAT_OR_PAIR:
            ann = Union[number, tuple[number, number]]  # noqa: UP007
        case Kind.PADDING:
            ann = Union[integer, tuple[integer, integer], Literal[param.choices]]  # type: ignore[valid-type]  # noqa: UP007
        case Kind.OUTPUT_SIZE:
            side = Union[integer, None]  # noqa: UP007
            ann = Union[integer, tuple[side, side]]  # noqa: UP007
        case Kind.TENSOR:
            ann = NestedFloats
    return Union[ann, None] if param.nullable or param.inferred else ann  # noqa: UP007


def _field(spec: LayerSpec, param: Param) -> tuple[Any, Any]:
    default = ... if param.required else (None if param.inferred else param.default)
    return _annotation(param), Field(default, description=param.doc)


def _layer_model(spec: LayerSpec) -> type[BaseModel]:
    fields: dict[str, Any] = {"type": (Literal[spec.name], Field(description=f"torch.nn.{spec.name}"))}  # type: ignore[valid-type]
    for param in spec.params:
        fields[param.name] = _field(spec, param)
    if "weight" in spec.tensors:
        fields["weight"] = (
            NestedFloats | None,
            Field(None, description="Explicit weight in torch's layout (replaces the initial values)."),
        )
    if "bias" in spec.tensors:
        bias_flag = any(p.name == "bias" for p in spec.params)
        bias_type = (bool | NestedFloats) if bias_flag else NestedFloats
        fields["bias"] = (
            bias_type | None,
            Field(
                spec.param("bias").default if bias_flag else None,
                description="torch's flag when a boolean; explicit bias values when a list.",
            ),
        )
    if spec.pool_indices is PoolIndices.CONSUMES:
        fields["indices_from"] = (Annotated[int, Field(strict=True, ge=1)], Field(..., description=INDICES_FROM_DOC))
        side = Annotated[int, Field(strict=True, ge=1)]
        fields["output_size"] = (tuple[side, side] | None, Field(None, description=OUTPUT_SIZE_DOC))
    return create_model(
        f"{spec.name}Layer",
        __config__=ConfigDict(extra="forbid", title=spec.name),
        __doc__=spec.doc,
        **fields,
    )


@cache
def layer_models() -> dict[str, type[BaseModel]]:
    return {name: _layer_model(spec) for name, spec in REGISTRY.items()}


@cache
def layer_union() -> Any:
    """``Annotated[Union[Conv2dLayer, …], Field(discriminator="type")]`` for request bodies."""
    models = tuple(layer_models().values())
    return Annotated[Union[models], Field(discriminator="type")]  # noqa: UP007


def layer_config(layer: BaseModel) -> dict[str, Any]:
    """A validated layer as the plain dict the engine takes: only what the request set, tuples as lists."""
    return layer.model_dump(exclude_unset=True) | {"type": layer.type}  # type: ignore[attr-defined]


def params_model(title: str, params: tuple[Param, ...]) -> type[BaseModel]:
    """A model of constructor arguments alone (losses, activation curves' query parameters)."""
    return create_model(title, __config__=ConfigDict(extra="forbid"), **_param_fields(params))


def _param_fields(params: tuple[Param, ...]) -> dict[str, Any]:
    return {p.name: (_annotation(p), Field(None if p.default is REQUIRED else p.default, description=p.doc)) for p in params}


@cache
def loss_union() -> Any:
    """``{"type": "CrossEntropyLoss", <its constructor arguments>}`` for any loss of :mod:`.losses`, discriminated by type."""
    models = tuple(
        create_model(
            f"{spec.name}Choice",
            __config__=ConfigDict(extra="forbid", title=spec.name),
            __doc__=spec.doc,
            type=(Literal[spec.name], Field(description=f"torch.nn.{spec.name}")),  # type: ignore[valid-type]
            **_param_fields(spec.params),
        )
        for spec in LOSS_SPECS
    )
    return Annotated[Union[models], Field(discriminator="type")]  # noqa: UP007
