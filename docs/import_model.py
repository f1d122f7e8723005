"""Open your own network in layerlab: its state_dict and the text of print(model), posted once.

    python docs/import_model.py [server, default http://127.0.0.1:8000]

Example 14 of EXAMPLES.md stands in for your trained CNN. The server answers the model's id; the
printed URL opens the lab on that network with a CIFAR-10 test image (``?model=<id>&index=<n>``).
Needs ``httpx``, ``torch`` and ``safetensors``; a running layerlab (``scripts/serve``).
"""

from __future__ import annotations

import sys

import httpx
import safetensors.torch
import torch
from torch import nn


def my_network() -> nn.Sequential:
    torch.manual_seed(14)  # yours would be trained; any weights show the point
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10),
    )  # fmt: skip


def open_in_layerlab(model: nn.Module, server: httpx.Client, image: int = 7) -> str:
    """POST the model to the server's /api/models; the lab URL that shows it on CIFAR-10 test image ``image``."""
    files = {"weights": ("model.safetensors", safetensors.torch.save(model.state_dict()))}
    answer = server.post("/api/models", data={"architecture": str(model), "name": "My CNN"}, files=files)
    answer.raise_for_status()
    return f"{str(server.base_url).rstrip('/')}/?model={answer.json()['model_id']}&index={image}"


if __name__ == "__main__":
    with httpx.Client(base_url=sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000", timeout=60) as server:
        print(open_in_layerlab(my_network(), server))
