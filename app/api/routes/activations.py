from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError

from ...engine import Mode
from ...engine.activations import ACTIVATIONS, MAX_POINTS, activation_curve
from ...engine.schema import layer_config, layer_models
from ...errors import NotFoundError
from ..deps import SettingsDep
from ..errors import validated
from ..schemas import CurveResponse

router = APIRouter(prefix="/api/activations", tags=["activations"])

_RESERVED = {"x_min", "x_max", "points", "mode", "seed"}


def _query_value(raw: str) -> Any:
    # Query strings are text; the activation's own parameters are typed like JSON (0.1, true, null).
    try:
        return json.loads(raw)
    except ValueError:
        return raw


@router.get(
    "/{type}/curve",
    response_model=CurveResponse,
    responses={404: {"description": "Not an activation layerlab knows"}},
    summary="y and dy/dx (autograd) of an activation over a range",
    description="Any other query parameter is the activation's own constructor argument by torch's name "
    "(negative_slope=0.1, alpha=1.5, lower=0.1&upper=0.3, beta=2 …). Types: "
    + ", ".join(ACTIVATIONS),
)
def curve(
    type: str,
    request: Request,
    settings: SettingsDep,
    x_min: float = -10.0,
    x_max: float = 10.0,
    points: Annotated[int, Query(ge=2, le=MAX_POINTS)] = 201,
    mode: Mode = Mode.EVAL,
    seed: Annotated[int, Query(ge=0)] = 0,
) -> CurveResponse:
    if type not in ACTIVATIONS:
        raise NotFoundError(f"{type!r} is not an activation layerlab knows; choose one of {', '.join(ACTIVATIONS)}.")
    if points > settings.max_curve_points:
        msg = f"points={points} is over this server's limit of {settings.max_curve_points} (LAYERLAB_MAX_CURVE_POINTS)."
        raise RequestValidationError([{"loc": ("query", "points"), "msg": msg, "type": "less_than_equal", "input": points}])
    params = {k: _query_value(v) for k, v in request.query_params.items() if k not in _RESERVED}
    layer = validated(layer_models()[type], {"type": type, **params}, "query")
    result = activation_curve(layer_config(layer), x_min, x_max, points, mode=mode, seed=seed)
    return CurveResponse(type=type, **result)
