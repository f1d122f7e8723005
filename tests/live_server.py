"""A real layerlab server in a subprocess (``python -m app``) on a free port: the one harness that
tests (browser, two servers, shutdown), benches (bench/*.py) and scripts (screenshots) start.

``with LiveServer(data_dir, LAYERLAB_COMPUTE_WORKERS="1") as server: httpx.get(server.url + "/healthz")``.
The server sees none of the caller's ``LAYERLAB_*`` variables: only its data dir and the settings
passed. ``restart()`` stops it (SIGTERM, or SIGKILL with ``kill=True``) and starts it again on the
same port and data dir. Its output goes to ``log`` (default: ``server-<port>.log`` beside the data dir).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]  # the checkout: `python -m app` runs from here


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(
        self, data_dir: Path, log: Path | None = None, root: Path = ROOT, serve: tuple[str, ...] = ("-m", "app"), **env: str
    ) -> None:
        self.data_dir = Path(data_dir)
        self.root = Path(root)  # the checkout whose app runs (a bench may compare another one)
        # What the interpreter runs, before host, port and log level: layerlab, or another app under uvicorn
        # (a bench's baseline), started, waited for on /healthz and stopped the same way.
        self.serve = serve
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("LAYERLAB_")}
        self._env = {**inherited, "LAYERLAB_DATA_DIR": str(self.data_dir), **env}
        self.log = log or self.data_dir.parent / f"server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 600.0) -> LiveServer:
        try:
            return self.launch().wait_healthy(timeout)
        except BaseException:
            self.stop(kill=True)  # a server that never became healthy is not left running
            raise

    def launch(self) -> LiveServer:
        """Start the process without waiting (several servers start faster side by side)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, *self.serve, "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
                cwd=self.root, env=self._env, stdout=log, stderr=subprocess.STDOUT,
            )
        return self

    def wait_healthy(self, timeout: float = 600.0) -> LiveServer:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; the end of {self.log}:\n{self._log_tail()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not healthy after {timeout} s; the end of {self.log}:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    def stop(self, kill: bool = False) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self, kill: bool = False) -> None:
        self.stop(kill=kill)
        self.start()

    def rss_mb(self) -> float:
        """Resident memory of the server process, from /proc (Linux)."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
