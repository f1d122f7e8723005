"""/learn in Chromium: a lesson walked with the keyboard only (Tab and Enter), a prediction wrong then
right with the stages revealed from the API, the browser's back button over steps, shared step URLs
opened directly, and the lesson in Chinese."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Presses Tab until the focused element matches `selector` (a keyboard user's way there)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"{selector} not reached with {limit} Tabs")


def expect_step(page, title: str) -> None:
    """Waits until the step shown is the one titled `title` (the page draws it after fetching the lesson)."""
    expect(page.get_by_test_id("lesson-step").locator("h3")).to_have_text(title)


def answer(page, text: str) -> str:
    """Types `text` into the focused prediction field and presses Enter; the verdict's text."""
    verdict = page.get_by_test_id("predict-verdict")
    before = verdict.text_content()
    page.keyboard.press("Control+a")
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_function("(b) => { const v = document.querySelector('[data-testid=predict-verdict]').textContent; return v && v !== b; }", arg=before)
    return verdict.text_content()


def test_a_lesson_walked_with_the_keyboard_predicting_wrong_then_right(page) -> None:
    page.goto("/learn")
    tab_to(page, 'a[href="/learn/conv-by-hand/1"]')
    page.keyboard.press("Enter")
    page.wait_for_url("**/learn/conv-by-hand/1")
    expect(page.get_by_test_id("lesson").locator("h2")).to_have_text("Convolution by hand")
    expect_step(page, "The input")
    page.locator("#stages [data-testid=stage]").first.wait_for()  # the input, run through the API

    tab_to(page, "#step-next")
    page.keyboard.press("Enter")
    page.wait_for_url("**/learn/conv-by-hand/2")
    expect_step(page, "How big is the output?")
    tab_to(page, "[data-testid=predict-input]")
    stages = page.locator("#stages [data-testid=stage]")
    expect(stages.first).to_be_visible()  # the input to reason from; only the answer's stage hidden
    assert stages.first.get_attribute("data-shape") == "1x1x5x5"
    expect(stages.nth(1)).to_be_hidden()
    expect(page.get_by_test_id("step-concealed")).to_have_text("Stages from 1 on are hidden until you answer.")
    verdict = answer(page, "1, 1, 5, 5")
    assert "Not quite" in verdict and "(1, 1, 5, 5)" in verdict
    expect(stages.nth(1)).to_be_hidden()
    verdict = answer(page, "1×1×3×3")
    assert "Right: torch gives (1, 1, 3, 3)." in verdict
    assert "⌊(5 + 0 − 3) / 1⌋ + 1 = 3" in verdict  # the explanation, and the engine's formula with its numbers:
    assert "H, W: ⌊(5 + 2·0 − 1·(3 − 1) − 1) / 1⌋ + 1 = 3" in verdict
    expect(stages.nth(1)).to_be_visible()
    expect(page.get_by_test_id("step-concealed")).to_be_hidden()
    assert stages.count() == 2 and stages.nth(1).get_attribute("data-shape") == "1x1x3x3"

    tab_to(page, "#step-next")
    page.keyboard.press("Enter")
    page.wait_for_url("**/learn/conv-by-hand/3")
    tab_to(page, "[data-testid=predict-input]")
    assert "Not quite" in answer(page, "12")
    tab_to(page, "[data-testid=predict-reveal]")  # the reveal button itself, by keyboard
    page.keyboard.press("Shift+Tab")
    verdict = answer(page, "10")
    assert "Right: torch gives 10." in verdict and "= 10." in verdict and "null" not in verdict  # a value has no size formula
    assert page.locator("#stages .stage.selected td.picked").text_content() == "10"  # the value the step points at, torch's

    page.go_back()
    page.wait_for_url("**/learn/conv-by-hand/2")
    expect_step(page, "How big is the output?")
    expect(page.get_by_test_id("predict-verdict")).to_have_text("")  # a fresh prediction
    page.go_back()
    page.wait_for_url("**/learn/conv-by-hand/1")
    expect_step(page, "The input")
    page.go_forward()
    page.wait_for_url("**/learn/conv-by-hand/2")
    expect_step(page, "How big is the output?")


def test_a_shared_step_opens_directly_and_in_chinese(page) -> None:
    page.goto("/learn/pooling/5")
    expect_step(page, "divisor_override")
    page.get_by_test_id("predict-input").fill("4/3")
    page.get_by_test_id("predict-reveal").click()
    page.get_by_test_id("predict-verdict").get_by_text("Right: torch gives 1.3333.").wait_for()
    page.locator("#stages [data-testid=stage]").nth(1).wait_for()

    page.goto("/learn/conv-by-hand/5")  # the last step leads on to the next lesson
    expect(page.locator("#step-next")).to_have_text("Next lesson →")
    assert page.locator("#step-next").get_attribute("href") == "/learn/pooling/1"

    page.goto("/learn?lesson=unpooling&step=2")
    page.wait_for_url("**/learn/unpooling/2")
    expect_step(page, "The indices")
    page.get_by_test_id("predict-input").fill("11")
    page.get_by_test_id("predict-reveal").click()
    page.get_by_test_id("predict-verdict").get_by_text("2 · 4 + 3 = 11").wait_for()
    lab = page.locator("#open-in-lab").get_attribute("href")
    assert lab.startswith("/#s=")  # the same state in the lab

    page.goto("/learn/conv-by-hand/3?lang=zh-CN")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    expect_step(page, "手算一个值")
    expect(page.locator("#step-count")).to_have_text("第 3 步，共 5 步")
    page.get_by_test_id("predict-input").fill("10")
    page.get_by_test_id("predict-reveal").click()
    page.get_by_test_id("predict-verdict").get_by_text("正确：torch 给出的是 10。").wait_for()


def test_a_value_prediction_shows_its_input_and_hides_its_answer(page) -> None:
    page.goto("/learn/conv-by-hand/3")  # the top-left value of a Conv2d's output
    expect_step(page, "One value by hand")
    stages = page.locator("#stages [data-testid=stage]")
    expect(stages.first).to_be_visible()
    expect(stages.first.locator("table.matrix td").first).to_have_text("1")  # the input's values, before the reveal
    expect(stages.nth(1)).to_be_hidden()
    page.get_by_test_id("predict-input").fill("10")
    page.get_by_test_id("predict-reveal").click()
    expect(stages.nth(1)).to_be_visible()
    expect(page.locator("#stages .stage.selected td.picked")).to_have_text("10")


def test_a_gradient_prediction_shows_the_forward_pass_and_hides_the_gradients(page) -> None:
    page.goto("/learn/activations/3")
    page.locator("#stages [data-testid=stage]").nth(1).wait_for()  # the forward stages, all of them
    expect(page.locator("#grad-stages")).to_be_hidden()
    expect(page.locator("#step-loss")).to_be_hidden()
    page.get_by_test_id("predict-input").fill("99")
    page.get_by_test_id("predict-reveal").click()
    page.get_by_test_id("predict-show").click()
    expect(page.locator("#grad-stages [data-testid=stage]").first).to_be_visible()


def test_the_training_lesson_opens_the_training_page_with_a_short_job(page) -> None:
    page.goto("/learn/first-training/4")
    expect_step(page, "Train it")
    link = page.locator("#step-link")
    before = link.bounding_box()
    page.locator("#stages [data-testid=stage]").last.wait_for()  # the step's run, drawn after its text
    assert link.bounding_box()["y"] == before["y"]  # the link did not move under the reader's finger
    link.click()
    page.wait_for_url("**/training?job=*")
    expect(page.locator("#f-max_steps")).to_have_value("200")
    expect(page.locator("#f-batch_size")).to_have_value("32")


def test_open_in_the_lab_gives_the_same_run_there(page) -> None:
    page.goto("/learn/losses/2")  # MSELoss of [2, 3, 4] against [2, 3, 7]
    expect_step(page, "MSELoss")
    page.locator("#open-in-lab").click()
    page.wait_for_url("**/#s=*")
    expect(page.locator("#loss-value")).to_have_text("loss = 3.0000")
    expect(page.locator("#stages [data-testid=stage]").first).to_have_attribute("data-shape", "1x1x1x3")
