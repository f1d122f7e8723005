"""HTML pages: the lab (input, pipeline builder, stages, examples, activation explorer).

The page is one Jinja2 template; all behaviour lives in ES modules under ``static/js`` that speak
the public REST contract (``/api/...``), so the page adds no endpoint of its own.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from ... import __version__
from ...engine.losses import LOSSES
from ...i18n import remember_choice
from ..deps import ModelsDep, WordsDep
from .examples import examples
from .layers import list_layers
from .models import list_models

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def lab(request: Request, words: WordsDep, models: ModelsDep) -> HTMLResponse:
    """The lab: choose an input, build a pipeline, run it and inspect every stage.

    The three GETs the lab's script starts with come answered in the page (static/js/api.js reads
    each once): three requests fewer before it is usable, each of which could wait behind the
    thread pool's queue on a busy server. The answers are the routes' own, serialised as theirs are.
    """
    answers = {
        "/api/layers": [entry.model_dump(mode="json", by_alias=True) for entry in list_layers(words)],
        "/api/models": list_models(models, words).model_dump(mode="json", by_alias=True),
        "/api/examples": examples(words).model_dump(mode="json", by_alias=True),
    }
    return _page(request, "lab.html", answers=answers)


@router.get("/activations", response_class=HTMLResponse)
def activations(request: Request) -> HTMLResponse:
    """The activation explorer on its own page."""
    return _page(request, "activations.html")


@router.get("/training", response_class=HTMLResponse)
def training(request: Request) -> HTMLResponse:
    """The training dashboard: start runs, follow their curves live, see what training changed."""
    return _page(request, "training.html")


@router.get("/learn", response_class=HTMLResponse)
@router.get("/learn/{lesson_id}", response_class=HTMLResponse)
@router.get("/learn/{lesson_id}/{n}", response_class=HTMLResponse)
def learn(request: Request) -> HTMLResponse:
    """Guided lessons (app/lessons/*.json): every step a lab state run live, predictions checked against torch.
    The page reads the lesson and step from its own address, so each step is a link to share."""
    return _page(request, "learn.html")


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI for the OpenAPI schema, from the npm package in node_modules (works offline).

    Our own page rather than FastAPI's, whose inline script the Content-Security-Policy forbids.
    """
    return _page(request, "docs.html")


def _page(request: Request, template: str, **page_context: Any) -> HTMLResponse:
    # Jinja2Templates autoescapes .html templates: a value rendered into a page is never markup.
    context = {"version": __version__, "losses": list(LOSSES), **page_context}  # losses: the lab's loss picker for Backward
    response = request.app.state.templates.TemplateResponse(request, template, context)
    remember_choice(request, response)  # ?lang= (the language switch) sticks as a cookie
    return response


@router.get("/favicon.ico")
def favicon(request: Request) -> FileResponse:
    """Browsers ask for /favicon.ico before reading the page's icon link: the same SVG."""
    icon = request.app.state.services.settings.web_dir / "static" / "favicon.svg"
    return FileResponse(icon, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})
