"""Uploads under memory pressure: peak RSS of a real server while 16 clients upload maximum-size images at once.

    scripts/run bench/upload_bench.py [--clients 16] [--modes RGB,RGBA]

For each mode, one picture of exactly LAYERLAB_MAX_IMAGE_PIXELS (40 MP: 8000 x 5000) that fits in
LAYERLAB_MAX_UPLOAD_BYTES (20 MB) as PNG, sent by every client (each upload is decoded and hashed in
full; the first is written, the rest find it stored: writing streams, so it adds little memory). The server (tests/live_server.py) keeps its defaults except: as many
compute workers as clients, so the gate admits every upload at once and only the decode memory budget
(LAYERLAB_DECODE_MEMORY_BYTES) bounds what they hold; a request timeout long enough for all to finish.
Prints each mode's answers, wall time and the server's peak RSS (VmHWM, the kernel's high-water mark,
and the highest VmRSS sampled every 20 ms). Target: peak <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, for tests.live_server
from app.settings import Settings  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

WIDTH, HEIGHT = 8000, 5000
TARGET_MB = 1536


def picture(mode: str) -> bytes:
    """A PNG of WIDTH x HEIGHT in ``mode`` (a smooth picture, so it fits the byte limit)."""
    defaults = Settings.model_fields
    assert WIDTH * HEIGHT == defaults["max_image_pixels"].default
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.uint32)
    channels = [x * 255 // WIDTH, y * 255 // HEIGHT, (x + y) * 255 // (WIDTH + HEIGHT), 255 - y * 128 // HEIGHT]
    buf = io.BytesIO()
    Image.fromarray(np.stack(channels[: len(mode)], -1).astype(np.uint8), mode).save(buf, "PNG", compress_level=1)
    assert len(buf.getvalue()) <= defaults["max_upload_bytes"].default, len(buf.getvalue())
    return buf.getvalue()


class PeakRss:
    """The highest VmRSS of a process, sampled every 20 ms while running."""

    def __init__(self, server: LiveServer) -> None:
        self.server, self.peak_mb, self._stop = server, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak_mb = max(self.peak_mb, self.server.rss_mb())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def high_water_mb(server: LiveServer) -> float:
    assert server.process is not None
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def upload_all(url: str, files: list[bytes]) -> tuple[Counter, float]:
    def one(data: bytes) -> str:
        with httpx.Client(base_url=url, timeout=900) as c:
            r = c.post("/api/uploads", files={"file": ("big.png", data, "image/png")})
            return str(r.status_code) if r.status_code == 200 else f"{r.status_code} {r.text[:120]}"

    start = time.perf_counter()
    with ThreadPoolExecutor(len(files)) as pool:
        answers = Counter(pool.map(one, files))
    return answers, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--modes", default="RGB,RGBA")
    args = parser.parse_args()
    peaks = []
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp) / "data", LAYERLAB_COMPUTE_WORKERS=str(args.clients), LAYERLAB_REQUEST_TIMEOUT="900")
        with server:
            print(f"server up: RSS {server.rss_mb():.0f} MB")
            for mode in args.modes.split(","):
                files = [picture(mode)] * args.clients
                print(f"{mode}: {args.clients} uploads of a {WIDTH}x{HEIGHT} PNG, {len(files[0]) / 1e6:.1f} MB")
                with PeakRss(server) as sampled:
                    answers, seconds = upload_all(server.url, files)
                hwm = high_water_mb(server)
                peaks.append(max(hwm, sampled.peak_mb))
                print(f"  answers {dict(answers)} in {seconds:.1f} s; peak RSS sampled {sampled.peak_mb:.0f} MB, "
                      f"high-water mark so far {hwm:.0f} MB; now {server.rss_mb():.0f} MB")
    peak = max(peaks)
    print(f"peak server RSS {peak:.0f} MB (target <= {TARGET_MB} MB): {'PASS' if peak <= TARGET_MB else 'FAIL'}")


if __name__ == "__main__":
    main()
