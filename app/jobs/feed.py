"""One job's metrics.jsonl, read once by the server and shared by every listener.

The manager polls each live job's file (one ``stat`` per job per tick) and appends what is new;
listeners only wait on an event and read the shared list, so ten listeners cost what one does.
Each record's SSE payload is serialised once, here.
"""

from __future__ import annotations

import asyncio
import bisect
import json
from dataclasses import dataclass

from .folder import EventType, JobFolder, JobStatus, Record, parse_lines


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
        self.read()

    @property
    def finished(self) -> bool:
        """The job's final status line has been read: nothing more will come."""
        return bool(self.records) and self.records[-1].name is EventType.STATUS and JobStatus(self.records[-1].value["status"]).final

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
        self.records += records
        self._ids += [r.id for r in records]
        self.events += [Event(r.id, r.name, json.dumps(r.event_data(), separators=(",", ":"))) for r in records]
        self.wake()
        return True

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
