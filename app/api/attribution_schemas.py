"""Response model of ``POST /api/attributions`` (``../shared/API.md``, "Backward") and its builder."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response
from pydantic import BaseModel, Field

from ..engine.summary import tensor_stats
from ..runs.attributions import AttributionResult
from .run_answer import exact_values
from .schemas import Stats


class AttributionMaps(BaseModel):
    shape: list[int] = Field(description="The input's shape; grad_cam: (N, 1, h, w) at the chosen stage's own resolution.")
    stats: Stats
    values: Any = Field(None, description="Exact values when at most 4,096 elements, else null.")
    values_url: str = Field(description="Every value as a numpy .npy file (float32; any size).")
    image_url: str = Field(description="The attribution drawn (diverging palette centred on 0 for signed methods); ?sample= picks the sample.")
    overlay_url: str | None = Field(
        description="The attribution over the input (channels summed; grad_cam upsampled to the input's size), "
        "?opacity= 0 … 1 (0.5); null unless the input is (N, C, H, W)."
    )


class AttributionResponse(BaseModel):
    attribution_id: str
    run_id: str = Field(description="The run of the same network and input (its stage maps, layouts and values).")
    method: str
    target: int | list[int] = Field(description="The class explained: one index for one sample, one per sample for a batch.")
    probabilities: list[float] | list[list[float]] = Field(description="Softmax of the network's output: per class, per sample for a batch.")
    layer: int | None = Field(description="grad_cam: the stage whose maps were weighed.")
    steps: int | None = Field(description="integrated_gradients: n_steps.")
    attribution: AttributionMaps


def attribution_answer(result: AttributionResult) -> dict[str, Any]:
    """The fields of :class:`AttributionResponse`, in its order, as plain data (the values as a float64 numpy array:
    the doubles ``tolist()`` gives), for orjson: FastAPI validating and encoding 3,072 floats one by one cost more
    than the answer's own numbers."""
    found, key = result.attribution, result.attribution_id
    single = found.probabilities.shape[0] == 1
    probabilities = found.probabilities.tolist()
    base = f"/api/attributions/{key}"
    return {
        "attribution_id": key,
        "run_id": result.run.run_id,
        "method": found.method.value,
        "target": found.target[0] if single else found.target,
        "probabilities": probabilities[0] if single else probabilities,
        "layer": found.layer,
        "steps": found.steps,
        "attribution": {
            "shape": list(found.values.shape),
            "stats": tensor_stats(found.values),
            "values": exact_values(found.values),
            "values_url": f"{base}/values.npy",
            "image_url": f"{base}/map.png",
            "overlay_url": f"{base}/overlay.png" if found.on_input is not None else None,
        },
    }


def attribution_json(result: AttributionResult) -> Response:
    """:func:`attribution_answer` as an ``application/json`` response."""
    return Response(orjson.dumps(attribution_answer(result), option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json")
