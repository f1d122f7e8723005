from __future__ import annotations

import os

from fastapi import APIRouter

from ... import __version__
from ..schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness: answers without doing any work")
def healthz() -> Health:
    return Health(version=__version__, pid=os.getpid())
