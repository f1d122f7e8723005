"""``/api/lessons``: the guided lessons of /learn, and the check of a learner's prediction against torch's answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from ...errors import NotFoundError
from ...lessons import all_lessons, lesson
from ...lessons.answers import check
from ...lessons.schema import Lesson, Text
from ..deps import RunsDep

router = APIRouter(prefix="/api/lessons", tags=["lessons"])
_UNKNOWN = {404: {"description": "No lesson with that id, no such step, or a step that asks for no prediction"}}
StepNumber = Annotated[int, Path(ge=1, description="1 is the first step, as in /learn/{id}/{n}.")]


class LessonSummary(BaseModel):
    id: str
    title: Text
    summary: Text
    steps: int


class Lessons(BaseModel):
    lessons: list[LessonSummary]


class LearnerAnswer(BaseModel):
    answer: str = Field(max_length=200, description='What the learner typed: a shape ("1, 6, 32, 32", "1×6×32×32") or a number ("1.333", "4/3").')


class CheckResult(BaseModel):
    correct: bool
    answer: list[int] | float = Field(description="The learner's answer as it was read.")
    expected: list[int] | float = Field(description="torch's answer, from the step's run (the same engine as POST /api/pipeline/run).")
    tolerance: float | None = Field(description="How far a value may be from torch's; null for a shape or a count (exact).")
    explanation: Text = Field(description="Why, in both languages: the arithmetic, with {expected} filled in.")
    formula: str | None = Field(description="For a shape: the engine's output-size formula of that stage, with its numbers.")
    run_id: str


@router.get("", response_model=Lessons, summary="Every lesson: id, title, summary and step count, in teaching order")
def lessons() -> Lessons:
    return Lessons(lessons=[
        LessonSummary(id=x.id, title=x.title, summary=x.summary, steps=len(x.steps)) for x in all_lessons()
    ])


# As written in the file (defaults left out): a step's run is what the page posts to /api/pipeline/run.
@router.get("/{lesson_id}", response_model=Lesson, response_model_exclude_unset=True, responses=_UNKNOWN,
            summary="One lesson, validated: its steps with their lab state and predictions")
def one_lesson(lesson_id: str) -> Lesson:
    return lesson(lesson_id)


@router.post("/{lesson_id}/steps/{n}/check", response_model=CheckResult, responses=_UNKNOWN,
             summary="Check a learner's prediction against torch's answer for that step")
def check_step(lesson_id: str, n: StepNumber, body: LearnerAnswer, runs: RunsDep) -> CheckResult:
    found = lesson(lesson_id)
    if n > len(found.steps):
        raise NotFoundError(f"Lesson {lesson_id!r} has steps 1 to {len(found.steps)}; there is no step {n}.")
    step = found.steps[n - 1]
    if step.predict is None or step.run is None:
        raise NotFoundError(f"Step {n} of lesson {lesson_id!r} asks for no prediction.")
    result = runs.run(step.run)
    verdict = check(step.predict, result, body.answer)
    exact = not isinstance(verdict.expected.value, float)
    return CheckResult(correct=verdict.correct, answer=verdict.answer, expected=verdict.expected.value,
                       tolerance=None if exact else step.predict.tolerance, explanation=verdict.explanation,
                       formula=verdict.expected.formula, run_id=result.run_id)
