"""PNG encoding (app/render/png.py): what Pillow decodes is exactly what was drawn."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from app.render import draw_stage, encode_png


@pytest.mark.parametrize("shape", [(3, 20, 30), (1, 17, 5), (3, 1, 1), (1, 300, 2)])
def test_png_round_trip(shape: tuple[int, ...]) -> None:
    img = torch.randint(0, 256, shape, dtype=torch.uint8)
    back = Image.open(io.BytesIO(encode_png(img)))
    assert back.mode == ("RGB" if shape[0] == 3 else "L")
    assert np.array_equal(np.asarray(back), img.permute(1, 2, 0).squeeze(-1).numpy() if shape[0] == 1 else img.permute(1, 2, 0).numpy())


def test_palette_png_round_trip() -> None:
    picture = draw_stage(torch.randn(1, 5, 9, 7), from_image=False)  # coloured channel maps
    back = Image.open(io.BytesIO(encode_png(picture)))
    assert back.mode == "P"
    assert np.array_equal(np.asarray(back.convert("RGB")), picture.rgb().permute(1, 2, 0).numpy())
