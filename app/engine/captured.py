"""torch's warnings, each kept by the run that raised it, even when runs overlap on threads.

``warnings.catch_warnings`` swaps process-wide state (the filter list and the function that shows a
warning), so two requests on the thread pool would swallow or steal each other's warnings
(cpython gh-128384; Python 3.14 fixes it only behind ``-X context_aware_warnings``). Instead two
hooks are installed once, and both consult a context variable, which every thread has its own of:

- a filter kept first in ``warnings.filters`` whose message pattern matches only while the current
  context captures. Its action is "always": inside a run every warning is recorded however often it
  was seen before, and no filter set elsewhere ("error" under pytest, "ignore") decides for it.
- ``warnings._showwarnmsg``, the one function CPython calls to show a warning (``catch_warnings``
  swaps ``showwarning`` and ``_showwarnmsg_impl`` behind it, never this one): it appends the warning
  to the capturing context's list and passes every other warning on unchanged.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_sink: ContextVar[list[str] | None] = ContextVar("layerlab_captured_warnings", default=None)


class _WhileCapturing:
    """Stands where a filter's message regex stands: CPython calls ``match(text)`` on it."""

    def match(self, _text: str) -> bool:
        return _sink.get() is not None


_FILTER = ("always", _WhileCapturing(), Warning, None, 0)
_install_lock = threading.Lock()
_shown_elsewhere: Callable[[Any], None] | None = None


def _show(message: warnings.WarningMessage) -> None:
    sink = _sink.get()
    if sink is None:
        assert _shown_elsewhere is not None
        _shown_elsewhere(message)
    else:
        sink.append(str(message.message))


def _ensure_installed() -> None:
    """Both hooks in place, the filter first (code such as pytest inserts its own filters in front)."""
    global _shown_elsewhere
    filters = warnings.filters
    if warnings._showwarnmsg is _show and filters and filters[0] is _FILTER:  # type: ignore[attr-defined]
        return
    with _install_lock:
        if warnings._showwarnmsg is not _show:  # type: ignore[attr-defined]
            _shown_elsewhere = warnings._showwarnmsg  # type: ignore[attr-defined]
            warnings._showwarnmsg = _show  # type: ignore[attr-defined]
        filters = warnings.filters
        while _FILTER in filters:
            filters.remove(_FILTER)
        filters.insert(0, _FILTER)
        # A warning already shown once outside a run is remembered per module and would be skipped
        # before any filter is asked; this makes CPython forget those (as filterwarnings() does).
        warnings._filters_mutated()  # type: ignore[attr-defined]


@contextmanager
def captured_warnings() -> Iterator[list[str]]:
    """The messages of every warning raised in this thread (or task) inside the block, in order."""
    _ensure_installed()
    caught: list[str] = []
    token = _sink.set(caught)
    try:
        yield caught
    finally:
        _sink.reset(token)
