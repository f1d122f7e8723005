"""HTML pages: the lab (input, pipeline builder, stages, examples, activation explorer).

The page is one Jinja2 template; all behaviour lives in ES modules under ``static/js`` that speak
the public REST contract (``/api/...``), so the page adds no endpoint of its own.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from ... import __version__

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = Jinja2Templates(directory=ROOT / "templates")
FAVICON = ROOT / "static" / "favicon.svg"

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def lab(request: Request) -> HTMLResponse:
    """The lab: choose an input, build a pipeline, run it and inspect every stage."""
    return TEMPLATES.TemplateResponse(request, "lab.html", {"version": __version__})


@router.get("/activations", response_class=HTMLResponse)
def activations(request: Request) -> HTMLResponse:
    """The activation explorer on its own page."""
    return TEMPLATES.TemplateResponse(request, "activations.html", {"version": __version__})


@router.get("/training", response_class=HTMLResponse)
def training(request: Request) -> HTMLResponse:
    """The training dashboard: start runs, follow their curves live, see what training changed."""
    return TEMPLATES.TemplateResponse(request, "training.html", {"version": __version__})


@router.get("/docs", response_class=HTMLResponse)
def api_docs() -> HTMLResponse:
    """Swagger UI for the OpenAPI schema, from the npm package in node_modules (works offline)."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=f"layerlab {__version__} — API",
        swagger_js_url="/vendor/swagger-ui-dist/swagger-ui-bundle.js",
        swagger_css_url="/vendor/swagger-ui-dist/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """Browsers ask for /favicon.ico before reading the page's icon link: the same SVG."""
    return FileResponse(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})
