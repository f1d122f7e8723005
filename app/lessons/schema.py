"""What a lesson file is: the pydantic schema every ``app/lessons/*.json`` is validated against.

A lesson is data, so a teacher adds one without code: a title, a summary and steps. Each step says
something (``text``), may set the lab's state (``run``: exactly the body of ``POST /api/pipeline/run``,
so layers are torch's classes with torch's argument names and defaults), may point at one stage or
value (``select``) and may ask the learner to ``predict`` a shape or a value before it is shown. The
expected answer is never written here: the server runs the step through the same engine as the lab
(app/lessons/answers.py) and compares the learner's answer with torch's.
Every text is given in both of the site's languages, ``{"en": "...", "zh-CN": "..."}``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ..runs import RunRequest

Sentence = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Text(BaseModel):
    """One text in every language of the site: English and Simplified Chinese, neither left empty."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    en: Sentence
    zh_CN: Sentence = Field(alias="zh-CN")


class Answer(StrEnum):
    """What a prediction is about, read from the step's run."""

    SHAPE = "shape"  # the output shape of stage `stage`: exact
    VALUE = "value"  # one value of stage `stage`'s output, at `index`: within `tolerance`
    INDICES = "indices"  # one of the indices a MaxPool2d with return_indices gives, at `index`: exact
    GRAD = "grad"  # one value of ∂loss/∂ stage `stage`'s output (the run needs "backward"): within `tolerance`
    LOSS = "loss"  # the run's loss (the run needs "backward" with a loss): within `tolerance`
    PARAMS = "params"  # the pipeline's parameter count: exact


class Predict(BaseModel):
    """The learner types ``answer`` before it is shown; ``explanation`` is shown on reveal.

    ``{expected}`` in the explanation is replaced by torch's answer; a shape's explanation is followed
    by the engine's output-size formula of that stage, with its numbers.
    """

    model_config = ConfigDict(extra="forbid")
    answer: Answer
    stage: int | None = Field(None, ge=0, description="0 is the input, k is layer k's output; none: the last stage.")
    index: list[Annotated[int, Field(ge=0)]] | None = Field(None, description="The value's index in that stage's tensor, e.g. [0, 0, 1, 2].")
    tolerance: float = Field(1e-3, ge=0, description="How far a typed value may be from torch's (value, grad, loss).")
    question: Text
    explanation: Text

    @model_validator(mode="after")
    def _index_when_a_value(self) -> Predict:
        wants_index = self.answer in (Answer.VALUE, Answer.INDICES, Answer.GRAD)
        if wants_index and self.index is None:
            raise ValueError(f'a "{self.answer}" prediction needs "index": which value of the stage, e.g. [0, 0, 1, 2]')
        if not wants_index and self.index is not None:
            raise ValueError(f'a "{self.answer}" prediction takes no "index" (only "value", "indices" and "grad" do)')
        return self


class Selection(BaseModel):
    """The stage (and optionally the value) the step points at."""

    model_config = ConfigDict(extra="forbid")
    stage: int = Field(ge=0)
    index: list[Annotated[int, Field(ge=0)]] | None = None


class Link(BaseModel):
    """A page of layerlab to open from the step (e.g. /training with a small job)."""

    model_config = ConfigDict(extra="forbid")
    href: str = Field(pattern=r"^/[^/]", description="A path on this site.")
    label: Text


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Text
    text: Text
    run: RunRequest | None = Field(None, description="The lab's state for this step: a body of POST /api/pipeline/run.")
    select: Selection | None = None
    predict: Predict | None = None
    link: Link | None = None

    @model_validator(mode="after")
    def _run_when_needed(self) -> Step:
        if self.run is None and (self.select or self.predict):
            raise ValueError('"select" and "predict" read the step\'s run: give the step a "run"')
        return self


class Lesson(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", description="The file's name without .json; used in URLs.")
    order: int = Field(description="Where the lesson comes in the list (smallest first).")
    title: Text
    summary: Text
    steps: list[Step] = Field(min_length=1, max_length=20)
