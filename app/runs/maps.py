"""Stage maps as PNG bytes, kept in a byte-bounded cache so a picture is drawn once.

A map is a pure function of the stage's tensor and the query, and run ids are hashes of their
requests, so a cached PNG can never be stale. The input stage (k = 0) is keyed by the input itself
rather than by the run: editing the layers in the lab makes a new run on the same picture, and its
input map is then not drawn and encoded again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass, replace
from enum import StrEnum

from ..lru import ByteLRU
from ..render import Colormap, Normalize, RenderError, draw_stage, encode_png
from ..render.layout import MapLayout
from ..render.maps import MAX_TILE
from .store import RunResult, RunStore

log = logging.getLogger(__name__)


class MapOf(StrEnum):
    """What a stage map draws: the stage's output, or the loss's gradient with respect to it."""

    OUTPUT = "output"
    GRAD = "grad"


@dataclass(frozen=True)
class MapQuery:
    colormap: Colormap = Colormap.AUTO
    normalize: Normalize = Normalize.PER_CHANNEL
    sample: int | None = None
    max_tile: int = MAX_TILE
    of: MapOf = MapOf.OUTPUT


def input_key(result: RunResult) -> str:
    return "input:" + hashlib.sha256(result.request.input.model_dump_json().encode()).hexdigest()


class StageMaps:
    def __init__(self, runs: RunStore, limit_bytes: int) -> None:
        self._runs = runs
        # PNG bytes with the layout of the picture: a client asks for the layout right after the image.
        self._maps: ByteLRU[tuple[str, int, MapQuery], tuple[bytes, MapLayout]] = ByteLRU(limit_bytes, lambda v: len(v[0]))
        # Maps being drawn: a second request for one waits for it instead of drawing it again.
        self._drawing: dict[tuple[str, int, MapQuery], Future[tuple[bytes, MapLayout]]] = {}
        self._lock = threading.Lock()

    def forget_drawn(self) -> None:
        """Drop every kept picture (see :meth:`RunStore.forget_outputs`)."""
        self._maps.clear()

    def png(self, run_id: str, k: int, query: MapQuery) -> bytes:
        """Stage k of run ``run_id`` drawn as ``query`` asks; raises NotFoundError, or RenderError for a bad sample."""
        return self._draw(run_id, k, query)[0]

    def layout(self, run_id: str, k: int, query: MapQuery) -> MapLayout:
        """Where each value of stage k sits in :meth:`png`'s picture for the same query."""
        return self._draw(run_id, k, query)[1]

    def draw_ahead(self, run_id: str, query: MapQuery) -> None:
        """Draws every stage of a run that just answered (and its gradients, when it has them), so its maps
        are ready (or under way) when asked for."""
        result = self._runs.get(run_id)
        kinds = [MapOf.OUTPUT, MapOf.GRAD] if result.trace.grads is not None else [MapOf.OUTPUT]
        for of in kinds:
            for k in range(len(result.trace.stages) + 1):
                try:
                    self._draw(run_id, k, replace(query, of=of))
                except RenderError as exc:  # a sample the stage lacks: the page's own request will say so
                    log.debug("not drawn ahead: %s", exc)
                    return

    def _draw(self, run_id: str, k: int, query: MapQuery) -> tuple[bytes, MapLayout]:
        result = self._runs.get(run_id)
        result.stage(k)  # 404 for a stage the run does not have
        if query.of is MapOf.GRAD:
            result.grad(k)  # 404 for a run without gradients
        key = (input_key(result) if k == 0 and query.of is MapOf.OUTPUT else run_id, k, query)
        with self._lock:
            drawn = self._maps.get(key)
            drawing = self._drawing.get(key) if drawn is None else None
            if drawn is None and drawing is None:
                self._drawing[key] = mine = Future()
        if drawn is not None:
            return drawn
        if drawing is not None:
            return drawing.result()
        try:
            drawn = self._render(result, k, query)
            self._maps.put(key, drawn)
            mine.set_result(drawn)
        except BaseException as exc:
            mine.set_exception(exc)
            raise
        finally:
            with self._lock:
                del self._drawing[key]
        return drawn

    @staticmethod
    def _render(result: RunResult, k: int, query: MapQuery) -> tuple[bytes, MapLayout]:
        if query.of is MapOf.GRAD:
            # A gradient is signed, whatever its stage held: the diverging palette, white at 0.
            gradient = result.grad(k)
            tensor, stats, from_image = gradient.tensor, gradient.stats, False
            colormap = Colormap.DIVERGING if query.colormap is Colormap.AUTO else query.colormap
        else:
            (tensor, stats), from_image, colormap = result.stage(k), result.source.is_image, query.colormap
        # The run's min/max are the tensor's when every value is finite; otherwise draw_stage finds them.
        finite = not (stats["nan_count"] or stats["inf_count"]) and stats["min"] is not None
        picture = draw_stage(
            tensor,
            from_image=from_image,
            colormap=colormap,
            normalize=query.normalize,
            sample=query.sample,
            max_tile=query.max_tile,
            known_range=(float(stats["min"]), float(stats["max"])) if finite else None,  # type: ignore[arg-type]
        )
        assert picture.layout is not None  # every stage map is drawn with its layout
        return encode_png(picture), picture.layout
