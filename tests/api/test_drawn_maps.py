"""A map already drawn is answered before routing (app/api/drawn_maps.py): the route's bytes and headers, the
query read as the route reads it, and everything else left to the route."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.api.limits import ComputeGate
from app.render import Colormap, Normalize
from app.runs.maps import MapOf, MapQuery

CIFAR = {"source": "cifar10", "split": "test", "index": 3}
LAYERS = [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "ReLU"}, {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]
LABEL = {"loss": {"type": "CrossEntropyLoss"}, "target": "label"}
VIEW = {"colormap": "auto", "normalize": "per_channel"}


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths that reached the compute gate (every map request that the route answers does)."""
    seen: list[str] = []
    real = ComputeGate.__call__

    async def spy(self, scope, receive, send):
        if scope["type"] == "http":
            seen.append(scope["path"])
        await real(self, scope, receive, send)

    monkeypatch.setattr(ComputeGate, "__call__", spy)
    return seen


def _run(client: TestClient, draw_maps: bool, seed: int = 1) -> dict:
    params = {"draw_maps": "true", **VIEW} if draw_maps else {}
    r = client.post("/api/pipeline/run", params=params, json={"input": CIFAR, "layers": LAYERS, "seed": seed, "backward": LABEL})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_drawn_map_is_the_routes_png_with_its_headers_and_never_reaches_the_gate(client: TestClient, gated: list[str]) -> None:
    answer = _run(client, draw_maps=True)
    run_id, maps = answer["run_id"], client.app.state.maps
    for of, urls in ((MapOf.GRAD, [answer["input"]["grad"]["image_url"]] + [s["grad"]["image_url"] for s in answer["layers"]]),
                     (MapOf.OUTPUT, [answer["input"]["image_url"]] + [s["image_url"] for s in answer["layers"]])):
        for k, url in enumerate(urls):
            client.get(url, params=VIEW)  # drawn alongside the run, or waited for: drawn from now on
            gated.clear()
            r = client.get(url, params={**VIEW, "v": "2"})  # a parameter the route does not know is ignored, as there
            assert r.status_code == 200 and gated == [], (url, gated)
            assert r.content == maps.png(run_id, k, MapQuery(Colormap.AUTO, Normalize.PER_CHANNEL, of=of))
            assert r.headers["content-type"] == "image/png" and r.headers["cache-control"] == "public, max-age=86400, immutable"
            assert "server-timing" in r.headers and r.headers["x-content-type-options"] == "nosniff"  # the outer middlewares' too


def test_the_query_is_read_as_the_route_reads_it(client: TestClient, gated: list[str]) -> None:
    url = _run(client, draw_maps=False)["layers"][0]["grad"]["image_url"]
    shared = client.get(url, params={"normalize": "shared", "tile": "160"})  # drawn by the route
    assert shared.status_code == 200 and gated
    gated.clear()
    assert client.get(url, params={"tile": "160", "normalize": "shared"}).content == shared.content and gated == []
    assert client.get(url, params=VIEW).content != shared.content and gated  # another query: not that picture; drawn by the route
    gated.clear()
    assert client.get(url, params=[("tile", "96"), ("tile", "160"), ("normalize", "shared")]).content == shared.content  # the last one
    assert gated == []


@pytest.mark.parametrize("query", [{"tile": "5"}, {"colormap": "rainbow"}, {"sample": "-1"}, {"sample": "7"}])
def test_a_query_the_route_refuses_is_refused_by_the_route_even_for_a_drawn_map(client: TestClient, query: dict) -> None:
    answer = _run(client, draw_maps=True)
    url = answer["layers"][0]["grad"]["image_url"]
    assert client.get(url, params=VIEW).status_code == 200  # drawn
    r = client.get(url, params={**VIEW, **query})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][:2] == ["query", next(iter(query))]


def test_what_is_not_drawn_goes_to_the_route(client: TestClient, gated: list[str]) -> None:
    answer = _run(client, draw_maps=False)
    gated.clear()
    missing = f"/api/runs/{'0' * 32}/maps/1.png"
    assert client.get(missing).status_code == 404 and gated == [missing]
    beyond = answer["layers"][-1]["image_url"].replace("/maps/4.png", "/maps/9.png")
    assert client.get(beyond).status_code == 404
    plain = _run(client, draw_maps=False, seed=2)  # no backward maps drawn yet: the route draws, then the fast path answers
    gated.clear()
    first = client.get(plain["layers"][1]["grad"]["image_url"])
    assert first.status_code == 200 and len(gated) == 1
    assert client.get(plain["layers"][1]["grad"]["image_url"]).content == first.content and len(gated) == 1
