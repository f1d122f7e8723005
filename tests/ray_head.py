"""A real one-node Ray cluster for the Ray backend's test and bench: ``ray start --head --block``.

``--block`` keeps the command in the foreground and takes every process it started down on SIGTERM,
so stopping it touches no other Ray on the machine. Ports are free ones and the session lives in a
short temporary directory (Ray's socket paths must stay under 108 bytes).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT_S = 180  # a loaded 2-core machine has taken 50 s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def local_ray_head(num_cpus: int = 2) -> Iterator[str]:
    """Start a head with its dashboard (the Jobs API); yields its address once it has taken a job."""
    temp_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    dashboard = free_port()
    command = [
        str(Path(sys.executable).with_name("ray")), "start", "--head", "--block", f"--num-cpus={num_cpus}",
        f"--port={free_port()}", "--include-dashboard=true", "--dashboard-host=127.0.0.1",
        f"--dashboard-port={dashboard}", f"--ray-client-server-port={free_port()}",
        f"--dashboard-agent-listen-port={free_port()}", f"--temp-dir={temp_dir}", "--disable-usage-stats",
    ]
    with open(Path(temp_dir) / "head.log", "wb") as log:
        head = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}, start_new_session=True)
    address = f"http://127.0.0.1:{dashboard}"
    try:
        _wait_until_it_takes_a_job(address, head, Path(temp_dir) / "head.log")
        yield address
    finally:
        head.send_signal(signal.SIGTERM)
        try:
            head.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        shutil.rmtree(temp_dir, ignore_errors=True)


def _wait_until_it_takes_a_job(address: str, head: subprocess.Popen[bytes], log: Path) -> None:
    """The dashboard answers a little before the job agent is there: wait until a job is accepted."""
    from ray.job_submission import JobSubmissionClient

    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            JobSubmissionClient(address).submit_job(entrypoint="true")
            return
        except Exception:  # not up yet: ConnectionError, or "No available agent to submit job"
            tail = log.read_text(errors="replace")[-2000:]
            if head.poll() is not None:
                raise RuntimeError(f"ray start exited with {head.returncode}:\n{tail}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"Ray's Jobs API took no job at {address} in {START_TIMEOUT_S} s:\n{tail}") from None
            time.sleep(0.5)
