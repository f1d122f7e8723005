"""Runs with ``backward`` through the API: the answer's gradients, their maps and .npy files, and refusals in words."""

from __future__ import annotations

import io
import threading
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn as nn
from fastapi.testclient import TestClient
from PIL import Image

from app.jobs.config import EXAMPLE_14
from app.render.colormaps import PALETTES, Colormap
from app.runs import RunRequest

CIFAR = {"source": "cifar10", "split": "test", "index": 3}
LABEL = {"loss": {"type": "CrossEntropyLoss"}, "target": "label"}
SMALL = [{"type": "Conv2d", "out_channels": 2, "kernel_size": 3}, {"type": "ReLU"}, {"type": "Flatten"}, {"type": "Linear", "out_features": 3}]
TENSOR = {"source": "tensor", "data": [[[[0.1 * (i + j) - 0.6 for j in range(5)] for i in range(5)]]]}


def _npy(client: TestClient, url: str) -> np.ndarray:
    r = client.get(url)
    assert r.status_code == 200, r.text
    return np.load(io.BytesIO(r.content))


def test_a_run_with_backward_answers_every_gradient_as_torch_leaves_it(client: TestClient, run_ok) -> None:
    body = run_ok(SMALL, TENSOR, seed=4, backward={"loss": {"type": "CrossEntropyLoss"}, "target": [2]})
    torch.manual_seed(4)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(18, 3)).eval()
    x = torch.tensor(TENSOR["data"]).requires_grad_(True)
    loss = nn.CrossEntropyLoss()(model(x), torch.tensor([2]))
    loss.backward()
    assert body["loss"] == loss.item()
    assert body["input"]["grad"]["values"] == x.grad.tolist()
    assert body["layers"][0]["param_grads"]["weight"]["values"] == model[0].weight.grad.tolist()
    assert body["layers"][3]["param_grads"]["bias"]["values"] == model[3].bias.grad.tolist()
    assert body["layers"][1]["param_grads"] is None  # ReLU has no parameters
    assert body["layers"][3]["grad"]["stats"]["norm"] == pytest.approx(torch.softmax(model(x), 1).sub(torch.eye(3)[2]).norm().item())
    run = f"/api/runs/{body['run_id']}"
    assert np.array_equal(_npy(client, f"{run}/stages/0/grads.npy"), x.grad.numpy())
    assert np.array_equal(_npy(client, f"{run}/stages/1/param_grads/weight.npy"), model[0].weight.grad.numpy())
    assert body["layers"][0]["param_grads"]["weight"]["values_url"] == f"{run}/stages/1/param_grads/weight.npy"


@pytest.mark.parametrize(
    ("layers", "backward"),
    [
        (SMALL, {"loss": {"type": "CrossEntropyLoss", "label_smoothing": 0.1, "weight": [1.0, 2.0, 0.5]}, "target": [2]}),
        (SMALL, {"output": [0, 1]}),
        ([{"type": "MaxPool2d", "kernel_size": 2, "return_indices": True}, {"type": "MaxUnpool2d", "kernel_size": 2, "indices_from": 1, "output_size": [5, 5]}],
         {"loss": {"type": "MSELoss"}, "target": torch.zeros(1, 1, 5, 5).tolist()}),
    ],
)
def test_the_code_of_a_backward_run_leaves_the_same_gradients(client: TestClient, run_ok, layers: list, backward: dict) -> None:
    """Copy as PyTorch includes the loss and backward(): run, it leaves every gradient the run answers."""
    body = run_ok(layers, TENSOR, seed=3, backward=backward)
    scope: dict = {}
    exec(compile(body["code"], "pipeline.py", "exec"), scope)  # noqa: S102 (our own generated code)
    assert "loss.backward()" in body["code"]
    assert scope["x"].grad.tolist() == body["input"]["grad"]["values"]
    for k, stage in enumerate(body["layers"]):
        assert np.array_equal(_npy(client, f"/api/runs/{body['run_id']}/stages/{k + 1}/grads.npy"), scope["outputs"][k].grad.numpy())
        for name, grad in (stage["param_grads"] or {}).items():
            assert grad["values"] == getattr(scope["model"][k], name).grad.tolist()
    if "loss" in backward:
        assert body["loss"] == scope["loss"].item()


def test_the_run_id_includes_backward_and_a_plain_run_keeps_its_id(run_ok) -> None:
    plain = run_ok(SMALL, TENSOR)
    with_loss = run_ok(SMALL, TENSOR, backward={"loss": {"type": "CrossEntropyLoss"}, "target": [2]})
    other_target = run_ok(SMALL, TENSOR, backward={"loss": {"type": "CrossEntropyLoss"}, "target": [1]})
    assert len({plain["run_id"], with_loss["run_id"], other_target["run_id"]}) == 3
    assert plain["layers"][0]["grad"] is None and plain["loss"] is None
    # The id a plain request had before backward existed (computed on main before this change).
    request = RunRequest.model_validate({"input": CIFAR, "layers": [{"type": "ReLU"}], "seed": 2})
    assert request.run_id() == PLAIN_ID


PLAIN_ID = "6e7257ac7ea27928acf74fe5388eaf11"


def test_gradient_maps_are_diverging_and_white_where_the_gradient_is_zero(client: TestClient, run_ok) -> None:
    # ReLU passes no gradient where its input was negative: those cells are 0, drawn in the palette's centre.
    body = run_ok([{"type": "ReLU"}], TENSOR, backward={"output": [0, 0, 4, 4]})
    r = client.get(body["layers"][0]["grad"]["image_url"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(r.content))
    assert image.mode == "P"
    palette = np.array(image.getpalette()[: 3 * 256]).reshape(256, 3)
    assert np.array_equal(palette, PALETTES[Colormap.DIVERGING].numpy())
    levels = np.array(image)
    assert set(np.unique(levels)) == {127, 254}  # 0 → the centre level, the one value 1 → the top (red)
    layout = client.get(f"/api/runs/{body['run_id']}/grads/1/layout").json()
    assert (layout["cell_rows"], layout["cell_cols"]) == (5, 5)


def test_a_cifar10_image_with_its_label_runs_example_14_backward(client: TestClient, run_ok) -> None:
    body = run_ok(EXAMPLE_14, CIFAR, backward=LABEL)
    label = client.app.state.services.cifar10.label("test", 3)
    again = run_ok(EXAMPLE_14, CIFAR, backward={"loss": {"type": "CrossEntropyLoss"}, "target": [label]})
    assert body["loss"] == again["loss"] > 0
    assert [layer["grad"]["image_url"] for layer in body["layers"]][-1].endswith("/grads/9.png")
    assert client.get(body["input"]["grad"]["image_url"]).status_code == 200


def test_gradients_of_a_run_without_backward_are_404(client: TestClient, run_ok) -> None:
    body = run_ok(SMALL, TENSOR)
    for url in (f"/api/runs/{body['run_id']}/grads/1.png", f"/api/runs/{body['run_id']}/stages/1/grads.npy"):
        r = client.get(url)
        assert r.status_code == 404 and "without backward" in r.json()["detail"]
    with_grads = run_ok(SMALL, TENSOR, backward={"output": [0, 1]})
    r = client.get(f"/api/runs/{with_grads['run_id']}/stages/2/param_grads/weight.npy")
    assert r.status_code == 404 and "ReLU" in r.json()["detail"]


@pytest.mark.parametrize(
    ("layers", "input", "backward", "loc", "words"),
    [
        ([{"type": "Conv2d", "out_channels": 10, "kernel_size": 3}], CIFAR, LABEL, ["target"], "Add Flatten and Linear"),
        (SMALL, TENSOR, {"loss": {"type": "CrossEntropyLoss"}, "target": [3]}, ["target"], "class index 3 is outside 0…2"),
        (SMALL, TENSOR, {"loss": {"type": "MSELoss"}, "target": [1.0, 2.0]}, ["target"], "shape [1, 3]"),
        (SMALL, TENSOR, {"output": [0, 3]}, ["output"], "outside 0…2"),
        (SMALL, TENSOR, LABEL, ["target"], "CIFAR-10"),
    ],
)
def test_a_backward_that_does_not_fit_is_a_422_naming_what_to_change(
    client: TestClient, layers: list, input: dict, backward: dict, loc: list, words: str
) -> None:
    r = client.post("/api/pipeline/run", json={"input": input, "layers": layers, "backward": backward})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "backward", *loc] and words in detail["msg"], detail


@pytest.mark.parametrize(
    "backward",
    [{"loss": {"type": "HingeLoss"}, "target": [1]}, {"loss": {"type": "MSELoss", "beta": 1.0}, "target": [1.0]}, {"output": "all"}, {}],
)
def test_a_malformed_backward_is_a_validation_422(client: TestClient, backward: Any) -> None:
    r = client.post("/api/pipeline/run", json={"input": TENSOR, "layers": SMALL, "backward": backward})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][:2] == ["body", "backward"]


def test_gradient_maps_drawn_alongside_a_run_are_the_maps_drawn_when_asked(settings, monkeypatch) -> None:
    """draw_maps=true starts every gradient map before the answer is written (each drawn once, none after the
    answer), and a map asked for is that drawing: the same PNG a run without draw_maps draws when asked. The
    stages' own maps (the Forward view's) are queued behind the gradients' (the Backward view's), each once."""
    from app.main import create_app

    import app.runs.maps as maps_module

    drawn: list[str] = []  # the thread each gradient map was drawn on
    started: list[tuple[str, int]] = []  # (what, stage) of every map drawn, in the order the drawing started
    real = maps_module._render_stage

    def render(result, k, query):
        started.append((query.of.value, k))
        if query.of is maps_module.MapOf.GRAD:
            drawn.append(threading.current_thread().name.split("_")[0])
        return real(result, k, query)

    monkeypatch.setattr(maps_module, "_render_stage", render)
    body = {"input": CIFAR, "layers": [*SMALL[:-1], {"type": "Linear", "out_features": 10}], "seed": 3, "backward": LABEL}
    view = {"colormap": "auto", "normalize": "per_channel"}
    pngs = {}
    for draw_maps in (True, False):
        with TestClient(create_app(settings.model_copy(update={"data_dir": settings.data_dir / str(draw_maps)}))) as client:
            drawn.clear()
            started.clear()
            answer = client.post("/api/pipeline/run", params={"draw_maps": str(draw_maps).lower(), **view}, json=body).json()
            urls = [answer["input"]["grad"]["image_url"]] + [layer["grad"]["image_url"] for layer in answer["layers"]]
            pngs[draw_maps] = [client.get(u, params=view) for u in urls]
            assert all(r.status_code == 200 and r.headers["content-type"] == "image/png" for r in pngs[draw_maps])
            # every gradient map once: on the drawing threads alongside the run, or on the server's thread pool when asked for
            assert len(drawn) == len(urls) and {n.startswith("layerlab-maps") for n in drawn} == {draw_maps}, drawn
            if draw_maps:  # then every stage map once, none started before the gradients' (two threads: the last two may swap)
                for url in [answer["input"]["image_url"]] + [layer["image_url"] for layer in answer["layers"]]:
                    assert client.get(url, params=view).status_code == 200  # each waits for its drawing
                assert sorted(started) == sorted([("grad", k) for k in range(len(urls))] + [("output", k) for k in range(len(urls))])
                assert {what for what, _ in started[: len(urls) - 1]} == {"grad"}, started
    assert [r.content for r in pngs[True]] == [r.content for r in pngs[False]]
