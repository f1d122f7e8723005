"""CIFAR-10 from the official pickled batches (``<root>/cifar-10-batches-py``), torchvision's layout.

Read here rather than through ``torchvision.datasets.CIFAR10``: the pickles are opened with an
unpickler that admits only what those files hold (numpy arrays, lists, strings), so a file from a
mirror cannot run code, and every batch is checked for shape and labels. The archive itself is
checked against its MD5 when layerlab downloads it (app/datasets/download.py).
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .cifar10 import CLASSES, Cifar10, Source, Split

BASE_FOLDER = "cifar-10-batches-py"  # torchvision's CIFAR10.base_folder
BATCHES = {Split.TRAIN: [f"data_batch_{i}" for i in range(1, 6)], Split.TEST: ["test_batch"]}
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),  # pickle protocol 5
}


class _BatchUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a CIFAR-10 batch file")
        return super().find_class(module, name)


def has_official_files(root: Path) -> bool:
    return (root / BASE_FOLDER).is_dir()


def _read(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        entry = _BatchUnpickler(f, encoding="latin1").load()
    if not isinstance(entry, dict):
        raise ValueError(f"{path} is not a CIFAR-10 batch (a pickled dict).")
    return entry


def _batch(path: Path) -> tuple[np.ndarray, list[int]]:
    entry = _read(path)
    data, labels = np.asarray(entry.get("data")), list(entry.get("labels", []))
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise ValueError(f"{path} is not a CIFAR-10 batch: data {data.dtype} {data.shape}, {len(labels)} labels.")
    if labels and not all(0 <= label < len(CLASSES) for label in labels):
        raise ValueError(f"{path} has labels outside 0–{len(CLASSES) - 1}.")
    return data, labels


def load_official(root: Path) -> Cifar10:
    folder = root / BASE_FOLDER
    names = _read(folder / "batches.meta").get("label_names")
    if tuple(names or ()) != CLASSES:
        raise ValueError(f"{folder} names classes {names}, not CIFAR-10's {list(CLASSES)}.")
    images: dict[Split, torch.Tensor] = {}
    labels: dict[Split, torch.Tensor] = {}
    for split, files in BATCHES.items():
        batches = [_batch(folder / name) for name in files]
        data = np.concatenate([d for d, _ in batches]).reshape(-1, 3, 32, 32)
        images[split] = torch.from_numpy(np.ascontiguousarray(data))  # (N, 3, 32, 32), as torchvision's before its HWC transpose
        labels[split] = torch.tensor([label for _, ls in batches for label in ls], dtype=torch.int64)
    return Cifar10(Source.TORCHVISION, images, labels)
