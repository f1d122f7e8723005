"""torch's global random generator, shared by every thread: who may draw from it, and for how long.

Building a module draws its initial weights from the global generator, and so does the forward pass
of a layer that is random in train mode (``LayerSpec.random_in_train``: Dropout, RReLU). The API
promises ``torch.manual_seed(seed)``, then every module built, then the forward pass, so those
draws must not interleave with another request's. They happen under one lock, and nothing else
does: every other forward pass of a run proceeds in parallel with other runs (torch releases the
GIL in its kernels). The caller's generator state is put back each time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch

_LOCK = threading.Lock()


@contextmanager
def _cpu_state_kept() -> Iterator[None]:
    """``torch.random.fork_rng(devices=[])``: the CPU generator's state put back after the block. Written
    out because fork_rng first looks up the accelerator and its module on every call (~6 % of a small
    run's GIL time, py-spy), to fork none of them."""
    state = torch.get_rng_state()
    try:
        yield
    finally:
        torch.set_rng_state(state)


class RandomStream:
    """The global generator's state where a run left it, so its next draws continue from there."""

    def __init__(self) -> None:
        self._state: torch.Tensor | None = None

    @contextmanager
    def drawing(self) -> Iterator[None]:
        """Holds the generator at this run's state for a block that draws (a random layer's forward)."""
        assert self._state is not None, "drawing() follows seeded()"
        with _LOCK, _cpu_state_kept():
            torch.set_rng_state(self._state)
            yield
            self._state = torch.get_rng_state()


@contextmanager
def seeded(seed: int, *, cpu_only: bool = False) -> Iterator[RandomStream]:
    """Holds the generator at ``torch.manual_seed(seed)`` for the block (building modules); the
    stream it yields continues from where the block left the generator.

    ``cpu_only``: for a block that draws on the CPU only (a run), seed just the CPU generator, as
    ``torch.manual_seed`` does, without also queueing a seed for a CUDA this process has not started
    (torch records a stack trace with it: ~8 % of a small run's GIL time, measured with py-spy).
    """
    stream = RandomStream()
    with _LOCK, _cpu_state_kept():
        if cpu_only and not torch.cuda.is_initialized():
            torch.default_generator.manual_seed(seed)
        else:
            torch.manual_seed(seed)
        yield stream
        stream._state = torch.get_rng_state()


@contextmanager
def isolated() -> Iterator[None]:
    """Holds the generator for a block whose draws must not count (shape inference on the CPU)."""
    with _LOCK, _cpu_state_kept():
        yield
