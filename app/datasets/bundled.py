"""The embedded default: 50 train + 20 test images per class, kept as their original JPEG bytes.

Made by ``bench/make_cifar10_sample.py`` from the ImageFolder copy of CIFAR-10; decoded with
Pillow exactly as the folder source decodes those files, so the pixels agree.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch

from .cifar10 import CLASSES, Cifar10, Source, Split
from .folder import decode_rgb

SAMPLE_PATH = Path(__file__).with_name("cifar10_sample.npz")


def load_bundled(path: Path = SAMPLE_PATH) -> Cifar10:
    images: dict[Split, torch.Tensor] = {}
    labels: dict[Split, torch.Tensor] = {}
    with np.load(path) as npz:
        assert tuple(npz["classes"]) == CLASSES
        for split in Split:
            offsets = npz[f"{split}_offsets"]
            blob = npz[f"{split}_jpeg"].tobytes()
            decoded = np.stack([decode_rgb(io.BytesIO(blob[a:b])) for a, b in zip(offsets[:-1], offsets[1:])])
            images[split] = torch.from_numpy(decoded).permute(0, 3, 1, 2).contiguous()  # (N, 3, 32, 32)
            labels[split] = torch.from_numpy(npz[f"{split}_labels"].astype(np.int64))
    return Cifar10(Source.BUNDLED, images, labels)
