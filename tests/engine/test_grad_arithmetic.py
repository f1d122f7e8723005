"""The arithmetic of one gradient value equals autograd's: random layers of every backward rule, random positions.

Each layer runs with backward (MSELoss against a random target, so the upstream gradient is random), then
``grad_arithmetic`` spells out ∂L/∂x at random positions of the layer's input from the run's own tensors:
its terms must sum to its result, and the result must be the gradient autograd left, to float32 rounding.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
import torch

from app.engine import LayerError, Mode, run_pipeline
from app.engine.arithmetic import grad_arithmetic
from app.engine.backward import Backward
from app.engine.errors import QueryError
from app.engine.registry import SPECS, Arithmetic, BackwardRule
from tests.engine.test_arithmetic import MAKERS, _input


def _of_rule(rule: BackwardRule) -> Callable[[random.Random], list[dict]]:
    names = [s.name for s in SPECS if s.backward is rule]
    return lambda r: [{"type": r.choice(names)}]


def _max_pool(r: random.Random) -> list[dict]:
    layers = MAKERS[r.choice([Arithmetic.MAX_POOL, Arithmetic.ADAPTIVE_MAX_POOL])](r)
    if r.random() < 0.5:  # without indices in the run: the arithmetic asks torch's forward for them
        layers[0].pop("return_indices")
    return layers


BACKWARD_MAKERS: dict[BackwardRule, Callable[[random.Random], list[dict]]] = {
    BackwardRule.CONVOLUTION: MAKERS[Arithmetic.CONVOLUTION],
    BackwardRule.TRANSPOSED_CONVOLUTION: MAKERS[Arithmetic.TRANSPOSED_CONVOLUTION],
    BackwardRule.MAX_ROUTE: _max_pool,
    BackwardRule.AVERAGE: lambda r: MAKERS[r.choice([Arithmetic.AVG_POOL, Arithmetic.ADAPTIVE_AVG_POOL])](r),
    BackwardRule.GATHER: MAKERS[Arithmetic.MAX_UNPOOL],
    BackwardRule.TRANSPOSED_WEIGHTS: MAKERS[Arithmetic.LINEAR],
    BackwardRule.BATCH_NORM: MAKERS[Arithmetic.BATCH_NORM],
    BackwardRule.MASK: _of_rule(BackwardRule.MASK),
    BackwardRule.DERIVATIVE: _of_rule(BackwardRule.DERIVATIVE),
    BackwardRule.SOFTMAX: MAKERS[Arithmetic.SOFTMAX],
    BackwardRule.LOG_SOFTMAX: MAKERS[Arithmetic.LOG_SOFTMAX],
    BackwardRule.LINEAR_MAP: lambda r: MAKERS[r.choice([Arithmetic.RESAMPLE, Arithmetic.FLATTEN])](r),
}


def test_every_backward_rule_has_a_maker_and_a_layer() -> None:
    assert set(BACKWARD_MAKERS) == set(BackwardRule) == {s.backward for s in SPECS}


@pytest.mark.parametrize("rule", list(BackwardRule), ids=str)
def test_the_gradient_arithmetic_equals_autograd(rule: BackwardRule) -> None:
    r = random.Random(f"grad-arithmetic-{rule}")
    runs = 0
    while runs < 15:
        x, layers = _input(r), BACKWARD_MAKERS[rule](r)
        if rule in (BackwardRule.TRANSPOSED_WEIGHTS, BackwardRule.BATCH_NORM) and x.dim() == 3:
            x = x[None]
        mode, seed = r.choice([Mode.EVAL, Mode.TRAIN]), r.randrange(1000)
        try:
            out = run_pipeline(x, layers, seed=seed, mode=mode).output
        except LayerError:  # a configuration torch refuses for this input: draw another
            continue
        target = torch.randn(out.shape, generator=torch.Generator().manual_seed(r.randrange(2**31))).tolist()
        trace = run_pipeline(x, layers, seed=seed, mode=mode, backward=Backward(loss="MSELoss", loss_params={"reduction": "sum"}, target=target))
        assert trace.grads is not None
        runs += 1
        k = len(layers)
        stage_input = trace.input if k == 1 else trace.stages[k - 2].output
        expected_grads = trace.grads.stages[k - 1].tensor
        scale = float(expected_grads.abs().max()) if expected_grads.numel() else 1.0
        for _ in range(6):
            index = tuple(r.randrange(n) for n in stage_input.shape)
            record = grad_arithmetic(trace, k, index)
            expected = float(expected_grads[index])
            assert record.grad == expected and record.rule == rule.value
            assert record.result == pytest.approx(expected, rel=1e-4, abs=1e-6 * max(scale, 1.0)), (layers, index, record.equation)
            listed = sum((t.product or 0.0) for t in record.terms)
            assert listed == pytest.approx(record.result, rel=1e-6, abs=1e-9), (layers, index)


def test_a_convolution_sends_back_upstream_gradient_times_the_weight_that_touched_the_value() -> None:
    """A 2×2 kernel with stride 1 over a 3×3 input: the centre value was under all four kernel cells."""
    x = torch.arange(9.0).reshape(1, 1, 3, 3)
    layer = {"type": "Conv2d", "out_channels": 1, "kernel_size": 2, "weight": [[[[1.0, 2.0], [3.0, 4.0]]]], "bias": [0.0]}
    trace = run_pipeline(x, [layer], backward=Backward(loss="MSELoss", loss_params={"reduction": "sum"}, target=[[[[0.0, 0.0], [0.0, 0.0]]]]))
    record = grad_arithmetic(trace, 1, (0, 0, 1, 1))
    assert trace.grads is not None
    g = trace.grads.stages[1].tensor[0, 0]  # 2·y
    # Output (0,0) touched x[1,1] with weight[1,1]=4, output (0,1) with weight[1,0]=3, (1,0) with 2, (1,1) with 1.
    assert sorted((t.output, t.factor) for t in record.terms) == [([0, 0, 0, 0], 4.0), ([0, 0, 0, 1], 3.0), ([0, 0, 1, 0], 2.0), ([0, 0, 1, 1], 1.0)]
    assert record.result == pytest.approx(float(4 * g[0, 0] + 3 * g[0, 1] + 2 * g[1, 0] + g[1, 1]))
    assert record.kernel == [[[4.0, 3.0], [2.0, 1.0]]]  # the flipped kernel of the transposed convolution
    assert record.window is not None and record.window.values == [[[float(g[0, 0]), float(g[0, 1])], [float(g[1, 0]), float(g[1, 1])]]]
    assert "conv_transpose2d" in record.transposed


def test_max_pool_routes_the_gradient_to_the_first_of_tied_maxima() -> None:
    x = torch.ones(1, 1, 2, 2)  # every value ties: torch's index names the first
    trace = run_pipeline(x, [{"type": "MaxPool2d", "kernel_size": 2}], backward=Backward(output=(0, 0, 0, 0)))
    assert grad_arithmetic(trace, 1, (0, 0, 0, 0)).result == 1.0
    assert grad_arithmetic(trace, 1, (0, 0, 0, 1)).result == 0.0 and grad_arithmetic(trace, 1, (0, 0, 0, 1)).terms == []


def test_batch_norm_in_train_mode_shows_its_three_terms() -> None:
    x = torch.tensor([1.0, 2.0, 4.0, 7.0]).reshape(4, 1, 1, 1)
    trace = run_pipeline(x, [{"type": "BatchNorm2d"}], mode=Mode.TRAIN, backward=Backward(output=(0, 0, 0, 0)))
    record = grad_arithmetic(trace, 1, (1, 0, 0, 0))
    assert len(record.terms) == 3 and record.terms[0].upstream == 0.0  # sample 1's own output did not count
    assert record.terms[1].upstream == pytest.approx(0.25)  # the mean of g over the channel: (1 + 0 + 0 + 0) / 4
    assert record.result == pytest.approx(record.grad, abs=1e-7)


def test_an_index_outside_the_layers_input_is_refused_in_words() -> None:
    trace = run_pipeline(torch.zeros(1, 1, 4, 4), [{"type": "ReLU"}], backward=Backward(output=(0, 0, 0, 0)))
    with pytest.raises(QueryError, match="input has shape"):
        grad_arithmetic(trace, 1, (0, 0, 4, 0))
