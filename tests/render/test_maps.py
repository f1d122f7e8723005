"""The renderer on its own: layouts, enlargement, colour scaling, weights, indices, PNG round trip."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from app.render import Colormap, Normalize, RenderError, draw_stage, draw_weight, encode_png, indices_mask
from app.render.colormaps import PALETTES


def test_image_drawn_as_itself() -> None:
    x = torch.rand(1, 3, 300, 200)
    img = draw_stage(x, from_image=True)
    assert img.palette is None and img.pixels.shape == (3, 300, 200) and img.pixels.dtype == torch.uint8
    assert torch.equal(img.pixels, (x[0] * 255).round().to(torch.uint8))


def test_batch_of_images_is_a_grid() -> None:
    img = draw_stage(torch.rand(64, 3, 32, 32), from_image=True).pixels
    assert img.shape[0] == 3 and img.shape[1] == img.shape[2] == 8 * 96 + 9 * 2
    one = draw_stage(torch.rand(64, 3, 32, 32), from_image=True, sample=5).pixels
    assert one.shape == (3, 96, 96)


def test_signed_or_non_image_data_is_channel_maps() -> None:
    x = torch.randn(2, 6, 8, 8)
    img = draw_stage(x, from_image=True)  # negative values: not a picture any more
    assert img.palette is not None  # a coloured map: levels plus the colormap as palette
    assert img.rgb().shape == (3, 2 * 96 + 3 * 2, 3 * 96 + 4 * 2)
    assert torch.equal(img.rgb()[:, 0, 0], torch.tensor([255, 255, 255], dtype=torch.uint8))  # white between tiles


def test_nearest_enlargement_keeps_cells() -> None:
    x = torch.arange(25.0).reshape(1, 1, 5, 5)
    img = draw_stage(x, from_image=False, colormap=Colormap.GREY).pixels
    assert img.shape == (1, 100, 100)
    assert torch.equal(img[0, ::20, ::20], (x[0, 0] / 24 * 255).round().to(torch.uint8))
    assert torch.equal(img[0, :20, :20], img[0, :1, :1].expand(20, 20))


def test_diverging_is_centred_on_zero() -> None:
    x = torch.tensor([[-1.0, 0.0, 2.0]]).reshape(1, 1, 1, 3)
    img = draw_stage(x, from_image=False, colormap=Colormap.DIVERGING).rgb()
    centre = torch.tensor([0xF7, 0xF7, 0xF7], dtype=torch.uint8)  # the diverging map's middle anchor
    assert torch.equal(PALETTES[Colormap.DIVERGING][127], centre)
    assert torch.equal(img[:, 0, 40], centre)  # the zero cell
    assert img[2, 0, 0] > img[0, 0, 0] and img[0, 0, -1] > img[2, 0, -1]  # negative blue, positive red


def test_shared_versus_per_channel() -> None:
    x = torch.stack([torch.zeros(4, 4), torch.full((4, 4), 10.0)]).unsqueeze(0)
    x[0, 0, 0, 0] = 1
    per = draw_stage(x, from_image=False, colormap=Colormap.GREY, normalize=Normalize.PER_CHANNEL).pixels
    shared = draw_stage(x, from_image=False, colormap=Colormap.GREY, normalize=Normalize.SHARED).pixels
    assert per[0, 2:98, 2:98].max() == 255  # first map stretched to its own range
    assert shared[0, 2:98, 2:98].max() == 26  # 1 of 10


@pytest.mark.parametrize("shape", [(), (7,), (3, 10), (1, 196608), (2, 4, 9), (1, 2, 3, 4, 5)])
def test_any_shape_draws(shape: tuple[int, ...]) -> None:
    img = draw_stage(torch.randn(shape), from_image=False).rgb()
    assert img.dim() == 3 and img.shape[0] in (1, 3) and min(img.shape[1:]) >= 16


def test_bad_sample() -> None:
    with pytest.raises(RenderError):
        draw_stage(torch.rand(2, 3, 4, 4), from_image=False, sample=2)


def test_weights_grid_and_indices_mask() -> None:
    w = torch.randn(6, 3, 3, 3)
    img = draw_weight(w).rgb()
    assert img.shape == (3, 6 * 48 + 7 * 2, 3 * 48 + 4 * 2)
    assert draw_weight(torch.randn(4, 2, 3)).rgb().shape[0] == 3  # Conv1d
    x = torch.tensor([[0.0, 4, 4, 3], [3, 3, 1, 1], [4, 2, 3, 4], [1, 3, 3, 0]]).reshape(1, 1, 4, 4)
    _, idx = torch.nn.functional.max_pool2d(x, 2, return_indices=True)
    mask = indices_mask(idx, x)
    assert mask.flatten().nonzero().flatten().tolist() == [1, 2, 8, 11]


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


def test_empty_stage_draws_a_blank_tile() -> None:
    img = draw_stage(torch.empty(1, 3, 0, 0), from_image=False)
    assert img.pixels.shape == (1, 96, 96) and int(img.pixels.min()) == 255



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
