from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Response

from ...runs import RunRequest
from ..deps import MapsDep, RunsDep
from ..run_answer import run_json
from ..schemas import RunResponse
from .runs import MapQueryDep

router = APIRouter(prefix="/api/pipeline", tags=["pipeline"])
_REFUSED = {422: {"description": "Invalid request, or a pipeline torch would refuse (loc names the layer)"}}


@router.post("/run", response_model=RunResponse, summary="Run layers on an input and trace every stage", responses=_REFUSED)
def run(
    request: RunRequest,
    runs: RunsDep,
    maps: MapsDep,
    background: BackgroundTasks,
    query: MapQueryDep,
    draw_maps: Annotated[bool, Query(description="Draw every stage's map (as the map query asks) alongside the run, each from "
                                     "the moment its stage exists, so the maps a page asks for next are ready sooner.")] = False,
) -> Response:
    # A run with backward shows its gradients: their maps come first (grads_alongside), its stages' after.
    alongside = draw_maps and request.backward is None
    result = runs.run(request, maps.alongside(query) if alongside else None)
    if draw_maps:
        maps.grads_alongside(result, query)  # the gradients' maps: drawn while the answer is written
        background.add_task(maps.draw_ahead, result, query)  # a cached run's maps: drawn after answering
    return run_json(result)  # RunResponse's fields, written by orjson (app/api/run_answer.py)
