"""The golden-file check itself can fail, says why and how to regenerate, and writes only when told to."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.golden_files import Golden, decoded_pixels
from tests.imagegen import encode, gradient


def _golden(tmp_path: Path, overwrite: bool = False) -> Golden:
    return Golden(tmp_path / "golden", overwrite, tmp_path / "actual", "tests/x.py::test_y")


def test_text_that_differs_fails_with_a_diff_and_the_flag(tmp_path: Path) -> None:
    _golden(tmp_path, overwrite=True).text("t.txt", "a\nb\n")
    _golden(tmp_path).text("t.txt", "a\nb\n")
    with pytest.raises(AssertionError) as failed:
        _golden(tmp_path).text("t.txt", "a\nc\n")
    message = str(failed.value)
    assert "-b" in message and "+c" in message
    assert "pytest 'tests/x.py::test_y' --overwrite-golden" in message
    assert (tmp_path / "golden" / "t.txt").read_text() == "a\nb\n"  # a failing comparison writes nothing


def test_missing_golden_file_fails_and_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="(?s)No golden file .*--overwrite-golden"):
        _golden(tmp_path).text("new.txt", "x")
    assert not (tmp_path / "golden" / "new.txt").exists()


def test_pictures_compare_decoded_pixels_not_bytes(tmp_path: Path) -> None:
    grey = gradient(20, 10, mode="L")
    _golden(tmp_path, overwrite=True).png("p.png", encode(grey, "PNG"))
    _golden(tmp_path).png("p.png", encode(grey, "PNG", compress_level=0))  # other bytes, same pixels
    _golden(tmp_path).png("p.png", encode(grey.convert("RGB"), "PNG"))  # other mode, same colours on screen
    assert np.array_equal(decoded_pixels((tmp_path / "golden" / "p.png").read_bytes()), np.asarray(grey.convert("RGB")))


def test_pictures_that_differ_report_count_and_size_and_keep_the_actual(tmp_path: Path) -> None:
    _golden(tmp_path, overwrite=True).png("maps/p.png", encode(gradient(20, 10), "PNG"))
    changed = np.asarray(gradient(20, 10)).copy()
    changed[3, 4] = [0, 0, 0]
    changed[5, 6, 1] ^= 7
    actual = encode(Image.fromarray(changed), "PNG")
    with pytest.raises(AssertionError) as failed:
        _golden(tmp_path).png("maps/p.png", actual)
    message = str(failed.value)
    expected = np.asarray(gradient(20, 10)).astype(int)
    max_diff = max(int(expected[3, 4].max()), int(np.abs(expected[5, 6, 1] - (expected[5, 6, 1] ^ 7))))
    assert "2 of 200 pixels differ" in message and f"max difference {max_diff} of 255" in message
    assert "--overwrite-golden" in message
    assert (tmp_path / "actual" / "p.png").read_bytes() == actual


def test_pictures_of_another_size_fail(tmp_path: Path) -> None:
    _golden(tmp_path, overwrite=True).png("p.png", encode(gradient(20, 10), "PNG"))
    with pytest.raises(AssertionError, match="20×11 px, its golden file 20×10 px"):
        _golden(tmp_path).png("p.png", encode(gradient(20, 11), "PNG"))
