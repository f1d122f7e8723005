"""What a worker is given (app/jobs/backend.py): the server's settings, never its secrets, with paths
that mean the same in any working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.jobs.backend import LocalProcessBackend, settings_env
from app.settings import Settings


def test_workers_get_the_settings_but_not_the_api_token(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_token="s3cret", max_jobs=3)
    env = settings_env(settings)
    assert env["LAYERLAB_MAX_JOBS"] == "3" and "LAYERLAB_API_TOKEN" not in env
    assert "s3cret" not in LocalProcessBackend(settings)._env.values()


def test_a_relative_data_dir_reaches_the_worker_as_the_servers_absolute_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(data_dir=Path("data"))
    assert settings.data_dir == tmp_path / "data"
    monkeypatch.chdir("/")  # a worker started elsewhere (Ray's working dir, another node) reads the same folder
    assert settings_env(settings)["LAYERLAB_DATA_DIR"] == str(tmp_path / "data")
