// Test accuracy after each epoch: every shown run on one chart, and the focused run's epochs as a
// table (train loss, test loss, accuracy), which is also what shows when uPlot did not load.

import { byId } from "../dom.js";
import { alignSeries } from "./maths.js";
import { fmt, liveChart, numbersTable, runColor, shortId } from "./chart-kit.js";
import { t } from "../i18n.js";

const HEIGHT = 220;
const percent = (v) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : "–");

export function accuracyView(store, uPlot) {
  const box = byId("accuracy-chart");
  const table = byId("epoch-table");
  const chart = uPlot && liveChart(uPlot, box, HEIGHT, () => draw(store.state));

  const draw = (state) => {
    const rows = state.epochs[state.focus] ?? [];
    table.replaceChildren(rows.length
      ? numbersTable([t("epoch"), t("train loss"), t("test loss"), t("test accuracy")],
        rows.map((r) => [String(r.epoch), fmt(r.train_loss), fmt(r.test_loss), percent(r.test_accuracy)]))
      : "");
    box.hidden = !uPlot;
    if (!uPlot) return;
    const ids = state.shown.filter((id) => state.epochs[id]?.length);
    const tables = ids.map((id) => {
      const done = state.epochs[id];
      return [done.map((r) => r.epoch), done.map((r) => 100 * r.test_accuracy)];
    });
    const data = tables.length ? alignSeries(tables) : [[]];
    chart.show([ids, state.order.length], (base) => ({
      ...base,
      series: [{ label: t("epoch") },
        ...ids.map((id) => ({ label: `${shortId(id)} ${t("test accuracy %")}`, stroke: runColor(state, id), width: 2,
          spanGaps: true, points: { show: true, size: 7 } }))],
      scales: { x: { time: false, range: (u, lo, hi) => [Math.min(0, lo), Math.max(1, hi)] }, y: { range: [0, 100] } },
      axes: [{ ...base.axes[0], incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] }, base.axes[1]], // whole epochs
    }), data);
  };

  store.subscribe(draw, ["epochs", "shown", "focus", "order"]);
  draw(store.state);
}
