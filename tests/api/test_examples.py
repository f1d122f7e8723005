"""The worked examples of app/examples.py through the HTTP API: every check holds, as the lab shows it.

The examples (inputs, pipelines and the numbers torch prints) are written once, in app/examples.py;
the lab fetches them from ``GET /api/examples``. Here each is run and every one of its checks is
evaluated against the API's answer; then what the checks do not say (parameter counts, autograd,
notes) is asserted for the examples that teach it.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from app.examples import EXAMPLE_14, EXAMPLE_14_PARAMS, SEEDED_4X4, WORKED, worked
from app.jobs.config import JobConfig
from tests.imagegen import encode, gradient

TOLERANCE = 1e-4  # the examples print four decimals


def _squeeze(v: Any) -> Any:
    """The innermost 2-D (or 1-D) block of a (1, 1, h, w)-like value, as the examples print it."""
    while isinstance(v, list) and len(v) == 1 and isinstance(v[0], list) and isinstance(v[0][0], list):
        v = v[0]
    return v


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(map(_close, a, b))
    return abs(a - b) <= TOLERANCE + TOLERANCE * abs(b)


def _stage(answer: dict[str, Any], k: int) -> dict[str, Any]:
    return {**answer["input"], "output_shape": answer["input"]["shape"]} if k == 0 else answer["layers"][k - 1]


def check_holds(answers: dict[str, dict[str, Any]], check: dict[str, Any]) -> bool:
    """One check of an example against the API's answer (pipeline A, or B with ``"pipeline": "b"``)."""
    answer = answers[check.get("pipeline", "a")]
    stage, kind, expect = _stage(answer, check["layer"]), check["kind"], check.get("expect")
    if kind in ("values", "indices"):
        return stage.get(kind) is not None and _close(_squeeze(stage[kind]), expect)
    if kind == "shape":
        return stage["output_shape"] == expect
    if kind == "module":
        return stage["module"] == expect
    before, after = _stage(answer, check["layer"] - 1)["stats"], stage["stats"]
    if kind == "sigmoid-range":
        return after["min"] >= 0.5 - TOLERANCE and after["max"] <= 0.7311 + TOLERANCE
    if kind == "unchanged":
        return all(_close(after[s], before[s]) for s in ("min", "max", "mean", "std"))
    if kind == "brighter":
        return after["mean"] > before["mean"]
    if kind == "same-mean":
        return abs(after["mean"] - before["mean"]) < TOLERANCE
    raise AssertionError(f"unknown check kind {kind!r}")


def run_example(client: TestClient, example: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Pipeline A's answer (and B's): an upload example gets a 512×512 photo-like picture."""
    source = example.get("input")
    if example.get("upload"):
        upload = client.post("/api/uploads", files={"file": ("photo.png", encode(gradient(512, 512), "PNG"), "image/png")})
        assert upload.status_code == 200, upload.text
        source = {"source": "upload", "upload_id": upload.json()["upload_id"]}
    answers = {}
    for name, layers in (("a", example["layers"]), ("b", example.get("compare"))):
        if layers is not None:
            r = client.post("/api/pipeline/run", json={"input": source, "layers": layers})
            assert r.status_code == 200, r.text
            answers[name] = r.json()
    return answers


PIPELINES = [ex for ex in WORKED if "layers" in ex]


@pytest.mark.parametrize("example", PIPELINES, ids=[ex["id"] for ex in PIPELINES])
def test_every_check_of_every_worked_example_holds(client: TestClient, example: dict[str, Any]) -> None:
    answers = run_example(client, example)
    failed = [check for check in example["checks"] if not check_holds(answers, check)]
    assert not failed, f"example {example['id']}: {failed}"


def test_a_check_that_does_not_hold_is_caught(client: TestClient) -> None:
    answers = run_example(client, worked("1a"))
    assert not check_holds(answers, {"kind": "values", "layer": 1, "expect": [[10, 12, 12], [18, 16, 16], [13, 9, 4]]})
    assert not check_holds(answers, {"kind": "shape", "layer": 1, "expect": [1, 1, 3, 4]})


def test_7_losses_are_what_the_example_says(client: TestClient) -> None:
    for loss in worked("7")["losses"]:
        r = client.post(f"/api/losses/{loss['type']}", json=loss["body"])
        assert r.status_code == 200, r.text
        assert round(r.json()["loss"], 4) == loss["expect"], loss["type"]


def test_the_examples_endpoint_serves_them_and_example_14s_default_job(client: TestClient) -> None:
    body = client.get("/api/examples").json()
    assert body["worked"] == WORKED
    assert body["training"]["job"]["layers"] == EXAMPLE_14 and body["training"]["params"] == EXAMPLE_14_PARAMS
    # the training page's first draft is what an empty POST /api/jobs would train
    assert body["training"]["job"] == JobConfig().as_json()


def test_1_convolution_has_nine_weights(run_ok) -> None:
    for ex in ("1a", "1b", "1c"):
        assert run_ok(worked(ex)["layers"], worked(ex)["input"])["layers"][0]["params"] == 9


def test_4_the_input_is_torchs_seeded_randint() -> None:
    torch.manual_seed(1)
    assert torch.randint(high=5, size=(1, 1, 4, 4)).float().squeeze().tolist() == SEEDED_4X4
    assert worked("4")["input"]["data"] == SEEDED_4X4


def _expected(example_id: str, kind: str, layer: int) -> Any:
    return next(c["expect"] for c in worked(example_id)["checks"] if c["kind"] == kind and c["layer"] == layer)


def test_4_unpool_makes_its_pool_return_indices(run_ok) -> None:
    """indices_from switches return_indices on, as API.md says, and the module shows it."""
    pool, unpool = worked("4")["layers"]
    plain_pool = {k: v for k, v in pool.items() if k != "return_indices"}
    out = run_ok([plain_pool, unpool], worked("4")["input"])
    assert _squeeze(out["layers"][0]["indices"]) == _expected("4", "indices", 1)
    assert "nn.MaxPool2d(2, stride=2, return_indices=True)" in out["code"]
    assert _squeeze(out["layers"][1]["values"]) == _expected("4", "values", 2)


def test_5_linear_batch_params_and_mult_adds(run_ok) -> None:
    out = run_ok(worked("5b")["layers"], worked("5b")["input"])
    assert out["layers"][0]["params"] == 5 * 10 + 10
    assert out["layers"][0]["mult_adds"] == 3 * 10 * 5


@pytest.mark.parametrize("activation", ["Sigmoid", "Tanh", "ReLU"])
def test_6_curves_with_autograd_derivatives(client, activation):
    assert activation in worked("6e")["curves"]
    r = client.get(f"/api/activations/{activation}/curve", params={"x_min": -10, "x_max": 10, "points": 201})
    assert r.status_code == 200
    body = r.json()
    x = torch.tensor(body["x"], requires_grad=True)
    y = getattr(torch, activation.lower())(x)
    (grad,) = torch.autograd.grad(y.sum(), x)
    assert body["x"][0] == -10 and body["x"][-1] == 10 and len(body["x"]) == 201
    assert torch.allclose(torch.tensor(body["y"]), y.detach())
    assert torch.allclose(torch.tensor(body["grad"]), grad)


def test_6_leaky_relu_slope_prelu_init_and_rrelu_range(client):
    leaky = client.get("/api/activations/LeakyReLU/curve", params={"x_min": -2, "x_max": 2, "points": 5, "negative_slope": 0.1}).json()
    assert [round(v, 6) for v in leaky["y"]] == [-0.2, -0.1, 0.0, 1.0, 2.0]
    prelu = client.get("/api/activations/PReLU/curve", params={"x_min": -2, "x_max": 2, "points": 5, "init": 0.5}).json()
    assert [round(v, 6) for v in prelu["y"]] == [-1.0, -0.5, 0.0, 1.0, 2.0]
    rrelu = client.get(
        "/api/activations/RReLU/curve", params={"x_min": -4, "x_max": -1, "points": 50, "lower": 0.1, "upper": 0.3, "mode": "train"}
    ).json()
    slopes = [y / x for x, y in zip(rrelu["x"], rrelu["y"], strict=True)]
    assert all(0.1 <= s <= 0.3 for s in slopes) and len({round(s, 6) for s in slopes}) > 1
    evaluated = client.get("/api/activations/RReLU/curve", params={"x_min": -4, "x_max": -1, "points": 5, "lower": 0.1, "upper": 0.3}).json()
    assert all(abs(y / x - 0.2) < 1e-6 for x, y in zip(evaluated["x"], evaluated["y"], strict=True))


def test_7_cross_entropy_gradient_is_autograds(client):
    loss = next(loss for loss in worked("7")["losses"] if loss["type"] == "CrossEntropyLoss")
    ce = client.post("/api/losses/CrossEntropyLoss", json=loss["body"]).json()
    logits = torch.tensor(loss["body"]["input"], requires_grad=True)
    torch.nn.functional.cross_entropy(logits, torch.tensor(loss["body"]["target"])).backward()
    assert torch.allclose(torch.tensor(ce["grad"]), logits.grad)


def test_8_small_network_is_torchs_own_module_by_module(run_ok):
    example = worked("8")
    out = run_ok(example["layers"], example["input"], seed=3)
    assert [layer["module"] for layer in out["layers"]] == [
        "Linear(in_features=10, out_features=20, bias=True)",
        "ReLU()",
        "Linear(in_features=20, out_features=1, bias=True)",
        "Sigmoid()",
    ]
    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(10, 20), torch.nn.ReLU(), torch.nn.Linear(20, 1), torch.nn.Sigmoid()).eval()
    expected = model(torch.tensor(example["input"]["data"]).reshape(example["input"]["shape"]))
    assert torch.equal(torch.tensor(out["layers"][-1]["values"]), expected.detach())
    assert out["params"] == 10 * 20 + 20 + 20 + 1


def test_13_flatten_start_dim_0_loses_the_batch_and_says_so(run_ok):
    flatten, linear = run_ok(worked("13")["layers"], worked("13")["input"])["layers"]
    assert any("batch" in note for note in flatten["notes"])
    assert any("single answer" in note for note in linear["notes"])


def test_14_network_has_its_parameter_count(run_ok):
    out = run_ok(EXAMPLE_14, {"source": "cifar10_batch", "split": "test", "start": 0, "count": 2})
    assert out["params"] == EXAMPLE_14_PARAMS
