"""CIFAR-10 downloaded in the background (app/datasets/download.py), from a local HTTP server standing in
for the archive's URL: the server answers meanwhile, the progress is in GET /api/datasets/cifar10,
and the dataset is swapped in once the archive is checked and unpacked."""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch
from fastapi.testclient import TestClient

from app.datasets.official import load_official
from app.main import create_app
from app.settings import Settings
from tests.datasets.test_cifar10 import write_official


def fake_archive(tmp_path: Path) -> tuple[bytes, dict]:
    """A small archive in the official layout (cifar-10-batches-py/ with 2 images per batch)."""
    written = write_official(tmp_path / "files", per_batch=2)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(tmp_path / "files" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    return buf.getvalue(), written


class Archive:
    """Serves ``data`` at /cifar-10-python.tar.gz: the first half at once, the rest once ``rest`` is set."""

    def __init__(self, data: bytes) -> None:
        self.data, self.rest = data, threading.Event()
        archive = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                self.send_response(200)
                self.send_header("Content-Length", str(len(archive.data)))
                self.end_headers()
                half = len(archive.data) // 2
                self.wfile.write(archive.data[:half])
                self.wfile.flush()
                archive.rest.wait(600)  # the test sets it; exit sets it too
                self.wfile.write(archive.data[half:])

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cifar-10-python.tar.gz"

    def __enter__(self) -> Archive:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.rest.set()
        self.server.shutdown()
        self.server.server_close()


def until(client: TestClient, fact, timeout: float = 60) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not fact(info := client.get("/api/datasets/cifar10").json()):
        assert time.monotonic() < deadline, info
        time.sleep(0.02)
    return info


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[tuple[Archive, dict]]:
    data, written = fake_archive(tmp_path)
    with Archive(data) as served:
        yield served, written


def test_the_server_answers_during_the_download_shows_progress_then_serves_the_downloaded_set(tmp_path: Path, archive) -> None:
    served, written = archive
    md5 = hashlib.md5(served.data, usedforsecurity=False).hexdigest()
    settings = Settings(data_dir=tmp_path / "data", cifar10_download=True, cifar10_url=served.url, cifar10_md5=md5)
    with TestClient(create_app(settings)) as client:
        half = len(served.data) // 2
        info = until(client, lambda i: i["download"]["bytes"] >= half)
        assert info["source"] == "bundled" and info["splits"] == {"train": 500, "test": 200}  # the sample meanwhile
        assert info["download"] == {"state": "downloading", "bytes": half, "total": len(served.data), "error": None}
        served.rest.set()
        info = until(client, lambda i: i["download"]["state"] == "done")
        assert info["source"] == "torchvision" and info["splits"] == {"train": 10, "test": 2}
        assert info["download"]["bytes"] == len(served.data)
        expected = torch.from_numpy(written["test_batch"][1].reshape(3, 32, 32))
        assert torch.equal(client.app.state.services.cifar10.images("test", 1, 1)[0], expected)
        run = client.post("/api/pipeline/run", json={"input": {"source": "cifar10", "split": "train", "index": 9}, "layers": []})
        assert run.status_code == 200, run.text  # the downloaded set's last training image …
        assert client.get("/api/datasets/cifar10/train/10").status_code == 404  # … and 10 does not
    assert not list((tmp_path / "data" / "cifar10").glob("*.tar.gz")) and not list((tmp_path / "data" / "cifar10").glob("*.part"))
    assert load_official(tmp_path / "data" / "cifar10").size("train") == 10  # the next start reads the files


def test_an_archive_that_fails_its_md5_is_not_unpacked_and_the_sample_stays(tmp_path: Path, archive) -> None:
    served, _ = archive
    served.rest.set()
    settings = Settings(data_dir=tmp_path / "data", cifar10_download=True, cifar10_url=served.url, cifar10_md5="0" * 32)
    with TestClient(create_app(settings)) as client:
        info = until(client, lambda i: i["download"]["state"] == "failed")
        assert "LAYERLAB_CIFAR10_MD5" in info["download"]["error"] and info["source"] == "bundled"
    assert not (tmp_path / "data" / "cifar10" / "cifar-10-batches-py").exists()


def test_an_unreachable_url_is_reported_not_fatal(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", cifar10_download=True, cifar10_url="http://127.0.0.1:9/none.tar.gz")
    with TestClient(create_app(settings)) as client:
        info = until(client, lambda i: i["download"]["state"] == "failed")
        assert info["source"] == "bundled" and info["download"]["error"]
        assert client.get("/api/datasets/cifar10/test/0").status_code == 200


def test_a_batch_file_that_would_run_code_is_refused(tmp_path: Path) -> None:
    write_official(tmp_path, per_batch=1)

    class Evil:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (print, ("pwned",))

    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(pickle.dumps({"data": Evil(), "labels": [0]}))
    with pytest.raises(pickle.UnpicklingError, match="builtins.print"):
        load_official(tmp_path)
