"""Refusals outside the engine (ids, files, limits), mapped to HTTP statuses by the API layer."""

from __future__ import annotations


class NotFoundError(Exception):
    """An id, split or index that does not exist (404)."""


class PayloadTooLargeError(Exception):
    """An upload over the byte or pixel limit (413)."""


class UnsupportedMediaError(Exception):
    """A file that is not an image layerlab can read (415)."""


class BusyError(Exception):
    """The server is at a limit of concurrent work (503)."""


class FieldError(Exception):
    """A request field that parsed but cannot be used (422 with ``loc`` = ["body", *path])."""

    def __init__(self, path: list[str | int], message: str) -> None:
        super().__init__(message)
        self.path = path


class ConflictError(Exception):
    """The request does not fit the thing's state, e.g. cancelling a finished job (409). ``fields``
    go into the answer beside ``detail`` (a job's final ``status``)."""

    def __init__(self, message: str, **fields: str) -> None:
        super().__init__(message)
        self.fields = fields


class StorageFullError(Exception):
    """The data disk is full: nothing was written (507)."""
