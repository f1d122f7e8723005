"""What torch's ONNX exporter changed on the way, said in the import's notes.

``torch.onnx.export(..., dynamo=True)`` optimises the graph by default (onnxscript's rewriter): in eval
mode a ``BatchNorm2d`` after a ``Conv2d`` is folded into the convolution's weight and bias, and the
file holds no ``BatchNormalization`` node, so the imported network has a layer fewer than
``print(model)`` shows. The exporter records it on the node it made: ``metadata_props`` name the
rule (``pkg.onnxscript.rewriter.rule_name``) and the torch modules the node came from
(``pkg.torch.onnx.class_hierarchy``, ``pkg.torch.onnx.name_scopes``). Nothing here changes the
network: it stays what the file computes; the notes say what it no longer shows.
"""

from __future__ import annotations

import ast

import onnx

RULE = "pkg.onnxscript.rewriter.rule_name"
CLASSES = "pkg.torch.onnx.class_hierarchy"
SCOPES = "pkg.torch.onnx.name_scopes"
_MODULES = "torch.nn.modules."
_RE_EXPORT = "export with torch.onnx.export(model, (x,), path, dynamo=True, optimize=False) to keep it, or import the print(model) text with the state_dict"


def _literal_list(text: str | None) -> list[str]:
    """The exporter writes these lists as Python literals (``"['', '1', 'relu']"``)."""
    try:
        value = ast.literal_eval(text) if text else []
    except (ValueError, SyntaxError):
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _module(meta: dict[str, str]) -> tuple[str, str | None]:
    """The innermost torch module the node came from: its class name and its path (``BatchNorm2d``, ``1``)."""
    classes = [c for c in _literal_list(meta.get(CLASSES)) if c.startswith(_MODULES) and not c.startswith(_MODULES + "container.")]
    name = classes[-1].rpartition(".")[2] if classes else "a module"
    scopes = [s for s in _literal_list(meta.get(SCOPES))[:-1] if s]  # the last scope is the op itself
    return name, ".".join(scopes) or None


def rewrite_notes(nodes: list[onnx.NodeProto], layer_types: list[str]) -> list[str]:
    """A note for each node of the chain the exporter's optimiser made, naming what print(model) would show instead."""
    notes = []
    for position, (node, kind) in enumerate(zip(nodes, layer_types, strict=True)):
        meta = {p.key: p.value for p in node.metadata_props}
        rule = meta.get(RULE)
        if rule is None:
            continue
        module, path = _module(meta)
        where = f"{module} at {path}" if path else module
        label = f"Layer {position + 1} ({kind}, node {node.name or node.op_type})"
        if module.startswith("BatchNorm") and kind.startswith("Conv"):
            notes.append(
                f"{label} also holds the {where}: torch's ONNX exporter folded it into the convolution ({rule}), so its "
                f"weight and bias already include the normalisation and the file has no BatchNormalization. print(model) "
                f"would show a {module} after it, which this network lacks; to see it as a stage of its own, {_RE_EXPORT}."
            )
        else:
            notes.append(
                f"{label} is the exporter's rewrite ({rule}) of the {where}: print(model) may show layers this network "
                f"does not have; {_RE_EXPORT}."
            )
    return notes
