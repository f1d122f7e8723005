"""Retention: the data dir kept under ``LAYERLAB_MAX_DATA_BYTES`` and ``LAYERLAB_MAX_DATA_AGE_DAYS``.

Only what layerlab can re-create or its owner has finished with is pruned, oldest first: stored run
requests, uploads, finished jobs and imported models (whole folders). A pruned run's maps answer 404
once it leaves memory; a pruned upload or imported model is uploaded again. Datasets are never
pruned. Each kind of prunable thing is one function in :data:`PRUNABLE`; a new kind adds its own.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .jobs.folder import JobFolder, is_job_id

log = logging.getLogger(__name__)
PRUNE_EVERY_S = 300.0


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


def stored_runs(data_dir: Path) -> list[Entry]:
    return file_entries(data_dir / "runs", "*.json")


def uploads(data_dir: Path) -> list[Entry]:
    return file_entries(data_dir / "uploads", "*.png")


def finished_jobs(data_dir: Path) -> list[Entry]:
    """Whole job folders with a final status; a queued or running job is never pruned."""
    jobs = [JobFolder(p) for p in (data_dir / "jobs").glob("*/") if is_job_id(p.name) and (p / "config.json").is_file()]
    return [folder_entry(job.path) for job in jobs if job.status().status.final]


def imported_models(data_dir: Path) -> list[Entry]:
    """Whole model folders (the shipped ones live in the package, not here, and are never pruned)."""
    return [folder_entry(p) for p in (data_dir / "models").glob("*/")]


# Every kind of prunable thing, each a function of the data dir; datasets are never pruned.
PRUNABLE: list[Callable[[Path], list[Entry]]] = [stored_runs, uploads, finished_jobs, imported_models]


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


def prune_data_dir(data_dir: Path, max_bytes: int, max_age_days: float) -> list[Entry]:
    """Prune every kind in :data:`PRUNABLE`, as one pool: the oldest go first, whatever their kind."""
    entries = [entry for kind in PRUNABLE for entry in kind(data_dir)]
    return prune(entries, max_bytes, max_age_days * 86400)


async def prune_periodically(data_dir: Path, max_bytes: int, max_age_days: float) -> None:
    """At start-up and every few minutes, off the event loop; the lifespan cancels it at shutdown.
    A failed pass (a damaged job folder, a permission) is logged and the next one runs as planned."""
    while True:
        try:
            await asyncio.to_thread(prune_data_dir, data_dir, max_bytes, max_age_days)
        except Exception:
            log.exception("pruning the data dir failed; trying again in %.0f s", PRUNE_EVERY_S)
        await asyncio.sleep(PRUNE_EVERY_S)
