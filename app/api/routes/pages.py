"""HTML pages: the lab (input, pipeline builder, stages, examples, activation explorer).

The page is one Jinja2 template; all behaviour lives in ES modules under ``static/js`` that speak
the public REST contract (``/api/...``), so the page adds no endpoint of its own.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ... import __version__

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[3] / "templates")

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def lab(request: Request) -> HTMLResponse:
    """The lab: choose an input, build a pipeline, run it and inspect every stage."""
    return TEMPLATES.TemplateResponse(request, "lab.html", {"version": __version__})


@router.get("/activations", response_class=HTMLResponse)
def activations(request: Request) -> HTMLResponse:
    """The activation explorer on its own page."""
    return TEMPLATES.TemplateResponse(request, "activations.html", {"version": __version__})
