"""Collects every router; ``app.main`` includes this one."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import APIRoute

from .routes import (
    activations, attributions, colormaps, datasets, examples, grads, health, i18n, jobs, layers, lessons, losses, models, pages,
    pipeline, runs, stages, uploads,
)

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
    403: {"description": "Listening beyond loopback without LAYERLAB_API_TOKEN (or LAYERLAB_OPEN_JOBS=1): starting and cancelling refused"},
    404: {"description": "No job with that id"},
}
_STORES = {507: {"description": "The data disk is full; nothing was written"}}

_STAGE_404 = {404: {"description": "Unknown run, or no such stage"}}

# The routes that compute (runs, maps, weights, indices, layouts, curves, losses, attributions, image decoding,
# model imports):
# declared here once. They get the compute gate and the per-client rate limit (app/api/limits.py)
# and document their answers; nothing else names them.
COMPUTE = (
    (pipeline, _STORES | {404: {"description": "weights_from names no job or model"}}),
    (runs, {}), (grads, {404: {"description": "Unknown run, no such stage, or a run made without backward"}}), (stages, _STAGE_404), (activations, {}), (losses, {}),
    (attributions, _STORES | {404: {"description": "weights_from names no job or model; an unknown attribution"}}),
    (uploads, _STORES), (models, _STORES | {404: {"description": "No model with that id"}}),
    (lessons, _STORES),  # a prediction's check runs the step
)
OTHER = ((health, {}), (i18n, {}), (layers, {}), (examples, {}), (colormaps, {}), (datasets, {}), (jobs, _BODY | _STORES | _JOBS), (pages, {}))


def include_routers(app: FastAPI) -> None:
    """Every router straight into the app: one level of routers to match a request against, not two
    (FastAPI matches each included router in turn; a map's GET spent ~30 % of its server time there)."""
    for module, responses in COMPUTE:
        app.include_router(module.router, responses=_COMPUTE | responses)
    for module, responses in OTHER:
        app.include_router(module.router, responses=responses)


def compute_paths() -> list[re.Pattern[str]]:
    """The path patterns of the compute routes, for the gate: a request is matched before routing."""
    return [route.path_regex for module, _ in COMPUTE for route in module.router.routes if isinstance(route, APIRoute)]
