"""app/inputs.py: each input source gives the tensor torch would, and a code line that makes the same x."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import pytest
import torch
import torchvision
from PIL import Image
from pydantic import TypeAdapter

from app.datasets.bundled import load_bundled
from app.engine import InputError
from app.images.uploads import UploadDirectory
from app.inputs import InputSpec, ResolvedInput, resolve_input
from app.services import Services
from app.settings import Settings
from tests.imagegen import encode, gradient

CIFAR10 = load_bundled()


@pytest.fixture
def uploads(settings: Settings) -> UploadDirectory:
    return UploadDirectory(settings)


@pytest.fixture
def services(settings: Settings, uploads: UploadDirectory) -> Services:
    return Services(settings, CIFAR10, uploads)


def _resolve(services: Services, spec: dict[str, Any]) -> ResolvedInput:
    return resolve_input(TypeAdapter(InputSpec).validate_python(spec), services)


def _x_of(code: str) -> torch.Tensor:
    namespace: dict[str, Any] = {"torch": torch}
    exec(compile(code, "<input code>", "exec"), namespace)  # noqa: S102 (our own output)
    return namespace["x"]


@pytest.mark.parametrize(
    ("spec", "shape"),
    [
        ({"source": "tensor", "data": [[1, 2], [3, 4]]}, (2, 2)),
        ({"source": "tensor", "data": list(range(12)), "shape": [1, 3, -1]}, (1, 3, 4)),
        ({"source": "tensor", "data": 5}, ()),
    ],
)
def test_tensor_source_is_torch_tensor_and_its_code_makes_the_same_x(services: Services, spec: dict, shape: tuple) -> None:
    resolved = _resolve(services, spec)
    assert resolved.tensor.dtype == torch.float32 and tuple(resolved.tensor.shape) == shape
    assert not resolved.is_image
    assert torch.equal(_x_of(resolved.code), resolved.tensor)


def test_non_finite_values_are_written_as_python_literals(services: Services) -> None:
    resolved = _resolve(services, {"source": "tensor", "data": [math.nan, math.inf, -math.inf, 1.0]})
    x = _x_of(resolved.code)
    assert torch.equal(torch.isnan(x), torch.tensor([True, False, False, False]))
    assert x[1:].tolist() == [math.inf, -math.inf, 1.0]


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        ({"source": "tensor", "data": [[1, 2], [3]]}, "data", "not a rectangular array"),
        ({"source": "tensor", "data": [1, 2, 3], "shape": [2, 2]}, "shape", "cannot be reshaped to [2, 2]"),
    ],
)
def test_unusable_tensors_name_the_field(services: Services, spec: dict, field: str, words: str) -> None:
    with pytest.raises(InputError, match=words.replace("[", r"\[").replace("]", r"\]")) as refused:
        _resolve(services, spec)
    assert refused.value.field_name == field


class _FakeCifar10:
    """torchvision's CIFAR10 as the code field uses it, serving the bundled sample instead of a download."""

    def __init__(self, root: str, train: bool, download: bool, transform: Any) -> None:
        self.split, self.transform = ("train" if train else "test"), transform

    def __getitem__(self, i: int) -> tuple[Any, int]:
        picture = Image.fromarray(CIFAR10.images(self.split, i, 1)[0].permute(1, 2, 0).numpy())
        return self.transform(picture), CIFAR10.label(self.split, i)


@pytest.mark.parametrize(
    ("spec", "shape"),
    [
        ({"source": "cifar10", "split": "test", "index": 7}, (1, 3, 32, 32)),
        ({"source": "cifar10", "split": "train", "index": 0}, (1, 3, 32, 32)),
        ({"source": "cifar10_batch", "split": "test", "start": 5, "count": 3}, (3, 3, 32, 32)),
    ],
)
def test_cifar10_is_what_to_tensor_gives_and_the_code_indexes_the_same_images(
    services: Services, monkeypatch: pytest.MonkeyPatch, spec: dict, shape: tuple
) -> None:
    resolved = _resolve(services, spec)
    assert resolved.is_image and tuple(resolved.tensor.shape) == shape
    assert 0 <= float(resolved.tensor.min()) and float(resolved.tensor.max()) <= 1
    monkeypatch.setattr(torchvision.datasets, "CIFAR10", _FakeCifar10)
    assert torch.equal(_x_of(resolved.code), resolved.tensor)


def test_cifar10_batch_above_the_limit_is_refused(services: Services) -> None:
    too_many = services.settings.max_batch + 1
    with pytest.raises(InputError, match="LAYERLAB_MAX_BATCH") as refused:
        _resolve(services, {"source": "cifar10_batch", "count": too_many})
    assert refused.value.field_name == "count"


@pytest.mark.parametrize(
    ("extra", "shape", "steps"),
    [
        ({}, (1, 3, 24, 40), "[transforms.ToTensor()]"),
        ({"grayscale": True}, (1, 1, 24, 40), "[transforms.Grayscale(), transforms.ToTensor()]"),
        ({"resize": [12, 20], "grayscale": True}, (1, 1, 12, 20), "[transforms.Grayscale(), transforms.Resize([12, 20]), transforms.ToTensor()]"),
    ],
)
def test_upload_code_run_on_the_picture_gives_the_same_x(
    services: Services, uploads: UploadDirectory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: dict, shape: tuple, steps: str
) -> None:
    picture = gradient()  # 40 × 24
    upload_id = uploads.save(io.BytesIO(encode(picture, "PNG"))).upload_id  # as the request's spooled file
    resolved = _resolve(services, {"source": "upload", "upload_id": upload_id, **extra})
    assert resolved.is_image and tuple(resolved.tensor.shape) == shape
    assert steps in resolved.code
    picture.save(tmp_path / "your_image.png")  # the file the code opens
    monkeypatch.chdir(tmp_path)
    assert torch.equal(_x_of(resolved.code), resolved.tensor)
