"""Where each value of a stage sits in its drawn map, so a click on a pixel can name the value.

The renderer fills one of these for every picture it draws (it alone knows the scale and the grid);
the API serves it as JSON beside the PNG, and the lab uses it to turn a click into (sample, channel,
row, column) and a receptive field back into rectangles on earlier maps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

PAD = 2  # px of white around and between the tiles of a grid (as torchvision's make_grid)


class MapKind(StrEnum):
    IMAGES = "images"  # one tile per sample, all its channels as one picture
    CHANNELS = "channels"  # one tile per channel of one sample
    ROWS = "rows"  # one tile per sample: its features as a heat block, row-major
    EMPTY = "empty"  # nothing to draw


def grid_columns(count: int, nrow: int | None) -> int:
    """Tiles per row of a grid of ``count`` tiles: ``nrow``, or a square-ish grid, never more than there are."""
    return max(1, min(nrow or math.ceil(math.sqrt(count)), count))


@dataclass(frozen=True)
class MapLayout:
    kind: MapKind
    count: int  # tiles
    columns: int  # tiles per row of the grid
    tile: tuple[int, int]  # (height, width) of each tile, px
    cells: tuple[int, int]  # (rows, columns) of values drawn in each tile
    first: int = 0  # the sample tile 0 shows (images, rows); channels start at 0
    sample: int = 0  # the sample whose channels are drawn (channels)
    features: int | None = None  # rows: values per sample; cells past it are blank

    @property
    def pad(self) -> int:
        return PAD if self.count > 1 else 0  # a single tile is drawn bare

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the whole picture, px."""
        rows = math.ceil(self.count / self.columns)
        h, w = self.tile
        return self.columns * (w + self.pad) + self.pad, rows * (h + self.pad) + self.pad

    def origin(self, i: int) -> tuple[int, int]:
        """(x, y) of tile i's top-left pixel."""
        h, w = self.tile
        return self.pad + (i % self.columns) * (w + self.pad), self.pad + (i // self.columns) * (h + self.pad)
