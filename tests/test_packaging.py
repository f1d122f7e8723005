"""The installed package (the Docker image's ``pip install .``) carries every data file the app reads.

A file under ``app/`` that is not Python reaches an installed copy only when a pattern of
``[tool.setuptools.package-data]`` names it. The Chinese catalogue and the lessons were once left out:
the checkout worked, the image did not start.
"""

from __future__ import annotations

import tomllib
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]


def test_every_data_file_under_app_is_package_data() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["app"]
    app = ROOT / "app"
    data = [PurePosixPath(p.relative_to(app).as_posix()) for p in app.rglob("*")
            if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts]
    assert data, "no data files found under app/"
    missing = [str(p) for p in data if not any(p.match(pattern) for pattern in patterns)]
    assert not missing, f"not in [tool.setuptools.package-data] of pyproject.toml, so not installed: {missing}"
