"""The pages' language: ?lang= > cookie layerlab_lang > Accept-Language > English; the scripts' catalogue."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from app.i18n.negotiate import accepted, parse_locale


def html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


@pytest.mark.parametrize("page", ["/", "/training", "/activations", "/learn", "/docs"])
def test_accept_language_zh_cn_renders_chinese(client: TestClient, page: str) -> None:
    html = client.get(page, headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}).text
    assert html_lang(html) == "zh-CN"
    assert 'data-testid="lang-switch"' in html and 'hreflang="en"' in html


def test_the_lab_is_written_in_chinese(client: TestClient) -> None:
    html = client.get("/", headers={"Accept-Language": "zh-CN"}).text
    assert "流水线" in html and "训练" in html
    assert ">Pipeline<" not in html


def test_english_without_a_preference(client: TestClient) -> None:
    html = client.get("/").text
    assert html_lang(html) == "en" and ">Pipeline<" in html and "流水线" not in html
    assert 'hreflang="zh-CN"' in html


def test_query_overrides_the_browser_and_sticks(client: TestClient) -> None:
    r = client.get("/?lang=en", headers={"Accept-Language": "zh-CN"})
    assert html_lang(r.text) == "en" and ">Pipeline<" in r.text
    assert r.cookies.get("layerlab_lang") == "en"
    # The client keeps the cookie: the next page, asked for without ?lang=, stays English.
    assert html_lang(client.get("/training", headers={"Accept-Language": "zh-CN"}).text) == "en"


def test_the_cookie_beats_accept_language(client: TestClient) -> None:
    client.cookies.set("layerlab_lang", "zh-CN")
    assert html_lang(client.get("/", headers={"Accept-Language": "en-GB"}).text) == "zh-CN"
    assert html_lang(client.get("/?lang=en").text) == "en"  # and ?lang= beats the cookie


def test_an_unknown_choice_falls_through(client: TestClient) -> None:
    r = client.get("/?lang=klingon", headers={"Accept-Language": "fr, zh;q=0.5"})
    assert html_lang(r.text) == "zh-CN" and "layerlab_lang" not in r.cookies


def test_the_scripts_catalogue(client: TestClient) -> None:
    zh = client.get("/api/i18n/zh-CN")
    assert zh.status_code == 200 and zh.json()["Pipeline"] == "流水线"
    assert client.get("/api/i18n/en").json() == {}
    assert client.get("/api/i18n/fr").status_code == 422


@pytest.mark.parametrize(
    ("header", "tags"),
    [("zh-CN,zh;q=0.9,en;q=0.8", ["zh-CN", "zh", "en"]), ("en;q=0.2, zh-TW", ["zh-TW", "en"]), ("*, fr;q=0", []), ("", [])],
)
def test_accept_language_order(header: str, tags: list[str]) -> None:
    assert accepted(header) == tags


@pytest.mark.parametrize(
    ("tag", "locale"), [("zh-CN", "zh-CN"), ("zh_cn", "zh-CN"), ("zh-Hans", "zh-CN"), ("zh", "zh-CN"), ("en-GB", "en"), ("de", None)]
)
def test_tags_map_to_our_locales(tag: str, locale: str | None) -> None:
    assert parse_locale(tag) == locale
