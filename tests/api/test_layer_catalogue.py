"""GET /api/layers serves, for every type, the registry fields the page dispatches on (issue 11)."""

from __future__ import annotations

import torch
from fastapi.testclient import TestClient

from app.engine import REGISTRY
from app.engine.registry import PoolIndices, ReceptiveField

KNOWN_RULES = {rule.value for rule in ReceptiveField}


def test_every_type_serves_its_rule_role_defaults_and_new_card(client: TestClient) -> None:
    entries = client.get("/api/layers").json()
    assert {e["type"] for e in entries} == set(REGISTRY)
    for entry in entries:
        spec = REGISTRY[entry["type"]]
        assert entry["receptive_field"] in KNOWN_RULES, entry["type"]
        assert entry["receptive_field"] == spec.receptive_field.value
        assert entry["pool_indices"] in ("produces", "consumes", None)
        params = {p["name"] for p in entry["params"]}
        for param, source in entry["defaults_from"].items():
            assert {param, source} <= params, entry["type"]
        assert set(entry["new_card"]) <= params, entry["type"]
        required = {p["name"] for p in entry["params"] if p["required"]}
        assert required <= set(entry["new_card"]), f"{entry['type']}: a new card must give every required argument"


def test_the_contracts_examples(client: TestClient) -> None:
    catalogue = {e["type"]: e for e in client.get("/api/layers").json()}
    assert catalogue["Conv2d"]["receptive_field"] == "window"
    assert catalogue["ConvTranspose2d"]["receptive_field"] == "transposed_window"
    assert catalogue["AdaptiveAvgPool2d"]["receptive_field"] == "adaptive"
    assert catalogue["Upsample"]["receptive_field"] == "resample"
    assert catalogue["LogSoftmax"]["receptive_field"] == "softmax"
    assert catalogue["Flatten"]["receptive_field"] == "flatten"
    assert catalogue["Linear"]["receptive_field"] == "everything"
    assert catalogue["ReLU"]["receptive_field"] == "elementwise"
    assert catalogue["MaxPool2d"]["pool_indices"] == "produces"
    assert catalogue["MaxUnpool2d"]["pool_indices"] == "consumes"
    assert "indices_from" in catalogue["MaxUnpool2d"]["extra_fields"]
    assert catalogue["ReLU"]["pool_indices"] is None
    assert catalogue["MaxPool2d"]["defaults_from"] == {"stride": "kernel_size"}
    assert catalogue["Conv2d"]["defaults_from"] == {}
    assert catalogue["Conv2d"]["new_card"] == {"out_channels": 8, "kernel_size": 3, "padding": 1}
    assert catalogue["Linear"]["new_card"] == {"out_features": 10}
    assert catalogue["ReLU"]["new_card"] == {}


def test_defaults_from_is_what_torch_does() -> None:
    # A stride left out takes kernel_size's value: the same module as giving it explicitly.
    for spec in REGISTRY.values():
        for param, source in spec.defaults_from.items():
            module = spec.cls(**{source: 3})
            assert getattr(module, param) == getattr(module, source), spec.name


def test_a_new_card_runs_as_it_is(client: TestClient) -> None:
    """Every type's new card, after the layer before it (if it needs one), is a pipeline torch accepts."""
    image = {"source": "tensor", "data": torch.rand(1, 3, 8, 8).tolist()}
    for name, spec in REGISTRY.items():
        layers: list[dict] = [{"type": name, **spec.new_card}]
        if spec.pool_indices is PoolIndices.CONSUMES:
            producer = next(s for s in REGISTRY.values() if s.pool_indices is PoolIndices.PRODUCES)
            layers = [{"type": producer.name, **producer.new_card}, {**layers[0], "indices_from": 1}]
        if name in ("Softmax", "LogSoftmax"):
            layers[0]["dim"] = 1  # torch warns when dim is left to its legacy implicit choice
        r = client.post("/api/pipeline/run", json={"input": image, "layers": layers})
        assert r.status_code == 200, (name, r.text)
