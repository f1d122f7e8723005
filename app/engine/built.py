"""Networks built with one trained state_dict, kept per plan so that eval runs reuse them.

Building a trained network's modules and loading its weights cost ~1.2 ms of a ~4.6 ms run of
example 14 (``bench/models_bench.py``), and in eval mode the result depends on nothing but the plan
and the weights: the modules take the weights' tensors, nothing is drawn from the generator, and
no layer of the registry changes its state in an eval forward pass. So the owner of a loaded
state_dict (``app.models.home.WeightsHome``) keeps one :class:`BuiltNetworks` beside it, and
:func:`app.engine.run.run_pipeline` reuses what it finds there for a plain eval forward pass.

Never reused: train mode (Dropout draws, BatchNorm updates its running statistics), a run with
backward (parameters collect gradients), and a caller that asks for the modules themselves
(attributions register hooks on them). Those build their own, as before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import torch.nn as nn

from .records import Plan


@dataclass(frozen=True)
class BuiltNetwork:
    modules: list[nn.Module]  # shared by every run that reuses them: only called, never changed
    warnings: list[list[str]]  # each stage's warnings from its constructor, noted on every run as when built


class BuiltNetworks:
    """At most ``limit`` networks (input shapes, layer edits), least recently used dropped first."""

    def __init__(self, limit: int = 4) -> None:
        self.limit = limit
        # Keyed by the plan's identity: plans are made once per layers and shape (make_plan's cache);
        # the entry holds its plan, so the id is not reused while it is here.
        self._items: OrderedDict[int, tuple[Plan, BuiltNetwork]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, plan: Plan) -> BuiltNetwork | None:
        with self._lock:
            item = self._items.get(id(plan))
            if item is None:
                return None
            self._items.move_to_end(id(plan))
            return item[1]

    def put(self, plan: Plan, network: BuiltNetwork) -> None:
        with self._lock:
            self._items[id(plan)] = (plan, network)
            self._items.move_to_end(id(plan))
            while len(self._items) > self.limit:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
