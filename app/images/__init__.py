"""Uploaded images: decoded safely once, stored by content hash, handed to the engine as ToTensor does."""

from .uploads import UploadDirectory, UploadInfo, is_upload_id

__all__ = ["UploadDirectory", "UploadInfo", "is_upload_id"]
