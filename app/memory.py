"""Give freed tensor memory back to the operating system (glibc only; elsewhere a no-op).

glibc raises its mmap threshold after large blocks are freed, so later large tensors (a run's
outputs, evicted from the run cache a moment later) come from the heap, whose freed space stays in
the process: RSS grew ~70 MB above the run cache's budget in ``bench/render_bench.py``. A fixed
threshold keeps every large tensor in its own mapping, returned to the system when it is freed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

_M_MMAP_THRESHOLD = -3  # from glibc's malloc.h
MMAP_THRESHOLD = 256 * 1024


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def return_large_blocks_to_the_os() -> bool:
    """True when glibc accepted the fixed mmap threshold; elsewhere (musl, macOS) nothing is changed."""
    libc = _glibc()
    if libc is None:
        log.debug("not glibc; leaving the allocator as it is")
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def release_free_heap() -> None:
    """Hand the heap's free pages back (``malloc_trim``), e.g. after decoding 60,000 small images at start."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
