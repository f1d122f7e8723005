"""A job on disk: the whole interface between the server and a worker, wherever the worker runs.

``<data dir>/jobs/<id>/``:

- ``config.json``  — the :class:`JobConfig` (written once by whoever creates the job);
- ``status.json``  — status, times, pid, progress totals, error (replaced atomically);
- ``metrics.jsonl`` — one flushed line per record ``{"step", "epoch", "name", "value", "time"}``, where
  ``name`` is the event type (``step``, ``epoch``, ``status``, ``layer_health``, ``activations``) and
  ``value`` its fields; the 1-based
  line number is the record's id (the SSE event id);
- ``checkpoints/epoch-<n>.pt`` — the model's ``state_dict`` after epoch n (0: initial weights),
  loadable with ``torch.load(..., weights_only=True)``;
- ``stderr.log`` — the worker's stderr; its last lines become the error of a worker that died.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from ..models.checkpoints import checkpoint_epoch, checkpoint_epochs, checkpoint_path, is_job_id
from ..storage import write_atomic
from .config import JobConfig

__all__ = ["EventType", "JobFolder", "JobStatus", "MetricsWriter", "Record", "is_job_id", "new_job_id", "parse_lines"]


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class EventType(StrEnum):
    STEP = "step"
    EPOCH = "epoch"
    STATUS = "status"
    LAYER_HEALTH = "layer_health"  # every health_every steps: per layer grad_norm, weight_norm, update_ratio, and lr
    ACTIVATIONS = "activations"  # every epoch (0 included): per stage a histogram, and dead_fraction where units can die


@dataclass(frozen=True)
class Record:
    """One line of metrics.jsonl."""

    id: int  # 1-based line number
    name: EventType
    step: int
    epoch: int
    value: dict[str, Any]
    time: float

    def event_data(self) -> dict[str, Any]:
        """What the SSE event and the history carry: the record's fields, flat."""
        return {"step": self.step, "epoch": self.epoch, **self.value, "time": self.time}


def new_job_id() -> str:
    """Sortable by creation time (newest first is a reverse sort), unguessable enough to share."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


def write_json_atomic(path: Path, data: Any) -> None:
    write_atomic(path, json.dumps(data).encode())


def parse_lines(blob: bytes, first_id: int) -> tuple[list[Record], int]:
    """Complete lines of ``blob`` as records, and how many bytes they used (a partial last line waits)."""
    records: list[Record] = []
    used = blob.rfind(b"\n") + 1
    for offset, line in enumerate(blob[:used].splitlines()):
        try:
            row = json.loads(line)
            records.append(Record(first_id + offset, EventType(row["name"]), row["step"], row["epoch"], row["value"], row["time"]))
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a killed worker: skipped, its number stays taken
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

    def status(self) -> dict[str, Any]:
        try:
            return json.loads((self.path / "status.json").read_text())
        except (OSError, ValueError):
            return {"status": JobStatus.FAILED, "error": "status.json is missing or unreadable"}

    def write_status(self, **fields: Any) -> dict[str, Any]:
        """Merge ``fields`` into status.json (atomically: a reader never sees half a file)."""
        current = self.status() if (self.path / "status.json").exists() else {}
        current.update(fields)
        write_json_atomic(self.path / "status.json", current)
        return current

    def checkpoint(self, epoch: int) -> Path:
        return checkpoint_path(self.path, epoch)  # the layout app.models reads back

    def checkpoint_epochs(self) -> list[int]:
        return checkpoint_epochs(self.path)

    def checkpoint_epoch(self, epoch: int | None) -> int:
        """``epoch`` if it has a checkpoint, the latest for None; NotFoundError otherwise."""
        return checkpoint_epoch(self.path, epoch)

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

    def write(self, name: EventType, step: int, epoch: int, value: dict[str, Any], at: float | None = None) -> None:
        row = {"step": step, "epoch": epoch, "name": name.value, "value": value, "time": at if at is not None else time.time()}
        self._file.write(json.dumps(row, separators=(",", ":")) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()
