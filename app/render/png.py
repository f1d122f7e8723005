"""uint8 image tensors to PNG bytes.

PNG encoding is most of the time a map costs, so zlib runs at level 1 (Pillow ``compress_level=1``):
measured in ``bench/render_bench.py``, several times faster than Pillow's default level 6 for files
only somewhat larger.
"""

from __future__ import annotations

import io

import torch
from PIL import Image

COMPRESS_LEVEL = 1


def encode_png(image: torch.Tensor, compress_level: int = COMPRESS_LEVEL) -> bytes:
    """``image``: uint8 (3, H, W) RGB, or (1, H, W) / (H, W) greyscale."""
    if image.dim() == 3 and image.shape[0] == 1:
        image = image[0]
    array = (image.permute(1, 2, 0) if image.dim() == 3 else image).contiguous().numpy()  # (H, W, 3) or (H, W)
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "PNG", compress_level=compress_level)
    return buf.getvalue()
