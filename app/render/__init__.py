"""Tensors → pictures: stage maps, weights, pooling indices, PNG encoding. No web framework here."""

from .colormaps import Colormap
from .maps import Normalize, RenderError, draw_stage, draw_weight, indices_mask
from .png import Picture, encode_png

__all__ = ["Colormap", "Normalize", "Picture", "RenderError", "draw_stage", "draw_weight", "encode_png", "indices_mask"]
