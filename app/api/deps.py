"""Short names for what routes depend on: ``settings: SettingsDep``, ``services: ServicesDep``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..runs import RunStore, StageMaps
from ..services import Services
from ..settings import Settings


def get_services(request: Request) -> Services:
    return request.app.state.services


def get_settings(request: Request) -> Settings:
    return request.app.state.services.settings


def get_runs(request: Request) -> RunStore:
    return request.app.state.runs


def get_maps(request: Request) -> StageMaps:
    return request.app.state.maps


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RunsDep = Annotated[RunStore, Depends(get_runs)]
MapsDep = Annotated[StageMaps, Depends(get_maps)]
