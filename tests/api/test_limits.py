"""No single request exhausts the server: body size, curve points, a bounded compute gate, rate limits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse

from app.api.limits import ComputeGate
from app.api.main import compute_paths
from app.api.ratelimit import TokenBuckets
from app.main import create_app
from app.settings import Settings
from tests.imagegen import encode, gradient

TENSOR_RUN = {"input": {"source": "tensor", "data": [[1, 2], [3, 4]]}, "layers": [{"type": "ReLU"}]}


def make_client(tmp_path: Path, **limits) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path / "data", **limits)))


def test_a_body_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    with make_client(tmp_path, max_body_bytes=1000) as c:
        r = c.post("/api/pipeline/run", content=b"{" + b" " * 2000 + b"}", headers={"content-type": "application/json"})
        assert r.status_code == 413 and "LAYERLAB_MAX_BODY_BYTES" in r.json()["detail"]
        assert c.post("/api/pipeline/run", json=TENSOR_RUN).status_code == 200


def test_a_streamed_body_without_length_is_cut_off_at_the_limit(tmp_path: Path) -> None:
    def chunks():
        for _ in range(10):
            yield b" " * 500

    with make_client(tmp_path, max_body_bytes=1000) as c:
        r = c.post("/api/pipeline/run", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413 and "1,000 bytes" in r.json()["detail"]


def test_curve_points_are_limited_by_the_setting(tmp_path: Path) -> None:
    with make_client(tmp_path, max_curve_points=100) as c:
        assert c.get("/api/activations/ReLU/curve", params={"points": 100}).status_code == 200
        r = c.get("/api/activations/ReLU/curve", params={"points": 101})
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["query", "points"] and "LAYERLAB_MAX_CURVE_POINTS" in r.json()["detail"][0]["msg"]


class SlowApp:
    """Stands in for a compute endpoint: answers once ``release`` is set; counts what runs at once."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.running = self.most_running = self.finished = 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["path"] == "/healthz":
            await PlainTextResponse("ok")(scope, receive, send)
            return
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        await self.release.wait()
        self.running -= 1
        self.finished += 1
        await PlainTextResponse("done")(scope, receive, send)


def gate(app, tmp_path: Path, **limits) -> tuple[ComputeGate, httpx.AsyncClient]:
    the_gate = ComputeGate(app, Settings(data_dir=tmp_path, **limits), compute_paths())
    return the_gate, httpx.AsyncClient(transport=httpx.ASGITransport(the_gate), base_url="http://test")


async def until(fact, timeout: float = 5.0) -> None:
    """Wait (yielding to the other tasks) until ``fact()`` holds; fail after ``timeout`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not fact():
        assert loop.time() < deadline, "timed out waiting"
        await asyncio.sleep(0.001)


def test_a_saturated_gate_answers_503_with_retry_after_and_never_runs_more_than_its_workers(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = SlowApp()
        the_gate, client = gate(app, tmp_path, compute_workers=2, compute_queue=3)
        async with client as c:
            admitted = [asyncio.create_task(c.post("/api/pipeline/run")) for _ in range(5)]
            await until(lambda: the_gate.admitted == 5 and app.running == 2)
            refused = await c.get("/api/runs/x/maps/0.png")
            assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
            assert "LAYERLAB_COMPUTE_QUEUE" in refused.json()["detail"]
            assert (await c.get("/healthz")).status_code == 200  # not a compute endpoint: never gated
            app.release.set()
            assert [r.status_code for r in await asyncio.gather(*admitted)] == [200] * 5
            assert app.most_running == 2
            assert (await c.post("/api/losses/MSELoss")).status_code == 200  # room again

    asyncio.run(scenario())


def test_a_request_over_the_time_limit_is_answered_503_and_keeps_its_worker_until_done(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = SlowApp()
        the_gate, client = gate(app, tmp_path, compute_workers=1, compute_queue=1, request_timeout=0.2)
        async with client as c:
            slow = await c.post("/api/pipeline/run")
            assert slow.status_code == 503 and "LAYERLAB_REQUEST_TIMEOUT" in slow.json()["detail"]
            # the timed-out computation still holds the only worker: the next one waits, then times out too
            queued = await c.post("/api/pipeline/run")
            assert queued.status_code == 503 and app.most_running == 1
            app.release.set()
            await until(lambda: the_gate.admitted == 0)  # the timed-out computation finished and gave back its worker
            assert app.finished == 1  # the queued one never started
            assert (await c.post("/api/pipeline/run")).status_code == 200

    asyncio.run(scenario())


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(3, 60.0, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(20.0)  # one token per 20 s
    assert buckets.take("b") == 0.0  # per client
    now[0] = 20.0
    assert buckets.take("a") == 0.0 and buckets.take("a") > 0


def test_rate_limit_answers_429_with_retry_after_on_compute_only(tmp_path: Path) -> None:
    with make_client(tmp_path, rate_limit="2/minute") as c:
        assert [c.post("/api/pipeline/run", json=TENSOR_RUN).status_code for _ in range(2)] == [200, 200]
        r = c.get("/api/activations/ReLU/curve")
        assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 30
        assert "LAYERLAB_RATE_LIMIT" in r.json()["detail"]
        assert c.get("/api/layers").status_code == 200 and c.get("/").status_code == 200


def test_uploads_are_rate_limited_and_gated_like_runs(tmp_path: Path) -> None:
    picture = encode(gradient(8, 8), "PNG")
    with make_client(tmp_path, rate_limit="2/minute") as c:
        assert c.post("/api/pipeline/run", json=TENSOR_RUN).status_code == 200
        assert c.post("/api/uploads", files={"file": ("a.png", picture, "image/png")}).status_code == 200
        r = c.post("/api/uploads", files={"file": ("a.png", picture, "image/png")})
        assert r.status_code == 429 and "LAYERLAB_RATE_LIMIT" in r.json()["detail"]


def test_the_gated_routes_are_the_ones_documenting_the_gates_answers(client: TestClient) -> None:
    gate = ComputeGate(None, client.app.state.services.settings, compute_paths())  # type: ignore[arg-type]
    gated, documented = set(), set()
    for path, methods in client.get("/openapi.json").json()["paths"].items():
        concrete = path.replace("{run_id}", "0" * 64).replace("{k}", "1").replace("{type}", "ReLU").replace("{upload_id}", "a")
        concrete = concrete.replace("{job_id}", "j").replace("{split}", "test").replace("{index}", "0")
        if gate.gates(concrete):
            gated.add(path)
        if any("429" in op["responses"] and "503" in op["responses"] for op in methods.values()):
            documented.add(path)
    assert gated == documented
    assert {"/api/pipeline/run", "/api/uploads", "/api/activations/{type}/curve", "/api/runs/{run_id}/maps/{k}.png"} <= gated
    assert not {"/healthz", "/api/layers", "/api/jobs", "/api/datasets/cifar10"} & gated
