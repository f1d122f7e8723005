"""Stage maps through the API: EXAMPLES.md 9-12, weights, indices, eviction, bad ids and queries."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.main import create_app
from app.settings import Settings
from tests.imagegen import encode


def run(client: TestClient, layers: list[dict], input: dict) -> dict:
    r = client.post("/api/pipeline/run", json={"input": input, "layers": layers})
    assert r.status_code == 200, r.text
    return r.json()


def png(client: TestClient, url: str, **params) -> Image.Image:
    r = client.get(url, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    im = Image.open(io.BytesIO(r.content))
    im.load()
    return im


def all_maps(client: TestClient, answer: dict) -> list[Image.Image]:
    urls = [answer["input"]["image_url"]] + [layer["image_url"] for layer in answer["layers"]]
    return [png(client, u) for u in urls]


BATCH64 = {"source": "cifar10_batch", "split": "test", "start": 0, "count": 64}


def test_example_9_sigmoid_and_relu_on_a_batch_of_64(client: TestClient) -> None:
    sig = run(client, [{"type": "Sigmoid"}], BATCH64)
    relu = run(client, [{"type": "ReLU"}], BATCH64)
    assert sig["layers"][0]["output_shape"] == relu["layers"][0]["output_shape"] == [64, 3, 32, 32]
    before, after_sig = all_maps(client, sig)
    _, after_relu = all_maps(client, relu)
    assert before.mode == "RGB" and before.size == after_sig.size  # an 8x8 grid of pictures
    assert before.width > 8 * 32
    # ReLU leaves [0, 1] images unchanged, and the picture shows it; Sigmoid washes them out.
    assert np.array_equal(np.asarray(before), np.asarray(after_relu))
    assert np.asarray(after_sig).std() < np.asarray(before).std()


def test_example_10_conv_on_a_batch_of_16(client: TestClient) -> None:
    answer = run(client, [{"type": "Conv2d", "out_channels": 6, "kernel_size": 3, "stride": 1, "padding": 1}], {**BATCH64, "count": 16})
    assert answer["input"]["shape"] == [16, 3, 32, 32]
    assert answer["layers"][0]["output_shape"] == [16, 6, 32, 32]
    maps = all_maps(client, answer)
    per_item = [png(client, answer["layers"][0]["image_url"], sample=i) for i in (0, 15)]
    assert per_item[0].size == maps[1].size  # six channel maps of one image, 3 x 2
    assert per_item[0].width > 96 * 3 and per_item[0].height > 96 * 2
    assert not np.array_equal(np.asarray(per_item[0]), np.asarray(per_item[1]))
    weights = png(client, f"/api/runs/{answer['run_id']}/weights/1.png")
    assert weights.mode == "P" and weights.height > weights.width  # 6 rows x 3 columns of kernels, palette colours


def test_example_11_maxpool_ceil_mode(client: TestClient) -> None:
    answer = run(client, [{"type": "MaxPool2d", "kernel_size": 3, "ceil_mode": True}], {"source": "cifar10", "split": "test", "index": 0})
    assert answer["layers"][0]["output_shape"] == [1, 3, 11, 11]
    _, pooled = all_maps(client, answer)
    assert min(pooled.size) >= 96  # an 11x11 picture is enlarged to stay visible


def test_example_12_upload_max_vs_avg_pool(client: TestClient) -> None:
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 256, (512, 512, 3), dtype=np.uint8))
    upload_id = client.post("/api/uploads", files={"file": ("p.jpg", encode(photo, "JPEG"), "image/jpeg")}).json()["upload_id"]
    source = {"source": "upload", "upload_id": upload_id}
    mx = run(client, [{"type": "MaxPool2d", "kernel_size": 2, "stride": 2}], source)
    avg = run(client, [{"type": "AvgPool2d", "kernel_size": 2, "stride": 2}], source)
    assert mx["input"]["shape"] == [1, 3, 512, 512]
    assert mx["layers"][0]["output_shape"] == avg["layers"][0]["output_shape"] == [1, 3, 256, 256]
    assert mx["layers"][0]["stats"]["mean"] > avg["layers"][0]["stats"]["mean"]
    _, max_png = all_maps(client, mx)
    _, avg_png = all_maps(client, avg)
    assert max_png.size == (256, 256)
    assert np.asarray(max_png).mean() > np.asarray(avg_png).mean()  # brighter on screen too


def test_every_stage_kind_draws(client: TestClient) -> None:
    layers = [
        {"type": "Conv2d", "out_channels": 4, "kernel_size": 3},
        {"type": "Tanh"},
        {"type": "MaxPool2d", "kernel_size": 2, "return_indices": True},
        {"type": "MaxUnpool2d", "kernel_size": 2, "indices_from": 3},
        {"type": "Flatten"},
        {"type": "Linear", "out_features": 10},
        {"type": "Flatten", "start_dim": 0},
    ]
    answer = run(client, layers, {**BATCH64, "count": 2})
    for im in all_maps(client, answer):
        assert min(im.size) >= 16
    rid = answer["run_id"]
    for colormap in ("grey", "viridis", "diverging", "auto"):
        for normalize in ("per_channel", "shared"):
            png(client, f"/api/runs/{rid}/maps/2.png", colormap=colormap, normalize=normalize, sample=1)
    assert png(client, f"/api/runs/{rid}/indices/3.png").mode == "L"
    assert png(client, f"/api/runs/{rid}/maps/2.png", tile=128).size == png(client, f"/api/runs/{rid}/maps/2.png").size  # 30x30 maps: enlarged, not capped
    png(client, f"/api/runs/{rid}/weights/6.png")  # Linear weight as a heat block


def test_tensor_5x5_map_is_enlarged(client: TestClient) -> None:
    answer = run(client, [], {"source": "tensor", "data": list(range(25)), "shape": [1, 1, 5, 5]})
    im = png(client, answer["input"]["image_url"])
    assert min(im.size) >= 96
    cells = np.asarray(im.convert("L"))
    assert len(np.unique(cells)) == 25  # every value its own colour, nearest-neighbour blocks


def test_evicted_run_is_recomputed(tmp_path: Path) -> None:
    # A one-byte map cache: every map below is drawn from the run, not served as kept PNG bytes.
    settings = Settings(data_dir=tmp_path / "data", cifar10_dir=None, run_cache_bytes=200_000, map_cache_bytes=1)
    with TestClient(create_app(settings)) as client:
        first = run(client, [{"type": "ReLU"}], {**BATCH64, "count": 8})
        before = client.get(first["layers"][0]["image_url"]).content
        for i in range(4):  # push the first run out of the tiny cache
            run(client, [{"type": "ReLU"}], {**BATCH64, "start": 8 * (i + 1), "count": 8})
        assert first["run_id"] not in client.app.state.runs._cache
        assert client.get(first["layers"][0]["image_url"]).content == before
    with TestClient(create_app(settings)) as client:  # another process: recomputed from the stored request
        assert client.get(first["layers"][0]["image_url"]).content == before


def test_a_map_is_drawn_once_and_the_input_once_per_input(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.runs.maps as maps_module

    drawn: list[tuple[int, ...]] = []
    real = maps_module.draw_stage

    def counting(t, **kwargs):
        drawn.append(tuple(t.shape))
        return real(t, **kwargs)

    monkeypatch.setattr(maps_module, "draw_stage", counting)
    a = run(client, [{"type": "ReLU"}], {**BATCH64, "count": 4})
    b = run(client, [{"type": "Sigmoid"}], {**BATCH64, "count": 4})  # same input, other layers: a new run
    assert a["run_id"] != b["run_id"] and a["input"]["image_url"] != b["input"]["image_url"]
    first = client.get(a["input"]["image_url"]).content
    assert client.get(b["input"]["image_url"]).content == first
    client.get(a["layers"][0]["image_url"])
    client.get(a["layers"][0]["image_url"])
    assert drawn == [(4, 3, 32, 32), (4, 3, 32, 32)]  # one input map, one ReLU map
    client.get(a["layers"][0]["image_url"], params={"colormap": "grey"})  # another query: drawn again
    assert len(drawn) == 3


@pytest.fixture
def small_run(client: TestClient) -> str:
    answer = run(client, [{"type": "Conv2d", "out_channels": 2, "kernel_size": 3}, {"type": "ReLU"}], {**BATCH64, "count": 2})
    return answer["run_id"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/runs/{rid}/maps/3.png", 404),
        ("/api/runs/{rid}/maps/-1.png", 422),
        ("/api/runs/{rid}/maps/x.png", 422),
        ("/api/runs/{rid}/maps/1.png?colormap=jet", 422),
        ("/api/runs/{rid}/maps/1.png?normalize=global", 422),
        ("/api/runs/{rid}/maps/1.png?sample=2", 422),
        ("/api/runs/{rid}/maps/1.png?sample=-1", 422),
        ("/api/runs/{rid}/maps/1.png?tile=5000", 422),
        ("/api/runs/{rid}/maps/3/layout", 404),
        ("/api/runs/{rid}/maps/1/layout?sample=2", 422),
        ("/api/runs/{rid}/maps/1/layout?colormap=jet", 422),
        ("/api/runs/{rid}/weights/0.png", 422),
        ("/api/runs/{rid}/weights/2.png", 404),
        ("/api/runs/{rid}/weights/3.png", 404),
        ("/api/runs/{rid}/indices/1.png", 404),
        ("/api/runs/0123456789abcdef0123456789abcdef/maps/0.png", 404),
        ("/api/runs/..%2F..%2Fetc/maps/0.png", 404),
        ("/api/runs/nothex/maps/0.png", 404),
        ("/api/runs/0123456789abcdef0123456789abcdef/trace.txt", 404),
        ("/api/runs/nothex/trace.txt", 404),
    ],
)
def test_bad_requests(client: TestClient, small_run: str, path: str, status: int) -> None:
    assert client.get(path.format(rid=small_run)).status_code == status


def test_layout_says_where_each_value_is_drawn(client: TestClient) -> None:
    """Each stage's layout matches its PNG, and a value found through it has the colour its number says."""
    x = [[float((r * 7 + c * 3) % 11) for c in range(6)] for r in range(6)]
    layers = [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "MaxPool2d", "kernel_size": 2}, {"type": "Flatten"}]
    answer = run(client, layers, {"source": "tensor", "data": x, "shape": [1, 1, 6, 6]})
    stages = [answer["input"]] + answer["layers"]
    for k, st in enumerate(stages):
        query = {"colormap": "grey", "normalize": "shared"}
        r = client.get(f"/api/runs/{answer['run_id']}/maps/{k}/layout", params=query)
        assert r.status_code == 200, r.text
        assert "immutable" in r.headers["cache-control"]
        layout = r.json()
        im = png(client, st["image_url"], **query)
        assert (layout["width"], layout["height"]) == im.size
        shape = st.get("output_shape", st.get("shape"))
        if len(shape) == 4:
            assert layout["kind"] == "channels" and layout["count"] == shape[1] and [layout["cell_rows"], layout["cell_cols"]] == shape[2:]
            values = np.array(st["values"])[0]  # (C, H, W)
            cells = [(c, i, j) for c in range(shape[1]) for i in range(shape[2]) for j in range(shape[3])]
        else:
            assert layout["kind"] == "rows" and layout["features"] == shape[1]
            values = np.array(st["values"])[0]  # (F,)
            cells = [(0, *divmod(f, layout["cell_cols"])) for f in range(shape[1])]
        lo, hi = values.min(), values.max()
        pixels = np.asarray(im.convert("L"))
        for tile, i, j in cells:
            x0 = layout["pad"] + (tile % layout["columns"]) * (layout["tile_width"] + layout["pad"])
            y0 = layout["pad"] + (tile // layout["columns"]) * (layout["tile_height"] + layout["pad"])
            px = x0 + int((j + 0.5) * layout["tile_width"] / layout["cell_cols"])
            py = y0 + int((i + 0.5) * layout["tile_height"] / layout["cell_rows"])
            value = values[tile, i, j] if len(shape) == 4 else values[i * layout["cell_cols"] + j]
            assert abs(int(pixels[py, px]) - round(255 * (value - lo) / (hi - lo))) <= 1, (k, tile, i, j)
