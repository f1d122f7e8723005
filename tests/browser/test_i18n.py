"""The pages in Chinese: the header's switch, the choice sticking, a pipeline run in Chinese (the server's
template words and the scripts' words), and English words when the scripts' catalogue cannot be had."""

from __future__ import annotations

import pytest

from .test_lab import TENSOR_START, lab_url

pytestmark = pytest.mark.browser


def open_ready(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")


def run_and_wait(page) -> object:
    page.get_by_test_id("run").click()
    last = page.get_by_test_id("stage").last
    last.wait_for()
    return last


def test_the_switch_turns_the_lab_and_training_chinese_and_sticks(page) -> None:
    open_ready(page, lab_url(TENSOR_START))
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_test_id("lang-switch").click()
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    page.wait_for_selector("body[data-ready=true]")
    assert "#s=" in page.url and "lang=" not in page.url  # the lab's state kept, no ?lang= left behind
    # The template's words (the server) and the scripts' words (t()) are both Chinese.
    assert page.get_by_role("navigation").get_by_text("流水线").is_visible()
    assert page.get_by_test_id("run").inner_text() == "运行 ▶"
    stage = run_and_wait(page)
    assert stage.get_attribute("data-shape") == "1x1x2x2"
    assert "最小值" in stage.inner_text() and "min " not in stage.inner_text()
    assert page.locator("#input-summary").inner_text().startswith("输入：张量")
    assert page.get_by_test_id("layer-card").first.get_attribute("aria-label").startswith("第 1 层：MaxPool2d")  # torch's name kept

    page.goto("/training")  # no ?lang=: the cookie says Chinese
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_test_id("train-start").inner_text().startswith("开始训练")
    page.get_by_test_id("train-data").filter(has_text="CIFAR-10").wait_for()
    assert "训练" in page.get_by_test_id("train-data").inner_text()  # written by training/data-note.js
    page.get_by_test_id("lang-switch").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.get_by_test_id("train-start").inner_text().startswith("Start training")


def test_pages_work_in_english_words_when_the_catalogue_cannot_load(page) -> None:
    page.route("**/api/i18n/**", lambda route: route.abort())
    page.allow_failed_request("net::ERR_FAILED", "/api/i18n/")
    open_ready(page, "/?lang=zh-CN" + lab_url(TENSOR_START)[1:])
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_test_id("run").inner_text() == "运行 ▶"  # the server's words are Chinese
    stage = run_and_wait(page)
    assert "min " in stage.inner_text()  # the scripts fell back to the English msgids
    assert page.locator("#input-summary").inner_text().startswith("Input: Tensor")
