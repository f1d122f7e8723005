"""Every torch constructor argument is accepted by its torch name, including the keyword-only and
deprecated ones; where a name is also an explicit tensor, a boolean is torch's flag and a list the values."""

from __future__ import annotations

import torch
import torch.nn as nn
from fastapi.testclient import TestClient

IMAGE = torch.arange(2 * 2 * 3 * 3, dtype=torch.float32).reshape(2, 2, 3, 3)
INPUT = {"source": "tensor", "data": IMAGE.tolist()}


def _run(client: TestClient, layer: dict) -> dict:
    r = client.post("/api/pipeline/run", json={"input": INPUT, "layers": [layer], "mode": "train"})
    assert r.status_code == 200, r.text
    return r.json()


def test_batchnorm_bias_false_is_torchs_keyword_only_flag(client: TestClient) -> None:
    out = _run(client, {"type": "BatchNorm2d", "bias": False})
    torch.manual_seed(0)
    expected = nn.BatchNorm2d(2, bias=False).train()(IMAGE)
    assert out["layers"][0]["params"] == 2  # the scale only
    assert torch.equal(torch.tensor(out["layers"][0]["values"]), expected.detach())
    assert "bias=False" in out["code"]


def test_batchnorm_bias_list_gives_the_shift(client: TestClient) -> None:
    out = _run(client, {"type": "BatchNorm2d", "bias": [10.0, -10.0]})
    values = torch.tensor(out["layers"][0]["values"])
    assert torch.allclose(values.mean(dim=(0, 2, 3)), torch.tensor([10.0, -10.0]))
    r = client.post("/api/pipeline/run", json={"input": INPUT, "layers": [{"type": "BatchNorm2d", "affine": False, "bias": [1.0, 2.0]}]})
    assert r.status_code == 422 and "affine=False" in r.json()["detail"][0]["msg"]


def test_deprecated_hardtanh_names_work_and_say_torch_warned(client: TestClient) -> None:
    out = _run(client, {"type": "Hardtanh", "min_value": 0.0, "max_value": 5.0})
    assert torch.equal(torch.tensor(out["layers"][0]["values"]), IMAGE.clamp(0.0, 5.0))
    assert any("min_value" in note for note in out["layers"][0]["notes"])  # torch's warning from the constructor


def test_deprecated_loss_arguments_are_torchs(client: TestClient) -> None:
    r = client.post("/api/losses/MSELoss", json={"input": [1.0, 2.0], "target": [0.0, 0.0], "reduce": False})
    assert r.status_code == 200, r.text
    assert r.json()["loss"] == [1.0, 4.0]
    assert any("torch warned" in note for note in r.json()["notes"])
