"""On a phone (390 × 844, touch): no page scrolls sideways (the lab after a run, with its detail view
open and a value tapped; /training after a short job; /activations; /docs; /learn), and the lab's
examples and its pipeline's layer cards start folded, unfolded by a tap or the keyboard."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.test_inspect import CONV_BY_HAND, TWO_CHANNELS
from tests.browser.test_lab import lab_url
from tests.browser.test_training import SMALL_NET, wait_status
from tests.browser.training_page import open_dashboard, start

pytestmark = pytest.mark.browser

WIDTH = 390


@pytest.fixture
def phone(browser, server: str) -> Iterator[object]:
    context = browser.new_context(viewport={"width": WIDTH, "height": 844}, base_url=server, has_touch=True, is_mobile=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def assert_fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(f"""[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > {WIDTH} + 1)
        .slice(0, 5).map(e => e.tagName + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert width <= WIDTH, f"{page.url} is {width} px wide at {WIDTH} px: {wide}"


def test_the_lab_after_a_run_with_the_detail_view_and_a_tapped_value(phone) -> None:
    phone.goto(lab_url(CONV_BY_HAND))
    phone.get_by_test_id("stage").nth(1).wait_for()
    assert_fits(phone)
    examples = phone.locator("details:has([data-testid=examples])")
    assert not examples.evaluate("d => d.open")  # the long list starts closed on a phone; a tap opens it
    examples.locator("summary").tap()
    assert examples.evaluate("d => d.open")
    phone.get_by_test_id("trace-table").wait_for()
    phone.get_by_role("button", name="Inspect stage 1", exact=True).tap()
    detail = phone.get_by_test_id("stage-detail")
    canvas = detail.locator("figure.tile[data-tile='0'] .pixels canvas")
    box = canvas.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH  # the map scaled to the screen
    canvas.tap(position={"x": box["width"] * 2.5 / 3, "y": box["height"] * 0.5 / 3})  # output [0, 0, 0, 2]
    detail.get_by_test_id("arithmetic").locator("h4").filter(has_text="output [0, 0, 0, 2] = 12").wait_for()
    assert_fits(phone)
    assert detail.evaluate("d => d.scrollWidth <= d.clientWidth")


def test_the_pipelines_layer_cards_fold_and_unfold_by_touch_and_keyboard(phone) -> None:
    phone.goto(lab_url(TWO_CHANNELS))
    phone.get_by_test_id("stage").nth(2).wait_for()
    cards = phone.get_by_test_id("layer-card")
    relu, pool = cards.nth(0), cards.nth(1)
    for card in (relu, pool):  # folded: the head (position, type, tools) and one line of arguments
        assert not card.locator("details.card-body").evaluate("d => d.open")
        assert card.get_by_test_id("layer-type").is_visible() and not card.locator(".fields").is_visible()
    assert relu.get_by_test_id("layer-summary").text_content() == "torch's defaults"
    assert pool.get_by_test_id("layer-summary").text_content() == "kernel_size=2"
    assert_fits(phone)

    pool.get_by_test_id("layer-summary").tap()  # a tap unfolds it; its fields edit the layer
    kernel = pool.get_by_label("kernel_size", exact=True)
    kernel.wait_for()
    kernel.fill("3")
    kernel.dispatch_event("change")
    pool.get_by_test_id("layer-summary").get_by_text("kernel_size=3").wait_for(state="attached")
    relu.get_by_test_id("layer-summary").focus()  # the keyboard: Enter on the summary
    phone.keyboard.press("Enter")
    assert relu.locator("details.card-body").evaluate("d => d.open")
    phone.keyboard.press("Enter")
    assert not relu.locator("details.card-body").evaluate("d => d.open")

    phone.get_by_test_id("add-layer").tap()  # a new card comes unfolded; the one unfolded stays so
    expect(cards).to_have_count(3)
    assert cards.nth(2).locator("details.card-body").evaluate("d => d.open")
    assert cards.nth(1).locator("details.card-body").evaluate("d => d.open")
    assert not cards.nth(0).locator("details.card-body").evaluate("d => d.open")
    assert_fits(phone)


def test_training_after_a_short_job(phone) -> None:
    open_dashboard(phone, SMALL_NET)
    start(phone, batch_size=4, max_steps=20, epochs=1)
    wait_status(phone, "succeeded")
    assert_fits(phone)
    chart = phone.get_by_test_id("loss-chart").locator("canvas").first
    assert chart.bounding_box()["width"] <= WIDTH  # the chart sized to the screen


@pytest.mark.parametrize("path", ["/activations", "/docs", "/learn/conv-by-hand/2"])
def test_other_pages(phone, path: str) -> None:
    phone.goto(path)
    phone.wait_for_load_state("networkidle")
    assert_fits(phone)
