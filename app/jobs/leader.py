"""Which server process starts jobs, when several share one data dir (``LAYERLAB_WEB_WORKERS`` > 1,
or replicas on a shared volume).

One process holds an exclusive ``flock`` on ``jobs/.leader.lock`` and is the jobs' leader: it scans
the folder at start-up, starts queued jobs, reaps workers and writes the final status of those that
died. The others create jobs, tail their metrics and cancel them (by the worker's pid), and try the
lock now and then, so one of them takes over when the leader's process ends (the kernel drops a dead
process's lock). A job created by a follower is announced by touching ``jobs/.queued``, which the
leader checks with one ``stat`` per liveness tick.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # not POSIX: one process per data dir, always the leader
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = ".leader.lock"
QUEUED_MARK = ".queued"


class LeaderLock:
    def __init__(self, jobs_dir: Path) -> None:
        self._path = jobs_dir / LOCK_FILE
        self._file: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None or fcntl is None

    def try_acquire(self) -> bool:
        """True when this process is (now) the leader; never blocks."""
        if self.held:
            return True
        f = self._path.open("ab")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another process holds it
            f.close()
            return False
        self._file = f
        return True

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file drops the lock
            self._file = None


class QueuedMark:
    """A file that grows by one byte per job queued: one ``stat`` tells the leader to look (its size,
    unlike a time stamp, changes however close together two jobs come)."""

    def __init__(self, jobs_dir: Path) -> None:
        self._path = jobs_dir / QUEUED_MARK
        self._seen = self._size()

    def announce(self) -> None:
        with self._path.open("ab") as f:
            f.write(b".")

    def changed(self) -> bool:
        size = self._size()
        if size == self._seen:
            return False
        self._seen = size
        return True

    def _size(self) -> int:
        try:
            return self._path.stat().st_size
        except FileNotFoundError:
            return 0
