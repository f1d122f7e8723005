"""Inspecting a stage in Chromium: the detail view, zoom, the value under the cursor, colour bars,
the arithmetic of an output with its step-through, size formulas and the export."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from tests.browser.test_lab import X5, open_lab

pytestmark = pytest.mark.browser

KERNEL = [[[[1, 2, 1], [0, 1, 0], [2, 1, 0]]]]
CONV_BY_HAND = {"input": {"source": "tensor", "data": X5, "shape": [1, 1, 5, 5]},
                "layers": [{"type": "Conv2d", "out_channels": 1, "kernel_size": 3, "bias": False, "weight": KERNEL}]}
# Two channels of known values, −10 … 49: signed, so the colour bars are centred on 0.
TWO_CHANNELS = {"input": {"source": "tensor", "data": [float(v - 10) for v in range(60)], "shape": [1, 2, 6, 5]},
                "layers": [{"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2}]}


def open_detail(page, state: dict, stage: int):
    open_lab(page, state)
    page.get_by_test_id("stage").nth(len(state["layers"])).wait_for()
    page.get_by_role("button", name=f"Inspect stage {stage}", exact=True).first.click()
    detail = page.get_by_test_id("stage-detail")
    detail.locator(".pixels canvas").first.wait_for()
    return detail


def hover_cell(page, detail, tile: int, y: int, x: int) -> str:
    canvas = detail.locator(f"figure.tile[data-tile='{tile}'] .pixels canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    rows, cols = (int(v) for v in canvas.evaluate("c => [c.height, c.width]"))
    page.mouse.move(box["x"] + (x + 0.5) * box["width"] / cols, box["y"] + (y + 0.5) * box["height"] / rows)
    return detail.get_by_test_id("value-under-cursor").text_content()


def test_the_inspect_button_is_an_svg_icon_named_for_screen_readers(page) -> None:
    open_lab(page, CONV_BY_HAND)
    button = page.get_by_role("button", name="Inspect stage 1", exact=True)
    assert button.text_content().strip() == ""  # no emoji: it is an empty box where no emoji font is installed
    assert button.locator("svg[aria-hidden=true]").count() == 1
    assert button.locator("svg").bounding_box()["width"] > 0


def test_detail_view_zooms_true_pixels_and_reads_the_exact_value_under_the_cursor(page) -> None:
    detail = open_detail(page, TWO_CHANNELS, 0)
    assert detail.locator("figure.tile").count() == 2  # the channels in a grid
    canvas = detail.locator("figure.tile[data-tile='1'] .pixels canvas")
    assert canvas.evaluate("c => [c.width, c.height]") == [5, 6]  # one canvas pixel per value
    for zoom in ("1", "2", "4", "8"):
        detail.get_by_test_id("zoom").locator(f"[data-zoom='{zoom}']").click()
        assert canvas.bounding_box()["width"] == pytest.approx(5 * int(zoom), abs=0.5)
        assert canvas.evaluate("c => getComputedStyle(c).imageRendering") == "pixelated"
        if zoom != "1":  # at 1× a value is one CSS pixel, finer than the mouse positions Playwright sends
            # value [0, 1, 2, 3] is 30 + 2·5 + 3 − 10 = 33, whatever the zoom
            assert hover_cell(page, detail, 1, 2, 3) == "[0, 1, 2, 3] = 33"
    detail.get_by_test_id("zoom").locator("[data-zoom='fit']").click()
    assert canvas.bounding_box()["width"] > 5 * 8
    assert hover_cell(page, detail, 0, 0, 0) == "[0, 0, 0, 0] = -10"


def test_arrows_move_between_values_and_stages(page) -> None:
    detail = open_detail(page, TWO_CHANNELS, 0)
    hover_cell(page, detail, 0, 1, 3)
    page.keyboard.press("ArrowRight")
    assert detail.get_by_test_id("value-under-cursor").text_content() == "[0, 0, 1, 4] = -1"
    page.keyboard.press("ArrowDown")
    assert detail.get_by_test_id("value-under-cursor").text_content() == "[0, 0, 2, 4] = 4"
    page.keyboard.press("ArrowRight")  # past the last column: the next channel
    assert detail.get_by_test_id("value-under-cursor").text_content().startswith("[0, 1, 2, 0] = ")
    page.keyboard.press("Shift+ArrowRight")
    detail.locator("#detail-title").filter(has_text="Stage 1: ReLU").wait_for()
    page.keyboard.press("Shift+ArrowRight")
    detail.locator("#detail-title").filter(has_text="Stage 2: MaxPool2d").wait_for()
    assert detail.locator("figure.tile[data-tile='0'] .pixels canvas").evaluate("c => [c.width, c.height]") == [2, 3]
    page.keyboard.press("Escape")
    assert not detail.is_visible()


def test_colour_bars_carry_numbers_per_channel_shared_or_typed(page) -> None:
    detail = open_detail(page, TWO_CHANNELS, 0)
    bars = detail.get_by_test_id("colorbar")
    assert bars.count() == 2
    ranges = lambda: bars.evaluate_all("bs => bs.map(b => [Number(b.dataset.lo), Number(b.dataset.hi)])")  # noqa: E731
    assert ranges() == [[-19, 19], [-49, 49]]  # per channel, centred on 0: channel 0 holds −10 … 19
    assert bars.first.locator(".ticks span").all_text_contents() == ["-19", "0", "19"]
    detail.get_by_label("Normalise").select_option("shared")
    assert ranges() == [[-49, 49], [-49, 49]]
    detail.get_by_label("Normalise").select_option("fixed")
    detail.get_by_label("window low").fill("0")
    detail.get_by_label("window high").fill("10")
    detail.get_by_label("window high").dispatch_event("change")
    assert ranges() == [[0, 10], [0, 10]]
    assert bars.nth(1).locator(".ticks span").all_text_contents() == ["0", "5", "10"]


def test_clicking_an_output_shows_its_arithmetic_and_steps_through_the_input(page) -> None:
    detail = open_detail(page, CONV_BY_HAND, 1)
    canvas = detail.locator("figure.tile[data-tile='0'] .pixels canvas")
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + 2.5 * box["width"] / 3, box["y"] + 1.5 * box["height"] / 3)  # output [0, 0, 1, 2]
    panel = detail.get_by_test_id("arithmetic")
    equation = panel.get_by_test_id("arith-equation")
    equation.wait_for()
    # The window rows 1-3, cols 2-4 times the kernel: 2·1 + 3·2 + 1·1 + 1·0 + 0·1 + 0·0 + 3·2 + 1·1 + 1·0 = 16.
    assert equation.text_content() == "2·1 + 3·2 + 1·1 + 1·0 + 0·1 + 0·0 + 3·2 + 1·1 + 1·0 = 16 (no bias)"
    assert panel.locator("table.arith-table").first.locator("td").all_text_contents() == ["2", "3", "1", "1", "0", "0", "3", "1", "1"]
    # The 5×5 input is written out with the window on it.
    assert panel.locator("td.win").all_text_contents() == ["2", "3", "1", "1", "0", "0", "3", "1", "1"]
    panel.get_by_test_id("arith-next").click()
    panel.locator("h4").filter(has_text="output [0, 0, 2, 0] = 13").wait_for()
    assert panel.locator("td.win").all_text_contents() == ["1", "2", "1", "5", "2", "3", "2", "1", "0"]
    assert panel.get_by_test_id("arith-equation").text_content().endswith("= 13 (no bias)")


def test_pooled_padding_is_marked_and_the_max_names_its_winner(page) -> None:
    state = {"input": {"source": "tensor", "data": X5, "shape": [1, 1, 5, 5]},
             "layers": [{"type": "MaxPool2d", "kernel_size": 3, "stride": 2, "padding": 1}]}
    detail = open_detail(page, state, 1)
    detail.locator("figure.tile .pixels canvas").first.click(position={"x": 1, "y": 1})  # output [0, 0, 0, 0]
    panel = detail.get_by_test_id("arithmetic")
    panel.get_by_test_id("arith-equation").wait_for()
    assert panel.locator("table.arith-table").first.locator("td.pad").count() == 5  # row −1 and column −1
    assert panel.locator("td.won").all_text_contents() == ["2"]
    assert "at [0, 0, 0, 1] (flat index 1 = 0·5 + 1)" in panel.get_by_test_id("arith-equation").text_content()


def test_size_formulas_in_the_trace_and_the_detail_view(page) -> None:
    detail = open_detail(page, CONV_BY_HAND, 1)
    expected = "H, W: ⌊(5 + 2·0 − 1·(3 − 1) − 1) / 1⌋ + 1 = 3; C_out = out_channels = 1"
    assert detail.get_by_test_id("formula").text_content() == f"Output size: {expected}"
    page.keyboard.press("Escape")
    assert page.get_by_test_id("trace-table").get_by_test_id("formula").all_text_contents() == [expected]


def test_a_large_stage_reads_every_value_from_its_npy(page) -> None:
    state = {"input": {"source": "cifar10_batch", "split": "test", "start": 0, "count": 4},
             "layers": [{"type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1}]}
    detail = open_detail(page, state, 1)
    assert detail.locator("figure.tile").count() == 16
    detail.get_by_label("sample").fill("3")
    detail.get_by_label("sample").dispatch_event("change")
    detail.locator(".detail-grid[data-sample='3']").wait_for()
    text = hover_cell(page, detail, 15, 31, 30)
    assert text.startswith("[3, 15, 31, 30] = ")
    run_id = page.locator("[data-testid=stage-image]").first.get_attribute("src").split("/")[3]
    values = np.load(io.BytesIO(page.request.get(f"/api/runs/{run_id}/stages/1/values.npy").body()))
    assert np.float32(text.split(" = ")[1]) == values[3, 15, 31, 30]


def test_export_downloads_the_run_as_a_zip(page) -> None:
    open_lab(page, CONV_BY_HAND)
    page.get_by_test_id("stage").nth(1).wait_for()
    export = page.get_by_test_id("export")
    assert export.is_visible() and export.evaluate("a => a.previousElementSibling.dataset.testid") == "copy-code"
    with page.expect_download() as download:
        export.click()
    archive = zipfile.ZipFile(download.value.path())
    assert {"request.json", "pipeline.py", "trace.csv", "values/01_Conv2d.npy", "maps/01_Conv2d.png"} <= set(archive.namelist())
    assert np.load(io.BytesIO(archive.read("values/01_Conv2d.npy"))).tolist() == [[[[10, 12, 12], [18, 16, 16], [13, 9, 3]]]]
