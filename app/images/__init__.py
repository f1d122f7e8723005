"""Uploaded images: decoded safely once, stored by content hash, handed to the engine as ToTensor does."""

from .uploads import UploadDirectory

__all__ = ["UploadDirectory"]
