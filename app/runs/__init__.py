"""Runs: deterministic ids, a bounded in-memory cache of outputs, and recomputation after eviction."""

from .store import RunRequest, RunResult, RunStore

__all__ = ["RunRequest", "RunResult", "RunStore"]
