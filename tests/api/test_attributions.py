"""POST /api/attributions: Captum's numbers for the run's network and input, maps, overlays, refusals."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch
import torch.nn as nn
from captum.attr import InputXGradient, IntegratedGradients, LayerGradCam, Saliency
from fastapi.testclient import TestClient
from PIL import Image

from app.api.attribution_schemas import AttributionMaps, AttributionResponse
from app.api.schemas import Stats
from app.engine.summary import tensor_stats
from app.jobs.config import EXAMPLE_14, JobConfig
from app.jobs.folder import JobFolder
from app.main import create_app
from app.render.colormaps import PALETTES, Colormap
from app.settings import Settings

IMAGE = {"source": "cifar10", "split": "test", "index": 3}


def example_14() -> nn.Sequential:
    """Example 14 as a learner writes it, after torch.manual_seed(0) (the run API's seed)."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10),
    ).eval()


def image(client: TestClient) -> torch.Tensor:
    answer = client.post("/api/pipeline/run", json={"input": IMAGE, "layers": []}).json()
    return torch.tensor(answer["input"]["values"], dtype=torch.float32)


def attribution(client: TestClient, **fields) -> dict:
    r = client.post("/api/attributions", json={"input": IMAGE, "layers": EXAMPLE_14, **fields})
    assert r.status_code == 200, r.text
    return r.json()


def refusal(client: TestClient, **fields) -> dict:
    r = client.post("/api/attributions", json={"input": IMAGE, "layers": EXAMPLE_14, **fields})
    assert r.status_code == 422, r.text
    [detail] = r.json()["detail"]
    return detail


def npy(client: TestClient, url: str) -> np.ndarray:
    r = client.get(url)
    assert r.status_code == 200, r.text
    return np.load(io.BytesIO(r.content), allow_pickle=False)


def png(client: TestClient, url: str, **params) -> np.ndarray:
    r = client.get(url, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    return np.asarray(Image.open(io.BytesIO(r.content)).convert("RGB"))


def test_integrated_gradients_of_example_14_equal_captums(client: TestClient) -> None:
    answer = attribution(client, method="integrated_gradients", steps=32)
    x, net = image(client), example_14()
    logits = net(x)
    assert answer["target"] == int(logits.argmax(1))  # default: the predicted class
    assert answer["probabilities"] == pytest.approx(logits.softmax(1)[0].tolist(), abs=0)
    expected = IntegratedGradients(net).attribute(x.clone().requires_grad_(), target=answer["target"], n_steps=32)
    got = npy(client, answer["attribution"]["values_url"])
    assert np.array_equal(got, expected.detach().numpy())
    assert answer["attribution"]["shape"] == [1, 3, 32, 32] and answer["steps"] == 32
    assert np.array_equal(np.array(answer["attribution"]["values"], dtype=np.float32), got)  # 3,072 ≤ 4,096: exact


def test_a_fresh_run_lends_its_modules_and_a_cached_one_is_built_again_both_equal_to_captum(client: TestClient, monkeypatch) -> None:
    """The attribution of a run computed for it differentiates the run's own modules (the network is not built a
    second time); one of a run already kept builds them again. Captum's numbers either way."""
    import app.engine.attributions as engine

    rebuilt: list[int] = []
    real = engine.rebuild_modules
    monkeypatch.setattr(engine, "rebuild_modules", lambda trace: rebuilt.append(1) or real(trace))
    x, net = image(client), example_14()
    first = attribution(client, method="input_x_gradient", target=4)
    assert rebuilt == []  # the run was computed for this attribution: its modules were used
    second = attribution(client, method="saliency", target=4)
    assert rebuilt == [1] and second["run_id"] == first["run_id"]  # the kept run has tensors, not modules
    for answer, method in ((first, InputXGradient), (second, Saliency)):
        expected = method(net).attribute(x.clone().requires_grad_(), target=4).detach()
        assert np.array_equal(npy(client, answer["attribution"]["values_url"]), expected.numpy())


@pytest.mark.parametrize("fields", [{"method": "integrated_gradients", "steps": 4}, {"method": "grad_cam", "layer": 3, "target": 1}])
def test_the_answer_is_attribution_response_field_for_field(client: TestClient, fields: dict) -> None:
    """Written by orjson from plain data: every field of the schema in its order, typed as it types them, the
    exact values the .npy holds, the statistics torch gives."""
    r = client.post("/api/attributions", json={"input": IMAGE, "layers": EXAMPLE_14, **fields})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json", r.text
    answer = json.loads(r.content)  # the standard library's reading, not orjson's
    assert AttributionResponse.model_validate(answer).model_dump(mode="json") == answer
    assert list(answer) == list(AttributionResponse.model_fields)
    assert list(answer["attribution"]) == list(AttributionMaps.model_fields)
    assert list(answer["attribution"]["stats"]) == list(Stats.model_fields)
    values = npy(client, answer["attribution"]["values_url"])
    assert answer["attribution"]["values"] == torch.from_numpy(values).tolist()
    assert answer["attribution"]["stats"] == tensor_stats(torch.from_numpy(values))


def test_grad_cam_at_the_last_conv_stage_equals_captums(client: TestClient) -> None:
    answer = attribution(client, method="grad_cam", layer=5, target=2)
    x, net = image(client), example_14()
    expected = LayerGradCam(net, net[4]).attribute(x.clone().requires_grad_(), target=2).detach()
    assert answer["target"] == 2 and answer["layer"] == 5
    assert answer["attribution"]["shape"] == [1, 1, 8, 8]  # the stage's own resolution
    assert np.array_equal(np.array(answer["attribution"]["values"], dtype=np.float32), expected.numpy())


def test_overlay_goes_from_the_input_to_the_attribution(client: TestClient) -> None:
    answer = attribution(client, method="grad_cam", layer=5)
    url = answer["attribution"]["overlay_url"]
    plain, heat, half = png(client, url, opacity=0), png(client, url, opacity=1), png(client, url)
    run_input = png(client, f"/api/runs/{answer['run_id']}/maps/0.png")
    assert plain.shape == run_input.shape == (96, 96, 3)  # the 32×32 picture enlarged 3× like the lab's map
    assert np.array_equal(plain, run_input)
    # Grad-CAM's 8×8 cells upsampled to 32×32 (4×4 pixels a cell), enlarged 3×: one colour per 12×12 block.
    blocks = heat.reshape(8, 12, 8, 12, 3)
    assert (blocks == blocks[:, :1, :, :1]).all()
    assert len(np.unique(heat.reshape(-1, 3), axis=0)) > 4
    assert np.abs(half.astype(int) - (plain.astype(int) + heat.astype(int)) / 2).max() <= 1


@pytest.mark.parametrize(("method", "palette"), [("input_x_gradient", Colormap.DIVERGING), ("saliency", Colormap.VIRIDIS)])
def test_the_map_is_drawn_diverging_for_signed_methods(client: TestClient, method: str, palette: Colormap) -> None:
    answer = attribution(client, method=method)
    drawn = png(client, answer["attribution"]["image_url"]).reshape(-1, 3)
    colours = {tuple(c) for c in PALETTES[palette].tolist()}  # the palette, and white between tiles
    assert {tuple(c) for c in np.unique(drawn, axis=0).tolist()} <= colours
    assert len(np.unique(drawn, axis=0)) > 20


def test_weights_from_a_job_are_the_weights_explained(client: TestClient, settings: Settings) -> None:
    folder = JobFolder.create(settings.data_dir / "jobs", JobConfig())
    trained = example_14()
    with torch.no_grad():
        for p in trained.parameters():
            p.mul_(-1.5)
    torch.save(trained.state_dict(), folder.checkpoint(1))
    answer = attribution(client, method="integrated_gradients", steps=8, weights_from={"job_id": folder.id}, layers=[])
    x = image(client)
    target = int(trained(x).argmax(1))
    expected = IntegratedGradients(trained).attribute(x.clone().requires_grad_(), target=target, n_steps=8).detach()
    assert answer["target"] == target
    assert np.array_equal(npy(client, answer["attribution"]["values_url"]), expected.numpy())


def test_an_attribution_is_recomputed_by_another_server_process(settings: Settings) -> None:
    with TestClient(create_app(settings)) as first:
        answer = attribution(first, method="saliency")
        values = npy(first, answer["attribution"]["values_url"])
    with TestClient(create_app(settings)) as second:  # nothing in memory: recomputed from the stored request
        assert np.array_equal(npy(second, answer["attribution"]["values_url"]), values)
        assert second.get("/api/attributions/" + "0" * 32 + "/values.npy").status_code == 404
        assert attribution(second, method="saliency")["attribution_id"] == answer["attribution_id"]


def test_refusals_name_what_to_change(client: TestClient) -> None:
    detail = refusal(client, method="grad_cam", layer=7)
    assert detail["loc"] == ["body", "layer"]
    assert "Stage 7 (Flatten)" in detail["msg"] and "1, 2, 3, 4, 5, 6" in detail["msg"]
    detail = refusal(client, method="saliency", target=10)
    assert detail["loc"] == ["body", "target"] and "0 to 9" in detail["msg"]
    detail = refusal(client, method="saliency", layers=EXAMPLE_14[:5])
    assert detail["loc"] == ["body", "layers", 4] and "(N, classes)" in detail["msg"]
    detail = refusal(client, method="sobel")
    assert detail["loc"] == ["body", "method"]


def test_a_batch_answers_one_target_per_sample(client: TestClient) -> None:
    r = client.post(
        "/api/attributions",
        json={"input": {"source": "cifar10_batch", "count": 3}, "layers": EXAMPLE_14, "method": "saliency"},
    )
    assert r.status_code == 200, r.text
    answer = r.json()
    assert len(answer["target"]) == 3 and len(answer["probabilities"]) == 3
    assert client.get(answer["attribution"]["overlay_url"], params={"sample": 3}).status_code == 422
    assert client.get(answer["attribution"]["overlay_url"], params={"sample": 2}).status_code == 200
