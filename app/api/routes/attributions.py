"""Attributions (Captum) of a network's prediction: the numbers, the map, the overlay. Thin: app.engine.attributions works."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from ...errors import NotFoundError
from ...render import Colormap, Normalize, RenderError, draw_stage, encode_png
from ...render.overlay import draw_overlay
from ...runs.attributions import AttributionRequest
from ...runs.export import npy_bytes
from ..attribution_schemas import AttributionResponse, attribution_json
from ..deps import AttributionsDep
from .runs import _sample_error

router = APIRouter(prefix="/api/attributions", tags=["attributions"])
_HEADERS = {"Cache-Control": "public, max-age=86400, immutable"}  # an attribution id is a hash of its question
Id = Annotated[str, Path(description="attribution_id of POST /api/attributions.")]
Sample = Annotated[int, Query(ge=0, description="Item of the batch.")]
_PNG = {200: {"content": {"image/png": {}}}, 404: {"description": "Unknown attribution"}}


@router.post(
    "",
    response_model=AttributionResponse,
    summary="Which inputs made the network pick a class: saliency, input × gradient, integrated gradients, Grad-CAM (Captum)",
    responses={422: {"description": "A pipeline torch refuses, an output that is not (N, classes), a target or stage that does not fit"}},
)
def attribute(request: AttributionRequest, attributions: AttributionsDep) -> Response:
    return attribution_json(attributions.attribute(request))  # AttributionResponse's fields, written by orjson


@router.get("/{attribution_id}/values.npy", response_class=Response, summary="Every attribution value as numpy .npy (float32)")
def values(attribution_id: Id, attributions: AttributionsDep) -> Response:
    found = attributions.get(attribution_id).attribution
    return Response(npy_bytes(found.values), media_type="application/octet-stream", headers=_HEADERS)


@router.get("/{attribution_id}/map.png", response_class=Response, responses=_PNG, summary="The attribution drawn, one tile per channel")
def attribution_map(attribution_id: Id, attributions: AttributionsDep, sample: Sample = 0) -> Response:
    found = attributions.get(attribution_id).attribution
    colormap = Colormap.DIVERGING if found.method.signed else Colormap.VIRIDIS
    try:
        picture = draw_stage(found.values, from_image=False, colormap=colormap, normalize=Normalize.SHARED, sample=sample)
    except RenderError as exc:
        raise _sample_error(exc) from exc
    return Response(encode_png(picture), media_type="image/png", headers=_HEADERS)


@router.get("/{attribution_id}/overlay.png", response_class=Response, responses=_PNG, summary="The attribution over the input it explains")
def overlay(
    attribution_id: Id,
    attributions: AttributionsDep,
    sample: Sample = 0,
    opacity: Annotated[float, Query(ge=0, le=1, description="0: the input alone; 1: the attribution alone.")] = 0.5,
) -> Response:
    result = attributions.get(attribution_id)
    found, x = result.attribution, result.run.trace.input
    if found.on_input is None:
        raise NotFoundError(f"The input is {list(x.shape)}, not (N, C, H, W): there is no picture to lay the attribution over.")
    if sample >= x.shape[0]:
        raise _sample_error(RenderError(f"sample={sample} is outside the batch of {x.shape[0]} (0 to {x.shape[0] - 1})."))
    picture = draw_overlay(x[sample], found.on_input[sample, 0], signed=found.method.signed, opacity=opacity, from_image=result.run.source.is_image)
    return Response(encode_png(picture), media_type="image/png", headers=_HEADERS)
