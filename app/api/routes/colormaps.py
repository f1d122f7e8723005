"""The colormaps the maps are drawn with, as colour lists: the page colours values.npy with the same ones."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ...render.colormaps import LEVELS, PALETTES

router = APIRouter(prefix="/api", tags=["runs"])


@router.get("/colormaps", summary="Each coloured map's colours, lowest value first (hex RGB)")
def colormaps(response: Response) -> dict[str, list[str]]:
    response.headers["Cache-Control"] = "public, max-age=3600"
    return {cmap.value: ["#" + bytes(c).hex() for c in palette[:LEVELS].tolist()] for cmap, palette in PALETTES.items()}
