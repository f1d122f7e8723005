"""Test images made with Pillow on the fly (nothing binary is committed for tests)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def gradient(width: int = 40, height: int = 24, mode: str = "RGB") -> Image.Image:
    """A deterministic colourful RGB picture, converted to ``mode``."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), (x + y) % 256], -1).astype(np.uint8)
    return Image.fromarray(rgb).convert(mode)


def encode(im: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()
