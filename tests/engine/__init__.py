"""Tests mirroring app/engine."""
