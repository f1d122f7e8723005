"""Runs: deterministic ids, a bounded in-memory cache of outputs, and recomputation after eviction."""

from .maps import MapQuery, StageMaps
from .store import RunRequest, RunResult, RunStore

__all__ = ["MapQuery", "RunRequest", "RunResult", "RunStore", "StageMaps"]
