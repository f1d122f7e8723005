"""Stage maps as PNG bytes, kept in a byte-bounded cache so a picture is drawn once.

A map is a pure function of the stage's tensor and the query, and run ids are hashes of their
requests, so a cached PNG can never be stale. The input stage (k = 0) is keyed by the input itself
rather than by the run: editing the layers in the lab makes a new run on the same picture, and its
input map is then not drawn and encoded again.

A run asked for with its maps (the lab's ``?draw_maps=true``) has them drawn alongside it
(:meth:`StageMaps.alongside`): each stage's map starts on a drawing thread as soon as the stage and its
statistics exist, while the run computes the next layers and writes its answer, so the maps the page
asks for next are ready or under way. A map already drawn is answered without fetching its run: a run
too large for the run cache would otherwise be computed again for each of its maps.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import partial

import torch

from ..lru import ByteLRU
from ..render import Colormap, Normalize, RenderError, draw_stage, encode_png
from ..render.layout import MapLayout
from ..render.maps import MAX_TILE
from ..engine.records import Stats
from .store import RunRequest, RunResult, RunStart, RunStore, StageSeen

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


def input_key(request: RunRequest) -> str:
    return "input:" + hashlib.sha256(request.input.model_dump_json().encode()).hexdigest()


Key = tuple[str, int, MapQuery]
Drawn = tuple[bytes, MapLayout]


class StageMaps:
    DRAWING_THREADS = 2  # maps drawn alongside runs: one per core of a small server
    KNOWN_INPUTS = 4096  # runs whose input key is remembered (a short string each)

    def __init__(self, runs: RunStore, limit_bytes: int) -> None:
        self._runs = runs
        # PNG bytes with the layout of the picture: a client asks for the layout right after the image.
        self._maps: ByteLRU[Key, Drawn] = ByteLRU(limit_bytes, lambda v: len(v[0]))
        # Maps being drawn: a second request for one waits for it instead of drawing it again.
        self._drawing: dict[Key, Future[Drawn]] = {}
        # run id → its input's key, so stage 0's map is found without fetching the run.
        self._inputs: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self._threads = ThreadPoolExecutor(self.DRAWING_THREADS, thread_name_prefix="layerlab-maps")

    def forget_drawn(self) -> None:
        """Drop every kept picture (see :meth:`RunStore.forget_outputs`)."""
        self._maps.clear()

    def png(self, run_id: str, k: int, query: MapQuery) -> bytes:
        """Stage k of run ``run_id`` drawn as ``query`` asks; raises NotFoundError, or RenderError for a bad sample."""
        return self._draw(run_id, k, query)[0]

    def drawn_png(self, run_id: str, k: int, query: MapQuery) -> bytes | None:
        """The map's PNG when it is already drawn, else None; never waits nor draws (safe on the event loop)."""
        known = self._known(run_id, k, query)
        return known[0] if isinstance(known, tuple) else None

    def layout(self, run_id: str, k: int, query: MapQuery) -> MapLayout:
        """Where each value of stage k sits in :meth:`png`'s picture for the same query."""
        return self._draw(run_id, k, query)[1]

    def alongside(self, query: MapQuery) -> StageSeen:
        """For :meth:`RunStore.run`: each stage of the run being computed is drawn as ``query`` asks, on a
        drawing thread, from the moment the stage exists."""

        def seen(run: RunStart, k: int, tensor: torch.Tensor, stats: Stats) -> None:
            key = self._key(run.run_id, run.request, k, query)
            self._submit(key, lambda: _render(tensor, stats, run.from_image, query))

        return seen

    def grads_alongside(self, result: RunResult, query: MapQuery) -> None:
        """Starts drawing every gradient map of a run that has them on the drawing threads and returns at once:
        they are drawn while the run's answer is written and sent, and a map asked for meanwhile waits for its draw.

        Then the stages' own maps, queued behind the gradients': a run with ``backward`` is the lab's
        Backward view, which shows the gradients; the stages' maps are for switching back. (The route
        does not draw them alongside such a run: drawing them beside the forward and backward passes
        made the run's answer ~40 % slower on two cores, for pictures the page does not show first.)"""
        if result.trace.grads is None:
            return
        self._queue(result, replace(query, of=MapOf.GRAD))
        self._queue(result, replace(query, of=MapOf.OUTPUT))

    def _queue(self, result: RunResult, query: MapQuery) -> None:
        """Every stage of ``result`` drawn as ``query`` asks, queued on the drawing threads in stage order."""
        for k in range(len(result.trace.stages) + 1):
            self._submit(self._key(result.run_id, result.request, k, query), partial(_render_stage, result, k, query))

    def _submit(self, key: Key, picture: Callable[[], Drawn]) -> None:
        """Draws ``picture`` on a drawing thread unless that map is drawn or being drawn already."""
        with self._lock:
            if self._maps.get(key) is not None or key in self._drawing:
                return
            self._drawing[key] = mine = Future()
        self._threads.submit(self._finish, key, mine, picture)

    def draw_ahead(self, result: RunResult, query: MapQuery) -> None:
        """Draws every stage of a run that just answered, so its maps are ready (or under way) when asked for;
        a map drawn or being drawn already (a fresh run's, alongside it) is left alone. A run's gradient maps
        are :meth:`grads_alongside`'s, started before the answer."""
        map_query = replace(query, of=MapOf.OUTPUT)
        for k in range(len(result.trace.stages) + 1):
            if self._known(result.run_id, k, map_query) is not None:
                continue  # drawn, or being drawn alongside the run: no waiting here for it
            try:
                self._draw_of(result, k, map_query)
            except RenderError as exc:  # a sample the stage lacks: the page's own request will say so
                log.debug("not drawn ahead: %s", exc)
                return

    def _key(self, run_id: str, request: RunRequest, k: int, query: MapQuery) -> Key:
        if k != 0 or query.of is not MapOf.OUTPUT:
            return run_id, k, query
        with self._lock:
            known = self._inputs.get(run_id)
        if known is None:
            known = input_key(request)
            with self._lock:
                self._inputs[run_id] = known
                if len(self._inputs) > self.KNOWN_INPUTS:
                    self._inputs.popitem(last=False)
        return known, k, query

    def _known(self, run_id: str, k: int, query: MapQuery) -> Drawn | Future[Drawn] | None:
        """The map, or the future of the one being drawn, when it is there without fetching the run."""
        with self._lock:
            if k == 0 and query.of is MapOf.OUTPUT:
                if run_id not in self._inputs:
                    return None
                key: Key = (self._inputs[run_id], k, query)
            else:
                key = (run_id, k, query)
            return self._maps.get(key) or self._drawing.get(key)

    def _draw(self, run_id: str, k: int, query: MapQuery) -> Drawn:
        known = self._known(run_id, k, query)
        if known is not None:
            return known.result() if isinstance(known, Future) else known
        return self._draw_of(self._runs.get(run_id), k, query)

    def _draw_of(self, result: RunResult, k: int, query: MapQuery) -> Drawn:
        result.stage(k)  # 404 for a stage the run does not have
        if query.of is MapOf.GRAD:
            result.grad(k)  # 404 for a run without gradients
        key = self._key(result.run_id, result.request, k, query)
        with self._lock:
            drawn = self._maps.get(key)
            drawing = self._drawing.get(key) if drawn is None else None
            if drawn is None and drawing is None:
                self._drawing[key] = mine = Future()
        if drawn is not None:
            return drawn
        if drawing is not None:
            return drawing.result()
        return self._finish(key, mine, lambda: _render_stage(result, k, query))

    def _finish(self, key: Key, mine: Future[Drawn], picture: Callable[[], Drawn]) -> Drawn:
        """Draws, keeps and hands the map to whoever waits on ``mine``."""
        try:
            drawn = picture()
            self._maps.put(key, drawn)
            mine.set_result(drawn)
        except BaseException as exc:
            mine.set_exception(exc)
            raise
        finally:
            with self._lock:
                del self._drawing[key]
        return drawn


def _render_stage(result: RunResult, k: int, query: MapQuery) -> Drawn:
    if query.of is MapOf.GRAD:
        # A gradient is signed, whatever its stage held: the diverging palette, white at 0.
        gradient = result.grad(k)
        colormap = Colormap.DIVERGING if query.colormap is Colormap.AUTO else query.colormap
        return _render(gradient.tensor, gradient.stats, False, replace(query, colormap=colormap))
    tensor, stats = result.stage(k)
    return _render(tensor, stats, result.source.is_image, query)


def _render(tensor: torch.Tensor, stats: Stats, from_image: bool, query: MapQuery) -> Drawn:
    # The run's min/max are the tensor's when every value is finite; otherwise draw_stage finds them.
    finite = not (stats["nan_count"] or stats["inf_count"]) and stats["min"] is not None
    picture = draw_stage(
        tensor,
        from_image=from_image,
        colormap=query.colormap,
        normalize=query.normalize,
        sample=query.sample,
        max_tile=query.max_tile,
        known_range=(float(stats["min"]), float(stats["max"])) if finite else None,  # type: ignore[arg-type]
    )
    assert picture.layout is not None  # every stage map is drawn with its layout
    return encode_png(picture), picture.layout
