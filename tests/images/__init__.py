"""Tests mirroring app/images."""
