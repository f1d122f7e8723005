"""Warnings are kept by the run that raised them, even when runs overlap on threads."""

from __future__ import annotations

import threading
import warnings

import pytest
import torch

from app.engine import Mode, run_pipeline
from app.engine.captured import captured_warnings

ROUNDS = 40


def _together(*jobs) -> None:
    """Runs the jobs in threads that start each round at the same moment; re-raises the first failure."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def loop(job) -> None:
        try:
            for i in range(ROUNDS):
                barrier.wait()
                job(i)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=loop, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_a_thread_keeps_its_own_warnings_while_another_captures() -> None:
    inside = threading.Event()

    def warns(i: int) -> None:
        with captured_warnings() as caught:
            warnings.warn(f"mine {i}", UserWarning, stacklevel=1)
            warnings.warn(f"mine {i}", UserWarning, stacklevel=1)  # the same warning twice: kept twice
        assert caught == [f"mine {i}", f"mine {i}"]
        inside.set()

    def quiet(i: int) -> None:
        with captured_warnings() as caught:
            inside.wait(1)
        inside.clear()
        assert caught == []

    _together(warns, quiet)


def test_warnings_outside_a_capture_behave_as_before() -> None:
    with captured_warnings():
        pass
    with pytest.warns(UserWarning, match="outside"):
        warnings.warn("outside", UserWarning, stacklevel=1)
    with pytest.raises(UserWarning):  # pytest's filterwarnings = error still applies out here
        warnings.warn("outside again", UserWarning, stacklevel=1)


def test_overlapping_runs_each_get_exactly_their_own_notes() -> None:
    x = torch.rand(2, 5)

    def warns(i: int) -> None:
        trace = run_pipeline(x, [{"type": "Softmax"}], seed=i)  # dim left out: torch warns
        warned = [n for n in trace.stages[0].notes if n.startswith("torch warned")]
        assert len(warned) == 1 and "dim" in warned[0], trace.stages[0].notes

    def quiet(i: int) -> None:
        trace = run_pipeline(x, [{"type": "Softmax", "dim": 1}, {"type": "Linear", "out_features": 3}], seed=i)
        assert not [n for s in trace.stages for n in s.notes if n.startswith("torch warned")]

    _together(warns, quiet)


def test_overlapping_random_layers_draw_exactly_what_a_lone_run_draws() -> None:
    """Dropout in train mode draws under the RNG lock, continuing its own run's stream."""
    x = torch.ones(1, 4, 8, 8)
    layers = [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "Dropout"}, {"type": "RReLU"}]
    alone = {seed: [s.output for s in run_pipeline(x, layers, seed=seed, mode=Mode.TRAIN).stages] for seed in range(ROUNDS * 2)}

    def run(offset: int):
        def job(i: int) -> None:
            seed = 2 * i + offset
            outputs = [s.output for s in run_pipeline(x, layers, seed=seed, mode=Mode.TRAIN).stages]
            assert all(torch.equal(a, b) for a, b in zip(outputs, alone[seed], strict=True)), seed

        return job

    _together(run(0), run(1))
