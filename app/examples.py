"""The worked examples (1–13) and example 14's network, written once.

The lab's Examples list (static/js/examples.js, through ``GET /api/examples``), the training page's
first draft, ``POST /api/jobs``'s default layers (app/jobs/config.py) and the tests all read them
from here. Each worked example is an input and a pipeline, and the checks a learner sees: the
numbers torch prints for it.

A check is ``{"kind", "layer", "expect"}`` (``"pipeline": "b"`` for the compared pipeline):
``values`` / ``indices`` (the stage's values, innermost 2-D block), ``shape``, ``module`` (torch's
repr), or a statement about statistics (``sigmoid-range``, ``unchanged``, ``brighter``, ``same-mean``).
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

GRID = [[1, 2, 0, 3, 1], [0, 1, 2, 3, 1], [1, 2, 1, 0, 0], [5, 2, 3, 1, 1], [2, 1, 0, 1, 1]]
KERNEL = [[[[1, 2, 1], [0, 1, 0], [2, 1, 0]]]]
ONES = [[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]
# torch.manual_seed(1); torch.randint(high=5, size=(1, 1, 4, 4)): tests/api/test_examples.py checks it is.
SEEDED_4X4 = [[0, 4, 4, 3], [3, 3, 1, 1], [4, 2, 3, 4], [1, 3, 3, 0]]
CIFAR_BATCH_64 = {"source": "cifar10_batch", "split": "test", "start": 0, "count": 64}

EXAMPLE_14: list[Json] = [  # the classic CIFAR-10 network: 145,578 parameters
    {"type": "Conv2d", "out_channels": 32, "kernel_size": 5, "padding": 2},
    {"type": "MaxPool2d", "kernel_size": 2},
    {"type": "Conv2d", "out_channels": 32, "kernel_size": 5, "padding": 2},
    {"type": "MaxPool2d", "kernel_size": 2},
    {"type": "Conv2d", "out_channels": 64, "kernel_size": 5, "padding": 2},
    {"type": "MaxPool2d", "kernel_size": 2},
    {"type": "Flatten"},
    {"type": "Linear", "in_features": 1024, "out_features": 64},
    {"type": "Linear", "in_features": 64, "out_features": 10},
]
EXAMPLE_14_PARAMS = 145_578
TRAINING_TITLE = "The classic CIFAR-10 network"


def _tensor(data: Any, shape: list[int] | None = None) -> Json:
    return {"source": "tensor", "data": data, **({"shape": shape} if shape else {})}


def _conv(**extra: Any) -> Json:
    return {"type": "Conv2d", "out_channels": 1, "kernel_size": 3, "bias": False, "weight": KERNEL, **extra}


def _values(layer: int, expect: Any) -> Json:
    return {"kind": "values", "layer": layer, "expect": expect}


def _shape(layer: int, expect: list[int], **extra: Any) -> Json:
    return {"kind": "shape", "layer": layer, "expect": expect, **extra}


_PAIR = {"input": [[[[2, 3, 4]]]], "target": [[[[2, 3, 7]]]]}  # example 7: both reshaped to (1, 1, 1, 3)
_MAXPOOL_2 = {"type": "MaxPool2d", "kernel_size": 2, "stride": 2}
_AVGPOOL_2 = {"type": "AvgPool2d", "kernel_size": 2, "stride": 2}

WORKED: list[Json] = [
    {"id": "1a", "group": 1, "title": "Conv by hand, stride 1", "input": _tensor(GRID, [1, 1, 5, 5]), "layers": [_conv()],
     "checks": [_values(1, [[10, 12, 12], [18, 16, 16], [13, 9, 3]])]},
    {"id": "1b", "group": 1, "title": "Conv by hand, stride 2", "input": _tensor(GRID, [1, 1, 5, 5]), "layers": [_conv(stride=2)],
     "checks": [_values(1, [[10, 12], [13, 3]])]},
    {"id": "1c", "group": 1, "title": "Conv, stride 2, padding 1", "input": _tensor(GRID, [1, 1, 5, 5]),
     "layers": [_conv(stride=2, padding=1)], "checks": [_values(1, [[1, 4, 8], [7, 16, 8], [14, 9, 4]])]},
    {"id": "2a", "group": 2, "title": "MaxPool2d(3), ceil_mode=True", "input": _tensor(GRID, [1, 1, 5, 5]),
     "layers": [{"type": "MaxPool2d", "kernel_size": 3, "ceil_mode": True}], "checks": [_values(1, [[2, 3], [5, 1]])]},
    {"id": "2b", "group": 2, "title": "MaxPool2d(3), ceil_mode=False", "input": _tensor(GRID, [1, 1, 5, 5]),
     "layers": [{"type": "MaxPool2d", "kernel_size": 3}], "checks": [_values(1, [[2]])]},
    {"id": "3a", "group": 3, "title": "AvgPool2d(2, stride=2) on ones", "input": _tensor(ONES, [1, 1, 4, 4]),
     "layers": [_AVGPOOL_2], "checks": [_values(1, [[1, 1], [1, 1]])]},
    {"id": "3b", "group": 3, "title": "AvgPool2d, divisor_override=3", "input": _tensor(ONES, [1, 1, 4, 4]),
     "layers": [{**_AVGPOOL_2, "divisor_override": 3}], "checks": [_values(1, [[1.3333, 1.3333], [1.3333, 1.3333]])]},
    {"id": "4", "group": 4, "title": "MaxPool2d then MaxUnpool2d", "input": _tensor(SEEDED_4X4, [1, 1, 4, 4]),
     "layers": [{**_MAXPOOL_2, "return_indices": True}, {"type": "MaxUnpool2d", "kernel_size": 2, "stride": 2, "indices_from": 1}],
     "checks": [_values(1, [[4, 4], [4, 4]]), {"kind": "indices", "layer": 1, "expect": [[1, 2], [8, 11]]},
                _values(2, [[0, 4, 4, 0], [0, 0, 0, 0], [4, 0, 0, 4], [0, 0, 0, 0]])]},
    {"id": "5a", "group": 5, "title": "Linear with chosen weights", "input": _tensor([[1, 2, 3]]),
     "layers": [{"type": "Linear", "out_features": 4, "weight": [[1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 4, 4]], "bias": [0.5] * 4}],
     "checks": [_values(1, [[6.5, 12.5, 18.5, 24.5]]), _shape(1, [1, 4])]},
    {"id": "5b", "group": 5, "title": "Linear(5, 10) on a batch of 3", "input": _tensor([i / 10 for i in range(15)], [3, 5]),
     "layers": [{"type": "Linear", "out_features": 10}], "checks": [_shape(1, [3, 10])]},
    {"id": "6a", "group": 6, "title": "ReLU on a 2×2", "input": _tensor([[1, -1], [2, -3]]), "layers": [{"type": "ReLU"}],
     "checks": [_values(1, [[1, 0], [2, 0]])]},
    {"id": "6b", "group": 6, "title": "Sigmoid on [-1, 1, 2, 3]", "input": _tensor([-1, 1, 2, 3]), "layers": [{"type": "Sigmoid"}],
     "checks": [_values(1, [0.2689, 0.7311, 0.8808, 0.9526])]},
    {"id": "6c", "group": 6, "title": "Tanh on [-1, 1, 2, 3]", "input": _tensor([-1, 1, 2, 3]), "layers": [{"type": "Tanh"}],
     "checks": [_values(1, [-0.7616, 0.7616, 0.964, 0.9951])]},
    {"id": "6d", "group": 6, "title": "ReLU on [-1, 1, 2, 3]", "input": _tensor([-1, 1, 2, 3]), "layers": [{"type": "ReLU"}],
     "checks": [_values(1, [0, 1, 2, 3])]},
    {"id": "6e", "group": 6, "title": "Curves: Sigmoid, Tanh, ReLU on [-10, 10]",
     "curves": ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "RReLU"]},
    {"id": "7", "group": 7, "title": "Losses: L1, MSE, CrossEntropy", "losses": [
        {"type": "L1Loss", "body": _PAIR, "expect": 1.0},
        {"type": "MSELoss", "body": _PAIR, "expect": 3.0},
        {"type": "CrossEntropyLoss", "body": {"input": [[0.1, 0.2, 0.3]], "target": [1]}, "expect": 1.1019}]},
    {"id": "8", "group": 8, "title": "A small network on (4, 10)",
     "input": _tensor([round(i % 10 - 4.5, 1) for i in range(40)], [4, 10]),
     "layers": [{"type": "Linear", "in_features": 10, "out_features": 20}, {"type": "ReLU"}, {"type": "Linear", "out_features": 1},
                {"type": "Sigmoid"}],
     "checks": [_shape(1, [4, 20]), _shape(3, [4, 1]), _shape(4, [4, 1]),
                {"kind": "module", "layer": 1, "expect": "Linear(in_features=10, out_features=20, bias=True)"}]},
    {"id": "9a", "group": 9, "title": "64 CIFAR-10 images through Sigmoid", "input": CIFAR_BATCH_64, "layers": [{"type": "Sigmoid"}],
     "checks": [_shape(1, [64, 3, 32, 32]), {"kind": "sigmoid-range", "layer": 1, "expect": "all values in [0.5, 0.7311]"}]},
    {"id": "9b", "group": 9, "title": "64 CIFAR-10 images through ReLU (unchanged)", "input": CIFAR_BATCH_64, "layers": [{"type": "ReLU"}],
     "checks": [_shape(1, [64, 3, 32, 32]),
                {"kind": "unchanged", "layer": 1, "expect": "same stats as the input: ReLU leaves [0, 1] images alone"}]},
    {"id": "10", "group": 10, "title": "16 images through Conv2d(3, 6, 3, padding=1)", "input": {**CIFAR_BATCH_64, "count": 16},
     "layers": [{"type": "Conv2d", "out_channels": 6, "kernel_size": 3, "stride": 1, "padding": 1}],
     "checks": [_shape(0, [16, 3, 32, 32]), _shape(1, [16, 6, 32, 32])]},
    {"id": "11", "group": 11, "title": "MaxPool2d(3, ceil_mode=True): 32 → 11, beside ceil_mode=False: 32 → 10",
     "input": {"source": "cifar10", "split": "test", "index": 0},
     "layers": [{"type": "MaxPool2d", "kernel_size": 3, "ceil_mode": True}], "compare": [{"type": "MaxPool2d", "kernel_size": 3}],
     "checks": [_shape(1, [1, 3, 11, 11]), _shape(1, [1, 3, 10, 10], pipeline="b")]},
    {"id": "12a", "group": 12, "title": "512×512 photo through MaxPool2d(2, 2)", "upload": True, "layers": [_MAXPOOL_2],
     "checks": [_shape(0, [1, 3, 512, 512]), _shape(1, [1, 3, 256, 256]),
                {"kind": "brighter", "layer": 1, "expect": "mean after > mean before: max pooling brightens"}]},
    {"id": "12b", "group": 12, "title": "… and through AvgPool2d(2, 2)", "upload": True, "layers": [_AVGPOOL_2],
     "checks": [_shape(1, [1, 3, 256, 256]),
                {"kind": "same-mean", "layer": 1, "expect": "mean after = mean before: average pooling keeps brightness"}]},
    {"id": "12c", "group": 12, "title": "MaxPool2d beside AvgPool2d on the same photo", "upload": True, "layers": [_MAXPOOL_2],
     "compare": [_AVGPOOL_2],
     "checks": [_shape(1, [1, 3, 256, 256]), _shape(1, [1, 3, 256, 256], pipeline="b"),
                {"kind": "brighter", "layer": 1, "expect": "A: max pooling brightens"},
                {"kind": "same-mean", "layer": 1, "pipeline": "b", "expect": "B: average pooling keeps the mean"}]},
    {"id": "13", "group": 13, "title": "The flatten mistake", "input": CIFAR_BATCH_64,
     "layers": [{"type": "Flatten", "start_dim": 0}, {"type": "Linear", "out_features": 10}],
     "checks": [_shape(0, [64, 3, 32, 32]), _shape(1, [196608]), _shape(2, [10])]},
]


def worked(example_id: str) -> Json:
    """One worked example by id ("1a", "4", "12c" …)."""
    return next(ex for ex in WORKED if ex["id"] == example_id)
