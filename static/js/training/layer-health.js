// What learning does to each layer of the followed run, beside the loss: the update-to-weight ratio
// ‖Δw‖/‖w‖ and the gradient norm per layer (`layer_health` events, every health_every steps) on log
// axes, the healthy band of the ratio around 1e-3 shaded; per epoch the dead ReLU fraction and each
// stage's activation histogram (`activations` events). Without uPlot the charts become a table of the
// latest values; the histograms are plain bars and need no library.

import { el, byId } from "../dom.js";
import { fmt, liveChart, numbersTable } from "./chart-kit.js";
import { t } from "../i18n.js";

const HEIGHT = 200;
export const HEALTHY = [10 ** -3.5, 10 ** -2.5]; // half a decade each side of 1e-3 (CS231n's rule of thumb)
const COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"];
const positive = (v) => (v > 0 ? v : null); // a log axis has no place for 0 or less

/** uPlot hook: the healthy band and the 1e-3 line, under the series. */
function band(u) {
  const [top, bottom] = [u.valToPos(HEALTHY[1], "y", true), u.valToPos(HEALTHY[0], "y", true)];
  const mid = u.valToPos(1e-3, "y", true);
  const { ctx, bbox } = u;
  ctx.save();
  ctx.beginPath();
  ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
  ctx.clip();
  ctx.fillStyle = "rgba(89, 161, 79, 0.16)";
  ctx.fillRect(bbox.left, top, bbox.width, bottom - top);
  ctx.strokeStyle = "rgba(89, 161, 79, 0.9)";
  ctx.setLineDash([6, 4]);
  ctx.beginPath();
  ctx.moveTo(bbox.left, mid);
  ctx.lineTo(bbox.left + bbox.width, mid);
  ctx.stroke();
  ctx.restore();
}

function logChart(base, layers, withBand) {
  return {
    ...base,
    series: [{ label: t("step") }, ...layers.map((l, i) => ({ label: `${l.index} ${l.type}`, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true }))],
    scales: { x: { time: false }, y: { distr: 3, log: 10, range: (u, lo, hi) => (withBand ? [Math.min(lo ?? 1e-4, 1e-4), Math.max(hi ?? 1e-2, 1e-2)] : [lo, hi]) } },
    hooks: withBand ? { drawClear: [band] } : {},
  };
}

/** One stage's histogram as bars (heights relative to its tallest bin), its range and dead fraction. */
function histogram(stage) {
  const top = Math.max(1, ...stage.counts);
  const dead = stage.dead_fraction === null || stage.dead_fraction === undefined ? "" : ` · ${t("dead")} ${(100 * stage.dead_fraction).toFixed(1)} %`;
  return el("figure", { class: "hist", testid: "activation-histogram", "data-stage": stage.index },
    el("div", { class: "bars", "aria-hidden": "true" }, stage.counts.map((c) => el("span", { style: { height: `${(100 * c) / top}%` } }))),
    el("figcaption", { text: `${stage.index} ${stage.type}: ${fmt(stage.min, 3)} … ${fmt(stage.max, 3)}${dead}` }));
}

export function layerHealthView(store, uPlot) {
  const ratioBox = byId("update-ratio-chart");
  const gradBox = byId("grad-norm-chart");
  const table = byId("health-table");
  const hists = byId("activation-histograms");
  const ratio = uPlot && liveChart(uPlot, ratioBox, HEIGHT, () => draw(store.state));
  const grad = uPlot && liveChart(uPlot, gradBox, HEIGHT, () => draw(store.state));

  const draw = (state) => {
    const h = state.health[state.focus];
    const acts = state.activity[state.focus] ?? [];
    byId("health-empty").hidden = Boolean(h || acts.length);
    ratioBox.dataset.points = String(h ? h.step.length : 0);
    ratioBox.dataset.band = HEALTHY.map((v) => v.toPrecision(3)).join("-");
    const last = acts.at(-1);
    const deadBy = Object.fromEntries((last?.stages ?? []).filter((s) => s.dead_fraction !== null).map((s) => [s.index, s.dead_fraction]));
    if (h) {
      const at = h.step.length - 1;
      table.replaceChildren(numbersTable([t("layer"), t("grad norm"), t("weight norm"), t("update / weight"), "lr"],
        h.layers.map((l, i) => [`${l.index} ${l.type}`, fmt(h.grad[i][at]), fmt(h.weight[i][at]), fmt(h.ratio[i][at], 3), fmt(h.lr[at], 3)])));
    } else table.replaceChildren();
    hists.replaceChildren(...(last ? [el("p", { class: "hint", text: Object.keys(deadBy).length
      ? t("Epoch {n}, over {images} test images:", { n: last.epoch, images: last.images })
      : t("Epoch {n}, over {images} test images (no layer that can die):", { n: last.epoch, images: last.images }) }),
      el("div", { class: "hist-row" }, last.stages.map(histogram))] : []));
    ratioBox.hidden = gradBox.hidden = !uPlot;
    if (!uPlot || !h) return;
    const key = [state.focus, h.layers.map((l) => l.index)];
    ratio.show(key, (base) => logChart(base, h.layers, true), [h.step, ...h.ratio.map((r) => r.map(positive))]);
    grad.show(key, (base) => logChart(base, h.layers, false), [h.step, ...h.grad.map((r) => r.map(positive))]);
  };

  store.subscribe(draw, ["health", "activity", "focus"]);
  draw(store.state);
}
