"""Response models of the training-jobs API (``../shared/API.md``, "Training jobs") and their builders."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..jobs.folder import JobFolder, Record
from ..jobs.protocol import EpochEvent, JobStatus, StatusFile, StepEvent
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


class History(BaseModel):
    steps: list[StepEvent] = Field(description="Every step event so far, as /events sent them.")
    epochs: list[EpochEvent] = Field(description="Every epoch event so far, as /events sent them.")


_FILE = StatusFile.model_fields  # the job folder's status.json (app/jobs/protocol.py) names and describes these


class JobSummary(BaseModel):
    job_id: str
    status: JobStatus
    created: float = Field(description=_FILE["created"].description)
    started: float | None = Field(None, description=_FILE["started"].description)
    finished: float | None = Field(None, description=_FILE["finished"].description)
    error: str | None = Field(None, description=_FILE["error"].description)
    device: str | None = Field(None, description=_FILE["device"].description)
    dataset: str | None = Field(None, description=_FILE["dataset"].description)
    config: dict[str, Any] = Field(description="The body of POST /api/jobs with every default filled in.")
    progress: Progress
    checkpoints: list[int] = Field(description="Epochs with a checkpoint (0 = initial weights).")


class JobDetail(JobSummary):
    history: History


class JobList(BaseModel):
    jobs: list[JobSummary]


def job_created(folder: JobFolder, status: StatusFile, running: int, max_jobs: int) -> JobCreated:
    if status.status is JobStatus.RUNNING:
        return JobCreated(job_id=folder.id, status=JobStatus.RUNNING, message="Started.")
    if running < max_jobs:
        message = "Queued: the server process that starts jobs starts it within a moment."
    else:
        message = f"Queued: {running} jobs are running (LAYERLAB_MAX_JOBS={max_jobs}); it starts when one ends."
    return JobCreated(job_id=folder.id, status=JobStatus.QUEUED, message=message)


def job_summary(folder: JobFolder, records: list[Record]) -> JobSummary:
    """From the job's status.json and its records (the recent ones are enough). Reads files."""
    status = folder.status()
    config = folder.config()
    return JobSummary(
        job_id=folder.id,
        status=status.status,
        created=status.created or 0.0,
        started=status.started,
        finished=status.finished,
        error=status.error,
        device=status.device,
        dataset=status.dataset,
        config=config.as_json(),
        progress=Progress(**progress(status, records, config.epochs)),
        checkpoints=folder.checkpoint_epochs(),
    )


def job_detail(folder: JobFolder, records: list[Record]) -> JobDetail:
    """The summary and the whole history (``records``: all of them). Reads files."""
    history = History(
        steps=[StepEvent(**r.event_data()) for r in steps(records)],
        epochs=[EpochEvent(**r.event_data()) for r in epochs(records)],
    )
    return JobDetail(**dict(job_summary(folder, records)), history=history)
