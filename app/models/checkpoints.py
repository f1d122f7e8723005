"""Training jobs' checkpoints, read back as weights a run can use.

``<data dir>/jobs/<id>/checkpoints/epoch-<n>.pt``: a job's ``state_dict`` after epoch n (0: the initial
weights), saved by the worker with ``torch.save``. The layout is named here, where it is read; the
jobs package writes through these names (``JobFolder.checkpoint``), so reading weights needs no
import of ``app.jobs``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import torch

from ..errors import NotFoundError

# <UTC date>-<time>-<microseconds>-<random> (app/jobs/folder.py new_job_id); ids of before the
# microseconds still read. Matched whole (fullmatch: `$` would let a trailing newline through).
_JOB_ID = re.compile(r"\d{8}-\d{6}(-\d{6})?-[0-9a-f]{6}")
_CHECKPOINT = re.compile(r"epoch-(\d+)\.pt")


def is_job_id(job_id: str) -> bool:
    return _JOB_ID.fullmatch(job_id) is not None


def checkpoint_path(job_dir: Path, epoch: int) -> Path:
    return job_dir / "checkpoints" / f"epoch-{epoch}.pt"


def checkpoint_epochs(job_dir: Path) -> list[int]:
    folder = job_dir / "checkpoints"
    if not folder.is_dir():
        return []
    return sorted(int(m.group(1)) for p in folder.iterdir() if (m := _CHECKPOINT.fullmatch(p.name)))


def checkpoint_epoch(job_dir: Path, epoch: int | None) -> int:
    """``epoch`` if it has a checkpoint, the latest for None; NotFoundError otherwise."""
    epochs = checkpoint_epochs(job_dir)
    job_id = job_dir.name
    if not epochs:
        raise NotFoundError(
            f"Job {job_id} has no checkpoint yet; epoch 0 (the initial weights) is written when its worker has loaded the data."
        )
    if epoch is None:
        return epochs[-1]
    if epoch not in epochs:
        raise NotFoundError(f"Job {job_id} has checkpoints for epochs {epochs}, not for epoch {epoch}.")
    return epoch


class JobCheckpoints:
    """The jobs folder as a source of weights: a job's layers, and its state_dict at an epoch."""

    def __init__(self, jobs_dir: Path) -> None:
        self.jobs_dir = jobs_dir

    def job_dir(self, job_id: str) -> Path:
        path = self.jobs_dir / job_id
        if not is_job_id(job_id) or not (path / "config.json").is_file():
            raise NotFoundError(f"weights_from names job {job_id!r}, which does not exist (GET /api/jobs lists them).")
        return path

    def epoch(self, job_id: str, epoch: int | None) -> int:
        """The epoch asked for, or the latest (NotFoundError names what exists)."""
        return checkpoint_epoch(self.job_dir(job_id), epoch)

    def layers(self, job_id: str) -> list[dict[str, Any]]:
        """The job's layers as its config.json keeps them (request JSON, every default filled in by the job)."""
        return list(json.loads((self.job_dir(job_id) / "config.json").read_text())["layers"])

    def jobs_with_checkpoints(self) -> list[tuple[str, int]]:
        """(job id, latest epoch) of every job that has a checkpoint, newest job first."""
        found = []
        for path in sorted(self.jobs_dir.glob("*/"), reverse=True):  # ids sort by creation time
            if is_job_id(path.name) and (epochs := checkpoint_epochs(path)):
                found.append((path.name, epochs[-1]))
        return found

    def state_dict(self, job_id: str, epoch: int) -> dict[str, torch.Tensor]:
        path = checkpoint_path(self.job_dir(job_id), epoch)
        return torch.load(path, map_location="cpu", weights_only=True)
