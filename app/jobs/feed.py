"""One job's metrics.jsonl, read once by the server and shared by every listener.

The manager polls each live job's file (one ``stat`` per job per tick) and appends what is new;
listeners only wait on an event and read the shared list, so ten listeners cost what one does.
Each record's SSE payload is serialised once, here. A feed exists only while a job has listeners
or runs here (the manager drops the others), so memory follows what is watched, not what was run.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import time
from dataclasses import dataclass

from .folder import JobFolder, Record, parse_lines
from .protocol import EventType, StatusFields, StatusLine


@dataclass(frozen=True)
class Event:
    id: int
    name: EventType
    data: str  # JSON of the record's fields, as the SSE data line carries it


class JobFeed:
    def __init__(self, folder: JobFolder) -> None:
        self.folder = folder
        self.records: list[Record] = []
        self.events: list[Event] = []
        self._ids: list[int] = []
        self._offset = 0
        self._lines = 0
        self._changed = asyncio.Event()
        self.listeners = 0  # open event streams on this feed
        self.gone_since: float | None = None  # monotonic time the job was first seen without a worker and unfinished
        self.read()

    @property
    def finished(self) -> bool:
        """The job's final status line has been read: nothing more will come."""
        return bool(self.records) and self.records[-1].name is EventType.STATUS and self.records[-1].value.status.final

    def read(self) -> bool:
        """Take in complete lines written since the last read; True when there were any."""
        try:
            size = self.folder.metrics.stat().st_size
        except FileNotFoundError:
            return False
        if size <= self._offset:
            return False
        with self.folder.metrics.open("rb") as f:
            f.seek(self._offset)
            blob = f.read(size - self._offset)
        records, used = parse_lines(blob, self._lines + 1)
        if not used:
            return False  # only part of a line so far
        self._offset += used
        self._lines += blob[:used].count(b"\n")
        self._append(records)
        return True

    def end(self, value: StatusFields) -> None:
        """Finish the feed with a status event the file lacks (its worker is gone without writing one).
        Its id is the next line's, so a listener that reconnects does not get it twice."""
        last = self.records[-1] if self.records else None
        line = StatusLine(step=last.step if last else 0, epoch=last.epoch if last else 0, value=value, time=time.time())
        self._lines += 1
        self._append([Record(self._lines, line)])

    def _append(self, records: list[Record]) -> None:
        self.records += records
        self._ids += [r.id for r in records]
        self.events += [Event(r.id, r.name, json.dumps(r.event_data(), separators=(",", ":"))) for r in records]
        self.wake()

    def wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def index_after(self, event_id: int | None) -> int:
        """Position in :attr:`events` of the first event after ``event_id`` (0 for None: the whole history)."""
        return 0 if event_id is None else bisect.bisect_right(self._ids, event_id)

    async def wait(self, seen: int) -> None:
        """Return once there are more than ``seen`` events, or on :meth:`wake`."""
        if len(self.events) <= seen:
            await self._changed.wait()
