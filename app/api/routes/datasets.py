"""CIFAR-10 for browsing: what is loaded, one item, its picture, and a page of items by class."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from ...datasets import Cifar10, Split
from ...errors import NotFoundError
from ...render.png import encode_png
from ..deps import ServicesDep

router = APIRouter(prefix="/api/datasets/cifar10", tags=["datasets"])
Index = Annotated[int, Path(ge=0)]


class Download(BaseModel):
    state: Literal["downloading", "unpacking", "done", "failed"]
    bytes: int = Field(description="Received so far.")
    total: int | None = Field(description="The archive's size, when its server says.")
    error: str | None = None


class DatasetInfo(BaseModel):
    source: str = Field(description="torchvision (official files), folder (ImageFolder tree) or bundled (built-in sample).")
    classes: list[str]
    splits: dict[str, int]
    download: Download | None = Field(
        None, description="The official archive's download (LAYERLAB_CIFAR10_DOWNLOAD=1), while and after it runs; null when none."
    )


class Item(BaseModel):
    index: int
    label: int
    class_name: str
    image_url: str


class ItemPage(BaseModel):
    split: str
    class_name: str | None
    total: int = Field(description="Items matching, before offset/limit.")
    offset: int
    items: list[Item]


def _data(services: ServicesDep) -> Cifar10:
    return services.cifar10  # type: ignore[return-value]


def _item(data: Cifar10, split: Split, index: int) -> Item:
    label = data.label(split, index)
    return Item(index=index, label=label, class_name=data.classes[label], image_url=f"/api/datasets/cifar10/{split}/{index}.png")


@router.get("", response_model=DatasetInfo, summary="Which CIFAR-10 is loaded, its classes and split sizes")
def info(services: ServicesDep) -> DatasetInfo:
    data = _data(services)
    download = services.cifar10_download.progress() if services.cifar10_download is not None else None
    return DatasetInfo(source=data.source, classes=list(data.classes), splits={s: data.size(s) for s in Split}, download=download)


@router.get(
    "/{split}",
    response_model=ItemPage,
    summary="A page of items, optionally of one class (for browsing)",
    responses={404: {"description": "Unknown class"}},
)
def browse(
    split: Split,
    services: ServicesDep,
    class_name: str | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 48,
) -> ItemPage:
    data = _data(services)
    if class_name is None:
        total = data.size(split)
        indices = list(range(offset, min(offset + limit, total)))
    else:
        if class_name not in data.classes:
            raise NotFoundError(f"No CIFAR-10 class {class_name!r}; classes are {', '.join(data.classes)}.")
        matching = data.indices_of_class(split, data.classes.index(class_name))
        total = len(matching)
        indices = matching[offset : offset + limit].tolist()
    return ItemPage(split=split, class_name=class_name, total=total, offset=offset, items=[_item(data, split, i) for i in indices])


@router.get(
    "/{split}/{index}.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, 404: {"description": "Index out of range"}},
    summary="One CIFAR-10 image as a 32x32 PNG",
)
def image_png(split: Split, index: Index, services: ServicesDep) -> Response:
    image = _data(services).images(split, index, 1)[0]  # (3, 32, 32) uint8
    return Response(encode_png(image), media_type="image/png", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/{split}/{index}", response_model=Item, summary="One CIFAR-10 item", responses={404: {"description": "Index out of range"}})
def item(split: Split, index: Index, services: ServicesDep) -> Item:
    return _item(_data(services), split, index)
