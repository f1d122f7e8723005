"""Collects every router; ``app.main`` includes this one."""

from __future__ import annotations

from fastapi import APIRouter

from .routes import activations, attributions, colormaps, datasets, health, jobs, layers, losses, pages, pipeline, runs, stages, uploads

# Answers any endpoint of a kind may give, whatever its own code does (see app/api/limits.py).
_BODY = {
    400: {"description": "The body could not be read (not UTF-8 JSON, or a broken multipart form)"},
    413: {"description": "The request body is over LAYERLAB_MAX_BODY_BYTES"},
}
_COMPUTE = {
    **_BODY,
    429: {"description": "Over this client's LAYERLAB_RATE_LIMIT; Retry-After says when to try again"},
    503: {"description": "All compute workers busy and the queue full, or over LAYERLAB_REQUEST_TIMEOUT; Retry-After"},
}
_JOBS = {
    401: {"description": "LAYERLAB_API_TOKEN is set and the bearer token is missing or wrong (starting, cancelling)"},
    404: {"description": "No job with that id"},
}
_STORES = {507: {"description": "The data disk is full; nothing was written"}}

api_router = APIRouter()
for module, responses in (
    (health, {}), (layers, {}), (pipeline, _COMPUTE | _STORES | {404: {"description": "weights_from names no job or checkpoint"}}),
    (runs, _COMPUTE), (stages, _COMPUTE | {404: {"description": "Unknown run, or no such stage"}}), (colormaps, {}),
    (activations, _COMPUTE), (losses, _COMPUTE),
    (attributions, _COMPUTE | _STORES | {404: {"description": "weights_from names no job or checkpoint; an unknown attribution"}}),
    (uploads, _BODY | _STORES), (datasets, {}), (jobs, _BODY | _STORES | _JOBS), (pages, {}),
):
    api_router.include_router(module.router, responses=responses)
