"""Networks through the HTTP API: import, list, weights out, every lab view on a model, fine-tuning from one."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.torch
import torch
from fastapi.testclient import TestClient

from app.jobs.config import EXAMPLE_14
from app.main import create_app
from app.settings import Settings
from tests.models.nets import example14
from tests.sse import wait_for

IMAGE = {"source": "cifar10", "split": "test", "index": 7}


def _import(client: TestClient, seed: int = 1, **fields: Any) -> dict[str, Any]:
    weights = safetensors.torch.save(example14(seed).state_dict())
    r = client.post("/api/models", data={"layers": json.dumps(EXAMPLE_14), **fields}, files={"weights": ("mine.safetensors", weights)})
    assert r.status_code == 201, r.text
    return r.json()


def _stored(settings: Settings) -> list[str]:
    folder = Path(settings.data_dir) / "models"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def _run(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post("/api/pipeline/run", json={"input": IMAGE, **body})
    assert r.status_code == 200, r.text
    return r.json()


def test_import_list_get_and_the_same_file_twice_is_one_model(shipped_dir, client, settings):
    model = _import(client, name="my first CNN")
    assert model["params"] == 145_578 and model["source"] == "layers" and model["input_shape"] == [1, 3, 32, 32]
    assert model["weights_from"] == {"model_id": model["model_id"]} and len(model["mapping"]) == 10
    assert _import(client, name="again")["model_id"] == model["model_id"]
    other = _import(client, seed=2)
    listed = client.get("/api/models").json()["models"]
    assert [m["model_id"] for m in listed] == ["test-example14", other["model_id"], model["model_id"]]
    assert listed[0]["source"] == "shipped" and listed[0]["trained"]["test_accuracy"] == 0.73
    assert client.get(f"/api/models/{model['model_id']}").json() == model
    assert _stored(settings) == sorted([model["model_id"], other["model_id"]])


def test_unknown_models_are_404_everywhere(client):
    unknown = "0123456789abcdef0123456789abcdef"
    assert client.get(f"/api/models/{unknown}").status_code == 404
    assert client.get(f"/api/models/{unknown}/weights.safetensors").status_code == 404
    r = client.post("/api/pipeline/run", json={"input": IMAGE, "weights_from": {"model_id": unknown}})
    assert r.status_code == 404 and "GET /api/models lists them" in r.json()["detail"]
    assert client.post("/api/jobs", json={"weights_from": {"model_id": unknown}}).status_code == 404


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"layers": "[{not json"}, "layers"),
        ({"layers": json.dumps(EXAMPLE_14[:-1] + [{"type": "Linear", "in_features": 64, "out_features": 7}])}, "weights"),
        ({"layers": json.dumps(EXAMPLE_14), "input_shape": "[1, 3"}, "input_shape"),
    ],
)
def test_refusals_store_nothing(client, settings, form, field):
    weights = safetensors.torch.save(example14(1).state_dict())
    r = client.post("/api/models", data=form, files={"weights": ("mine.safetensors", weights)})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", field]
    assert _stored(settings) == []
    assert client.get("/healthz").status_code == 200


def test_a_file_over_the_model_limit_is_413_and_nothing_is_stored(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", cifar10_dir=None, max_model_bytes=100_000)
    with TestClient(create_app(settings)) as client:
        weights = safetensors.torch.save(example14(1).state_dict())  # 582 kB
        r = client.post("/api/models", data={"layers": json.dumps(EXAMPLE_14)}, files={"weights": ("mine.safetensors", weights)})
        assert r.status_code == 413 and "LAYERLAB_MAX_MODEL_BYTES" in r.json()["detail"]
        assert _stored(settings) == []
        # Bodies far over the limit are refused from their Content-Length, before reading.
        big = client.post("/api/models", content=b"x" * 10, headers={"content-length": str(300_000_000), "content-type": "multipart/form-data; boundary=x"})
        assert big.status_code == 413


def test_the_weights_file_and_the_runs_code_give_the_same_numbers(client, tmp_path, monkeypatch):
    model = _import(client)
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    run = client.post("/api/pipeline/run", json={"input": {"source": "tensor", "data": x.tolist()}, "weights_from": model["weights_from"]}).json()
    download = client.get(model["weights_url"])
    assert download.status_code == 200
    state = safetensors.torch.load(download.content)
    assert all(torch.equal(state[k], v) for k, v in example14(1).state_dict().items()) and len(state) == 10
    # Executed as a user would: the file saved under the name the code loads, in the working directory.
    assert f"load_file('{model['model_id']}.safetensors')" in run["code"]
    (tmp_path / f"{model['model_id']}.safetensors").write_bytes(download.content)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(compile(run["code"], "pipeline.py", "exec"), namespace)  # noqa: S102 (our own generated code)
    assert namespace["y"].tolist() == run["layers"][-1]["values"]
    with torch.no_grad():
        assert torch.allclose(example14(1).eval()(x), namespace["y"], atol=1e-5)


def test_every_lab_view_works_on_a_models_weights(client, tmp_path):
    model = _import(client)
    trained = _run(client, weights_from=model["weights_from"])
    assert [layer["type"] for layer in trained["layers"]] == [layer["type"] for layer in EXAMPLE_14]  # the model's own layers
    untrained = _run(client, layers=EXAMPLE_14)
    # Compare: the same image through other weights gives other stages, and other maps.
    assert trained["run_id"] != untrained["run_id"]
    assert trained["layers"][-1]["values"] != untrained["layers"][-1]["values"]
    assert trained["layers"][0]["stats"] != untrained["layers"][0]["stats"]
    maps = [client.get(run["layers"][0]["image_url"]) for run in (trained, untrained)]
    assert all(m.status_code == 200 and m.headers["content-type"] == "image/png" for m in maps)
    assert maps[0].content != maps[1].content
    # Exact values of a stage, and the arithmetic of one logit, are the model's.
    run_id = trained["run_id"]
    values = np.load(io.BytesIO(client.get(f"/api/runs/{run_id}/stages/9/values.npy").content))
    assert values.tolist() == trained["layers"][-1]["values"]
    arithmetic = client.get(f"/api/runs/{run_id}/stages/9/arithmetic", params={"index": "0,3"})
    assert arithmetic.status_code == 200, arithmetic.text
    assert arithmetic.json()["result"] == pytest.approx(trained["layers"][-1]["values"][0][3], abs=1e-5)
    # Export: the zip carries the weights beside pipeline.py, which loads them.
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/api/runs/{run_id}/export.zip").content))
    name = f"{model['model_id']}.safetensors"
    assert archive.read(name) == client.get(model["weights_url"]).content
    assert f"load_file('{name}')" in archive.read("pipeline.py").decode()


def test_a_run_with_a_jobs_checkpoint_names_its_safetensors_download(client, settings):
    folder = Path(settings.data_dir) / "jobs" / "20260101-000000-abcdef"
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"layers": EXAMPLE_14}))
    (folder / "status.json").write_text(json.dumps({"status": "succeeded", "created": 1.0}))
    torch.save(example14(4).state_dict(), folder / "checkpoints" / "epoch-2.pt")
    run = _run(client, weights_from={"job_id": folder.name})
    assert run["code"].count(f"load_file('{folder.name}-epoch-2.safetensors')") == 1
    download = client.get(f"/api/jobs/{folder.name}/weights.safetensors", params={"epoch": 2})
    assert download.status_code == 200
    assert torch.equal(safetensors.torch.load(download.content)["7.weight"], example14(4)[7].weight)
    listed = client.get("/api/models").json()["models"]
    assert listed[-1]["source"] == "job" and listed[-1]["weights_from"] == {"job_id": folder.name, "epoch": 2}


def test_a_job_fine_tunes_from_a_model_its_layers_by_default(client, settings):
    model = _import(client, seed=5)
    mismatch = client.post("/api/jobs", json={"weights_from": model["weights_from"], "layers": [{"type": "Flatten"}, {"type": "Linear", "out_features": 10}]})
    assert mismatch.status_code == 422 and mismatch.json()["detail"][0]["loc"] == ["body", "layers", 1]
    r = client.post("/api/jobs", json={"weights_from": model["weights_from"], "batch_size": 50, "max_steps": 1})
    assert r.status_code == 202, r.text
    job = wait_for(client, r.json()["job_id"], lambda j: j["status"] in ("succeeded", "failed", "cancelled"), timeout_s=240)
    assert job["status"] == "succeeded", job["error"]
    assert job["config"]["weights_from"] == model["weights_from"] and job["config"]["layers"] == model["layers"]
    # Epoch 0 (before any step) is the model itself; one step later the weights moved.
    checkpoints = Path(settings.data_dir) / "jobs" / job["job_id"] / "checkpoints"
    start, end = (torch.load(checkpoints / f"epoch-{n}.pt", weights_only=True) for n in (0, 1))
    assert all(torch.equal(start[k], v) for k, v in example14(5).state_dict().items())
    assert not torch.equal(end["0.weight"], start["0.weight"])
    deadline = time.monotonic() + 60  # the worker exits after its last word: reaped before the app stops
    while client.app.state.jobs.backend.is_alive(checkpoints.parent) and time.monotonic() < deadline:
        time.sleep(0.1)


def test_openapi_declares_the_networks_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"post", "get"} <= set(paths["/api/models"])
    assert "get" in paths["/api/models/{model_id}"] and "get" in paths["/api/models/{model_id}/weights.safetensors"]
    assert "201" in paths["/api/models"]["post"]["responses"] and "413" in paths["/api/models"]["post"]["responses"]


class _Functional(torch.nn.Module):
    """A network whose forward calls F.relu and torch.flatten: print(model) does not show them, the ONNX graph does."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(5)
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.pool = torch.nn.MaxPool2d(2)
        self.fc = torch.nn.Linear(4 * 16 * 16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(torch.nn.functional.relu(self.conv(x))), 1))


def test_an_onnx_export_imports_through_the_api_and_runs_as_torch_does(client):
    import warnings

    model = _Functional().eval()
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's own deprecation chatter
        graph = torch.onnx.export(model, (x,), dynamo=True, external_data=False, verbose=False).model_proto.SerializeToString()
    r = client.post("/api/models", data={"name": "functional"}, files={"onnx": ("model.onnx", graph)})
    assert r.status_code == 201, r.text
    imported = r.json()
    assert imported["source"] == "onnx" and [layer["type"] for layer in imported["layers"]] == ["Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear"]
    assert {row["key"] for row in imported["mapping"]} == set(model.state_dict())
    run = _run(client, input={"source": "tensor", "data": x.tolist()}, weights_from=imported["weights_from"])
    with torch.no_grad():
        assert run["layers"][-1]["values"] == model(x).tolist()
    broken = client.post("/api/models", files={"onnx": ("model.onnx", graph[: len(graph) // 2])})
    assert broken.status_code == 422 and broken.json()["detail"][0]["loc"] == ["body", "onnx"]
