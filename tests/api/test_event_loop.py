"""Disk and torch work never runs on the event loop: every route but the jobs' (and the two map
routes of ``ASYNC_BY_DESIGN``) is a plain ``def``.

FastAPI runs a plain ``def`` route in its thread pool; an ``async def`` one runs on the loop, where
a slow file read or a torch call would delay every other request (``/healthz`` included). The jobs'
routes (streams) are checked in tests/api/test_jobs.py.
"""

from __future__ import annotations

import inspect

from fastapi.routing import APIRoute

from app.api.main import COMPUTE, OTHER

# Async on purpose, each with why its work on the loop is only a dict lookup under a short lock.
ASYNC_BY_DESIGN = {
    # A map drawn alongside the run (draw_maps) is answered from the loop; any other is drawn, or its
    # draw waited for, on the thread pool (app/api/routes/runs.py map_png, StageMaps.drawn_png).
    "/api/runs/{run_id}/maps/{k}.png",
    "/api/runs/{run_id}/grads/{k}.png",
}


def test_no_route_outside_the_jobs_api_runs_on_the_event_loop() -> None:
    every = [r for module, _ in COMPUTE + OTHER for r in module.router.routes if isinstance(r, APIRoute)]
    routes = [r for r in every if not r.path.startswith("/api/jobs")]
    assert len(routes) > 20
    on_the_loop = [r.path for r in routes if inspect.iscoroutinefunction(r.endpoint) and r.path not in ASYNC_BY_DESIGN]
    assert not on_the_loop, f"async def routes doing their work on the event loop: {on_the_loop}"
