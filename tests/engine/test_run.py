"""A run with trained weights: modules built without torch's initialisation that take the weights'
tensors (app/engine/run.py build_modules, load_weights), answering what the ``code`` field computes
(seeded build, ``load_state_dict``, forward) bit for bit."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from app.engine import Mode, run_pipeline
from app.engine.run import build_modules
from app.engine.plan import make_plan

LAYERS = [
    {"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}, {"type": "BatchNorm2d"}, {"type": "PReLU"},
    {"type": "MaxPool2d", "kernel_size": 2}, {"type": "Dropout", "p": 0.5}, {"type": "Flatten"}, {"type": "Linear", "out_features": 3},
]  # fmt: skip


def _net() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.PReLU(), nn.MaxPool2d(2), nn.Dropout(0.5), nn.Flatten(), nn.Linear(64, 3)
    )


def _as_code_does(seed: int, trained: dict[str, torch.Tensor], train: bool) -> nn.Sequential:
    torch.manual_seed(seed)
    model = _net()
    model.load_state_dict(trained)
    return model.train(train)


def _trained() -> dict[str, torch.Tensor]:
    """Every float tensor moved off torch's init (running_var stays positive), so a run that kept its init would show."""
    torch.manual_seed(99)
    return {k: v + torch.rand_like(v) if v.is_floating_point() else v for k, v in _net().state_dict().items()}


@pytest.mark.parametrize("mode", [Mode.EVAL, Mode.TRAIN])
def test_a_run_with_weights_is_the_codes_output_bit_for_bit(mode: Mode) -> None:
    trained, x = _trained(), torch.rand(2, 2, 8, 8)
    kept = {k: v.clone() for k, v in trained.items()}
    trace = run_pipeline(x, LAYERS, seed=7, mode=mode, weights=trained)
    model = _as_code_does(7, trained, mode is Mode.TRAIN)
    with torch.no_grad():
        expected = model(x)  # the seeded build drew its init, so train mode's Dropout draws the same mask
    assert torch.equal(trace.output, expected)
    assert all(torch.equal(trained[k], kept[k]) for k in kept), "the shared weights were written to"


def test_in_eval_mode_the_modules_take_the_weights_tensors_and_draw_nothing() -> None:
    trained = _trained()
    plan = make_plan((1, 2, 8, 8), LAYERS, 10_000)
    state = torch.get_rng_state()
    modules = build_modules(plan, Mode.EVAL, trained)
    assert torch.equal(torch.get_rng_state(), state), "torch's initialisation drew numbers a state_dict then replaced"
    conv, linear = modules[0], modules[6]
    assert conv.weight.data_ptr() == trained["0.weight"].data_ptr() and linear.bias.data_ptr() == trained["6.bias"].data_ptr()
    assert isinstance(conv.weight, nn.Parameter) and conv.weight is not trained["0.weight"]
    assert modules[1].running_var.data_ptr() == trained["1.running_var"].data_ptr()


def test_in_train_mode_the_modules_hold_copies_so_batchnorm_cannot_change_the_weights() -> None:
    trained = _trained()
    modules = build_modules(make_plan((1, 2, 8, 8), LAYERS, 10_000), Mode.TRAIN, trained)
    assert modules[1].running_mean.data_ptr() != trained["1.running_mean"].data_ptr()
    assert torch.equal(modules[1].running_mean, trained["1.running_mean"])


def test_weights_of_another_dtype_are_copied_and_cast_as_load_state_dict_does() -> None:
    trained = {k: v.double() if v.is_floating_point() else v for k, v in _trained().items()}
    modules = build_modules(make_plan((1, 2, 8, 8), LAYERS, 10_000), Mode.EVAL, trained)
    assert modules[0].weight.dtype == torch.float32 and torch.equal(modules[0].weight, trained["0.weight"].float())
