"""Limits no single request may pass: body size, and a bounded gate in front of the compute endpoints.

Plain ASGI middleware (like :mod:`app.api.timing`), so a refusal costs no parsing and no thread.

The gate admits ``compute_workers`` requests at a time and lets ``compute_queue`` more wait; past
that it answers 503 with ``Retry-After`` at once instead of queueing without bound. A request still
unanswered after ``request_timeout`` seconds gets 503 too. Torch cannot be interrupted mid-op, so a
request that already started keeps its worker until its thread returns: the gate never lets more
than ``compute_workers`` computations run, even after timeouts.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import Iterable

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..settings import Settings
from .ratelimit import TokenBuckets

log = logging.getLogger(__name__)

MODELS_PATH = "/api/models"  # its body may carry two model files (BodyLimit)


async def refuse(scope: Scope, send: Send, status: int, message: str, retry_after: float | None = None) -> None:
    headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if retry_after is not None else None
    await JSONResponse({"detail": message}, status_code=status, headers=headers)(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


class BodyLimit:
    """413 for a body over ``max_body_bytes``: from Content-Length before reading, else while streaming.

    ``POST /api/models`` carries up to two files of ``max_model_bytes`` each (an ONNX file and a
    state_dict) and is allowed that much more; its route checks each file against the limit."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.limit = settings.max_body_bytes
        self.models_limit = settings.max_body_bytes + 2 * settings.max_model_bytes

    def _message(self, limit: int) -> str:
        if limit == self.models_limit:
            return (f"The request body is over this server's limit of {limit:,} bytes for POST /api/models "
                    "(LAYERLAB_MAX_MODEL_BYTES per file).")
        return f"The request body is over this server's limit of {limit:,} bytes (LAYERLAB_MAX_BODY_BYTES)."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.models_limit if scope["path"] == MODELS_PATH else self.limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await refuse(scope, send, 413, self._message(limit))
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                # FastAPI passes an HTTPException raised while reading the body through as the answer.
                raise HTTPException(413, self._message(limit))
            return message

        await self.app(scope, counted, send)


class ComputeGate:
    """Gates the requests whose path matches one of ``paths``: the compute routes' path patterns,
    declared once in :mod:`app.api.main` (``COMPUTE``)."""

    def __init__(self, app: ASGIApp, settings: Settings, paths: Iterable[re.Pattern[str]]) -> None:
        self.app = app
        self.paths = tuple(paths)
        self.workers = settings.compute_workers
        self.capacity = settings.compute_workers + settings.compute_queue
        self.timeout = settings.request_timeout
        self.buckets = TokenBuckets.parse(settings.rate_limit) if settings.rate_limit else None
        self._admitted = 0  # running + waiting; only touched on the event loop
        self._slots: asyncio.Semaphore | None = None  # made on first use, inside the server's loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.gates(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.buckets is not None:
            client = scope["client"][0] if scope.get("client") else "unknown"
            wait = self.buckets.take(client)
            if wait > 0:
                limit = self.buckets.spec
                await refuse(scope, send, 429, f"Too many requests from {client}: at most {limit} (LAYERLAB_RATE_LIMIT).", wait)
                return
        if self._admitted >= self.capacity:
            await refuse(
                scope, send, 503,
                f"The server is busy: {self.workers} computations running and {self.capacity - self.workers} waiting "
                "(LAYERLAB_COMPUTE_WORKERS, LAYERLAB_COMPUTE_QUEUE). Try again shortly.",
                retry_after=1,
            )
            return
        await self._admit(scope, receive, send)

    def gates(self, path: str) -> bool:
        return any(pattern.match(path) for pattern in self.paths)

    @property
    def admitted(self) -> int:
        """Requests running or waiting for a worker now."""
        return self._admitted

    async def _admit(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        slots = self._slots
        started = responding = timed_out = False

        async def guarded_send(message: Message) -> None:
            nonlocal responding
            if not timed_out:  # after a timeout's 503 the late answer goes nowhere
                responding = True
                await send(message)

        async def work() -> None:
            nonlocal started
            async with slots:
                started = True
                await self.app(scope, receive, guarded_send)

        self._admitted += 1
        task = asyncio.ensure_future(work())
        task.add_done_callback(self._release)
        done, _ = await asyncio.wait({task}, timeout=self.timeout)
        if task in done or responding:  # answered in time, or already sending its answer
            await task
            return
        timed_out = True
        if not started:
            task.cancel()  # still waiting for a worker: nothing to finish
        await refuse(
            scope, send, 503,
            f"The request did not finish within {self.timeout:g} s (LAYERLAB_REQUEST_TIMEOUT): the server is busy, "
            "or the request is too large for it.",
            retry_after=self.timeout / 4,
        )

    def _release(self, task: asyncio.Task) -> None:
        self._admitted -= 1
        if not task.cancelled() and task.exception() is not None:
            log.error("compute request failed", exc_info=task.exception())
