"""Where a pipeline's input comes from: a typed tensor, a CIFAR-10 image or batch, or an upload.

Each source is a pydantic model (the request's ``input``) and a resolver that turns it into the
float32 tensor torch's ``ToTensor`` would give (N, C, H, W), plus the PyTorch line that makes the
same ``x`` for the ``code`` field. Resolvers get the app's services (datasets, uploads) passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

import torch
from pydantic import BaseModel, ConfigDict, Field

from .engine.errors import InputError
from .engine.schema import NestedFloats

if TYPE_CHECKING:
    from .services import Services


class TensorInput(BaseModel):
    """``torch.tensor(data, dtype=torch.float32)``, then ``.reshape(shape)`` when shape is given."""

    model_config = ConfigDict(extra="forbid")
    source: Literal["tensor"]
    data: NestedFloats = Field(description="Nested lists of numbers (a rectangular array).")
    shape: list[Annotated[int, Field(strict=True, ge=-1)]] | None = Field(
        None, description="torch.reshape semantics; one -1 may be inferred.", max_length=8
    )


class Cifar10Input(BaseModel):
    """One CIFAR-10 image as (1, 3, 32, 32)."""

    model_config = ConfigDict(extra="forbid")
    source: Literal["cifar10"]
    split: Literal["train", "test"] = "test"
    index: Annotated[int, Field(strict=True, ge=0)] = 0


class Cifar10BatchInput(BaseModel):
    """``count`` consecutive CIFAR-10 images from ``start`` as (count, 3, 32, 32)."""

    model_config = ConfigDict(extra="forbid")
    source: Literal["cifar10_batch"]
    split: Literal["train", "test"] = "test"
    start: Annotated[int, Field(strict=True, ge=0)] = 0
    count: Annotated[int, Field(strict=True, ge=1)] = 16


class UploadInput(BaseModel):
    """An uploaded image, optionally resized to (h, w) and/or made grayscale."""

    model_config = ConfigDict(extra="forbid")
    source: Literal["upload"]
    upload_id: str = Field(min_length=1, max_length=128)
    resize: tuple[Annotated[int, Field(strict=True, ge=1, le=4096)], Annotated[int, Field(strict=True, ge=1, le=4096)]] | None = None
    grayscale: bool = False


InputSpec = Annotated[
    Union[TensorInput, Cifar10Input, Cifar10BatchInput, UploadInput],  # noqa: UP007
    Field(discriminator="source"),
]


@dataclass
class ResolvedInput:
    tensor: torch.Tensor  # float32
    code: str  # PyTorch source that defines the same x
    is_image: bool  # came from an image (values in [0, 1], channels are colours)


def _resolve_tensor(spec: TensorInput, _services: Services) -> ResolvedInput:
    try:
        x = torch.tensor(spec.data, dtype=torch.float32)
    except (ValueError, TypeError) as exc:
        raise InputError(f"data is not a rectangular array of numbers: {exc}", "data") from exc
    if spec.shape is not None:
        try:
            x = x.reshape(spec.shape)
        except RuntimeError as exc:
            raise InputError(
                f"data has {x.numel()} values (shape {list(x.shape)}), which cannot be reshaped to {spec.shape}: {exc}",
                "shape",
            ) from exc
    # repr writes non-finite floats as bare nan/inf, which are not Python literals.
    literal = repr(spec.data).replace("nan", "float('nan')").replace("inf", "float('inf')")
    code = f"x = torch.tensor({literal}, dtype=torch.float32)"
    if spec.shape is not None:
        code += f".reshape({', '.join(map(str, spec.shape))})"
    return ResolvedInput(x, code, is_image=False)


def _cifar10(services: Services, split: str, start: int, count: int, x_line: str) -> ResolvedInput:
    images = services.cifar10.images(split, start, count)  # uint8 (count, 3, 32, 32)
    code = (
        "from torchvision import datasets, transforms\n"
        f"data = datasets.CIFAR10('data', train={split == 'train'}, download=True, transform=transforms.ToTensor())\n"
        + x_line
    )
    return ResolvedInput(images.float() / 255, code, is_image=True)  # exactly what ToTensor computes


def _resolve_cifar10(spec: Cifar10Input, services: Services) -> ResolvedInput:
    x_line = f"x = data[{spec.index}][0].unsqueeze(0)  # (1, 3, 32, 32), float32 in [0, 1]"
    return _cifar10(services, spec.split, spec.index, 1, x_line)


def _resolve_cifar10_batch(spec: Cifar10BatchInput, services: Services) -> ResolvedInput:
    if spec.count > services.settings.max_batch:
        raise InputError(
            f"count={spec.count} is above this server's batch limit of {services.settings.max_batch} (LAYERLAB_MAX_BATCH).",
            "count",
        )
    stop = spec.start + spec.count
    x_line = f"x = torch.stack([data[i][0] for i in range({spec.start}, {stop})])  # ({spec.count}, 3, 32, 32)"
    return _cifar10(services, spec.split, spec.start, spec.count, x_line)


def _resolve_upload(spec: UploadInput, services: Services) -> ResolvedInput:
    x = services.uploads.tensor(spec.upload_id, resize=spec.resize, grayscale=spec.grayscale)
    steps = [] if spec.resize is None else [f"transforms.Resize({list(spec.resize)})"]
    steps = (["transforms.Grayscale()"] if spec.grayscale else []) + steps + ["transforms.ToTensor()"]
    code = (
        "from PIL import Image\n"
        "from torchvision import transforms\n"
        f"x = transforms.Compose([{', '.join(steps)}])(Image.open('your_image.png').convert('RGB')).unsqueeze(0)"
    )
    return ResolvedInput(x, code, is_image=True)


_RESOLVERS: dict[str, Callable[[Any, Services], ResolvedInput]] = {
    "tensor": _resolve_tensor,
    "cifar10": _resolve_cifar10,
    "cifar10_batch": _resolve_cifar10_batch,
    "upload": _resolve_upload,
}


def resolve_input(spec: BaseModel, services: Services) -> ResolvedInput:
    return _RESOLVERS[spec.source](spec, services)  # type: ignore[attr-defined]
