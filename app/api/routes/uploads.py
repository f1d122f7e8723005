"""``POST /api/uploads`` and ``GET /api/uploads/{id}.png``: thin; decoding lives in app.images."""

from __future__ import annotations

from fastapi import APIRouter, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel

from ...errors import PayloadTooLargeError
from ...images import UploadDirectory
from ..deps import ServicesDep

router = APIRouter(prefix="/api/uploads", tags=["uploads"])


class UploadResponse(BaseModel):
    upload_id: str
    width: int
    height: int
    mode: str


def _uploads(services: ServicesDep) -> UploadDirectory:
    return services.uploads  # type: ignore[return-value]


@router.post(
    "",
    response_model=UploadResponse,
    summary="Upload an image (PNG, JPEG, WebP, BMP, GIF first frame, TIFF)",
    responses={413: {"description": "Over the byte or pixel limit"}, 415: {"description": "Not a readable image"}},
)
def upload(file: UploadFile, services: ServicesDep) -> UploadResponse:
    limit = services.settings.max_upload_bytes
    if file.size is not None and file.size > limit:  # the multipart parser counted it while spooling to disk
        raise PayloadTooLargeError(f"The file is over this server's limit of {limit:,} bytes (LAYERLAB_MAX_UPLOAD_BYTES).")
    info = _uploads(services).save(file.file)  # read where it lies, not copied into memory
    return UploadResponse(upload_id=info.upload_id, width=info.width, height=info.height, mode=info.mode)


@router.get(
    "/{upload_id}.png",
    response_class=FileResponse,
    summary="The stored upload as PNG (orientation applied, converted to RGB or L)",
    responses={404: {"description": "Unknown upload id"}},
)
def upload_png(upload_id: str, services: ServicesDep) -> FileResponse:
    return FileResponse(_uploads(services).path(upload_id), media_type="image/png")
