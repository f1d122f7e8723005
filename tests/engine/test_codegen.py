"""app/engine/codegen.py: the code text, run as it is, rebuilds the same modules and the same outputs."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from app.engine import Mode, make_plan, run_pipeline
from app.engine.codegen import module_source, pipeline_code

LIMIT = 50_000_000


def _run_code(code: str, x: torch.Tensor) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    # The code's own input line makes a random x; the run's input replaces it.
    lines = [line if not line.startswith("x = ") else "x = given" for line in code.splitlines()]
    exec(compile("\n".join(lines), "<code>", "exec"), {"given": x}, namespace)  # noqa: S102 (our own output)
    return namespace


@pytest.mark.parametrize(
    ("layers", "mode"),
    [
        ([{"type": "Conv2d", "out_channels": 6, "kernel_size": 3, "padding": 1}, {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2}], Mode.EVAL),
        ([{"type": "Conv2d", "out_channels": 4, "kernel_size": [3, 2], "stride": 2}, {"type": "BatchNorm2d"}, {"type": "Dropout", "p": 0.3}], Mode.TRAIN),
        ([{"type": "RReLU"}, {"type": "Flatten"}, {"type": "Linear", "out_features": 5}], Mode.TRAIN),
        ([{"type": "MaxPool2d", "kernel_size": 2}, {"type": "PReLU", "num_parameters": 3}, {"type": "MaxUnpool2d", "kernel_size": 2, "indices_from": 1}], Mode.EVAL),
        ([], Mode.EVAL),
    ],
)
def test_code_rebuilds_the_same_outputs(layers: list[dict], mode: Mode) -> None:
    x = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    trace = run_pipeline(x, layers, seed=11, mode=mode)
    code = pipeline_code(trace.plan, trace.seed, mode)
    namespace = _run_code(code, x)
    assert torch.equal(namespace["y"], trace.output)
    assert namespace["model"].training is (mode is Mode.TRAIN)
    assert [repr(m) for m in namespace["model"]] == [s.module_repr for s in trace.stages]


def test_explicit_weights_are_copied_in() -> None:
    x = torch.arange(9.0).reshape(1, 1, 3, 3)
    layers = [{"type": "Conv2d", "out_channels": 1, "kernel_size": 2, "weight": [[[[1, 0], [0, -1]]]], "bias": [0.5]}]
    trace = run_pipeline(x, layers, seed=0)
    code = pipeline_code(trace.plan, 0, Mode.EVAL)
    assert "model[0].weight.copy_(torch.tensor([[[[1.0, 0.0], [0.0, -1.0]]]]))" in code
    assert torch.equal(_run_code(code, x)["y"], trace.output)
    assert trace.output.flatten().tolist() == [-3.5] * 4


def test_a_pipeline_without_indices_is_a_sequential_and_says_each_shape() -> None:
    plan = make_plan((1, 3, 8, 8), [{"type": "Conv2d", "out_channels": 6, "kernel_size": 3}, {"type": "Flatten"}], LIMIT)
    code = pipeline_code(plan, 5, Mode.EVAL, "x = torch.zeros(1, 3, 8, 8)")
    assert "torch.manual_seed(5)\nmodel = nn.Sequential(\n" in code
    assert "    nn.Conv2d(3, 6, 3),  # 1: (1, 3, 8, 8) -> (1, 6, 6, 6)\n" in code
    assert "    nn.Flatten(),  # 2: (1, 6, 6, 6) -> (1, 216)\n" in code
    assert "model.eval()\n\nx = torch.zeros(1, 3, 8, 8)\nwith torch.no_grad():\n    y = model(x)\n" in code


def test_indices_are_handed_on_stage_by_stage() -> None:
    layers = [{"type": "MaxPool2d", "kernel_size": 2}, {"type": "MaxUnpool2d", "kernel_size": 2, "indices_from": 1}]
    code = pipeline_code(make_plan((1, 1, 4, 4), layers, LIMIT), 0, Mode.EVAL)
    assert "model = nn.ModuleList([" in code
    assert "    x1, indices1 = model[0](x)\n    x2 = model[1](x1, indices1)\n    y = x2\n" in code


@pytest.mark.parametrize(
    ("layer", "source"),
    [
        ({"type": "Conv2d", "out_channels": 6, "kernel_size": 3, "padding": 1}, "nn.Conv2d(3, 6, 3, padding=1)"),
        ({"type": "Conv2d", "out_channels": 6, "kernel_size": [3, 1], "bias": False}, "nn.Conv2d(3, 6, (3, 1), bias=False)"),
        ({"type": "MaxPool2d", "kernel_size": 2, "stride": 2}, "nn.MaxPool2d(2, stride=2)"),
        ({"type": "LeakyReLU", "negative_slope": 0.1}, "nn.LeakyReLU(negative_slope=0.1)"),
        ({"type": "Upsample", "scale_factor": 2.0, "mode": "nearest"}, "nn.Upsample(scale_factor=2.0)"),
        ({"type": "Flatten", "start_dim": 0}, "nn.Flatten(start_dim=0)"),
    ],
)
def test_module_source_gives_required_arguments_by_position_and_the_rest_only_when_not_default(layer: dict, source: str) -> None:
    (stage,) = make_plan((1, 3, 8, 8), [layer], LIMIT).stages
    assert module_source(stage) == source
    assert repr(eval(source, {"nn": torch.nn})) == repr(stage.build())  # noqa: S307 (our own output)
