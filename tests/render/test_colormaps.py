"""The map palettes stay readable for colour-blind readers (app/render/colormaps.py).

Each palette is passed through Machado, Oliveira and Fernandes' (2009) simulation of full
protanopia, deuteranopia and tritanopia (linear RGB): viridis must still read low → high by lightness
alone, and the diverging map's two sides (below and above 0) must stay apart in every simulation,
each side getting lighter towards 0, as ColorBrewer's RdBu (whose anchors it uses) is designed to.
"""

from __future__ import annotations

import pytest
import torch

from app.render.colormaps import LEVELS, PALETTES, Colormap

MACHADO = {  # severity 1.0
    "none": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}


def linear(palette: torch.Tensor) -> torch.Tensor:
    c = palette[:LEVELS].double() / 255  # (LEVELS, 3) sRGB, the white padding colour left out
    return torch.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def seen(palette: torch.Tensor, vision: str) -> torch.Tensor:
    return (linear(palette) @ torch.tensor(MACHADO[vision], dtype=torch.float64).T).clamp(0, 1)  # (LEVELS, 3)


def lightness(rgb: torch.Tensor) -> torch.Tensor:
    """CIE L* of linear RGB colours (0 black … 100 white)."""
    y = rgb @ torch.tensor([0.2126, 0.7152, 0.0722], dtype=torch.float64)
    return torch.where(y > 216 / 24389, 116 * y.pow(1 / 3) - 16, y * 24389 / 27)


@pytest.mark.parametrize("vision", MACHADO)
def test_viridis_reads_low_to_high_by_lightness_alone(vision: str) -> None:
    l_star = lightness(seen(PALETTES[Colormap.VIRIDIS], vision))
    # every 8th level lighter than the one before (neighbouring levels differ by less than 8-bit rounding)
    assert (l_star[::8].diff() > 0).all(), f"viridis is not lighter from low to high for {vision}"
    assert l_star[-1] - l_star[0] > 50


@pytest.mark.parametrize("vision", MACHADO)
def test_the_diverging_sides_stay_apart_and_lighten_towards_zero(vision: str) -> None:
    rgb = seen(PALETTES[Colormap.DIVERGING], vision)
    half = LEVELS // 2
    below, above = rgb[:half], rgb[LEVELS - half :].flip(0)  # level i below 0 beside its mirror above 0
    gap = (below - above).norm(dim=1)  # linear-RGB distance of each mirrored pair
    assert gap[: half * 4 // 5].min() > 0.1, f"negative and positive values look alike for {vision}: {gap.min():.3f}"
    l_star = lightness(rgb)
    assert (l_star[: half + 1 : 8].diff() > 0).all() and (l_star[half::8].diff() < 0).all(), f"not lighter towards 0 for {vision}"
