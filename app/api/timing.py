"""``Server-Timing: app;dur=<ms>`` on every response: the server's own time, without the network.

Browsers show it in their network panel, and ``bench/render_bench.py`` sums it, so a benchmark of
the server is not a benchmark of the HTTP client. Plain ASGI (no BaseHTTPMiddleware): it adds one
header and never touches the body.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class AppendHeaders:
    """Plain ASGI middleware that appends :meth:`headers` to every HTTP response's start message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def headers(self, started: float) -> list[tuple[bytes, bytes]]:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers(started)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ServerTiming(AppendHeaders):
    def headers(self, started: float) -> list[tuple[bytes, bytes]]:
        ms = (time.perf_counter() - started) * 1000
        return [(b"server-timing", f"app;dur={ms:.2f}".encode())]
