"""Turn untrusted bytes into a plain RGB or L Pillow image, or refuse them.

Every refusal is deliberate: too many pixels is Pillow's own decompression-bomb guard, set from
settings (``Image.MAX_IMAGE_PIXELS``, set once at start-up) and checked exactly from the header;
anything Pillow cannot fully decode (not an image, truncated, unsupported format) is 415.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
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


# Bytes per pixel that decoding may hold at its peak, by the file's mode: the decoded frame, its
# turned copy (EXIF orientation) or its converted copy (transparency and 16-bit are converted strip
# by strip, so only the result is whole; a palette with transparency becomes RGBA first).
_PEAK_BYTES_PER_PIXEL = {"1": 2, "L": 2, "P": 8, "RGB": 6, "YCbCr": 6, "LA": 4, "La": 4, "PA": 5, "RGBA": 8, "RGBa": 8}
_PEAK_OTHER = 8  # CMYK, LAB, HSV, RGBX (4 bytes, turned or converted); 16-bit and float greyscale
_STRIP_ROWS = 256


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


def _by_strips(im: Image.Image, mode: str, convert: Callable[[Image.Image], Image.Image]) -> Image.Image:
    """``convert`` applied to strips of rows into a new image of ``mode``: only the source, the result
    and one strip's intermediates are held at once (each conversion here works pixel by pixel)."""
    out = Image.new(mode, im.size)
    for top in range(0, im.height, _STRIP_ROWS):
        box = (0, top, im.width, min(top + _STRIP_ROWS, im.height))
        out.paste(convert(im.crop(box)), box[:2])
    return out


def _sixteen_bit(strip: Image.Image) -> Image.Image:
    # 16-bit greyscale: Pillow's convert("L") clips at 255; scale the full range instead.
    a = np.asarray(strip, dtype=np.float64)
    return Image.fromarray(np.clip(np.round(a * (255 / 65535)), 0, 255).astype(np.uint8))


def _float(strip: Image.Image) -> Image.Image:
    a = np.asarray(strip, dtype=np.float64)
    return Image.fromarray(np.clip(np.round(a), 0, 255).astype(np.uint8))


def _on_white(grey: bool) -> Callable[[Image.Image], Image.Image]:
    def flatten(strip: Image.Image) -> Image.Image:
        # Transparent pixels become white, as an image viewer shows them on a white page.
        rgba = strip.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat.alpha_composite(rgba)
        return flat.convert("L" if grey else "RGB")

    return flatten


def _to_rgb_or_l(im: Image.Image) -> Image.Image:
    """Each mode converted on purpose, not by whatever ``convert`` happens to do."""
    if im.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        return _by_strips(im, "L", _sixteen_bit)
    if im.mode == "F":
        return _by_strips(im, "L", _float)
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("LA", "La", "PA", "RGBA", "RGBa"):
        grey = im.mode in ("LA", "La")
        return _by_strips(im, "L" if grey else "RGB", _on_white(grey))
    if im.mode in ("RGB", "L"):
        return im  # already what the engine takes: no copy
    if im.mode in _GREY:
        return im.convert("L")
    return im.convert("RGB")  # RGB, CMYK, YCbCr, LAB, HSV, RGBX
