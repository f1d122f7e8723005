"""The pages' message catalogue for their scripts (static/js/i18n.js): msgid → text in one language."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ...i18n import Locale

router = APIRouter(prefix="/api", tags=["pages"])


@router.get("/i18n/{locale}", summary="The page strings' translations into one language (English msgid → text)")
def messages(locale: Locale, request: Request, response: Response) -> dict[str, str]:
    """Read from ``app/i18n/locales`` at start-up; ``en`` is empty (the msgids are English)."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return request.app.state.catalogues[locale].messages
