"""Workers on a Ray cluster, through Ray Jobs: ``LAYERLAB_JOB_BACKEND=ray``.

Each job is submitted with :class:`ray.job_submission.JobSubmissionClient` as the same worker
command the local backend runs (under ``torchrun`` when it asks for several processes); Ray picks the
node, keeps the job's state and stops it. Nothing is queued or scheduled here. What the cluster
must provide:

- the job folder at the same path on every node (``LAYERLAB_DATA_DIR`` on shared storage): the
  worker writes its metrics, status and checkpoints there and the server tails them as for a local
  worker;
- the server's Python at the same path, with torch and torchvision (nodes run the server's image);
  the ``app`` package itself is shipped with each job (``py_modules``), so the nodes always run the
  server's own code.

Ray is imported only when this backend is chosen (the ``ray`` extra). Jobs outlive the server: a
restarted server finds the ones still running by the job folder stored in their metadata.
"""

from __future__ import annotations

import shlex
import signal
import time
import uuid
from pathlib import Path

from ..settings import Settings
from .backend import settings_env, worker_command
from .folder import JobFolder

APP_PACKAGE = Path(__file__).resolve().parents[1]
POLL_S = 1.0  # at most one status request per job and second: the manager asks every 100 ms
METADATA_KEY = "layerlab_job_dir"


class RayJobsBackend:
    def __init__(self, settings: Settings) -> None:
        try:
            from ray.job_submission import JobSubmissionClient
        except ImportError as exc:  # the extra is missing: say how to get it, at start-up
            raise RuntimeError(
                "LAYERLAB_JOB_BACKEND=ray needs Ray's job client: pip install 'layerlab[ray]' "
                "(or 'ray[default]'), or set LAYERLAB_JOB_BACKEND=local."
            ) from exc
        self._address = settings.ray_address
        try:
            self._client = JobSubmissionClient(settings.ray_address)
        except ConnectionError as exc:
            raise RuntimeError(
                f"No Ray cluster answers at LAYERLAB_RAY_ADDRESS={settings.ray_address} (the head's dashboard "
                f"address, e.g. http://head:8265): {exc}"
            ) from exc
        data_dir = settings.data_dir.resolve()  # the nodes see the same path, so it must not be relative
        self._env = {**settings_env(settings), "LAYERLAB_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
        self._submissions: dict[Path, str] = {}  # job folder → Ray submission id
        self._alive: dict[str, tuple[float, bool]] = {}  # submission id → (time asked, alive)

    def start(self, job_dir: Path) -> None:
        job_dir = job_dir.resolve()
        command = worker_command(job_dir)
        log = shlex.quote(str(job_dir / "stderr.log"))
        submission_id = f"layerlab-{job_dir.name}-{uuid.uuid4().hex[:8]}"
        try:
            self._client.submit_job(
                entrypoint=f"{shlex.join(command)} >>{log} 2>&1",  # the folder keeps the output, as locally
                submission_id=submission_id,
                runtime_env={"env_vars": self._env, "py_modules": [str(APP_PACKAGE)]},
                metadata={METADATA_KEY: str(job_dir)},
                entrypoint_num_cpus=JobFolder(job_dir).config().processes,  # Ray places it where a CPU per process is free
            )
        except RuntimeError as exc:  # the Jobs API refused (e.g. "No available agent"): the job fails saying so
            raise ConnectionError(f"the Ray cluster at {self._address} did not take the job: {exc}") from exc
        self._submissions[job_dir] = submission_id

    def is_alive(self, job_dir: Path) -> bool:
        submission_id = self._submission_id(job_dir.resolve())
        if submission_id is None:
            return False
        asked, alive = self._alive.get(submission_id, (0.0, True))
        if time.monotonic() - asked >= POLL_S:
            self._alive[submission_id] = (time.monotonic(), alive)  # an unreachable cluster is asked once a second too
            alive = not self._client.get_job_status(submission_id).is_terminal()
            self._alive[submission_id] = (time.monotonic(), alive)
        return alive

    def stops_with_server(self, job_dir: Path) -> bool:
        return False  # the cluster runs the job whether or not this server is up

    def signal(self, job_dir: Path, sig: signal.Signals) -> None:
        """SIGTERM and SIGKILL stop the Ray job (Ray sends SIGTERM, then SIGKILL after
        ``RAY_JOB_STOP_WAIT_TIME_S``); SIGINT, the server going away, leaves it running."""
        submission_id = self._submission_id(job_dir.resolve())
        if submission_id is not None and sig is not signal.SIGINT:
            self._client.stop_job(submission_id)
            self._alive.pop(submission_id, None)  # ask Ray again next time

    def _submission_id(self, job_dir: Path) -> str | None:
        """The job's latest submission: remembered, or found on the cluster (a job from before a restart)."""
        if job_dir not in self._submissions:
            mine = [job for job in self._client.list_jobs() if (job.metadata or {}).get(METADATA_KEY) == str(job_dir)]
            if not mine:
                return None
            self._submissions[job_dir] = max(mine, key=lambda job: job.start_time or 0).submission_id
        return self._submissions[job_dir]
