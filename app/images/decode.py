"""Turn untrusted bytes into a plain RGB or L Pillow image, or refuse them.

Every refusal is deliberate: too many pixels is Pillow's own decompression-bomb guard, set from
settings (``Image.MAX_IMAGE_PIXELS``, set once at start-up) and checked exactly from the header;
anything Pillow cannot fully decode (not an image, truncated, unsupported format) is 415.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..engine.captured import captured_warnings
from ..errors import PayloadTooLargeError, UnsupportedMediaError

FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")
_GREY = {"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"}


def set_pixel_limit(max_pixels: int) -> None:
    """Pillow's decompression-bomb guard is process-wide: set once, at start-up."""
    Image.MAX_IMAGE_PIXELS = max_pixels


def decode_image(data: bytes, max_pixels: int) -> Image.Image:
    """The first frame of ``data``, EXIF orientation applied, in mode RGB or L."""
    try:
        # Pillow warns (past MAX_IMAGE_PIXELS) before it refuses (past twice that); the size check
        # below refuses at the limit itself, before any pixel is decoded, so the warning is dropped.
        with captured_warnings(), Image.open(io.BytesIO(data), formats=FORMATS) as im:
            if im.width * im.height > max_pixels:
                raise Image.DecompressionBombError(f"{im.width}x{im.height}")
            im.seek(0)  # GIF, animated WebP/PNG, multi-page TIFF: the first frame
            im.load()
            im = ImageOps.exif_transpose(im)
            return _to_rgb_or_l(im)
    except Image.DecompressionBombError as exc:
        raise PayloadTooLargeError(
            f"The image has more than this server's limit of {max_pixels:,} pixels (LAYERLAB_MAX_IMAGE_PIXELS)."
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        # Truncated files raise OSError on load; some broken headers raise SyntaxError/ValueError.
        raise UnsupportedMediaError(
            f"Not an image layerlab can read (PNG, JPEG, WebP, BMP, GIF, TIFF): {exc}"
        ) from exc


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
    if im.mode in _GREY:
        return im.convert("L")
    return im.convert("RGB")  # RGB, CMYK, YCbCr, LAB, HSV, RGBX
