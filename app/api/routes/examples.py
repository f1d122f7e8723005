"""``GET /api/examples``: the worked examples and example 14's training job, from app/examples.py."""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ...examples import EXAMPLE_14_PARAMS, TRAINING_TITLE, WORKED
from ...i18n.catalogues import SOURCE
from ...i18n.data import translated_examples
from ...jobs.config import JobConfig
from ..deps import WordsDep

router = APIRouter(prefix="/api/examples", tags=["examples"])


class TrainingExample(BaseModel):
    id: str
    title: str
    params: int = Field(description="The network's parameter count.")
    job: dict[str, Any] = Field(description="The body of POST /api/jobs that trains it: every default of that endpoint.")


class Examples(BaseModel):
    worked: list[dict[str, Any]] = Field(
        description="Examples 1–13: an input and layers (a 'compare' pipeline B, 'upload': a photo of your own), or "
        "'curves' / 'losses'; 'checks' are the numbers torch prints, as the lab's Examples list checks them."
    )
    training: TrainingExample


@functools.cache
def _examples() -> Examples:
    job = JobConfig().as_json()
    return Examples(worked=WORKED, training=TrainingExample(id="14", title=TRAINING_TITLE, params=EXAMPLE_14_PARAMS, job=job))


@router.get("", response_model=Examples, summary="The worked examples with their expected numbers, and example 14's training job")
def examples(words: WordsDep) -> Examples:
    """Titles and statements in the request's language (?lang=, cookie, Accept-Language; English by default)."""
    english = _examples()
    if words.locale == SOURCE:
        return english
    return Examples(worked=translated_examples(english.worked, words),
                    training=english.training.model_copy(update={"title": words(english.training.title)}))
