"""CIFAR-10 from torchvision's official pickled batches (``<root>/cifar-10-batches-py``).

``torchvision.datasets.CIFAR10`` checks the files' MD5 sums and, when allowed by
``LAYERLAB_CIFAR10_DOWNLOAD=1``, downloads the archive first. Its ``.data`` is already decoded
(N, 32, 32, 3) uint8, so nothing is decoded image by image.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from torchvision.datasets import CIFAR10

from .cifar10 import CLASSES, Cifar10, Source, Split

log = logging.getLogger(__name__)


def has_official_files(root: Path) -> bool:
    return (root / CIFAR10.base_folder).is_dir()


def load_official(root: Path, download: bool) -> Cifar10:
    if download and not has_official_files(root):
        log.info("downloading CIFAR-10 (%s, about 163 MB) into %s; torchvision shows progress", CIFAR10.url, root)
    images: dict[Split, torch.Tensor] = {}
    labels: dict[Split, torch.Tensor] = {}
    for split in Split:
        data = CIFAR10(str(root), train=split is Split.TRAIN, download=download)
        if tuple(data.classes) != CLASSES:
            raise ValueError(f"{root} names classes {data.classes}, not CIFAR-10's {list(CLASSES)}.")
        images[split] = torch.from_numpy(data.data).permute(0, 3, 1, 2).contiguous()  # (N, 3, 32, 32)
        labels[split] = torch.tensor(data.targets, dtype=torch.int64)
    return Cifar10(Source.TORCHVISION, images, labels)
