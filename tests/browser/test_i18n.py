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


def test_the_servers_data_in_chinese_on_a_chinese_page(page) -> None:
    """The examples' titles, the layers' descriptions and the shipped networks come from the API in the page's language."""
    open_ready(page, lab_url(TENSOR_START) .replace("/#", "/?lang=zh-CN#"))
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    examples = page.get_by_test_id("examples")
    examples.get_by_text("手算卷积，stride 1").wait_for(state="attached")
    assert "Conv by hand" not in examples.text_content()
    card = page.get_by_test_id("layer-card").first
    assert card.locator(".doc").text_content() == "保留每个窗口中的最大值。"
    assert card.get_by_test_id("layer-type").input_value() == "MaxPool2d"  # torch's name kept
    page.get_by_test_id("models-list").get_by_text("例 14，在 CIFAR-10 上训练", exact=True).wait_for(state="attached")

    open_ready(page, lab_url({"input": {"source": "cifar10", "split": "test", "index": 0}, "layers": [{"type": "ReLU"}]}))
    page.wait_for_function("/ — \\S+$/.test(document.getElementById('input-summary').textContent)")  # the class, once the server says it
    word = page.locator("#input-summary").text_content().rsplit(" — ", 1)[1]
    assert word in "飞机 汽车 鸟 猫 鹿 狗 青蛙 马 船 卡车".split(), word  # CIFAR-10's class in Chinese


def test_pages_work_in_english_words_when_the_catalogue_cannot_load(page) -> None:
    page.route("**/api/i18n/**", lambda route: route.abort())
    page.allow_failed_request("net::ERR_FAILED", "/api/i18n/")
    open_ready(page, "/?lang=zh-CN" + lab_url(TENSOR_START)[1:])
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_test_id("run").inner_text() == "运行 ▶"  # the server's words are Chinese
    stage = run_and_wait(page)
    assert "min " in stage.inner_text()  # the scripts fell back to the English msgids
    assert page.locator("#input-summary").inner_text().startswith("Input: Tensor")
