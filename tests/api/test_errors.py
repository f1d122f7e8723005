"""app/api/errors.py: an import refusal is a 422 with the lab's shape (loc at the form field, ctx)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.errors import install_error_handlers
from app.models.errors import ModelImportError


def test_a_model_import_refusal_answers_422_at_its_field_with_its_context() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/refuse")
    def refuse() -> None:
        raise ModelImportError("weights", "Key 0.weight holds shape 2, but layer 1 needs 3.", key="0.weight", expected=[3], got=[2])

    with TestClient(app) as client:
        r = client.post("/refuse")
    assert r.status_code == 422
    assert r.json() == {
        "detail": [
            {
                "loc": ["body", "weights"],
                "msg": "Key 0.weight holds shape 2, but layer 1 needs 3.",
                "type": "model_refused",
                "ctx": {"key": "0.weight", "expected": [3], "got": [2]},
            }
        ]
    }
