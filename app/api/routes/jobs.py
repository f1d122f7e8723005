"""Training jobs: start, list, watch (SSE), cancel, download. The server only starts, watches and
tails workers (app.jobs); nothing here trains."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from fastapi.responses import FileResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent

from ...jobs.config import JobConfig
from ...jobs.feed import JobFeed
from ...jobs.folder import JobStatus
from ...jobs.views import CSV_FIELDS, metric_rows
from ...jobs.filters import filters_picture
from ...models.sources import JobWeights
from ...render import encode_png
from ..deps import JobsDep, ModelsDep, TokenDep
from ..job_schemas import JobCreated, JobDetail, JobList, JobSummary, job_detail, job_summary

router = APIRouter(prefix="/api/jobs", tags=["jobs"])

JobId = Annotated[str, Path(description="As answered by POST /api/jobs.")]
Epoch = Annotated[int | None, Query(ge=0, description="Checkpoint epoch (0 = initial weights); default the latest.")]


def job_feed(job_id: JobId, jobs: JobsDep) -> JobFeed:
    return jobs.feed(job_id)  # 404 for an unknown id, before any response starts


FeedDep = Annotated[JobFeed, Depends(job_feed)]


@router.post(
    "",
    status_code=202,
    dependencies=[TokenDep],
    summary="Start a training job (every field optional: the defaults train example 14)",
    responses={401: {"description": "LAYERLAB_API_TOKEN is set and the bearer token is missing or wrong"},
               422: {"description": "Invalid config, or a pipeline torch refuses for 3×32×32 images"},
               429: {"description": "Too many jobs queued; Retry-After says when to try again"}},
)
async def start_job(jobs: JobsDep, config: JobConfig | None = None) -> JobCreated:
    folder = jobs.create(config or JobConfig())
    if folder.status().get("status") == JobStatus.RUNNING:
        return JobCreated(job_id=folder.id, status=JobStatus.RUNNING, message="Started.")
    running = jobs.counts()[JobStatus.RUNNING]
    if running < jobs.settings.max_jobs:
        message = "Queued: the server process that starts jobs starts it within a moment."
    else:
        message = f"Queued: {running} jobs are running (LAYERLAB_MAX_JOBS={jobs.settings.max_jobs}); it starts when one ends."
    return JobCreated(job_id=folder.id, status=JobStatus.QUEUED, message=message)


@router.get("", summary="Every job, newest first")
async def list_jobs(jobs: JobsDep) -> JobList:
    return JobList(jobs=[job_summary(jobs.feed(job_id)) for job_id in jobs.job_ids()])


@router.get("/{job_id}", summary="One job: status, config, progress with ETA, full history, error")
async def get_job(feed: FeedDep) -> JobDetail:
    return job_detail(feed)


@router.post("/{job_id}/cancel", dependencies=[TokenDep], summary="Cancel a queued or running job (a finished one stays as it is)")
async def cancel_job(job_id: JobId, jobs: JobsDep) -> JobSummary:
    jobs.cancel(job_id)
    return job_summary(jobs.feed(job_id))


@router.get(
    "/{job_id}/events",
    response_class=EventSourceResponse,
    summary="Server-Sent Events: the history first, then step, epoch and status events as they happen",
)
async def job_events(
    jobs: JobsDep,
    feed: FeedDep,
    last_event_id: Annotated[int | None, Header(ge=0, description="Resume after this event id.")] = None,
) -> AsyncIterable[ServerSentEvent]:
    seen = feed.index_after(last_event_id)
    while True:
        while seen < len(feed.events):
            event = feed.events[seen]
            seen += 1
            yield ServerSentEvent(raw_data=event.data, event=event.name.value, id=str(event.id))
        if feed.finished or jobs.closing:
            return  # the final status was sent (or the server is stopping): the client closes its EventSource
        await feed.wait(seen)


@router.get("/{job_id}/metrics.csv", response_class=Response, summary="Every metric row so far: step,epoch,name,value,time")
async def metrics_csv(feed: FeedDep) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    writer.writerows(metric_rows(feed.records))
    headers = {"Content-Disposition": f'attachment; filename="{feed.folder.id}-metrics.csv"'}
    return Response(out.getvalue(), media_type="text/csv", headers=headers)


@router.get(
    "/{job_id}/checkpoint",
    response_class=FileResponse,
    summary="A checkpoint (default the latest): a state_dict for torch.load(..., weights_only=True)",
)
async def checkpoint(feed: FeedDep, epoch: Epoch = None) -> FileResponse:
    n = feed.folder.checkpoint_epoch(epoch)
    return FileResponse(feed.folder.checkpoint(n), media_type="application/octet-stream", filename=f"{feed.folder.id}-epoch-{n}.pt")


@router.get(
    "/{job_id}/weights.safetensors",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
    summary="A checkpoint (default the latest) as .safetensors: what the code of a run with this job's weights_from loads",
)
async def checkpoint_safetensors(feed: FeedDep, models: ModelsDep, epoch: Epoch = None) -> Response:
    n = feed.folder.checkpoint_epoch(epoch)
    file_name, data = models.safetensors(JobWeights(job_id=feed.folder.id, epoch=n))
    return Response(data, media_type="application/octet-stream", headers={"Content-Disposition": f'attachment; filename="{file_name}"'})


@router.get(
    "/{job_id}/filters.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
    summary="The first layer's filters at a checkpoint (default the latest), one tile per output channel",
)
async def filters(feed: FeedDep, epoch: Epoch = None) -> Response:
    n = feed.folder.checkpoint_epoch(epoch)
    png = encode_png(filters_picture(feed.folder.checkpoint(n)))
    return Response(png, media_type="image/png", headers={"Cache-Control": "public, max-age=86400, immutable"})
