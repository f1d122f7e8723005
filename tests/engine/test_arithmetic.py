"""The arithmetic of an output equals torch's output: random layers of every rule, random positions.

Each layer runs through the engine (torch computes the stage), then ``output_arithmetic`` spells out
random outputs from the run's own tensors; its recomputed ``result`` must be the value torch gave —
exactly for max, unpooling and copies, within float rounding for sums.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import torch

from app.engine import LayerError, Mode, run_pipeline
from app.engine.arithmetic import output_arithmetic
from app.engine.errors import QueryError
from app.engine.registry import REGISTRY, SPECS, Arithmetic

EXACT = {Arithmetic.MAX_POOL, Arithmetic.ADAPTIVE_MAX_POOL, Arithmetic.MAX_UNPOOL, Arithmetic.FLATTEN}
ACTIVATIONS = [s.name for s in SPECS if s.arithmetic in (Arithmetic.ELEMENTWISE, Arithmetic.RANDOM_ELEMENTWISE)]


def _pair(r: random.Random, lo: int, hi: int) -> Any:
    return r.randint(lo, hi) if r.random() < 0.5 else [r.randint(lo, hi), r.randint(lo, hi)]


def _conv(r: random.Random) -> list[dict]:
    groups = r.choice([1, 1, 2])
    layer = {"type": "Conv2d", "out_channels": 2 * r.randint(1, 2), "kernel_size": _pair(r, 1, 3), "groups": groups,
             "stride": _pair(r, 1, 2), "dilation": _pair(r, 1, 2), "bias": r.random() < 0.7,
             "padding_mode": r.choice(["zeros", "zeros", "reflect", "replicate", "circular"])}
    layer["padding"] = r.choice([0, 1, [1, 2], "valid", "same"]) if layer["stride"] == 1 else r.choice([0, 1, [2, 1]])
    return [layer]


def _conv_transpose(r: random.Random) -> list[dict]:
    stride = r.randint(1, 3)
    return [{"type": "ConvTranspose2d", "out_channels": 2 * r.randint(1, 2), "kernel_size": _pair(r, 1, 3), "stride": stride,
             "padding": r.randint(0, 1), "output_padding": r.randint(0, stride - 1), "groups": r.choice([1, 2]),
             "dilation": r.randint(1, 2), "bias": r.random() < 0.7}]


def _pool(kind: str):
    def make(r: random.Random) -> list[dict]:
        k = r.randint(1, 4)
        layer = {"type": kind, "kernel_size": k, "stride": r.choice([None, 1, 2, 3]), "padding": r.randint(0, k // 2),
                 "ceil_mode": r.random() < 0.5}
        if kind == "MaxPool2d":
            layer |= {"dilation": r.randint(1, 2), "return_indices": True}
        else:
            layer |= {"count_include_pad": r.random() < 0.5, "divisor_override": r.choice([None, None, 3])}
        return [layer]
    return make


def _adaptive(kind: str):
    def make(r: random.Random) -> list[dict]:
        layer = {"type": kind, "output_size": [r.randint(1, 9), r.choice([None, r.randint(1, 9)])]}
        return [layer | ({"return_indices": True} if kind == "AdaptiveMaxPool2d" else {})]
    return make


def _unpool(r: random.Random) -> list[dict]:
    k, s = r.randint(1, 3), r.randint(1, 3)
    p = r.randint(0, k // 2)
    return [{"type": "MaxPool2d", "kernel_size": k, "stride": s, "padding": p},
            {"type": r.choice(["ReLU", "Tanh"])},
            {"type": "MaxUnpool2d", "kernel_size": k, "stride": s, "padding": p, "indices_from": 1}]


MAKERS = {
    Arithmetic.CONVOLUTION: _conv,
    Arithmetic.TRANSPOSED_CONVOLUTION: _conv_transpose,
    Arithmetic.MAX_POOL: _pool("MaxPool2d"),
    Arithmetic.AVG_POOL: _pool("AvgPool2d"),
    Arithmetic.ADAPTIVE_MAX_POOL: _adaptive("AdaptiveMaxPool2d"),
    Arithmetic.ADAPTIVE_AVG_POOL: _adaptive("AdaptiveAvgPool2d"),
    Arithmetic.MAX_UNPOOL: _unpool,
    Arithmetic.LINEAR: lambda r: [{"type": "Linear", "out_features": r.randint(1, 5), "bias": r.random() < 0.7}],
    Arithmetic.BATCH_NORM: lambda r: [{"type": "BatchNorm2d", "affine": r.random() < 0.7, "track_running_stats": r.random() < 0.7,
                                       "eps": r.choice([1e-5, 0.1])}],
    Arithmetic.ELEMENTWISE: lambda r: [{"type": r.choice([a for a in ACTIVATIONS if REGISTRY[a].arithmetic is Arithmetic.ELEMENTWISE])}],
    Arithmetic.RANDOM_ELEMENTWISE: lambda r: [{"type": r.choice(["Dropout", "RReLU"])}],
    Arithmetic.SOFTMAX: lambda r: [{"type": "Softmax", "dim": r.choice([None, 0, 1, -1, 2])}],
    Arithmetic.LOG_SOFTMAX: lambda r: [{"type": "LogSoftmax", "dim": r.choice([None, 1, -2])}],
    Arithmetic.RESAMPLE: lambda r: [{"type": "Upsample", "scale_factor": r.choice([2.0, 1.5, 0.5]),
                                     "mode": r.choice(["nearest", "nearest-exact", "bilinear", "bicubic", "area"])}],
    Arithmetic.FLATTEN: lambda r: [{"type": "Flatten", "start_dim": r.choice([0, 1, 2])}],
}


def _input(r: random.Random) -> torch.Tensor:
    shape = (r.randint(1, 3), r.choice([2, 4]), r.randint(3, 9), r.randint(3, 9))
    x = torch.randn(shape, generator=torch.Generator().manual_seed(r.randrange(2**31)))
    if r.random() < 0.2:  # ties, as on images and after ReLU
        x = x.round()
    return x if r.random() < 0.85 else x[0]  # sometimes unbatched (C, H, W)


def test_every_rule_has_a_maker_and_a_layer() -> None:
    assert set(MAKERS) == set(Arithmetic)
    assert {s.arithmetic for s in SPECS} == set(Arithmetic)


@pytest.mark.parametrize("rule", list(Arithmetic), ids=str)
def test_the_arithmetic_equals_torchs_output(rule: Arithmetic) -> None:
    r = random.Random(f"arithmetic-{rule}")
    runs = 0
    while runs < 25:
        x, layers = _input(r), MAKERS[rule](r)
        if rule in (Arithmetic.LINEAR, Arithmetic.BATCH_NORM) and x.dim() == 3:
            x = x[None]
        mode = r.choice([Mode.EVAL, Mode.TRAIN])
        try:
            trace = run_pipeline(x, layers, seed=r.randrange(1000), mode=mode)
        except LayerError:  # a configuration torch refuses for this input: draw another
            continue
        runs += 1
        k = len(layers)
        out = trace.stages[-1].output
        for _ in range(6):
            index = tuple(r.randrange(n) for n in out.shape)
            record = output_arithmetic(trace, k, index)
            expected = float(out[index])
            assert record.output == expected and record.rule == rule.value
            if rule in EXACT:
                assert record.result == expected, (layers, index, record.equation)
            else:
                assert record.result == pytest.approx(expected, rel=1e-5, abs=1e-5), (layers, index, record.equation)
            indices = trace.stages[-1].indices
            if record.winner is not None and indices is not None:  # torch's own argmax, for MaxPool and AdaptiveMaxPool
                assert record.winner.flat_index == int(indices[index]), (layers, index)


def test_a_conv_by_hand_shows_the_window_the_kernel_and_the_bias() -> None:
    x = torch.tensor([[1.0, 2, 0], [0, 1, 2], [1, 2, 1]]).reshape(1, 1, 3, 3)
    layer = {"type": "Conv2d", "out_channels": 1, "kernel_size": 2, "padding": 1, "weight": [[[[1.0, 2], [0, -1]]]], "bias": [0.5]}
    trace = run_pipeline(x, [layer])
    record = output_arithmetic(trace, 1, (0, 0, 0, 0))
    # Window rows/cols −1…0: three padded zeros and the input's 1 under the kernel's −1.
    assert record.window is not None
    assert record.window.rows == [-1, 0] and record.window.cols == [-1, 0]
    assert record.window.padded == [[True, True], [True, False]]
    assert record.window.values == [[[0.0, 0.0], [0.0, 1.0]]]
    assert record.kernel == [[[1.0, 2.0], [0.0, -1.0]]]
    assert record.products == [[[0.0, 0.0], [0.0, -1.0]]]
    assert (record.sum, record.bias, record.result) == (-1.0, 0.5, -0.5) == (-1.0, 0.5, float(trace.stages[0].output[0, 0, 0, 0]))


def test_an_average_says_what_it_divides_by() -> None:
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    trace = run_pipeline(x, [{"type": "AvgPool2d", "kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}])
    record = output_arithmetic(trace, 1, (0, 0, 0, 0))
    assert record.divisor == 4 and "count_include_pad=False" in (record.divisor_reason or "")
    assert record.result == float(trace.stages[0].output[0, 0, 0, 0]) == (0 + 1 + 4 + 5) / 4


def test_an_index_outside_the_output_is_refused_in_words() -> None:
    trace = run_pipeline(torch.zeros(1, 1, 4, 4), [{"type": "ReLU"}])
    with pytest.raises(QueryError, match="needs 4 numbers"):
        output_arithmetic(trace, 1, (0, 0, 0))
    with pytest.raises(QueryError, match="outside 0…3"):
        output_arithmetic(trace, 1, (0, 0, 4, 0))


def test_a_trained_network_is_explained_with_its_trained_weights() -> None:
    """A run with weights_from (a job's state_dict) is spelled out with those weights, not the seeded ones."""
    layers = [{"type": "Conv2d", "out_channels": 2, "kernel_size": 3}, {"type": "Flatten"}, {"type": "Linear", "out_features": 3}]
    trained = {"0.weight": torch.full((2, 1, 3, 3), 0.5), "0.bias": torch.tensor([1.0, -1.0]),
               "2.weight": torch.ones(3, 8), "2.bias": torch.zeros(3)}
    trace = run_pipeline(torch.rand(1, 1, 4, 4), layers, weights=trained)
    conv = output_arithmetic(trace, 1, (0, 1, 0, 0))
    assert conv.kernel == [[[0.5] * 3] * 3] and conv.bias == -1.0
    assert conv.result == pytest.approx(float(trace.stages[0].output[0, 1, 0, 0]), abs=1e-6)
    assert output_arithmetic(trace, 3, (0, 2)).kernel == [1.0] * 8
