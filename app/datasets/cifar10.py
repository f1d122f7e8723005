"""CIFAR-10 as one in-memory object, whatever the source: uint8 (N, 3, 32, 32) images + labels per split."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import torch

from ..errors import NotFoundError

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")  # torchvision's order


class Split(StrEnum):
    TRAIN = "train"
    TEST = "test"


class Source(StrEnum):
    TORCHVISION = "torchvision"  # the official pickled batches, via torchvision.datasets.CIFAR10
    FOLDER = "folder"  # an ImageFolder tree, via torchvision.datasets.ImageFolder
    BUNDLED = "bundled"  # the small sample inside the package


@dataclass
class Cifar10:
    """Implements :class:`app.services.Cifar10Images`; decoded once, then only sliced."""

    source: Source
    images_by_split: dict[Split, torch.Tensor]  # uint8 (N, 3, 32, 32)
    labels_by_split: dict[Split, torch.Tensor]  # int64 (N,)
    classes: tuple[str, ...] = CLASSES

    def __post_init__(self) -> None:
        # Per class, the indices in split order: browsing by class is then a slice.
        self._by_class = {
            split: [torch.nonzero(labels == c).flatten() for c in range(len(self.classes))]
            for split, labels in self.labels_by_split.items()
        }

    def size(self, split: str) -> int:
        return len(self.labels_by_split[Split(split)])

    def _check(self, split: str, start: int, count: int) -> Split:
        if split not in Split.__members__.values():
            raise NotFoundError(f"No CIFAR-10 split {split!r}; use 'train' or 'test'.")
        n = self.size(split)
        if start < 0 or count < 1 or start + count > n:
            last = start + count - 1
            raise NotFoundError(
                f"CIFAR-10 {split} holds images 0 to {n - 1} on this server ({self.source} source); "
                f"{'index ' + str(start) if count == 1 else f'{start} to {last}'} is outside."
            )
        return Split(split)

    def images(self, split: str, start: int, count: int) -> torch.Tensor:
        s = self._check(split, start, count)
        return self.images_by_split[s][start : start + count]  # (count, 3, 32, 32) uint8

    def label(self, split: str, index: int) -> int:
        s = self._check(split, index, 1)
        return int(self.labels_by_split[s][index])

    def indices_of_class(self, split: str, label: int) -> torch.Tensor:
        return self._by_class[Split(split)][label]

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.images_by_split.values())
