"""Remake the README's screenshots (docs/screenshots/*.png) from a live server in headless Chromium.

    scripts/run scripts/screenshots.py [--out docs/screenshots] [--lang zh-CN] [--phone]

Starts `python -m app` on a free port with a throwaway data dir (CIFAR-10 from LAYERLAB_CIFAR10_DIR
when set, else the bundled sample), drives the lab as a reader would, and waits for every map and
chart to be drawn before each picture. The test run never writes these files; run this after a
change to the page and look at the pictures before committing them. With --lang the browser asks
for that language (Accept-Language) and each file name carries it (lab-zh-CN-light.png). With --phone
it takes the phone set instead (390 × 844, touch, light and dark: the lab after an example, /training
after a short job, a /learn step, /activations; phone-lab-zh-CN-dark.png), to look at, not to commit.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.browser.chromium import ARGS, CHROMIUM  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

VIEWPORT = {"width": 1280, "height": 800}
STATIC_TOP = ("document.addEventListener('DOMContentLoaded', () => document.head.append(Object.assign("
              "document.createElement('style'), { textContent: '.top { position: static; }' })))")
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
# The receptive field of one value of the last Conv2d, on a CIFAR-10 cat.
RECEPTIVE = {"input": {"source": "cifar10", "split": "test", "index": 3},
             "layers": [{"type": "Conv2d", "out_channels": 6, "kernel_size": 5}, {"type": "ReLU"},
                        {"type": "MaxPool2d", "kernel_size": 2}, {"type": "Conv2d", "out_channels": 4, "kernel_size": 5}]}


def drawn(page: Page) -> None:
    """Waits until every map on the page has loaded (or failed) and fonts are ready."""
    page.wait_for_function("() => [...document.querySelectorAll('img.map')].every((i) => i.complete) && document.fonts.status === 'loaded'")


def open_lab(page: Page, state: dict | None = None) -> None:
    raw = "" if state is None else "#s=" + base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")
    page.goto(f"/{raw}")
    page.wait_for_selector("body[data-ready=true]")


def example(page: Page, example_id: str) -> None:
    page.get_by_test_id("examples").locator(f"[data-example='{example_id}']").click()
    page.locator("[data-testid=example-result][data-status=match]").wait_for(timeout=30_000)
    drawn(page)


def shoot(base: str, out: Path, lang: str = "en") -> list[Path]:
    shots = []
    suffix = "" if lang == "en" else f"-{lang}"

    def name(stem: str, scheme: str = "") -> Path:  # lab-zh-CN-light.png; lab-light.png in English
        return out / f"{stem}{suffix}{'-' + scheme if scheme else ''}.png"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport=VIEWPORT, base_url=base, color_scheme=scheme, locale=lang)
            page = context.new_page()
            open_lab(page)
            shots.append(name("builder", scheme))
            page.screenshot(path=shots[-1])
            example(page, "10")
            shots.append(name("lab", scheme))
            page.screenshot(path=shots[-1])
            page.goto("/activations")
            page.wait_for_selector("[data-testid=activation-chart][data-series='3'] canvas")
            shots.append(name("activations", scheme))
            page.screenshot(path=shots[-1])
            context.close()
        context = browser.new_context(viewport=VIEWPORT, base_url=base, locale=lang)
        page = context.new_page()
        page.add_init_script(STATIC_TOP)  # no sticky bar over an element
        open_lab(page)
        example(page, "1a")
        shots.append(name("example-1a"))
        page.locator("#results").screenshot(path=shots[-1])
        example(page, "11")  # ceil_mode on (A) beside off (B)
        shots.append(name("compare"))
        page.locator("#results").screenshot(path=shots[-1])
        open_lab(page, RECEPTIVE)
        last = page.locator("[data-testid=stage][data-index='4'] img.map[data-stage='4']")
        last.wait_for()
        drawn(page)
        box = last.bounding_box()
        last.click(position={"x": box["width"] * 0.6, "y": box["height"] * 0.3})
        page.locator("[data-testid=stage][data-index='0'] .rf-box").first.wait_for()
        page.evaluate("document.getElementById('stages').scrollLeft = 0")  # from the input on
        shots.append(name("receptive-field"))
        page.locator("#stages").screenshot(path=shots[-1])
        context.close()
        shots += training(browser, base, out, lang, suffix)
        browser.close()
    return shots


def training(browser, base: str, out: Path, lang: str, suffix: str) -> list[Path]:
    """/training after example 14 trained three epochs (Adam, batch 16) on the server's CIFAR-10."""
    config = {"epochs": 3, "batch_size": 16, "optimizer": "adam", "lr": 0.001}
    job_id = httpx.post(f"{base}/api/jobs", json=config).json()["job_id"]
    deadline = time.monotonic() + 900
    while httpx.get(f"{base}/api/jobs/{job_id}").json()["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(1)
    shots = []
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport=VIEWPORT, base_url=base, color_scheme=scheme, locale=lang)
        page = context.new_page()
        page.goto("/training")
        page.locator("[data-testid=probe-maps][data-epoch='3']").wait_for(timeout=30_000)
        drawn(page)
        shots.append(out / f"training{suffix}-{scheme}.png")
        page.screenshot(path=shots[-1], full_page=True)
        context.close()
    return shots


def phone(base: str, out: Path, lang: str = "en") -> list[Path]:
    """The phone set: each page at 390 × 844 in `lang`, light and dark, the whole page's length."""
    small = {"layers": [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2},
                        {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]}
    job = httpx.post(f"{base}/api/jobs", json={**small, "epochs": 1, "max_steps": 20, "batch_size": 8}, timeout=60).json()["job_id"]
    deadline = time.monotonic() + 300
    while httpx.get(f"{base}/api/jobs/{job}", timeout=60).json()["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(1)
    shots = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for scheme in ("light", "dark"):
            context = browser.new_context(base_url=base, color_scheme=scheme, locale=lang, bypass_csp=True, **PHONE)  # the style below
            page = context.new_page()
            page.add_init_script(STATIC_TOP)  # the whole page's length: no sticky bar drawn halfway down

            def shot(stem: str) -> None:
                page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach((i) => (i.loading = 'eager'))")  # below the fold too
                drawn(page)
                shots.append(out / f"phone-{stem}-{lang}-{scheme}.png")
                page.screenshot(path=shots[-1], full_page=True)

            open_lab(page)
            page.locator("details:has([data-testid=examples]) summary").tap()
            example(page, "10")
            shot("lab")
            page.goto("/training")  # it follows the newest run: the short job
            page.locator("[data-testid=probe-maps][data-epoch]").first.wait_for(timeout=30_000)
            shot("training")
            page.goto("/learn/conv-by-hand/3")
            page.locator("#stages [data-testid=stage]").first.wait_for()
            shot("learn")
            page.goto("/activations")
            page.wait_for_selector("[data-testid=activation-chart][data-series] canvas")
            shot("activations")
            context.close()
        browser.close()
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--lang", default="en", help="the pages' language: en or zh-CN (the browser's Accept-Language)")
    parser.add_argument("--phone", action="store_true", help="the phone set (390 × 844) instead of the README's pictures")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    dataset = {"LAYERLAB_CIFAR10_DIR": os.environ["LAYERLAB_CIFAR10_DIR"]} if os.environ.get("LAYERLAB_CIFAR10_DIR") else {}
    with tempfile.TemporaryDirectory() as tmp, LiveServer(Path(tmp) / "data", **dataset) as server:
        for path in (phone if args.phone else shoot)(server.url, args.out, args.lang):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
