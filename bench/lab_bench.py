"""Click → every stage painted, in Chromium on loopback (issue 14's "instant").

    scripts/run bench/lab_bench.py [trials]

Starts the app on a free port (its own data dir, the bundled or configured CIFAR-10), opens the lab
with one CIFAR-10 test image through Conv2d(3,16,3,p=1) → ReLU → MaxPool2d(2) → Conv2d(16,32,3,p=1),
and per trial picks another image (a thumbnail click) and another seed, so neither the run nor any
map comes from a cache, then clicks Run. The time is measured in the page: from just before the
click until the frame after every stage image has loaded (complete, decoded). Prints p50 and p90,
and the server's own time for the run (Server-Timing) for comparison.
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, for tests.live_server
from tests.live_server import LiveServer  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
LAYERS = [
    {"type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1},
    {"type": "ReLU"},
    {"type": "MaxPool2d", "kernel_size": 2},
    {"type": "Conv2d", "out_channels": 32, "kernel_size": 3, "padding": 1},
]
STATE = {"input": {"source": "cifar10", "split": "test", "index": 0}, "layers": LAYERS, "seed": 0, "mode": "eval"}

# Runs in the page: click Run, then wait for a frame in which every stage image of the new run is loaded.
CLICK_TO_PAINT = """async () => {
  const before = new Set([...document.querySelectorAll('#stages img.map')].map((i) => i.src));
  const t0 = performance.now();
  document.querySelector('[data-testid=run]').click();
  for (;;) {
    await new Promise((r) => requestAnimationFrame(r));
    const imgs = [...document.querySelectorAll('#stages img.map')];
    if (imgs.length >= 9 && imgs.every((i) => !before.has(i.src) && i.complete && i.naturalWidth > 0)) break;
    if (performance.now() - t0 > 10000) throw new Error('stages not painted within 10 s');
  }
  await Promise.all([...document.querySelectorAll('#stages img.map')].map((i) => i.decode()));
  await new Promise((r) => requestAnimationFrame(r));
  const total = performance.now() - t0;
  const seen = performance.getEntriesByType('resource').filter((e) => e.startTime >= t0);
  const run = seen.find((e) => e.name.includes('/api/pipeline/run'));
  const maps = seen.filter((e) => /\/maps\/\d+\.png/.test(e.name));
  performance.clearResourceTimings();
  return { total, answered: run.responseEnd - t0, mapsAsked: Math.min(...maps.map((e) => e.startTime)) - run.responseEnd,
           mapsLoaded: Math.max(...maps.map((e) => e.responseEnd)) - t0 };
}"""


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory() as data_dir:
        configured = {k: v for k, v in os.environ.items() if k == "LAYERLAB_CIFAR10_DIR"}
        server = LiveServer(Path(data_dir), **configured).start()
        base = server.url
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                raw = base64.urlsafe_b64encode(json.dumps(STATE).encode()).decode().rstrip("=")
                page.goto(f"{base}/#s={raw}")
                page.wait_for_selector("body[data-ready=true]")
                page.locator("#tab-cifar").click()
                page.locator(".thumb").nth(trials + 2).wait_for()
                server_ms: list[float] = []
                map_ms: list[float] = []

                def timing(r) -> None:
                    dur = float(r.headers.get("server-timing", "app;dur=0").split("dur=")[1])
                    if "/api/pipeline/run" in r.url:
                        server_ms.append(dur)
                    elif "/maps/" in r.url:
                        map_ms.append(dur)

                page.on("response", timing)
                page.locator(".thumb").nth(1).click()  # warm-up: modules imported, first paint done
                page.evaluate(CLICK_TO_PAINT)
                server_ms.clear()
                map_ms.clear()
                trials_seen = []
                for trial in range(trials):
                    page.locator(".thumb").nth(trial + 2).click()  # a fresh image …
                    page.locator("#seed").fill(str(1000 + trial))  # … and a fresh seed: nothing cached
                    page.locator("#seed").dispatch_event("change")
                    trials_seen.append(page.evaluate(CLICK_TO_PAINT))
                browser.close()
        finally:
            server.stop()
    times = [t["total"] for t in trials_seen]
    median = {k: statistics.median(t[k] for t in trials_seen) for k in ("answered", "mapsAsked", "mapsLoaded")}
    print(f"click → every stage painted, {trials} trials (fresh image and seed each): "
          f"p50 {statistics.median(times):.1f} ms, p90 {_pct(times, 0.9):.1f} ms (target p50 ≤ 150 ms)")
    print(f"p50 of the parts: run answered {median['answered']:.1f} ms after the click; first map asked for "
          f"{median['mapsAsked']:.1f} ms after that; last map loaded at {median['mapsLoaded']:.1f} ms")
    print(f"server time of the run alone (Server-Timing): p50 {statistics.median(server_ms):.1f} ms "
          f"→ the page's share of p50: {statistics.median(times) - statistics.median(server_ms):.1f} ms; "
          f"one map's server time: p50 {statistics.median(map_ms):.1f} ms, p90 {_pct(map_ms, 0.9):.1f} ms")


if __name__ == "__main__":
    main()
