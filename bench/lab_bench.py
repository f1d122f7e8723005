"""Click → every stage painted, in Chromium on loopback (issue 14's "instant").

    scripts/run bench/lab_bench.py [trials, default 15] [--compare OTHER_CHECKOUT]

Starts the app on a free port (its own data dir, the bundled or configured CIFAR-10), opens the lab
with one CIFAR-10 test image through Conv2d(3,16,3,p=1) → ReLU → MaxPool2d(2) → Conv2d(16,32,3,p=1),
and per trial picks another image (a thumbnail click) and another seed, so neither the run nor any
map comes from a cache, then clicks Run. Neither change runs anything (a learner sets them, then
clicks Run); each trial checks that no run was sent before its click, and that the click sent one
(the page's start-up run must be over first: while a run is in flight the Run button is disabled,
and a click on it did nothing: the trial then timed the start-up run's maps). The time is measured
in the page: from just before the click until the frame after every stage image has loaded
(complete, decoded). Prints p50 and p90, and the server's own time for the run (Server-Timing).

``--compare DIR`` also starts DIR's app (another checkout, e.g. ``git archive main | tar -x -C DIR``
with ``node_modules`` beside it) and opens its lab in the same browser; the trials alternate between
the two pages, so before and after see the same load.
"""

from __future__ import annotations

import argparse
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

# The page's own run of the state in its URL is over: Run enabled, every stage drawn.
SETTLED = """() => !document.querySelector('[data-testid=run]').disabled
  && document.querySelectorAll('#stages img.map').length >= 9
  && [...document.querySelectorAll('#stages img.map')].every((i) => i.complete && i.naturalWidth > 0)"""

# Runs in the page: click Run, then wait for a frame in which every stage image of the new run is loaded.
CLICK_TO_PAINT = """async () => {
  if (document.querySelector('[data-testid=run]').disabled) throw new Error('Run is disabled: a run is still in flight');
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
  if (!run) throw new Error('the click sent no POST /api/pipeline/run (the maps seen were not its run)');
  const maps = seen.filter((e) => /\/maps\/\d+\.png/.test(e.name));
  performance.clearResourceTimings();
  return { total, answered: run.responseEnd - t0, mapsAsked: Math.min(...maps.map((e) => e.startTime)) - run.responseEnd,
           mapsLoaded: Math.max(...maps.map((e) => e.responseEnd)) - t0 };
}"""


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Lab:
    """One lab page on one server, ready for trials: its start-up run over, the CIFAR-10 thumbnails shown."""

    def __init__(self, browser, server: LiveServer, trials: int) -> None:
        self.page = page = browser.new_page(viewport={"width": 1280, "height": 800})
        raw = base64.urlsafe_b64encode(json.dumps(STATE).encode()).decode().rstrip("=")
        page.goto(f"{server.url}/#s={raw}")
        page.wait_for_selector("body[data-ready=true]")
        page.wait_for_function(SETTLED, timeout=60_000)  # the start-up run (a cold server: seconds)
        page.locator("#tab-cifar").click()
        page.locator(".thumb").nth(trials + 2).wait_for()
        self.sent: list[str] = []  # runs asked for since the trial's state changed
        self.server_ms: list[float] = []
        self.map_ms: list[float] = []
        self.seen: list[dict] = []
        page.on("request", lambda r: "/api/pipeline/run" in r.url and self.sent.append(r.url))
        page.on("response", self._timing)
        self.trial(-1)  # warm-up: modules imported, first paint done
        self.server_ms.clear()
        self.map_ms.clear()
        self.seen.clear()

    def _timing(self, r) -> None:
        dur = float(r.headers.get("server-timing", "app;dur=0").split("dur=")[1])
        if "/api/pipeline/run" in r.url:
            self.server_ms.append(dur)
        elif "/maps/" in r.url:
            self.map_ms.append(dur)

    def trial(self, n: int) -> None:
        """Another image and seed (nothing cached; neither runs anything), then Run, timed until painted."""
        page = self.page
        page.locator(".thumb").nth(n + 2).click()  # a fresh image …
        page.locator("#seed").fill(str(1000 + n))  # … and a fresh seed
        page.locator("#seed").dispatch_event("change")
        page.wait_for_timeout(100)  # a run the changes started (none should) would be sent by now
        if self.sent:
            raise RuntimeError(f"trial {n}: a run was sent before the Run click: {self.sent}")
        self.seen.append(page.evaluate(CLICK_TO_PAINT))
        page.wait_for_function(SETTLED)  # the next trial starts with Run enabled
        self.sent.clear()

    def report(self, name: str) -> None:
        times = [t["total"] for t in self.seen]
        median = {k: statistics.median(t[k] for t in self.seen) for k in ("answered", "mapsAsked", "mapsLoaded")}
        print(f"{name}: click → every stage painted, {len(times)} trials (fresh image and seed each): "
              f"p50 {statistics.median(times):.1f} ms, p90 {_pct(times, 0.9):.1f} ms (target p50 ≤ 80 ms)")
        print(f"  p50 of the parts: run answered {median['answered']:.1f} ms after the click; first map asked for "
              f"{median['mapsAsked']:.1f} ms after its last byte (negative: before); last map loaded at {median['mapsLoaded']:.1f} ms")
        print(f"  server time of the run alone (Server-Timing): p50 {statistics.median(self.server_ms):.1f} ms "
              f"→ the page's share of p50: {statistics.median(times) - statistics.median(self.server_ms):.1f} ms; "
              f"one map's server time: p50 {statistics.median(self.map_ms):.1f} ms, p90 {_pct(self.map_ms, 0.9):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trials", nargs="?", type=int, default=15)
    parser.add_argument("--compare", type=Path, help="another checkout (e.g. `git archive main` unpacked, with node_modules): "
                        "its server and page too, trials alternating between the two (before/after in one run)")
    args = parser.parse_args()
    configured = {k: v for k, v in os.environ.items() if k == "LAYERLAB_CIFAR10_DIR"}
    roots = {"this checkout": Path(__file__).resolve().parents[1]}
    if args.compare:
        roots[f"--compare {args.compare}"] = args.compare.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        servers = {name: LiveServer(Path(tmp) / f"data{i}", root=root, **configured) for i, (name, root) in enumerate(roots.items())}
        try:
            for server in servers.values():
                server.start()
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
                labs = {name: Lab(browser, server, args.trials) for name, server in servers.items()}
                for n in range(args.trials):
                    for lab in labs.values():
                        lab.trial(n)
                browser.close()
        finally:
            for server in servers.values():
                server.stop()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    for name, lab in labs.items():
        lab.report(name)


if __name__ == "__main__":
    main()
