from __future__ import annotations

from fastapi import APIRouter

from ...engine.catalogue import layer_catalogue
from ..schemas import LayerInfo

router = APIRouter(prefix="/api/layers", tags=["layers"])


@router.get("", response_model=list[LayerInfo], summary="Every supported layer type with torch's parameters and defaults")
def list_layers() -> list[LayerInfo]:
    return [LayerInfo(**entry) for entry in layer_catalogue()]
