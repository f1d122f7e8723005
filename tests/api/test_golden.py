"""EXAMPLES.md through the API, compared with golden files in tests/golden/ (``--overwrite-golden`` rewrites them).

For every worked example with a pipeline: the trace table (``GET /api/runs/{id}/trace.txt``) and the
``code`` field, in ``tests/golden/examples/<name>.txt``; for examples 9–12 the maps as drawn (default
query and tile size), compared as decoded pixels with ``tests/golden/maps/<name>.png``. Example 7
(losses) has no pipeline, so no trace or code. CIFAR-10 comes from the bundled sample (the ``client``
fixture configures no dataset directory), so every machine draws the same pictures.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_examples import GRID_INPUT, KERNEL
from tests.golden_files import Golden
from tests.imagegen import encode, gradient

BATCH = {"source": "cifar10_batch", "split": "test", "start": 0}
ONES = {"source": "tensor", "data": [1.0] * 16, "shape": [1, 1, 4, 4]}
VECTOR = {"source": "tensor", "data": [-1, 1, 2, 3]}
UNPOOL_INPUT = {"source": "tensor", "data": [[0, 4, 4, 3], [3, 3, 1, 1], [4, 2, 3, 4], [1, 3, 3, 0]], "shape": [1, 1, 4, 4]}
CONV = {"type": "Conv2d", "out_channels": 1, "kernel_size": 3, "bias": False, "weight": KERNEL}
CIFAR10_NETWORK = [  # EXAMPLES.md 14, the classic network: 145,578 parameters
    {"type": "Conv2d", "out_channels": 32, "kernel_size": 5, "padding": 2},
    {"type": "MaxPool2d", "kernel_size": 2},
    {"type": "Conv2d", "out_channels": 32, "kernel_size": 5, "padding": 2},
    {"type": "MaxPool2d", "kernel_size": 2},
    {"type": "Conv2d", "out_channels": 64, "kernel_size": 5, "padding": 2},
    {"type": "MaxPool2d", "kernel_size": 2},
    {"type": "Flatten"},
    {"type": "Linear", "in_features": 1024, "out_features": 64},
    {"type": "Linear", "out_features": 10},
]
UPLOAD = {"source": "upload"}  # stands for example 12's 512×512 picture, uploaded by _run

# name → (input, layers, extra request fields)
EXAMPLES: dict[str, tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]] = {
    "01a-conv-stride-1": (GRID_INPUT, [CONV], {}),
    "01b-conv-stride-2": (GRID_INPUT, [{**CONV, "stride": 2}], {}),
    "01c-conv-stride-2-padding-1": (GRID_INPUT, [{**CONV, "stride": 2, "padding": 1}], {}),
    "02a-maxpool-ceil-mode": (GRID_INPUT, [{"type": "MaxPool2d", "kernel_size": 3, "ceil_mode": True}], {}),
    "02b-maxpool-floor-mode": (GRID_INPUT, [{"type": "MaxPool2d", "kernel_size": 3}], {}),
    "03a-avgpool": (ONES, [{"type": "AvgPool2d", "kernel_size": 2, "stride": 2}], {}),
    "03b-avgpool-divisor-override": (ONES, [{"type": "AvgPool2d", "kernel_size": 2, "stride": 2, "divisor_override": 3}], {}),
    "04-maxpool-then-unpool": (
        UNPOOL_INPUT,
        [
            {"type": "MaxPool2d", "kernel_size": 2, "stride": 2, "return_indices": True},
            {"type": "MaxUnpool2d", "kernel_size": 2, "stride": 2, "indices_from": 1},
        ],
        {},
    ),
    "05a-linear-chosen-weights": (
        {"source": "tensor", "data": [[1, 2, 3]]},
        [{"type": "Linear", "out_features": 4, "weight": [[1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 4, 4]], "bias": [0.5] * 4}],
        {},
    ),
    "05b-linear-batch": ({"source": "tensor", "data": [[0.0] * 5] * 3}, [{"type": "Linear", "in_features": 5, "out_features": 10}], {}),
    "06a-relu-matrix": ({"source": "tensor", "data": [[1, -1], [2, -3]]}, [{"type": "ReLU"}], {}),
    "06b-sigmoid-vector": (VECTOR, [{"type": "Sigmoid"}], {}),
    "06c-tanh-vector": (VECTOR, [{"type": "Tanh"}], {}),
    "06d-relu-vector": (VECTOR, [{"type": "ReLU"}], {}),
    "08-small-network": (
        {"source": "tensor", "data": [[0.1 * i for i in range(10)]] * 4},
        [
            {"type": "Linear", "in_features": 10, "out_features": 20},
            {"type": "ReLU"},
            {"type": "Linear", "in_features": 20, "out_features": 1},
            {"type": "Sigmoid"},
        ],
        {"seed": 3},
    ),
    "09a-sigmoid-batch-64": ({**BATCH, "count": 64}, [{"type": "Sigmoid"}], {}),
    "09b-relu-batch-64": ({**BATCH, "count": 64}, [{"type": "ReLU"}], {}),
    "10-conv-batch-16": ({**BATCH, "count": 16}, [{"type": "Conv2d", "out_channels": 6, "kernel_size": 3, "stride": 1, "padding": 1}], {}),
    "11-maxpool-ceil-mode": ({"source": "cifar10", "split": "test", "index": 0}, [{"type": "MaxPool2d", "kernel_size": 3, "ceil_mode": True}], {}),
    "12a-upload-maxpool": (UPLOAD, [{"type": "MaxPool2d", "kernel_size": 2, "stride": 2}], {}),
    "12b-upload-avgpool": (UPLOAD, [{"type": "AvgPool2d", "kernel_size": 2, "stride": 2}], {}),
    "13-flatten-start-dim-0": ({**BATCH, "count": 64}, [{"type": "Flatten", "start_dim": 0}, {"type": "Linear", "out_features": 10}], {}),
    "14-cifar10-network": ({**BATCH, "count": 4}, CIFAR10_NETWORK, {}),
}

# name → the stages whose maps are golden (0 is the input). 9b's ReLU is checked against 9a's input:
# ReLU leaves [0, 1] pictures unchanged, and the golden file says so.
MAPS: dict[str, dict[int, str]] = {
    "09a-sigmoid-batch-64": {0: "09-input", 1: "09a-sigmoid"},
    "09b-relu-batch-64": {1: "09-input"},
    "10-conv-batch-16": {0: "10-input", 1: "10-conv"},
    "11-maxpool-ceil-mode": {0: "11-input", 1: "11-maxpool"},
    "12a-upload-maxpool": {1: "12a-maxpool"},
    "12b-upload-avgpool": {1: "12b-avgpool"},
}


def _run(client: TestClient, name: str) -> dict[str, Any]:
    source, layers, extra = EXAMPLES[name]
    if source == UPLOAD:  # a PNG, so the decoded picture is exact on every machine (JPEG decoders vary)
        picture = encode(gradient(512, 512), "PNG")
        upload = client.post("/api/uploads", files={"file": ("photo.png", picture, "image/png")})
        assert upload.status_code == 200, upload.text
        source = {**UPLOAD, "upload_id": upload.json()["upload_id"]}
    r = client.post("/api/pipeline/run", json={"input": source, "layers": layers, **extra})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("name", EXAMPLES)
def test_trace_table_and_code_match_golden(client: TestClient, golden: Golden, name: str) -> None:
    answer = _run(client, name)
    trace = client.get(f"/api/runs/{answer['run_id']}/trace.txt")
    assert trace.status_code == 200 and trace.headers["content-type"].startswith("text/plain")
    golden.text(f"examples/{name}.txt", f"{trace.text}\n{answer['code']}")


@pytest.mark.parametrize("name", MAPS)
def test_maps_match_golden(client: TestClient, golden: Golden, name: str) -> None:
    answer = _run(client, name)
    urls = [answer["input"]["image_url"]] + [layer["image_url"] for layer in answer["layers"]]
    for k, map_name in MAPS[name].items():
        r = client.get(urls[k])
        assert r.status_code == 200, r.text
        golden.png(f"maps/{map_name}.png", r.content)


def test_network_of_example_14_has_its_parameter_count(client: TestClient) -> None:
    assert "Total params: 145,578" in client.get(f"/api/runs/{_run(client, '14-cifar10-network')['run_id']}/trace.txt").text
