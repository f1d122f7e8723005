"""End-to-end flows of the lab page in headless Chromium against a live server."""

from __future__ import annotations

import base64
import io
import json
import re
from urllib.parse import urlparse

import pytest
from PIL import Image

pytestmark = pytest.mark.browser

X5 = [[1, 2, 0, 3, 1], [0, 1, 2, 3, 1], [1, 2, 1, 0, 0], [5, 2, 3, 1, 1], [2, 1, 0, 1, 1]]
EXAMPLE_IDS = ["1a", "1b", "1c", "2a", "2b", "3a", "3b", "4", "5a", "5b", "6a", "6b", "6c", "6d",
               "8", "9a", "9b", "10", "11", "12a", "12b", "12c", "13"]


# The lab's own default (lab-state.js): a first visit opens the shipped trained network instead
# (tests/browser/test_models.py), so the tests built on this one ask for it.
TENSOR_START = {"input": {"source": "tensor", "data": [[0, 4, 4, 3], [3, 3, 1, 1], [4, 2, 3, 4], [1, 3, 3, 0]], "shape": [1, 1, 4, 4]},
                "layers": [{"type": "MaxPool2d", "kernel_size": 2, "stride": 2}]}


def lab_url(state: dict) -> str:
    return "/#s=" + base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def open_lab(page, hash_state: dict | None = None) -> None:
    """The lab on `hash_state` (default: the tensor and MaxPool2d of the lab's own default), run once."""
    page.goto(lab_url(TENSOR_START if hash_state is None else hash_state))
    page.wait_for_selector("body[data-ready=true]")


def set_first_layer(page, type_: str) -> object:
    card = page.get_by_test_id("layer-card").first
    card.get_by_test_id("layer-type").select_option(type_)
    return page.get_by_test_id("layer-card").first


def fill_param(card, name: str, value: str) -> None:
    field = card.locator(f"[data-param='{name}']")
    field.fill(value)
    field.dispatch_event("change")


def stage_shapes(page) -> list[str]:
    return [s.get_attribute("data-shape") for s in page.get_by_test_id("stage").all()]


def test_tensor_conv_by_hand_shows_numbers(page) -> None:
    open_lab(page)
    page.locator("#grid-rows").fill("5")
    page.locator("#grid-rows").dispatch_event("change")
    page.locator("#grid-cols").fill("5")
    page.locator("#grid-cols").dispatch_event("change")
    cells = page.get_by_test_id("tensor-input").locator("input")
    for i, v in enumerate(x for row in X5 for x in row):
        cells.nth(i).fill(str(v))
        cells.nth(i).dispatch_event("change")
    page.locator("#tensor-shape").fill("1,1,5,5")
    page.locator("#tensor-shape").dispatch_event("change")
    card = set_first_layer(page, "Conv2d")
    fill_param(card, "out_channels", "1")
    fill_param(card, "kernel_size", "3")
    fill_param(card, "padding", "0")
    card.locator("[data-param='bias']").uncheck()
    fill_param(card, "weight-values", "[[[[1,2,1],[0,1,0],[2,1,0]]]]")
    page.get_by_test_id("run").click()
    out = page.locator("[data-testid=stage][data-shape='1x1x3x3']")
    out.wait_for()
    cells = out.locator("table.matrix td").all_text_contents()
    assert cells == ["10", "12", "12", "18", "16", "16", "13", "9", "3"]
    assert page.get_by_test_id("trace-table").locator("tbody tr").count() == 1
    page.get_by_test_id("copy-code").click()
    assert "nn.Conv2d" in page.locator("#code").text_content()
    out.locator("table.matrix td").nth(4).click()  # output (1, 1) = 16 reads input rows 1-3, cols 1-3
    highlighted = page.locator("[data-testid=stage][data-index='0'] td.rf").all_text_contents()
    assert highlighted == ["1", "2", "3", "2", "1", "0", "2", "3", "1"]


def test_cifar_four_layer_pipeline(page) -> None:
    open_lab(page)
    page.get_by_role("tab", name="CIFAR-10").click()
    picker = page.get_by_test_id("cifar-picker")
    picker.locator(".thumb").nth(3).wait_for()
    picker.get_by_label("class").select_option("cat")
    picker.locator(".thumb").first.wait_for()
    assert 0 < picker.locator(".thumb").count() <= 40  # one page of the by-class endpoint
    picker.locator(".thumb").first.click()
    page.locator("#input-summary").filter(has_text="cat").wait_for()
    set_first_layer(page, "Conv2d")
    for type_ in ["ReLU", "MaxPool2d", "Flatten"]:
        page.locator("#add-type").select_option(type_)
        page.get_by_test_id("add-layer").click()
    assert page.get_by_test_id("layer-card").count() == 4
    page.get_by_test_id("run").click()
    page.locator("[data-testid=stage][data-shape='1x2048']").wait_for()
    # A new Conv2d card starts as the registry's new_card says: 8 channels, 3×3, padding 1.
    assert stage_shapes(page) == ["1x3x32x32", "1x8x32x32", "1x8x32x32", "1x8x16x16", "1x2048"]


def test_upload_png_through_conv(page, tmp_path) -> None:
    png = tmp_path / "pic.png"
    img = Image.new("RGB", (40, 30))
    img.putdata([(x * 6, y * 8, (x + y) * 3) for y in range(30) for x in range(40)])
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    png.write_bytes(buf.getvalue())
    open_lab(page)
    page.get_by_role("tab", name="Upload").click()
    page.get_by_test_id("upload-input").set_input_files(str(png))
    page.locator("#upload-info").filter(has_text="40×30").wait_for()
    card = set_first_layer(page, "Conv2d")
    fill_param(card, "padding", "0")
    page.get_by_test_id("run").click()
    page.locator("[data-testid=stage][data-shape='1x8x28x38']").wait_for()
    assert stage_shapes(page) == ["1x3x30x40", "1x8x28x38"]
    images = page.get_by_test_id("stage-image")
    assert images.count() == 3
    page.wait_for_function("[...document.querySelectorAll('[data-testid=stage-image]')].every(i => i.complete)")
    widths = images.evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
    assert all(w > 0 for w in widths), widths
    page.locator("#colormap").select_option("viridis")
    assert "colormap=viridis" in images.first.get_attribute("src")


def test_refused_pipeline_shows_message_on_card(page) -> None:
    page.allow_failed_request("422", "/api/pipeline/run")  # Chromium logs every non-2xx fetch; this one is the point
    open_lab(page, {"input": {"source": "cifar10", "split": "test", "index": 0},
                    "layers": [{"type": "Flatten"}, {"type": "Linear", "in_features": 1024, "out_features": 10}],
                    "seed": 0, "mode": "eval", "view": {"colormap": "grey", "normalize": "per_channel", "sample": 0}})
    cards = page.get_by_test_id("layer-card")
    error = cards.nth(1).get_by_test_id("error")
    error.wait_for()
    assert "in_features" in error.text_content()
    assert "3072" in error.text_content()
    assert cards.nth(0).get_by_test_id("error").is_hidden()


def test_every_example_matches(page) -> None:
    open_lab(page)
    examples = page.get_by_test_id("examples")
    result = page.get_by_test_id("example-result")
    for ex in EXAMPLE_IDS:
        examples.locator(f"[data-example='{ex}']").click()
        page.locator("[data-testid=example-result][data-status]").wait_for(timeout=20_000)
        assert result.get_attribute("data-status") == "match", (ex, result.text_content())
    examples.locator("[data-example='7']").click()
    page.locator("[data-testid=loss-result][data-status]").wait_for()
    losses = page.get_by_test_id("loss-result")
    assert losses.get_attribute("data-status") == "match", losses.text_content()
    assert "1.1019" in losses.text_content()
    examples.locator("[data-example='6e']").click()
    page.wait_for_selector("[data-testid=activation-chart][data-series='6'] canvas")


def test_example_link_reproduces_view(page, browser, server) -> None:
    open_lab(page)
    page.get_by_test_id("examples").locator("[data-example='4']").click()
    page.locator("[data-testid=example-result][data-status]").wait_for()
    url = page.url
    other = browser.new_page(viewport={"width": 1280, "height": 800})
    other.goto(url)
    other.locator("[data-testid=stage][data-shape='1x1x4x4'][data-index='2']").wait_for()
    assert other.get_by_test_id("layer-card").count() == 2
    other.close()


def test_a_link_pasted_into_the_tab_loads_and_runs(page) -> None:
    """Only the hash changes (no reload): the state in it replaces the page's and runs, as a fresh page would."""
    open_lab(page)
    state = {"input": {"source": "tensor", "data": [[1.0, -2.0], [3.0, -4.0]], "shape": [1, 1, 2, 2]}, "layers": [{"type": "ReLU"}]}
    raw = base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")
    page.evaluate("raw => { location.hash = 's=' + raw; }", raw)
    page.locator("[data-testid=stage][data-index='1']", has_text="ReLU").wait_for()
    assert [c.get_by_test_id("layer-type").input_value() for c in page.get_by_test_id("layer-card").all()] == ["ReLU"]
    assert page.locator("[data-testid=stage][data-index='1'] table.matrix td").all_text_contents() == ["1", "0", "3", "0"]


def test_builder_reorder_duplicate_remove_and_validate(page) -> None:
    open_lab(page)
    cards = page.get_by_test_id("layer-card")
    page.locator("#add-type").select_option("ReLU")
    page.get_by_test_id("add-layer").click()
    assert [c.get_by_test_id("layer-type").input_value() for c in cards.all()] == ["MaxPool2d", "ReLU"]
    cards.nth(1).focus()
    page.keyboard.press("Alt+ArrowUp")
    assert [c.get_by_test_id("layer-type").input_value() for c in cards.all()] == ["ReLU", "MaxPool2d"]
    cards.nth(1).get_by_role("button", name="Duplicate layer 2").click()
    assert cards.count() == 3
    cards.nth(0).get_by_role("button", name="Remove layer 1").click()
    assert [c.get_by_test_id("layer-type").input_value() for c in cards.all()] == ["MaxPool2d", "MaxPool2d"]
    kernel = cards.nth(0).locator("[data-param='kernel_size']")
    kernel.fill("0")
    assert "kernel_size must be ≥ 1" in cards.nth(0).text_content()
    assert kernel.get_attribute("aria-invalid") == "true"
    kernel.fill("2")
    page.get_by_test_id("run").click()
    page.locator("[data-testid=stage][data-shape='1x1x1x1']").wait_for()
    assert stage_shapes(page) == ["1x1x4x4", "1x1x2x2", "1x1x1x1"]
    assert "#s=" in page.url


def test_new_cards_start_from_the_registry(page) -> None:
    """A new card holds the catalogue's new_card; one that consumes pool indices points at the nearest producer."""
    open_lab(page)  # the default pipeline: MaxPool2d(2, 2) on a 4×4 tensor
    for type_ in ["ReLU", "MaxUnpool2d"]:
        page.locator("#add-type").select_option(type_)
        page.get_by_test_id("add-layer").click()
    unpool = page.get_by_test_id("layer-card").nth(2)
    assert unpool.locator("[data-param='indices_from']").input_value() == "1"
    assert unpool.locator("[data-param='kernel_size']").input_value() == "2"
    page.get_by_test_id("run").click()
    page.locator("[data-testid=stage][data-index='3']").wait_for()
    assert stage_shapes(page) == ["1x1x4x4", "1x1x2x2", "1x1x2x2", "1x1x4x4"]
    size = unpool.locator("[data-param='output_size']")  # forward's output_size: one number is H = W
    size.fill("5")
    size.dispatch_event("change")
    page.get_by_test_id("run").click()
    page.locator("[data-testid=stage][data-shape='1x1x5x5']").wait_for()
    assert stage_shapes(page) == ["1x1x4x4", "1x1x2x2", "1x1x2x2", "1x1x5x5"]


def test_compare_max_and_avg_pooling_side_by_side(page) -> None:
    open_lab(page)
    page.get_by_test_id("examples").locator("[data-example='12c']").click()
    page.locator("[data-testid=example-result][data-status=match]").wait_for(timeout=20_000)
    assert page.locator("#compare-col").is_visible()
    a, b = page.get_by_test_id("stage"), page.get_by_test_id("stage-b")
    assert [x.get_attribute("data-shape") for x in b.all()] == ["1x3x512x512", "1x3x256x256"]
    assert "MaxPool2d" in a.nth(1).text_content() and "AvgPool2d" in b.nth(1).text_content()
    # Aligned stage by stage: B's stage k sits right under A's stage k.
    for k in range(2):
        ba, bb = a.nth(k).bounding_box(), b.nth(k).bounding_box()
        assert abs(ba["x"] - bb["x"]) < 1 and bb["y"] >= ba["y"] + ba["height"]
    diff = b.nth(1).get_by_test_id("compare-diff").text_content()
    assert "same shape" in diff and "mean" in diff
    page.get_by_role("button", name="Stop comparing").click()
    assert not page.locator("#compare-col").is_visible()


def test_compare_ceil_mode_built_by_hand(page) -> None:
    """Compare → B starts as a copy of A; flip ceil_mode in B only; the differing shapes are flagged."""
    open_lab(page, {"input": {"source": "tensor", "data": [[float(i * 5 + j) for j in range(5)] for i in range(5)], "shape": [1, 1, 5, 5]},
                    "layers": [{"type": "MaxPool2d", "kernel_size": 2}]})
    page.get_by_test_id("compare").click()
    card_b = page.locator("#pipeline-b [data-testid=layer-card]").first
    card_b.locator("[data-param='ceil_mode']").check()
    page.get_by_test_id("run").click()
    page.locator("[data-testid=stage-b][data-shape='1x1x3x3']").wait_for()
    assert page.locator("[data-testid=stage][data-index='1']").get_attribute("data-shape") == "1x1x2x2"
    diff = page.get_by_test_id("stage-b").nth(1).get_by_test_id("compare-diff")
    assert "1×1×3×3 ≠ 1×1×2×2" in diff.text_content()
    assert page.locator("[data-testid=stage-b]").nth(1).locator(".badge.differs").count() == 1
    assert page.locator("[data-testid=stage-b]").nth(0).get_by_test_id("compare-diff").count() == 0  # same input
    # The comparison lives in the URL: reload and both pipelines come back and run.
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.locator("[data-testid=stage-b][data-shape='1x1x3x3']").wait_for()
    assert page.locator("#pipeline-b [data-param='ceil_mode']").is_checked()


def test_click_a_map_pixel_outlines_its_receptive_field(page) -> None:
    """12×12 → Conv2d(3) → ReLU → MaxPool2d(2) → Conv2d(3): output (1, 1) reads rows 2–9, cols 2–9 of the input."""
    data = [[float((i * 7 + j * 3) % 10) for j in range(12)] for i in range(12)]
    open_lab(page, {"input": {"source": "tensor", "data": data, "shape": [1, 1, 12, 12]},
                    "layers": [{"type": "Conv2d", "out_channels": 2, "kernel_size": 3}, {"type": "ReLU"},
                               {"type": "MaxPool2d", "kernel_size": 2}, {"type": "Conv2d", "out_channels": 1, "kernel_size": 3}]})
    page.get_by_test_id("run").click()
    last = page.locator("[data-testid=stage][data-index='4']")
    last.wait_for()
    out = last.locator("img.map[data-stage='4']")
    out.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=out.element_handle())
    box = out.bounding_box()
    out.click(position={"x": box["width"] / 2, "y": box["height"] / 2})  # the centre of a 3×3 map: value (1, 1)
    page.locator("[data-testid=stage][data-index='0'] .rf-box").first.wait_for()

    def outlined(k: int, cls: str = "rf-box") -> set[tuple[str, str, str]]:
        boxes = page.locator(f"[data-testid=stage] .mapbox:has(img.map[data-stage='{k}']) .{cls}")
        return {(b.get_attribute("data-tile"), b.get_attribute("data-rows"), b.get_attribute("data-cols")) for b in boxes.all()}

    assert outlined(4, "rf-hit") == {("0", "1-1", "1-1")}
    assert outlined(3) == {("0", "1-3", "1-3"), ("1", "1-3", "1-3")}  # both channels feed the last conv
    assert outlined(2) == outlined(1) == {("0", "2-7", "2-7"), ("1", "2-7", "2-7")}
    assert outlined(0) == {("0", "2-9", "2-9")}
    assert "reads 8×8" in page.get_by_test_id("rf-info").text_content()
    # The input's exact values are lit too: 64 cells of the 12×12 table.
    assert page.locator("[data-testid=stage][data-index='0'] td.rf").count() == 64
    page.keyboard.press("Escape")
    assert page.locator(".rf-box, .rf-hit, td.rf").count() == 0


def test_a_rule_the_page_does_not_know_is_an_error_on_the_stage(page) -> None:
    """GET /api/layers rewritten so that Conv2d declares a rule the page lacks: a click says so on that stage."""

    def spiral(entries: list[dict]) -> list[dict]:
        for entry in entries:
            if entry["type"] == "Conv2d":
                entry["receptive_field"] = "spiral"
        return entries

    def unknown_rule(route) -> None:
        response = route.fetch()
        route.fulfill(response=response, json=spiral(response.json()))

    def unknown_rule_in_the_page(route) -> None:  # the lab carries its first GET /api/layers in #page-answers
        response = route.fetch()
        html = response.text()
        carried = re.search(r'<script type="application/json" id="page-answers">(.*?)</script>', html, re.S)
        answers = json.loads(carried.group(1))
        answers["/api/layers"] = spiral(answers["/api/layers"])
        rewritten = json.dumps(answers).replace("<", "\\u003c")  # as Jinja's tojson: no "</script>" inside
        route.fulfill(response=response, body=html[:carried.start(1)] + rewritten + html[carried.end(1):])

    page.route(lambda url: urlparse(url).path == "/", unknown_rule_in_the_page)
    page.route("**/api/layers", unknown_rule)
    data = [[float((i * 7 + j * 3) % 10) for j in range(8)] for i in range(8)]
    open_lab(page, {"input": {"source": "tensor", "data": data, "shape": [1, 1, 8, 8]},
                    "layers": [{"type": "Conv2d", "out_channels": 1, "kernel_size": 3}, {"type": "ReLU"}]})
    page.locator("[data-testid=stage][data-index='2'] table.matrix td").nth(7).click()  # stage 2, value (1, 1)
    error = page.locator("[data-testid=stage][data-index='1']").get_by_test_id("rf-error")
    error.wait_for()
    assert "spiral" in error.text_content() and "layer 1" in error.text_content()
    assert "spiral" in page.get_by_test_id("rf-info").text_content()
    # Traced as far as it could go: the ReLU's input (stage 1) is lit, nothing before the unknown rule.
    assert page.locator("[data-testid=stage][data-index='1'] td.rf").count() == 1
    assert page.locator("[data-testid=stage][data-index='0'] td.rf").count() == 0
    page.keyboard.press("Escape")
    assert page.get_by_test_id("rf-error").count() == 0


def test_example_9_batch_drawn_as_a_grid_of_pictures(page) -> None:
    """EXAMPLES.md 9: 64 images before and after Sigmoid, shown as image grids; `sample` picks one."""
    open_lab(page)
    page.get_by_test_id("examples").locator("[data-example='9a']").click()
    page.locator("[data-testid=example-result][data-status=match]").wait_for(timeout=20_000)
    img = page.locator("img.map[data-stage='0']").first
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())

    def layout_of(image) -> dict:
        return page.evaluate("async (src) => (await fetch(src.replace('.png?', '/layout?'))).json()", image.get_attribute("src"))

    layout = layout_of(img)
    assert (layout["kind"], layout["count"], layout["columns"]) == ("images", 64, 8)
    assert img.evaluate("i => [i.naturalWidth, i.naturalHeight]") == [layout["width"], layout["height"]]
    page.locator("#sample").fill("5")
    page.locator("#sample").dispatch_event("change")
    assert "sample=5" in img.get_attribute("src")
    assert (layout_of(img)["count"], layout_of(img)["first"]) == (1, 5)


def test_click_a_picture_of_a_batch(page) -> None:
    """Conv2d(3, 3) → Sigmoid on 16 images: stage 2 is drawn as 16 pictures; clicking picture 9 names sample 9."""
    open_lab(page, {"input": {"source": "cifar10_batch", "split": "test", "start": 0, "count": 16},
                    "layers": [{"type": "Conv2d", "out_channels": 3, "kernel_size": 3}, {"type": "Sigmoid"}]})
    img = page.locator("[data-testid=stage][data-index='2'] img.map[data-stage='2']")
    img.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    layout = page.evaluate("async (src) => (await fetch(src.replace('.png?', '/layout?'))).json()", img.get_attribute("src"))
    assert (layout["kind"], layout["count"], layout["columns"]) == ("images", 16, 8)
    box = img.bounding_box()
    scale = box["width"] / layout["width"]
    tile = 9  # row 1, column 1
    x = layout["pad"] + (tile % 8) * (layout["tile_width"] + layout["pad"]) + layout["tile_width"] / 2
    y = layout["pad"] + (tile // 8) * (layout["tile_height"] + layout["pad"]) + layout["tile_height"] / 2
    img.click(position={"x": x * scale, "y": y * scale})
    info = page.get_by_test_id("rf-info")
    page.wait_for_function("el => el.textContent.includes('set sample')", arg=info.element_handle())
    assert "sample 9" in info.text_content() and "set sample to 9" in info.text_content()
    hits = page.locator("[data-testid=stage][data-index='2'] .mapbox:has(img.map[data-stage='2']) .rf-hit")
    assert hits.count() == 1 and hits.first.get_attribute("data-tile") == "9"
    inputs = page.locator("[data-testid=stage] .mapbox:has(img.map[data-stage='0']) .rf-box")
    assert {b.get_attribute("data-tile") for b in inputs.all()} == {"9"}  # the same picture of the input batch
    # A 30×30 map is shown at ~1 CSS px per value here, so read which value the click hit, then check its 3×3 window.
    r, c = (int(hits.first.get_attribute(a).split("-")[0]) for a in ("data-rows", "data-cols"))
    assert 13 <= r <= 16 and 13 <= c <= 16
    assert {(b.get_attribute("data-rows"), b.get_attribute("data-cols")) for b in inputs.all()} == {(f"{r}-{r + 2}", f"{c}-{c + 2}")}


def test_lab_is_usable_well_under_a_second_and_runs_from_the_keyboard(browser, server) -> None:
    timings = []
    for _ in range(3):  # fresh contexts: nothing cached
        context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=server)
        pg = context.new_page()
        pg.goto("/")
        pg.wait_for_selector("body[data-ready=true]")
        timings.append(int(pg.locator("body").get_attribute("data-ready-ms")))
        if len(timings) == 3:  # a layer added to whatever a first visit shows, then run from the keyboard
            pg.locator("#add-type").select_option("ReLU")
            pg.get_by_test_id("add-layer").click()
            n = pg.get_by_test_id("layer-card").count()
            pg.keyboard.press("Control+Enter")
            pg.locator(f"[data-testid=stage][data-index='{n}']").wait_for()
        # A first visit runs the network it opens: each visit is timed on a server done with the last one's run.
        pg.wait_for_load_state("networkidle")
        context.close()
    print(f"lab usable after {timings} ms (navigation start → catalogue loaded, forms built)")
    assert sorted(timings)[1] < 1000


def test_activation_chart_draws(page) -> None:
    page.goto("/activations")
    page.wait_for_selector("[data-testid=activation-chart][data-series='3'] canvas")
    page.get_by_label("LeakyReLU", exact=True).check()
    page.wait_for_selector("[data-testid=activation-chart][data-series='4'] canvas")
    slider = page.locator("#s-LeakyReLU-negative_slope")
    slider.fill("0.3")
    assert "LeakyReLU" in page.locator("#act-notes").text_content()


def test_lab_works_without_the_chart_library(page) -> None:
    """uPlot is fetched only when the chart scrolls into view; when it cannot load, the explorer says so and the lab runs."""
    page.allow_failed_request("net::ERR_FAILED", "/vendor/uplot/")  # the aborted uPlot requests
    requested = []
    page.on("request", lambda r: requested.append(r.url) if "/vendor/uplot/" in r.url else None)
    page.route("**/vendor/uplot/**", lambda route: route.abort())
    open_lab(page)
    assert requested == []  # the chart is below the fold: nothing fetched for it yet
    page.get_by_test_id("run").click()
    page.locator("[data-testid=stage][data-shape='1x1x2x2']").wait_for()
    page.get_by_test_id("activation-chart").scroll_into_view_if_needed()
    error = page.get_by_test_id("chart-error")
    error.wait_for()
    assert "chart library did not load" in error.text_content()
    assert any(url.endswith("uPlot.esm.js") for url in requested)
    page.get_by_test_id("examples").locator("[data-example='1a']").click()  # still runs pipelines
    page.locator("[data-testid=example-result][data-status=match]").wait_for()


def test_state_changes_only_through_the_store(page) -> None:
    """The store hands views a frozen state: writing into it throws; an update notifies with the keys changed."""
    open_lab(page)
    got = page.evaluate("""async () => {
        "use strict";  // as in the page's modules
        const { createStore } = await import("/static/js/store.js");
        const store = createStore({ layers: [{ type: "ReLU" }], seed: 0 });
        const seen = [];
        store.subscribe((state, changed) => seen.push(changed.join()), ["seed"]);
        let refused = "";
        try { store.state.layers[0].type = "Tanh"; } catch (err) { refused = err.constructor.name; }
        store.update({ layers: [{ type: "Tanh" }] });  // not a key the subscriber asked for
        store.update({ seed: 3 });
        store.update({ seed: 3 });  // the same value: no notification
        return { refused, seen, seed: store.state.seed, type: store.state.layers[0].type };
    }""")
    assert got == {"refused": "TypeError", "seen": ["seed"], "seed": 3, "type": "Tanh"}


def test_api_docs_page_works_offline(page) -> None:
    """/docs is Swagger UI served from node_modules (FastAPI's default loads it from a CDN)."""
    page.goto("/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() >= 10
    assert page.get_by_text("/api/pipeline/run").count() >= 1


def test_the_cifar10_download_shows_its_progress_on_every_page(page) -> None:
    """GET /api/datasets/cifar10 as a server downloading the archive answers it: the bar follows."""
    progress = {"state": "downloading", "bytes": 40 * 2**20, "total": 160 * 2**20, "error": None}

    def with_download(route) -> None:  # the real answer, with the download's progress added
        real = route.fetch()
        route.fulfill(response=real, json={**real.json(), "download": dict(progress)})

    page.route("**/api/datasets/cifar10", with_download)
    for path in ("/", "/training"):
        progress.update(state="downloading", bytes=40 * 2**20)
        page.goto(path)
        bar = page.get_by_test_id("dataset-download")
        bar.wait_for()
        assert bar.get_attribute("data-state") == "downloading"
        assert page.locator("#dataset-download-bar").evaluate("p => p.value / p.max") == 0.25
        assert "40.0 MB of 160 MB" in bar.text_content()
        progress.update(state="done", bytes=160 * 2**20)
        page.wait_for_selector("[data-testid=dataset-download][data-state=done]")
        assert "Reload the page" in bar.text_content()
    progress.clear()
    page.unroute("**/api/datasets/cifar10")
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    assert page.get_by_test_id("dataset-download").is_hidden()  # no download: no bar
