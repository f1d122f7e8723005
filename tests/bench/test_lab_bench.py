"""bench/lab_bench.py runs: real Run clicks (each sends its run, none is sent before), timed until painted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.chromium import CHROMIUM
from tests.live_server import ROOT


def test_the_lab_bench_times_run_clicks_until_painted() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    # It raises when a trial's click sends no run, or a run leaves before the click (a thumbnail or a seed).
    out = subprocess.run([sys.executable, "bench/lab_bench.py", "2"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=True).stdout
    assert re.search(r"this checkout: click → every stage painted, 2 trials .*: p50 [\d.]+ ms, p90 [\d.]+ ms", out), out
    assert re.search(r"server time of the run alone \(Server-Timing\): p50 [\d.]+ ms", out), out
