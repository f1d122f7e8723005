"""Uploaded images: decoded safely once, stored by content hash, handed to the engine as ToTensor does."""

from .decode import set_pixel_limit
from .uploads import UploadDirectory

__all__ = ["UploadDirectory", "set_pixel_limit"]
