"""A stage map that is already drawn, answered straight from memory, before routing.

The lab asks for every map of a run right after it (``?draw_maps=true`` has them drawn alongside it),
so most map requests find their PNG drawn. Through FastAPI such an answer cost ~0.4 ms of server
time, almost all of it the framework's (routing, dependencies, the compute gate's task); a run with
backward and its ten gradient maps spent ~5 ms there. Here it costs ~0.06 ms: the path and query are
read as the route reads them (:class:`~app.api.routes.runs.MapQueryParams`), and the bytes are the
same ones the route would send. Anything else (a map not drawn yet, a query the route would refuse,
another path) goes on to the app unchanged, so refusals and drawing stay the route's.

A drawn map is served like a static file: nothing is computed, so neither the compute gate nor the
rate limit (app/api/limits.py) applies to it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import parse_qsl

from pydantic import ValidationError
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..runs.maps import MapOf
from .routes.runs import IMMUTABLE, MapQueryParams

_MAP_PATH = re.compile(r"/api/runs/(?P<run_id>[0-9a-f]{32})/(?P<of>maps|grads)/(?P<k>[0-9]{1,6})\.png")
_OF = {"maps": MapOf.OUTPUT, "grads": MapOf.GRAD}


class DrawnMaps:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        png = self._drawn(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        if png is None:
            await self.app(scope, receive, send)
            return
        await Response(png, media_type="image/png", headers=IMMUTABLE)(scope, receive, send)

    @staticmethod
    def _drawn(scope: Scope) -> bytes | None:
        found = _MAP_PATH.fullmatch(scope["path"])
        maps = getattr(scope["app"].state, "maps", None) if found else None  # None before the lifespan started
        if maps is None:
            return None
        try:
            # dict: the last of a repeated parameter, as FastAPI reads a single-valued one
            params = MapQueryParams.model_validate(dict(parse_qsl(scope["query_string"].decode("latin-1"))))
        except (ValidationError, UnicodeDecodeError):
            return None  # the route answers its 422
        query = replace(params.map_query(), of=_OF[found["of"]])
        return maps.drawn_png(found["run_id"], int(found["k"]), query)
