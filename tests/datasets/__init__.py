"""Tests mirroring app/datasets."""
