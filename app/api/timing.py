"""``Server-Timing: app;dur=<ms>`` on every response: the server's own time, without the network.

Browsers show it in their network panel, and ``bench/render_bench.py`` sums it, so a benchmark of
the server is not a benchmark of the HTTP client. Plain ASGI (no BaseHTTPMiddleware): it adds one
header and never touches the body.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ServerTiming:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def send_with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - start) * 1000
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"server-timing", f"app;dur={ms:.2f}".encode())]
            await send(message)

        await self.app(scope, receive, send_with_timing)
