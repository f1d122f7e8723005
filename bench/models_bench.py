"""What a network of one's own costs in layerlab, against torch alone. Issue 18's speed targets.

    python bench/models_bench.py [rounds, default 20]

(a) Import + first run. Each round a different example 14 (EXAMPLES.md; 145,578 parameters, torch's
    init under the round's seed, so every import is a new model) saved as ``.safetensors`` beside
    the bench. torch alone: ``load_file`` + build the ``nn.Sequential`` + ``load_state_dict`` + the
    forward pass on one CIFAR-10 test image. layerlab: ``POST /api/models`` (the file and the text of
    ``print(model)``) then ``POST /api/pipeline/run`` with ``weights_from`` on that image, through
    the real app in-process (Starlette's TestClient: routing, multipart, validation, JSON, no
    socket), until the answer is parsed (by orjson, as quick as a browser's ``JSON.parse``: the standard
    library's ``json`` took ~10 ms of it, longer than torch's whole work). Target: layerlab ≤ 3x torch.
(b) A run with ``weights_from`` a model against the same run with its weights already in memory: the
    same ``RunStore.run`` (pin, validate, build, load, forward, code, persist), once with the real
    weights home (model on disk, loaded tensors in its LRU) and once with a home that hands over
    tensors held in memory. A new seed each round, so the run cache never answers. Target ≤ 1.2x.

Both measured side by side, alternating within each round (which goes first alternates too); the
median of the per-round ratios is reported, with the medians of the times and the load average
(other work on a shared machine takes cores too).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import safetensors.torch
import torch
from fastapi.testclient import TestClient
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.main import create_app  # noqa: E402
from app.models.home import ResolvedWeights, WeightsHome  # noqa: E402
from app.models.sources import ModelWeights  # noqa: E402
from app.runs import RunRequest  # noqa: E402
from app.settings import Settings  # noqa: E402

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


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def import_and_first_run(client: TestClient, folder: Path, x: torch.Tensor, rounds: int) -> tuple[list[float], list[float]]:
    architecture = str(example14(0))
    ours, theirs = [], []
    for i in range(rounds + 1):  # round 0 warms both up and is not counted
        path = folder / f"round-{i}.safetensors"
        safetensors.torch.save_file(example14(1000 + i).state_dict(), path)
        order = [("ours", layerlab, (client, path, architecture)), ("torch", torch_alone, (path, x))]
        results = {}
        for name, fn, args in order if i % 2 else reversed(order):
            results[name] = timed(fn, *args)
        assert torch.allclose(torch.tensor(results["ours"][1]), results["torch"][1], atol=1e-5), "layerlab and torch disagree"
        if i:
            ours.append(results["ours"][0])
            theirs.append(results["torch"][0])
    return ours, theirs


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


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", cifar10_dir=None)
        with TestClient(create_app(settings)) as client:
            x = client.app.state.services.cifar10.images("test", 7, 1).float() / 255  # type: ignore[attr-defined]
            ours, theirs = import_and_first_run(client, Path(tmp), x, rounds)
            stored, memory = stored_vs_in_memory(client, rounds)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    first = statistics.median(o / t for o, t in zip(ours, theirs, strict=True))
    cached = statistics.median(s / m for s, m in zip(stored, memory, strict=True))
    print(json.dumps({"rounds": rounds, "load_average": load, "torch_threads": torch.get_num_threads()}))
    print(f"(a) import + first run: layerlab {_ms(ours)}, torch alone {_ms(theirs)}; ratio {first:.2f} (target <= 3)")
    print(f"(b) run with weights_from a model {_ms(stored)}, weights in memory {_ms(memory)}; ratio {cached:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
