"""Text the API sends as data (app/i18n/data.py) in the request's language: the worked examples, the layer
catalogue's descriptions, the shipped networks; English by default (the contract), torch's names never translated."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.examples import WORKED

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def test_examples_in_chinese_and_english(client: TestClient) -> None:
    english = client.get("/api/examples")
    assert english.headers["content-language"] == "en" and "Accept-Language" in english.headers["vary"]
    assert english.json()["worked"][0]["title"] == "Conv by hand, stride 1"
    chinese = client.get("/api/examples", headers=ZH)
    assert chinese.headers["content-language"] == "zh-CN"
    body = chinese.json()
    assert body["worked"][0]["title"] == "手算卷积，stride 1"
    assert body["training"]["title"] == "经典的 CIFAR-10 网络"
    by_id = {ex["id"]: ex for ex in body["worked"]}
    assert by_id["12a"]["checks"][2]["expect"] == "之后的均值 > 之前的均值：最大池化让图片变亮"  # a statement, in words
    assert by_id["1a"]["checks"] == next(ex for ex in WORKED if ex["id"] == "1a")["checks"]  # numbers untouched
    assert by_id["4"]["layers"] == english.json()["worked"][7]["layers"]  # torch's names untouched


@pytest.mark.parametrize("how", [{"params": {"lang": "zh-CN"}}, {"cookies": {"layerlab_lang": "zh-CN"}}, {"headers": ZH}])
def test_layer_descriptions_follow_the_pages_negotiation(client: TestClient, how: dict) -> None:
    client.cookies.clear()
    for name, value in how.get("cookies", {}).items():
        client.cookies.set(name, value)
    layers = {e["type"]: e for e in client.get("/api/layers", params=how.get("params"), headers=how.get("headers")).json()}
    client.cookies.clear()
    pool = layers["MaxPool2d"]
    assert pool["doc"] == "保留每个窗口中的最大值。"
    assert {p["name"]: p["doc"] for p in pool["params"]}["ceil_mode"] == "输出尺寸向上取整，而不是向下取整。"
    assert pool["type"] == "MaxPool2d" and pool["torch_class"] == "torch.nn.MaxPool2d"
    assert {p["name"] for p in pool["params"]} >= {"kernel_size", "ceil_mode"}  # parameter names as torch writes them


def test_layers_stay_english_by_default(client: TestClient) -> None:
    client.cookies.clear()
    layers = {e["type"]: e for e in client.get("/api/layers").json()}
    assert layers["MaxPool2d"]["doc"] == "Keeps the largest value of each window."


def test_shipped_networks_in_chinese(client: TestClient) -> None:
    client.cookies.clear()
    english = {m["model_id"]: m for m in client.get("/api/models").json()["models"] if m["source"] == "shipped"}
    chinese = {m["model_id"]: m for m in client.get("/api/models", headers=ZH).json()["models"] if m["source"] == "shipped"}
    assert english["cifar10-example14"]["name"] == "Example 14, trained on CIFAR-10"
    assert chinese["cifar10-example14"]["name"] == "例 14，在 CIFAR-10 上训练"
    assert chinese["cifar10-example14"]["description"].startswith("教程里经典的 CIFAR-10 网络")
    assert chinese["cifar10-example14"]["layers"] == english["cifar10-example14"]["layers"]
    assert chinese["cifar10-example14"]["trained"]["dataset"].startswith("CIFAR-10 的 50,000 张训练图像")
    assert english["cifar10-example14"]["trained"]["dataset"].startswith("CIFAR-10: 50,000 training images")
    one = client.get("/api/models/cifar10-example14-bn-relu", params={"lang": "zh-CN"}).json()
    assert one["name"] == "加上 BatchNorm 和 ReLU 的例 14，在 CIFAR-10 上训练"
