"""CIFAR-10 from an ImageFolder tree (``train/<class>/*.jpg``, ``test/<class>/*.jpg``).

``torchvision.datasets.ImageFolder`` lists the files and classes; Pillow decodes them (as ImageFolder's
own loader does). Measured on 2 cores: about 0.55 ms a file, so 60,000 files take ~35 s cold, and a
thread pool gives nothing (per-file Python overhead holds the GIL; ``torchvision.io``'s batched
decoder is 2.5x faster but deprecated since torchvision 0.29). So the decoded arrays are cached under
``<data dir>/cache``, keyed on every file's path, size and mtime: later starts take ~1 s.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
import torch
from PIL import Image

from .cifar10 import CLASSES, Cifar10, Source, Split

if TYPE_CHECKING:
    from torchvision.datasets import ImageFolder

log = logging.getLogger(__name__)


def is_image_folder(root: Path) -> bool:
    return all((root / split).is_dir() for split in Split)


def decode_rgb(file: str | BinaryIO) -> np.ndarray:
    """(H, W, 3) uint8, as ImageFolder's ``pil_loader`` gives it, without its extra copy for RGB files."""
    with Image.open(file) as im:
        return np.asarray(im if im.mode == "RGB" else im.convert("RGB"))


def _cache_key(root: Path, folders: dict[Split, ImageFolder]) -> str:
    h = hashlib.sha256(str(root.resolve()).encode())
    for split, folder in folders.items():
        for path, label in folder.samples:
            st = os.stat(path)
            h.update(f"{split}:{path}:{label}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def _mapped(caches: dict[Split, Path]) -> dict[Split, torch.Tensor]:
    # Memory-mapped copy-on-write: a page is read when an image is first used and, being a clean file
    # page, the kernel can drop it under pressure. Measured: server RSS after start 300 MB lower than
    # with the arrays loaded.
    return {split: torch.from_numpy(np.load(path, mmap_mode="c")) for split, path in caches.items()}


def load_folder(root: Path, cache_dir: Path | None) -> Cifar10:
    from torchvision.datasets import ImageFolder  # imported here: torchvision is ~170 MB of a process that never loads a folder

    start = time.perf_counter()
    folders = {split: ImageFolder(str(root / split)) for split in Split}
    for split, folder in folders.items():
        if tuple(folder.classes) != CLASSES:
            raise ValueError(f"{root / split} has class folders {folder.classes}; CIFAR-10 needs exactly {list(CLASSES)}.")
    key = _cache_key(root, folders)
    caches = {s: cache_dir / f"cifar10-folder-{key}-{s}.npy" for s in Split} if cache_dir else None
    images: dict[Split, torch.Tensor] = {}
    labels = {s: torch.tensor(f.targets, dtype=torch.int64) for s, f in folders.items()}
    if caches is not None and all(path.is_file() for path in caches.values()):
        log.info("CIFAR-10 folder %s: decoded copy mapped from %s in %.2f s", root, cache_dir, time.perf_counter() - start)
        return Cifar10(Source.FOLDER, _mapped(caches), labels)
    for split, folder in folders.items():
        decoded = np.stack([decode_rgb(path) for path, _ in folder.samples])  # (N, 32, 32, 3)
        images[split] = torch.from_numpy(decoded).permute(0, 3, 1, 2).contiguous()  # (N, 3, 32, 32)
    log.info("CIFAR-10 folder %s: %d images decoded in %.2f s", root, sum(len(v) for v in labels.values()), time.perf_counter() - start)
    if caches is not None:
        for split, path in caches.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, images[split].numpy())
            tmp.replace(path)
        images = _mapped(caches)  # the decoded arrays are freed: the server starts as small as a later start
    return Cifar10(Source.FOLDER, images, labels)
