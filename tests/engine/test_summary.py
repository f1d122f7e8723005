"""Exact values and statistics as JSON carries them: torch's numbers, with non-finite values as None."""

from __future__ import annotations

import math

import torch

from app.engine.summary import tensor_stats, tensor_values


def test_finite_values_are_torchs_own_nested_lists() -> None:
    t = torch.randn(2, 3, 4)
    assert tensor_values(t) == t.tolist()


def test_non_finite_values_become_none_in_place() -> None:
    t = torch.tensor([[1.5, float("nan")], [float("inf"), -float("inf")]])
    assert tensor_values(t) == [[1.5, None], [None, None]]


def test_integer_tensors_such_as_pool_indices_pass_unchanged() -> None:
    t = torch.tensor([[0, 5], [9, 2]])
    assert tensor_values(t) == [[0, 5], [9, 2]]


def test_values_beyond_the_limit_are_left_out() -> None:
    assert tensor_values(torch.zeros(5), limit=4) is None
    assert tensor_values(torch.zeros(4), limit=4) == [0.0] * 4
    assert tensor_values(None) is None


def test_statistics_skip_non_finite_values_and_count_them() -> None:
    stats = tensor_stats(torch.tensor([1.0, 3.0, float("nan"), float("inf"), 0.0]))
    assert (stats["min"], stats["max"], stats["nan_count"], stats["inf_count"]) == (0.0, 3.0, 1, 1)
    assert math.isclose(stats["mean"], 4 / 3, rel_tol=1e-6) and stats["zero_fraction"] == 0.2
