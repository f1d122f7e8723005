"""asyncio scenarios in tests, run on a loop of their own thread.

After the browser tests, Playwright keeps an event loop running in the main thread, where
``asyncio.run`` refuses to start another one.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable


def run_on_own_loop(main: Callable[[], Awaitable[object]]) -> None:
    """``asyncio.run(main())`` in a thread of its own; what it raises is raised here."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(main())  # type: ignore[arg-type]
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
