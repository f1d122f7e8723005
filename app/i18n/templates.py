"""Jinja2's i18n extension on the app's templates, translating each page into its request's language.

The gettext callables are installed once (newstyle: ``{{ _("Run") }}``, ``{% trans n=3 %}…``); they
look the translations up in the render context, which a context processor fills per request, so two
requests in two languages never share state.
"""

from __future__ import annotations

from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.requests import Request

from .catalogues import Catalogues, Locale
from .negotiate import COOKIE, QUERY, choose_locale, parse_locale

TRANSLATIONS = "i18n_translations"


@pass_context
def _gettext(context: Context, message: str) -> str:
    return context[TRANSLATIONS].gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return context[TRANSLATIONS].ngettext(singular, plural, n)


def install_i18n(templates: Jinja2Templates, catalogues: Catalogues) -> None:
    env = templates.env
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True  # {% trans %} text's line breaks and indents are one space (as babel.cfg extracts it)
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]

    def language(request: Request) -> dict[str, Any]:
        locale = choose_locale(request)
        compiled = catalogues[locale]
        other = Locale.ZH_CN if locale == Locale.EN else Locale.EN
        return {
            "lang": locale.value,
            "other_lang": other.value,
            TRANSLATIONS: compiled.translations,
        }

    templates.context_processors.append(language)


def remember_choice(request: Request, response: Any) -> None:
    """A page asked for with ``?lang=`` keeps that language (the switch's link works without scripts)."""
    if (locale := parse_locale(request.query_params.get(QUERY))) is not None:
        response.set_cookie(COOKIE, locale.value, max_age=365 * 24 * 3600, path="/", samesite="lax")
