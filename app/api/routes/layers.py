from __future__ import annotations

from fastapi import APIRouter

from ...engine.catalogue import layer_catalogue
from ...i18n.data import translated_layers
from ..deps import WordsDep
from ..schemas import LayerInfo

router = APIRouter(prefix="/api/layers", tags=["layers"])


@router.get("", response_model=list[LayerInfo], summary="Every supported layer type with torch's parameters and defaults")
def list_layers(words: WordsDep) -> list[LayerInfo]:
    """Descriptions in the request's language (?lang=, cookie, Accept-Language; English by default); torch's names as torch writes them."""
    return [LayerInfo(**entry) for entry in translated_layers(layer_catalogue(), words)]
