"""Networks: import one (``POST /api/models``), list them, read one, download its weights. Thin: the
form is read here (files counted against LAYERLAB_MAX_MODEL_BYTES while reading), app.models does the rest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Response, UploadFile

from ...errors import PayloadTooLargeError
from ...models.imports import ModelForm, import_model
from ...models.sources import ModelWeights
from ...i18n.data import Words
from ...models.home import CHECKPOINT_NAME
from ..deps import ModelsDep, SettingsDep, WordsDep
from ..model_schemas import ModelList, ModelResponse, model_response

router = APIRouter(prefix="/api/models", tags=["models"])
_CHUNK = 1 << 20
_UNKNOWN = {404: {"description": "No model with that id"}}


def _read(file: UploadFile | None, field: str, limit: int) -> bytes | None:
    if file is None:
        return None
    chunks, size = [], 0
    while chunk := file.file.read(_CHUNK):  # counted while reading, so an oversize file stops early
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"The {field} file is over this server's limit of {limit:,} bytes (LAYERLAB_MAX_MODEL_BYTES).")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "",
    status_code=201,
    summary="Import a network: print(model) text, an ONNX file or lab layers, with a state_dict (.safetensors, .pt)",
    responses={413: {"description": "A file over LAYERLAB_MAX_MODEL_BYTES"},
               422: {"description": "A field that does not parse, or weights that do not fit the layers (naming key, layer, shapes)"}},
)
def import_a_model(
    models: ModelsDep,
    settings: SettingsDep,
    architecture: Annotated[str | None, Form(description="What print(model) prints.")] = None,
    layers: Annotated[str | None, Form(description="Lab layers as a JSON list.")] = None,
    onnx: UploadFile | None = None,
    weights: UploadFile | None = None,
    name: Annotated[str | None, Form(max_length=200)] = None,
    input_shape: Annotated[str | None, Form(description="JSON, e.g. [1, 3, 32, 32] (the default).")] = None,
    seed: Annotated[int, Form(ge=0, le=2**63 - 1, description="torch.manual_seed for weights the files do not give.")] = 0,
) -> ModelResponse:
    limit = settings.max_model_bytes
    form = ModelForm(
        architecture=architecture, layers=layers, onnx=_read(onnx, "onnx", limit), weights=_read(weights, "weights", limit),
        weights_filename=None if weights is None else weights.filename, name=name, input_shape=input_shape, seed=seed,
    )
    return model_response(import_model(models, form, max_elements=settings.max_elements))


@router.get("", summary="Every network a run can use: shipped, imported (newest first), job checkpoints")
def list_models(models: ModelsDep, words: WordsDep) -> ModelList:
    """A shipped network's name and description in the request's language (?lang=, cookie, Accept-Language; English by default)."""
    return ModelList(models=[_in_language(model_response(info), words) for info in models.catalogue()])


def _in_language(model: ModelResponse, words: Words) -> ModelResponse:
    if model.source == "job":
        return model.model_copy(update={"name": words(CHECKPOINT_NAME).format(**model.weights_from)})
    if model.source != "shipped":  # an imported network's name is its owner's
        return model
    trained = model.trained and model.trained.model_copy(update={"dataset": words(model.trained.dataset)})
    return model.model_copy(update={"name": words(model.name), "description": words(model.description), "trained": trained})


@router.get("/{model_id}", summary="One model: layers, parameters, mapping; a shipped one's training facts", responses=_UNKNOWN)
def get_model(model_id: str, models: ModelsDep, words: WordsDep) -> ModelResponse:
    return _in_language(model_response(models.models.get(model_id)), words)


@router.get(
    "/{model_id}/weights.safetensors",
    response_class=Response,
    summary="Its weights, keyed as the run's code names the modules (safetensors.torch.load_file, then load_state_dict)",
    responses={200: {"content": {"application/octet-stream": {}}}, **_UNKNOWN},
)
def model_weights(model_id: str, models: ModelsDep) -> Response:
    file_name, data = models.safetensors(ModelWeights(model_id=model_id))
    headers = {"Content-Disposition": f'attachment; filename="{file_name}"', "Cache-Control": "public, max-age=86400, immutable"}
    return Response(data, media_type="application/octet-stream", headers=headers)
