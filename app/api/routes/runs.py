"""Pictures of a run's stages: maps, weights, MaxPool indices. Thin: the drawing is app.render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from ...errors import NotFoundError
from ...render import Colormap, Normalize, RenderError, draw_stage, draw_weight, encode_png, indices_mask
from ...render.maps import MAX_TILE
from ...render.weights import stage_weight
from ...runs import MapQuery, StageMaps
from ...trace_table import trace_table
from ..deps import Layer, MapsDep, RunsDep, RunWithLayerDep, Stage
from ..schemas import MapLayoutResponse, map_layout_response

router = APIRouter(prefix="/api/runs", tags=["runs"])

_PNG = {200: {"content": {"image/png": {}}}, 404: {"description": "Unknown run, or no such stage"}}
# A run id is a hash of its request, so a picture at a URL never changes.
IMMUTABLE = {"Cache-Control": "public, max-age=86400, immutable"}


def _png(image) -> Response:
    return Response(encode_png(image), media_type="image/png", headers=IMMUTABLE)


class MapQueryParams(BaseModel):
    """How a stage map is drawn: the query of every map route, and of app.api.drawn_maps's answers."""

    colormap: Colormap = Colormap.AUTO
    normalize: Normalize = Normalize.PER_CHANNEL
    sample: int | None = Field(None, ge=0, description="Item of the batch; default: whole batch for images, item 0 otherwise.")
    tile: int = Field(MAX_TILE, ge=96, le=1024, description="Largest side of each tile in a grid, px (larger maps are shrunk by area).")

    def map_query(self) -> MapQuery:
        return MapQuery(self.colormap, self.normalize, self.sample, self.tile)


async def map_query(params: Annotated[MapQueryParams, Query()]) -> MapQuery:  # async: it only reads the query
    return params.map_query()


MapQueryDep = Annotated[MapQuery, Depends(map_query)]


def _sample_error(exc: RenderError) -> HTTPException:
    return HTTPException(422, [{"loc": ["query", "sample"], "msg": str(exc), "type": "value_error"}])


async def map_png(maps: StageMaps, run_id: str, k: int, query: MapQuery) -> Response:
    """A stage map's answer: one already drawn (the lab's ``?draw_maps=true`` draws them alongside the run) straight
    from the event loop, for no thread-pool hand-off (~2-4 ms a map on a busy 2-core server); else drawn, or waited
    for, on the thread pool."""
    png = maps.drawn_png(run_id, k, query)
    if png is None:
        try:
            png = await run_in_threadpool(maps.png, run_id, k, query)
        except RenderError as exc:
            raise _sample_error(exc) from exc
    return Response(png, media_type="image/png", headers=IMMUTABLE)


@router.get("/{run_id}/maps/{k}.png", response_class=Response, responses=_PNG, summary="Stage k drawn as an image grid")
async def stage_map(run_id: str, k: Stage, maps: MapsDep, query: MapQueryDep) -> Response:
    return await map_png(maps, run_id, k, query)


@router.get("/{run_id}/maps/{k}/layout", responses={404: _PNG[404]}, summary="Where each value of stage k sits in its map (same query as the PNG)")
def stage_map_layout(run_id: str, k: Stage, maps: MapsDep, query: MapQueryDep, response: Response) -> MapLayoutResponse:
    try:
        layout = maps.layout(run_id, k, query)
    except RenderError as exc:
        raise _sample_error(exc) from exc
    response.headers.update(IMMUTABLE)
    return map_layout_response(layout)


@router.get(
    "/{run_id}/trace.txt",
    response_class=PlainTextResponse,
    responses={404: {"description": "Unknown run"}},
    summary="The run's trace as a torchinfo-style text table (shapes, params, mult-adds, notes)",
)
def run_trace_text(run_id: str, runs: RunsDep) -> PlainTextResponse:
    return PlainTextResponse(trace_table(runs.get(run_id).trace), headers=IMMUTABLE)


@router.get("/{run_id}/weights/{k}.png", response_class=Response, responses=_PNG, summary="Layer k's weight (one row per output channel)")
def stage_weights(k: Layer, result: RunWithLayerDep, normalize: Normalize = Normalize.SHARED) -> Response:
    weight = stage_weight(result.trace, k)
    if weight is None:
        raise NotFoundError(f"Layer {k} ({result.trace.stages[k - 1].module_repr}) has no weight.")
    return _png(draw_weight(weight, normalize))


@router.get(
    "/{run_id}/indices/{k}.png",
    response_class=Response,
    responses=_PNG,
    summary="Where layer k's maxima came from: its input with each chosen element lit",
)
def stage_indices(k: Layer, result: RunWithLayerDep, sample: Annotated[int | None, Query(ge=0)] = None) -> Response:
    indices = result.trace.stages[k - 1].indices
    if indices is None:
        raise NotFoundError(f"Layer {k} returns no pool indices (a layer that produces them, with return_indices=true, does).")
    mask = indices_mask(indices, result.stage(k - 1)[0])
    try:
        image = draw_stage(mask, from_image=False, colormap=Colormap.GREY, normalize=Normalize.SHARED, sample=sample)
    except RenderError as exc:
        raise _sample_error(exc) from exc
    return _png(image)
