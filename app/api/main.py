"""Collects every router; ``app.main`` includes this one."""

from __future__ import annotations

from fastapi import APIRouter

from .routes import activations, colormaps, datasets, health, jobs, layers, losses, pages, pipeline, runs, stages, uploads

api_router = APIRouter()
for module in (health, layers, pipeline, runs, stages, colormaps, activations, losses, uploads, datasets, jobs, pages):
    api_router.include_router(module.router)
