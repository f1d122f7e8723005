"""The renderer on its own: layouts, enlargement, colour scaling, weights, indices, PNG round trip."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from app.render import Colormap, Normalize, RenderError, draw_stage, draw_weight, encode_png, indices_mask
from app.render.colormaps import LUTS


def test_image_drawn_as_itself() -> None:
    x = torch.rand(1, 3, 300, 200)
    img = draw_stage(x, from_image=True)
    assert img.shape == (3, 300, 200) and img.dtype == torch.uint8
    assert torch.equal(img, (x[0] * 255).round().to(torch.uint8))


def test_batch_of_images_is_a_grid() -> None:
    img = draw_stage(torch.rand(64, 3, 32, 32), from_image=True)
    assert img.shape[0] == 3 and img.shape[1] == img.shape[2] == 8 * 96 + 9 * 2
    one = draw_stage(torch.rand(64, 3, 32, 32), from_image=True, sample=5)
    assert one.shape == (3, 96, 96)


def test_signed_or_non_image_data_is_channel_maps() -> None:
    x = torch.randn(2, 6, 8, 8)
    img = draw_stage(x, from_image=True)  # negative values: not a picture any more
    assert img.shape == (3, 2 * 96 + 3 * 2, 3 * 96 + 4 * 2)


def test_nearest_enlargement_keeps_cells() -> None:
    x = torch.arange(25.0).reshape(1, 1, 5, 5)
    img = draw_stage(x, from_image=False, colormap=Colormap.GREY)
    assert img.shape == (1, 100, 100)
    assert torch.equal(img[0, ::20, ::20], (x[0, 0] / 24 * 255).round().to(torch.uint8))
    assert torch.equal(img[0, :20, :20], img[0, :1, :1].expand(20, 20))


def test_diverging_is_centred_on_zero() -> None:
    x = torch.tensor([[-1.0, 0.0, 2.0]]).reshape(1, 1, 1, 3)
    img = draw_stage(x, from_image=False, colormap=Colormap.DIVERGING)
    white = LUTS[Colormap.DIVERGING][128]
    assert torch.equal(img[:, 0, 40], white)  # the zero cell


def test_shared_versus_per_channel() -> None:
    x = torch.stack([torch.zeros(4, 4), torch.full((4, 4), 10.0)]).unsqueeze(0)
    x[0, 0, 0, 0] = 1
    per = draw_stage(x, from_image=False, colormap=Colormap.GREY, normalize=Normalize.PER_CHANNEL)
    shared = draw_stage(x, from_image=False, colormap=Colormap.GREY, normalize=Normalize.SHARED)
    assert per[0, 2:98, 2:98].max() == 255  # first map stretched to its own range
    assert shared[0, 2:98, 2:98].max() == 26  # 1 of 10


@pytest.mark.parametrize("shape", [(), (7,), (3, 10), (1, 196608), (2, 4, 9), (1, 2, 3, 4, 5)])
def test_any_shape_draws(shape: tuple[int, ...]) -> None:
    img = draw_stage(torch.randn(shape), from_image=False)
    assert img.dim() == 3 and img.shape[0] in (1, 3) and min(img.shape[1:]) >= 16


def test_bad_sample() -> None:
    with pytest.raises(RenderError):
        draw_stage(torch.rand(2, 3, 4, 4), from_image=False, sample=2)


def test_weights_grid_and_indices_mask() -> None:
    w = torch.randn(6, 3, 3, 3)
    img = draw_weight(w)
    assert img.shape == (3, 6 * 48 + 7 * 2, 3 * 48 + 4 * 2)
    assert draw_weight(torch.randn(4, 2, 3)).shape[0] == 3  # Conv1d
    x = torch.tensor([[0.0, 4, 4, 3], [3, 3, 1, 1], [4, 2, 3, 4], [1, 3, 3, 0]]).reshape(1, 1, 4, 4)
    _, idx = torch.nn.functional.max_pool2d(x, 2, return_indices=True)
    mask = indices_mask(idx, x)
    assert mask.flatten().nonzero().flatten().tolist() == [1, 2, 8, 11]


def test_png_round_trip() -> None:
    img = torch.randint(0, 256, (3, 20, 30), dtype=torch.uint8)
    back = np.asarray(Image.open(io.BytesIO(encode_png(img))))
    assert np.array_equal(back, img.permute(1, 2, 0).numpy())
    grey = Image.open(io.BytesIO(encode_png(img[:1])))
    assert grey.mode == "L"
