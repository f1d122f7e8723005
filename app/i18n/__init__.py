"""The pages' two languages: English msgids, Simplified Chinese from one gettext catalogue.

``app/i18n/locales/zh_CN/LC_MESSAGES/messages.po`` is the one source of the Chinese text. It is read
and compiled in memory by Babel at start-up (no .mo file in the tree); templates translate through
Jinja2's ``jinja2.ext.i18n`` (newstyle) and the page's scripts through ``static/js/i18n.js``, which
fetch the same catalogue as JSON (``GET /api/i18n/{locale}``). API answers stay English (the contract).
"""

from .catalogues import LOCALES, Catalogues, Locale
from .negotiate import COOKIE, QUERY, choose_locale
from .templates import install_i18n, remember_choice

__all__ = ["COOKIE", "LOCALES", "QUERY", "Catalogues", "Locale", "choose_locale", "install_i18n", "remember_choice"]
