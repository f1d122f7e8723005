"""CIFAR-10's three sources behind one interface, and the browsing endpoints."""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image

from app.datasets import CLASSES, load_cifar10
from app.datasets.bundled import SAMPLE_PATH
from app.main import create_app
from app.settings import Settings


def write_official(root: Path, per_batch: int = 4) -> dict[str, np.ndarray]:
    """A tiny set of files in torchvision's official pickle format (MD5s are not the real ones)."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    written = {}
    for name in names:
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, per_batch)]
        with open(folder / name, "wb") as f:
            pickle.dump({"data": data, "labels": labels}, f)
        written[name] = data
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": list(CLASSES)}, f)
    return written


def write_folder(root: Path, per_class: int = 2) -> None:
    for split in ("train", "test"):
        for c, name in enumerate(CLASSES):
            (root / split / name).mkdir(parents=True)
            for i in range(per_class):
                Image.new("RGB", (32, 32), (c * 25, i * 100, 7)).save(root / split / name / f"{i:04d}.png")


def test_bundled_sample(client: TestClient) -> None:
    assert SAMPLE_PATH.stat().st_size < 1_000_000
    info = client.get("/api/datasets/cifar10").json()
    assert info == {"source": "bundled", "classes": list(CLASSES), "splits": {"train": 500, "test": 200}, "download": None}
    item = client.get("/api/datasets/cifar10/test/3").json()
    assert item == {"index": 3, "label": 3, "class_name": "cat", "image_url": "/api/datasets/cifar10/test/3.png"}
    png = client.get(item["image_url"])
    assert png.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).size == (32, 32)


def test_bundled_matches_folder_pixels(tmp_path: Path) -> None:
    dev = os.environ.get("LAYERLAB_DEV_CIFAR10_DIR")
    if not dev:
        pytest.skip("LAYERLAB_DEV_CIFAR10_DIR not set (scripts/test sets it)")
    bundled = load_cifar10(Settings(data_dir=tmp_path, cifar10_dir=None))
    first_cat = np.array(Image.open(Path(dev) / "test" / "cat" / "0000.jpg").convert("RGB"))
    assert torch.equal(bundled.images("test", 3, 1)[0], torch.from_numpy(first_cat).permute(2, 0, 1))


def test_official_files(tmp_path: Path) -> None:
    written = write_official(tmp_path / "c10")
    settings = Settings(data_dir=tmp_path / "data", cifar10_dir=tmp_path / "c10")
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/datasets/cifar10").json()["source"] == "torchvision"
        assert client.get("/api/datasets/cifar10").json()["splits"] == {"train": 20, "test": 4}
        data = client.app.state.services.cifar10
        expected = torch.from_numpy(written["test_batch"][1].reshape(3, 32, 32))
        assert torch.equal(data.images("test", 1, 1)[0], expected)
        r = client.post("/api/pipeline/run", json={"input": {"source": "cifar10", "split": "train", "index": 19}, "layers": []})
        assert r.status_code == 200 and r.json()["input"]["shape"] == [1, 3, 32, 32]
        assert client.get("/api/datasets/cifar10/train/20").status_code == 404


def test_official_under_data_dir_when_unset(tmp_path: Path) -> None:
    write_official(tmp_path / "data" / "cifar10")
    assert load_cifar10(Settings(data_dir=tmp_path / "data", cifar10_dir=None)).source == "torchvision"


def test_image_folder(tmp_path: Path) -> None:
    write_folder(tmp_path / "tree")
    settings = Settings(data_dir=tmp_path / "data", cifar10_dir=tmp_path / "tree")
    with TestClient(create_app(settings)) as client:
        info = client.get("/api/datasets/cifar10").json()
        assert info["source"] == "folder" and info["splits"] == {"train": 20, "test": 20}
        item = client.get("/api/datasets/cifar10/test/5").json()
        assert item["class_name"] == "bird"  # ImageFolder order: class-major, files sorted
        x = client.app.state.services.cifar10.images("test", 5, 1)[0]
        assert x[:, 0, 0].tolist() == [50, 100, 7]
        decoded = {split: client.app.state.services.cifar10.images(split, 0, 20).clone() for split in ("train", "test")}
    cached = sorted(p.name.rsplit("-", 1)[1] for p in (tmp_path / "data" / "cache").glob("cifar10-folder-*.npy"))
    assert cached == ["test.npy", "train.npy"]
    again = load_cifar10(settings)  # from the decoded, memory-mapped copy
    for split, images in decoded.items():
        assert torch.equal(again.images(split, 0, 20), images)


def test_bad_cifar10_dir_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="neither"):
        load_cifar10(Settings(data_dir=tmp_path, cifar10_dir=tmp_path / "missing"))


def test_browse_by_class(client: TestClient) -> None:
    page = client.get("/api/datasets/cifar10/test", params={"class_name": "cat", "offset": 2, "limit": 5}).json()
    assert page["total"] == 20 and page["offset"] == 2 and len(page["items"]) == 5
    assert {i["class_name"] for i in page["items"]} == {"cat"}
    all_page = client.get("/api/datasets/cifar10/train", params={"offset": 495}).json()
    assert all_page["total"] == 500 and [i["index"] for i in all_page["items"]] == list(range(495, 500))


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/datasets/cifar10/valid/0", 422),
        ("/api/datasets/cifar10/valid/0.png", 422),
        ("/api/datasets/cifar10/test/200", 404),
        ("/api/datasets/cifar10/test/200.png", 404),
        ("/api/datasets/cifar10/test/-1", 422),
        ("/api/datasets/cifar10/test/abc", 422),
        ("/api/datasets/cifar10/test?class_name=unicorn", 404),
        ("/api/datasets/cifar10/test?limit=0", 422),
        ("/api/datasets/cifar10/nope", 422),
    ],
)
def test_bad_requests(client: TestClient, path: str, status: int) -> None:
    assert client.get(path).status_code == status


def test_batch_out_of_range_is_404(client: TestClient) -> None:
    r = client.post("/api/pipeline/run", json={"input": {"source": "cifar10_batch", "split": "test", "start": 190, "count": 20}, "layers": []})
    assert r.status_code == 404
