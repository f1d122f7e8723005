"""A job on disk: the whole interface between the server and a worker, wherever the worker runs.

``<data dir>/jobs/<id>/``:

- ``config.json``  — the :class:`JobConfig` (written once by whoever creates the job);
- ``status.json``  — a :class:`~.protocol.StatusFile`: status, times, pid, progress totals, error
  (replaced atomically);
- ``metrics.jsonl`` — one flushed :data:`~.protocol.Line` per record ``{"step", "epoch", "name", "value",
  "time"}``, where ``name`` is the event type (``step``, ``epoch``, ``status``, ``layer_health``, ``activations``) and ``value`` its
  fields; the 1-based line number is the record's id (the SSE event id);
- ``checkpoints/epoch-<n>.pt`` — the model's ``state_dict`` after epoch n (0: initial weights),
  loadable with ``torch.load(..., weights_only=True)``;
- ``stderr.log`` — the worker's stderr; its last lines become the error of a worker that died.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..models.checkpoints import checkpoint_epoch, checkpoint_epochs, checkpoint_path, is_job_id
from ..storage import write_atomic
from .config import JobConfig
from .protocol import EventType, JobStatus, Line, StatusFile, event_data, line_json, parse_line, read_status

__all__ = ["EventType", "JobFolder", "JobStatus", "MetricsWriter", "Record", "is_job_id", "new_job_id", "parse_lines"]


_PARTIAL_CHECKPOINT = ".epoch-*.pt.tmp"  # what a worker killed while saving leaves (see Worker._checkpoint)
TAIL_BYTES = 64 * 1024  # the end of metrics.jsonl a job's summary is drawn from: dozens of steps, the last epoch



@dataclass(frozen=True)
class Record:
    """One line of metrics.jsonl and its id (the 1-based line number)."""

    id: int
    line: Line

    @property
    def name(self) -> EventType:
        return self.line.name

    @property
    def step(self) -> int:
        return self.line.step

    @property
    def epoch(self) -> int:
        return self.line.epoch

    @property
    def time(self) -> float:
        return self.line.time

    @property
    def value(self) -> Any:
        """The event type's fields: StepFields, EpochFields or StatusFields."""
        return self.line.value

    def event_data(self) -> dict[str, Any]:
        """What the SSE event and the history carry: the record's fields, flat."""
        return event_data(self.line)


_last_id_us = 0


def new_job_id() -> str:
    """Sortable by creation time to the microsecond (newest first is a reverse sort; two ids made by
    one process never tie), unguessable enough to share."""
    global _last_id_us
    now_us = _last_id_us = max(time.time_ns() // 1000, _last_id_us + 1)
    seconds, micro = divmod(now_us, 1_000_000)
    return f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime(seconds))}-{micro:06d}-{secrets.token_hex(3)}"




def parse_lines(blob: bytes, first_id: int) -> tuple[list[Record], int]:
    """Complete lines of ``blob`` as records, and how many bytes they used (a partial last line waits)."""
    records: list[Record] = []
    used = blob.rfind(b"\n") + 1
    for offset, text in enumerate(blob[:used].splitlines()):
        line = parse_line(text)
        if line is not None:  # else cut short by a killed worker, or a newer worker's event: skipped, its number stays taken
            records.append(Record(first_id + offset, line))
    return records, used


@dataclass(frozen=True)
class JobFolder:
    path: Path

    @classmethod
    def create(cls, jobs_dir: Path, config: JobConfig) -> JobFolder:
        folder = cls(jobs_dir / new_job_id())
        folder.checkpoints.mkdir(parents=True)
        (folder.path / "config.json").write_text(json.dumps(config.as_json()))
        folder.write_status(status=JobStatus.QUEUED, created=time.time())
        return folder

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def metrics(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def stderr(self) -> Path:
        return self.path / "stderr.log"

    def config(self) -> JobConfig:
        return JobConfig.model_validate_json((self.path / "config.json").read_text())

    def status(self) -> StatusFile:
        try:
            return read_status((self.path / "status.json").read_bytes())
        except (OSError, ValueError):  # pydantic's ValidationError is a ValueError
            return StatusFile(status=JobStatus.FAILED, error="status.json is missing or unreadable")

    def write_status(self, **fields: Any) -> StatusFile:
        """Merge ``fields`` (names of :class:`StatusFile`) into status.json, atomically: a reader never
        sees half a file."""
        current = StatusFile.written(self.status() if (self.path / "status.json").exists() else None, **fields)
        write_atomic(self.path / "status.json", current.to_json())
        return current

    def checkpoint(self, epoch: int) -> Path:
        return checkpoint_path(self.path, epoch)  # the layout app.models reads back

    def checkpoint_epochs(self) -> list[int]:
        return checkpoint_epochs(self.path)

    def checkpoint_epoch(self, epoch: int | None) -> int:
        """``epoch`` if it has a checkpoint, the latest for None; NotFoundError otherwise."""
        return checkpoint_epoch(self.path, epoch)

    def remove_partial_checkpoints(self) -> list[Path]:
        """Remove the temporary files of checkpoints whose save never finished (a killed worker's)."""
        partial = list(self.checkpoints.glob(_PARTIAL_CHECKPOINT)) if self.checkpoints.is_dir() else []
        for path in partial:
            path.unlink(missing_ok=True)
        return partial

    def stderr_tail(self, lines: int = 12) -> str:
        try:
            text = self.stderr.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def read_records(self) -> list[Record]:
        try:
            blob = self.metrics.read_bytes()
        except FileNotFoundError:
            return []
        return parse_lines(blob, 1)[0]

    def recent_records(self, nbytes: int = TAIL_BYTES) -> list[Record]:
        """The records of the last ``nbytes`` of metrics.jsonl (ids counted from 1 there, not the
        file's): what a summary needs, without reading a long job's whole history."""
        try:
            with self.metrics.open("rb") as f:
                size = f.seek(0, 2)
                if size <= nbytes:
                    f.seek(0)
                    return parse_lines(f.read(), 1)[0]
                f.seek(size - nbytes)
                blob = f.read(nbytes)
        except FileNotFoundError:
            return []
        return parse_lines(blob[blob.find(b"\n") + 1 :], 1)[0]  # the first line is cut: dropped


class MetricsWriter:
    """Appends records to metrics.jsonl, one flushed line each (a reader tails the file)."""

    def __init__(self, folder: JobFolder) -> None:
        self._repair(folder.metrics)
        self._file = folder.metrics.open("a", encoding="utf-8")

    @staticmethod
    def _repair(path: Path) -> None:
        # A worker killed mid-write leaves a partial last line; the next writer drops it.
        if not path.exists() or path.stat().st_size == 0:
            return
        blob = path.read_bytes()
        if not blob.endswith(b"\n"):
            with path.open("r+b") as f:
                f.truncate(blob.rfind(b"\n") + 1)

    def write(self, line: Line) -> None:
        self._file.write(line_json(line) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()
