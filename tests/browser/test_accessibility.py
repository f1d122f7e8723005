"""Accessibility in Chromium: axe-core finds no violation of any impact on any page, in English and in
Chinese (the lab after a run, also with the detail view open; /training after a short job; /activations;
/docs; a step of /learn), and the lab can be driven from the keyboard alone."""

from __future__ import annotations

import pytest

from tests.browser.axe import axe_violations, describe
from tests.browser.test_inspect import CONV_BY_HAND
from tests.browser.test_lab import open_lab
from tests.browser.test_training import SMALL_NET, wait_status
from tests.browser.training_page import open_dashboard, start

pytestmark = pytest.mark.browser


@pytest.fixture(params=["en", "zh-CN"])
def lang(request, page, server: str) -> str:
    """The pages' language for the test: the switch's cookie, as a reader who chose it has."""
    page.context.add_cookies([{"name": "layerlab_lang", "value": request.param, "url": server}])
    return request.param


def assert_no_violations(page, lang: str = "en") -> None:
    assert page.evaluate("document.documentElement.lang") == lang  # the page in the language asked for
    violations = axe_violations(page)
    assert not violations, f"{len(violations)} axe violations on {page.url} ({lang}):\n{describe(violations)}"


def test_the_lab_after_a_run_and_its_detail_view(page, lang: str) -> None:
    open_lab(page, CONV_BY_HAND)
    page.get_by_test_id("stage").nth(1).wait_for()
    assert_no_violations(page, lang)
    page.locator("[data-testid=stage][data-index='1'] [data-testid=open-detail]").first.click()  # Inspect, in either language
    detail = page.get_by_test_id("stage-detail")
    detail.locator(".pixels canvas").first.wait_for()
    detail.locator(".pixels canvas").first.click(position={"x": 1, "y": 1})  # the arithmetic panel open too
    detail.get_by_test_id("arith-equation").wait_for()
    assert_no_violations(page, lang)


def test_training_after_a_short_job(page, lang: str) -> None:
    open_dashboard(page, SMALL_NET)
    start(page, batch_size=4, max_steps=20, epochs=1)
    wait_status(page, "succeeded")
    assert_no_violations(page, lang)
    if lang != "en":
        return  # the words below are checked in English
    # The chart in words, politely: the last of the 20 steps, a trend, the best epoch (the run's only one).
    summary = page.get_by_test_id("loss-summary")
    assert summary.get_attribute("aria-live") == "polite"
    summary.filter(has_text="step 20: loss").wait_for()
    assert "Best epoch" in summary.text_content() and "Trend: " in summary.text_content()
    # Opened again, the finished run's words come with its history, not after the quiet interval (4 s).
    page.reload()
    page.wait_for_selector("[data-testid=loss-chart][data-points='20']")  # the history is in (however long that took)
    page.get_by_test_id("loss-summary").filter(has_text="step 20: loss").wait_for(timeout=1000)


@pytest.mark.parametrize("path", ["/activations", "/docs"])
def test_other_pages(page, lang: str, path: str) -> None:
    page.goto(path)
    page.wait_for_selector("[data-testid=activation-chart][data-series] canvas" if path == "/activations" else ".opblock-summary-control")
    assert_no_violations(page, lang)


def test_a_lesson_step_with_its_stages_and_prediction(page, lang: str) -> None:
    page.goto("/learn/conv-by-hand/2")
    page.locator("#stages [data-testid=stage]").first.wait_for()  # the input, shown before the prediction
    page.get_by_test_id("predict-input").wait_for()
    assert_no_violations(page, lang)
    page.get_by_test_id("predict-input").fill("1, 1, 3, 3")  # and revealed, with the verdict and the formula
    page.get_by_test_id("predict-reveal").click()
    page.locator("#stages [data-testid=stage]").nth(1).wait_for()
    assert_no_violations(page, lang)


def test_skip_link_is_the_first_tab_stop_and_reaches_run(page) -> None:
    open_lab(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to Run"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.dataset.testid") == "run"
    assert "#s=" in page.url  # the lab's state stays in the URL


def tab_to(page, predicate: str, limit: int = 80, key: str = "Tab") -> int:
    """Presses Tab (or `key`) until `predicate` (JS, on document.activeElement `e`) holds; answers the presses."""
    for n in range(1, limit + 1):
        page.keyboard.press(key)
        if page.evaluate(f"(e => Boolean({predicate}))(document.activeElement)"):
            return n
    raise AssertionError(f"{predicate} not reached in {limit} presses of {key}")


def test_a_keyboard_only_walk_through_the_lab(page) -> None:
    open_lab(page, CONV_BY_HAND)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link
    page.keyboard.press("Enter")  # Run
    page.get_by_test_id("stage").nth(1).wait_for()
    # Tab onto stage 1's map and move over its 3×3 values: the value and its receptive field follow.
    tab_to(page, "e.matches('img.map[data-stage=\"1\"]') && e.closest('[data-index=\"1\"]')")
    info = page.get_by_test_id("rf-info")
    page.keyboard.press("ArrowRight")  # the first key selects the first value
    info.filter(has_text="Stage 1: 1×1 (sample 0, channels 0, rows 0, cols 0)").wait_for()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    info.filter(has_text="rows 1, cols 1) reads 3×3 (sample 0, channels 0, rows 1–3, cols 1–3) of the input").wait_for()
    hit = page.locator("[data-index='1'] .rf-hit")
    assert (hit.get_attribute("data-rows"), hit.get_attribute("data-cols")) == ("1-1", "1-1")
    assert page.locator("[data-index='0'] .rf-box").first.get_attribute("data-rows") == "1-3"
    # Back to its Inspect button, open the detail view, move, pick a value, step through the arithmetic.
    tab_to(page, "e.getAttribute('aria-label') === 'Inspect stage 1'", limit=5, key="Shift+Tab")
    page.keyboard.press("Enter")
    detail = page.get_by_test_id("stage-detail")
    detail.locator(".pixels canvas").first.wait_for()
    page.keyboard.press("ArrowRight")
    assert detail.get_by_test_id("value-under-cursor").text_content() == "[0, 0, 0, 1] = 12"
    page.keyboard.press("Enter")
    panel = detail.get_by_test_id("arithmetic")
    panel.locator("h4").filter(has_text="output [0, 0, 0, 1] = 12").wait_for()
    tab_to(page, "e.dataset.testid === 'arith-next'", limit=40)
    page.keyboard.press("Enter")
    panel.locator("h4").filter(has_text="output [0, 0, 0, 2] = 12").wait_for()
    page.keyboard.press("Escape")
    assert not detail.is_visible()


def test_each_map_says_what_it_shows(page) -> None:
    open_lab(page, CONV_BY_HAND)
    alt = page.locator("[data-index='1'] img.map[data-stage='1']").get_attribute("alt")
    assert alt.startswith("Stage 1 output: Conv2d(1, 1, kernel_size=(3, 3)")
    assert "shape 1×1×3×3. min 3 · max 18 · mean " in alt and "dark purple for the lowest values" in alt
    assert page.locator("[data-index='1'] img.map[data-stage='0']").get_attribute("alt").startswith(
        "Stage 1 input (the output of stage 0), shape 1×1×5×5. min 0 · max 5")
