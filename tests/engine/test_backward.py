"""Gradients of a run against autograd itself: random pipelines of every layer type, train and eval mode.

The reference is what a PyTorch user writes: ``torch.manual_seed(seed)``, the modules built in order,
``retain_grad()`` on every stage, the loss, ``loss.backward()``. The engine's stage and parameter
gradients must be the same bit for bit, and its forward values those of a plain run.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import torch
import torch.nn as nn
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.engine import EngineError, Mode, run_pipeline
from app.engine.backward import Backward, BackwardError
from app.engine.registry import REGISTRY
from tests.engine.test_properties import _torch_kwargs, inputs, layer_configs

# Layers put before or after the layer under test, so gradients flow through a stack.
NEIGHBOURS = [
    {"type": "ReLU"}, {"type": "Tanh"}, {"type": "BatchNorm2d"}, {"type": "Dropout", "p": 0.3},
    {"type": "Conv2d", "out_channels": 2, "kernel_size": 1}, {"type": "LeakyReLU", "inplace": True},
]


def torch_gradients(layers: list[dict[str, Any]], x: torch.Tensor, seed: int, train: bool, objective: Any) -> tuple[list, list]:
    """Stage gradients (input first) and per-layer parameter gradients, as loss.backward() leaves them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(seed)
        modules, shapes_x = [], x
        for config in layers:
            kwargs = _torch_kwargs(config, shapes_x)
            if config["type"] == "MaxPool2d" and any(lay.get("indices_from") for lay in layers):
                kwargs["return_indices"] = True
            module = REGISTRY[config["type"]].cls(**kwargs)
            module.train(train)
            modules.append(module)
            with torch.random.fork_rng(devices=[]), torch.no_grad():
                out = module(shapes_x.clone()) if config["type"] != "MaxUnpool2d" else None  # a copy: inplace layers
            shapes_x = out[0] if isinstance(out, tuple) else out
        current = x.clone().requires_grad_(True)
        stages, indices = [current], None
        for config, module in zip(layers, modules, strict=True):
            # An inplace layer works on a copy, as layerlab's does (its _INPLACE parameter says so).
            arg = current.clone() if getattr(module, "inplace", False) else current
            out = module(arg, indices) if config["type"] == "MaxUnpool2d" else module(arg)
            if isinstance(out, tuple):
                out, indices = out
            out.retain_grad()
            stages.append(out)
            current = out
        objective(current).backward()
    grads = [s.grad if s.grad is not None else torch.zeros_like(s) for s in stages]
    params = [{n: p.grad if p.grad is not None else torch.zeros_like(p) for n, p in m.named_parameters()} for m in modules]
    return grads, params


def _identical(got: torch.Tensor, expected: torch.Tensor, what: str) -> None:
    torch.testing.assert_close(got, expected, rtol=0, atol=0, equal_nan=True, msg=lambda m: f"{what}: {m}")


def check_against_autograd(layers: list[dict[str, Any]], x: torch.Tensor, seed: int, train: bool, target_seed: int) -> bool:
    """False when the engine refuses the pipeline (the forward property tests cover refusals)."""
    mode = Mode.TRAIN if train else Mode.EVAL
    try:
        plain = run_pipeline(x, layers, seed=seed, mode=mode)
    except EngineError:
        return False
    out = plain.output
    if out.numel() == 0:  # a target of shape (1, 0, 0) cannot be written as nested lists: nothing to differentiate
        return False
    target = torch.randn(out.shape, generator=torch.Generator().manual_seed(target_seed)).round(decimals=2)
    try:
        trace = run_pipeline(x, layers, seed=seed, mode=mode, backward=Backward(loss="MSELoss", target=target.tolist()))
    except BackwardError:  # autograd refused (LeakyReLU inplace with a negative slope): so must torch itself
        with pytest.raises(RuntimeError):
            torch_gradients(layers, x, seed, train, lambda y: nn.MSELoss()(y, target))
        return False
    grads, params = torch_gradients(layers, x, seed, train, lambda y: nn.MSELoss()(y, target))
    assert trace.grads is not None
    for k, expected in enumerate(grads):
        _identical(trace.grads.stages[k].tensor, expected, f"stage {k} of {layers}")
    for k, expected_params in enumerate(params, start=1):
        assert set(trace.grads.params[k - 1]) == set(expected_params)
        for name, expected in expected_params.items():
            _identical(trace.grads.params[k - 1][name].tensor, expected, f"layer {k} {name}.grad of {layers}")
    for with_grads, without in zip(trace.stages, plain.stages, strict=True):  # the forward pass is the same
        _identical(with_grads.output, without.output, f"forward of {layers}")
    return True


@pytest.mark.parametrize("type_name", [name for name in REGISTRY if name != "MaxUnpool2d"])
def test_every_layer_type_gives_autograds_gradients_bit_for_bit(type_name: str) -> None:
    image_like = REGISTRY[type_name].input_ranks is not None or type_name == "Upsample"
    checked = []

    # Most drawn Conv2d/ConvTranspose2d configs are refused (window larger than the input, groups): a
    # refused one is not counted (assume), so each type is checked on 25 pipelines torch runs. 80 plain
    # draws once gave Conv2d only 2.
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(config=layer_configs(type_name), before=st.sampled_from([None, *NEIGHBOURS]), after=st.sampled_from([None, *NEIGHBOURS]),
           x=inputs(image_like), seed=st.integers(0, 1000), train=st.booleans(), target_seed=st.integers(0, 1000))
    def check(config: dict, before: dict | None, after: dict | None, x: torch.Tensor, seed: int, train: bool, target_seed: int) -> None:
        layers = [layer for layer in (before, config, after) if layer is not None]
        checked.append(check_against_autograd(layers, x, seed, train, target_seed))
        assume(checked[-1])

    check()
    assert sum(checked) >= 3, f"too few valid {type_name} pipelines were drawn ({sum(checked)} of {len(checked)})"


def test_unpooling_with_its_pools_indices_gives_autograds_gradients() -> None:
    checked = []

    # Refused sizes are not counted (assume): 25 pools whose indices the unpool can take.
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(pool=layer_configs("MaxPool2d"), unpool=layer_configs("MaxUnpool2d"), x=inputs(True), seed=st.integers(0, 1000),
           train=st.booleans(), target_seed=st.integers(0, 1000))
    def check(pool: dict, unpool: dict, x: torch.Tensor, seed: int, train: bool, target_seed: int) -> None:
        layers = [pool, {"type": "Tanh"}, {**unpool, "indices_from": 1}]
        checked.append(check_against_autograd(layers, x, seed, train, target_seed))
        assume(checked[-1])

    check()
    assert sum(checked) >= 3


@pytest.mark.parametrize("train", [False, True])
def test_a_classifier_with_cross_entropy_and_one_output_value(train: bool) -> None:
    layers = [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}, {"type": "BatchNorm2d"}, {"type": "ReLU"},
              {"type": "Dropout"}, {"type": "MaxPool2d", "kernel_size": 2}, {"type": "Flatten"}, {"type": "Linear", "out_features": 5}]
    x = torch.rand(3, 3, 6, 6, generator=torch.Generator().manual_seed(1))
    mode = Mode.TRAIN if train else Mode.EVAL
    trace = run_pipeline(x, layers, seed=7, mode=mode, backward=Backward(loss="CrossEntropyLoss", loss_params={"label_smoothing": 0.1}, target=[0, 4, 2]))
    grads, params = torch_gradients(layers, x, 7, train, lambda y: nn.CrossEntropyLoss(label_smoothing=0.1)(y, torch.tensor([0, 4, 2])))
    assert trace.grads is not None and trace.grads.loss is not None
    for k, expected in enumerate(grads):
        _identical(trace.grads.stages[k].tensor, expected, f"stage {k}")
    _identical(trace.grads.params[0]["weight"].tensor, params[0]["weight"], "conv weight")
    one = run_pipeline(x, layers, seed=7, mode=mode, backward=Backward(output=(1, 3)))
    grads, _ = torch_gradients(layers, x, 7, train, lambda y: y[1, 3])
    assert one.grads is not None and one.grads.loss is None
    _identical(one.grads.stages[0].tensor, grads[0], "input grad of one output value")


def test_gradient_statistics_carry_the_norm() -> None:
    trace = run_pipeline(torch.ones(1, 4), [{"type": "Linear", "out_features": 1, "weight": [[1.0, 2, 2, 4]], "bias": [0.0]}],
                         backward=Backward(output=(0, 0)))
    assert trace.grads is not None
    assert trace.grads.stages[0].stats["norm"] == pytest.approx(5.0)  # ∂y/∂x is the weight row, |(1, 2, 2, 4)| = 5
    assert trace.grads.params[0]["weight"].tensor.tolist() == [[1.0, 1.0, 1.0, 1.0]]


@pytest.mark.parametrize(
    ("layers", "backward", "words"),
    [
        ([{"type": "Conv2d", "out_channels": 4, "kernel_size": 1}], Backward(loss="CrossEntropyLoss", target=[1]),
         "need shape [1, 3, 3]"),
        ([{"type": "Flatten"}], Backward(loss="CrossEntropyLoss", target=[9]), "class index 9 is outside 0…8"),
        ([{"type": "Flatten"}], Backward(loss="NLLLoss", target=[[0.5] * 9]), None),
        ([{"type": "Flatten"}], Backward(loss="CrossEntropyLoss", target=[[0.5] * 4]), "class probabilities must have the output's shape [1, 9]"),
        ([{"type": "Flatten"}], Backward(loss="L1Loss", target=[1.0]), "needs the output's shape [1, 9]"),
        ([{"type": "Flatten"}], Backward(output=(0, 9)), "index 9 on axis 1 is outside 0…8"),
        ([{"type": "Flatten"}], Backward(output=(0,)), "needs 2 numbers"),
        ([{"type": "Flatten"}], Backward(loss="MSELoss", loss_params={"reduction": "none"}, target=[[0.0] * 9]), "single number"),
        ([{"type": "Flatten"}], Backward(loss="BCELoss", target=[[0.0] * 9]), "torch says"),
        ([{"type": "LeakyReLU", "negative_slope": -0.5, "inplace": True}, {"type": "Flatten"}], Backward(output=(0, 0)), "Set inplace to false"),
    ],
)
def test_a_target_that_does_not_fit_is_refused_in_words(layers: list, backward: Backward, words: str | None) -> None:
    x = torch.full((1, 1, 3, 3), 2.0)  # BCELoss refuses 2.0: not a probability
    with pytest.raises(BackwardError) as refused:
        run_pipeline(x, layers, backward=backward)
    if words is not None:
        assert words in refused.value.message
