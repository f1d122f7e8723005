"""How freed tensor memory is kept: given back in the server, reused in a training worker (glibc only).

The server: glibc raises its mmap threshold after large blocks are freed, so later large tensors (a
run's outputs, evicted from the run cache a moment later) come from the heap, whose freed space
stays in the process: RSS grew ~70 MB above the run cache's budget in ``bench/render_bench.py``. A
fixed threshold keeps every large tensor in its own mapping, returned to the system when it is freed.
It is 1 MiB, not glibc's initial 128 KiB: each block in a mapping of its own is page-faulted in afresh on
every use, and importing a 583 kB model file copies it ~8 times (the form, the upload, the safetensors
file, ...). At 256 KiB an import and its first run took 1,119 + 156 page faults and ~2 ms more
(models_bench); at 1 MiB 416 + 6. Tensors worth returning (a 512x512 image's stages) are far bigger.

A training worker wants the opposite. Every step allocates and frees the same activations and
gradients (8 MB each for example 14 at batch 64); left to glibc's sliding threshold they were often
fresh mappings, 4,000-6,000 page faults per step, and the step ran ~25 % slower (measured: 929-1,188
img/s with the faults, 1,386-1,505 without, NCHW). A high fixed threshold and no trimming keep one
step's memory in the heap, reused by the next.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1  # from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 1024 * 1024
REUSE_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest allowed on 64-bit; bigger blocks are still mapped
REUSE_TRIM_THRESHOLD = 1024 * 1024 * 1024


@functools.cache  # find_library runs `ldconfig -p` (~2 ms): once a process, not twice per attribution
def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def return_large_blocks_to_the_os() -> bool:
    """True when glibc accepted the fixed mmap threshold; elsewhere (musl, macOS) nothing is changed."""
    global _returning
    libc = _glibc()
    if libc is None:
        log.debug("not glibc; leaving the allocator as it is")
        return False
    _returning = bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    return _returning


_returning = False  # this process returns large blocks (the server, after return_large_blocks_to_the_os)
_DEFAULT_TRIM_THRESHOLD = 128 * 1024  # glibc's M_TRIM_THRESHOLD default
_reusers = 0  # computations inside reusing_freed_memory now
_reuse_lock = threading.Lock()


@contextmanager
def reusing_freed_memory() -> Iterator[None]:
    """In a server that returns large blocks: keep freed memory for reuse while a computation frees and allocates
    the same large blocks many times, then return it. Integrated gradients runs the network forward and backward
    on 32 copies of the input; with each activation a fresh mapping Captum ran ~13 % slower (77.6 vs 67.6 ms,
    example 14, one thread). The setting is process-wide: the first computation in switches, the last out
    switches back and trims the heap. Nothing changes in a process that does not return large blocks."""
    global _reusers
    with _reuse_lock:
        switch = _returning and _reusers == 0
        _reusers += 1
        if switch:
            keep_freed_memory_for_reuse()
    try:
        yield
    finally:
        with _reuse_lock:
            _reusers -= 1
            libc = _glibc() if _returning and _reusers == 0 else None
            if libc is not None:
                libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD)
                release_free_heap()


def release_free_heap() -> None:
    """Hand the heap's free pages back (``malloc_trim``), e.g. after decoding 60,000 small images at start."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def keep_freed_memory_for_reuse() -> bool:
    """For a training process: blocks up to 32 MB come from the heap and freed space stays for the next step.

    True when glibc accepted both settings; elsewhere nothing is changed.
    """
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, REUSE_MMAP_THRESHOLD)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, REUSE_TRIM_THRESHOLD))


def keep_startup_objects_out_of_collections() -> int:
    """Move every object alive after start-up (torch's and the app's modules, the dataset) out of the
    garbage collector's reach; answers how many.

    They live as long as the process, yet each full collection walked all of them: ~450,000 objects,
    2-3 s with every thread stopped (measured at load 6 on 2 cores), which held a request for as long
    whenever the oldest generation's turn came (tests/api/test_jobs.py saw healthz wait 1.7 s on one).
    Frozen, a full collection of what requests leave behind takes milliseconds.
    """
    import gc

    gc.freeze()
    return gc.get_freeze_count()
