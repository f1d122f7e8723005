"""Tests mirroring app/api."""
