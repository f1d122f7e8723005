"""Data-parallel training across processes, as PyTorch's own launcher sets it up.

``torchrun --standalone --nproc_per_node=N`` starts N copies of the worker with ``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK`` and a rendezvous (``MASTER_ADDR``/``MASTER_PORT``) in their
environment; :func:`ranks_from_env` reads them (absent: one process) and :func:`process_group`
joins the group with ``init_method="env://"`` — gloo on the CPU, nccl on CUDA. Each global batch is
split across the ranks (:func:`shard`) and :class:`~torch.nn.parallel.DistributedDataParallel`
averages the gradients, so with the loss scaled as in :func:`shard_loss` every step moves the
weights exactly as one process would on the whole batch.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel


@dataclass(frozen=True)
class Ranks:
    rank: int = 0
    world: int = 1
    local_rank: int = 0  # the rank's index on its machine: its GPU under CUDA

    @property
    def leader(self) -> bool:
        """Rank 0 evaluates and is the one whose records are written."""
        return self.rank == 0


SINGLE = Ranks()


def ranks_from_env() -> Ranks:
    """The ranks torchrun gave this process (its documented variables), or one process without it."""
    if "WORLD_SIZE" not in os.environ:
        return SINGLE
    return Ranks(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", "0")))


@contextmanager
def process_group(ranks: Ranks, device: torch.device) -> Iterator[None]:
    """Join torchrun's process group for the duration (nothing to join for one process)."""
    if ranks.world == 1:
        yield
        return
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo", init_method="env://")
    try:
        yield
    finally:
        dist.destroy_process_group()


def wrap(net: nn.Module, ranks: Ranks, device: torch.device) -> nn.Module:
    """The module to train: ``net`` itself, or DDP over it (whose gradients are averaged over ranks)."""
    if ranks.world == 1:
        return net
    return DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)


def shard(batch: torch.Tensor, ranks: Ranks) -> torch.Tensor:
    """This rank's part of a global batch of indices: contiguous, sizes differing by at most one."""
    return batch.tensor_split(ranks.world)[ranks.rank]


def shard_loss(loss_sum: torch.Tensor, global_batch: int, ranks: Ranks) -> torch.Tensor:
    """The loss to back-propagate on one rank, given the summed loss of its shard.

    DDP divides the summed gradients by the world size; scaling by ``world / global_batch`` makes
    that the gradient of the mean over the global batch, even when the shards are uneven.
    """
    return loss_sum * (ranks.world / global_batch)


def global_sum(value: torch.Tensor, ranks: Ranks) -> torch.Tensor:
    """``value`` summed over every rank (every rank calls this, in the same order)."""
    if ranks.world == 1:
        return value
    total = value.detach().clone()
    dist.all_reduce(total)
    return total
