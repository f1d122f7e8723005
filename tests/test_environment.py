"""tests/conftest.py: a developer's LAYERLAB_* variables do not reach the tests."""

from __future__ import annotations

import os
import subprocess
import sys

from app.settings import Settings
from tests.live_server import ROOT


def test_no_layerlab_variable_but_the_kept_ones_is_set() -> None:
    assert {name for name in os.environ if name.startswith("LAYERLAB_")} <= {"LAYERLAB_DEV_CIFAR10_DIR"}
    assert Settings().max_layers == Settings.model_fields["max_layers"].default


def test_a_developers_exported_settings_do_not_change_a_test_run() -> None:
    exported = {**os.environ, "LAYERLAB_MAX_LAYERS": "1", "LAYERLAB_RATE_LIMIT": "1/hour", "LAYERLAB_DEV_CIFAR10_DIR": "/kept"}
    this = f"{__file__}::test_no_layerlab_variable_but_the_kept_ones_is_set"
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", this], cwd=ROOT, env=exported,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:]
