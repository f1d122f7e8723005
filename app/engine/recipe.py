"""How a training job trains: the optimiser, the learning-rate schedule, the augmentation of its images, the device.

Each is torch's or torchvision's own (``torch.optim``, ``OneCycleLR``, ``RandomCrop`` / ``RandomHorizontalFlip``),
chosen by a closed set of names that the job's config and the page share.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum

import torch
import torch.nn as nn

from .distributed import SINGLE, Ranks
from .errors import EngineError


class Optimizer(StrEnum):
    SGD = "sgd"
    ADAM = "adam"


class Schedule(StrEnum):
    CONSTANT = "constant"  # lr throughout
    ONE_CYCLE = "one_cycle"  # torch.optim.lr_scheduler.OneCycleLR(max_lr=lr) over the job's steps, stepped per batch


class Augment(StrEnum):
    RANDOM_CROP = "random_crop"  # torchvision's RandomCrop(32, padding=4): zero-pad 4, crop 32×32 at a random offset
    HORIZONTAL_FLIP = "horizontal_flip"  # torchvision's RandomHorizontalFlip(p=0.5)


def make_optimizer(
    optimizer: Optimizer, params: Iterator[nn.Parameter], lr: float, momentum: float, weight_decay: float
) -> torch.optim.Optimizer:
    if optimizer == Optimizer.ADAM:  # == : a plain "adam" string is taken too
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


CROP_PADDING = 4


def augment_batch(images: torch.Tensor, augment: tuple[Augment, ...], generator: torch.Generator) -> torch.Tensor:
    """uint8 (B, 3, H, W) → the same batch with each image cropped and/or flipped at its own random draw.

    What torchvision's ``RandomCrop(H, padding=4)`` and ``RandomHorizontalFlip()`` do to one image at a
    time, done for the whole batch in two gathers (a per-image transform call cost ~5 s an epoch here).
    ``tests/engine/test_train.py`` checks each image against torchvision's own crop and flip.
    """
    b, _, h, w = images.shape
    if Augment.RANDOM_CROP in augment:
        p = CROP_PADDING
        padded = nn.functional.pad(images, (p, p, p, p))  # zeros, as RandomCrop's default fill
        top = torch.randint(0, 2 * p + 1, (b,), generator=generator)
        left = torch.randint(0, 2 * p + 1, (b,), generator=generator)
        rows = (top[:, None] + torch.arange(h)).to(images.device)  # (B, H)
        cols = (left[:, None] + torch.arange(w)).to(images.device)  # (B, W)
        batch = torch.arange(b, device=images.device)[:, None, None, None]
        channel = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
        images = padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]  # (B, C, H, W)
    if Augment.HORIZONTAL_FLIP in augment:
        flip = (torch.rand(b, generator=generator) < 0.5).to(images.device)
        images = torch.where(flip[:, None, None, None], images.flip(3), images)
    return images


def make_schedule(
    schedule: Schedule, optimizer: torch.optim.Optimizer, lr: float, steps: int
) -> torch.optim.lr_scheduler.LRScheduler | None:
    """Stepped after every optimiser step; None for a constant rate."""
    if schedule == Schedule.ONE_CYCLE:
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=max(1, steps))
    return None


class Device(StrEnum):
    AUTO = "auto"  # CUDA when torch sees one, else the CPU
    CPU = "cpu"
    CUDA = "cuda"


def resolve_device(device: Device, ranks: Ranks = SINGLE) -> torch.device:
    """The device to train on; under DDP on CUDA, the rank's own GPU."""
    if device is Device.CUDA and not torch.cuda.is_available():
        raise EngineError("device 'cuda' was asked for, but torch sees no CUDA device here; use 'auto' or 'cpu'.")
    use_cuda = device is Device.CUDA or (device is Device.AUTO and torch.cuda.is_available())
    if not use_cuda:
        return torch.device("cpu")
    if ranks.world > 1 and ranks.local_rank >= torch.cuda.device_count():
        raise EngineError(f"{ranks.world} processes on CUDA need a GPU each; torch sees {torch.cuda.device_count()} here.")
    return torch.device("cuda", ranks.local_rank) if ranks.world > 1 else torch.device("cuda")
