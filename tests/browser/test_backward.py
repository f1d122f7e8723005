"""The Forward/Backward switch and the gradient arithmetic panel in Chromium."""

from __future__ import annotations

import pytest

from tests.browser.test_inspect import CONV_BY_HAND, hover_cell, open_detail

pytestmark = pytest.mark.browser

# ∂ output[0, 0, 1, 1] / ∂ input: the kernel laid over the window at rows 1…3, cols 1…3.
BACKWARD = {**CONV_BY_HAND, "direction": "backward", "backward": {"loss": "output", "target": "0,0,1,1"}}


def test_backward_shows_gradient_maps_and_explains_a_gradient_value(page, tmp_path) -> None:
    asked: list[str] = []  # the maps the page asks for, in order
    page.on("request", lambda r: "/api/runs/" in r.url and ".png" in r.url and asked.append(r.url.split("/api/runs/")[1].split("?")[0]))
    detail = open_detail(page, BACKWARD, 0)
    maps = page.locator("#stages img.map")
    assert all("/grads/" in src for src in maps.evaluate_all("imgs => imgs.map((i) => i.src)"))
    # The gradients' maps (shown) are asked for first; the stages' own ones after, so the switch back is instant.
    page.wait_for_function("() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/maps/')).length >= 2")
    first_stage_map = next(i for i, url in enumerate(asked) if "/maps/" in url)
    assert [url.split("/")[1] for url in asked[:first_stage_map]] == ["grads", "grads"], asked  # input and the one layer
    assert page.get_by_test_id("backward-toggle").locator("[data-direction=backward]").get_attribute("aria-pressed") == "true"
    assert hover_cell(page, detail, 0, 1, 2) == "[0, 0, 1, 2] = 2"  # kernel[0][1]
    page.mouse.down()
    page.mouse.up()
    panel = detail.get_by_test_id("grad-arithmetic")
    panel.get_by_test_id("grad-equation").wait_for()
    assert panel.get_by_test_id("grad-equation").text_content().endswith("= 2")
    assert "weight[0, 0, 0, 1]" in panel.text_content()
    page.screenshot(path=str(tmp_path / "backward.png"), full_page=True)
    page.keyboard.press("Escape")
    page.get_by_test_id("backward-toggle").locator("[data-direction=forward]").click()
    page.wait_for_function("() => [...document.querySelectorAll('#stages img.map')].every((i) => i.src.includes('/maps/'))")
