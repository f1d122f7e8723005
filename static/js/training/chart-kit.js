// What the dashboard's charts share: a colour per run, axis colours from the page's CSS variables
// (light and dark), a chart that follows its box's width, and the text a chart shows instead when
// uPlot did not load.

import { el } from "../dom.js";

// Tableau 10 without its grey: distinguishable on the light and the dark background alike.
const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"];

/** A run keeps its colour as newer runs arrive: colours go by age, oldest first. */
export function runColor(state, id) {
  const age = state.order.length - 1 - state.order.indexOf(id);
  return PALETTE[age % PALETTE.length];
}

/** A run's name in legends and lists: its id ends in random hex (the start comes from the clock). */
export const shortId = (id) => `#${String(id).slice(-6)}`;

function axes() {
  const css = getComputedStyle(document.documentElement);
  const fg = css.getPropertyValue("--muted").trim();
  const grid = css.getPropertyValue("--line").trim();
  const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  return [axis, { ...axis, size: 56 }];
}

/**
 * A uPlot chart in `box` that follows the window's width and the colour scheme (`redraw` is called
 * when the scheme changes). `show(key, opts, data)` draws `data`: with the same `key` (series and
 * scale kinds) it only swaps the data; otherwise it builds a new chart from `opts(base)`, where
 * `base` holds what every chart shares.
 */
export function liveChart(uPlot, box, height, redraw) {
  let chart = null;
  let built = "";
  const scheme = matchMedia("(prefers-color-scheme: dark)");
  const width = () => Math.max(280, box.clientWidth || 600);
  scheme.addEventListener("change", redraw);
  addEventListener("resize", () => chart?.setSize({ width: width(), height }));
  return {
    show(key, opts, data) {
      const full = JSON.stringify([key, scheme.matches]);
      if (chart && full === built) {
        chart.setData(data);
        return;
      }
      chart?.destroy();
      built = full;
      box.replaceChildren();
      chart = new uPlot(opts({ width: width(), height, axes: axes(), legend: { live: true } }), data, box);
    },
  };
}

/** When uPlot could not load: the chart's box becomes a table of the same numbers. */
export function numbersTable(headers, rows) {
  return el("table", { class: "trace numbers" },
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { text: h })))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", { class: "n", text: c }))))));
}

/** A number as people read it in a table: 4 significant digits, "–" when missing. */
export const fmt = (v, digits = 4) => (Number.isFinite(v) ? String(Number(v.toPrecision(digits))) : "–");
