"""The server's side of training: start, watch, tail and stop workers; never train in-process.

Owned by the app's lifespan. Of the server processes on one data dir, one leads (:mod:`.leader`):
it scans the jobs folder at start (a job left ``running`` whose worker is still alive — one a
killed server left behind, or a cluster's — is watched again; one whose worker is gone is marked
failed; ``queued`` ones start), starts queued jobs and reaps workers. Every process creates, tails
and cancels. Then
one asyncio task ticks every few milliseconds, reading new metric lines of live jobs (on the loop:
a few bytes each), and hands the disk work of noticing workers that exited, writing their final
status and starting queued jobs to a thread, so a slow disk never holds up another request. :meth:`JobManager.stop` ends every event stream and stops the workers (SIGINT,
then SIGKILL after a grace period), so shutdown never hangs. At most ``max_jobs`` workers run; more
jobs wait as ``queued`` (up to ``MAX_QUEUED``, then :class:`QueueFullError`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from ..engine.errors import InputError
from ..engine.shapes import shape_text
from ..engine.run import check_weights
from ..engine.train import IMAGE_SHAPE, plan_for_training
from ..errors import ConflictError, FieldError, NotFoundError
from ..inputs import resolve_input
from ..models.home import WeightsHome
from ..services import Services
from .backend import JobBackend, make_backend
from .config import JobConfig
from .feed import JobFeed
from .folder import JobFolder, MetricsWriter, Record, is_job_id
from .protocol import JobStatus, StatusFields, StatusFile, StatusLine
from .leader import LeaderLock, QueuedMark

log = logging.getLogger(__name__)
TICK_S = 0.01  # metric lines reach listeners within about this (the latency target is 50 ms at p99)
LIVENESS_EVERY = 10  # ticks between checks that workers are alive
MAX_BACKOFF_S = 2.0  # while watching keeps failing, it retries ever more slowly, up to this
ORPHAN_GRACE_S = 5.0  # a job without a worker and without a final status this long: its streams end
CANCEL_GRACE_S = 1.5  # a worker that ignores SIGTERM/SIGINT this long is killed
MAX_QUEUED = 16


class QueueFullError(Exception):
    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class JobManager:
    def __init__(self, services: Services, backend: JobBackend | None = None, weights: WeightsHome | None = None) -> None:
        self.services = services
        self.settings = services.settings
        self.jobs_dir = Path(self.settings.data_dir) / "jobs"
        self.weights = weights or WeightsHome(
            Path(self.settings.data_dir), max_elements=self.settings.max_elements, cache_bytes=self.settings.weights_cache_bytes
        )
        self.backend: JobBackend = backend or make_backend(self.settings)
        self.closing = False
        self._feeds: dict[str, JobFeed] = {}
        self._launched: dict[str, float] = {}  # job id → time its worker was started
        self._stopping: dict[str, tuple[float, JobStatus]] = {}  # job id → (signal time, status if it must be killed)
        self._task: asyncio.Task[None] | None = None
        self._signals: dict[int, Any] = {}
        self._leader = LeaderLock(self.jobs_dir)
        self._queued: QueuedMark | None = None
        self._scan_queue = False  # the watcher starts queued jobs: one may be waiting for a free slot
        # Disk work (statuses, final lines, starting workers) runs in threads, never on the event loop;
        # this lock keeps two of them from reaping and launching at once (the loop never takes it).
        self._lock = threading.RLock()

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self._queued = QueuedMark(self.jobs_dir)
        if self._leader.try_acquire():
            self._lead()
        self._task = asyncio.create_task(self._watch(), name="layerlab-jobs")
        self._catch_shutdown_signals()

    def _lead(self) -> None:
        """Become the leader: take over every job a previous leader left, then start what is queued."""
        for folder in self._folders():
            status = folder.status().status
            if status is JobStatus.RUNNING and self.backend.is_alive(folder.path):
                self._launched[folder.id] = time.monotonic()  # still running on a cluster: watch it again
            elif status is JobStatus.RUNNING:
                epochs = folder.checkpoint_epochs()
                kept = f"; checkpoints up to epoch {epochs[-1]} are kept" if epochs else ""
                self._finish(folder, JobStatus.FAILED, "The worker was gone when the server started (it stopped with the "
                             f"server or was killed){kept}. Start the job again to train further.")
        self._schedule()

    async def stop(self) -> None:
        """End every event stream, stop every local worker (SIGINT, SIGKILL after the grace period); a
        cluster's jobs run on, and the next server watches them again."""
        self.close_streams()
        for job_id in list(self._launched):  # a cluster's jobs and other servers' workers run on; the next server watches them
            if not self.backend.stops_with_server(self.jobs_dir / job_id):
                del self._launched[job_id]
        for job_id in list(self._launched):
            if not JobFolder(self.jobs_dir / job_id).status().status.final:
                self._signal(job_id, signal.SIGINT, JobStatus.FAILED)
        await self._wait_for_workers(CANCEL_GRACE_S + 1)
        for job_id in list(self._launched):
            self.backend.signal(self.jobs_dir / job_id, signal.SIGKILL)
        await self._wait_for_workers(2)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for sig, handler in self._signals.items():
            signal.signal(sig, handler)
        self._leader.release()

    async def _wait_for_workers(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self._launched and time.monotonic() < deadline:
            await asyncio.to_thread(self._reap)
            await asyncio.sleep(0.05)

    def close_streams(self) -> None:
        self.closing = True
        for feed in self._feeds.values():
            feed.wake()

    def _catch_shutdown_signals(self) -> None:
        # uvicorn waits for open responses to end before it runs the lifespan's shutdown, and an SSE
        # stream never ends by itself: so the streams are closed on the signal, then uvicorn goes on.
        if threading.current_thread() is not threading.main_thread():
            return  # e.g. under a test client: no signals here
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(sig)
            if not callable(previous):
                continue

            def handler(signum: int, frame: Any, previous: Any = previous) -> None:
                loop.call_soon_threadsafe(self.close_streams)
                previous(signum, frame)

            self._signals[sig] = previous
            signal.signal(sig, handler)

    # --- jobs ------------------------------------------------------------------------------------

    def create(self, config: JobConfig) -> JobFolder:
        """Validate, write the folder and queue it (for callers on the event loop that may block it:
        tests; the API uses :meth:`submit`)."""
        folder = self.create_folder(config)
        self._enqueue(folder, self._queued_folders())
        return folder

    async def submit(self, config: JobConfig) -> tuple[JobFolder, StatusFile, int]:
        """:meth:`create` with the disk work (planning, the probe, reading every status) off the event
        loop. Returns the folder, its status and how many jobs are running."""
        folder = await asyncio.to_thread(self.create_folder, config)

        def enqueue() -> tuple[StatusFile, int]:
            self._enqueue(folder, self._queued_folders() if self.leads else [])
            return folder.status(), self.counts()[JobStatus.RUNNING]

        status, running = await asyncio.to_thread(enqueue)
        return folder, status, running

    def _enqueue(self, folder: JobFolder, queued: list[JobFolder]) -> None:
        """Start it (this process leads) or announce it to the leader: disk work, off the loop."""
        if self.leads:
            self._launch(queued)
        else:
            assert self._queued is not None
            self._queued.announce()  # the leading process starts it

    def create_folder(self, config: JobConfig) -> JobFolder:
        """Validate (LayerError/EngineError as the lab words them, FieldError), write the folder as queued."""
        config = self._start_from_weights(config)
        plan_for_training(config.engine_layers(), config.batch_size, self.settings.max_elements)
        self._check_processes(config)
        try:
            probe = resolve_input(config.probe, self.services).tensor
        except InputError as exc:
            raise FieldError(["probe", *([exc.field_name] if exc.field_name else [])], exc.message) from exc
        if probe.dim() != 4 or tuple(probe.shape[1:]) != IMAGE_SHAPE:
            raise FieldError(
                ["probe"],
                f"The probe must be images shaped N×3×32×32 like CIFAR-10 (the network's input); it has shape "
                f"{shape_text(tuple(probe.shape))}. For an upload, set resize to [32, 32].",
            )
        counts = self.counts()
        running, queued = counts[JobStatus.RUNNING], counts[JobStatus.QUEUED]
        if running >= self.settings.max_jobs and queued >= MAX_QUEUED:
            raise QueueFullError(
                f"{running} jobs are running (LAYERLAB_MAX_JOBS={self.settings.max_jobs}) and {queued} are "
                "queued, the most this server keeps waiting. Try again when one has finished, or cancel one.",
                retry_after_s=30,
            )
        return JobFolder.create(self.jobs_dir, config)

    def _start_from_weights(self, config: JobConfig) -> JobConfig:
        """With ``weights_from``: the source pinned (a job's latest epoch named), its own layers when the body
        gives none, and the weights checked to fit the layers now, so a mismatch is a 422, not a failed job."""
        if config.weights_from is None:
            return config
        weights = self.weights.resolve(config.weights_from)
        layers = config.engine_layers() if "layers" in config.model_fields_set else weights.layers
        config = JobConfig.model_validate({**config.as_json(), "layers": layers, "weights_from": weights.source.model_dump()})
        plan = plan_for_training(config.engine_layers(), config.batch_size, self.settings.max_elements)
        check_weights(plan, weights.state_dict)
        return config

    def _check_processes(self, config: JobConfig) -> None:
        if config.processes > self.settings.max_processes:
            raise FieldError(
                ["processes"],
                f"This server runs at most {self.settings.max_processes} process(es) per job (LAYERLAB_MAX_PROCESSES); "
                f"the job asks for {config.processes}. Ask for fewer, or raise the setting where there are cores or GPUs for them.",
            )
        if config.processes > config.batch_size:
            raise FieldError(
                ["processes"],
                f"Each of the {config.processes} processes needs at least one image of every batch, but batch_size is "
                f"{config.batch_size}. Use a batch_size of at least {config.processes}, or fewer processes.",
            )

    def folder(self, job_id: str) -> JobFolder:
        folder = JobFolder(self.jobs_dir / job_id)
        if not is_job_id(job_id) or not (folder.path / "config.json").is_file():
            raise NotFoundError(f"No training job {job_id!r}. GET /api/jobs lists them; POST /api/jobs starts one.")
        return folder

    async def listen(self, job_id: str) -> JobFeed:
        """The job's feed for one more event stream (:meth:`unlisten` when it ends). A new feed reads
        the job's history off the event loop."""
        folder = self.folder(job_id)
        feed = self._feeds.get(job_id)
        if feed is None:
            made = await asyncio.to_thread(JobFeed, folder)
            feed = self._feeds.setdefault(job_id, made)  # another stream may have made one meanwhile
        elif not feed.finished:
            feed.read()  # a queued one may just have started elsewhere
        feed.listeners += 1
        return feed

    def unlisten(self, feed: JobFeed) -> None:
        feed.listeners -= 1  # the watcher drops a feed nobody listens to and no worker of this process writes

    def records(self, folder: JobFolder, *, recent: bool = False) -> list[Record]:
        """The job's records: its feed's when it has one (a running job), else read from the file
        (``recent``: only the end of it, enough for a summary). Safe to call from a worker thread."""
        feed = self._feeds.get(folder.id)
        if feed is not None:
            return list(feed.records)
        return folder.recent_records() if recent else folder.read_records()

    def folders(self) -> list[JobFolder]:
        """Every job, newest first (reads the jobs folder: call it off the event loop)."""
        return self._folders()

    @property
    def leads(self) -> bool:
        """Whether this process starts and reaps jobs (see :mod:`.leader`)."""
        return self._leader.held

    def counts(self) -> Counter[str]:
        """Jobs on disk by status, whichever process started them (one status read per job)."""
        return Counter(f.status().status for f in self._folders())

    async def cancel(self, job_id: str) -> JobFolder:
        """Cancel a queued or running job; ConflictError for a finished one (left as it is). Its status
        is read, and a queued job's final status written, off the event loop."""
        folder = await asyncio.to_thread(self.folder, job_id)
        status = await asyncio.to_thread(folder.status)
        if status.status.final:
            raise ConflictError(
                f"Job {job_id} has already finished: it {status.status.value}"
                + (f" ({status.error})" if status.error else "") + "; there is nothing to cancel.",
                status=status.status.value,
            )
        if job_id in self._launched or self.backend.is_alive(folder.path):  # this process's worker, or another's
            self._signal(job_id, signal.SIGTERM, JobStatus.CANCELLED)
        else:
            await asyncio.to_thread(self._finish, folder, JobStatus.CANCELLED, None)
            self._read_feed(job_id)
        return folder

    # --- internals -------------------------------------------------------------------------------

    def _folders(self) -> list[JobFolder]:
        if not self.jobs_dir.is_dir():
            return []
        found = [JobFolder(p) for p in self.jobs_dir.iterdir() if is_job_id(p.name) and (p / "config.json").is_file()]
        return sorted(found, key=lambda f: f.id, reverse=True)  # ids start with the creation time

    def _schedule(self) -> None:
        self._launch(self._queued_folders())

    def _queued_folders(self) -> list[JobFolder]:
        """Queued jobs, oldest first, as many as there are free slots (reads statuses: off the loop
        where it can be)."""
        free = self.settings.max_jobs - len(self._launched)
        queued: list[JobFolder] = []
        for folder in reversed(self._folders()):  # oldest first
            if len(queued) >= free:
                break
            if folder.id not in self._launched and folder.status().status is JobStatus.QUEUED:
                queued.append(folder)
        return queued

    def _launch(self, queued: list[JobFolder]) -> None:
        """Start queued jobs in the free slots (status reads and writes, process starts: off the loop)."""
        with self._lock:
            self._launch_locked(queued)

    def _launch_locked(self, queued: list[JobFolder]) -> None:
        if self.closing or not self.leads:
            return
        for folder in queued:
            if len(self._launched) >= self.settings.max_jobs:
                break
            if folder.id not in self._launched and folder.status().status is JobStatus.QUEUED:  # not cancelled meanwhile
                folder.write_status(status=JobStatus.RUNNING)  # before the worker runs: it writes its own fields next
                try:
                    self.backend.start(folder.path)
                except OSError as exc:
                    self._finish(folder, JobStatus.FAILED, f"The worker could not be started: {exc}")
                    continue
                self._launched[folder.id] = time.monotonic()
                log.info("job %s started", folder.id)

    def _signal(self, job_id: str, sig: signal.Signals, status_if_killed: JobStatus) -> None:
        self._stopping.setdefault(job_id, (time.monotonic(), status_if_killed))
        self.backend.signal(self.jobs_dir / job_id, sig)

    def _finish(self, folder: JobFolder, status: JobStatus, error: str | None) -> None:
        """Write a final status for a job whose worker cannot (never started, or dead). Disk only, safe in a
        thread: a feed of the job takes the line in on the watcher's next tick."""
        folder.remove_partial_checkpoints()  # a worker killed while saving leaves one
        records = folder.recent_records()
        last = records[-1] if records else None
        writer = MetricsWriter(folder)  # drops a line the dead worker left half-written
        value = StatusFields(status=status, **({"error": error} if error else {}))
        now = time.time()
        writer.write(StatusLine(step=last.step if last else 0, epoch=last.epoch if last else 0, value=value, time=now))
        writer.close()
        folder.write_status(**value.model_dump(exclude_unset=True), finished=now)

    def _read_feed(self, job_id: str) -> None:
        """Take in what a job's file gained (on the loop: feeds wake their listeners' asyncio events)."""
        feed = self._feeds.get(job_id)
        if feed is not None and not feed.finished:
            feed.read()

    def _check_jobs(self) -> None:
        """Leadership, dead workers, the queue mark: status reads and writes, run in a thread."""
        with self._lock:
            self._check_jobs_locked()

    def _check_jobs_locked(self) -> None:
        if not self.leads and not self.closing and self._leader.try_acquire():
            log.info("this process now leads the jobs (the previous leader ended)")
            self._lead()
        if self.leads:
            self._reap()
            assert self._queued is not None
            if self._queued.changed():
                self._scan_queue = True

    def _reap(self) -> None:
        """Notice workers that exited; give a final status to those that could not write one.

        Queued jobs are looked for only when a worker ended (a slot opened): scanning every folder on
        each check would cost a status read per job ever run, ten times a second. Runs in a thread: it
        never touches a feed (the watcher's next tick reads what the worker and this wrote).
        """
        ended = False
        for job_id in list(self._launched):
            folder = self.jobs_dir / job_id
            stopping = self._stopping.get(job_id)
            if self.backend.is_alive(folder):
                if stopping and time.monotonic() - stopping[0] > CANCEL_GRACE_S:
                    self.backend.signal(folder, signal.SIGKILL)
                continue
            del self._launched[job_id]
            ended = True
            self._stopping.pop(job_id, None)
            job = JobFolder(folder)
            if not job.status().status.final:
                if stopping and stopping[1] is JobStatus.CANCELLED:
                    self._finish(job, JobStatus.CANCELLED, None)
                else:
                    tail = job.stderr_tail()
                    self._finish(job, JobStatus.FAILED, "The worker process ended without finishing"
                                 + (f"; the last lines it wrote:\n{tail}" if tail else " and wrote nothing (killed?)."))
            log.info("job %s ended: %s", job_id, job.status().status)
        if ended:
            self._scan_queue = True  # a slot opened: the watcher looks for a queued job, off the loop

    def _tail_feeds(self) -> None:
        for job_id in list(self._launched):  # every live job of this process is tailed, listened to or not
            if job_id not in self._feeds:
                self._feeds[job_id] = JobFeed(JobFolder(self.jobs_dir / job_id))
        for job_id, feed in list(self._feeds.items()):
            if feed.listeners <= 0 and job_id not in self._launched:
                del self._feeds[job_id]  # nobody needs it: a finished job's history is read from its file
            elif not feed.finished:
                feed.read()  # also jobs another process runs, and queued ones: their listeners wait here

    async def _end_orphaned_feeds(self) -> None:
        """End the streams of a job whose worker is gone while its file has no final status line (the
        disk was full when it was due, or no server could write it): nothing more will come. Statuses
        are read in a thread; the feeds are changed here, on the loop."""
        feeds = [(job_id, feed) for job_id, feed in list(self._feeds.items()) if not feed.finished and job_id not in self._launched]
        if not feeds:
            return
        seen = await asyncio.to_thread(lambda: [(feed.folder.status(), self.backend.is_alive(feed.folder.path)) for _, feed in feeds])
        for (job_id, feed), (status, alive) in zip(feeds, seen):
            if feed.finished or job_id in self._launched:
                continue
            if status.status is JobStatus.QUEUED or alive:
                feed.gone_since = None
                continue
            feed.read()  # what it wrote before it went
            if feed.finished:
                continue
            feed.gone_since = feed.gone_since or time.monotonic()
            if status.status.final:
                feed.end(StatusFields(status=status.status, error=(status.error + "\n" if status.error else "")
                                      + f"The job {status.status.value} but its metrics file has no final status line "
                                      "(the disk may have been full when it was written); this is the status its status.json records."))
            elif time.monotonic() - feed.gone_since > ORPHAN_GRACE_S:
                feed.end(StatusFields(status=JobStatus.FAILED, error="The job's worker is gone and left no final status "
                                      f"(it was killed, or its server was and none has taken the job over for {ORPHAN_GRACE_S:.0f} s). "
                                      "Its checkpoints are kept; start the job again to train further."))

    async def _watch(self) -> None:
        tick, delay, failing = 0, TICK_S, None
        while True:
            try:
                self._tail_feeds()
                tick += 1
                if tick % LIVENESS_EVERY == 0 or failing is not None:  # while failing, each (slower) tick does it all
                    await asyncio.to_thread(self._check_jobs)
                    await self._end_orphaned_feeds()
                if self._scan_queue and self.leads and not self.closing:
                    self._scan_queue = False
                    await asyncio.to_thread(self._schedule)  # a status read per job, and process starts
            except Exception as exc:  # a bad folder must not stop the watching of every other job
                if isinstance(exc, RuntimeError) and "after shutdown" in str(exc):
                    return  # the loop's threads are gone (it closes without the lifespan's stop()): nothing to watch with
                if failing != repr(exc):  # reported once, not every tick while it lasts
                    log.exception("watching jobs failed; retrying every %.0f ms at most until it works again", MAX_BACKOFF_S * 1000)
                    failing = repr(exc)
                delay = min(delay * 2, MAX_BACKOFF_S)
            else:
                if failing is not None:
                    log.warning("watching jobs works again")
                    failing, delay = None, TICK_S
            await asyncio.sleep(delay)
