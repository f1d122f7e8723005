"""Tests mirroring app/render."""
