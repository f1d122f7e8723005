"""A memory budget for decoding uploads: each decode reserves its peak (from the header) first.

The compute gate bounds how many uploads run at once; this bounds the bytes they hold at once, so a
burst of the largest images waits its turn instead of multiplying the server's memory.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import PayloadTooLargeError, BusyError


class MemoryBudget:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._held = 0
        self._freed = threading.Condition()

    @property
    def held(self) -> int:
        return self._held

    @contextmanager
    def reserve(self, nbytes: int, timeout: float) -> Iterator[None]:
        """Hold ``nbytes`` of the budget for the block; wait up to ``timeout`` s for them, else refuse."""
        if nbytes > self.capacity:
            raise PayloadTooLargeError(
                f"Decoding this image needs about {nbytes:,} bytes, more than this server lets one upload use "
                f"({self.capacity:,}, LAYERLAB_DECODE_MEMORY_BYTES). Upload a smaller image."
            )
        deadline = time.monotonic() + timeout
        with self._freed:
            while self._held + nbytes > self.capacity:
                left = deadline - time.monotonic()
                if left <= 0 or not self._freed.wait(left) and self._held + nbytes > self.capacity:
                    raise BusyError(
                        f"The server is decoding other large uploads (LAYERLAB_DECODE_MEMORY_BYTES={self.capacity:,}); "
                        "try again shortly."
                    )
            self._held += nbytes
        try:
            yield
        finally:
            with self._freed:
                self._held -= nbytes
                self._freed.notify_all()
