"""An ONNX file as a chain of lab layers whose weights are its initializers.

The file is parsed by the ``onnx`` package (protobuf; nothing runs). A graph that refers to external
data (a side file ``model.onnx.data``) is refused: only the bytes sent are read. The nodes are in
execution order (ONNX requires a topological sort), so functional calls in ``forward`` (``F.relu``,
``torch.flatten``) are seen. Each node either is a step of the chain, mapped to a lab layer by
:mod:`.onnx_ops`, or works on constants and shapes only (``Constant``, ``Shape``: the target of a
reshape) and is skipped. Anything else (a value read twice, an ``Add`` of two activations) is not a
chain, and is refused naming the node.

``torch.onnx.export(model, (x,), dynamo=True)`` names the initializers by the state_dict's keys
(``conv1.weight``), so each layer gets its module path from them. In eval mode that exporter may
fold a BatchNorm2d into the Conv2d before it: the file then holds the folded weights, and so does
the imported network; its notes say so (:mod:`.onnx_rewrites`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from .architecture import Architecture, Source
from .errors import ModelImportError
from .layer_call import CallRefused, lab_layer
from .mapping import Assigned, Slot
from .onnx_ops import OPS, PASS_THROUGH, SHAPE_ONLY, Facts, Mapped, NoLayer
from .onnx_rewrites import rewrite_notes

FIELD = "onnx"
_FILLED = "num_batches_tracked"  # a training counter no ONNX file carries: 0, as a fresh BatchNorm2d has


def _node_refusal(node: onnx.NodeProto, reason: str) -> ModelImportError:
    name = node.name or "(unnamed)"
    return ModelImportError(FIELD, f"Node {name} ({node.op_type}): {reason}", node=node.name, op_type=node.op_type)


def _load(data: bytes) -> onnx.ModelProto:
    try:
        model = onnx.load_model_from_string(data)  # bytes only: never looks for side files
    except Exception as exc:  # protobuf's DecodeError and kin
        raise ModelImportError(FIELD, f"This is not an ONNX file the onnx package can read ({exc.__class__.__name__}).") from exc
    tensors = [*model.graph.initializer, *(a.t for n in model.graph.node for a in n.attribute if a.type == onnx.AttributeProto.TENSOR)]
    external = [t.name for t in tensors if t.data_location == TensorProto.EXTERNAL]
    if external:
        raise ModelImportError(
            FIELD,
            f"The graph keeps {external[0]} (and {len(external) - 1} more) in external data, a side file not sent. "
            "Re-export with the weights inside: torch.onnx.export(model, (x,), 'model.onnx', external_data=False).",
            initializer=external[0],
        )
    if not model.graph.node:
        raise ModelImportError(FIELD, "The ONNX graph has no nodes.")
    try:
        return onnx.shape_inference.infer_shapes(model)  # fills value_info: the shapes a reshape is checked against
    except Exception as exc:
        raise ModelImportError(FIELD, f"The ONNX graph is not consistent: {str(exc)[:300]}") from exc


def _dims(value: onnx.ValueInfoProto) -> tuple[int | str, ...] | None:
    if not value.type.tensor_type.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in value.type.tensor_type.shape.dim)


def _facts(graph: onnx.GraphProto) -> Facts:
    values: dict[str, np.ndarray | None] = {}
    for tensor in graph.initializer:
        try:
            values[tensor.name] = numpy_helper.to_array(tensor)
        except Exception as exc:  # raw bytes that do not fill the declared shape, an unknown type
            raise ModelImportError(FIELD, f"Initializer {tensor.name} cannot be read: {exc}", initializer=tensor.name) from exc
    shapes = {v.name: dims for v in [*graph.input, *graph.value_info, *graph.output] if (dims := _dims(v)) is not None}
    return Facts(values, shapes)


def _static(node: onnx.NodeProto, facts: Facts) -> None:
    """A node on constants or shapes only: its outputs are constants (their value known for Constant)."""
    value = None
    if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
        value = numpy_helper.to_array(node.attribute[0].t)
    for name in node.output:
        facts.values[name] = value


def _add_bias(node: onnx.NodeProto, chain: list[Mapped], facts: Facts) -> None:
    """MatMul then Add of a constant: one Linear with a bias (how a Linear on more than 2-D exports)."""
    bias = next(name for name in node.input if name in facts.values)
    last = chain[-1] if chain else None
    if last is None or not last.from_matmul or "bias" in last.tensors:
        raise _node_refusal(node, "adds a constant that does not follow a MatMul; the lab has no such layer.")
    if facts.constant(bias, "bias").size != last.kwargs["out_features"]:
        raise _node_refusal(node, f"its constant {bias} is not one value per output feature of the MatMul before it.")
    last.kwargs["bias"], last.tensors["bias"], last.from_matmul = True, bias, False


def _chain(graph: onnx.GraphProto, facts: Facts, first: str) -> tuple[list[Mapped], list[onnx.NodeProto], str]:
    """The steps from ``first`` (the graph's input) on, as lab layers with their nodes; the last value."""
    current, chain, nodes = first, [], []
    for node in graph.node:
        data = list(dict.fromkeys(name for name in node.input if name and name not in facts.values))
        if node.op_type in SHAPE_ONLY or not data:
            _static(node, facts)
            continue
        if len(data) > 1:
            raise _node_refusal(node, f"joins {len(data)} activations ({', '.join(data)}): a residual connection or a concatenation, which a chain of layers cannot hold.")
        if data[0] != current:
            raise _node_refusal(node, f"reads {data[0]}, an earlier activation, not the output of the step before it ({current}): the graph branches, and the lab runs a single chain.")
        current = node.output[0]
        if node.op_type in PASS_THROUGH:
            continue
        if node.op_type == "Add":
            _add_bias(node, chain, facts)
            continue
        op = OPS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        if op is None:
            raise _node_refusal(node, f"{node.op_type} has no lab layer (the lab has Conv, Gemm/MatMul, pooling, BatchNormalization, Flatten and activations).")
        try:
            chain.append(op(node, _attrs(node), facts))
        except NoLayer as exc:
            raise _node_refusal(node, str(exc)) from exc
        nodes.append(node)
    return chain, nodes, current


def _path(mapped: Mapped) -> str | None:
    """The module path the initializers' names share (``features.0`` of ``features.0.weight``), if they do."""
    prefixes = {key.rpartition(".")[0] if key.endswith("." + name) else None for name, key in mapped.tensors.items()}
    return prefixes.pop() if len(prefixes) == 1 and None not in prefixes else None


def _tensors(chain: list[Mapped], facts: Facts) -> dict[str, torch.Tensor]:
    tensors = {}
    for mapped in chain:
        for name, key in mapped.tensors.items():
            try:  # a float32 copy the tensor owns (the lab's dtype; float16 and float64 weights convert exactly or round)
                tensor = torch.from_numpy(np.array(facts.values[key], dtype=np.float32))
            except (TypeError, ValueError) as exc:
                raise ModelImportError(FIELD, f"Initializer {key} is not numbers ({exc}).", initializer=key) from exc
            tensors[key] = tensor.T.contiguous() if name in mapped.transposed else tensor
    return tensors


def from_onnx(data: bytes) -> Architecture:
    graph = _load(data).graph
    facts = _facts(graph)
    inputs = [i for i in graph.input if i.name not in facts.values]
    if len(inputs) != 1:
        names = ", ".join(i.name for i in inputs)
        raise ModelImportError(FIELD, f"The graph takes {len(inputs)} inputs ({names}); the lab runs networks of one input.")
    chain, nodes, last = _chain(graph, facts, inputs[0].name)
    outputs = [o.name for o in graph.output]
    if outputs != [last]:
        raise ModelImportError(FIELD, f"The graph's outputs are {', '.join(outputs)}, but its chain ends at {last}: the lab runs a single chain to one output.")
    layers = []
    for mapped, node in zip(chain, nodes, strict=True):
        try:
            layers.append(lab_layer(mapped.type, [], mapped.kwargs))
        except CallRefused as exc:
            raise _node_refusal(node, str(exc)) from exc
    dims = _dims(inputs[0])
    # The exported input's shape, if static, for one image: the batch of the example given to the exporter is arbitrary.
    shape = [1, *dims[1:]] if dims and len(dims) > 1 and all(isinstance(d, int) and d > 0 for d in dims[1:]) else None
    notes = rewrite_notes(nodes, [m.type for m in chain])  # a BatchNorm2d the exporter folded into a Conv2d
    if any(m.type == "BatchNorm2d" for m in chain):
        notes.append("BatchNorm2d's num_batches_tracked is not in an ONNX file: set to 0, as a fresh layer has (it only counts training steps).")
    return Architecture(Source.ONNX, layers, [_path(m) for m in chain], notes, shape, [dict(m.tensors) for m in chain], _tensors(chain, facts))


def carried_tensors(slots: list[Slot], carried: list[dict[str, str]], tensors: dict[str, torch.Tensor]) -> list[Assigned]:
    """The architecture's own tensors onto its slots; num_batches_tracked, which ONNX lacks, is 0."""
    assigned = []
    for slot in slots:
        key = carried[slot.position].get(slot.name)
        if key is None and slot.name == _FILLED:
            assigned.append(Assigned(slot, None, torch.zeros(slot.shape, dtype=slot.dtype)))
            continue
        if key is None:
            raise ModelImportError(FIELD, f"{slot.label} needs its {slot.name}, which the graph does not give it.", layer=slot.position + 1, param=slot.name)
        assigned.append(Assigned(slot, key, tensors[key]))
    return assigned


def _attrs(node: onnx.NodeProto) -> dict[str, Any]:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}
