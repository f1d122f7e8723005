"""The trained networks the package ships: their files are what their facts say, and they are trained.

Each ``app/models/shipped/<id>.safetensors`` was written by ``python -m app.models.ship`` (the project's
own training job on the full CIFAR-10); ``<id>.json`` records the recipe, the measured test accuracy and
the file's sha256. Here: the hash matches, the weights load strictly into the network the facts
describe, and on the bundled sample's 200 test images (which the job never trained on) the network
is far above chance — so a file swapped for untrained weights fails.
"""

from __future__ import annotations

import hashlib
import json

import pytest
import torch
from safetensors.torch import load_file

from app.datasets.bundled import load_bundled
from app.engine.schema import layer_config, layer_union
from app.engine.train import build_network, plan_for_training, to_input
from app.models.ship import RECIPES, SHIPPED_DIR
from pydantic import TypeAdapter

MINIMUM = {"cifar10-example14": 0.72, "cifar10-example14-bn-relu": 0.80}  # issue 18's targets


def _facts(model_id: str) -> dict:
    return json.loads((SHIPPED_DIR / f"{model_id}.json").read_text())


@pytest.mark.parametrize("model_id", [r.model_id for r in RECIPES])
def test_shipped_file_matches_its_sha256_and_its_facts(model_id):
    facts = _facts(model_id)
    blob = (SHIPPED_DIR / f"{model_id}.safetensors").read_bytes()
    assert hashlib.sha256(blob).hexdigest() == facts["trained"]["sha256"]
    recipe = next(r for r in RECIPES if r.model_id == model_id)
    assert facts["trained"]["epochs"] == recipe.config["epochs"]
    assert facts["trained"]["test_accuracy"] >= MINIMUM[model_id]
    assert all(facts["trained"]["recipe"][k] == v for k, v in recipe.config.items() if k != "layers")


@pytest.mark.parametrize("model_id", [r.model_id for r in RECIPES])
def test_shipped_weights_load_strictly_and_classify_unseen_images(model_id):
    facts = _facts(model_id)
    layers = [layer_config(layer) for layer in TypeAdapter(list[layer_union()]).validate_python(facts["layers"])]
    net = build_network(plan_for_training(layers, 1, 10**8), seed=0).eval()
    net.load_state_dict(load_file(SHIPPED_DIR / f"{model_id}.safetensors"), strict=True)
    sample = load_bundled()
    with torch.no_grad():
        predicted = net(to_input(sample.images_by_split["test"], torch.device("cpu"))).argmax(1)
    accuracy = float((predicted == sample.labels_by_split["test"]).float().mean())
    assert accuracy >= MINIMUM[model_id] - 0.1, accuracy  # 200 images: the 10,000-image figure ± sampling noise
