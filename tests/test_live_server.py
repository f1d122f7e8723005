"""tests/live_server.py: the one way tests, benches and scripts start a real server."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.live_server import ROOT, LiveServer


def test_no_other_file_starts_a_server_of_its_own() -> None:
    command = '"-m", ' + '"app"'  # split, so this file does not name it
    starters = {
        path.relative_to(ROOT).as_posix()
        for folder in ("tests", "bench", "scripts")
        for path in (ROOT / folder).rglob("*.py")
        if command in path.read_text()
    }
    assert starters == {"tests/live_server.py"}


def test_the_server_gets_only_the_settings_given_not_the_callers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYERLAB_MAX_LAYERS", "1")
    server = LiveServer(tmp_path / "data", LAYERLAB_MAX_BATCH="7")
    assert "LAYERLAB_MAX_LAYERS" not in server._env and server._env["LAYERLAB_MAX_BATCH"] == "7"
    assert server._env["LAYERLAB_DATA_DIR"] == str(tmp_path / "data") and os.environ["LAYERLAB_MAX_LAYERS"] == "1"
    with server:
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
        assert server.rss_mb() > 0
    assert server.process is None
