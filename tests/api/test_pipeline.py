"""The pipeline API's promises: the code field reproduces the run, refusals are explained, never a 500."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from fastapi.testclient import TestClient

from app.engine.registry import REGISTRY
from app.main import create_app
from app.settings import Settings

IMAGE = {"source": "tensor", "data": torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0)).tolist()}


def _exec_code(code: str) -> torch.Tensor:
    namespace: dict = {}
    exec(compile(code.replace("print(y.shape)", ""), "<code>", "exec"), namespace)  # noqa: S102 (our own output)
    return namespace["y"]


@pytest.mark.parametrize(
    ("layers", "mode"),
    [
        ([{"type": "Conv2d", "out_channels": 6, "kernel_size": 3, "padding": 1}, {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2}], "eval"),
        ([{"type": "Conv2d", "out_channels": 4, "kernel_size": [3, 2], "stride": 2}, {"type": "BatchNorm2d"}, {"type": "Dropout", "p": 0.3}], "train"),
        ([{"type": "Conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "RReLU"}, {"type": "Flatten"}, {"type": "Linear", "out_features": 5}], "train"),
        ([{"type": "MaxPool2d", "kernel_size": 2}, {"type": "PReLU", "num_parameters": 3}, {"type": "MaxUnpool2d", "kernel_size": 2, "indices_from": 1}], "eval"),
        ([{"type": "ConvTranspose2d", "out_channels": 2, "kernel_size": 2, "stride": 2}, {"type": "Upsample", "scale_factor": 0.5, "mode": "bilinear"}], "eval"),
    ],
)
def test_code_field_rebuilds_the_same_outputs(client: TestClient, layers: list[dict], mode: str) -> None:
    r = client.post("/api/pipeline/run", json={"input": IMAGE, "layers": layers, "seed": 7, "mode": mode})
    assert r.status_code == 200, r.text
    body = r.json()
    y = _exec_code(body["code"])
    last = body["layers"][-1]
    assert list(y.shape) == last["output_shape"]
    if last["values"] is not None:
        assert torch.equal(y, torch.tensor(last["values"]))
    else:  # too large for values: compare statistics, which are exact functions of the same tensor
        assert float(y.min()) == last["stats"]["min"] and float(y.max()) == last["stats"]["max"]


def test_code_field_carries_explicit_weights(client: TestClient) -> None:
    layer = {"type": "Linear", "out_features": 2, "weight": [[1, 0, -1], [0.5, 0.5, 0.5]], "bias": [0.25, -0.25]}
    body = client.post("/api/pipeline/run", json={"input": {"source": "tensor", "data": [[1, 2, 3]]}, "layers": [layer]}).json()
    assert torch.equal(_exec_code(body["code"]), torch.tensor([[-1.75, 2.75]]))


def test_same_request_same_run_id_and_seed_changes_weights(client: TestClient) -> None:
    layers = [{"type": "Conv2d", "out_channels": 2, "kernel_size": 3}]
    a = client.post("/api/pipeline/run", json={"input": IMAGE, "layers": layers, "seed": 1}).json()
    b = client.post("/api/pipeline/run", json={"input": IMAGE, "layers": layers, "seed": 1}).json()
    c = client.post("/api/pipeline/run", json={"input": IMAGE, "layers": layers, "seed": 2}).json()
    assert a["run_id"] == b["run_id"] != c["run_id"]
    assert a["layers"][0]["stats"] == b["layers"][0]["stats"] != c["layers"][0]["stats"]


def test_trace_fields(client: TestClient) -> None:
    layers = [{"type": "Conv2d", "out_channels": 6, "kernel_size": 3, "padding": 1}]
    body = client.post("/api/pipeline/run", json={"input": IMAGE, "layers": layers}).json()
    conv = body["layers"][0]
    assert conv["module"] == "Conv2d(3, 6, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert conv["input_shape"] == [1, 3, 32, 32] and conv["output_shape"] == [1, 6, 32, 32]
    assert conv["params"] == 168
    assert conv["mult_adds"] == 6 * 32 * 32 * 3 * 3 * 3
    assert conv["values"] is None  # 6,144 elements > 4,096
    assert set(conv["stats"]) >= {"min", "max", "mean", "std", "zero_fraction"}
    assert conv["image_url"] == f"/api/runs/{body['run_id']}/maps/1.png"
    assert body["input"]["image_url"] == f"/api/runs/{body['run_id']}/maps/0.png"
    assert conv["time_ms"] >= 0


def test_relu_on_images_is_marked_unchanged(client: TestClient) -> None:
    body = client.post("/api/pipeline/run", json={"input": IMAGE, "layers": [{"type": "ReLU"}]}).json()
    assert any("identical" in note for note in body["layers"][0]["notes"])


# --- refusals ------------------------------------------------------------------------------------


def _refusal(client: TestClient, layers: list[dict], input_: dict | None = None) -> dict:
    r = client.post("/api/pipeline/run", json={"input": input_ or IMAGE, "layers": layers})
    assert r.status_code == 422, r.text
    return r.json()["detail"][0]


def test_linear_after_flatten_names_the_real_feature_count(client: TestClient) -> None:
    detail = _refusal(client, [{"type": "Flatten"}, {"type": "Linear", "in_features": 1024, "out_features": 10}])
    assert detail["loc"] == ["body", "layers", 1]
    assert "3072" in detail["msg"] and "in_features" in detail["msg"] and "Linear" in detail["msg"]
    assert detail["ctx"]["index"] == 2 and detail["ctx"]["param"] == "in_features"


@pytest.mark.parametrize(
    ("layers", "position", "words"),
    [
        ([{"type": "Conv2d", "out_channels": 6, "kernel_size": 40}], 0, ["kernel_size", "32×32"]),
        ([{"type": "MaxPool2d", "kernel_size": 2}] * 6, 5, ["kernel_size", "1×1"]),
        ([{"type": "Conv2d", "in_channels": 4, "out_channels": 6, "kernel_size": 3}], 0, ["in_channels", "3"]),
        ([{"type": "Conv2d", "out_channels": 6, "kernel_size": 3, "groups": 2}], 0, ["groups"]),
        ([{"type": "MaxPool2d", "kernel_size": 3, "padding": 2}], 0, ["padding", "half"]),
        ([{"type": "Flatten"}, {"type": "Conv2d", "out_channels": 2, "kernel_size": 3}], 1, ["4-D", "1×3072"]),
        ([{"type": "MaxUnpool2d", "kernel_size": 2, "indices_from": 1}], 0, ["indices_from", "MaxPool2d"]),
        ([{"type": "ReLU"}, {"type": "MaxUnpool2d", "kernel_size": 2, "indices_from": 1}], 1, ["indices_from", "ReLU"]),
        (
            [{"type": "MaxPool2d", "kernel_size": 2}, {"type": "Conv2d", "out_channels": 5, "kernel_size": 1}, {"type": "MaxUnpool2d", "kernel_size": 2, "indices_from": 1}],
            2,
            ["indices", "shape"],
        ),
        ([{"type": "Conv2d", "out_channels": 2, "kernel_size": 3, "weight": [[1.0]]}], 0, ["weight", "2×3×3×3"]),
        ([{"type": "Hardtanh", "min_val": 2.0, "max_val": 1.0}], 0, ["Hardtanh"]),
        ([{"type": "Conv2d", "out_channels": 2, "kernel_size": 1, "padding": [1, -1]}], 0, ["padding", "zeros", "replicate"]),
    ],
)
def test_refusals_point_at_the_layer_and_say_what_to_change(client: TestClient, layers: list[dict], position: int, words: list[str]) -> None:
    detail = _refusal(client, layers)
    assert detail["loc"] == ["body", "layers", position]
    assert f"Layer {position + 1}" in detail["msg"]
    for word in words:
        assert word in detail["msg"], detail["msg"]


@pytest.mark.parametrize(
    ("input_", "field"),
    [
        ({"source": "tensor", "data": [[1, 2], [3]]}, "data"),
        ({"source": "tensor", "data": []}, None),
        ({"source": "tensor", "data": [[1, 2], [3, 4]], "shape": [3, -1]}, "shape"),
        ({"source": "tensor", "data": [[1, 2], [3, 4]], "shape": [-1, -1]}, "shape"),
        ({"source": "tensor", "data": "abc"}, None),
        ({"source": "tensor"}, None),
        ({"source": "nowhere"}, None),
    ],
)
def test_bad_tensor_inputs_are_422(client: TestClient, input_: dict, field: str | None) -> None:
    r = client.post("/api/pipeline/run", json={"input": input_, "layers": [{"type": "ReLU"}]})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"][:2] == ["body", "input"]
    if field:
        assert detail["loc"][-1] == field


def test_non_finite_numbers_give_valid_json(client: TestClient) -> None:
    raw = '{"input": {"source": "tensor", "data": [NaN, Infinity, -1e39, 1.0]}, "layers": [{"type": "ReLU"}, {"type": "Sigmoid"}]}'
    r = client.post("/api/pipeline/run", content=raw, headers={"content-type": "application/json"})
    assert r.status_code in (200, 422)
    body = json.loads(r.text, parse_constant=lambda token: pytest.fail(f"invalid JSON token {token}"))
    if r.status_code == 200:
        assert body["layers"][0]["values"][0] is None
        assert body["layers"][0]["stats"]["nan_count"] == 1


def test_overflowing_layer_outputs_become_null_with_a_note(client: TestClient) -> None:
    layer = {"type": "Linear", "out_features": 1, "weight": [[3e38, 3e38]], "bias": False}
    body = client.post("/api/pipeline/run", json={"input": {"source": "tensor", "data": [[1.0, 1.0]]}, "layers": [layer]}).json()
    assert body["layers"][0]["values"] == [[None]]
    assert body["layers"][0]["stats"]["inf_count"] == 1
    assert any("not finite" in note for note in body["layers"][0]["notes"])


def test_stage_larger_than_the_element_limit_is_refused_before_allocation(tmp_path: Path) -> None:
    small = Settings(data_dir=tmp_path, max_elements=10_000)
    with TestClient(create_app(small)) as client:
        layers = [{"type": "Upsample", "scale_factor": 100.0}]
        r = client.post("/api/pipeline/run", json={"input": {"source": "tensor", "data": [[[[1.0, 2.0], [3.0, 4.0]]]]}, "layers": layers})
        assert r.status_code == 422
        assert "LAYERLAB_MAX_ELEMENTS" in r.json()["detail"][0]["msg"]
        huge_weight = [{"type": "Linear", "out_features": 100_000}]
        r = client.post("/api/pipeline/run", json={"input": {"source": "tensor", "data": [[1.0, 2.0]]}, "layers": huge_weight})
        assert r.status_code == 422 and r.json()["detail"][0]["ctx"]["param"] == "weight"


# --- catalogue, activations, losses, health, openapi ----------------------------------------------


def test_catalogue_and_registry_agree(client: TestClient) -> None:
    catalogue = {entry["type"]: entry for entry in client.get("/api/layers").json()}
    assert set(catalogue) == set(REGISTRY)
    for name, spec in REGISTRY.items():
        entry = catalogue[name]
        assert entry["torch_class"] == f"torch.nn.{name}"
        assert [p["name"] for p in entry["params"]] == [p.name for p in spec.params]
        signature = spec.cls.__init__.__code__.co_varnames
        for param in entry["params"]:
            assert param["name"] in signature, f"{name}.{param['name']} is not a torch argument"


def test_catalogue_defaults_are_torchs_defaults(client: TestClient) -> None:
    import inspect

    for entry in client.get("/api/layers").json():
        torch_params = inspect.signature(REGISTRY[entry["type"]].cls.__init__).parameters
        for param in entry["params"]:
            torch_default = torch_params[param["name"]].default
            if param["required"] or param["inferred"]:
                assert torch_default is inspect.Parameter.empty
            else:
                assert param["default"] == torch_default or (torch_default is None and param["default"] is None), (entry["type"], param)


def test_activation_and_loss_refusals(client: TestClient) -> None:
    assert client.get("/api/activations/Conv2d/curve").status_code == 404
    assert client.get("/api/activations/Nope/curve").status_code == 404
    assert client.get("/api/activations/ReLU/curve", params={"x_min": 1, "x_max": 0}).status_code == 422
    assert client.get("/api/activations/ReLU/curve", params={"points": 1}).status_code == 422
    assert client.get("/api/activations/ELU/curve", params={"alpha": "big"}).status_code == 422
    assert client.get("/api/activations/ELU/curve", params={"beta": 1}).status_code == 422
    assert client.post("/api/losses/Nope", json={"input": [1], "target": [1]}).status_code == 404
    assert client.post("/api/losses/MSELoss", json={"input": [1, 2], "target": [1, 2, 3]}).status_code == 422
    assert client.post("/api/losses/BCELoss", json={"input": [2.0], "target": [1.0]}).status_code == 422
    assert client.post("/api/losses/CrossEntropyLoss", json={"input": [[0.1, 0.2]], "target": [5]}).status_code == 422
    assert client.post("/api/losses/L1Loss", json={"input": [[1, 2], [3]], "target": [1]}).status_code == 422


@pytest.mark.parametrize("loss", ["L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "BCEWithLogitsLoss"])
def test_elementwise_losses_match_torch(client: TestClient, loss: str) -> None:
    x, t = [[0.2, -1.5, 3.0]], [[0.0, 1.0, 1.0]]
    body = client.post(f"/api/losses/{loss}", json={"input": x, "target": t, "reduction": "sum"}).json()
    xt = torch.tensor(x, requires_grad=True)
    value = getattr(torch.nn, loss)(reduction="sum")(xt, torch.tensor(t))
    value.backward()
    assert body["loss"] == value.detach().item()
    assert torch.equal(torch.tensor(body["grad"]), xt.grad)


def test_nll_after_log_softmax_equals_cross_entropy(client: TestClient) -> None:
    logits = torch.tensor([[0.1, 0.2, 0.3]])
    log_probs = torch.log_softmax(logits, dim=1).tolist()
    nll = client.post("/api/losses/NLLLoss", json={"input": log_probs, "target": [1]}).json()["loss"]
    assert round(nll, 4) == 1.1019


def test_healthz_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    for path in ("/api/layers", "/api/pipeline/run", "/api/activations/{type}/curve", "/api/losses/{type}", "/healthz"):
        assert path in spec["paths"], path
    schemas = spec["components"]["schemas"]
    assert {f"{name}Layer" for name in REGISTRY} <= set(schemas)
    assert schemas["Conv2dLayer"]["properties"]["kernel_size"]


def test_too_many_layers_is_refused(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path, max_layers=3))) as client:
        r = client.post("/api/pipeline/run", json={"input": {"source": "tensor", "data": [1.0]}, "layers": [{"type": "ReLU"}] * 4})
        assert r.status_code == 422 and "LAYERLAB_MAX_LAYERS" in r.json()["detail"][0]["msg"]


def test_batch_above_the_limit_is_refused(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path, max_batch=8))) as client:
        batch = {"source": "cifar10_batch", "split": "test", "start": 0, "count": 9}
        r = client.post("/api/pipeline/run", json={"input": batch, "layers": []})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "input", "count"]
        batch["count"] = 8
        assert client.post("/api/pipeline/run", json={"input": batch, "layers": []}).status_code == 200


@pytest.mark.parametrize(("mode", "status"), [("eval", 200), ("train", 422)])
def test_batchnorm_refuses_one_value_per_channel_only_in_train_mode(client: TestClient, mode: str, status: int) -> None:
    # torch: eval mode normalises with running stats, train mode needs more than one value per channel.
    body = {"input": {"source": "tensor", "data": [[[[0.5]]]]}, "layers": [{"type": "BatchNorm2d"}], "mode": mode}
    r = client.post("/api/pipeline/run", json=body)
    assert r.status_code == status, r.text
    if status == 422:
        assert r.json()["detail"][0]["loc"] == ["body", "layers", 0]


def test_negative_padding_crops_like_torch_outside_zeros_mode(run_ok) -> None:
    # torch pads through F.pad for these modes, and a negative pad there crops.
    layer = {"type": "Conv2d", "out_channels": 1, "kernel_size": 1, "padding": [1, -1], "padding_mode": "replicate"}
    answer = run_ok([layer], {"source": "tensor", "data": [[1.0, 2.0, 3.0]], "shape": [1, 1, 1, 3]})
    assert answer["layers"][0]["output_shape"] == [1, 1, 3, 1]
