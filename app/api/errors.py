"""Engine and store refusals as HTTP answers in FastAPI's own error shape.

``{"detail": [{"loc": ["body", "layers", 3], "msg": "…", "type": "…", "ctx": {…}}]}`` for 422s, so a
client handles a refused pipeline exactly like any other validation error; a plain ``detail``
string for 404/409/413/415/503/507 (409 adds the state it conflicts with). Bad input is never a 500.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from ..engine.backward import BackwardError
from ..engine.errors import ArgumentError, EngineError, InputError, LayerError, QueryError
from ..errors import BusyError, ConflictError, FieldError, NotFoundError, PayloadTooLargeError, StorageFullError, UnsupportedMediaError
from ..jobs.manager import QueueFullError
from ..models.errors import ModelImportError

M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: Any, where: str) -> M:
    """``model`` validated from ``data`` that FastAPI did not parse itself (a loss's extra body fields, an
    activation's query parameters); a refusal is FastAPI's own 422 with ``loc`` starting at ``where``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": (where, *e["loc"])} for e in exc.errors(include_url=False)]) from exc


def _layer_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LayerError)
    ctx = {"layer": exc.layer_type, "index": exc.position + 1, **({"param": exc.param} if exc.param else {}), **exc.context}
    detail = {"loc": ["body", "layers", exc.position], "msg": exc.message, "type": "layer_refused", "ctx": ctx}
    return JSONResponse({"detail": [detail]}, status_code=422)


def _input_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    loc = ["body", "input"] + ([exc.field_name] if exc.field_name else [])
    return JSONResponse({"detail": [{"loc": loc, "msg": exc.message, "type": "input_refused"}]}, status_code=422)


def _query_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QueryError)
    return JSONResponse({"detail": [{"loc": ["query", exc.field_name], "msg": exc.message, "type": "query_refused"}]}, status_code=422)


def _argument_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ArgumentError)
    return JSONResponse({"detail": [{"loc": ["body", exc.field_name], "msg": exc.message, "type": "value_error"}]}, status_code=422)


def _model_import_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ModelImportError)
    detail = {"loc": ["body", exc.field], "msg": exc.message, "type": "model_refused", "ctx": exc.context}
    return JSONResponse({"detail": [detail]}, status_code=422)


def _backward_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BackwardError)
    detail = {"loc": ["body", "backward", *exc.path], "msg": exc.message, "type": "backward_refused"}
    return JSONResponse({"detail": [detail]}, status_code=422)


def _engine_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EngineError)
    return JSONResponse({"detail": [{"loc": ["body"], "msg": exc.message, "type": "value_error"}]}, status_code=422)


def _status(code: int):
    def handler(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=code)

    return handler


def _field_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FieldError)
    return JSONResponse({"detail": [{"loc": ["body", *exc.path], "msg": str(exc), "type": "value_error"}]}, status_code=422)


def _conflict(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConflictError)
    return JSONResponse({"detail": str(exc), **exc.fields}, status_code=409)


def _queue_full(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QueueFullError)
    return JSONResponse({"detail": str(exc)}, status_code=429, headers={"Retry-After": str(exc.retry_after_s)})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LayerError, _layer_error)
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(QueryError, _query_error)
    app.add_exception_handler(ArgumentError, _argument_error)
    app.add_exception_handler(ModelImportError, _model_import_error)
    app.add_exception_handler(BackwardError, _backward_error)
    app.add_exception_handler(EngineError, _engine_error)
    app.add_exception_handler(NotFoundError, _status(404))
    app.add_exception_handler(PayloadTooLargeError, _status(413))
    app.add_exception_handler(UnsupportedMediaError, _status(415))
    app.add_exception_handler(BusyError, _status(503))
    app.add_exception_handler(ConflictError, _conflict)
    app.add_exception_handler(QueueFullError, _queue_full)
    app.add_exception_handler(FieldError, _field_error)
    app.add_exception_handler(StorageFullError, _status(507))
