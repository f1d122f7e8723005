"""bench/models_bench.py runs: import + first run against torch alone (in-process and against a real server),
the floor of the same requests through an app that does no work, and a stored model against weights in memory."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.live_server import ROOT


def test_the_models_bench_compares_layerlab_and_its_floor_with_torch() -> None:
    # It raises when layerlab's answer disagrees with torch's output for the same file and image.
    out = subprocess.run([sys.executable, "bench/models_bench.py", "1"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=True).stdout
    ratio = r"[\d.]+ ms = [\d.]+x torch"
    assert re.search(rf"\(a\) import \+ first run, in-process: layerlab {ratio}", out), out
    assert re.search(rf"\(a\) import \+ first run, real server: layerlab {ratio}", out), out
    assert re.search(rf"\(c\) .* no work, in-process: {ratio}", out), out
    assert re.search(rf"\(c\) .* no work, real server: {ratio}", out), out
    assert re.search(r"\(b\) run with weights_from a model [\d.]+ ms, weights in memory [\d.]+ ms; ratio [\d.]+", out), out
