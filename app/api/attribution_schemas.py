"""Response model of ``POST /api/attributions`` (``../shared/API.md``, "Backward") and its builder."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..engine.summary import tensor_stats, tensor_values
from ..runs.attributions import AttributionResult
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


def attribution_response(result: AttributionResult) -> AttributionResponse:
    found, key = result.attribution, result.attribution_id
    single = found.probabilities.shape[0] == 1
    probabilities = found.probabilities.tolist()
    base = f"/api/attributions/{key}"
    return AttributionResponse(
        attribution_id=key,
        run_id=result.run.run_id,
        method=found.method.value,
        target=found.target[0] if single else found.target,
        probabilities=probabilities[0] if single else probabilities,
        layer=found.layer,
        steps=found.steps,
        attribution=AttributionMaps(
            shape=list(found.values.shape),
            stats=Stats(**tensor_stats(found.values)),
            values=tensor_values(found.values),
            values_url=f"{base}/values.npy",
            image_url=f"{base}/map.png",
            overlay_url=f"{base}/overlay.png" if found.on_input is not None else None,
        ),
    )
