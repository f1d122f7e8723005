"""Response models of the training-jobs API (``../shared/API.md``, "Training jobs") and their builders."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..jobs.feed import JobFeed
from ..jobs.folder import JobStatus
from ..jobs.views import epochs, progress, steps


class JobCreated(BaseModel):
    job_id: str
    status: JobStatus
    message: str


class Progress(BaseModel):
    step: int
    total_steps: int | None = Field(description="Known once the worker has loaded the data.")
    epoch: int
    epochs: int
    fraction: float = Field(description="step / total_steps, 0..1.")
    images_per_s: float | None
    eta_s: float | None = Field(description="Seconds left at the pace of the last 50 steps (running jobs only).")


class StepPoint(BaseModel):
    step: int
    epoch: int
    loss: float
    images_per_s: float
    time: float


class EpochPoint(BaseModel):
    epoch: int = Field(description="0: the initial weights, before any step.")
    step: int
    train_loss: float | None
    test_loss: float
    test_accuracy: float
    class_accuracy: list[float | None] = Field(description="Per CIFAR-10 class, in GET /api/datasets/cifar10's order.")
    confusion: list[list[int]] = Field(description="confusion[true][predicted] on the test split.")
    checkpoint: int = Field(description="The epoch of the checkpoint written then (weights_from.epoch).")
    probe: dict[str, Any] = Field(description="probabilities, predicted, and `run`: the request for POST /api/pipeline/run.")
    time: float


class History(BaseModel):
    steps: list[StepPoint]
    epochs: list[EpochPoint]


class JobSummary(BaseModel):
    job_id: str
    status: JobStatus
    created: float
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    device: str | None = None
    dataset: str | None = Field(None, description="CIFAR-10 source the worker trained on (bundled, folder, torchvision).")
    config: dict[str, Any] = Field(description="The body of POST /api/jobs with every default filled in.")
    progress: Progress
    checkpoints: list[int] = Field(description="Epochs with a checkpoint (0 = initial weights).")


class JobDetail(JobSummary):
    history: History


class JobList(BaseModel):
    jobs: list[JobSummary]


def job_summary(feed: JobFeed) -> JobSummary:
    status = feed.folder.status()
    config = feed.folder.config()
    return JobSummary(
        job_id=feed.folder.id,
        status=status["status"],
        created=status.get("created", 0.0),
        started=status.get("started"),
        finished=status.get("finished"),
        error=status.get("error"),
        device=status.get("device"),
        dataset=status.get("dataset"),
        config=config.as_json(),
        progress=Progress(**progress(status, feed.records, config.epochs)),
        checkpoints=feed.folder.checkpoint_epochs(),
    )


def job_detail(feed: JobFeed) -> JobDetail:
    history = History(
        steps=[StepPoint(**r.event_data()) for r in steps(feed.records)],
        epochs=[EpochPoint(**r.event_data()) for r in epochs(feed.records)],
    )
    return JobDetail(**dict(job_summary(feed)), history=history)
