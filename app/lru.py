"""A thread-safe least-recently-used map bounded by the bytes of its values, not their number.

Runs, decoded uploads and encoded maps differ in size by orders of magnitude, so a count would
either waste memory or keep almost nothing; every cache here is given a byte budget instead.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ByteLRU(Generic[K, V]):
    def __init__(self, limit_bytes: int, size_of: Callable[[V], int]) -> None:
        self.limit_bytes = limit_bytes
        self._size_of = size_of
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: K) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` unless it alone is over the budget; the least recently used go first."""
        size = self._size_of(value)
        if size > self.limit_bytes:
            return
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self.limit_bytes:
                _, (_, old) = self._items.popitem(last=False)
                self._bytes -= old
