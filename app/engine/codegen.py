"""PyTorch source that rebuilds a pipeline: the ``code`` field and the lab's "Copy as PyTorch".

Run after the same ``torch.manual_seed(seed)`` it builds the same modules in the same order, so it
draws the same initial weights and gives the same outputs. A pipeline where no stage hands indices
on is an ``nn.Sequential``; otherwise the stages are called one by one so indices can be passed.
With a ``backward``, the forward pass keeps every stage's gradient (``retain_grad``) and the code ends
with the loss (or the one output value) and ``backward()``: the gradients a run answers are what it
leaves in ``x.grad``, ``outputs[k].grad`` and each parameter's ``.grad``.
"""

from __future__ import annotations

from typing import Any

import torch

from .backward import Backward, _all_ints  # the engine's own test of class-index targets
from .losses import LOSSES
from .records import Mode, Plan, Stage
from .registry import REQUIRED


def _arg(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_arg(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)


def module_source(stage: Stage) -> str:
    """``nn.Conv2d(3, 6, kernel_size=3, padding=1)``: required arguments by position, the rest only if not default."""
    positional, keywords = [], []
    for param in stage.spec.params:
        if param.name not in stage.kwargs:
            continue
        value = stage.kwargs[param.name]
        if param.default is REQUIRED and not keywords:
            positional.append(_arg(value))
        elif param.default is REQUIRED or value != param.default:
            keywords.append(f"{param.name}={_arg(value)}")
    return f"nn.{stage.spec.name}({', '.join(positional + keywords)})"


def _tensor_literal(t: torch.Tensor) -> str:
    return f"torch.tensor({t.tolist()!r})"


def loss_source(backward: Backward) -> str:
    """``loss = nn.CrossEntropyLoss(label_smoothing=0.1)(y, torch.tensor([3], dtype=torch.long))``, or the one output value."""
    if backward.loss is None:
        assert backward.output is not None
        return f"loss = y[{', '.join(map(str, backward.output))}]  # the one output value differentiated"
    spec = LOSSES[backward.loss]
    args = ", ".join(
        f"{name}=torch.tensor({value!r}, dtype=torch.float32)" if name in spec.tensor_params and value is not None else f"{name}={_arg(value)}"
        for name, value in backward.loss_params.items()
    )
    dtype = "long" if spec.class_targets and _all_ints(backward.target) else "float32"  # as the engine reads the target
    return f"loss = nn.{spec.name}({args})(y, torch.tensor({backward.target!r}, dtype=torch.{dtype}))"


def _uses_indices(plan: Plan) -> bool:
    return any(s.returns_indices or s.indices_from is not None for s in plan.stages)


def pipeline_code(
    plan: Plan,
    seed: int,
    mode: Mode,
    input_code: str | None = None,
    weights_file: str | None = None,
    weights_url: str | None = None,
    backward: Backward | None = None,
) -> str:
    """``weights_file``: a ``.safetensors`` state_dict the code loads over the seeded weights (downloaded from ``weights_url``)."""
    sequential = not _uses_indices(plan)
    container = "nn.Sequential(" if sequential else "nn.ModuleList(["
    closing = ")" if sequential else "])"
    lines = [
        "import torch",
        "import torch.nn as nn",
        *(["from safetensors.torch import load_file"] if weights_file is not None else []),
        "",
        f"torch.manual_seed({seed})",
        f"model = {container}",
        *(f"    {module_source(s)},  # {s.index}: {_arg(s.input_shape)} -> {_arg(s.output_shape)}" for s in plan.stages),
        closing,
    ]
    explicit = [(s, name, t) for s in plan.stages for name, t in s.explicit.items()]
    if explicit:
        lines.append("with torch.no_grad():")
        lines += [f"    model[{s.position}].{name}.copy_({_tensor_literal(t)})" for s, name, t in explicit]
    if weights_file is not None:
        where = f"  # GET {weights_url}" if weights_url else ""
        lines.append(f"model.load_state_dict(load_file({weights_file!r})){where}")
    lines += [f"model.{mode.value}()", ""]
    lines.append(input_code or f"x = torch.rand({', '.join(map(str, plan.input_shape))})  # your input")
    lines += _forward_lines(plan, sequential) if backward is None else _backward_lines(plan, sequential, backward)
    return "\n".join(lines) + "\n"


def _forward_lines(plan: Plan, sequential: bool) -> list[str]:
    lines = ["with torch.no_grad():"]
    if sequential:
        lines.append("    y = model(x)")
    else:
        previous = "x"
        for s in plan.stages:
            lines.append(f"    {_stage_call(s, previous)}")
            previous = f"x{s.index}"
        lines.append(f"    y = {previous}")
    lines.append("print(y.shape)")
    return lines


def _backward_lines(plan: Plan, sequential: bool, backward: Backward) -> list[str]:
    lines = ["x.requires_grad_()  # keep ∂L/∂x", "outputs = []  # every stage's output, keeping its gradient (retain_grad)"]
    if sequential:
        lines += ["y = x", "for layer in model:", "    y = layer(y)", "    y.retain_grad()", "    outputs.append(y)"]
    else:
        previous = "x"
        for s in plan.stages:
            lines += [_stage_call(s, previous), f"x{s.index}.retain_grad()", f"outputs.append(x{s.index})"]
            previous = f"x{s.index}"
        lines.append(f"y = {previous}")
    lines += [
        loss_source(backward),
        "loss.backward()",
        "print(loss.item(), x.grad.norm().item(), [o.grad.norm().item() for o in outputs])",
    ]
    return lines


def _stage_call(s: Stage, previous: str) -> str:
    args = previous + (f", indices{s.indices_from + 1}" if s.indices_from is not None else "")
    args += f", output_size={_arg(s.output_size)}" if s.output_size else ""
    target = f"x{s.index}, indices{s.index}" if s.returns_indices else f"x{s.index}"
    return f"{target} = model[{s.position}]({args})"
