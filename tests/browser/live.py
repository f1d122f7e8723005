"""A live layerlab server and headless Chromium, for the browser tests and scripts/screenshots.py.

Playwright drives the system Chromium (/usr/bin/chromium): ``playwright install`` is not used.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def live_server(data_dir: Path, log_path: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`python -m app` on a free port with its own data dir; yields the base URL, stops the server after."""
    port = _free_port()
    env = {**(os.environ if env is None else env), "LAYERLAB_DATA_DIR": str(data_dir)}
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180  # torch imports slowly on a busy machine
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    tail = log_path.read_text()[-2000:]
                    raise RuntimeError(f"server did not start; the end of {log_path}:\n{tail}")
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
