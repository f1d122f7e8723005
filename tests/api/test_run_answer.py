"""app/api/run_answer.py: the run's answer written by orjson is RunResponse exactly, with the values tolist() gives."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from app.api.run_answer import exact_values
from app.api.schemas import RunResponse
from app.engine.summary import tensor_values

CIFAR = {"source": "cifar10", "split": "test", "index": 3}
TENSOR = {"source": "tensor", "data": [[[[0.1 * (i + j) - 0.6 for j in range(5)] for i in range(5)]]]}
# 3e38 x 10 overflows float32: inf; inf - inf: NaN; 0: a finite value beside them.
OVERFLOW = {"type": "Linear", "out_features": 3, "weight": [[10, 0, 0], [10, -10, 0], [0, 1, 1]], "bias": [0, 0, 0]}
REQUESTS = [
    # float values, MaxPool's int64 indices, notes (ReLU on an image changes nothing)
    ({"input": CIFAR, "layers": [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "ReLU"},
                                 {"type": "MaxPool2d", "kernel_size": 2, "return_indices": True}]}),
    # gradients of every stage and parameter, and the loss
    ({"input": TENSOR, "seed": 3, "layers": [{"type": "Conv2d", "out_channels": 2, "kernel_size": 3}, {"type": "Flatten"},
                                             {"type": "Linear", "out_features": 3}],
      "backward": {"loss": {"type": "CrossEntropyLoss"}, "target": [2]}}),
    # non-finite values: null in values, counted in stats
    ({"input": {"source": "tensor", "data": [[3e38, 0.0, -0.0]]}, "layers": [OVERFLOW]}),
    ({"input": {"source": "tensor", "data": [-1.0, 0.0, 2.0]}, "layers": [{"type": "Flatten", "start_dim": 0}]}),
]


def _floats_equal(a: Any, b: Any) -> bool:
    """Equal as JSON values, with NaN equal to NaN (pydantic's dump keeps what orjson wrote as null as None)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_floats_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_floats_equal(a[k], b[k]) for k in a)
    return a == b and type(a) is type(b)


@pytest.mark.parametrize("body", REQUESTS)
def test_the_answer_is_run_response_field_for_field(client: TestClient, body: dict[str, Any]) -> None:
    r = client.post("/api/pipeline/run", json=body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    answer = json.loads(r.content)  # the standard library's reading, not orjson's
    # Every field of the schema, nothing more, and each as the schema types it (a missing one would
    # appear in the dump with its default; a float written as an int would become one).
    assert _floats_equal(RunResponse.model_validate(answer).model_dump(mode="json"), answer)
    assert list(answer) == list(RunResponse.model_fields)
    assert list(answer["layers"][0]) == list(RunResponse.model_fields["layers"].annotation.__args__[0].model_fields)
    # the run id in a header too: a page asks for the maps before it reads the body
    assert r.headers["layerlab-run-id"] == answer["run_id"]


def test_non_finite_values_are_null_and_counted(run_ok) -> None:
    body = run_ok([OVERFLOW, {"type": "Linear", "out_features": 2, "weight": [[1, -1, 0], [0, 0, 1]], "bias": [0, 0]}],
                  {"source": "tensor", "data": [[3e38, 0.0, -0.0]]})
    first, second = body["layers"]
    assert first["values"] == [[None, None, 0.0]] and (first["stats"]["inf_count"], first["stats"]["nan_count"]) == (2, 0)
    assert second["values"] == [[None, None]] and second["stats"]["nan_count"] == 2  # inf - inf, 0 x inf


@pytest.mark.parametrize(
    "t",
    [
        torch.randn(2, 3, 4) * 1e-7,
        torch.tensor([0.1, -0.0, 1e-5, 3.0, float("nan"), float("inf"), -float("inf")]),
        torch.randn(4, 5).t(),  # not contiguous
        torch.randn(3, 2).half(),
        torch.tensor([[3, -1], [0, 2**40]]),
        torch.tensor(2.5),  # 0-d: tolist gives a float
        torch.zeros(1, 0),
        torch.tensor([True, False]),
    ],
)
def test_exact_values_write_what_tolist_gives(t: torch.Tensor) -> None:
    import orjson

    written = json.loads(orjson.dumps({"v": exact_values(t)}, option=orjson.OPT_SERIALIZE_NUMPY))["v"]
    assert _floats_equal(written, tensor_values(t))


def test_exact_values_stop_at_the_contracts_limit() -> None:
    assert exact_values(torch.zeros(4097)) is None and exact_values(torch.zeros(4096)) is not None and exact_values(None) is None
