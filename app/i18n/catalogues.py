"""The message catalogues, read from the .po files and compiled in memory once at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"


class Locale(StrEnum):
    """The pages' languages, as BCP 47 tags (``<html lang>``, ``?lang=``, the cookie)."""

    EN = "en"
    ZH_CN = "zh-CN"

    @property
    def gettext_name(self) -> str:  # the catalogue's folder: zh_CN
        return self.value.replace("-", "_")


LOCALES = tuple(Locale)
SOURCE = Locale.EN  # msgids are the English text


def po_path(locale: Locale) -> Path:
    return LOCALE_DIR / locale.gettext_name / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(locale: Locale) -> Catalog:
    with po_path(locale).open("rb") as f:
        return read_po(f, locale=locale.gettext_name, domain=DOMAIN)


def translated(catalog: Catalog) -> dict[str, str]:
    """msgid → msgstr for the entries that have a translation (fuzzy and empty ones fall back to English)."""
    return {
        m.id: m.string for m in catalog
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string and not m.fuzzy
    }


@dataclass(frozen=True)
class Compiled:
    translations: NullTranslations  # for the templates
    messages: dict[str, str]  # msgid → text, for static/js/i18n.js (GET /api/i18n/{locale})


def _compile(locale: Locale) -> Compiled:
    if locale == SOURCE:
        return Compiled(NullTranslations(), {})
    catalog = read_catalog(locale)
    mo = BytesIO()
    write_mo(mo, catalog)  # fuzzy entries are left out, as msgfmt does
    mo.seek(0)
    return Compiled(Translations(mo, domain=DOMAIN), translated(catalog))


class Catalogues:
    """Every locale's compiled catalogue, made once (the app's start)."""

    def __init__(self) -> None:
        self._compiled = {locale: _compile(locale) for locale in LOCALES}

    def __getitem__(self, locale: Locale) -> Compiled:
        return self._compiled[locale]
