"""The training dashboard (/training) in headless Chromium against a live server training for real.

The server trains on the bundled CIFAR-10 sample (500 training images: 8 steps an epoch at batch 64),
so short jobs finish in seconds; slower ones use a small batch.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import httpx
import pytest

from .training_page import open_dashboard, start
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

FINAL = ("succeeded", "failed", "cancelled")
SMALL_NET = [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}, {"type": "ReLU"},
             {"type": "MaxPool2d", "kernel_size": 4}, {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]


def points(page) -> int:
    return int(page.get_by_test_id("loss-chart").get_attribute("data-points") or 0)


def steps_of(page, job_id: str) -> int:
    """The loss-chart points of one run (the chart overlays other runs shown beside it)."""
    return int(page.get_by_test_id("runs-list").locator(f"li[data-job='{job_id}']").get_attribute("data-steps") or 0)


def wait_status(page, status: str, timeout: float = 60_000) -> None:
    page.locator(f"[data-testid=job-status][data-status={status}]").wait_for(timeout=timeout)


def test_short_job_curve_grows_and_succeeds(page, server: str) -> None:
    open_dashboard(page, SMALL_NET)
    job_id = start(page, batch_size=4, max_steps=60, epochs=1)
    seen = set()
    deadline = time.monotonic() + 60
    while page.get_by_test_id("job-status").text_content() not in FINAL and time.monotonic() < deadline:
        seen.add(steps_of(page, job_id))
        page.wait_for_timeout(50)
    wait_status(page, "succeeded")
    assert len({n for n in seen if 0 < n < 60}) >= 2, f"the curve did not grow live: {sorted(seen)}"
    assert steps_of(page, job_id) == 60  # a run left by another test may be shown beside it
    assert page.get_by_test_id("loss-chart").locator("canvas").count() == 1
    assert page.locator("#job-progress").evaluate("p => p.value === p.max")
    latency = int(page.get_by_test_id("loss-chart").get_attribute("data-latency-ms"))
    assert latency < 2000  # measured ~20-60 ms on loopback; bench/dashboard_latency.py reports it
    csv = page.request.get(page.locator("#job-csv").get_attribute("href")).text()
    assert csv.splitlines()[0] == "step,epoch,name,value,time" and csv.count("\n") > 60
    checkpoint = page.request.get(page.locator("#job-checkpoint").get_attribute("href"))
    assert checkpoint.ok and len(checkpoint.body()) > 1000
    assert page.get_by_test_id("runs-list").locator(f"li[data-job='{job_id}']").count() == 1


def test_layer_health_draws_beside_the_loss(page, server: str) -> None:
    open_dashboard(page, SMALL_NET)
    start(page, batch_size=4, max_steps=40, epochs=1, health_every=5)
    wait_status(page, "succeeded")
    health = page.get_by_test_id("layer-health")
    ratio = health.get_by_test_id("update-ratio-chart")
    page.wait_for_function("() => document.querySelector('[data-testid=update-ratio-chart]').dataset.points === '8'")
    assert ratio.get_attribute("data-band") == "0.000316-0.00316"  # the healthy band around 1e-3
    assert ratio.locator("canvas").count() == 1 and health.get_by_test_id("grad-norm-chart").locator("canvas").count() == 1
    assert ratio.evaluate("box => box.querySelector('.u-legend').textContent").count("Conv2d") == 1
    # the band is painted: many pixels of its translucent green (89, 161, 79) on the transparent canvas
    tinted = ratio.locator("canvas").evaluate("""c => {
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 20 && Math.abs(d[i] - 89) < 12 && Math.abs(d[i + 1] - 161) < 12 && Math.abs(d[i + 2] - 79) < 12) n++;
        return n;
    }""")
    assert tinted > 2000, tinted
    rows = health.get_by_test_id("health-table").locator("tbody tr")
    assert [r.locator("td").first.text_content() for r in rows.all()] == ["1 Conv2d", "5 Linear"]
    assert all(float(r.locator("td").nth(3).text_content()) > 0 for r in rows.all())
    hists = health.get_by_test_id("activation-histogram")
    assert hists.count() == 5 and "dead" in hists.nth(1).text_content() and "dead" not in hists.nth(0).text_content()
    assert hists.nth(1).locator(".bars span").count() == 30


def test_form_defaults_are_the_apis(page, server: str) -> None:
    """Example 14, SGD lr 0.01, batch 64, one epoch: the form starts what an empty POST /api/jobs starts."""
    open_dashboard(page)
    assert page.get_by_test_id("train-layer").count() == 9
    from_form = start(page)
    from_api = httpx.post(f"{server}/api/jobs", json={}).json()["job_id"]
    config = lambda job_id: httpx.get(f"{server}/api/jobs/{job_id}").json()["config"]  # noqa: E731
    assert config(from_form) == config(from_api)


def test_smoothing_log_scale_and_outliers(page, server: str) -> None:
    open_dashboard(page, SMALL_NET)
    start(page, batch_size=8, max_steps=40)
    wait_status(page, "succeeded")
    slider = page.get_by_test_id("smoothing")
    assert slider.input_value() == "0.6"
    slider.fill("0.95")
    assert page.locator("#smoothing-value").text_content() == "0.950"
    page.get_by_label("log scale").check()
    page.get_by_label("ignore outliers in scaling").check()
    page.locator("[data-testid=loss-chart][data-scale=log]").wait_for()  # redrawn on the log axis
    assert page.get_by_test_id("loss-chart").locator("canvas").count() == 1
    assert points(page) == 40


def test_cancel_a_long_job(page, server: str) -> None:
    open_dashboard(page, SMALL_NET)
    start(page, batch_size=2, epochs=50)
    wait_status(page, "running")
    # The chart's point count covers every overlaid run (earlier tests' too), so wait on this job's own facts.
    # A fresh worker imports torch and loads the data before its first steps: up to a minute on a busy machine.
    page.wait_for_function("() => / left/.test(document.querySelector('#job-facts').textContent)", timeout=60_000)
    facts = page.locator("#job-facts").text_content()  # e.g. "step 9 of 12500 · epoch 1 of 50 · 310 images/s · about 6 min 40 s left"
    assert " of 12500" in facts and "images/s" in facts and " left" in facts, facts
    page.get_by_test_id("job-cancel").click()
    started = time.monotonic()
    wait_status(page, "cancelled", timeout=10_000)
    assert time.monotonic() - started < 5
    assert page.get_by_test_id("job-cancel").is_disabled()
    stopped_at = points(page)
    page.wait_for_function("() => document.body.dataset.liveStreams === '0'")  # no stream left to bring points
    assert points(page) == stopped_at


def test_probe_scrubber_shows_each_checkpoint(page, server: str) -> None:
    open_dashboard(page, SMALL_NET)
    start(page, epochs=2)  # checkpoints 0 (untrained), 1 and 2
    wait_status(page, "succeeded")
    scrubber = page.get_by_test_id("probe-scrubber")
    maps = page.get_by_test_id("probe-maps")
    runs = {}
    for epoch in (1, 0, 2):
        scrubber.fill(str(epoch))
        page.locator(f"[data-testid=probe-maps][data-epoch='{epoch}']").wait_for()
        images = maps.get_by_test_id("probe-map")
        assert images.count() == 1 + len(SMALL_NET)
        page.wait_for_function("els => els.every((i) => i.complete && i.naturalWidth > 0)", arg=images.element_handles())
        runs[epoch] = maps.get_attribute("data-run")
    assert len(set(runs.values())) == 3  # each checkpoint is a different network
    assert "epoch 2" in page.locator("#probe-epoch").text_content()
    assert page.get_by_test_id("filter-image").count() == 3
    page.wait_for_function("els => els.every((i) => i.complete && i.naturalWidth > 0)",
                           arg=page.get_by_test_id("filter-image").element_handles())
    for width in (1024, 1280):  # every checkpoint's card whole inside the panel, none cut at its right edge
        page.set_viewport_size({"width": width, "height": 800})
        cut = page.get_by_test_id("filters").evaluate("""box => { const edge = box.getBoundingClientRect().right;
            return [...box.children].filter((c) => c.getBoundingClientRect().right > edge + 0.5).length + (box.scrollWidth > box.clientWidth); }""")
        assert cut == 0, f"{cut} filter cards cut at {width} px"
    assert page.get_by_test_id("confusion").locator("tbody tr").count() == 10


def test_runs_overlaid(page, server: str) -> None:
    open_dashboard(page, SMALL_NET)
    for box in page.get_by_test_id("runs-list").get_by_role("checkbox").all():
        box.uncheck()  # only this test's runs on the chart
    chart = page.get_by_test_id("loss-chart")
    first = start(page, max_steps=8, lr=0.05)
    wait_status(page, "succeeded")
    second = start(page, max_steps=8, lr=0.001)
    wait_status(page, "succeeded")
    assert chart.get_attribute("data-runs") == "2", page.get_by_test_id("runs-list").text_content()
    assert chart.get_attribute("data-points") == "16"
    page.get_by_label(f"Show run #{first[-6:]} on the charts").uncheck()
    page.wait_for_function("() => document.querySelector('[data-testid=loss-chart]').dataset.points === '8'")
    assert chart.get_attribute("data-runs") == "1"
    order = [li.get_attribute("data-job") for li in page.get_by_test_id("runs-list").locator("li[data-job]").all()]
    assert order[:2] == [second, first]  # newest first
    page.get_by_role("button", name=f"#{first[-6:]}").click()  # follow the first run again …
    page.get_by_role("button", name="Reuse settings").click()  # … and put its settings in the form
    assert page.locator("#f-lr").input_value() == "0.05" and page.locator("#f-max_steps").input_value() == "8"


def test_refusals_shown_where_they_belong(page, server: str) -> None:
    page.allow_failed_request("422", "/api/jobs")
    jobs_before = len(httpx.get(f"{server}/api/jobs").json()["jobs"])
    open_dashboard(page, [{"type": "Flatten"}, {"type": "Linear", "out_features": 7}])
    page.get_by_test_id("train-start").click()
    refused = page.locator("[data-testid=train-layer].refused")
    refused.wait_for()
    assert page.get_by_test_id("train-layer").nth(1).evaluate("li => li.classList.contains('refused')")
    assert "10 outputs" in refused.text_content()
    page.locator("#f-lr").fill("-1")
    page.get_by_test_id("train-start").click()
    page.locator("#form-error").wait_for()
    assert page.locator("#form-error").text_content().startswith("lr: ")
    assert page.locator("#f-lr").get_attribute("aria-invalid") == "true"
    assert len(httpx.get(f"{server}/api/jobs").json()["jobs"]) == jobs_before


def test_numbers_when_uplot_is_missing(page, server: str) -> None:
    page.allowed_errors.append("uPlot")
    page.allow_failed_request("net::ERR_FAILED", "/vendor/uplot/")
    page.route("**/vendor/uplot/**", lambda route: route.abort())
    open_dashboard(page, SMALL_NET)
    job_id = start(page, max_steps=8)
    wait_status(page, "succeeded")
    row = page.get_by_test_id("loss-chart").locator("tbody tr").filter(has_text=f"#{job_id[-6:]}")
    assert row.locator("td").nth(1).text_content() == "8"  # steps
    assert float(row.locator("td").nth(2).text_content()) > 0  # last loss
    assert page.get_by_test_id("loss-chart").locator("canvas").count() == 0


def test_train_this_pipeline_from_the_lab(page) -> None:
    def open_lab(layers: list) -> None:
        state = {"input": {"source": "cifar10", "split": "test", "index": 3}, "layers": layers}
        page.goto("/#s=" + base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("="))
        page.locator("[data-testid=stage]").last.wait_for()

    button = page.get_by_test_id("train-this")
    open_lab(SMALL_NET[:-1])  # ends in 4 × 8 × 8 features, not 10
    assert button.is_disabled() and "ends in 1×256" in button.get_attribute("title")
    open_lab(SMALL_NET)
    page.wait_for_function("() => !document.querySelector('[data-testid=train-this]').disabled")
    button.click()
    page.wait_for_url("**/training?layers=*")
    page.wait_for_selector("body[data-ready=true]")
    assert page.get_by_test_id("train-layer").all_text_contents() == [
        'Conv2d(out_channels=4, kernel_size=3, padding=1)', "ReLU()", "MaxPool2d(kernel_size=4)", "Flatten()", "Linear(out_features=10)"]


def test_api_token_asked_for_when_the_server_wants_one(browser, tmp_path: Path) -> None:
    with LiveServer(tmp_path / "data", LAYERLAB_API_TOKEN="s3cret") as server:
        base = server.url
        context = browser.new_context(base_url=base)
        page = context.new_page()
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        open_dashboard(page, SMALL_NET)
        assert page.locator("#f-token").is_hidden()
        page.locator("#f-max_steps").fill("2")
        page.get_by_test_id("train-start").click()
        page.locator("#f-token").wait_for()
        assert "API token" in page.locator("#form-error").text_content()
        page.locator("#f-token").fill("s3cret")
        job_id = start(page)
        wait_status(page, "succeeded")
        assert httpx.get(f"{base}/api/jobs/{job_id}").json()["config"]["max_steps"] == 2
        context.close()
    assert errors and all("401" in e for e in errors)  # the first, tokenless start only
