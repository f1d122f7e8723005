"""How a worker is started, watched and stopped: the only place that knows where workers run.

A backend gets a job folder and runs ``python -m app.jobs.worker <job dir>`` for it somewhere (under
``torchrun`` when the job asks for several processes); the folder is the whole interface (config in,
metrics/status/checkpoints out), so the Ray Jobs backend (``ray_backend.py``) fits behind the same
three calls. Signals mean the same everywhere: SIGTERM
cancels, SIGINT says the launcher is going away.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Protocol

from ..settings import JobBackendKind, Settings
from .folder import JobFolder

WORKER_MODULE = "app.jobs.worker"
ROOT = Path(__file__).resolve().parents[2]  # the directory holding the ``app`` package


def worker_command(job_dir: Path) -> list[str]:
    """The worker, or PyTorch's launcher starting one worker per process on this machine (DDP)."""
    processes = JobFolder(job_dir).config().processes
    launcher = ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"] if processes > 1 else []
    return [sys.executable, *launcher, "-m", WORKER_MODULE, str(job_dir)]


SERVER_ONLY = {"api_token"}  # secrets a worker has no use for: never in its environment (nor in Ray's dashboard)


def settings_env(settings: Settings) -> dict[str, str]:
    """The server's settings as the ``LAYERLAB_`` variables a worker reads them from (its secrets left out)."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json", exclude=SERVER_ONLY).items():
        if value is not None:  # strings as they are; numbers, booleans and lists as JSON, which Settings parses
            env[f"LAYERLAB_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env


class JobBackend(Protocol):
    def start(self, job_dir: Path) -> None:
        """Start the worker for ``job_dir``; returns once it is launched."""
        ...

    def is_alive(self, job_dir: Path) -> bool:
        """Whether a worker for ``job_dir`` is still running, whoever started it (this server, an earlier
        one that was killed, another server on the same data dir, a cluster)."""
        ...

    def stops_with_server(self, job_dir: Path) -> bool:
        """Whether this server must stop the job's worker when it shuts down: only a worker it started
        itself as a child; a cluster's job, or another server's worker, runs on."""
        ...

    def signal(self, job_dir: Path, sig: signal.Signals) -> None:
        """Deliver ``sig`` to the job's worker, if it is alive: SIGTERM cancels, SIGINT stops, SIGKILL kills."""
        ...


class LocalProcessBackend:
    """Each worker is a child process of the server, in its own session (a Ctrl+C in the server's
    terminal reaches the server, which then stops the workers itself).

    A worker this server did not start is still found, by the ``pid`` in its folder's status.json
    (written at launch, checked against the process's command line so a reused pid is not taken for
    it): a second server on the same data dir, or a server restarted after a SIGKILL that left its
    workers running, watches and can cancel that job instead of calling it failed while it trains on.
    """

    def __init__(self, settings: Settings) -> None:
        # The worker sees exactly this server's settings, not LAYERLAB_ variables left in the environment.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("LAYERLAB_")}
        self._env = {**inherited, **settings_env(settings), "PYTHONUNBUFFERED": "1"}
        self._processes: dict[Path, subprocess.Popen[bytes]] = {}

    def start(self, job_dir: Path) -> None:
        with (job_dir / "stderr.log").open("ab") as stderr:
            self._processes[job_dir] = subprocess.Popen(
                worker_command(job_dir),
                cwd=ROOT,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                start_new_session=True,
            )
        JobFolder(job_dir).write_status(pid=self._processes[job_dir].pid)  # the worker writes its own pid once it runs

    def is_alive(self, job_dir: Path) -> bool:
        process = self._processes.get(job_dir)
        if process is None:
            return _worker_pid(job_dir) is not None
        if process.poll() is None:
            return True
        del self._processes[job_dir]  # reaped: no zombie left behind
        return False

    def stops_with_server(self, job_dir: Path) -> bool:
        return job_dir in self._processes

    def signal(self, job_dir: Path, sig: signal.Signals) -> None:
        process = self._processes.get(job_dir)
        if process is not None and process.poll() is None:
            os.killpg(process.pid, sig)  # its session: torchrun's workers too, never left orphaned by a SIGKILL
        elif process is None and (pid := _worker_pid(job_dir)) is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(os.getpgid(pid), sig)  # the session its own server started it in


def _worker_pid(job_dir: Path) -> int | None:
    """The pid in the job's status.json when that process is a live worker (or torchrun) for this very
    folder; None otherwise, and where there is no /proc to ask (the job is then taken as ended)."""
    try:
        pid = JobFolder(job_dir).status().pid or 0
        stat = Path(f"/proc/{pid}/stat").read_text()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError, TypeError):
        return None
    if pid <= 0 or stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X"):  # a zombie has finished: its parent has not reaped it yet
        return None
    words = [w.decode(errors="replace") for w in command]
    return pid if WORKER_MODULE in words and str(job_dir) in words else None


def make_backend(settings: Settings) -> JobBackend:
    if settings.job_backend is JobBackendKind.RAY:
        from .ray_backend import RayJobsBackend  # imports Ray: only when it is chosen

        return RayJobsBackend(settings)
    return LocalProcessBackend(settings)
