"""CIFAR-10 behind one interface (placeholder until the images work lands: every lookup is a 404)."""

from __future__ import annotations

import torch

from ..errors import NotFoundError
from ..settings import Settings


class _NoCifar10:
    def images(self, split: str, start: int, count: int) -> torch.Tensor:
        raise NotFoundError("CIFAR-10 is not loaded on this server yet.")


def load_cifar10(settings: Settings) -> _NoCifar10:
    return _NoCifar10()
