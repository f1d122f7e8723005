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


def return_large_blocks_to_the_os() -> bool:
    """True when glibc accepted the fixed mmap threshold."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):  # not glibc (musl, macOS): their allocators behave differently
        log.debug("mallopt unavailable; leaving the allocator as it is")
        return False


def release_free_heap() -> None:
    """Hand the heap's free pages back (``malloc_trim``), e.g. after decoding 60,000 small images at start."""
    name = ctypes.util.find_library("c")
    try:
        if name:
            ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError):
        pass
