"""The answer of ``POST /api/pipeline/run`` as JSON bytes, built as plain data and written by orjson.

:class:`~app.api.schemas.RunResponse` documents it (the route's ``response_model``); this module writes
the same fields without building and re-serialising pydantic models: a small run's answer holds ~7,000
exact values, and pydantic models, ``tolist()`` and FastAPI's serialisation were ~16 % of the time a run
holds the GIL (py-spy ``--gil``, ``bench/concurrency_bench.py``), time two requests cannot share.
Exact values go to orjson as float64 numpy arrays: the same doubles ``tolist()`` gives, and orjson
writes NaN and ±inf as null, as the contract says. ``tests/api/test_run_answer.py`` checks that the
bytes validate as ``RunResponse`` and equal its dump.
"""

from __future__ import annotations

from typing import Any

import orjson
import torch
from fastapi import Response

from ..engine.backward import Gradient
from ..engine.summary import MAX_VALUES, tensor_values
from ..runs import RunResult

_NUMPY_DTYPES = {torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64}


def map_url(run_id: str, k: int) -> str:
    return f"/api/runs/{run_id}/maps/{k}.png"


def exact_values(t: torch.Tensor | None) -> Any:
    """``tensor_values(t)`` as orjson writes it: a contiguous numpy array when it can, else the nested lists."""
    if t is None or t.numel() > MAX_VALUES:
        return None
    t = t.detach().cpu()
    if t.dim() == 0 or not (t.is_floating_point() or t.dtype in _NUMPY_DTYPES):
        return tensor_values(t)  # a scalar, or a dtype numpy or orjson lacks
    return (t.to(torch.float64) if t.is_floating_point() else t).contiguous().numpy()  # float64: the doubles tolist() gives


def _grad(gradient: Gradient, image_url: str, values_url: str) -> dict[str, Any]:
    return {"stats": gradient.stats, "values": exact_values(gradient.tensor), "image_url": image_url, "values_url": values_url}


def _stage_grad(result: RunResult, k: int) -> dict[str, Any] | None:
    grads = result.trace.grads
    if grads is None:
        return None
    run = f"/api/runs/{result.run_id}"
    return _grad(grads.stages[k], f"{run}/grads/{k}.png", f"{run}/stages/{k}/grads.npy")


def _param_grads(result: RunResult, k: int) -> dict[str, dict[str, Any]] | None:
    grads = result.trace.grads
    if grads is None or not grads.params[k - 1]:
        return None
    base = f"/api/runs/{result.run_id}/stages/{k}/param_grads"
    return {name: _grad(g, f"{base}/{name}.png", f"{base}/{name}.npy") for name, g in grads.params[k - 1].items()}


def run_answer(result: RunResult) -> dict[str, Any]:
    """The fields of :class:`~app.api.schemas.RunResponse`, in its order, as plain data (numpy arrays for values)."""
    trace, run_id = result.trace, result.run_id
    layers = [
        {
            "index": s.stage.index,
            "type": s.stage.spec.name,
            "module": s.module_repr,
            "input_shape": list(s.stage.input_shape),
            "output_shape": list(s.output.shape),
            "params": s.stage.params,
            "mult_adds": s.stage.mult_adds,
            "stats": s.stats,
            "values": exact_values(s.output),
            "indices": exact_values(s.indices),
            "image_url": map_url(run_id, s.stage.index),
            "size_formula": s.stage.size_formula,
            "time_ms": round(s.time_ms, 4),
            "notes": s.notes,
            "grad": _stage_grad(result, s.stage.index),
            "param_grads": _param_grads(result, s.stage.index),
        }
        for s in trace.stages
    ]
    return {
        "run_id": run_id,
        "input": {
            "shape": list(trace.input.shape),
            "stats": trace.input_stats,
            "values": exact_values(trace.input),
            "image_url": map_url(run_id, 0),
            "grad": _stage_grad(result, 0),
        },
        "layers": layers,
        "output_shape": list(trace.output.shape),
        "params": sum(s.stage.params for s in trace.stages),
        "mult_adds": sum(s.stage.mult_adds for s in trace.stages),
        "seed": trace.seed,
        "mode": trace.mode.value,
        "code": result.code,
        "loss": trace.grads.loss if trace.grads is not None else None,
    }


RUN_ID_HEADER = "Layerlab-Run-Id"


def run_json(result: RunResult) -> Response:
    """:func:`run_answer` as an ``application/json`` response, with the run id also in a header: a page
    asks for the stage maps (``/api/runs/{id}/maps/{k}.png``) from the headers, before reading the body."""
    body = orjson.dumps(run_answer(result), option=orjson.OPT_SERIALIZE_NUMPY)
    return Response(body, media_type="application/json", headers={RUN_ID_HEADER: result.run_id})
