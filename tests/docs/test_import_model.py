"""docs/import_model.py, executed against the real app: the URL it prints opens that network, whose run
gives torch's own numbers for the same image."""

from __future__ import annotations

import runpy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import torch

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "import_model.py"


def test_the_script_imports_its_network_and_prints_a_lab_url_that_shows_it(client):
    script = runpy.run_path(str(SCRIPT))  # as a module: its __main__ block needs a server of its own
    model = script["my_network"]().eval()
    url = script["open_in_layerlab"](model, client)
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert url.startswith("http://testserver/?model=") and query["index"] == ["7"]
    model_id = query["model"][0]
    assert client.get(f"{parts.path}?{parts.query}").status_code == 200  # the lab page itself
    info = client.get(f"/api/models/{model_id}").json()
    assert info["source"] == "print" and info["params"] == 145_578 and info["name"] == "My CNN"
    run = client.post("/api/pipeline/run", json={"input": {"source": "cifar10", "split": "test", "index": 7}, "weights_from": {"model_id": model_id}})
    assert run.status_code == 200, run.text
    x = client.app.state.services.cifar10.images("test", 7, 1).float() / 255
    with torch.no_grad():
        assert run.json()["layers"][-1]["values"] == model(x).tolist()
