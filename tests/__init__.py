"""Tests mirroring app/."""
