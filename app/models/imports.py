"""``POST /api/models`` as one call: the form's text fields parsed, the files imported, the model stored.

Nothing is stored unless the whole import succeeds: every refusal (a field that does not parse, a
file :func:`app.models.importer.import_network` refuses, a pipeline torch refuses) raises before
:meth:`WeightsHome.save` writes anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .errors import ModelImportError
from .home import WeightsHome
from .importer import import_network
from .store import ModelInfo



@dataclass(frozen=True)
class ModelForm:
    """The multipart form of ``POST /api/models``: text fields as sent, files as bytes (already size-checked)."""

    architecture: str | None = None
    layers: str | None = None
    onnx: bytes | None = None
    weights: bytes | None = None
    weights_filename: str | None = None
    name: str | None = None
    input_shape: str | None = None
    seed: int = 0


def _json_field(field: str, text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:  # json's JSONDecodeError
        raise ModelImportError(field, f"{field} must be JSON (e.g. {_EXAMPLES[field]}); got {text[:80]!r}: {exc}.") from exc


_EXAMPLES = {"layers": '[{"type": "Flatten"}]', "input_shape": "[1, 3, 32, 32]"}


def import_model(home: WeightsHome, form: ModelForm, *, max_elements: int) -> ModelInfo:
    network = import_network(
        architecture=form.architecture, onnx=form.onnx, layers=_json_field("layers", form.layers), weights=form.weights,
        weights_filename=form.weights_filename, input_shape=_json_field("input_shape", form.input_shape), seed=form.seed,
        max_elements=max_elements,
    )
    return home.save(network, name=form.name, seed=form.seed)
