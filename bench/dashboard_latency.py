"""Step → chart latency of the training dashboard: how long after a step's loss was measured its
point is on the loss chart.

    scripts/run bench/dashboard_latency.py [--steps 300] [--batch 16]

Serves the app (tests/live_server.py: its own data dir and the bundled CIFAR-10 sample), opens
/training in headless Chromium, starts example 14 from the form and records,
at every chart update, `Date.now() − time` of the newest point drawn (`time` is the worker's Unix
time of the step, carried by the SSE event; the page measures it just before uPlot draws, in the same
animation frame). Prints p50/p95/p99/max over the run and the target (~100 ms).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.chromium import ARGS, CHROMIUM  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

TARGET_MS = 100

# Every change of the chart's data-latency-ms attribute, kept in the page.
RECORD = """() => {
  window.latencies = [];
  const chart = document.querySelector('[data-testid=loss-chart]');
  new MutationObserver(() => window.latencies.push(Number(chart.dataset.latencyMs)))
    .observe(chart, { attributes: true, attributeFilter: ['data-latency-ms'] });
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LiveServer(Path(tmp) / "data") as server, sync_playwright() as p:
        base = server.url
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(base_url=base)
        page.goto("/training")
        page.wait_for_selector("body[data-ready=true]")
        page.evaluate(RECORD)
        page.locator("#f-max_steps").fill(str(args.steps))
        page.locator("#f-batch_size").fill(str(args.batch))
        page.locator("#f-epochs").fill("100")
        page.get_by_test_id("train-start").click()
        page.locator("[data-testid=job-status][data-status=succeeded]").wait_for(timeout=600_000)
        latencies = sorted(page.evaluate("window.latencies"))
        points = page.get_by_test_id("loss-chart").get_attribute("data-points")
        browser.close()
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    print(f"example 14, batch {args.batch}, {points} steps drawn in {len(latencies)} chart updates")
    print(f"step → chart latency ms: p50 {q[49]:.0f}, p95 {q[94]:.0f}, p99 {q[98]:.0f}, max {latencies[-1]:.0f} "
          f"(target ~{TARGET_MS}: p99/target = {q[98] / TARGET_MS:.2f})")


if __name__ == "__main__":
    main()
