"""Models kept by content hash: ids, listing order, shipped models, initial weights, refusals, pruning."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import safetensors.torch
import torch

from app.engine import LayerError, Mode, run_pipeline
from app.errors import NotFoundError
from app.jobs.config import EXAMPLE_14
from app.models.store import ModelStore
from app.retention import prune_data_dir
from tests.models.nets import example14 as example_14

LIMIT = 50_000_000


@dataclass
class Network:
    """What import_network answers, as the store reads it."""

    layers: list[dict[str, Any]]
    state_dict: dict[str, torch.Tensor] | None
    mapping: list[dict[str, Any]] = field(default_factory=list)
    source: str = "layers"
    input_shape: list[int] = field(default_factory=lambda: [1, 3, 32, 32])
    notes: list[str] = field(default_factory=list)


def _store(tmp_path: Path) -> ModelStore:
    return ModelStore(tmp_path / "data" / "models", LIMIT)


def test_the_same_network_twice_is_one_model_and_other_weights_another(tmp_path):
    store = _store(tmp_path)
    first = store.save(Network(EXAMPLE_14, example_14(1).state_dict()), name="mine")
    again = store.save(Network(EXAMPLE_14, example_14(1).state_dict()), name="other name")
    other = store.save(Network(EXAMPLE_14, example_14(2).state_dict()))
    assert again.model_id == first.model_id and again.name == "mine"
    assert other.model_id != first.model_id
    assert first.params == 145_578
    assert sorted(p.name for p in (tmp_path / "data" / "models").iterdir()) == sorted([first.model_id, other.model_id])
    # What is stored is what was given, keyed as the run's code names the modules.
    stored = store.load(first.model_id)
    expected = example_14(1).state_dict()
    assert set(stored) == set(expected)
    assert all(torch.equal(stored[k], expected[k]) for k in expected)


def test_no_weights_means_torch_init_under_the_seed_as_a_run_builds_it(tmp_path):
    store = _store(tmp_path)
    layers = [{"type": "Conv2d", "in_channels": 3, "out_channels": 4, "kernel_size": 3}, {"type": "Flatten"}]
    info = store.save(Network(layers, None), seed=5)
    x = torch.rand(1, 3, 8, 8)
    seeded = run_pipeline(x, layers, seed=5, mode=Mode.EVAL)
    loaded = run_pipeline(x, layers, seed=0, mode=Mode.EVAL, weights=store.load(info.model_id))
    assert torch.equal(seeded.output, loaded.output)
    assert store.save(Network(layers, None), seed=6).model_id != info.model_id


def test_a_pipeline_torch_refuses_is_not_stored(tmp_path):
    store = _store(tmp_path)
    with pytest.raises(LayerError):
        store.save(Network([{"type": "Conv2d", "in_channels": 3, "out_channels": 4, "kernel_size": 40}], None))
    assert not (tmp_path / "data" / "models").exists() or not any((tmp_path / "data" / "models").iterdir())


def test_shipped_first_then_imported_newest_first(tmp_path, shipped_dir):
    store = _store(tmp_path)
    older = store.save(Network(EXAMPLE_14, example_14(1).state_dict()))
    time.sleep(0.01)
    newer = store.save(Network(EXAMPLE_14, example_14(2).state_dict()))
    listed = store.list()
    assert [m.model_id for m in listed] == ["test-example14", newer.model_id, older.model_id]
    shipped = listed[0]
    assert shipped.source == "shipped" and shipped.trained["test_accuracy"] == 0.73 and shipped.params == 145_578
    assert shipped.mapping[0] == {"key": "0.bias", "layer": 1, "param": "bias", "shape": [32]}
    assert torch.equal(store.load("test-example14")["0.weight"], example_14(3)[0].weight)


@pytest.mark.parametrize("model_id", ["nope", "0" * 32, "../models", "test-example14.json", ""])
def test_unknown_ids_are_not_found_and_never_touch_other_paths(tmp_path, shipped_dir, model_id):
    with pytest.raises(NotFoundError, match="GET /api/models lists them"):
        _store(tmp_path).get(model_id)


def test_imported_models_are_pruned_with_the_data_dir_and_shipped_ones_never(tmp_path, shipped_dir):
    store = _store(tmp_path)
    info = store.save(Network(EXAMPLE_14, example_14(1).state_dict()))
    folder = tmp_path / "data" / "models" / info.model_id
    old = time.time() - 40 * 86400
    for path in [folder, *folder.iterdir()]:
        os.utime(path, (old, old))
    removed = prune_data_dir(tmp_path / "data", max_bytes=10**9, max_age_days=30)
    assert [e.path for e in removed] == [folder] and not folder.exists()
    assert [m.model_id for m in store.list()] == ["test-example14"]
    assert (shipped_dir / "test-example14.safetensors").is_file()


def test_the_weights_file_is_a_plain_safetensors_state_dict(tmp_path):
    store = _store(tmp_path)
    info = store.save(Network(EXAMPLE_14, example_14(1).state_dict()))
    net = example_14(9)
    net.load_state_dict(safetensors.torch.load_file(store.weights_path(info.model_id)))  # strict
    assert torch.equal(net[7].weight, example_14(1)[7].weight)
