"""The dashboard's arithmetic (static/js/training/maths.js, run in Chromium) against references in Python.

Smoothing is TensorBoard's debiased EMA, transcribed from its line chart (vz_line_chart2
``resmoothDataset``); percentiles are numpy's (linear interpolation).
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

pytestmark = pytest.mark.browser

MATHS = "/static/js/training/maths.js"


def tensorboard_ema(values: list[float], weight: float) -> list[float]:
    last, count, out = 0.0, 0, []
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        last = last * weight + (1 - weight) * v
        count += 1
        out.append(last if weight == 1 else last / (1 - weight**count))
    return out


def call(page, name: str, *args):
    return page.evaluate(f"async (args) => (await import('{MATHS}')).{name}(...args)", list(args))


@pytest.fixture
def maths_page(page):
    page.goto("/activations")  # a page of the server: the module is imported from its origin
    return page


def noisy_loss(rng: random.Random, n: int) -> list[float]:
    return [2.3 * math.exp(-i / 200) + rng.gauss(0, 0.2) + (25 if rng.random() < 0.03 else 0) for i in range(n)]


def test_ema_is_tensorboards_debiased_ema(maths_page) -> None:
    rng = random.Random(0)
    for weight in (0.0, 0.6, 0.9, 0.999, 1.0):
        values = noisy_loss(rng, 300)
        values[7] = float("nan")  # a diverged step passes through and does not count
        got = call(maths_page, "emaDebiased", values, weight)
        want = tensorboard_ema(values, weight)
        assert math.isnan(got[7])
        np.testing.assert_allclose([g for i, g in enumerate(got) if i != 7], [w for i, w in enumerate(want) if i != 7], rtol=1e-12)
    assert call(maths_page, "emaDebiased", [3.0, 3.0, 3.0], 0.6) == pytest.approx([3.0, 3.0, 3.0], rel=1e-12)  # no pull towards 0


def test_percentiles_match_numpy(maths_page) -> None:
    rng = random.Random(1)
    for n in (1, 2, 7, 100, 1001):
        values = [rng.uniform(-5, 5) for _ in range(n)]
        for p in (0, 5, 50, 95, 100):
            assert call(maths_page, "percentile", values, p) == pytest.approx(float(np.percentile(values, p)), rel=1e-12, abs=1e-12)


def test_outlier_range_is_5th_to_95th_percentile(maths_page) -> None:
    values = noisy_loss(random.Random(2), 500)
    lo, hi = call(maths_page, "yRange", values, {"ignoreOutliers": True})
    assert (lo, hi) == pytest.approx((np.percentile(values, 5), np.percentile(values, 95)), rel=1e-12)
    assert hi < max(values) - 10  # the spikes are outside the axis
    assert call(maths_page, "yRange", values, {}) == pytest.approx([min(values), max(values)])
    assert call(maths_page, "yRange", [-1.0, 0.0, 0.5, 4.0], {"log": True}) == [0.5, 4.0]  # a log axis starts above 0


def test_eta_from_recent_steps(maths_page) -> None:
    steps = list(range(1, 101))
    times = [1000 + 0.5 * s for s in steps]  # 2 steps a second
    got = call(maths_page, "eta", steps, times, 300)
    assert got["stepsPerSecond"] == pytest.approx(2.0)
    assert got["secondsLeft"] == pytest.approx(100.0)
    times = [1000 + (10 * s if s <= 50 else 500 + 0.1 * (s - 50)) for s in steps]  # it sped up: the recent rate counts
    assert call(maths_page, "eta", steps, times, 300)["stepsPerSecond"] == pytest.approx(10.0, rel=0.05)
    assert call(maths_page, "eta", [1], [1000.0], 300) is None
    assert call(maths_page, "formatDuration", 3725) == "1 h 02 min"
    assert call(maths_page, "formatDuration", 185) == "3 min 05 s"


def test_align_series_on_the_union_of_steps(maths_page) -> None:
    got = call(maths_page, "alignSeries", [[[1, 2, 3], [10, 20, 30]], [[2, 4], [5, 6], [7, 8]]])
    assert got == [[1, 2, 3, 4], [10, 20, 30, None], [None, 5, None, 6], [None, 7, None, 8]]


def test_a_run_that_ends_while_its_words_wait_for_the_quiet_interval_is_said_at_once(maths_page) -> None:
    """static/js/training/loss-summary.js on a store of its own: a running run's words change at most every
    4 s, but the run's end is said at once (a CI run once waited out the interval after a reload)."""
    words = maths_page.evaluate("""async () => {
      const box = Object.assign(document.createElement("p"), { id: "loss-summary" });
      document.body.append(box);
      const { createStore } = await import("/static/js/store.js");
      const { lossSummaryView } = await import("/static/js/training/loss-summary.js");
      const series = (n) => ({ step: [...Array(n).keys()].map((i) => i + 1), loss: Array(n).fill(1.5), epoch: Array(n).fill(1) });
      const store = createStore({ series: { j: series(5) }, epochs: { j: [] }, shown: ["j"], focus: "j",
                                  view: { smoothing: 0.6 }, jobs: { j: { status: "running" } } });
      lossSummaryView(store);
      const first = box.textContent;
      store.update({ series: { j: series(10) } });  // still training: held to the quiet interval
      const held = box.textContent;
      store.update({ jobs: { j: { status: "succeeded" } } });  // the run ends
      return { first, held, ended: box.textContent };
    }""")
    assert "step 5:" in words["first"]
    assert words["held"] == words["first"]
    assert "step 10:" in words["ended"]
