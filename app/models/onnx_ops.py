"""ONNX operators as lab layers: one function per ``op_type``, giving torch's constructor arguments and
which initializer holds which of the layer's tensors. The registry still decides: every result goes
through :func:`.layer_call.lab_layer` (:mod:`.onnx_graph`), so a type or value it lacks is refused.

Defaults are ONNX's, not torch's (a pool's stride is 1, AveragePool leaves padding out of the count),
so every argument is given explicitly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from onnx import NodeProto


class NoLayer(ValueError):
    """Why a node has no lab layer, in words to follow the node's name."""


@dataclass
class Mapped:
    type: str
    kwargs: dict[str, Any]
    tensors: dict[str, str] = field(default_factory=dict)  # the lab layer's tensor name → initializer name
    transposed: frozenset[str] = frozenset()  # tensors the file stores transposed (MatMul's, Gemm's transB=0)
    from_matmul: bool = False  # a Linear still waiting for the Add of its bias


@dataclass
class Facts:
    """What is known of the graph's values that are not activations: constants (and their values, when known)."""

    values: dict[str, np.ndarray | None]
    shapes: dict[str, tuple[int | str, ...]]

    def constant(self, name: str, what: str) -> np.ndarray:
        value = self.values.get(name)
        if value is None:
            raise NoLayer(f"its {what} ({name}) is not a constant of the file; only a chain whose weights are initializers can be imported.")
        return value


def f32(value: float) -> float:
    """An ONNX float attribute (stored as float32) as the short decimal it was written as: 0.2, not 0.2000000029."""
    return float(str(np.float32(value)))


def _pair(attrs: dict[str, Any], name: str, default: int, kernel: list[int]) -> list[int]:
    return list(attrs.get(name, [default] * len(kernel)))


def _window(attrs: dict[str, Any]) -> dict[str, Any]:
    """kernel_size, stride, padding (symmetric only) of a 2-D window."""
    kernel = list(attrs.get("kernel_shape", []))
    if len(kernel) != 2:
        raise NoLayer(f"a window of {len(kernel)} dimensions ({kernel}); the lab's layers are 2-D.")
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if auto_pad not in ("NOTSET", "VALID"):
        raise NoLayer(f"auto_pad={auto_pad}; re-export with explicit padding (torch.onnx.export does).")
    pads = list(attrs.get("pads", [0, 0, 0, 0]))
    if pads[:2] != pads[2:]:
        raise NoLayer(f"pads {pads} differ at the start and the end of a side; torch pads both ends alike.")
    return {"kernel_size": kernel, "stride": _pair(attrs, "strides", 1, kernel), "padding": pads[:2]}


def conv(node: NodeProto, attrs: dict[str, Any], facts: Facts) -> Mapped:
    weight = facts.constant(node.input[1], "weight")
    attrs = {"kernel_shape": list(weight.shape[2:])} | attrs  # optional in ONNX: the weight's
    has_bias = len(node.input) > 2 and bool(node.input[2])
    kwargs = _window(attrs) | {
        "in_channels": int(weight.shape[1]) * int(attrs.get("group", 1)),
        "out_channels": int(weight.shape[0]),
        "dilation": _pair(attrs, "dilations", 1, list(attrs.get("kernel_shape", []))),
        "groups": int(attrs.get("group", 1)),
        "bias": has_bias,
    }
    return Mapped("Conv2d", kwargs, {"weight": node.input[1], **({"bias": node.input[2]} if has_bias else {})})


def max_pool(node: NodeProto, attrs: dict[str, Any], facts: Facts) -> Mapped:
    if len(node.output) > 1 and node.output[1]:
        raise NoLayer("its indices output is used; the lab hands pool indices on only to MaxUnpool2d by indices_from.")
    kwargs = _window(attrs) | {"dilation": _pair(attrs, "dilations", 1, list(attrs["kernel_shape"])), "ceil_mode": bool(attrs.get("ceil_mode", 0))}
    return Mapped("MaxPool2d", kwargs)


def average_pool(node: NodeProto, attrs: dict[str, Any], facts: Facts) -> Mapped:
    kwargs = _window(attrs) | {"ceil_mode": bool(attrs.get("ceil_mode", 0)), "count_include_pad": bool(attrs.get("count_include_pad", 0))}
    return Mapped("AvgPool2d", kwargs)


def gemm(node: NodeProto, attrs: dict[str, Any], facts: Facts) -> Mapped:
    if attrs.get("transA", 0) or f32(attrs.get("alpha", 1.0)) != 1.0 or f32(attrs.get("beta", 1.0)) != 1.0:
        raise NoLayer("a Gemm with transA, alpha or beta other than torch's Linear (0, 1, 1).")
    weight = facts.constant(node.input[1], "weight")
    if weight.ndim != 2:
        raise NoLayer(f"its weight {node.input[1]} is {weight.ndim}-D; a Linear's is 2-D.")
    transposed = frozenset() if attrs.get("transB", 0) else frozenset({"weight"})
    out_features, in_features = weight.shape if not transposed else weight.shape[::-1]
    has_bias = len(node.input) > 2 and bool(node.input[2])
    if has_bias and facts.constant(node.input[2], "bias").size != out_features:
        raise NoLayer(f"its bias {node.input[2]} is broadcast, not one value per output feature.")
    kwargs = {"in_features": int(in_features), "out_features": int(out_features), "bias": has_bias}
    return Mapped("Linear", kwargs, {"weight": node.input[1], **({"bias": node.input[2]} if has_bias else {})}, transposed)


def matmul(node: NodeProto, attrs: dict[str, Any], facts: Facts) -> Mapped:
    weight = facts.constant(node.input[1], "weight")
    if weight.ndim != 2:
        raise NoLayer(f"it multiplies by a {weight.ndim}-D constant; a Linear's weight is 2-D.")
    kwargs = {"in_features": int(weight.shape[0]), "out_features": int(weight.shape[1]), "bias": False}
    return Mapped("Linear", kwargs, {"weight": node.input[1]}, frozenset({"weight"}), from_matmul=True)


def batch_norm(node: NodeProto, attrs: dict[str, Any], facts: Facts) -> Mapped:
    if attrs.get("training_mode", 0):
        raise NoLayer("it is exported in training mode; export the model after model.eval().")
    names = ("weight", "bias", "running_mean", "running_var")
    kwargs = {"num_features": int(facts.constant(node.input[1], "scale").shape[0]), "eps": f32(attrs.get("epsilon", 1e-5)),
              "momentum": f32(1 - f32(attrs.get("momentum", 0.9)))}  # fmt: skip
    return Mapped("BatchNorm2d", kwargs, dict(zip(names, node.input[1:5], strict=True)))


def flatten(node: NodeProto, attrs: dict[str, Any], facts: Facts) -> Mapped:
    if attrs.get("axis", 1) != 1:
        raise NoLayer(f"axis={attrs['axis']} also merges the batch; the lab's Flatten keeps it (start_dim=1).")
    return Mapped("Flatten", {"start_dim": 1, "end_dim": -1})


def reshape(node: NodeProto, attrs: dict[str, Any], facts: Facts) -> Mapped:
    """A reshape to (batch, features), as ``torch.flatten(x, 1)`` and ``x.view(x.size(0), -1)`` export."""
    source, target = facts.shapes.get(node.input[0]), facts.values.get(node.input[1])
    out = facts.shapes.get(node.output[0])
    if target is not None:
        zero_copies = not attrs.get("allowzero", 0)
        out = tuple(source[i] if zero_copies and t == 0 and source else int(t) for i, t in enumerate(target.tolist()))
    if target is None and (out is None or not all(isinstance(d, int) for d in out)):
        raise NoLayer(
            "its target shape is computed in the graph, not a constant; re-export with "
            "torch.onnx.export(model, (x,), dynamo=True), which writes a flatten's target as a constant."
        )
    if source is None or out is None or len(out) != 2 or len(source) < 2:
        raise NoLayer(f"a reshape to {list(out) if out else 'a shape not known from the file'}; the lab takes only a flatten to (batch, features).")
    features = int(np.prod(source[1:])) if all(isinstance(d, int) for d in source[1:]) else None
    if out[0] not in (-1, source[0]) or out[1] not in (-1, features):
        raise NoLayer(f"a reshape of {list(source)} to {list(out)}, which is not a flatten that keeps the batch (torch.flatten(x, 1)).")
    return Mapped("Flatten", {"start_dim": 1, "end_dim": -1})


def _plain(type_name: str) -> Callable[..., Mapped]:
    return lambda node, attrs, facts: Mapped(type_name, {})


def _axis(type_name: str) -> Callable[..., Mapped]:
    return lambda node, attrs, facts: Mapped(type_name, {"dim": int(attrs.get("axis", -1))})


OPS: dict[str, Callable[[NodeProto, dict[str, Any], Facts], Mapped]] = {
    "Conv": conv,
    "MaxPool": max_pool,
    "AveragePool": average_pool,
    "GlobalAveragePool": lambda node, attrs, facts: Mapped("AdaptiveAvgPool2d", {"output_size": 1}),
    "GlobalMaxPool": lambda node, attrs, facts: Mapped("AdaptiveMaxPool2d", {"output_size": 1}),
    "Gemm": gemm,
    "MatMul": matmul,
    "BatchNormalization": batch_norm,
    "Flatten": flatten,
    "Reshape": reshape,
    "Relu": _plain("ReLU"),
    "Sigmoid": _plain("Sigmoid"),
    "Tanh": _plain("Tanh"),
    "HardSwish": _plain("Hardswish"),
    "Mish": _plain("Mish"),
    "LeakyRelu": lambda node, attrs, facts: Mapped("LeakyReLU", {"negative_slope": f32(attrs.get("alpha", 0.01))}),
    "Elu": lambda node, attrs, facts: Mapped("ELU", {"alpha": f32(attrs.get("alpha", 1.0))}),
    "Softmax": _axis("Softmax"),
    "LogSoftmax": _axis("LogSoftmax"),
}
"""op_type → lab layer. Dropout and Identity pass their input on (eval mode) and are dropped."""

PASS_THROUGH = ("Dropout", "Identity")
SHAPE_ONLY = ("Shape", "Size")  # read an activation's shape, not its values: not a step of the chain
