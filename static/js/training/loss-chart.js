// The live loss chart: every shown run's step losses, raw (faint) and smoothed with TensorBoard's
// debiased EMA (bold), on a linear or a true log axis, optionally scaled to the 5th–95th percentile
// (outside points are still drawn, off the axis). Redrawn when the store changes, which the event
// stream does at most once per animation frame. Without uPlot it shows the same numbers as a table.

import { byId } from "../dom.js";
import { alignSeries, emaDebiased, yRange } from "./maths.js";
import { fmt, liveChart, numbersTable, runColor, shortId } from "./chart-kit.js";
import { t } from "../i18n.js";

const HEIGHT = 320;

/** A little room above and below the data, in the axis's own terms (a factor on a log axis). */
function padded([lo, hi], log) {
  if (log) return [lo / 1.15, hi * 1.15];
  const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
  return [lo - pad, hi + pad];
}

function seriesOf(state, ids) {
  return ids.flatMap((id) => {
    const color = runColor(state, id);
    return [
      { label: `${shortId(id)} ${t("raw")}`, stroke: `${color}80`, width: 1, spanGaps: true },
      { label: `${shortId(id)} ${t("smoothed")}`, stroke: color, width: 2, spanGaps: true },
    ];
  });
}

function fallback(state, ids) {
  return numbersTable([t("run"), t("steps"), t("last loss"), t("smoothed"), t("lowest")], ids.map((id) => {
    const { step, loss } = state.series[id];
    const smooth = emaDebiased(loss, state.view.smoothing);
    return [shortId(id), String(step.length), fmt(loss.at(-1)), fmt(smooth.at(-1)), fmt(yRange(loss)?.[0])];
  }));
}

export function lossChartView(store, uPlot) {
  const box = byId("loss-chart");
  let range = null;
  let newest = 0; // time of the newest point drawn, to measure step → screen latency
  const chart = uPlot && liveChart(uPlot, box, HEIGHT, () => draw(store.state));

  const draw = (state) => {
    const ids = state.shown.filter((id) => state.series[id]?.step.length);
    const { log, ignoreOutliers, smoothing } = state.view;
    box.dataset.runs = String(ids.length);
    box.dataset.scale = log ? "log" : "linear";
    box.dataset.points = String(ids.reduce((n, id) => n + state.series[id].step.length, 0));
    const last = Math.max(0, ...ids.map((id) => state.series[id].time.at(-1)));
    if (last > newest) {
      box.dataset.latencyMs = String(Math.round(Date.now() - last * 1000));
      newest = last;
    }
    if (!uPlot) {
      box.replaceChildren(fallback(state, ids));
      return;
    }
    const positive = (v) => (log && !(v > 0) ? null : v); // a log axis has no place for 0 or less
    const tables = ids.map((id) => {
      const { step, loss } = state.series[id];
      return [step, loss.map(positive), emaDebiased(loss, smoothing).map(positive)];
    });
    const data = tables.length ? alignSeries(tables) : [[]];
    const found = yRange(tables.flatMap((table) => table[1]), { ignoreOutliers, log });
    range = found && padded(found, log);
    chart.show([ids, log, state.order.length], (base) => ({
      ...base,
      series: [{ label: t("step") }, ...seriesOf(state, ids)],
      scales: {
        x: { time: false },
        y: { distr: log ? 3 : 1, log: 10, range: (u, lo, hi) => range ?? (log ? [0.1, 10] : [lo, hi]) },
      },
    }), data);
  };

  store.subscribe(draw, ["series", "shown", "view", "order"]);
  draw(store.state);
}
