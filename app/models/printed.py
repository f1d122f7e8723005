"""The text of ``print(model)`` as a chain of lab layers, each with its module path.

torch prints a container as ``Name(`` … ``)`` with one ``(name): …`` line per child, and a repeated
run of equal children of a ModuleList as ``(0-2): 3 x Linear(...)``. Containers are flattened in
the printed order; each leaf is parsed with :mod:`ast` as the constructor call torch prints (never
evaluated) and turned into a lab layer through the registry (:mod:`.layer_call`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..engine.records import LayerConfig
from .errors import ModelImportError
from .layer_call import DROPPED_ARGUMENTS, CallRefused, lab_layer

FIELD = "architecture"
_ENTRY = re.compile(r"\((?P<name>[^()]*)\): (?:(?P<count>\d+) x )?(?P<call>.+)")
_OPENS = re.compile(r"(?P<type>[A-Za-z_]\w*)\(")
_SEQUENTIAL = "Sequential"  # runs its children in order: the only container whose forward print shows
_EMPTY_CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")
_NO_OPS = ("Identity",)  # returns its input: dropped, as torch's own exporters do

CUSTOM_NOTE = (
    "{root} is a custom module: print(model) lists its modules in the order they were registered, not "
    "necessarily the order forward calls them, and shows neither functional calls in forward (F.relu, "
    "torch.flatten, x.view) nor a module used twice. Check the layers against forward, or export with "
    "torch.onnx.export(model, (x,), 'model.onnx', dynamo=True, external_data=False) and import the .onnx "
    "file: its graph shows every call."
)


@dataclass(frozen=True)
class PrintedLayer:
    path: str  # the module path, as the state_dict's keys start ("features.0"; "" for a single module)
    line: str  # the line as printed
    config: LayerConfig


@dataclass(frozen=True)
class PrintedNetwork:
    layers: list[PrintedLayer]
    root: str  # the printed class name of the whole model
    custom: bool  # some container is not a Sequential: its forward may do what print cannot show
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Line:
    number: int  # 1-based, in the text as given
    text: str  # stripped


@dataclass(frozen=True)
class _Node:
    names: list[str]
    line: _Line
    call: str  # the constructor call as printed (a container's ends in "(")
    type: str | None = None  # a container's class name; None for a leaf
    children: list[_Node] = field(default_factory=list)


def _refuse(line: _Line, reason: str) -> ModelImportError:
    return ModelImportError(FIELD, f"Line {line.number} `{line.text}`: {reason}", line=line.text, line_number=line.number)


def _names(line: _Line, name: str, count: str | None) -> list[str]:
    if count is None:
        return [name]
    first, _, last = name.partition("-")
    if not (first.isdigit() and last.isdigit() and int(last) - int(first) + 1 == int(count)):
        raise _refuse(line, f"a repeated entry is printed as (first-last): count x ..., e.g. (0-2): 3 x ReLU(); got ({name}).")
    return [str(i) for i in range(int(first), int(last) + 1)]


def _block(lines: list[_Line], i: int, opener: _Line) -> tuple[list[_Node], int]:
    """The children of a container from ``lines[i]`` to its closing ``)``; the index after it."""
    children: list[_Node] = []
    while i < len(lines):
        line = lines[i]
        if line.text == ")":
            return children, i + 1
        entry = _ENTRY.fullmatch(line.text)
        if entry is None:
            raise _refuse(line, "expected a child module as torch prints it, (name): Layer(...), or the ) that closes its container.")
        names = _names(line, entry["name"], entry["count"])
        opened = _OPENS.fullmatch(entry["call"])
        if opened:
            grandchildren, i = _block(lines, i + 1, line)
            children.append(_Node(names, line, entry["call"], opened["type"], grandchildren))
        else:
            children.append(_Node(names, line, entry["call"]))
            i += 1
    raise _refuse(opener, "the text ends before the ) that closes this container; paste all of print(model).")


def _value(node: ast.expr, line: _Line) -> Any:
    match node:
        case ast.Constant(value=value):
            return value
        case ast.Tuple(elts=items) | ast.List(elts=items):
            return [_value(item, line) for item in items]
        case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=int() | float() as number)):
            return -number
        case ast.Name(id=word):  # torch prints some strings bare: padding=same, padding_mode=zeros
            return word
    raise _refuse(line, f"{ast.unparse(node)} is not a value torch prints for a layer argument.")


def _call(text: str, line: _Line) -> tuple[str, list[Any], dict[str, Any]]:
    try:
        tree = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise _refuse(line, f"not a constructor call as torch prints one ({exc.__class__.__name__}).") from exc
    if not isinstance(tree, ast.Call) or not isinstance(tree.func, ast.Name) or any(k.arg is None for k in tree.keywords):
        raise _refuse(line, "not a constructor call as torch prints one, e.g. Conv2d(3, 32, kernel_size=(5, 5)).")
    return tree.func.id, [_value(a, line) for a in tree.args], {k.arg: _value(k.value, line) for k in tree.keywords if k.arg}


def _leaves(nodes: list[_Node], prefix: str) -> Iterator[tuple[str, _Node]]:
    for node in nodes:
        for name in node.names:
            path = f"{prefix}.{name}" if prefix else name
            if node.type is None:
                yield path, node
            else:
                yield from _leaves(node.children, path)


def _containers(nodes: list[_Node]) -> Iterator[str]:
    for node in nodes:
        if node.type is not None:
            yield node.type
            yield from _containers(node.children)


def parse_printed(text: str) -> PrintedNetwork:
    """The leaves of ``print(model)`` in printed order, as lab layers; ModelImportError quoting a refused line."""
    lines = [_Line(n, raw.strip()) for n, raw in enumerate(text.splitlines(), 1) if raw.strip()]
    if not lines:
        raise ModelImportError(FIELD, "The architecture is empty: paste what print(model) prints.")
    first = lines[0]
    opened = _OPENS.fullmatch(first.text)
    try:
        if opened:
            root, (children, end) = opened["type"], _block(lines, 1, first)
            if end < len(lines):
                raise _refuse(lines[end], "text after the ) that closes the model; paste one print(model) at a time.")
        elif len(lines) == 1:  # a single module printed alone, e.g. Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))
            root, children = "", [_Node([""], first, first.text)]
        else:
            raise _refuse(first, "expected the model's first line as print(model) writes it, e.g. Sequential( or Net(.")
        leaves = list(_leaves(children, ""))
    except RecursionError as exc:
        raise ModelImportError(FIELD, "The architecture nests containers too deeply to read.") from exc
    layers, notes, dropped = [], [], set()
    for path, node in leaves:
        type_name, args, kwargs = _call(node.call, node.line)
        if type_name in _NO_OPS or type_name in _EMPTY_CONTAINERS and not args and not kwargs:
            notes.append(f"{path or type_name} ({type_name}) passes its input on unchanged and was left out.")
            continue
        try:
            config = lab_layer(type_name, args, kwargs)
        except CallRefused as exc:
            raise _refuse(node.line, str(exc)) from exc
        dropped |= {name for name in DROPPED_ARGUMENTS if name in kwargs}
        layers.append(PrintedLayer(path, node.line.text, config))
    notes += [f"{name} is left out: the lab keeps every stage's output, so each layer works on a copy." for name in sorted(dropped)]
    custom = root != "" and any(t != _SEQUENTIAL for t in [root, *_containers(children)])
    if custom:
        notes.insert(0, CUSTOM_NOTE.format(root=root))
    if not layers:
        raise ModelImportError(FIELD, f"{root or 'The text'} holds no layer layerlab can run.")
    return PrintedNetwork(layers, root, custom, notes)
