"""Short names for what routes depend on: ``settings: SettingsDep``, ``services: ServicesDep``, ``jobs: JobsDep``.

The ones that only read ``app.state`` are ``async def``: FastAPI runs a plain ``def`` dependency in its
thread pool, a hand-off (with its GIL time) per dependency per request for an attribute read.
"""

from __future__ import annotations

import ipaddress
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..i18n import choose_locale
from ..i18n.data import Words
from ..jobs.manager import JobManager
from ..models.home import WeightsHome
from ..runs import RunResult, RunStore, StageMaps
from ..runs.attributions import AttributionStore
from ..services import Services
from ..settings import Settings


async def get_services(request: Request) -> Services:
    return request.app.state.services


async def get_words(request: Request, response: Response) -> Words:
    """Data text in the request's language, negotiated as the pages are (?lang=, cookie, Accept-Language, English)."""
    locale = choose_locale(request)
    response.headers["Content-Language"] = locale.value
    response.headers["Vary"] = "Accept-Language, Cookie"
    return Words(locale, request.app.state.catalogues[locale].messages)


async def get_settings(request: Request) -> Settings:
    return request.app.state.services.settings


async def get_runs(request: Request) -> RunStore:
    return request.app.state.runs


async def get_maps(request: Request) -> StageMaps:
    return request.app.state.maps


async def get_attributions(request: Request) -> AttributionStore:
    return request.app.state.attributions


async def get_models(request: Request) -> WeightsHome:
    return request.app.state.models


ServicesDep = Annotated[Services, Depends(get_services)]
ModelsDep = Annotated[WeightsHome, Depends(get_models)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
WordsDep = Annotated[Words, Depends(get_words)]
RunsDep = Annotated[RunStore, Depends(get_runs)]
MapsDep = Annotated[StageMaps, Depends(get_maps)]
AttributionsDep = Annotated[AttributionStore, Depends(get_attributions)]

Stage = Annotated[int, Path(ge=0, description="0 is the input, i is layer i.")]
Layer = Annotated[int, Path(ge=1, description="Layer index, 1-based.")]


def get_run_with_layer(run_id: str, k: Layer, runs: RunsDep) -> RunResult:
    """The run, checked to have layer ``k``: 404 naming the run's layers otherwise."""
    result = runs.get(run_id)
    result.stage(k, first=1)
    return result


RunWithLayerDep = Annotated[RunResult, Depends(get_run_with_layer)]


async def get_jobs(request: Request) -> JobManager:
    return request.app.state.jobs


_bearer = HTTPBearer(auto_error=False, description="Needed to start and cancel jobs when LAYERLAB_API_TOKEN is set.")


def _reached_beyond_loopback(request: Request) -> bool:
    """Whether the request came in on a non-loopback address of this machine (``uvicorn --host 0.0.0.0``
    run by hand, whatever LAYERLAB_HOST says). A test client's made-up host name is not an address."""
    server = request.scope.get("server")
    try:
        return server is not None and not ipaddress.ip_address(server[0]).is_loopback
    except ValueError:
        return False


def require_token(
    request: Request, settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """With LAYERLAB_API_TOKEN set, the request must carry ``Authorization: Bearer <that token>``.
    Without it, only a server that listens on loopback alone (or LAYERLAB_OPEN_JOBS=1) serves the request."""
    expected = settings.api_token
    if not expected:
        if settings.open_jobs or not (settings.listens_beyond_loopback or _reached_beyond_loopback(request)):
            return
        where = settings.host if settings.listens_beyond_loopback else request.scope["server"][0]
        raise HTTPException(
            403,
            f"This server listens beyond this machine (on {where}) and has no API token, so it does not "
            "let anyone who reaches it start or cancel training jobs. Set LAYERLAB_API_TOKEN=<a long secret> and send "
            "'Authorization: Bearer <that secret>', or set LAYERLAB_OPEN_JOBS=1 to allow it without a token.",
        )
    given = credentials.credentials if credentials is not None else ""
    if not secrets.compare_digest(given.encode(), expected.encode()):
        why = "is missing" if credentials is None else "does not match LAYERLAB_API_TOKEN"
        raise HTTPException(
            401,
            f"This server needs 'Authorization: Bearer <token>' to start or cancel jobs; the token {why}.",
            headers={"WWW-Authenticate": "Bearer"},
        )


JobsDep = Annotated[JobManager, Depends(get_jobs)]
TokenDep = Depends(require_token)
