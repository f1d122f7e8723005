"""The job folder's protocol: what a worker writes and everything else reads, as pydantic models.

The folder (:mod:`.folder`) is the only interface between the server and a worker, wherever the
worker runs (a child process, torchrun, a Ray cluster). Its two changing files:

- ``status.json`` — one :class:`StatusFile`, replaced atomically;
- ``metrics.jsonl`` — one :class:`Line` per record: ``{"step", "epoch", "name", "value", "time"}``,
  where ``name`` is the :class:`EventType` and ``value`` that type's fields (:class:`StepFields`,
  :class:`EpochFields`, :class:`StatusFields`).

The API shows the same models (an SSE event's data is :class:`StepEvent`, :class:`EpochEvent` or
:class:`StatusEvent`: the line's fields, flat), so a field is named once, here.

A new event type: add its name to :class:`EventType`, a ``<Name>Fields`` model of what it carries,
a ``<Name>Line`` (``name: Literal[EventType.X]``, ``value: <Name>Fields``) to :data:`Line`, and a
flat ``<Name>Event`` for the API. A reader meets a name it does not know (a newer worker's line) as a
line it cannot parse: skipped, its id kept.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError


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


# --- status.json ---------------------------------------------------------------------------------


class WorkerFacts(BaseModel):
    """What the worker says about itself once it has loaded the data (in status.json and in its
    ``running`` status event)."""

    started: float | None = Field(None, description="Unix time the worker began training.")
    pid: int | None = Field(None, description="The worker's process id (torchrun's, for several processes); written by the launcher first.")
    total_steps: int | None = Field(None, description="Optimiser steps the job will take.")
    train_size: int | None = Field(None, description="Training images.")
    test_size: int | None = Field(None, description="Test images each epoch is evaluated on.")
    dataset: str | None = Field(None, description="CIFAR-10 source the worker trained on (bundled, folder, torchvision).")
    device: str | None = Field(None, description="torch device rank 0 trained on.")
    processes: int | None = Field(None, description="World size: data-parallel processes that trained (torchrun).")


class StatusFile(WorkerFacts):
    """``status.json``: the job's status and facts, merged field by field as they become known."""

    status: JobStatus
    created: float | None = Field(None, description="Unix time the job was created.")
    finished: float | None = Field(None, description="Unix time it reached a final status.")
    error: str | None = Field(None, description="Why it failed (or the last lines of a worker that died).")

    @classmethod
    def written(cls, base: StatusFile | None, **fields: Any) -> StatusFile:
        """``base`` (None: a new file) with ``fields`` replaced. A writer's misspelt field is a ValueError,
        not a new key (a reader ignores fields it does not know: a newer worker's)."""
        unknown = fields.keys() - cls.model_fields.keys()
        if unknown:
            raise ValueError(f"status.json has no field {', '.join(sorted(unknown))}; its fields are {', '.join(cls.model_fields)}")
        return cls.model_validate({**(base.model_dump(exclude_unset=True) if base else {}), **fields})

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_unset=True).encode()


def read_status(blob: bytes) -> StatusFile:
    """Parse status.json; fields this version does not know (a newer worker's) are ignored."""
    return StatusFile.model_validate_json(blob)


# --- metrics.jsonl: each event type's fields -----------------------------------------------------


class StepFields(BaseModel):
    loss: float = Field(description="The batch's mean training loss.")
    images_per_s: float = Field(description="Training throughput of this step.")


class ProbeFields(BaseModel):
    probabilities: list[list[float]] = Field(description="Softmax of the network's output per probe image (at most 16).")
    predicted: list[str] = Field(description="The most probable CIFAR-10 class per probe image.")
    run: dict[str, Any] = Field(description="The request for POST /api/pipeline/run that shows every stage at this checkpoint.")


class EpochFields(BaseModel):
    train_loss: float | None = Field(description="Mean training loss over the epoch (null at epoch 0).")
    test_loss: float
    test_accuracy: float
    class_accuracy: list[float | None] = Field(description="Per CIFAR-10 class, in GET /api/datasets/cifar10's order.")
    confusion: list[list[int]] = Field(description="confusion[true][predicted] on the test split.")
    checkpoint: int = Field(description="The epoch of the checkpoint written then (weights_from.epoch).")
    probe: ProbeFields


class LayerHealthFields(BaseModel):
    """Per layer with parameters: grad_norm, weight_norm, update_ratio (app/engine/health.py's fields)."""

    model_config = ConfigDict(extra="allow")
    lr: float | None = Field(None, description="The learning rate at that step.")
    layers: list[dict[str, Any]] = Field(description="One entry per layer: index, type, grad_norm, weight_norm, update_ratio.")


class ActivationsFields(BaseModel):
    """Per stage: a histogram of its outputs, and dead_fraction where units can die (app/engine/health.py's fields)."""

    model_config = ConfigDict(extra="allow")
    stages: list[dict[str, Any]] = Field(description="One entry per stage: index, type, histogram, dead_fraction.")


class StatusFields(WorkerFacts):
    status: JobStatus
    error: str | None = Field(None, description="Why it failed, or why its stream ended (failed and cancelled).")


# --- metrics.jsonl: lines ------------------------------------------------------------------------


class _LineBase(BaseModel):
    model_config = ConfigDict(frozen=True)

    step: int = Field(description="Optimiser steps taken so far.")
    epoch: int = Field(description="Epoch the record belongs to (0: before any step).")
    time: float = Field(description="Unix time in seconds when the value was measured.")


class StepLine(_LineBase):
    name: Literal[EventType.STEP] = EventType.STEP
    value: StepFields


class EpochLine(_LineBase):
    name: Literal[EventType.EPOCH] = EventType.EPOCH
    value: EpochFields


class StatusLine(_LineBase):
    name: Literal[EventType.STATUS] = EventType.STATUS
    value: StatusFields


class LayerHealthLine(_LineBase):
    name: Literal[EventType.LAYER_HEALTH] = EventType.LAYER_HEALTH
    value: LayerHealthFields


class ActivationsLine(_LineBase):
    name: Literal[EventType.ACTIVATIONS] = EventType.ACTIVATIONS
    value: ActivationsFields


AnyLine = StepLine | EpochLine | StatusLine | LayerHealthLine | ActivationsLine
Line = Annotated[AnyLine, Field(discriminator="name")]
_LINE: TypeAdapter[AnyLine] = TypeAdapter(Line)


def parse_line(blob: bytes) -> AnyLine | None:
    """One line of metrics.jsonl, or None when it is not a record this version knows (cut short by a
    killed worker, or an event type of a newer worker)."""
    try:
        return _LINE.validate_json(blob)
    except ValidationError:
        return None


def line_json(line: AnyLine) -> str:
    """The line as the worker writes it: compact JSON, the value without its unset optional fields."""
    value = line.value.model_dump(mode="json", exclude_unset=True)
    return json.dumps({"step": line.step, "epoch": line.epoch, "name": line.name.value, "value": value, "time": line.time}, separators=(",", ":"))


# --- what the API shows: a line's fields, flat ---------------------------------------------------


class _EventBase(BaseModel):
    step: int
    epoch: int
    time: float = Field(description="Unix time in seconds when the value was measured.")


class StepEvent(_EventBase, StepFields):
    """The data of an SSE ``step`` event, and one point of a job's history."""


class EpochEvent(_EventBase, EpochFields):
    """The data of an SSE ``epoch`` event, and one point of a job's history."""

    epoch: int = Field(description="0: the initial weights, before any step.")


class LayerHealthEvent(_EventBase, LayerHealthFields):
    """The data of an SSE ``layer_health`` event."""


class ActivationsEvent(_EventBase, ActivationsFields):
    """The data of an SSE ``activations`` event."""


class StatusEvent(_EventBase, StatusFields):
    """The data of an SSE ``status`` event: the first says ``running`` with the worker's facts, the
    last is the final status (and ``error`` for failed and cancelled jobs that say why)."""


def event_data(line: AnyLine) -> dict[str, Any]:
    """What the SSE event and the history carry: the line's fields, flat (unset optional ones left out)."""
    return {"step": line.step, "epoch": line.epoch, **line.value.model_dump(mode="json", exclude_unset=True), "time": line.time}


JobEvent = StepEvent | EpochEvent | StatusEvent | LayerHealthEvent | ActivationsEvent
