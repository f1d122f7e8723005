"""The Attribution view in Chromium: method and target pickers, probabilities, the overlay and its
opacity, Grad-CAM's layer picker and each cell's receptive field in the input."""

from __future__ import annotations

import base64
import json

import pytest

from app.jobs.config import EXAMPLE_14

pytestmark = pytest.mark.browser

STATE = {"input": {"source": "cifar10", "split": "test", "index": 3}, "layers": EXAMPLE_14, "seed": 0}


def open_run(page, state: dict) -> None:
    raw = base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")
    page.goto(f"/#s={raw}")
    page.wait_for_selector("body[data-ready=true]")
    page.locator(f"[data-testid=stage][data-index='{len(state['layers'])}']").wait_for()


def explain(view) -> None:
    view.get_by_test_id("attribution-run").click()
    view.get_by_test_id("attribution-probabilities").wait_for()


def test_saliency_over_the_input_with_probabilities_and_opacity(page) -> None:
    open_run(page, STATE)
    view = page.get_by_test_id("attribution")
    assert view.get_by_test_id("attribution-target").input_value() == ""  # the prediction by default
    explain(view)
    rows = view.get_by_test_id("attribution-probabilities").locator("li")
    assert rows.count() == 10
    shares = [float(t.rstrip("%")) for t in rows.locator(".p").all_text_contents()]
    assert sum(shares) == pytest.approx(100, abs=0.6)
    target = view.locator("li.target")
    assert "(predicted)" in target.text_content()
    assert int(target.get_attribute("data-class")) == shares.index(max(shares))
    assert "·" in target.text_content()  # CIFAR-10's class name beside the index
    heat = view.get_by_test_id("attribution-heat")
    heat.evaluate("img => img.decode()")
    assert heat.evaluate("img => img.naturalWidth") == 96
    assert heat.evaluate("img => getComputedStyle(img).opacity") == "0.5"
    view.get_by_test_id("attribution-opacity").fill("0.8")
    assert heat.evaluate("img => getComputedStyle(img).opacity") == "0.8"
    # another target: the answer explains that class, not the prediction
    other = (shares.index(max(shares)) + 1) % 10
    view.get_by_test_id("attribution-target").select_option(str(other))
    view.get_by_test_id("attribution-run").click()
    view.locator(f"li.target[data-class='{other}']").wait_for()


def test_grad_cam_layer_picker_and_each_cells_receptive_field(page) -> None:
    open_run(page, STATE)
    view = page.get_by_test_id("attribution")
    view.get_by_test_id("attribution-method").select_option("grad_cam")
    assert "later conv layer" in view.get_by_test_id("attribution-which-layer").text_content()
    layers = view.get_by_test_id("attribution-layer")
    assert [o.get_attribute("value") for o in layers.locator("option").all()] == ["1", "2", "3", "4", "5", "6"]
    layers.select_option("5")  # the last Conv2d: 8×8 cells
    explain(view)
    cells = view.get_by_test_id("gradcam-cell")
    assert cells.count() == 64
    view.locator("[data-cell='2,3']").click()
    field = view.get_by_test_id("attribution-field")
    # Cell (2, 3) of stage 5 (Conv2d k5 p2 on 8×8) reads rows 0–4, cols 1–5 of stage 4; MaxPool2d(2) →
    # rows 0–9, cols 2–11 of stage 3; Conv2d k5 p2 → rows 0–11, cols 0–13 of stage 2; MaxPool2d(2) →
    # rows 0–23, cols 0–27 of stage 1; Conv2d k5 p2 → rows 0–25, cols 0–29 of the 32×32 input.
    assert (field.get_attribute("data-rows"), field.get_attribute("data-cols")) == ("0-25", "0-29")
    assert "26×30" in view.get_by_test_id("attribution-cell-info").text_content()
    box, outline = view.get_by_test_id("attribution-overlay").bounding_box(), field.bounding_box()
    assert outline["width"] == pytest.approx(box["width"] * 30 / 32, abs=1.5)
    assert outline["height"] == pytest.approx(box["height"] * 26 / 32, abs=1.5)


def test_a_network_without_class_scores_is_not_explained(page) -> None:
    open_run(page, {**STATE, "layers": EXAMPLE_14[:2]})
    view = page.get_by_test_id("attribution")
    assert "one score per class" in view.text_content()
    assert view.get_by_test_id("attribution-run").is_hidden()
