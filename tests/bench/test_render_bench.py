"""bench/render_bench.py runs: torch against the API at small sizes (the figures themselves are the bench's, not a test's)."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.live_server import ROOT


def test_the_render_bench_prints_the_ratio_at_each_size() -> None:
    out = subprocess.run(
        [sys.executable, "bench/render_bench.py", "--quick", "--sizes", "48,64", "--rounds", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
    ).stdout
    # It also checked that the run's last statistics are torch's own (an assert in the bench).
    ratios = re.search(r"\(ii\)/\(i\) at 48x48: ([\d.]+), 64x64: ([\d.]+)", out)
    assert ratios and all(float(r) > 0 for r in ratios.groups()), out
    assert out.count("the lab's way") == 2 and "each map drawn when asked" in out, out
