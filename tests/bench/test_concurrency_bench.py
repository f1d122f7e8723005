"""bench/concurrency_bench.py runs: one server process, one client then two, answers compared with lone runs."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.live_server import ROOT


@pytest.mark.parametrize(("batch", "images"), [("1", "one CIFAR-10 image"), ("4", "4 CIFAR-10 images")])
def test_the_concurrency_bench_measures_one_process_and_finds_every_answer_identical(batch: str, images: str) -> None:
    out = subprocess.run(
        [sys.executable, "bench/concurrency_bench.py", "1", "--web-workers", "1", "--batch", batch],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=True,
    ).stdout
    assert re.search(r"ratio:\s+[\d.]+", out) and "LAYERLAB_WEB_WORKERS=1" in out and "WORKERS=2" not in out, out
    assert f"{images} a request" in out, out
    assert re.search(r"\d+ concurrent answers vs the same requests computed alone: all identical", out), out
