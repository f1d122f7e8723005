"""The official CIFAR-10 archive downloaded in the background, with progress to show.

The server answers at once with what it has (the bundled sample) while a thread streams
``LAYERLAB_CIFAR10_URL`` into the data dir, checks its MD5 (``LAYERLAB_CIFAR10_MD5``), unpacks it
and hands the loaded dataset to ``on_loaded``; ``GET /api/datasets/cifar10`` reports
:meth:`Cifar10Download.progress` meanwhile.
"""

from __future__ import annotations

import hashlib
import logging
import tarfile
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from .cifar10 import Cifar10
from .official import load_official

log = logging.getLogger(__name__)
_CHUNK = 1 << 20


class DownloadState(StrEnum):
    DOWNLOADING = "downloading"
    UNPACKING = "unpacking"  # checked, being extracted and loaded
    DONE = "done"
    FAILED = "failed"


@dataclass
class DownloadProgress:
    state: DownloadState
    bytes: int = 0
    total: int | None = None  # from Content-Length; None when the server does not say
    error: str | None = None


class Cifar10Download:
    def __init__(self, url: str, md5: str | None, root: Path, on_loaded: Callable[[Cifar10], None]) -> None:
        self.url, self.md5, self.root, self._on_loaded = url, md5, root, on_loaded
        self._progress = DownloadProgress(DownloadState.DOWNLOADING)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="cifar10-download", daemon=True)

    def start(self) -> Cifar10Download:
        log.info("downloading CIFAR-10 from %s into %s in the background", self.url, self.root)
        self._thread.start()
        return self

    def progress(self) -> dict[str, object]:
        with self._lock:
            return asdict(self._progress)

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _set(self, **changes: object) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self._progress, name, value)

    def _run(self) -> None:
        archive = self.root / "cifar-10-python.tar.gz"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._fetch(archive)
            self._set(state=DownloadState.UNPACKING)
            with tarfile.open(archive) as tar:
                tar.extractall(self.root, filter="data")  # no links out, no absolute paths, no devices
            data = load_official(self.root)
            self._on_loaded(data)
            archive.unlink(missing_ok=True)
            self._set(state=DownloadState.DONE)
            log.info("CIFAR-10 downloaded: %d train, %d test images", data.size("train"), data.size("test"))
        except Exception as exc:  # noqa: BLE001 (any failure is reported, once, and the sample stays)
            self._set(state=DownloadState.FAILED, error=f"{type(exc).__name__}: {exc}")
            log.error("downloading CIFAR-10 from %s failed; serving the bundled sample: %s", self.url, exc)
        finally:
            archive.with_suffix(".part").unlink(missing_ok=True)

    def _fetch(self, archive: Path) -> None:
        part = archive.with_suffix(".part")
        digest = hashlib.md5(usedforsecurity=False)
        with urllib.request.urlopen(self.url, timeout=60) as response, part.open("wb") as out:  # noqa: S310 (an operator's URL)
            length = response.headers.get("Content-Length")
            self._set(total=int(length) if length and length.isdigit() else None)
            received = 0
            while chunk := response.read1(_CHUNK):  # what has arrived, so progress moves with the bytes
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                self._set(bytes=received)
        if self.md5 and digest.hexdigest() != self.md5:
            raise ValueError(f"the archive's MD5 is {digest.hexdigest()}, not {self.md5} (LAYERLAB_CIFAR10_MD5)")
        part.replace(archive)
