"""Stage maps as PNG bytes, kept in a byte-bounded cache so a picture is drawn once.

A map is a pure function of the stage's tensor and the query, and run ids are hashes of their
requests, so a cached PNG can never be stale. The input stage (k = 0) is keyed by the input itself
rather than by the run: editing the layers in the lab makes a new run on the same picture, and its
input map is then not drawn and encoded again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..lru import ByteLRU
from ..render import Colormap, Normalize, draw_stage, encode_png
from ..render.layout import MapLayout
from ..render.maps import MAX_TILE
from .store import RunResult, RunStore


@dataclass(frozen=True)
class MapQuery:
    colormap: Colormap = Colormap.AUTO
    normalize: Normalize = Normalize.PER_CHANNEL
    sample: int | None = None
    max_tile: int = MAX_TILE


def input_key(result: RunResult) -> str:
    return "input:" + hashlib.sha256(result.request.input.model_dump_json().encode()).hexdigest()


class StageMaps:
    def __init__(self, runs: RunStore, limit_bytes: int) -> None:
        self._runs = runs
        # PNG bytes with the layout of the picture: a client asks for the layout right after the image.
        self._maps: ByteLRU[tuple[str, int, MapQuery], tuple[bytes, MapLayout]] = ByteLRU(limit_bytes, lambda v: len(v[0]))

    def png(self, run_id: str, k: int, query: MapQuery) -> bytes:
        """Stage k of run ``run_id`` drawn as ``query`` asks; raises NotFoundError, or RenderError for a bad sample."""
        return self._draw(run_id, k, query)[0]

    def layout(self, run_id: str, k: int, query: MapQuery) -> MapLayout:
        """Where each value of stage k sits in :meth:`png`'s picture for the same query."""
        return self._draw(run_id, k, query)[1]

    def _draw(self, run_id: str, k: int, query: MapQuery) -> tuple[bytes, MapLayout]:
        result = self._runs.get(run_id)
        tensor, stats = result.stage(k)
        key = (input_key(result) if k == 0 else run_id, k, query)
        drawn = self._maps.get(key)
        if drawn is None:
            # The run's min/max are the tensor's when every value is finite; otherwise draw_stage finds them.
            finite = not (stats["nan_count"] or stats["inf_count"]) and stats["min"] is not None
            picture = draw_stage(
                tensor,
                from_image=result.source.is_image,
                colormap=query.colormap,
                normalize=query.normalize,
                sample=query.sample,
                max_tile=query.max_tile,
                known_range=(float(stats["min"]), float(stats["max"])) if finite else None,  # type: ignore[arg-type]
            )
            assert picture.layout is not None  # every stage map is drawn with its layout
            drawn = encode_png(picture), picture.layout
            self._maps.put(key, drawn)
        return drawn
