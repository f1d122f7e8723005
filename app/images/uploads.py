"""Uploads kept under ``<data dir>/uploads`` as lossless PNGs named by the SHA-256 of their pixels.

The name is never the client's: the same picture uploaded twice (even as another format) gets the
same id, and since run ids hash the request, the image's content is part of every run id.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
from PIL import Image

from ..errors import NotFoundError
from ..lru import ByteLRU
from ..settings import Settings
from ..storage import write_atomic
from .budget import MemoryBudget
from .decode import decode_opened, open_image, peak_bytes

_HEX = frozenset("0123456789abcdef")
_HASH_ROWS = 256  # pixels are hashed a strip of rows at a time, never copied whole


def is_upload_id(upload_id: str) -> bool:
    return len(upload_id) == 64 and all(c in _HEX for c in upload_id)


@dataclass(frozen=True)
class UploadInfo:
    upload_id: str
    width: int
    height: int
    mode: str  # "RGB" or "L"


class UploadDirectory:
    """Implements :class:`app.services.UploadStore`."""

    # Decoded uploads kept for the next run on the same picture (runs on one upload come in series), as
    # the uint8 (C, H, W) tensor ToTensor would divide: an id names its pixels, so a kept one is never stale.
    DECODED_CACHE_BYTES = 64 * 1024 * 1024

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._dir = Path(settings.data_dir) / "uploads"
        self._budget = MemoryBudget(settings.decode_memory_bytes)
        self._decoded: ByteLRU[tuple[str, tuple[int, int] | None, bool], torch.Tensor] = ByteLRU(self.DECODED_CACHE_BYTES, lambda t: t.numel())

    def save(self, source: BinaryIO) -> UploadInfo:
        """Decode (refusing with 413/415 before anything is written), then store atomically.

        The file is read where it lies (the request's spooled file), and decoding first reserves its
        peak memory, known from the header, in the server's decode budget (waiting its turn if need be).
        """
        max_pixels = self._settings.max_image_pixels
        with open_image(source, max_pixels) as header:
            with self._budget.reserve(peak_bytes(header.width, header.height, header.mode), self._settings.request_timeout):
                im = decode_opened(header, max_pixels)
                digest = _pixel_digest(im)
                path = self._dir / f"{digest}.png"
                if not path.exists():
                    write_atomic(path, lambda f: im.save(f, "PNG", compress_level=1))
                return UploadInfo(digest, im.width, im.height, im.mode)

    @property
    def budget(self) -> MemoryBudget:
        return self._budget

    def path(self, upload_id: str) -> Path:
        """The stored PNG; ids are checked to be hex digests before the file system is touched."""
        if not is_upload_id(upload_id):
            raise NotFoundError(f"No upload with id {upload_id!r} (ids are 64 hex digits from POST /api/uploads).")
        path = self._dir / f"{upload_id}.png"
        if not path.is_file():
            raise NotFoundError(f"No upload with id {upload_id!r}; upload it again with POST /api/uploads.")
        return path

    def tensor(self, upload_id: str, *, resize: tuple[int, int] | None, grayscale: bool) -> torch.Tensor:
        """float32 (1, C, H, W) in [0, 1]: what the run's ``code`` computes with torchvision transforms.

        That code opens the file with ``.convert('RGB')``, then Grayscale, Resize, ToTensor; the same
        torchvision functions are called here so the numbers agree. ToTensor's last step (uint8 (C, H, W),
        contiguous, ``.to(float32).div(255)``) is done from the kept pixels, so a run on a kept upload
        decodes and transposes nothing.
        """
        key = (upload_id, resize, grayscale)
        pixels = self._decoded.get(key)
        if pixels is None:
            img = self._rgb(upload_id)
            if grayscale or resize is not None:
                # Imported when needed: torchvision is ~170 MB of a server process's memory.
                from torchvision.transforms import functional as TF

                img = TF.to_grayscale(img) if grayscale else img
                img = TF.resize(img, list(resize)) if resize is not None else img
            # ToTensor's steps: the pixels as (H, W, C) uint8, then (C, H, W) contiguous.
            pixels = torch.from_numpy(np.array(img, np.uint8, copy=True)).view(img.height, img.width, len(img.getbands()))
            pixels = pixels.permute(2, 0, 1).contiguous()
            self._decoded.put(key, pixels)
        return pixels.unsqueeze(0).to(torch.float32).div(255)  # (1, C, H, W), exactly TF.to_tensor's numbers

    def _rgb(self, upload_id: str) -> Image.Image:
        """The stored PNG opened with ``.convert('RGB')``, as the run's code does."""
        path = self.path(upload_id)
        try:
            with Image.open(path) as im:
                return im.convert("RGB")
        except (OSError, ValueError) as exc:  # damaged on disk: say so, and let a new upload replace it
            path.unlink(missing_ok=True)
            raise NotFoundError(f"Upload {upload_id} was unreadable (damaged on disk) and has been removed; upload it again.") from exc


def _pixel_digest(im: Image.Image) -> str:
    """SHA-256 of mode, size and raw pixels (``im.tobytes()``), hashed strip by strip."""
    digest = hashlib.sha256(f"{im.mode}:{im.width}x{im.height}:".encode())
    for top in range(0, im.height, _HASH_ROWS):
        digest.update(im.crop((0, top, im.width, min(top + _HASH_ROWS, im.height))).tobytes())
    return digest.hexdigest()
