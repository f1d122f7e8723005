from __future__ import annotations

from fastapi import APIRouter

from ...runs import RunRequest
from ..deps import RunsDep
from ..schemas import RunResponse, run_response

router = APIRouter(prefix="/api/pipeline", tags=["pipeline"])


_REFUSED = {422: {"description": "Invalid request, or a pipeline torch would refuse (loc names the layer)"}}


@router.post("/run", response_model=RunResponse, summary="Run layers on an input and trace every stage", responses=_REFUSED)
def run(request: RunRequest, runs: RunsDep) -> RunResponse:
    return run_response(runs.run(request))
