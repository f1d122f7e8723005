"""A prediction's expected answer, read from the step's run (torch's numbers), and the learner's answer checked against it.

Nothing here is typed by the lesson's author: the shape, value, gradient, loss or parameter count is
taken from the run that ``POST /api/pipeline/run`` gives for the step's state.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import FieldError
from ..runs import RunResult
from .schema import Answer, Predict, Text


class LessonError(Exception):
    """A lesson step that does not fit its own run (a stage or index it does not have)."""


@dataclass(frozen=True)
class Expected:
    value: list[int] | float | int
    formula: str | None  # the engine's output-size formula for a shape, with its numbers

    def as_text(self) -> str:
        if isinstance(self.value, list):
            return "(" + ", ".join(map(str, self.value)) + ")"
        return f"{self.value:.6g}" if isinstance(self.value, float) else str(self.value)


@dataclass(frozen=True)
class Verdict:
    correct: bool
    answer: list[int] | float
    expected: Expected
    explanation: Text


def expected_answer(predict: Predict, result: RunResult) -> Expected:
    """Torch's answer to ``predict`` in ``result``; LessonError when the step asks for what the run lacks."""
    stages = len(result.trace.stages)
    k = stages if predict.stage is None else predict.stage
    if k > stages:
        raise LessonError(f"stage {k} does not exist: the run has stages 0 (the input) to {stages}")
    if predict.answer == Answer.PARAMS:
        return Expected(sum(s.stage.params for s in result.trace.stages), None)
    if predict.answer == Answer.SHAPE:
        tensor, _ = result.stage(k)
        formula = result.trace.stages[k - 1].stage.size_formula if k else None
        return Expected(list(tensor.shape), formula)
    grads = result.trace.grads
    if predict.answer == Answer.LOSS:
        if grads is None or grads.loss is None:
            raise LessonError('a "loss" prediction needs the run\'s "backward" to name a loss')
        return Expected(grads.loss, None)
    if predict.answer == Answer.GRAD:
        if grads is None:
            raise LessonError('a "grad" prediction needs "backward" in the run')
        tensor = grads.stages[k].tensor
    elif predict.answer == Answer.INDICES:
        indices = result.trace.stages[k - 1].indices if k else None
        if indices is None:
            raise LessonError(f"stage {k} gives no indices: only a MaxPool2d with return_indices does")
        tensor = indices
    else:
        tensor, _ = result.stage(k)
    index = tuple(predict.index or ())
    if len(index) != tensor.dim() or any(i >= n for i, n in zip(index, tensor.shape)):
        raise LessonError(f"index {list(index)} is not in stage {k}, whose shape is {list(tensor.shape)}")
    value = tensor[index].item()
    return Expected(value if predict.answer == Answer.INDICES else float(value), None)


_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d*)?(?:e-?\d+)?|-?\.\d+)\s*(?:/\s*(\d+(?:\.\d*)?)\s*)?$", re.IGNORECASE)


def read_answer(predict: Predict, text: str) -> list[int] | float:
    """The learner's text as a shape (any separators: "1×6×32×32", "(1, 6, 32, 32)") or a number ("1.333", "4/3")."""
    if predict.answer == Answer.SHAPE:
        dims = [int(d) for d in re.findall(r"\d+", text)]
        if not dims or re.search(r"[^\d\s×xX*,()\[\]]", text):
            raise FieldError(["answer"], f"A shape is whole numbers, e.g. 1, 6, 32, 32 (or 1×6×32×32); got {text!r}.")
        return dims
    match = _NUMBER.match(text)
    if not match:
        raise FieldError(["answer"], f"A value is one number, e.g. 1.333, -0.25 or 4/3; got {text!r}.")
    number, denominator = match.groups()
    if denominator is not None and float(denominator) == 0:
        raise FieldError(["answer"], f"{text!r} divides by zero.")
    return float(number) / (float(denominator) if denominator else 1.0)


def check(predict: Predict, result: RunResult, text: str) -> Verdict:
    """Whether ``text`` is torch's answer: a shape or count exactly, a value within the step's tolerance."""
    expected = expected_answer(predict, result)
    answer = read_answer(predict, text)
    if isinstance(expected.value, list):
        correct = answer == expected.value
    elif isinstance(expected.value, int):  # a count or an index
        correct = answer == expected.value
    else:
        correct = math.isclose(float(answer), expected.value, rel_tol=0.0, abs_tol=predict.tolerance)
    filled = {lang: getattr(predict.explanation, lang).replace("{expected}", expected.as_text()) for lang in ("en", "zh_CN")}
    return Verdict(correct, answer, expected, Text(**filled))
