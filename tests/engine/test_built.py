"""Eval runs with trained weights reuse the network built for their plan (app/engine/built.py): the same
numbers as a network built afresh, and never shared where a run changes its modules."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

import app.engine.run as engine_run
from app.engine import Mode, run_pipeline
from app.engine.backward import Backward
from app.engine.built import BuiltNetworks
from tests.engine.test_run import LAYERS, _trained


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a run built its modules."""
    count: list[int] = []
    build = engine_run.build_modules

    def counted(*args, **kwargs):
        count.append(1)
        return build(*args, **kwargs)

    monkeypatch.setattr(engine_run, "build_modules", counted)
    return count


def _same(a, b) -> bool:
    return (
        torch.equal(a.output, b.output) and [s.stats for s in a.stages] == [s.stats for s in b.stages]
        and [s.notes for s in a.stages] == [s.notes for s in b.stages] and [s.module_repr for s in a.stages] == [s.module_repr for s in b.stages]
        and all(torch.equal(x.output, y.output) for x, y in zip(a.stages, b.stages, strict=True))
    )  # fmt: skip


def test_a_second_eval_run_reuses_the_network_and_computes_what_a_fresh_one_does(builds: list[int]) -> None:
    trained, reuse = _trained(), BuiltNetworks()
    first = run_pipeline(torch.rand(2, 2, 8, 8), LAYERS, seed=1, weights=trained, reuse=reuse)
    x = torch.rand(2, 2, 8, 8)
    again = run_pipeline(x, LAYERS, seed=2, weights=trained, reuse=reuse)
    assert len(builds) == 1 and len(reuse) == 1
    fresh = run_pipeline(x, LAYERS, seed=2, weights=trained)
    assert _same(again, fresh) and not _same(first, fresh)


def test_another_input_shape_is_another_network(builds: list[int]) -> None:
    trained, reuse = _trained(), BuiltNetworks(limit=1)
    for shape in [(2, 2, 8, 8), (1, 2, 8, 8), (2, 2, 8, 8)]:
        run_pipeline(torch.rand(shape), LAYERS, weights=trained, reuse=reuse)
    assert len(builds) == 3 and len(reuse) == 1  # the limit of 1 dropped the first before it came again


@pytest.mark.parametrize(
    "kind", ["train mode", "backward", "modules asked for", "no trained weights"],
)
def test_runs_that_change_their_modules_build_their_own(kind: str, builds: list[int]) -> None:
    trained, reuse = _trained(), BuiltNetworks()
    x = torch.rand(2, 2, 8, 8)
    options = {
        "train mode": {"mode": Mode.TRAIN, "weights": trained},
        "backward": {"weights": trained, "backward": Backward(output=(0, 0))},
        "modules asked for": {"weights": trained, "built": []},
        "no trained weights": {},
    }[kind]
    for _ in range(2):
        run_pipeline(x, LAYERS, reuse=reuse, **options)
    assert len(builds) == 2 and len(reuse) == 0


def test_a_backward_run_between_eval_runs_leaves_the_shared_network_without_gradients() -> None:
    trained, reuse = _trained(), BuiltNetworks()
    x = torch.rand(2, 2, 8, 8)
    run_pipeline(x, LAYERS, weights=trained, reuse=reuse)
    run_pipeline(x, LAYERS, weights=trained, reuse=reuse, backward=Backward(output=(0, 0)))
    again = run_pipeline(x, LAYERS, weights=trained, reuse=reuse)
    (network,) = [item[1] for item in reuse._items.values()]
    assert all(p.grad is None for m in network.modules for p in m.parameters())
    assert _same(again, run_pipeline(x, LAYERS, weights=trained))


def test_runs_at_the_same_time_on_one_network_each_compute_their_own_input() -> None:
    trained, reuse = _trained(), BuiltNetworks()
    inputs = [torch.rand(2, 2, 8, 8, generator=torch.Generator().manual_seed(i)) for i in range(16)]
    run_pipeline(inputs[0], LAYERS, weights=trained, reuse=reuse)
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda x: run_pipeline(x, LAYERS, weights=trained, reuse=reuse), inputs))
    for x, trace in zip(inputs, together, strict=True):
        assert _same(trace, run_pipeline(x, LAYERS, weights=trained))
