"""Attributions equal Captum's own, called directly on the same network built with plain torch."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
from captum.attr import InputXGradient, IntegratedGradients, LayerGradCam, Saliency

from app.engine import Mode, run_pipeline
from app.engine.attributions import Method, attribute
from app.engine.errors import ArgumentError, EngineError, LayerError

SMALL = [
    {"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
    {"type": "ReLU"},
    {"type": "MaxPool2d", "kernel_size": 2},
    {"type": "Conv2d", "out_channels": 6, "kernel_size": 3},
    {"type": "Flatten"},
    {"type": "Linear", "in_features": 6 * 2 * 2, "out_features": 5},
]


def torch_network(seed: int) -> nn.Sequential:
    """SMALL written out in torch, seeded and built in the same order (the run API's promise)."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.Flatten(), nn.Linear(24, 5)
    ).eval()


@pytest.fixture
def x() -> torch.Tensor:
    return torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(1))


def grad(x: torch.Tensor) -> torch.Tensor:
    return x.clone().requires_grad_()


def captum(method: Method, net: nn.Sequential, x: torch.Tensor, target: list[int], layer: int | None = None) -> torch.Tensor:
    if method is Method.SALIENCY:
        return Saliency(net).attribute(x, target=target)
    if method is Method.INPUT_X_GRADIENT:
        return InputXGradient(net).attribute(x, target=target)
    if method is Method.INTEGRATED_GRADIENTS:
        return IntegratedGradients(net).attribute(x, target=target, n_steps=16)
    assert layer is not None
    return LayerGradCam(net, net[layer - 1]).attribute(x, target=target)


@pytest.mark.parametrize("method", list(Method))
def test_every_method_equals_captum_called_directly(method: Method, x: torch.Tensor) -> None:
    trace = run_pipeline(x, SMALL, seed=7)
    found = attribute(trace, method, layer=4, steps=16)
    net = torch_network(7)
    predicted = net(x).argmax(1).tolist()
    assert found.target == predicted
    assert torch.equal(found.probabilities, net(x).softmax(1))
    expected = captum(method, net, grad(x), predicted, layer=4)
    assert torch.equal(found.values, expected)
    assert found.values.shape == ((2, 1, 2, 2) if method is Method.GRAD_CAM else x.shape)
    assert found.on_input is not None and found.on_input.shape == (2, 1, 8, 8)


def test_a_given_target_is_explained_for_every_sample(x: torch.Tensor) -> None:
    found = attribute(run_pipeline(x, SMALL, seed=7), Method.SALIENCY, target=3)
    assert found.target == [3, 3]
    assert torch.equal(found.values, Saliency(torch_network(7)).attribute(grad(x), target=3))


def test_grad_cam_on_the_input_is_upsampled_cell_by_cell(x: torch.Tensor) -> None:
    found = attribute(run_pipeline(x, SMALL, seed=7), Method.GRAD_CAM, layer=3)  # MaxPool2d: 4×4 cells over 8×8
    assert found.values.shape == (2, 1, 4, 4) and found.on_input is not None
    assert torch.equal(found.on_input, found.values.repeat_interleave(2, 2).repeat_interleave(2, 3))


def test_input_attributions_on_the_input_are_summed_over_channels(x: torch.Tensor) -> None:
    found = attribute(run_pipeline(x, SMALL, seed=7), Method.INPUT_X_GRADIENT)
    assert found.on_input is not None
    assert torch.equal(found.on_input, found.values.sum(1, keepdim=True))


def test_an_in_place_first_layer_is_differentiated_on_a_copy() -> None:
    x = torch.randn(1, 3, 6, 6, generator=torch.Generator().manual_seed(2))
    layers = [{"type": "ReLU", "inplace": True}, {"type": "Flatten"}, {"type": "Linear", "in_features": 108, "out_features": 3}]
    found = attribute(run_pipeline(x, layers, seed=0), Method.SALIENCY)
    torch.manual_seed(0)
    net = nn.Sequential(nn.ReLU(), nn.Flatten(), nn.Linear(108, 3)).eval()
    assert torch.equal(found.values, Saliency(net).attribute(grad(x), target=found.target))


def test_pool_indices_reach_the_unpooling_layer() -> None:
    x = torch.rand(1, 1, 4, 4, generator=torch.Generator().manual_seed(3))
    layers = [
        {"type": "MaxPool2d", "kernel_size": 2},
        {"type": "MaxUnpool2d", "kernel_size": 2, "indices_from": 1},
        {"type": "Flatten"},
        {"type": "Linear", "in_features": 16, "out_features": 2},
    ]
    found = attribute(run_pipeline(x, layers, seed=0), Method.INPUT_X_GRADIENT, target=1)
    torch.manual_seed(0)
    pool, unpool, linear = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2), nn.Linear(16, 2)

    def forward(t: torch.Tensor) -> torch.Tensor:
        return linear(unpool(*pool(t)).flatten(1))

    assert torch.equal(found.values, InputXGradient(forward).attribute(grad(x), target=1))
    assert int((found.values != 0).sum()) <= 4  # only each window's winner gets a gradient


def refusal(kind: type[EngineError], call) -> EngineError:
    with pytest.raises(kind) as caught:
        call()
    return caught.value


def test_refuses_an_output_that_is_not_one_score_per_class(x: torch.Tensor) -> None:
    trace = run_pipeline(x, SMALL[:4], seed=0)
    error = refusal(LayerError, lambda: attribute(trace, Method.SALIENCY))
    assert error.position == 3 and "(N, classes)" in error.message and "Linear" in error.message


def test_refuses_a_target_that_is_not_a_class(x: torch.Tensor) -> None:
    error = refusal(ArgumentError, lambda: attribute(run_pipeline(x, SMALL, seed=0), Method.SALIENCY, target=5))
    assert error.field_name == "target" and "5 classes, 0 to 4" in error.message


@pytest.mark.parametrize(("layer", "words"), [(5, "Stage 5 (Flatten)"), (None, "give layer"), (9, "1 to 6"), (0, "1 to 6")])
def test_grad_cam_refuses_a_stage_without_rows_and_columns(layer: int | None, words: str, x: torch.Tensor) -> None:
    error = refusal(ArgumentError, lambda: attribute(run_pipeline(x, SMALL, seed=0), Method.GRAD_CAM, layer=layer))
    assert error.field_name == "layer" and words in error.message
    assert "stages 1, 2, 3, 4" in error.message  # the stages it could choose


def test_integrated_gradients_steps_are_bounded_by_the_element_limit(x: torch.Tensor) -> None:
    trace = run_pipeline(x, SMALL, seed=0)
    error = refusal(ArgumentError, lambda: attribute(trace, Method.INTEGRATED_GRADIENTS, steps=100, max_elements=10_000))
    assert error.field_name == "steps" and "at most 19 steps" in error.message  # largest stage: 2·4·8·8 = 512 values


def test_attributions_need_an_eval_mode_run(x: torch.Tensor) -> None:
    with pytest.raises(AssertionError):
        attribute(run_pipeline(x, SMALL, seed=0, mode=Mode.TRAIN), Method.SALIENCY)
