"""The data dir's files: written atomically, refused clearly when the disk is full.

Every file layerlab writes goes through :func:`write_atomic`: a temporary file beside the target,
then a rename, so a reader (or another server process) sees the old file or the whole new one,
never a torn one, and a full disk leaves nothing behind. What is removed again, and when, is
:mod:`app.retention`'s.
"""

from __future__ import annotations

import errno
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .errors import StorageFullError

log = logging.getLogger(__name__)
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def write_atomic(path: Path, data: bytes | Callable[[BinaryIO], object]) -> None:
    """``path`` holds ``data`` entirely or is untouched; raises StorageFullError when the disk is full.

    ``data`` is the bytes, or a function writing them to the open file (so they need not be in memory at once).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, bytes):
                f.write(data)
            else:
                data(f)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.errno in _FULL:
            raise StorageFullError(
                f"The server's data disk is full; {path.name} was not stored and nothing was changed. "
                "Try again later; the operator can free space or lower LAYERLAB_MAX_DATA_BYTES."
            ) from exc
        raise
