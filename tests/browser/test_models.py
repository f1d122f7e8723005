"""Trained networks in the lab (issue 18, the page): the shipped network on a first visit with its
prediction, trained and untrained weights one click apart, importing a model by drag and drop, a
refusal in words, links a script prints, and the training page starting from a model."""

from __future__ import annotations

import base64
import io
import json
import time

import httpx
import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from .test_lab import lab_url
from .training_page import start

pytestmark = pytest.mark.browser

SHIPPED = "cifar10-example14"


@pytest.fixture(scope="module")
def shipped(server: str) -> dict:
    answer = httpx.get(f"{server}/api/models/{SHIPPED}", timeout=30)
    assert answer.status_code == 200, f"GET /api/models/{SHIPPED}: {answer.status_code} {answer.text[:200]}"
    return answer.json()


def cifar_image(server: str, index: int = 0) -> torch.Tensor:
    """CIFAR-10 test image `index` as ToTensor gives it: (1, 3, 32, 32) in [0, 1]."""
    png = httpx.get(f"{server}/api/datasets/cifar10/test/{index}.png").content
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float32) / 255
    return torch.from_numpy(pixels).permute(2, 0, 1).unsqueeze(0)


def bars(page, which: int = 0) -> dict[str, float]:
    chart = page.get_by_test_id("prediction-chart").nth(which)
    return {r.get_attribute("data-class"): float(r.get_attribute("data-probability")) for r in chart.get_by_test_id("prediction-class").all()}


def hash_state(page) -> dict:
    raw = page.url.split("#s=", 1)[1]
    return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))


def run_answer(server: str, state: dict) -> dict:
    body = {k: state[k] for k in ("input", "layers", "seed", "mode") if k in state}
    if state.get("weights_from"):
        body["weights_from"] = state["weights_from"]
    return httpx.post(f"{server}/api/pipeline/run", json=body, timeout=60).json()


def test_first_visit_shows_the_trained_network_and_its_prediction(page, server: str, shipped: dict) -> None:
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    chart = page.get_by_test_id("prediction-chart")
    chart.wait_for()  # zero clicks: the trained network has run on a CIFAR-10 image
    state = hash_state(page)
    assert state["weights_from"] == {"model_id": SHIPPED} and state["input"]["source"] == "cifar10"
    assert page.get_by_test_id("layer-card").count() == len(shipped["layers"])
    assert page.get_by_test_id("weights-trained").get_attribute("aria-pressed") == "true"
    # The bars are softmax of the run's exact logits, in GET /api/datasets/cifar10's class order.
    logits = torch.tensor(run_answer(server, state)["layers"][-1]["values"][0], dtype=torch.float64)
    classes = httpx.get(f"{server}/api/datasets/cifar10").json()["classes"]
    got = bars(page)
    assert list(got) == classes
    assert np.allclose(list(got.values()), torch.softmax(logits, 0).tolist(), atol=2e-6)
    assert chart.get_attribute("data-predicted") == classes[int(logits.argmax())]
    line = page.get_by_test_id("prediction-line")
    assert f"predicts {classes[int(logits.argmax())]}" in line.text_content()  # said at the top of the page too
    facts = page.get_by_test_id("models-list").get_by_test_id("model").first.get_by_test_id("model-facts").text_content()
    assert f"{100 * shipped['trained']['test_accuracy']:.1f} % test accuracy" in facts and f"{shipped['params']:,} params" in facts


def test_trained_and_untrained_one_click_apart_keep_the_stage(page, server: str, shipped: dict) -> None:
    page.goto(f"/?model={SHIPPED}&index=3")  # the link a script prints
    page.wait_for_selector("body[data-ready=true]")
    page.get_by_test_id("prediction-chart").wait_for()
    assert hash_state(page)["input"] == {"source": "cifar10", "split": "test", "index": 3}
    first_map = page.locator("[data-testid=stage][data-index='1'] img.map[data-stage='1']")
    trained_src, trained_bars = first_map.get_attribute("src"), bars(page)
    page.locator("[data-testid=stage][data-index='8'] table.matrix td").first.click()  # a value of stage 8: its field is outlined
    info = page.get_by_test_id("rf-info")
    page.wait_for_function("() => document.querySelector('[data-testid=rf-info]').textContent.startsWith('Stage 8')")
    outlined = info.text_content()

    page.get_by_test_id("weights-untrained").click()
    page.wait_for_function("src => document.querySelector(\"[data-testid=stage][data-index='1'] img.map[data-stage='1']\").getAttribute('src') !== src",
                           arg=trained_src)
    assert hash_state(page).get("weights_from") is None
    untrained_src = first_map.get_attribute("src")
    assert page.request.get(trained_src).body() != page.request.get(untrained_src).body()  # other weights, other maps
    assert bars(page) != trained_bars
    page.wait_for_function("text => document.querySelector('[data-testid=rf-info]').textContent === text", arg=outlined)  # what was looked at stays

    runs = []
    page.on("request", lambda r: runs.append(r.url) if "/api/pipeline/run" in r.url else None)
    page.get_by_test_id("weights-trained").click()
    page.wait_for_function("src => document.querySelector(\"[data-testid=stage][data-index='1'] img.map[data-stage='1']\").getAttribute('src') === src",
                           arg=trained_src)
    assert runs == []  # back to weights just seen: drawn from the page's answers, no request
    assert bars(page) == trained_bars


def test_trained_beside_untrained(page, shipped: dict) -> None:
    page.goto(f"/?model={SHIPPED}")
    page.wait_for_selector("body[data-ready=true]")
    page.get_by_test_id("prediction-chart").wait_for()
    page.get_by_test_id("weights-beside").click()
    page.get_by_test_id("prediction-chart").nth(1).wait_for()
    assert page.get_by_test_id("stage-b").count() == len(shipped["layers"]) + 1
    captions = page.get_by_test_id("prediction-chart").locator("figcaption strong").all_text_contents()
    assert captions == ["A (trained)", "B (untrained)"]
    last = page.get_by_test_id("stage-b").nth(len(shipped["layers"]))  # the logits: small enough for exact values
    assert "max |A−B|" in last.get_by_test_id("compare-diff").text_content()


def small_net() -> nn.Sequential:
    torch.manual_seed(5)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 16 * 16, 10)).eval()


def drop_file(page, data: bytes, name: str) -> None:
    """Drops a file on the import zone as a browser does: a drop event carrying a DataTransfer."""
    page.evaluate("""([b64, name]) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], name));
        const zone = document.querySelector("[data-testid=import-drop]");
        zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
        zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    }""", [base64.b64encode(data).decode(), name])


def test_import_a_dropped_state_dict_see_the_mapping_run_and_predict(page, server: str) -> None:
    net = small_net()
    buffer = io.BytesIO()
    torch.save(net.state_dict(), buffer)
    page.goto(lab_url({"input": {"source": "cifar10", "split": "test", "index": 0}, "layers": [{"type": "ReLU"}]}))
    page.wait_for_selector("body[data-ready=true]")
    page.get_by_role("button", name="Import a model…").click()
    dialog = page.get_by_test_id("import-dialog")
    drop_file(page, buffer.getvalue(), "small.pt")
    assert "small.pt (weights" in dialog.get_by_test_id("import-file-chosen").text_content()
    dialog.get_by_label("Architecture").fill(str(net))
    dialog.get_by_label("name").fill("my small net")
    dialog.get_by_role("button", name="Import", exact=True).click()
    rows = dialog.get_by_test_id("mapping-row")
    rows.first.wait_for()
    table = [[c.strip() for c in r.locator("td").all_text_contents()] for r in rows.all()]
    assert [(r[0], r[2], r[3]) for r in table] == [("0.weight", "weight", "(8, 3, 3, 3)"), ("0.bias", "bias", "(8)"),
                                                   ("4.weight", "weight", "(10, 2048)"), ("4.bias", "bias", "(10)")]
    assert table[0][1].startswith("1 · Conv2d") and table[2][1].startswith("5 · Linear")
    assert "null" not in dialog.get_by_test_id("import-result").text_content()
    assert page.get_by_test_id("stage").count() == 2  # nothing ran with it yet: the lab still shows its ReLU
    dialog.get_by_role("button", name="Open in the lab").click()
    page.get_by_test_id("prediction-chart").wait_for()
    assert page.get_by_test_id("stage").count() == 6
    with torch.no_grad():
        expect = torch.softmax(net(cifar_image(server, 0)).double(), 1)[0]
    assert np.allclose(list(bars(page).values()), expect.tolist(), atol=2e-6)  # the trained weights ran, bit for bit near
    for k in range(6):  # every stage's map is drawn
        img = page.locator(f"[data-testid=stage][data-index='{k}'] img.map[data-stage='{k}']")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    model_id = hash_state(page)["weights_from"]["model_id"]
    listed = page.get_by_test_id("models-list").locator(f"button[data-model='{model_id}']")
    assert listed.get_attribute("aria-pressed") == "true" and "my small net" in listed.text_content()


def test_a_refused_import_says_which_key_and_shapes(page) -> None:
    net = small_net()
    state = net.state_dict()
    state["4.weight"] = torch.zeros(10, 1024)  # a file for another network
    buffer = io.BytesIO()
    torch.save(state, buffer)
    page.allow_failed_request("422", "/api/models")  # the refusal is the point (failed requests are allowed by name only)
    page.goto(lab_url({"input": {"source": "cifar10", "split": "test", "index": 0}, "layers": [{"type": "ReLU"}]}))
    page.wait_for_selector("body[data-ready=true]")
    page.get_by_test_id("import-open").click()
    dialog = page.get_by_test_id("import-dialog")
    dialog.get_by_test_id("import-file").set_input_files(files=[{"name": "other.pth", "mimeType": "application/octet-stream", "buffer": buffer.getvalue()}])
    dialog.get_by_label("Architecture").fill(str(net))
    dialog.get_by_role("button", name="Import", exact=True).click()
    error = dialog.get_by_test_id("import-error")
    error.wait_for()
    text = error.text_content()
    assert "4.weight" in text and "1024" in text and "2048" in text, text
    assert dialog.get_by_test_id("import-result").is_hidden()


def test_an_unknown_file_is_refused_before_sending(page) -> None:
    page.goto(lab_url({"input": {"source": "cifar10", "split": "test", "index": 0}, "layers": [{"type": "ReLU"}]}))
    page.wait_for_selector("body[data-ready=true]")
    page.get_by_test_id("import-open").click()
    drop_file(page, b"not a model", "notes.txt")
    assert "notes.txt is not a model file" in page.get_by_test_id("import-error").text_content()
    page.get_by_role("button", name="Import", exact=True).click()
    assert "Paste the text print(model) prints" in page.get_by_test_id("import-error").text_content()


def test_training_page_says_its_data_and_starts_from_a_model(page, server: str, shipped: dict) -> None:
    page.goto("/training")
    page.wait_for_selector("body[data-ready=true]")
    data = page.get_by_test_id("train-data").text_content()
    info = httpx.get(f"{server}/api/datasets/cifar10").json()
    assert info["source"] == "bundled" and f"bundled {info['splits']['train']}-image sample" in data and "LAYERLAB_CIFAR10_DIR" in data
    page.get_by_label("start from").select_option(label=f"{shipped['name']} ({100 * shipped['trained']['test_accuracy']:.1f} % test accuracy)")
    assert page.get_by_test_id("train-layer").count() == len(shipped["layers"])
    page.get_by_label("schedule").select_option("one_cycle")
    page.get_by_label("random_crop").check()
    page.get_by_label("horizontal_flip").check()
    job_id = start(page, batch_size=16, max_steps=2, lr=0.001)
    status = page.get_by_test_id("job-status")
    config = httpx.get(f"{server}/api/jobs/{job_id}").json()["config"]
    assert config["weights_from"] == {"model_id": SHIPPED}
    assert config["schedule"] == "one_cycle" and sorted(config["augment"]) == ["horizontal_flip", "random_crop"]
    deadline = time.monotonic() + 120
    while status.get_attribute("data-status") not in ("succeeded", "failed", "cancelled") and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert status.get_attribute("data-status") == "succeeded", page.locator("#job-error").text_content()
