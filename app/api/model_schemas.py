"""Response models of the networks API (``../shared/API.md``, "Networks") and their builder."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..models.store import ModelInfo


class MappingRow(BaseModel):
    key: str = Field(description="The key in the given file (or the ONNX initializer's name).")
    layer: int = Field(description="1-based position of the lab layer, as a run's layers answer `index`.")
    module: str | None = Field(None, description="The layer as torch prints it.")
    param: str = Field(description="weight, bias, running_mean, …")
    shape: list[int]


class Trained(BaseModel):
    dataset: str
    epochs: int
    test_accuracy: float
    recipe: dict[str, Any] = Field(description="The body of POST /api/jobs that trained it.")
    sha256: str = Field(description="Of the shipped .safetensors file.")


class ModelResponse(BaseModel):
    model_id: str | None = Field(description="null for a training job's checkpoint (source job): use weights_from.")
    name: str
    description: str = Field("", description="A shipped model's few words on what it is.")
    layers: list[dict[str, Any]] = Field(description="Lab layers, every inferred size filled in.")
    params: int
    input_shape: list[int]
    source: str = Field(description="print, onnx or layers (imported); shipped (trained, with the package); job (a checkpoint).")
    mapping: list[MappingRow] = Field(description="Which file key became which layer's parameter or buffer.")
    notes: list[str]
    trained: Trained | None = Field(None, description="A shipped model's training facts.")
    weights_from: dict[str, Any] = Field(description='What POST /api/pipeline/run and POST /api/jobs take to use these weights: {"model_id"} or {"job_id", "epoch"}.')
    weights_url: str = Field(description="Its weights as .safetensors, keyed as the run's code names the modules.")


class ModelList(BaseModel):
    models: list[ModelResponse] = Field(description="Shipped first, then imported (newest first), then each job's latest checkpoint.")


def model_response(info: ModelInfo) -> ModelResponse:
    return ModelResponse(
        model_id=info.model_id, name=info.name, description=info.description, layers=info.layers, params=info.params, input_shape=info.input_shape,
        source=info.source, mapping=[MappingRow(**row) for row in info.mapping], notes=info.notes,
        trained=None if info.trained is None else Trained(**info.trained),
        weights_from=info.weights_from, weights_url=info.weights_url,
    )
