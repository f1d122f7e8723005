"""What a network of one's own costs in layerlab, against torch alone. Issue 18's speed targets.

    python bench/models_bench.py [rounds, default 20]

(a) Import + first run. Each round a different example 14 (EXAMPLES.md; 145,578 parameters, torch's
    init under the round's seed, so every import is a new model) saved as ``.safetensors`` beside
    the bench. torch alone: ``load_file`` + build the ``nn.Sequential`` + ``load_state_dict`` + the
    forward pass on one CIFAR-10 test image. layerlab: ``POST /api/models`` (the file and the text of
    ``print(model)``) then ``POST /api/pipeline/run`` with ``weights_from`` on that image, until the
    answer is parsed (by orjson, as quick as a browser's ``JSON.parse``: the standard library's
    ``json`` took ~10 ms of it, longer than torch's whole work). Twice: through the real app in-process
    (Starlette's TestClient: routing, multipart, validation, JSON, no socket), and against a real server
    (``python -m app``, as the acceptance side starts it: uvicorn, httpx over loopback). Target: ≤ 3x torch.
(b) A run with ``weights_from`` a model against the same run with its weights already in memory: the
    same ``RunStore.run`` (pin, validate, build, load, forward, code, persist), once with the real
    weights home (model on disk, loaded tensors in its LRU) and once with a home that hands over
    tensors held in memory. A new seed each round, so the run cache never answers. Target ≤ 1.2x.
(c) The floor under (a): the same two requests, the same bytes up and the same answers down, parsed the
    same way, answered by a FastAPI app that does no work at all (:func:`floor_app`: it reads the form
    and the body and sends back what layerlab answered for an earlier import). In-process and as a real
    server (uvicorn, the same client). What (c) costs of the 3x is out of reach of anything layerlab does;
    the rest is all there is for reading, checking, storing and running the network, its statistics and
    its exact values.

Every pair is measured side by side, alternating within each round (the order rotates each round);
the median of the per-round ratios is reported, with the medians of the times and the load average
(other work on a shared machine takes cores too).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import httpx
import orjson
import safetensors.torch
import torch
from fastapi import FastAPI, Form, Response, UploadFile
from fastapi.testclient import TestClient
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.main import create_app  # noqa: E402
from app.models.home import ResolvedWeights, WeightsHome  # noqa: E402
from app.models.sources import ModelWeights  # noqa: E402
from app.runs import RunRequest  # noqa: E402
from app.settings import Settings  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

IMAGE = {"source": "cifar10", "split": "test", "index": 7}


def example14(seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10),
    )


def torch_alone(path: Path, x: torch.Tensor) -> torch.Tensor:
    state = safetensors.torch.load_file(path)
    model = example14(0)
    model.load_state_dict(state)
    model.eval()
    with torch.no_grad():
        return model(x)


def layerlab(client: TestClient, path: Path, architecture: str) -> list[list[float]]:
    files = {"weights": (path.name, path.read_bytes())}
    imported = client.post("/api/models", data={"architecture": architecture}, files=files)
    assert imported.status_code == 201, imported.text
    run = client.post("/api/pipeline/run", json={"input": IMAGE, "weights_from": {"model_id": imported.json()["model_id"]}})
    assert run.status_code == 200, run.text
    return orjson.loads(run.content)["layers"][-1]["values"]  # as fast as a browser's JSON.parse; json.loads took ~10 ms


class InMemory(WeightsHome):
    """The weights handed over as they are: no store, no file, no cache lookup."""

    def __init__(self, resolved: ResolvedWeights) -> None:
        self.resolved = resolved

    def pin(self, source: Any) -> Any:
        return source

    def layers(self, source: Any) -> list[dict[str, Any]]:
        return self.resolved.layers

    def resolve(self, source: Any) -> ResolvedWeights:
        return self.resolved


def timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def floor_app(imported: bytes, answer: bytes) -> FastAPI:
    """(c): the routes of (a), reading what layerlab reads (the multipart form, the JSON body) and sending
    back the bytes layerlab answered, with nothing in between."""
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/models", status_code=201)
    def import_nothing(architecture: Annotated[str, Form()], weights: UploadFile) -> Response:
        weights.file.read()
        return Response(imported, status_code=201, media_type="application/json")

    @app.post("/api/pipeline/run")
    def run_nothing(body: dict[str, Any]) -> Response:
        return Response(answer, media_type="application/json")

    return app


def floor_from_env() -> FastAPI:
    """:func:`floor_app` for ``uvicorn --factory`` (the live floor), its answers read from the files named."""
    return floor_app(Path(os.environ["FLOOR_IMPORTED"]).read_bytes(), Path(os.environ["FLOOR_ANSWER"]).read_bytes())


def floor_server(folder: Path, imported: bytes, answer: bytes) -> LiveServer:
    """The floor app as a real server, under uvicorn as ``python -m app`` serves layerlab (httptools and
    uvloop when present), started and stopped by the same harness."""
    (folder / "imported.json").write_bytes(imported)
    (folder / "answer.json").write_bytes(answer)
    serve = ("-m", "uvicorn", "models_bench:floor_from_env", "--factory", "--app-dir", str(Path(__file__).parent))
    return LiveServer(folder / "floor-data", serve=serve, FLOOR_IMPORTED=str(folder / "imported.json"), FLOOR_ANSWER=str(folder / "answer.json"))


def canned_answers(client: TestClient, folder: Path) -> tuple[bytes, bytes]:
    """What layerlab answers an import of example 14 and its first run: the floor sends these back."""
    path = folder / "canned.safetensors"
    safetensors.torch.save_file(example14(999).state_dict(), path)
    imported = client.post("/api/models", data={"architecture": str(example14(0))}, files={"weights": (path.name, path.read_bytes())})
    run = client.post("/api/pipeline/run", json={"input": IMAGE, "weights_from": {"model_id": imported.json()["model_id"]}})
    assert imported.status_code == 201 and run.status_code == 200, (imported.text, run.text)
    return imported.content, run.content


def against_torch(clients: dict[str, Any], folder: Path, x: torch.Tensor, rounds: int) -> dict[str, list[float]]:
    """Each round a new example 14, imported and run by every client and loaded and run by torch alone, in
    an order that rotates each round. A floor's answer is canned, so only layerlab's is checked against torch."""
    architecture = str(example14(0))
    times: dict[str, list[float]] = {name: [] for name in [*clients, "torch"]}
    for i in range(rounds + 1):  # round 0 warms everything up and is not counted
        path = folder / f"round-{i}.safetensors"
        safetensors.torch.save_file(example14(1000 + i).state_dict(), path)
        steps: list[tuple[str, Callable[[], Any]]] = [(name, partial(layerlab, client, path, architecture)) for name, client in clients.items()]
        steps.append(("torch", partial(torch_alone, path, x)))
        k = i % len(steps)
        results = {name: timed(fn) for name, fn in steps[k:] + steps[:k]}
        for name in clients:
            if not name.startswith("floor"):
                assert torch.allclose(torch.tensor(results[name][1]), results["torch"][1], atol=1e-5), f"{name} and torch disagree"
        if i:
            for name, (elapsed, _) in results.items():
                times[name].append(elapsed)
    return times


def stored_vs_in_memory(client: TestClient, rounds: int) -> tuple[list[float], list[float]]:
    app = client.app
    home: WeightsHome = app.state.models  # type: ignore[attr-defined]
    runs = app.state.runs  # type: ignore[attr-defined]
    model_id = home.models.list()[-1].model_id
    source = ModelWeights(model_id=model_id)
    resolved = home.resolve(source)
    memory = InMemory(ResolvedWeights(source, resolved.layers, {k: v.clone() for k, v in resolved.state_dict.items()},
                                      resolved.file_name, resolved.url))
    stored_times, memory_times = [], []
    for i in range(rounds + 1):
        request = RunRequest.model_validate({"input": IMAGE, "weights_from": {"model_id": model_id}, "seed": 10_000 + i})
        results = {}
        pairs = [("stored", home), ("memory", memory)]
        for name, weights in pairs if i % 2 else reversed(pairs):
            runs.weights = weights
            results[name] = timed(runs.run, request.model_copy(update={"seed": request.seed + (name == "memory") * 100_000}))
        runs.weights = home
        assert results["stored"][1].trace.output.tolist() == results["memory"][1].trace.output.tolist()
        if i:
            stored_times.append(results["stored"][0])
            memory_times.append(results["memory"][0])
    return stored_times, memory_times


def _ms(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:.1f} ms"


def _ratio(times: dict[str, list[float]], name: str) -> str:
    ratio = statistics.median(o / t for o, t in zip(times[name], times["torch"], strict=True))
    return f"{_ms(times[name])} = {ratio:.2f}x torch"


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = Settings(data_dir=folder / "data", cifar10_dir=None)
        with TestClient(create_app(settings)) as client:
            x = client.app.state.services.cifar10.images("test", 7, 1).float() / 255  # type: ignore[attr-defined]
            imported, answer = canned_answers(client, folder)
            with (
                TestClient(floor_app(imported, answer)) as floor,
                LiveServer(folder / "live-data") as server, httpx.Client(base_url=server.url) as live,
                floor_server(folder, imported, answer) as floor_live, httpx.Client(base_url=floor_live.url) as live_floor,
            ):
                times = against_torch({"in-process": client, "floor in-process": floor, "live": live, "floor live": live_floor}, folder, x, rounds)
            stored, memory = stored_vs_in_memory(client, rounds)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    cached = statistics.median(s / m for s, m in zip(stored, memory, strict=True))
    print(json.dumps({"rounds": rounds, "load_average": load, "torch_threads": torch.get_num_threads()}))
    print(f"torch alone (load_file, build, load_state_dict, forward): {_ms(times['torch'])}")
    print(f"(a) import + first run, in-process: layerlab {_ratio(times, 'in-process')} (target <= 3)")
    print(f"(a) import + first run, real server: layerlab {_ratio(times, 'live')} (target <= 3)")
    print(f"(c) the same requests answered by an app that does no work, in-process: {_ratio(times, 'floor in-process')}")
    print(f"(c) the same requests answered by an app that does no work, real server: {_ratio(times, 'floor live')}")
    print(f"(b) run with weights_from a model {_ms(stored)}, weights in memory {_ms(memory)}; ratio {cached:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
