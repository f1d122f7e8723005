"""Stage maps on their own (app/render/maps.py): pictures, grids, enlargement, colour scaling, weights, indices."""

from __future__ import annotations

import pytest
import torch

from app.render import Colormap, Normalize, RenderError, draw_stage, draw_weight, indices_mask
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


def test_empty_stage_draws_a_blank_tile() -> None:
    img = draw_stage(torch.empty(1, 3, 0, 0), from_image=False)
    assert img.pixels.shape == (1, 96, 96) and int(img.pixels.min()) == 255


@pytest.mark.parametrize(
    ("shape", "tile", "columns"),
    [((32, 32, 32), (96, 96), 6), ((1, 1, 10), (11, 110), 1), ((3, 5, 7), (100, 70), 2), ((2, 4, 4), (4, 12), 2),
     ((7, 3, 3), (3, 3), 3), ((64, 4, 4), (96, 96), 8), ((1, 32, 32), (96, 96), 1), ((5, 2, 6), (20, 12), 5)],
)
def test_tiles_are_each_level_repeated_as_repeat_interleave_does_placed_where_the_layout_says(
    shape: tuple[int, int, int], tile: tuple[int, int], columns: int
) -> None:
    from app.render.layout import MapKind, MapLayout
    from app.render.maps import _tiled

    levels = torch.randint(0, 255, shape, dtype=torch.uint8)
    layout = MapLayout(MapKind.CHANNELS, shape[0], columns, tile, shape[1:])
    enlarged = levels.repeat_interleave(tile[0] // shape[1], dim=-2).repeat_interleave(tile[1] // shape[2], dim=-1)
    width, height = layout.size
    expected = torch.full((height, width), 255, dtype=torch.uint8)
    for i in range(shape[0]):
        x, y = layout.origin(i)
        expected[y : y + tile[0], x : x + tile[1]] = enlarged[i]
    assert torch.equal(_tiled(levels, layout), expected.unsqueeze(0))
