"""The training loop in the engine, against torch itself (no server, no worker)."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from app.engine.errors import EngineError, LayerError
import torchvision.transforms.v2.functional as TF

from app.engine.recipe import CROP_PADDING, Augment, Device, augment_batch, resolve_device
from app.engine.train import EpochRecord, StepRecord, TrainData, TrainSpec, train
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


def test_random_crop_and_flip_are_torchvisions_per_image():
    """Each image is what RandomCrop(32, padding=4) then RandomHorizontalFlip give at its own draw."""
    images = torch.randint(0, 256, (16, 3, 32, 32), dtype=torch.uint8)
    out = augment_batch(images, (Augment.RANDOM_CROP, Augment.HORIZONTAL_FLIP), torch.Generator().manual_seed(7))
    draws = torch.Generator().manual_seed(7)  # the same draws, in the same order
    span = 2 * CROP_PADDING + 1
    top, left = torch.randint(0, span, (16,), generator=draws), torch.randint(0, span, (16,), generator=draws)
    flips = torch.rand(16, generator=draws) < 0.5
    assert 0 < int(flips.sum()) < 16 and len(set(zip(top.tolist(), left.tolist()))) > 1  # the draws do differ
    for i in range(16):
        expected = TF.crop(TF.pad(images[i], [CROP_PADDING] * 4), int(top[i]), int(left[i]), 32, 32)
        if flips[i]:
            expected = TF.horizontal_flip(expected)
        assert torch.equal(out[i], expected), i


def test_one_cycle_follows_torchs_onecyclelr_and_augmenting_changes_the_losses():
    """Full batches (the shuffle cannot matter): the losses of a hand-written loop with OneCycleLR."""
    data = _data(64)
    spec = TrainSpec(layers=SMALL, optimizer="adam", lr=0.05, batch_size=64, epochs=4, schedule="one_cycle")
    ours = [r.loss for r in train(spec, data, max_elements=10**8) if isinstance(r, StepRecord)]
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4), nn.Flatten(), nn.Linear(256, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05, total_steps=4)
    theirs = []
    for _ in range(4):
        loss = nn.functional.cross_entropy(model(data.train_images.float().div(255)), data.train_labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        theirs.append(float(loss.detach()))
    assert ours == pytest.approx(theirs, rel=1e-4)
    constant = [r.loss for r in train(TrainSpec(**{**spec.__dict__, "schedule": "constant"}), data, max_elements=10**8) if isinstance(r, StepRecord)]
    assert constant[1:] != pytest.approx(ours[1:], rel=1e-4)  # the schedule did change the steps
    augmented = TrainSpec(**{**spec.__dict__, "augment": (Augment.RANDOM_CROP, Augment.HORIZONTAL_FLIP)})
    assert [r.loss for r in train(augmented, data, max_elements=10**8) if isinstance(r, StepRecord)] != ours
