"""EXAMPLES.md cases 1–8 and 13 through the HTTP API, with their exact numbers."""

from __future__ import annotations

import pytest
import torch

GRID = [[1, 2, 0, 3, 1], [0, 1, 2, 3, 1], [1, 2, 1, 0, 0], [5, 2, 3, 1, 1], [2, 1, 0, 1, 1]]
GRID_INPUT = {"source": "tensor", "data": GRID, "shape": [1, 1, 5, 5]}
KERNEL = [[[[1, 2, 1], [0, 1, 0], [2, 1, 0]]]]


def _conv(**kw):
    return {"type": "Conv2d", "out_channels": 1, "kernel_size": 3, "bias": False, "weight": KERNEL, **kw}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, [[10, 12, 12], [18, 16, 16], [13, 9, 3]]),
        ({"stride": 2}, [[10, 12], [13, 3]]),
        ({"stride": 2, "padding": 1}, [[1, 4, 8], [7, 16, 8], [14, 9, 4]]),
    ],
)
def test_1_convolution_by_hand(run_ok, params, expected):
    out = run_ok([_conv(**params)], GRID_INPUT)
    assert out["layers"][0]["values"] == [[expected]]
    assert out["layers"][0]["params"] == 9


@pytest.mark.parametrize(("ceil_mode", "expected"), [(True, [[2, 3], [5, 1]]), (False, [[2]])])
def test_2_max_pooling_ceil_mode(run_ok, ceil_mode, expected):
    out = run_ok([{"type": "MaxPool2d", "kernel_size": 3, "ceil_mode": ceil_mode}], GRID_INPUT)
    assert out["layers"][0]["values"] == [[expected]]


def test_3_average_pooling_and_divisor_override(run_ok):
    ones = {"source": "tensor", "data": [1.0] * 16, "shape": [1, 1, 4, 4]}
    plain = run_ok([{"type": "AvgPool2d", "kernel_size": 2, "stride": 2}], ones)
    assert plain["layers"][0]["values"] == [[[[1.0, 1.0], [1.0, 1.0]]]]
    over = run_ok([{"type": "AvgPool2d", "kernel_size": 2, "stride": 2, "divisor_override": 3}], ones)
    values = [v for row in over["layers"][0]["values"][0][0] for v in row]
    assert [round(v, 4) for v in values] == [1.3333] * 4


def test_4_max_pool_then_unpool(run_ok):
    torch.manual_seed(1)
    data = torch.randint(high=5, size=(1, 1, 4, 4)).float()
    assert data.squeeze().tolist() == [[0, 4, 4, 3], [3, 3, 1, 1], [4, 2, 3, 4], [1, 3, 3, 0]]
    out = run_ok(
        [
            {"type": "MaxPool2d", "kernel_size": 2, "stride": 2, "return_indices": True},
            {"type": "MaxUnpool2d", "kernel_size": 2, "stride": 2, "indices_from": 1},
        ],
        {"source": "tensor", "data": data.tolist()},
    )
    pool, unpool = out["layers"]
    assert pool["values"] == [[[[4, 4], [4, 4]]]]
    assert pool["indices"] == [[[[1, 2], [8, 11]]]]
    assert unpool["values"] == [[[[0, 4, 4, 0], [0, 0, 0, 0], [4, 0, 0, 4], [0, 0, 0, 0]]]]


def test_4_unpool_makes_its_pool_return_indices(run_ok):
    """indices_from switches return_indices on, as API.md says, and the module shows it."""
    out = run_ok(
        [{"type": "MaxPool2d", "kernel_size": 2}, {"type": "MaxUnpool2d", "kernel_size": 2, "indices_from": 1}],
        {"source": "tensor", "data": [[0, 4, 4, 3], [3, 3, 1, 1], [4, 2, 3, 4], [1, 3, 3, 0]], "shape": [1, 1, 4, 4]},
    )
    assert out["layers"][0]["indices"] == [[[[1, 2], [8, 11]]]]
    assert "nn.MaxPool2d(2, return_indices=True)" in out["code"]
    assert out["layers"][1]["values"] == [[[[0, 4, 4, 0], [0, 0, 0, 0], [4, 0, 0, 4], [0, 0, 0, 0]]]]


def test_5_linear_with_chosen_weights(run_ok):
    layer = {"type": "Linear", "out_features": 4, "weight": [[1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 4, 4]], "bias": [0.5] * 4}
    out = run_ok([layer], {"source": "tensor", "data": [[1, 2, 3]]})
    assert out["layers"][0]["values"] == [[6.5, 12.5, 18.5, 24.5]]
    assert out["layers"][0]["output_shape"] == [1, 4]


def test_5_linear_batch_shape(run_ok):
    out = run_ok([{"type": "Linear", "in_features": 5, "out_features": 10}], {"source": "tensor", "data": [[0.0] * 5] * 3})
    assert out["layers"][0]["output_shape"] == [3, 10]
    assert out["layers"][0]["params"] == 60
    assert out["layers"][0]["mult_adds"] == 3 * 10 * 5


def test_6_relu_on_a_matrix(run_ok):
    out = run_ok([{"type": "ReLU"}], {"source": "tensor", "data": [[1, -1], [2, -3]]})
    assert out["layers"][0]["values"] == [[1, 0], [2, 0]]


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        ("Sigmoid", [0.2689, 0.7311, 0.8808, 0.9526]),
        ("Tanh", [-0.7616, 0.7616, 0.9640, 0.9951]),
        ("ReLU", [0, 1, 2, 3]),
    ],
)
def test_6_activations_on_a_vector(run_ok, layer, expected):
    out = run_ok([{"type": layer}], {"source": "tensor", "data": [-1, 1, 2, 3]})
    assert [round(v, 4) for v in out["layers"][0]["values"]] == expected


@pytest.mark.parametrize("activation", ["Sigmoid", "Tanh", "ReLU"])
def test_6_curves_with_autograd_derivatives(client, activation):
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


def test_7_losses(client):
    pair = {"input": [2, 3, 4], "target": [2, 3, 7], "input_shape": [1, 1, 1, 3], "target_shape": [1, 1, 1, 3]}
    assert client.post("/api/losses/L1Loss", json=pair).json()["loss"] == 1.0
    assert client.post("/api/losses/MSELoss", json=pair).json()["loss"] == 3.0
    ce = client.post("/api/losses/CrossEntropyLoss", json={"input": [[0.1, 0.2, 0.3]], "target": [1]}).json()
    assert round(ce["loss"], 4) == 1.1019
    logits = torch.tensor([[0.1, 0.2, 0.3]], requires_grad=True)
    torch.nn.functional.cross_entropy(logits, torch.tensor([1])).backward()
    assert torch.allclose(torch.tensor(ce["grad"]), logits.grad)


def test_8_small_network_trace_shows_torch_modules(run_ok):
    layers = [
        {"type": "Linear", "in_features": 10, "out_features": 20},
        {"type": "ReLU"},
        {"type": "Linear", "in_features": 20, "out_features": 1},
        {"type": "Sigmoid"},
    ]
    out = run_ok(layers, {"source": "tensor", "data": [[0.1 * i for i in range(10)]] * 4}, seed=3)
    assert [layer["module"] for layer in out["layers"]] == [
        "Linear(in_features=10, out_features=20, bias=True)",
        "ReLU()",
        "Linear(in_features=20, out_features=1, bias=True)",
        "Sigmoid()",
    ]
    assert [layer["output_shape"] for layer in out["layers"]] == [[4, 20], [4, 20], [4, 1], [4, 1]]
    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(10, 20), torch.nn.ReLU(), torch.nn.Linear(20, 1), torch.nn.Sigmoid()).eval()
    expected = model(torch.tensor([[0.1 * i for i in range(10)]] * 4))
    assert torch.equal(torch.tensor(out["layers"][-1]["values"]), expected.detach())
    assert out["params"] == 10 * 20 + 20 + 20 + 1


def test_13_flatten_start_dim_0_loses_the_batch(client):
    out = client.post(
        "/api/pipeline/run",
        json={
            "input": {"source": "tensor", "data": torch.zeros(64 * 3 * 32 * 32).tolist(), "shape": [64, 3, 32, 32]},
            "layers": [{"type": "Flatten", "start_dim": 0}, {"type": "Linear", "in_features": 196608, "out_features": 10}],
        },
    )
    assert out.status_code == 200, out.text
    flatten, linear = out.json()["layers"]
    assert flatten["output_shape"] == [196608]
    assert linear["output_shape"] == [10]
    assert any("batch" in note for note in flatten["notes"])
    assert any("single answer" in note for note in linear["notes"])
