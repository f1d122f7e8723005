"""Turn untrusted bytes into a plain RGB or L Pillow image, or refuse them.

Every refusal is deliberate: too many pixels is Pillow's own decompression-bomb guard, set from
settings (``Image.MAX_IMAGE_PIXELS``, set once at start-up) and checked exactly from the header;
anything Pillow cannot fully decode (not an image, truncated, unsupported format) is 415.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..engine.captured import captured_warnings
from ..errors import PayloadTooLargeError, UnsupportedMediaError

FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")
_GREY = {"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"}


def set_pixel_limit(max_pixels: int) -> None:
    """Pillow's decompression-bomb guard is process-wide: set once, at start-up."""
    Image.MAX_IMAGE_PIXELS = max_pixels


# Bytes per pixel that decoding may hold at its peak, by the file's mode: the decoded frame, a
# converted copy and, for transparency, an RGBA copy and the white page it is laid on.
_PEAK_BYTES_PER_PIXEL = {"1": 2, "L": 2, "RGB": 4, "YCbCr": 7, "P": 14, "LA": 14, "La": 14, "PA": 16, "RGBA": 16, "RGBa": 16}
_PEAK_OTHER = 16  # CMYK, 16-bit and float modes


def peak_bytes(width: int, height: int, mode: str) -> int:
    """The most memory decoding an image of this header may hold: reserved before a pixel is decoded."""
    return width * height * _PEAK_BYTES_PER_PIXEL.get(mode, _PEAK_OTHER)


@contextmanager
def refusals(max_pixels: int) -> Iterator[None]:
    """Pillow's errors as answers: too many pixels 413, anything unreadable 415."""
    try:
        yield
    except Image.DecompressionBombError as exc:
        raise PayloadTooLargeError(
            f"The image has more than this server's limit of {max_pixels:,} pixels (LAYERLAB_MAX_IMAGE_PIXELS)."
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        # Truncated files raise OSError on load; some broken headers raise SyntaxError/ValueError.
        raise UnsupportedMediaError(
            f"Not an image layerlab can read (PNG, JPEG, WebP, BMP, GIF, TIFF): {exc}"
        ) from exc


@contextmanager
def open_image(source: BinaryIO, max_pixels: int) -> Iterator[Image.Image]:
    """The image's header only (Pillow reads no pixel on open): refused here past ``max_pixels``."""
    with refusals(max_pixels):
        # Pillow warns (past MAX_IMAGE_PIXELS) before it refuses (past twice that); the size check
        # below refuses at the limit itself, before any pixel is decoded, so the warning is dropped.
        with captured_warnings(), Image.open(source, formats=FORMATS) as im:
            if im.width * im.height > max_pixels:
                raise Image.DecompressionBombError(f"{im.width}x{im.height}")
            yield im


def decode_opened(im: Image.Image, max_pixels: int) -> Image.Image:
    """The first frame of an image from :func:`open_image`, EXIF orientation applied, in mode RGB or L."""
    with refusals(max_pixels), captured_warnings():
        im.seek(0)  # GIF, animated WebP/PNG, multi-page TIFF: the first frame
        im.load()
        ImageOps.exif_transpose(im, in_place=True)  # no copy when there is nothing to turn
        return _to_rgb_or_l(im)


def decode_image(data: bytes | BinaryIO, max_pixels: int) -> Image.Image:
    """The first frame of ``data``, EXIF orientation applied, in mode RGB or L."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    with open_image(source, max_pixels) as im:
        return decode_opened(im, max_pixels)


def _to_rgb_or_l(im: Image.Image) -> Image.Image:
    """Each mode converted on purpose, not by whatever ``convert`` happens to do."""
    if im.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        # 16-bit greyscale: Pillow's convert("L") clips at 255; scale the full range instead.
        a = np.asarray(im, dtype=np.float64)
        return Image.fromarray(np.clip(np.round(a * (255 / 65535)), 0, 255).astype(np.uint8))
    if im.mode == "F":
        a = np.asarray(im, dtype=np.float64)
        return Image.fromarray(np.clip(np.round(a), 0, 255).astype(np.uint8))
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("LA", "La", "PA", "RGBA", "RGBa"):
        # Transparent pixels become white, as an image viewer shows them on a white page.
        grey = im.mode in ("LA", "La")
        rgba = im.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat.alpha_composite(rgba)
        return flat.convert("L" if grey else "RGB")
    if im.mode in ("RGB", "L"):
        return im  # already what the engine takes: no copy
    if im.mode in _GREY:
        return im.convert("L")
    return im.convert("RGB")  # RGB, CMYK, YCbCr, LAB, HSV, RGBX
