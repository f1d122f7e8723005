"""Layer health (app/engine/health.py) against torch by hand, and in the training loop."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn

from app.engine import make_plan
from app.engine.health import HISTOGRAM_BINS, ActivationRecord, LayerHealthRecord, NormWatch, activation_record
from app.engine.train import EpochRecord, Network, StepRecord, TrainSpec, build_network, train
from tests.engine.test_train import SMALL, _data

LAYERS = [
    {"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
    {"type": "ReLU"},
    {"type": "Flatten"},
    {"type": "Linear", "out_features": 3},
]


def small_network(seed: int = 0) -> tuple[object, Network]:
    plan = make_plan((8, 1, 5, 5), LAYERS, 10**8, training=True)
    return plan, build_network(plan, seed)


def one_step(optimizer_of) -> tuple[LayerHealthRecord, list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]]:
    plan, net = small_network()
    x, y = torch.randn(8, 1, 5, 5, generator=torch.Generator().manual_seed(1)), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    optimizer = optimizer_of(net.parameters())
    nn.functional.cross_entropy(net(x), y).backward()
    before = [p.detach().clone() for p in net.parameters()]
    grads = [p.grad.clone() for p in net.parameters()]
    watch = NormWatch(plan, net)
    watch.before_step()
    optimizer.step()
    record = watch.after_step(1, 1, optimizer.param_groups[0]["lr"])
    return record, before, grads, [p.detach() for p in net.parameters()]


def norm(*tensors: torch.Tensor) -> float:
    return float(torch.cat([t.flatten() for t in tensors]).norm())


def test_norms_are_each_layers_parameters_together_and_the_update_is_the_actual_change() -> None:
    record, before, grads, after = one_step(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01))
    assert [(layer.index, layer.type) for layer in record.layers] == [(1, "Conv2d"), (4, "Linear")]
    conv, linear = record.layers
    assert conv.grad_norm == pytest.approx(norm(*grads[:2]), rel=1e-6)
    assert linear.grad_norm == pytest.approx(norm(*grads[2:]), rel=1e-6)
    assert conv.weight_norm == pytest.approx(norm(*after[:2]), rel=1e-6)
    delta = [a - b for a, b in zip(after, before, strict=True)]
    assert linear.update_ratio == pytest.approx(norm(*delta[2:]) / norm(*after[2:]), rel=1e-5)
    assert record.lr == 0.1


def test_for_plain_sgd_the_update_ratio_is_lr_times_grad_over_weight() -> None:
    record, *_ = one_step(lambda p: torch.optim.SGD(p, lr=0.05))
    for layer in record.layers:
        assert layer.update_ratio == pytest.approx(0.05 * layer.grad_norm / layer.weight_norm, rel=1e-4)


def test_adam_moves_every_layer_by_about_lr_per_weight_whatever_the_gradient() -> None:
    record, *_ = one_step(lambda p: torch.optim.Adam(p, lr=1e-3))
    for layer in record.layers:  # Adam's first step is lr·sign(g) per weight: ‖Δw‖ = lr·√(number of weights)
        assert layer.update_ratio != pytest.approx(1e-3 * layer.grad_norm / layer.weight_norm, rel=0.1)


def test_dead_units_are_the_positions_never_positive_over_the_batch() -> None:
    plan, net = small_network()
    with torch.no_grad():
        net[0].bias[2] = -100.0  # channel 2 of the conv: never positive after the ReLU
    net.eval()
    x = torch.rand(8, 1, 5, 5, generator=torch.Generator().manual_seed(2))
    record = activation_record(plan, net.stages, x, epoch=3, step=30)
    conv, relu, flatten, linear = record.stages
    relu_out = torch.relu(net[0](x)).detach()
    expected = 1 - float((relu_out > 0).any(0).float().mean())
    assert relu.dead_fraction == pytest.approx(expected) and relu.dead_fraction >= 0.25
    assert conv.dead_fraction is None and linear.dead_fraction is None  # only layers that can die
    assert sum(relu.counts) == relu_out.numel() and len(relu.counts) == HISTOGRAM_BINS
    assert (relu.min, relu.max) == (0.0, pytest.approx(float(relu_out.max())))
    assert record.images == 8 and (record.epoch, record.step) == (3, 30)


def _records(**spec):
    return list(train(TrainSpec(**{"layers": SMALL, "batch_size": 16, **spec}), _data(), max_elements=10**8))


def test_the_loop_reports_every_n_steps_and_every_epoch_without_changing_the_training() -> None:
    watched = _records(epochs=2, health_every=3, optimizer="adam")
    kinds = [type(r).__name__ for r in watched]
    assert kinds[:2] == ["EpochRecord", "ActivationRecord"]
    health = [r for r in watched if isinstance(r, LayerHealthRecord)]
    assert [h.step for h in health] == [3, 6, 9, 12, 15]
    assert all(kinds[kinds.index("LayerHealthRecord", i) - 1] == "StepRecord" for i in range(len(kinds)) if "LayerHealthRecord" in kinds[i:])
    assert [r.epoch for r in watched if isinstance(r, ActivationRecord)] == [0, 1, 2]
    assert all(math.isfinite(layer.update_ratio) and layer.update_ratio > 0 for h in health for layer in h.layers)
    plain = _records(epochs=2, optimizer="adam")
    assert not any(isinstance(r, LayerHealthRecord | ActivationRecord) for r in plain)
    last = lambda records: [r for r in records if isinstance(r, EpochRecord)][-1].state_dict  # noqa: E731
    assert all(torch.equal(last(watched)[k], last(plain)[k]) for k in last(plain))
    assert [r.loss for r in watched if isinstance(r, StepRecord)] == [r.loss for r in plain if isinstance(r, StepRecord)]


def _activity_by_mask(out: torch.Tensor, can_die: bool) -> tuple:
    """The plain way: the finite values picked out by a mask, a unit dead unless some sample's value is positive."""
    dead = 1.0 - float((out > 0).any(0).float().mean()) if can_die and out.dim() >= 2 else None
    finite = out[torch.isfinite(out)]
    if finite.numel() == 0:
        return dead, None, None, [0] * HISTOGRAM_BINS
    lo, hi = float(finite.min()), float(finite.max())
    counts = torch.histc(finite, bins=HISTOGRAM_BINS, min=lo, max=hi if hi > lo else lo + 1)
    return dead, lo, hi, [int(c) for c in counts.tolist()]


@pytest.mark.parametrize(
    "out",
    [
        torch.randn(16, 8, 5, 5).relu(),
        torch.randn(7, 30) * 1e-3,
        torch.full((4, 3), 2.5),  # one value: the histogram's range widened by 1
        torch.tensor([[1.0, float("nan")], [-1.0, 2.0]]),  # NaN in a unit that is positive elsewhere
        torch.tensor([[float("inf"), -3.0], [0.0, -float("inf")]]),
        torch.tensor([[float("nan"), float("nan")]]),
        torch.zeros(0, 4),
        torch.tensor([[-0.0, 0.0], [-1.0, -0.0]]),
    ],
)
def test_activity_without_a_mask_is_the_masked_activity(out: torch.Tensor) -> None:
    """The pass over each stage skips the mask and the copy when every value is finite: the same numbers."""
    from app.engine.health import _activity

    got = _activity(1, "ReLU", out, True)
    assert (got.dead_fraction, got.min, got.max, got.counts) == _activity_by_mask(out, True)
