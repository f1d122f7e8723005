"""The lesson schema and loader refuse what a teacher could get wrong, with words that say what to change."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.lessons import all_lessons, read_lesson
from app.lessons.schema import Lesson

T = {"en": "Text", "zh-CN": "文字"}
RUN = {"input": {"source": "tensor", "data": [1, -1]}, "layers": [{"type": "ReLU"}]}


def lesson(**step: Any) -> dict[str, Any]:
    return {"id": "tiny", "order": 1, "title": T, "summary": T, "steps": [{"title": T, "text": T, **step}]}


def test_a_valid_lesson() -> None:
    predict = {"answer": "value", "index": [1], "question": T, "explanation": T}
    assert Lesson.model_validate(lesson(run=RUN, predict=predict, select={"stage": 1})).steps[0].predict.tolerance == 1e-3


@pytest.mark.parametrize(("step", "words"), [
    ({"run": RUN, "predict": {"answer": "value", "question": T, "explanation": T}}, 'needs "index"'),
    ({"run": RUN, "predict": {"answer": "shape", "index": [0], "question": T, "explanation": T}}, 'takes no "index"'),
    ({"predict": {"answer": "loss", "question": T, "explanation": T}}, 'give the step a "run"'),
    ({"run": {**RUN, "layers": [{"type": "Conv3d"}]}}, "Conv3d"),
    ({"run": RUN, "text": {"en": "Only English", "zh-CN": "  "}}, "zh-CN"),
    ({"run": RUN, "predict": {"answer": "guess", "question": T, "explanation": T}}, "answer"),
])
def test_mistakes_are_refused_in_words(step: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        Lesson.model_validate(lesson(**step))


def test_the_id_is_the_file_name_and_a_broken_file_is_left_out_of_the_list(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "tiny.json").write_text(json.dumps(lesson(run=RUN)), encoding="utf-8")
    (tmp_path / "other.json").write_text(json.dumps(lesson(run=RUN)), encoding="utf-8")  # id "tiny" in other.json
    with pytest.raises(ValueError, match='"id" is \'tiny\' but the file is named \'other\''):
        read_lesson(tmp_path / "other.json")
    with caplog.at_level(logging.WARNING, logger="app.lessons"):
        assert [x.id for x in all_lessons(tmp_path)] == ["tiny"]
    assert "other.json left out" in caplog.text


def test_a_broken_file_asked_for_by_id_is_a_404_saying_what_is_wrong(tmp_path: Path) -> None:
    from app.errors import NotFoundError
    from app.lessons import lesson as lesson_by_id

    (tmp_path / "tiny.json").write_text(json.dumps(lesson(run=RUN, text={"en": "Only English", "zh-CN": " "})), encoding="utf-8")
    with pytest.raises(NotFoundError, match="tiny.*does not validate.*zh-CN"):
        lesson_by_id("tiny", tmp_path)
