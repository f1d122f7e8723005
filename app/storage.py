"""The data dir's files: written atomically, refused clearly when the disk is full, pruned by size and age.

Every file layerlab writes goes through :func:`write_atomic`: a temporary file beside the target,
then a rename, so a reader (or another server process) sees the old file or the whole new one,
never a torn one, and a full disk leaves nothing behind.

:func:`prune` keeps the re-creatable files (stored run requests, uploads, finished jobs) under
``LAYERLAB_MAX_DATA_BYTES`` and ``LAYERLAB_MAX_DATA_AGE_DAYS``, oldest first. A pruned run's maps
answer 404 once it leaves memory; a pruned upload or imported model is uploaded again.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Entry:
    """One prunable thing: a file, or a whole folder (a finished job)."""

    path: Path
    nbytes: int
    mtime: float


def file_entries(folder: Path, pattern: str) -> list[Entry]:
    entries = []
    for path in folder.glob(pattern):
        try:
            st = path.stat()
        except FileNotFoundError:  # removed meanwhile by another process
            continue
        entries.append(Entry(path, st.st_size, st.st_mtime))
    return entries


def folder_entry(folder: Path) -> Entry:
    sizes, newest = 0, folder.stat().st_mtime
    for path in folder.rglob("*"):
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        sizes += st.st_size
        newest = max(newest, st.st_mtime)
    return Entry(folder, sizes, newest)


def prune(entries: Iterable[Entry], max_bytes: int, max_age_s: float, now: float | None = None) -> list[Entry]:
    """Remove entries older than ``max_age_s``, then the oldest until the rest fit ``max_bytes``; returns those removed."""
    now = time.time() if now is None else now
    ordered = sorted(entries, key=lambda e: e.mtime)
    total = sum(e.nbytes for e in ordered)
    removed = []
    for entry in ordered:
        if total <= max_bytes and now - entry.mtime <= max_age_s:
            break
        if entry.path.is_dir():
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            entry.path.unlink(missing_ok=True)
        total -= entry.nbytes
        removed.append(entry)
    if removed:
        log.info("pruned %d stored items (%d bytes) from the data dir", len(removed), sum(e.nbytes for e in removed))
    return removed


PRUNE_EVERY_S = 300.0


def prune_data_dir(data_dir: Path, max_bytes: int, max_age_days: float) -> list[Entry]:
    """Prune what layerlab can re-create or its owner has finished with: run requests, uploads, finished jobs,
    imported models (the shipped ones live in the package, not here, and are never pruned)."""
    from .jobs.folder import JobFolder, JobStatus  # here, not at the top: job folders write through this module

    jobs = [JobFolder(p) for p in (data_dir / "jobs").glob("*/") if (p / "config.json").is_file()]
    finished = [folder_entry(job.path) for job in jobs if JobStatus(job.status().get("status", "failed")).final]
    models = [folder_entry(p) for p in (data_dir / "models").glob("*/")]
    entries = file_entries(data_dir / "runs", "*.json") + file_entries(data_dir / "uploads", "*.png") + finished + models
    return prune(entries, max_bytes, max_age_days * 86400)


async def prune_periodically(data_dir: Path, max_bytes: int, max_age_days: float) -> None:
    """At start-up and every few minutes, off the event loop; the lifespan cancels it at shutdown."""
    while True:
        try:
            await asyncio.to_thread(prune_data_dir, data_dir, max_bytes, max_age_days)
        except OSError:
            log.exception("pruning the data dir failed; trying again in %.0f s", PRUNE_EVERY_S)
        await asyncio.sleep(PRUNE_EVERY_S)
