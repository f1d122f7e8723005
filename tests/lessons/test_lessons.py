"""Every lesson file: valid against the schema, in both languages, and every step run through the API
(its state runs, each prediction has an answer computed by torch that the check accepts, and a wrong
answer is refused). A teacher adding a lesson runs this file: the failure names the file and the field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.lessons import lesson_files, read_lesson
from app.lessons.schema import Lesson

FILES = lesson_files()
TOPICS = {"conv-by-hand", "pooling", "unpooling", "activations", "linear", "flatten", "losses", "first-training"}


def test_the_seed_topics_are_all_there() -> None:
    assert TOPICS <= {p.stem for p in FILES}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_lesson_file_is_valid(path: Path) -> None:
    lesson = read_lesson(path)  # raises with the field's path when the file is wrong
    assert 3 <= len(lesson.steps) <= 6, f"{path.name}: a lesson has 3 to 6 steps"


def _texts(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every {"en": ...} object of a lesson file, with its JSON path."""
    if isinstance(node, dict):
        found = [(where, node)] if "en" in node else []
        return found + [t for k, v in node.items() for t in _texts(v, f"{where}.{k}")]
    if isinstance(node, list):
        return [t for i, v in enumerate(node) for t in _texts(v, f"{where}[{i}]")]
    return []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_text_is_in_both_languages(path: Path) -> None:
    texts = _texts(json.loads(path.read_text(encoding="utf-8")))
    assert len(texts) >= 4
    for where, text in texts:
        assert set(text) == {"en", "zh-CN"}, f"{path.name}{where}: languages {sorted(text)}"
        assert text["en"].strip() and text["zh-CN"].strip(), f"{path.name}{where}: an empty text"
    # Titles and formulas may read alike in both (torch's names stay torch's); sentences must be Chinese, not a copy.
    for where, text in texts:
        if where.endswith((".summary", ".text", ".question")):
            assert any("\u4e00" <= c <= "\u9fff" for c in text["zh-CN"]), f"{path.name}{where}: zh-CN has no Chinese"


def test_a_missing_language_is_refused_by_the_schema() -> None:
    raw = json.loads(FILES[0].read_text(encoding="utf-8"))
    del raw["steps"][0]["text"]["zh-CN"]
    with pytest.raises(ValidationError, match=r"steps\.0\.text\.zh-CN"):
        Lesson.model_validate(raw)


def _wrong(expected: Any) -> str:
    if isinstance(expected, list):
        return ", ".join(str(d + 1) for d in expected)
    return str(expected + 1)


def _right(expected: Any) -> str:
    return ", ".join(map(str, expected)) if isinstance(expected, list) else repr(expected)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_step_runs_and_every_prediction_is_checked_against_torch(path: Path, client: TestClient) -> None:
    lesson = client.get(f"/api/lessons/{path.stem}")
    assert lesson.status_code == 200, lesson.text
    for n, step in enumerate(lesson.json()["steps"], start=1):
        if "run" in step:
            run = client.post("/api/pipeline/run", json=step["run"])
            assert run.status_code == 200, f"{path.name} step {n}: {run.text}"
            if "select" in step:
                assert step["select"]["stage"] <= len(run.json()["layers"]), f"{path.name} step {n}: select names no stage"
        if "predict" not in step:
            assert client.post(f"/api/lessons/{path.stem}/steps/{n}/check", json={"answer": "1"}).status_code == 404
            continue
        url = f"/api/lessons/{path.stem}/steps/{n}/check"
        first = client.post(url, json={"answer": "1"})
        assert first.status_code == 200, f"{path.name} step {n}: {first.text}"
        expected = first.json()["expected"]
        right = client.post(url, json={"answer": _right(expected)}).json()
        assert right["correct"], f"{path.name} step {n}: torch's own answer {expected} was refused"
        assert "{expected}" not in right["explanation"]["en"] and "{expected}" not in right["explanation"]["zh-CN"]
        wrong = client.post(url, json={"answer": _wrong(expected)}).json()
        assert not wrong["correct"], f"{path.name} step {n}: {_wrong(expected)} was accepted for {expected}"
