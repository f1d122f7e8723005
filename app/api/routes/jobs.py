"""Training jobs: start, list, watch (SSE), cancel, download. The server only starts, watches and
tails workers (app.jobs); nothing here trains.

What reads files (every status.json, a job's history, a checkpoint through torch.load) runs off the
event loop: plain ``def`` routes run in Starlette's thread pool, async ones hand the work to a thread;
only the manager's own state is touched on the loop.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent

from ...jobs.config import JobConfig
from ...jobs.folder import JobFolder
from ...jobs.protocol import JobEvent
from ...jobs.views import CSV_FIELDS, metric_rows
from ...jobs.filters import filters_picture
from ...models.sources import JobWeights
from ...render import encode_png
from ..deps import JobsDep, ModelsDep, TokenDep
from ..job_schemas import JobCreated, JobDetail, JobList, JobSummary, job_created, job_detail, job_summary

router = APIRouter(prefix="/api/jobs", tags=["jobs"])

JobId = Annotated[str, Path(description="As answered by POST /api/jobs.")]
Epoch = Annotated[int | None, Query(ge=0, description="Checkpoint epoch (0 = initial weights); default the latest.")]


def job_folder(job_id: JobId, jobs: JobsDep) -> JobFolder:
    return jobs.folder(job_id)  # 404 for an unknown id, before any response starts


FolderDep = Annotated[JobFolder, Depends(job_folder)]


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
    folder, status, running = await jobs.submit(config or JobConfig())
    return job_created(folder, status, running, jobs.settings.max_jobs)


@router.get("", summary="Every job, newest first")
def list_jobs(jobs: JobsDep) -> JobList:
    return JobList(jobs=[job_summary(folder, jobs.records(folder, recent=True)) for folder in jobs.folders()])


@router.get("/{job_id}", summary="One job: status, config, progress with ETA, full history, error")
def get_job(folder: FolderDep, jobs: JobsDep) -> JobDetail:
    return job_detail(folder, jobs.records(folder))


@router.post(
    "/{job_id}/cancel",
    dependencies=[TokenDep],
    summary="Cancel a queued or running job",
    responses={409: {"description": "The job has already finished: `detail` says how, `status` is its final status"}},
)
async def cancel_job(job_id: JobId, jobs: JobsDep) -> JobSummary:
    folder = await jobs.cancel(job_id)
    return await run_in_threadpool(lambda: job_summary(folder, jobs.records(folder, recent=True)))


@router.get(
    "/{job_id}/events",
    response_class=EventSourceResponse,
    summary="Server-Sent Events: the history first, then step, epoch and status events as they happen",
    description="Each event's `event:` line is its type (step, epoch, status) and its `data:` the JSON of "
    "StepEvent, EpochEvent or StatusEvent; the last is a status event with the final status.",
)
async def job_events(
    folder: FolderDep,  # 404 for an unknown id, before any response starts
    jobs: JobsDep,
    last_event_id: Annotated[int | None, Header(ge=0, description="Resume after this event id.")] = None,
) -> AsyncIterable[JobEvent]:  # documents the data; ServerSentEvent items (pre-serialised) skip validation
    feed = await jobs.listen(folder.id)
    try:
        seen = feed.index_after(last_event_id)
        while True:
            while seen < len(feed.events):
                event = feed.events[seen]
                seen += 1
                yield ServerSentEvent(raw_data=event.data, event=event.name.value, id=str(event.id))  # type: ignore[misc]
            if feed.finished or jobs.closing:
                return  # the final status was sent (or the server is stopping): the client closes its EventSource
            await feed.wait(seen)
    finally:
        jobs.unlisten(feed)


@router.get("/{job_id}/metrics.csv", response_class=Response, summary="Every metric row so far: step,epoch,name,value,time")
def metrics_csv(folder: FolderDep, jobs: JobsDep) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    writer.writerows(metric_rows(jobs.records(folder)))
    headers = {"Content-Disposition": f'attachment; filename="{folder.id}-metrics.csv"'}
    return Response(out.getvalue(), media_type="text/csv", headers=headers)


@router.get(
    "/{job_id}/checkpoint",
    response_class=FileResponse,
    summary="A checkpoint (default the latest): a state_dict for torch.load(..., weights_only=True)",
)
def checkpoint(folder: FolderDep, epoch: Epoch = None) -> FileResponse:
    n = folder.checkpoint_epoch(epoch)
    return FileResponse(folder.checkpoint(n), media_type="application/octet-stream", filename=f"{folder.id}-epoch-{n}.pt")


@router.get(
    "/{job_id}/weights.safetensors",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
    summary="A checkpoint (default the latest) as .safetensors: what the code of a run with this job's weights_from loads",
)
def checkpoint_safetensors(folder: FolderDep, models: ModelsDep, epoch: Epoch = None) -> Response:
    n = folder.checkpoint_epoch(epoch)
    file_name, data = models.safetensors(JobWeights(job_id=folder.id, epoch=n))
    return Response(data, media_type="application/octet-stream", headers={"Content-Disposition": f'attachment; filename="{file_name}"'})


@router.get(
    "/{job_id}/filters.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
    summary="The first layer's filters at a checkpoint (default the latest), one tile per output channel",
)
def filters(folder: FolderDep, epoch: Epoch = None) -> Response:
    n = folder.checkpoint_epoch(epoch)
    png = encode_png(filters_picture(folder.checkpoint(n)))
    return Response(png, media_type="image/png", headers={"Cache-Control": "public, max-age=86400, immutable"})
