"""A run's gradients (runs made with ``backward``): maps, every value as .npy, and parameters' gradients.

Thin: the gradients are the engine's (autograd), the drawing is app.render.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path, Response

from ...render import Normalize, RenderError, draw_weight, encode_png
from ...runs.export import npy_bytes
from ...runs.maps import MapOf
from ..deps import MapsDep, RunsDep
from ..schemas import MapLayoutResponse, map_layout_response
from .runs import IMMUTABLE, _PNG, Layer, MapQueryDep, Stage, _sample_error, map_png

router = APIRouter(prefix="/api/runs", tags=["gradients"])

ParamName = Annotated[str, Path(pattern=r"^[A-Za-z_][A-Za-z0-9_.]*$", description="weight, bias, … as named_parameters() names them.")]
_NPY = {200: {"content": {"application/octet-stream": {}}, "description": "numpy .npy: float32, the tensor's shape"}}
_NO_GRADS = {404: {"description": "Unknown run, no such stage, or a run made without backward"}}


@router.get("/{run_id}/grads/{k}.png", response_class=Response, responses=_PNG | _NO_GRADS,
            summary="∂L/∂ stage k's output as a map (diverging palette, white at 0)")
async def grad_map(run_id: str, k: Stage, maps: MapsDep, query: MapQueryDep) -> Response:
    return await map_png(maps, run_id, k, replace(query, of=MapOf.GRAD))


@router.get("/{run_id}/grads/{k}/layout", responses=_NO_GRADS, summary="Where each value of stage k's gradient sits in its map")
def grad_map_layout(run_id: str, k: Stage, maps: MapsDep, query: MapQueryDep, response: Response) -> MapLayoutResponse:
    try:
        layout = maps.layout(run_id, k, replace(query, of=MapOf.GRAD))
    except RenderError as exc:
        raise _sample_error(exc) from exc
    response.headers.update(IMMUTABLE)
    return map_layout_response(layout)


@router.get("/{run_id}/stages/{k}/grads.npy", response_class=Response, responses=_NPY | _NO_GRADS,
            summary="∂L/∂ stage k's output, every value, as a numpy .npy file (any size)")
def grad_values(run_id: str, k: Stage, runs: RunsDep) -> Response:
    return Response(npy_bytes(runs.get(run_id).grad(k).tensor), media_type="application/octet-stream", headers=IMMUTABLE)


@router.get("/{run_id}/stages/{k}/param_grads/{name}.npy", response_class=Response, responses=_NPY | _NO_GRADS,
            summary="∂L/∂ layer k's parameter (weight, bias, …) as a numpy .npy file")
def param_grad_values(run_id: str, k: Layer, name: ParamName, runs: RunsDep) -> Response:
    tensor = runs.get(run_id).param_grad(k, name).tensor
    return Response(npy_bytes(tensor), media_type="application/octet-stream", headers=IMMUTABLE)


@router.get("/{run_id}/stages/{k}/param_grads/{name}.png", response_class=Response, responses=_PNG | _NO_GRADS,
            summary="∂L/∂ layer k's parameter drawn like its weight (one row per output channel, diverging)")
def param_grad_map(run_id: str, k: Layer, name: ParamName, runs: RunsDep, normalize: Normalize = Normalize.SHARED) -> Response:
    tensor = runs.get(run_id).param_grad(k, name).tensor
    return Response(encode_png(draw_weight(tensor, normalize)),
                    media_type="image/png", headers=IMMUTABLE)
