"""CIFAR-10 from three sources behind one interface, chosen once at start-up by :func:`load_cifar10`.

1. torchvision's official files under ``LAYERLAB_CIFAR10_DIR`` (or ``<data dir>/cifar10``), downloaded
   there first when ``LAYERLAB_CIFAR10_DOWNLOAD=1``;
2. an ImageFolder tree with ``train/`` and ``test/`` at ``LAYERLAB_CIFAR10_DIR``;
3. otherwise the small sample bundled in the package.
"""

from __future__ import annotations

import logging

from ..settings import Settings
from .bundled import load_bundled
from .cifar10 import CLASSES, Cifar10, Split
from .folder import is_image_folder, load_folder
from .official import has_official_files, load_official

log = logging.getLogger(__name__)

__all__ = ["CLASSES", "Cifar10", "Split", "load_cifar10"]


def load_cifar10(settings: Settings) -> Cifar10:
    root = settings.cifar10_dir or settings.data_dir / "cifar10"
    if has_official_files(root) or settings.cifar10_download:
        data = load_official(root, settings.cifar10_download)
    elif is_image_folder(root):
        data = load_folder(root, settings.data_dir / "cache")
    elif settings.cifar10_dir is not None:
        raise ValueError(
            f"LAYERLAB_CIFAR10_DIR={root} holds neither torchvision's cifar-10-batches-py nor an ImageFolder "
            "tree with train/ and test/. Fix the path, set LAYERLAB_CIFAR10_DOWNLOAD=1, or unset it for the bundled sample."
        )
    else:
        data = load_bundled()
    log.info("CIFAR-10 from %s: %d train, %d test images", data.source, data.size("train"), data.size("test"))
    return data
