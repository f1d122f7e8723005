from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from ...engine.losses import LOSSES, compute_loss
from ...engine.schema import NestedFloats, NestedNumbers, params_model
from ...errors import NotFoundError
from ..deps import SettingsDep
from ..errors import validated
from ..schemas import LossResponse

router = APIRouter(prefix="/api/losses", tags=["losses"])


class LossRequest(BaseModel):
    """``input`` and ``target`` as nested lists; every other field is the loss's constructor argument."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{"input": [[0.1, 0.2, 0.3]], "target": [1]}]})
    input: NestedFloats
    target: NestedNumbers = Field(description="Class indices (integers) or probabilities for CrossEntropyLoss/NLLLoss.")
    input_shape: list[StrictInt] | None = Field(None, description="Reshape the input first (torch.reshape semantics).")
    target_shape: list[StrictInt] | None = Field(None, description="Reshape the target first.")


@cache
def _params_model(loss_type: str) -> type[BaseModel]:
    return params_model(f"{loss_type}Params", LOSSES[loss_type].params)


@router.post(
    "/{type}",
    response_model=LossResponse,
    responses={404: {"description": "Not a loss layerlab knows"}},
    summary="A loss and its gradient with respect to the input",
    description="Types: " + ", ".join(LOSSES),
)
def loss(type: str, body: LossRequest, settings: SettingsDep) -> LossResponse:
    if type not in LOSSES:
        raise NotFoundError(f"{type!r} is not a loss layerlab knows; choose one of {', '.join(LOSSES)}.")
    extra: dict[str, Any] = dict(body.model_extra or {})
    params = validated(_params_model(type), extra, "body").model_dump(exclude_unset=True)
    result = compute_loss(
        type,
        body.input,
        body.target,
        params,
        input_shape=body.input_shape,
        target_shape=body.target_shape,
        max_elements=settings.max_elements,
    )
    return LossResponse(type=type, **result)
