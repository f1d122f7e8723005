"""Security headers on every response, and CORS only when origins are configured.

The Content-Security-Policy allows scripts, styles, images and requests from the app's own origin
only: the pages have no inline script or handler (Swagger UI's start-up is ``static/js/docs.js``).
``data:`` images are allowed for the favicon and Swagger UI's icons, ``blob:`` for the preview of a
picture chosen for upload (an object URL the page itself makes).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from ..settings import Settings
from .timing import AppendHeaders

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders(AppendHeaders):
    def headers(self, started: float) -> list[tuple[bytes, bytes]]:
        return HEADERS


def install_cors(app: FastAPI, settings: Settings) -> None:
    """Other origins may call the API only when ``LAYERLAB_CORS_ORIGINS`` names them (never credentials)."""
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "DELETE"], allow_headers=["*"]
        )
