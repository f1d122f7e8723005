"""A run's stages for inspection: the arithmetic of one output, all values as .npy, the whole run as a zip."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ...engine.arithmetic import GradArithmetic, OutputArithmetic, grad_arithmetic, output_arithmetic
from ...engine.errors import QueryError
from ...runs.export import export_zip, npy_bytes
from ..deps import Layer, MapsDep, RunsDep, RunWithLayerDep, Stage

router = APIRouter(prefix="/api/runs", tags=["runs"])
_IMMUTABLE = {"Cache-Control": "public, max-age=86400, immutable"}  # a run id is a hash of its request


def _index(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise QueryError(f"index is one integer per output dimension, comma-separated like 0,3,10,11; got {text!r}.", "index") from None


@router.get(
    "/{run_id}/stages/{k}/arithmetic",
    summary="How layer k computed one output value, with the numbers filled in",
    responses={404: {"description": "Unknown run or layer"}, 422: {"description": "index does not fit the output's shape"}},
)
def stage_arithmetic(
    k: Layer,
    result: RunWithLayerDep,
    index: Annotated[str, Query(description="The output index, comma-separated: n,c,y,x for images, n,f after Linear.", examples=["0,3,10,11"])],
) -> OutputArithmetic:
    return output_arithmetic(result.trace, k, _index(index))


@router.get(
    "/{run_id}/stages/{k}/grad_arithmetic",
    summary="How layer k's backward made one value of ∂L/∂(its input) from ∂L/∂(its output), numbers filled in",
    responses={404: {"description": "Unknown run or layer, or a run made without backward"}, 422: {"description": "index does not fit the layer's input"}},
)
def stage_grad_arithmetic(
    run_id: str,
    k: Layer,
    runs: RunsDep,
    index: Annotated[str, Query(description="An index into layer k's input (stage k − 1), comma-separated: n,c,y,x for images.", examples=["0,3,10,11"])],
) -> GradArithmetic:
    result = runs.get(run_id)
    result.stage(k, first=1)  # 404 for a layer the run does not have
    result.gradients()  # 404 for a run made without backward
    return grad_arithmetic(result.trace, k, _index(index))


@router.get(
    "/{run_id}/stages/{k}/values.npy",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "numpy .npy: float32, the stage's shape"}},
    summary="Every value of stage k as a numpy .npy file (float32, its shape; any size)",
)
def stage_values(run_id: str, k: Stage, runs: RunsDep) -> Response:
    tensor, _ = runs.get(run_id).stage(k)
    return Response(npy_bytes(tensor), media_type="application/octet-stream", headers=_IMMUTABLE)


@router.get(
    "/{run_id}/export.zip",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
    summary="The whole run: request, code, trace CSV, every stage's values (.npy) and map (PNG)",
)
def run_export(run_id: str, runs: RunsDep, maps: MapsDep) -> Response:
    result = runs.get(run_id)
    headers = {"Content-Disposition": f'attachment; filename="layerlab-run-{run_id[:12]}.zip"', **_IMMUTABLE}
    return Response(export_zip(result, maps), media_type="application/zip", headers=headers)
