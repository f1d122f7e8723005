"""``/static`` and ``/vendor`` answered from memory, on the event loop.

Starlette's ``StaticFiles`` looks a file up and reads it on the thread pool, two hops per request.
A page asks for its ~30 modules at once, and each hop waits for the GIL behind the others: on two
busy cores a 1 ms file took 45–50 ms to answer (the ``Server-Timing`` of the lab's modules), and
the lab was ready after ~1 s. Here a file is read once (on the thread pool) and kept; later
requests cost one ``os.stat`` on the loop, which also notices an edited file and reads it again.
Anything not a small regular file (a directory, a missing path, a large file) is Starlette's.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

import anyio
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

CACHED_BYTES = 4 * 1024 * 1024  # Swagger UI's bundle (~1.5 MB) is the largest file a page asks for
KEPT_BYTES = 32 * 1024 * 1024  # all kept files together: /vendor is a whole node_modules, a client may ask for all of it


@dataclass(frozen=True)
class _File:
    full_path: str
    mtime_ns: int
    body: bytes
    headers: dict[str, str]  # FileResponse's: type, length, validators


class StaticFilesInMemory(StaticFiles):
    def __init__(self, *, directory: os.PathLike[str] | str) -> None:
        super().__init__(directory=directory)
        self._files: dict[str, _File] = {}
        self._kept_bytes = 0

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            return await super().get_response(path, scope)
        known = self._files.get(path)
        if known is None or not _unchanged(known):
            self._forget(path)  # edited or gone: what was kept is not the file any more
            known = await anyio.to_thread.run_sync(self._read, path)
            if known is None:
                return await super().get_response(path, scope)
            self._keep(path, known)
        response = Response(known.body, headers=known.headers)
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response

    def _forget(self, path: str) -> None:
        if (old := self._files.pop(path, None)) is not None:
            self._kept_bytes -= len(old.body)

    def _keep(self, path: str, file: _File) -> None:
        """Keeps `file` while all kept files fit in ``KEPT_BYTES``; one that does not is served, not kept."""
        if self._kept_bytes + len(file.body) <= KEPT_BYTES:
            self._files[path] = file
            self._kept_bytes += len(file.body)

    def _read(self, path: str) -> _File | None:
        try:
            full_path, stat_result = self.lookup_path(path)  # Starlette's own checks: nothing outside the directory
        except (OSError, ValueError):
            return None  # a name too long, a null byte, no permission: Starlette's answer (404, 401)
        if stat_result is None or not stat.S_ISREG(stat_result.st_mode) or stat_result.st_size > CACHED_BYTES:
            return None
        try:
            with open(full_path, "rb") as f:
                body = f.read()
        except OSError:
            return None  # gone or unreadable since the stat: Starlette's answer
        if len(body) != stat_result.st_size:
            return None  # written to since the stat: Starlette's answer, and read again next time
        # The headers Starlette would send for this file (no file is opened to make them).
        headers = dict(FileResponse(full_path, stat_result=stat_result).headers)
        return _File(full_path, stat_result.st_mtime_ns, body, headers)


def _unchanged(known: _File) -> bool:
    try:
        now = os.stat(known.full_path)
    except OSError:
        return False
    return now.st_mtime_ns == known.mtime_ns and now.st_size == len(known.body)
