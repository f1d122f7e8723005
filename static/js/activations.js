// Activation explorer: curves and autograd derivatives from GET /api/activations/{type}/curve,
// parameters on sliders, several overlaid in one uPlot chart.

import uPlot from "/vendor/uplot/dist/uPlot.esm.js";
import { api } from "./api.js";
import { el } from "./layer-form.js";
import { NOTES, SLIDERS } from "./activation-notes.js";

const $ = (id) => document.getElementById(id);
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
let entries = [];
const selected = new Set(["Sigmoid", "Tanh", "ReLU"]);
const params = {};
let chart = null;
let pending = 0;

function sliderFor(type, p) {
  const [min, max, step] = SLIDERS[p.name];
  const id = `s-${type}-${p.name}`;
  const out = el("output", { for: id, text: String(+Number(params[type][p.name]).toFixed(3)) });
  const input = el("input", { id, type: "range", min, max, step, value: params[type][p.name] });
  input.addEventListener("input", () => {
    params[type][p.name] = Number(input.value);
    out.textContent = input.value;
    draw();
  });
  return el("div", { class: "slider" }, el("label", { for: id, text: `${type}.${p.name}` }), input, out);
}

function renderParams() {
  const box = $("act-params");
  box.replaceChildren();
  for (const e of entries) {
    if (!selected.has(e.type)) continue;
    for (const p of e.params) {
      if (SLIDERS[p.name]) box.append(sliderFor(e.type, p));
      else if (p.type === "choice") {
        const s = el("select", { "aria-label": `${e.type}.${p.name}` }, p.constraints.choices.map((c) => el("option", { text: c })));
        s.value = params[e.type][p.name];
        s.addEventListener("change", () => { params[e.type][p.name] = s.value; draw(); });
        box.append(el("div", { class: "slider" }, el("label", { text: `${e.type}.${p.name}` }), s));
      }
    }
  }
}

function renderList() {
  $("act-list").replaceChildren(...entries.map((e) => {
    const cb = el("input", { type: "checkbox", value: e.type });
    cb.checked = selected.has(e.type);
    cb.addEventListener("change", () => {
      if (cb.checked) selected.add(e.type); else selected.delete(e.type);
      renderParams();
      draw();
    });
    return el("label", { class: "check" }, cb, ` ${e.type}`);
  }));
}

function size() {
  const w = $("act-chart").clientWidth || 640;
  return { width: Math.max(320, w), height: 340 };
}

async function draw() {
  const ticket = ++pending;
  const xMin = Number($("act-xmin").value);
  const xMax = Number($("act-xmax").value);
  const mode = $("act-train").checked ? "train" : "eval";
  const types = entries.map((e) => e.type).filter((t) => selected.has(t));
  let curves;
  try {
    curves = await Promise.all(types.map((t) => {
      const q = { x_min: xMin, x_max: xMax, points: 401, mode };
      for (const [k, v] of Object.entries(params[t] || {})) if (SLIDERS[k] || typeof v === "string") q[k] = v;
      return api.curve(t, q);
    }));
  } catch (err) {
    $("act-notes").replaceChildren(el("li", { class: "error", text: `Could not draw: ${err.message}` }));
    return;
  }
  if (ticket !== pending) return;
  const x = curves.length ? curves[0].x : [xMin, xMax];
  const data = [x];
  const series = [{}];
  types.forEach((t, i) => {
    const color = COLORS[i % COLORS.length];
    data.push(curves[i].y, curves[i].grad);
    series.push({ label: t, stroke: color, width: 2 }, { label: `${t}′`, stroke: color, width: 1.5, dash: [6, 4] });
  });
  const dark = matchMedia("(prefers-color-scheme: dark)").matches;
  const axis = { stroke: dark ? "#ccc" : "#333", grid: { stroke: dark ? "#333" : "#e5e5e5" } };
  const opts = { ...size(), series, scales: { x: { time: false } }, axes: [axis, axis], legend: { live: true } };
  if (chart) chart.destroy();
  chart = new uPlot(opts, data, $("act-chart"));
  $("act-chart").dataset.series = String(types.length);
  $("act-notes").replaceChildren(...types.map((t) => el("li", {}, el("strong", { text: `${t}: ` }), NOTES[t] || "")));
}

/** Shows the given activations over [xMin, xMax] (used by example 6). */
export function showCurves(types, [xMin, xMax]) {
  selected.clear();
  types.forEach((t) => selected.add(t));
  $("act-xmin").value = xMin;
  $("act-xmax").value = xMax;
  renderList();
  renderParams();
  draw();
  $("activations-section").scrollIntoView({ block: "start" });
}

export function initActivations(catalogue) {
  entries = catalogue.filter((e) => e.category === "activation");
  for (const e of entries) params[e.type] = Object.fromEntries(e.params.map((p) => [p.name, p.default]));
  renderList();
  renderParams();
  for (const id of ["act-xmin", "act-xmax", "act-train"]) $(id).addEventListener("change", draw);
  let t = 0;
  addEventListener("resize", () => { clearTimeout(t); t = setTimeout(() => chart && chart.setSize(size()), 150); });
  draw();
}
