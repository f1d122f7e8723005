"""Which language a page is written in: ``?lang=`` > cookie ``layerlab_lang`` > Accept-Language > English."""

from __future__ import annotations

from starlette.requests import Request

from .catalogues import LOCALES, SOURCE, Locale

QUERY = "lang"
COOKIE = "layerlab_lang"


def parse_locale(tag: str | None) -> Locale | None:
    """One of our locales for a language tag: exact (case-insensitive) or by language alone
    (``zh``, ``zh-Hans``, ``zh-TW`` → zh-CN, the one Chinese we have; ``en-GB`` → en)."""
    if not tag:
        return None
    tag = tag.strip().replace("_", "-").lower()
    for locale in LOCALES:
        if tag == locale.value.lower():
            return locale
    language = tag.split("-")[0]
    return next((locale for locale in LOCALES if locale.value.lower().split("-")[0] == language), None)


def accepted(header: str) -> list[str]:
    """The tags of an Accept-Language header, most wanted first (q=0 dropped; ties keep their order)."""
    ranked = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag and tag != "*" and q > 0:
            ranked.append((-q, i, tag))
    return [tag for _, _, tag in sorted(ranked)]


def choose_locale(request: Request) -> Locale:
    for tag in (request.query_params.get(QUERY), request.cookies.get(COOKIE)):
        if (locale := parse_locale(tag)) is not None:
            return locale
    for tag in accepted(request.headers.get("accept-language", "")):
        if (locale := parse_locale(tag)) is not None:
            return locale
    return SOURCE
