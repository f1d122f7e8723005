"""The guided lessons of /learn: one JSON file per lesson in this folder, validated by :mod:`.schema`.

Files are read on every request (a handful of small files), so a teacher's new or edited lesson
shows up without a restart. ``tests/lessons/test_lessons.py`` validates every file and runs every step.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import ValidationError

from ..errors import NotFoundError
from .schema import Lesson

LESSONS_DIR = Path(__file__).parent
log = logging.getLogger(__name__)


def lesson_files(folder: Path = LESSONS_DIR) -> list[Path]:
    return sorted(folder.glob("*.json"))


def read_lesson(path: Path) -> Lesson:
    """One file, validated (pydantic's ValidationError names the field); its ``id`` must be its file name."""
    lesson = Lesson.model_validate_json(path.read_bytes())
    if lesson.id != path.stem:
        raise ValueError(f'{path.name}: "id" is {lesson.id!r} but the file is named {path.stem!r}; make them the same')
    return lesson


def all_lessons(folder: Path = LESSONS_DIR) -> list[Lesson]:
    """Every valid lesson, in the order their ``order`` fields give; a broken file is left out of the list
    (and logged: tests/lessons says what is wrong), so one teacher's draft does not hide the others."""
    found = []
    for path in lesson_files(folder):
        try:
            found.append(read_lesson(path))
        except (ValidationError, ValueError) as exc:
            log.warning("lesson %s left out: %s", path.name, exc)
    return sorted(found, key=lambda x: (x.order, x.id))


def lesson(lesson_id: str, folder: Path = LESSONS_DIR) -> Lesson:
    """One lesson by id; 404 for an id with no file, or a file that does not validate (left out of the list too)."""
    known = {p.stem: p for p in lesson_files(folder)}
    if lesson_id not in known:
        raise NotFoundError(f"No lesson {lesson_id!r}. The lessons are: {', '.join(sorted(known))}.")
    try:
        return read_lesson(known[lesson_id])
    except (ValidationError, ValueError) as exc:
        first = str(exc).strip().splitlines()
        raise NotFoundError(
            f"Lesson {lesson_id!r} is not available: its file does not validate ({' '.join(first[:3])}). "
            "Fix app/lessons/" + f"{lesson_id}.json; tests/lessons/test_lessons.py says what is wrong."
        ) from exc
