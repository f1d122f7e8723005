"""Accessibility in Chromium: axe-core finds no violation of any impact on any page (the lab after a
run, also with the detail view open; /training after a short job; /activations; /docs; a step of
/learn), and the lab can be driven from the keyboard alone."""

from __future__ import annotations

import pytest

from tests.browser.axe import axe_violations, describe
from tests.browser.test_inspect import CONV_BY_HAND, open_detail
from tests.browser.test_lab import open_lab
from tests.browser.test_training import SMALL_NET, cancel_left_running, wait_status  # noqa: F401 (a fixture)
from tests.browser.training_page import open_dashboard, start

pytestmark = pytest.mark.browser


def assert_no_violations(page) -> None:
    violations = axe_violations(page)
    assert not violations, f"{len(violations)} axe violations on {page.url}:\n{describe(violations)}"


def test_the_lab_after_a_run_and_its_detail_view(page) -> None:
    open_lab(page, CONV_BY_HAND)
    page.get_by_test_id("stage").nth(1).wait_for()
    assert_no_violations(page)
    open_detail(page, CONV_BY_HAND, 1)
    detail = page.get_by_test_id("stage-detail")
    detail.locator(".pixels canvas").first.click(position={"x": 1, "y": 1})  # the arithmetic panel open too
    detail.get_by_test_id("arith-equation").wait_for()
    assert_no_violations(page)


def test_training_after_a_short_job(page, cancel_left_running) -> None:  # noqa: F811
    open_dashboard(page, SMALL_NET)
    start(page, batch_size=4, max_steps=20, epochs=1)
    wait_status(page, "succeeded")
    assert_no_violations(page)


@pytest.mark.parametrize("path", ["/activations", "/docs"])
def test_other_pages(page, path: str) -> None:
    page.goto(path)
    page.wait_for_selector("[data-testid=activation-chart][data-series] canvas" if path == "/activations" else ".opblock-summary-control")
    assert_no_violations(page)


def test_a_lesson_step_with_its_stages_and_prediction(page) -> None:
    page.goto("/learn/conv-by-hand/2")
    page.locator("#stages [data-testid=stage]").first.wait_for(state="attached")  # hidden until predicted
    page.get_by_test_id("predict-input").wait_for()
    assert_no_violations(page)


def test_skip_link_is_the_first_tab_stop_and_reaches_run(page) -> None:
    open_lab(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to Run"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.dataset.testid") == "run"
    assert "#s=" in page.url  # the lab's state stays in the URL
