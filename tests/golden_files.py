"""Golden files (torchinfo's pattern): expected text and pictures kept in ``tests/golden/``.

A test hands what it produced to :class:`Golden`; it is compared with the stored file and the test
fails with a diff (text) or the count and size of the differing pixels (pictures). Files are written
only when pytest runs with ``--overwrite-golden``; review them with ``git diff tests/golden/``.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

GOLDEN_DIR = Path(__file__).parent / "golden"
REGENERATE = "If this output is right, rewrite the golden files with `pytest '{test}' --overwrite-golden` and review `git diff tests/golden/`."


def decoded_pixels(png: bytes) -> np.ndarray:
    """(H, W, 3) uint8 as any viewer shows the PNG: palette and grey pictures expanded to RGB."""
    with Image.open(io.BytesIO(png)) as im:
        return np.asarray(im.convert("RGB"))


@dataclass
class Golden:
    """Compares against (or, when ``overwrite``, rewrites) the files under ``directory``."""

    directory: Path
    overwrite: bool
    scratch: Path  # where a picture that differs is written, to be looked at
    test: str = "tests/"  # what to rerun with --overwrite-golden, named in failure messages

    def _path(self, name: str) -> Path:
        return self.directory / name

    def _fail(self, what: str) -> None:
        raise AssertionError(f"{what}\n{REGENERATE.format(test=self.test)}")

    def text(self, name: str, actual: str) -> None:
        path = self._path(name)
        if self.overwrite:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        if not path.exists():
            self._fail(f"No golden file {path}.")
        expected = path.read_text(encoding="utf-8")
        if actual != expected:
            diff = difflib.unified_diff(expected.splitlines(), actual.splitlines(), f"{path} (expected)", "actual", lineterm="")
            self._fail(f"{name} differs from its golden file:\n" + "\n".join(diff))

    def png(self, name: str, actual: bytes) -> None:
        """Same decoded pixels as the stored PNG (the bytes may differ: only what is seen counts)."""
        path = self._path(name)
        if self.overwrite:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Stored at Pillow's strongest compression: golden files stay small in the repository.
            Image.fromarray(decoded_pixels(actual)).save(path, optimize=True)
            return
        if not path.exists():
            self._fail(f"No golden file {path}.")
        expected, got = decoded_pixels(path.read_bytes()), decoded_pixels(actual)
        if expected.shape == got.shape and np.array_equal(expected, got):
            return
        self.scratch.mkdir(parents=True, exist_ok=True)
        written = self.scratch / Path(name).name
        written.write_bytes(actual)
        if expected.shape != got.shape:
            self._fail(f"{name}: the picture is {got.shape[1]}×{got.shape[0]} px, its golden file {expected.shape[1]}×{expected.shape[0]} px; actual written to {written}.")
        differs = np.any(expected != got, axis=-1)
        max_diff = int(np.abs(expected.astype(np.int16) - got.astype(np.int16)).max())
        self._fail(
            f"{name}: {int(differs.sum())} of {differs.size} pixels differ from the golden file "
            f"(max difference {max_diff} of 255); actual written to {written}."
        )
