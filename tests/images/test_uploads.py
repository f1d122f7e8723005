"""POST /api/uploads: every format and mode, EXIF orientation, limits, refusals that write nothing."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image
from torchvision.transforms import functional as TF

from app.main import create_app
from app.settings import Settings
from tests.imagegen import encode, gradient


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def post(client: TestClient, data: bytes, name: str = "x.bin"):
    return client.post("/api/uploads", files={"file": (name, data, "application/octet-stream")})


def uploads_dir(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF"])
def test_every_format(client: TestClient, fmt: str) -> None:
    r = post(client, encode(gradient(), fmt))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["width"], body["height"], body["mode"]) == (40, 24, "RGB")
    assert len(body["upload_id"]) == 64
    png = client.get(f"/api/uploads/{body['upload_id']}.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).size == (40, 24)


@pytest.mark.parametrize(
    ("mode", "fmt", "expected"),
    [
        ("RGBA", "PNG", "RGB"),
        ("P", "PNG", "RGB"),
        ("LA", "PNG", "L"),
        ("L", "PNG", "L"),
        ("1", "PNG", "L"),
        ("I;16", "PNG", "L"),
        ("I", "TIFF", "L"),
        ("F", "TIFF", "L"),
        ("CMYK", "JPEG", "RGB"),
        ("CMYK", "TIFF", "RGB"),
        ("YCbCr", "JPEG", "RGB"),
    ],
)
def test_every_mode_becomes_rgb_or_l(client: TestClient, mode: str, fmt: str, expected: str) -> None:
    r = post(client, encode(gradient(mode=mode), fmt))
    assert r.status_code == 200, r.text
    assert r.json()["mode"] == expected


def test_sixteen_bit_uses_full_range(client: TestClient) -> None:
    im = Image.new("I;16", (4, 4), 65535)
    upload_id = post(client, encode(im, "PNG")).json()["upload_id"]
    stored = Image.open(io.BytesIO(client.get(f"/api/uploads/{upload_id}.png").content))
    assert np.asarray(stored).min() == 255


def test_transparent_pixels_become_white(client: TestClient) -> None:
    im = Image.new("RGBA", (3, 3), (0, 0, 0, 0))
    upload_id = post(client, encode(im, "PNG")).json()["upload_id"]
    stored = Image.open(io.BytesIO(client.get(f"/api/uploads/{upload_id}.png").content))
    assert np.asarray(stored).min() == 255


def test_gif_first_frame(client: TestClient) -> None:
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    upload_id = post(client, buf.getvalue()).json()["upload_id"]
    stored = np.asarray(Image.open(io.BytesIO(client.get(f"/api/uploads/{upload_id}.png").content)).convert("RGB"))
    assert stored[0, 0].tolist() == [255, 0, 0]


def test_exif_orientation_applied(client: TestClient) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    r = post(client, encode(gradient(40, 24), "JPEG", exif=exif))
    assert r.status_code == 200
    assert (r.json()["width"], r.json()["height"]) == (24, 40)


def test_same_picture_same_id(client: TestClient) -> None:
    a = post(client, encode(gradient(), "PNG")).json()["upload_id"]
    b = post(client, encode(gradient(), "BMP")).json()["upload_id"]
    assert a == b


def test_tensor_matches_torchvision(client: TestClient) -> None:
    im = gradient(40, 24)
    upload_id = post(client, encode(im, "PNG")).json()["upload_id"]
    store = client.app.state.services.uploads
    x = store.tensor(upload_id, resize=None, grayscale=False)
    assert x.shape == (1, 3, 24, 40) and x.dtype == torch.float32
    assert torch.equal(x, TF.to_tensor(im).unsqueeze(0))
    g = store.tensor(upload_id, resize=(12, 20), grayscale=True)
    assert torch.equal(g, TF.to_tensor(TF.resize(TF.to_grayscale(im), [12, 20])).unsqueeze(0))


def test_upload_runs_through_pipeline(client: TestClient) -> None:
    upload_id = post(client, encode(gradient(), "PNG")).json()["upload_id"]
    r = client.post("/api/pipeline/run", json={"input": {"source": "upload", "upload_id": upload_id, "resize": [8, 8]}, "layers": []})
    assert r.status_code == 200, r.text
    assert r.json()["input"]["shape"] == [1, 3, 8, 8]


def test_oversize_bytes_413_nothing_written(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", cifar10_dir=None, max_upload_bytes=1000)
    with TestClient(create_app(settings)) as client:
        r = post(client, encode(gradient(200, 200), "BMP"))
        assert r.status_code == 413
    assert not uploads_dir(settings).exists() or not any(uploads_dir(settings).iterdir())


@pytest.mark.parametrize("size", [(101, 100), (300, 300)])  # just over the limit, and over Pillow's 2x error
def test_too_many_pixels_413(tmp_path: Path, size: tuple[int, int]) -> None:
    settings = Settings(data_dir=tmp_path / "data", cifar10_dir=None, max_image_pixels=10_000)
    with TestClient(create_app(settings)) as client:
        r = post(client, encode(Image.new("L", size), "PNG"))
        assert r.status_code == 413, r.text
        assert post(client, encode(Image.new("L", (100, 100)), "PNG")).status_code == 200
    assert len(list(uploads_dir(settings).iterdir())) == 1


def test_bomb_png_header_413(client: TestClient) -> None:
    # A tiny file claiming 30000 x 30000 pixels: refused from the header, before decoding.
    data = encode(Image.new("1", (30000, 30000)), "PNG")
    assert len(data) < 200_000
    assert post(client, data).status_code == 413


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, not an image", b"%PDF-1.4 fake", _half(encode(gradient(200, 200), "PNG")), _half(encode(gradient(200, 200), "JPEG"))],
    ids=["empty", "text", "pdf", "truncated-png", "truncated-jpeg"],
)
def test_not_an_image_415_nothing_written(client: TestClient, settings: Settings, data: bytes) -> None:
    r = post(client, data)
    assert r.status_code == 415, r.text
    assert not uploads_dir(settings).exists() or not any(uploads_dir(settings).iterdir())


@pytest.mark.parametrize("bad", ["nothex", "../../etc/passwd", "A" * 64, "0" * 63])
def test_bad_ids_404(client: TestClient, bad: str) -> None:
    assert client.get(f"/api/uploads/{bad}.png").status_code == 404
    r = client.post("/api/pipeline/run", json={"input": {"source": "upload", "upload_id": bad}, "layers": []})
    assert r.status_code == 404


def test_unknown_id_404(client: TestClient) -> None:
    assert client.get(f"/api/uploads/{'0' * 64}.png").status_code == 404


def test_the_id_is_the_hash_of_every_pixel_across_strips(client: TestClient) -> None:
    img = gradient(37, 600)  # taller than one hashed strip of rows
    expected = hashlib.sha256("RGB:37x600:".encode() + img.convert("RGB").tobytes()).hexdigest()
    assert post(client, encode(img, "PNG")).json()["upload_id"] == expected


@pytest.mark.parametrize(("resize", "grayscale"), [(None, False), (None, True), ((20, 30), False), ((17, 9), True)])
def test_a_kept_upload_gives_exactly_what_to_tensor_gives(client: TestClient, resize, grayscale) -> None:
    """The uploads keep ToTensor's uint8 pixels; a run's input is still TF.to_tensor's, bit for bit and contiguous."""
    rng = np.random.default_rng(3)
    picture = Image.fromarray(rng.integers(0, 256, (37, 41, 3), dtype=np.uint8))
    upload_id = post(client, encode(picture, "PNG")).json()["upload_id"]
    uploads = client.app.state.services.uploads
    expected = picture.convert("L") if grayscale else picture
    expected = TF.to_tensor(TF.resize(expected, list(resize)) if resize else expected).unsqueeze(0)
    for _ in range(2):  # decoded, then kept
        x = uploads.tensor(upload_id, resize=resize, grayscale=grayscale)
        assert x.dtype == torch.float32 and x.is_contiguous() and torch.equal(x, expected)
        x.add_(1)  # a caller changing its tensor changes nothing kept
