"""CIFAR-10 from three sources behind one interface, chosen once at start-up by :func:`load_cifar10`.

1. the official files (torchvision's layout) under ``LAYERLAB_CIFAR10_DIR`` (or ``<data dir>/cifar10``),
   downloaded there in the background when ``LAYERLAB_CIFAR10_DOWNLOAD=1`` (:func:`start_download`;
   what is below is served meanwhile);
2. an ImageFolder tree with ``train/`` and ``test/`` at ``LAYERLAB_CIFAR10_DIR``;
3. otherwise the small sample bundled in the package.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from ..settings import Settings
from .bundled import load_bundled
from .cifar10 import CLASSES, Cifar10, Split
from .download import Cifar10Download
from .folder import is_image_folder, load_folder
from .official import has_official_files, load_official

log = logging.getLogger(__name__)

__all__ = ["CLASSES", "Cifar10", "Cifar10Download", "Split", "load_cifar10", "start_download"]


def _root(settings: Settings) -> Path:
    return settings.cifar10_dir or settings.data_dir / "cifar10"


def start_download(settings: Settings, on_loaded: Callable[[Cifar10], None]) -> Cifar10Download | None:
    """With LAYERLAB_CIFAR10_DOWNLOAD=1 and no official files yet: the download, started; else None."""
    if not settings.cifar10_download or has_official_files(_root(settings)):
        return None
    return Cifar10Download(settings.cifar10_url, settings.cifar10_md5 or None, _root(settings), on_loaded).start()


def load_cifar10(settings: Settings) -> Cifar10:
    """What is there now; never downloads (the server does that in the background: :func:`start_download`)."""
    root = _root(settings)
    if has_official_files(root):
        data = load_official(root)
    elif is_image_folder(root):
        data = load_folder(root, settings.data_dir / "cache")
    elif settings.cifar10_dir is not None and not settings.cifar10_download:
        raise ValueError(
            f"LAYERLAB_CIFAR10_DIR={root} holds neither torchvision's cifar-10-batches-py nor an ImageFolder "
            "tree with train/ and test/. Fix the path, set LAYERLAB_CIFAR10_DOWNLOAD=1, or unset it for the bundled sample."
        )
    else:
        data = load_bundled()
    log.info("CIFAR-10 from %s: %d train, %d test images", data.source, data.size("train"), data.size("test"))
    return data
