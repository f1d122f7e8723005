from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query

from ...runs import RunRequest
from ..deps import MapsDep, RunsDep
from ..schemas import RunResponse, run_response
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
    draw_maps: Annotated[bool, Query(description="Start drawing every stage's map (as the map query asks) right after answering, "
                                     "so the maps a page asks for next are ready sooner.")] = False,
) -> RunResponse:
    result = runs.run(request)
    if draw_maps:
        background.add_task(maps.draw_ahead, result.run_id, query)
    return run_response(result)
