"""Map layouts (app/render/layout.py): every value is found in the picture where its layout says."""

from __future__ import annotations

import pytest
import torch

from app.render import Colormap, Normalize, draw_stage, draw_weight


def _pixel_of(layout, tile: int, r: int, c: int) -> tuple[int, int]:
    """(x, y) of the centre of value (r, c) in tile `tile`, from the layout alone."""
    x0, y0 = layout.origin(tile)
    h, w = layout.tile
    rows, cols = layout.cells
    return x0 + int((c + 0.5) * w / cols), y0 + int((r + 0.5) * h / rows)


# (shape, from_image, sample, hot index) — one value set to 1 among zeros, found again through the layout.
LAYOUT_CASES = [
    ((1, 5, 9, 7), False, None, (0, 3, 8, 6)),  # channel maps, enlarged 11x
    ((2, 6, 32, 32), False, 1, (1, 4, 30, 2)),  # channels of sample 1
    ((64, 3, 32, 32), True, None, (37, slice(None), 5, 31)),  # batch of pictures, 8 per row
    ((64, 3, 32, 32), True, 9, (9, slice(None), 0, 0)),  # one picture of the batch
    ((1, 1, 300, 200), True, None, (0, 0, 299, 0)),  # one large picture, drawn 1:1
    ((3, 100), False, None, (2, 57)),  # heat blocks 10 x 10, one per sample
    ((4, 10), False, 3, (3, 9)),  # one heat row
    ((2, 3, 5), False, None, (1, 2, 4)),  # unbatched (C, H, W) seen as one sample
]


@pytest.mark.parametrize("shape, from_image, sample, hot", LAYOUT_CASES)
def test_layout_locates_every_value(shape, from_image, sample, hot) -> None:
    x = torch.zeros(shape)
    x[hot] = 1.0
    colormap = Colormap.AUTO if from_image else Colormap.GREY  # a picture is drawn as itself only with auto
    picture = draw_stage(x, from_image=from_image, colormap=colormap, normalize=Normalize.SHARED, sample=sample)
    layout = picture.layout
    assert layout is not None and layout.size == picture.size
    grey = picture.pixels if picture.pixels.shape[0] == 1 else picture.pixels[:1]
    if x.dim() == 2:
        tile, (r, c) = hot[0] - layout.first, divmod(hot[1], layout.cells[1])
        assert layout.kind == "rows" and layout.features == shape[1]
    elif layout.kind == "images":
        tile, r, c = hot[0] - layout.first, hot[2], hot[3]
    else:
        assert layout.kind == "channels" and layout.sample == (hot[0] if x.dim() == 4 else 0)
        tile, r, c = hot[1:] if x.dim() == 4 else hot
    px, py = _pixel_of(layout, tile, r, c)
    assert int(grey[0, py, px]) == 255  # the hot value, exactly where the layout says
    h, w = layout.tile
    for i in range(layout.count):  # lit pixels: one value's block in the hot tile, none in the others
        x0, y0 = layout.origin(i)
        lit = int((grey[0, y0 : y0 + h, x0 : x0 + w] == 255).sum())
        assert lit == ((h // layout.cells[0]) * (w // layout.cells[1]) if i == tile else 0)


@pytest.mark.parametrize("shape", [(1, 16, 300, 250), (64, 3, 200, 200), (1, 3, 3000, 1000), (1, 512, 4, 4), (1, 5000)])
def test_layout_size_matches_the_picture(shape) -> None:
    for from_image in (True, False):
        picture = draw_stage(torch.rand(shape), from_image=from_image)
        assert picture.layout is not None and picture.layout.size == picture.size


def test_weight_layout_is_one_row_per_output_channel() -> None:
    picture = draw_weight(torch.randn(6, 3, 5, 5))
    layout = picture.layout
    assert layout.size == picture.size and layout.columns == 3 and layout.count == 18 and layout.cells == (5, 5)
