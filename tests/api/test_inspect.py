"""Inspecting a run through the API: arithmetic of an output, size formulas, values as .npy, the export, the favicon."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile

import numpy as np
import torch
from fastapi.testclient import TestClient
from PIL import Image

CIFAR = {"source": "cifar10", "split": "test", "index": 3}
PIPELINE = [
    {"type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1},
    {"type": "ReLU"},
    {"type": "MaxPool2d", "kernel_size": 2},
    {"type": "Conv2d", "out_channels": 32, "kernel_size": 3, "padding": 1},
]


def npy(client: TestClient, url: str) -> np.ndarray:
    r = client.get(url)
    assert r.status_code == 200, r.text
    return np.load(io.BytesIO(r.content), allow_pickle=False)


def test_the_seeds_conv_by_hand(client: TestClient, run_ok) -> None:
    """README's 5×5 example: output [0, 0, 1, 2] is the window at rows 1-3, cols 2-4 times the kernel."""
    data = [[1, 2, 0, 3, 1], [0, 1, 2, 3, 1], [1, 2, 1, 0, 0], [5, 2, 3, 1, 1], [2, 1, 0, 1, 1]]
    kernel = [[1, 2, 1], [0, 1, 0], [2, 1, 0]]
    answer = run_ok([{"type": "Conv2d", "out_channels": 1, "kernel_size": 3, "bias": False, "weight": [[kernel]]}],
                    {"source": "tensor", "data": data, "shape": [1, 1, 5, 5]})
    r = client.get(f"/api/runs/{answer['run_id']}/stages/1/arithmetic", params={"index": "0,0,1,2"})
    assert r.status_code == 200, r.text
    a = r.json()
    window = [[float(v) for v in row[2:5]] for row in data[1:4]]
    assert a["window"]["values"] == [window] and a["window"]["rows"] == [1, 2, 3] and a["window"]["cols"] == [2, 3, 4]
    assert a["kernel"] == [[[float(v) for v in row] for row in kernel]]
    assert a["products"] == [[[w * k for w, k in zip(wr, kr, strict=True)] for wr, kr in zip(window, kernel, strict=True)]]
    assert a["sum"] == a["result"] == a["output"] == answer["layers"][0]["values"][0][0][1][2] == 16
    assert a["bias"] is None and a["rule"] == "convolution"


def test_a_max_says_which_value_won_and_where(client: TestClient, run_ok) -> None:
    answer = run_ok(PIPELINE, CIFAR)
    relu = npy(client, f"/api/runs/{answer['run_id']}/stages/2/values.npy")
    a = client.get(f"/api/runs/{answer['run_id']}/stages/3/arithmetic", params={"index": "0,5,7,9"}).json()
    n, c, y, x = a["winner"]["index"]
    assert (n, c) == (0, 5) and 14 <= y <= 15 and 18 <= x <= 19
    assert a["winner"]["flat_index"] == y * 32 + x
    assert a["result"] == a["output"] == float(relu[n, c, y, x]) == float(relu[0, 5, 14:16, 18:20].max())


def test_an_index_that_does_not_fit_is_a_422_in_words(client: TestClient, run_ok) -> None:
    answer = run_ok(PIPELINE, CIFAR)
    url = f"/api/runs/{answer['run_id']}/stages/4/arithmetic"
    for index, words in (("0,0,16,0", "outside 0…15"), ("0,0,1", "needs 4 numbers"), ("a,b", "comma-separated")):
        r = client.get(url, params={"index": index})
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["query", "index"] and words in r.json()["detail"][0]["msg"]
    assert client.get(f"/api/runs/{answer['run_id']}/stages/5/arithmetic", params={"index": "0,0,0,0"}).status_code == 404
    assert client.get(f"/api/runs/{answer['run_id']}/stages/0/arithmetic", params={"index": "0,0,0,0"}).status_code == 422


def test_every_layer_explains_its_size_with_the_numbers_filled_in(run_ok) -> None:
    answer = run_ok(PIPELINE + [{"type": "MaxPool2d", "kernel_size": 3, "stride": 2, "ceil_mode": True}], CIFAR)
    formulas = [layer["size_formula"] for layer in answer["layers"]]
    assert formulas[0] == "H, W: ⌊(32 + 2·1 − 1·(3 − 1) − 1) / 1⌋ + 1 = 32; C_out = out_channels = 16"
    assert formulas[1] == "same shape as the input: 1×16×32×32"
    assert formulas[2] == "H, W: ⌊(32 + 2·0 − 1·(2 − 1) − 1) / 2⌋ + 1 = 16"
    assert formulas[4] == "H, W: ⌈(16 + 2·0 − 1·(3 − 1) − 1) / 2⌉ + 1 = 8 (ceil_mode=True)"
    assert answer["layers"][4]["output_shape"][-2:] == [8, 8]


def test_negative_padding_is_written_as_the_crop_it_is(run_ok) -> None:
    conv = {"type": "Conv2d", "out_channels": 2, "kernel_size": 3, "padding": -1, "padding_mode": "replicate"}
    answer = run_ok([conv], CIFAR)
    assert answer["layers"][0]["size_formula"] == "H, W: ⌊(32 + 2·(−1) − 1·(3 − 1) − 1) / 1⌋ + 1 = 28; C_out = out_channels = 2"
    assert answer["layers"][0]["output_shape"][-2:] == [28, 28]


def test_unpooling_an_odd_size_says_so_and_output_size_restores_it(client: TestClient, run_ok) -> None:
    odd = {"source": "tensor", "data": torch.rand(1, 1, 237, 358).tolist()}
    layers = [{"type": "MaxPool2d", "kernel_size": 2}, {"type": "MaxUnpool2d", "kernel_size": 2, "indices_from": 1}]
    answer = run_ok(layers, odd)
    unpool = answer["layers"][1]
    assert unpool["output_shape"] == [1, 1, 236, 358]
    assert any("not the 237×358" in n and "output_size [237, 358]" in n for n in unpool["notes"]), unpool["notes"]
    layers[1]["output_size"] = [237, 358]
    fixed = run_ok(layers, odd)["layers"][1]
    assert fixed["output_shape"] == [1, 1, 237, 358] and not fixed["notes"]
    assert fixed["size_formula"].startswith("H: output_size 237 (the formula gives (118 − 1)·2 − 2·0 + 2 = 236)")
    bad = client.post("/api/pipeline/run", json={"input": odd, "layers": [layers[0], {**layers[1], "output_size": [300, 358]}]})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][:3] == ["body", "layers", 1]


def test_output_size_is_in_the_code_and_the_code_gives_the_same_numbers(run_ok) -> None:
    layers = [{"type": "MaxPool2d", "kernel_size": 2}, {"type": "MaxUnpool2d", "kernel_size": 2, "indices_from": 1, "output_size": [5, 5]}]
    answer = run_ok(layers, {"source": "tensor", "data": torch.arange(25.0).reshape(1, 1, 5, 5).tolist()})
    assert "output_size=(5, 5)" in answer["code"]
    scope: dict = {}
    exec(answer["code"].replace("print(y.shape)", ""), scope)  # x comes from the code's own input line
    assert scope["y"].tolist() == answer["layers"][1]["values"]


def test_values_npy_has_every_value_of_a_stage_of_any_size(client: TestClient, run_ok) -> None:
    answer = run_ok(PIPELINE, {"source": "cifar10_batch", "split": "test", "start": 0, "count": 8})
    run_id = answer["run_id"]
    conv = npy(client, f"/api/runs/{run_id}/stages/1/values.npy")
    assert conv.dtype == np.float32 and list(conv.shape) == answer["layers"][0]["output_shape"] == [8, 16, 32, 32]
    assert answer["layers"][0]["values"] is None  # too many for JSON; the .npy has them all
    assert float(conv.min()) == answer["layers"][0]["stats"]["min"] and float(conv.max()) == answer["layers"][0]["stats"]["max"]
    image = npy(client, f"/api/runs/{run_id}/stages/0/values.npy")
    assert list(image.shape) == [8, 3, 32, 32] and 0 <= image.min() and image.max() <= 1
    relu = npy(client, f"/api/runs/{run_id}/stages/2/values.npy")
    assert np.array_equal(relu, np.maximum(conv, 0))
    assert client.get(f"/api/runs/{run_id}/stages/5/values.npy").status_code == 404
    assert client.get(f"/api/runs/{'0' * 32}/stages/1/values.npy").status_code == 404


def test_the_export_holds_request_code_trace_values_and_maps(client: TestClient, run_ok) -> None:
    answer = run_ok(PIPELINE, CIFAR)
    r = client.get(f"/api/runs/{answer['run_id']}/export.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert "attachment" in r.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    names = set(archive.namelist())
    stages = ["00_input", "01_Conv2d", "02_ReLU", "03_MaxPool2d", "04_Conv2d"]
    assert {f"values/{s}.npy" for s in stages} | {f"maps/{s}.png" for s in stages} <= names
    assert {"README.txt", "request.json", "pipeline.py", "trace.csv"} <= names
    request = json.loads(archive.read("request.json"))
    assert client.post("/api/pipeline/run", json=request).json()["run_id"] == answer["run_id"]
    assert archive.read("pipeline.py").decode() == answer["code"]
    rows = list(csv.DictReader(io.StringIO(archive.read("trace.csv").decode())))
    assert [row["type"] for row in rows] == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d"]
    assert rows[0]["output_shape"] == "1×16×32×32" and rows[0]["params"] == "448" and rows[0]["size_formula"].endswith("= 32; C_out = out_channels = 16")
    last = np.load(io.BytesIO(archive.read("values/04_Conv2d.npy")))
    assert np.array_equal(last, npy(client, f"/api/runs/{answer['run_id']}/stages/4/values.npy"))
    assert archive.read("maps/01_Conv2d.png") == client.get(answer["layers"][0]["image_url"]).content
    assert Image.open(io.BytesIO(archive.read("maps/00_input.png"))).size[0] > 0


def test_the_favicon_is_served_and_linked(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml") and b"<svg" in icon.content
    assert client.get("/static/favicon.svg").content == icon.content
    for page in ("/", "/activations"):
        assert '<link rel="icon" href="/static/favicon.svg"' in client.get(page).text


def test_the_colormaps_are_the_maps_own(client: TestClient, run_ok) -> None:
    """The page colours values.npy itself; its colours must be the PNG palette's."""
    cmaps = client.get("/api/colormaps").json()
    assert set(cmaps) == {"viridis", "diverging"} and len(cmaps["viridis"]) == 255
    assert cmaps["viridis"][0] == "#440154" and cmaps["viridis"][-1] == "#fde725"
    answer = run_ok([{"type": "ReLU"}], {"source": "tensor", "data": [[0.0, 1.0]], "shape": [1, 1, 1, 2]})
    png = Image.open(io.BytesIO(client.get(answer["layers"][0]["image_url"], params={"colormap": "viridis"}).content)).convert("RGB")
    lowest, highest = png.getpixel((0, png.height // 2)), png.getpixel((png.width - 1, png.height // 2))
    assert "#%02x%02x%02x" % lowest == cmaps["viridis"][0] and "#%02x%02x%02x" % highest == cmaps["viridis"][-1]


def test_a_run_can_have_its_maps_drawn_ahead_once(client: TestClient, monkeypatch) -> None:
    """draw_maps=true: every stage is drawn right after the answer, and a page asking for the maps gets those."""
    import app.runs.maps as maps_module

    drawn: list[tuple[int, ...]] = []
    real = maps_module.draw_stage
    monkeypatch.setattr(maps_module, "draw_stage", lambda t, **kw: drawn.append(tuple(t.shape)) or real(t, **kw))
    body = {"input": CIFAR, "layers": PIPELINE}
    answer = client.post("/api/pipeline/run", params={"draw_maps": "true", "colormap": "viridis"}, json=body).json()
    # The input and four layers, drawn on the drawing threads alongside the run: the last may still be
    # drawing when the answer arrives (nothing waits for it), so the count is awaited, then must stay.
    deadline = time.monotonic() + 10
    while len(drawn) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(drawn) == 5
    pngs = [client.get(u, params={"colormap": "viridis", "normalize": "per_channel"}) for u in
            [answer["input"]["image_url"]] + [layer["image_url"] for layer in answer["layers"]]]
    assert all(r.status_code == 200 for r in pngs) and len(drawn) == 5  # served from what was drawn ahead
    client.get(answer["layers"][0]["image_url"], params={"colormap": "grey"})
    assert len(drawn) == 6  # another view is drawn when asked for


def test_maps_drawn_alongside_a_run_too_large_to_keep_are_served_without_computing_it_again(settings, monkeypatch) -> None:
    """draw_maps=true draws each stage as the run computes it: the same PNGs as drawn afterwards, and a run
    the run cache cannot hold is not computed again for each of its maps."""
    from app.main import create_app
    from app.runs.store import RunStore

    computed: list[str] = []
    real = RunStore.compute
    monkeypatch.setattr(RunStore, "compute", lambda self, run_id, *a, **kw: computed.append(run_id) or real(self, run_id, *a, **kw))
    body = {"input": CIFAR, "layers": PIPELINE, "seed": 5}
    pngs = {}
    for draw_maps, cache_bytes in ((True, 1), (False, 256 * 2**20)):
        with TestClient(create_app(settings.model_copy(update={"run_cache_bytes": cache_bytes, "data_dir": settings.data_dir / str(draw_maps)}))) as client:
            computed.clear()
            answer = client.post("/api/pipeline/run", params={"draw_maps": str(draw_maps).lower()}, json=body).json()
            urls = [answer["input"]["image_url"]] + [layer["image_url"] for layer in answer["layers"]]
            pngs[draw_maps] = [client.get(u).content for u in urls]
            assert computed == [answer["run_id"]]  # once, for the answer; the maps came from what was drawn alongside
            assert client.get(answer["layers"][0]["image_url"], params={"colormap": "grey"}).status_code == 200
            assert len(computed) == (2 if draw_maps else 1)  # another view needs the run's tensors: computed again when not kept
    assert pngs[True] == pngs[False]
