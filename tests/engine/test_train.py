"""The training loop in the engine, against torch itself (no server, no worker)."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from app.engine.errors import EngineError, LayerError
from app.engine.train import Device, EpochRecord, StepRecord, TrainData, TrainSpec, resolve_device, train
from app.jobs.config import EXAMPLE_14, JobConfig

SMALL = [
    {"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
    {"type": "ReLU"},
    {"type": "MaxPool2d", "kernel_size": 4},
    {"type": "Flatten"},
    {"type": "Linear", "out_features": 10},
]


def _data(n: int = 120) -> TrainData:
    """Images whose class is written in their brightness: learnable in a few steps."""
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(n) % 10
    images = (labels.view(-1, 1, 1, 1) * 25 + torch.randint(0, 20, (n, 3, 32, 32), generator=g)).to(torch.uint8)
    return TrainData(images, labels, images[:40], labels[:40])


def _records(**spec):
    return list(train(TrainSpec(**{"layers": SMALL, **spec}), _data(), max_elements=10**8))


def test_steps_and_epochs_in_order_with_a_checkpoint_before_training():
    records = _records(batch_size=16, epochs=2, optimizer="adam", lr=0.01)
    kinds = [type(r).__name__ for r in records]
    assert kinds == ["EpochRecord"] + ["StepRecord"] * 8 + ["EpochRecord"] + ["StepRecord"] * 8 + ["EpochRecord"]
    steps = [r for r in records if isinstance(r, StepRecord)]
    assert [s.step for s in steps] == list(range(1, 17))
    epochs = [r for r in records if isinstance(r, EpochRecord)]
    assert [e.epoch for e in epochs] == [0, 1, 2] and epochs[0].train_loss is None
    assert epochs[-1].test_accuracy > epochs[0].test_accuracy
    assert sum(map(sum, epochs[-1].confusion)) == 40


def test_max_steps_stops_mid_epoch_and_still_evaluates():
    records = _records(batch_size=16, epochs=5, max_steps=3)
    assert [r.step for r in records if isinstance(r, StepRecord)] == [1, 2, 3]
    assert isinstance(records[-1], EpochRecord) and records[-1].step == 3


def test_seeded_runs_agree_and_another_seed_differs():
    losses = lambda seed: [r.loss for r in _records(batch_size=32, max_steps=3, seed=seed) if isinstance(r, StepRecord)]  # noqa: E731
    assert losses(1) == losses(1)
    assert losses(1) != losses(2)


def test_epoch_zero_is_the_lab_network_and_loads_into_nn_sequential():
    """Keys as the run API's code field names them: torch.manual_seed(seed) + nn.Sequential gives epoch 0."""
    state = _records(layers=EXAMPLE_14, batch_size=8, max_steps=1, seed=3)[0].state_dict
    torch.manual_seed(3)
    model = nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10),
    )
    assert sum(p.numel() for p in model.parameters()) == 145_578
    for key, value in model.state_dict().items():
        assert torch.equal(state[key], value), key


def test_a_pipeline_that_does_not_end_in_ten_outputs_is_refused_at_its_last_layer():
    with pytest.raises(LayerError) as err:
        _records(layers=SMALL[:-1] + [{"type": "Linear", "out_features": 7}], max_steps=1)
    assert err.value.position == 4 and "10 outputs" in err.value.message


def test_default_config_is_example_14():
    config = JobConfig()
    assert config.engine_layers() == EXAMPLE_14 and (config.lr, config.batch_size, config.epochs) == (0.01, 64, 1)


def test_device_auto_uses_cuda_exactly_when_torch_sees_one():
    assert resolve_device(Device.AUTO).type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(EngineError, match="no CUDA device"):
            resolve_device(Device.CUDA)
