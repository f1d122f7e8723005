"""The worked examples (app/examples.py) through the API, compared with golden files in tests/golden/ (``--overwrite-golden`` rewrites them).

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

from app.examples import EXAMPLE_14, EXAMPLE_14_PARAMS, worked
from tests.golden_files import Golden
from tests.imagegen import encode, gradient

UPLOAD = {"source": "upload"}  # stands for example 12's 512×512 picture, uploaded by _run
# Example 14's network as a learner may type it: the last Linear's in_features left for the lab to infer.
EXAMPLE_14_INFERRED = [*EXAMPLE_14[:-1], {k: v for k, v in EXAMPLE_14[-1].items() if k != "in_features"}]


def _example(example_id: str) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    ex = worked(example_id)
    return (UPLOAD if ex.get("upload") else ex["input"]), ex["layers"], {}


# golden file name → (input, layers, extra request fields): the worked examples of app/examples.py
NAMES = {
    "01a-conv-stride-1": "1a", "01b-conv-stride-2": "1b", "01c-conv-stride-2-padding-1": "1c",
    "02a-maxpool-ceil-mode": "2a", "02b-maxpool-floor-mode": "2b", "03a-avgpool": "3a", "03b-avgpool-divisor-override": "3b",
    "04-maxpool-then-unpool": "4", "05a-linear-chosen-weights": "5a", "05b-linear-batch": "5b", "06a-relu-matrix": "6a",
    "06b-sigmoid-vector": "6b", "06c-tanh-vector": "6c", "06d-relu-vector": "6d", "08-small-network": "8",
    "09a-sigmoid-batch-64": "9a", "09b-relu-batch-64": "9b", "10-conv-batch-16": "10", "11-maxpool-ceil-mode": "11",
    "12a-upload-maxpool": "12a", "12b-upload-avgpool": "12b", "13-flatten-start-dim-0": "13",
}
EXAMPLES: dict[str, tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]] = {
    **{name: _example(example_id) for name, example_id in NAMES.items()},
    "14-cifar10-network": ({"source": "cifar10_batch", "split": "test", "start": 0, "count": 4}, EXAMPLE_14_INFERRED, {}),
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
    trace = client.get(f"/api/runs/{_run(client, '14-cifar10-network')['run_id']}/trace.txt").text
    assert f"Total params: {EXAMPLE_14_PARAMS:,}" in trace
